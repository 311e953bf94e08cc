"""Smart charging as data: the charging profiles chargers hold.

Sites (the supply that load balancing shares) stay with the chargers they group. The table keeps
the name it had in `chargers` (db_table).
"""

from django.db import models
from django.utils import timezone

from chargers.models import Charger
from charging.models import Transaction
from csms.indexes import LEADS_AN_INDEX


class InstalledChargingProfile(models.Model):
    """A charging profile the charger accepted and, as far as we know, still holds."""

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="charging_profiles", **LEADS_AN_INDEX)
    connector_id = models.PositiveIntegerField(help_text="0: the charger as a whole.")
    profile_id = models.IntegerField()
    stack_level = models.PositiveIntegerField(default=0)
    purpose = models.CharField(max_length=40)  # ChargingStationExternalConstraints: 34
    kind = models.CharField(max_length=20)
    recurrency_kind = models.CharField(max_length=10, blank=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_to = models.DateTimeField(null=True, blank=True)
    schedule = models.JSONField(help_text="The charging schedule as sent (rate unit, periods, ...).")
    meta = models.JSONField(
        default=dict, blank=True, help_text="Notes given with it and never sent: comment, createdAt, createdBy."
    )
    transaction = models.ForeignKey(
        Transaction, null=True, blank=True, on_delete=models.CASCADE, related_name="charging_profiles"
    )
    installed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "chargers_installedchargingprofile"
        ordering = ["charger", "connector_id", "purpose", "stack_level", "profile_id"]
        verbose_name = "installed charging profile"
        # A charger replaces a profile it receives again under the same id.
        constraints = [
            models.UniqueConstraint(fields=["charger", "profile_id"], name="installed_charging_profile_unique")
        ]

    def __str__(self) -> str:
        return f"{self.charger_id}/{self.connector_id} {self.purpose} {self.profile_id}"


class DEREvent(models.Model):
    """What an OCPP 2.1 charger reported of its distributed-energy-resource (grid support) controls:
    an alarm raised or ended, a control started or stopped, the controls it holds."""

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="der_events")
    action = models.CharField(max_length=20, help_text="NotifyDERAlarm, NotifyDERStartStop or ReportDERControl.")
    control = models.CharField(max_length=36, blank=True, help_text="The control type (alarm) or control id.")
    state = models.CharField(max_length=20, blank=True, help_text="raised/ended, started/stopped, or the report part.")
    timestamp = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "DER event"

    def __str__(self) -> str:
        return f"{self.action} {self.control} {self.state}".strip()
