"""Tariffs, the tariff each session was priced with, and charge detail records, kept in OCPI 2.2.1's shapes."""

from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from accounts.models import Organisation
from chargers.models import Charger, Site
from charging.models import IdTag, Transaction


class Tariff(models.Model):
    """An OCPI 2.2.1 Tariff object, kept as it was given (`document`), with what lookups need beside it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="tariffs")
    tariff_id = models.CharField("OCPI id", max_length=36, help_text="The Tariff's `id`, unique in the organisation.")
    currency = models.CharField(max_length=3)
    document = models.JSONField(help_text="The OCPI Tariff object.")
    start_date_time = models.DateTimeField(null=True, blank=True)
    end_date_time = models.DateTimeField(null=True, blank=True)
    is_default = models.BooleanField(
        "organisation default", default=False, help_text="Prices sessions no id tag, charger or site tariff covers."
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organisation", "tariff_id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "tariff_id"], name="tariff_unique_id"),
            models.UniqueConstraint(
                fields=["organisation"], condition=models.Q(is_default=True), name="tariff_one_default"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tariff_id} ({self.currency})"


class TariffAssignment(models.Model):
    """A tariff for one id tag, charger or site; the most specific one prices a session."""

    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="assignments")
    id_tag = models.OneToOneField(IdTag, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    charger = models.OneToOneField(Charger, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    site = models.OneToOneField(Site, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id_tag__isnull=False, charger__isnull=True, site__isnull=True)
                | models.Q(id_tag__isnull=True, charger__isnull=False, site__isnull=True)
                | models.Q(id_tag__isnull=True, charger__isnull=True, site__isnull=False),
                name="tariff_assignment_one_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.tariff} for {self.id_tag or self.charger or self.site}"


def time_zone_valid(name: str) -> None:
    if name not in available_timezones():
        raise ValidationError(f"{name!r} is not an IANA time zone (such as Europe/Berlin).")


class LocalTimeZone(models.Model):
    """Where a site's or a charger's sessions read their tariff's restrictions (times of day, dates, days of the
    week): OCPI's Location.time_zone. A charger's own comes first, then its site's, then CSMS_TARIFF_TIME_ZONE."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    site = models.OneToOneField(Site, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    charger = models.OneToOneField(Charger, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    time_zone = models.CharField(max_length=64, validators=[time_zone_valid], help_text="IANA, e.g. Europe/Berlin.")

    class Meta:
        verbose_name = "local time zone"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(site__isnull=False, charger__isnull=True)
                | models.Q(site__isnull=True, charger__isnull=False),
                name="local_time_zone_one_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.charger or self.site}: {self.time_zone}"

    def clean(self):
        target = self.charger or self.site
        if target is not None and target.organisation_id != self.organisation_id:
            raise ValidationError("The site or charger belongs to another organisation.")


class SessionTariff(models.Model):
    """The tariff a session is priced with, copied when it started: a later edit never reprices it."""

    transaction = models.OneToOneField(Transaction, on_delete=models.CASCADE, related_name="priced_with")
    tariff = models.ForeignKey(Tariff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    snapshot = models.JSONField(help_text="The OCPI Tariff object as it was when the session started.")
    assigned_by = models.CharField(max_length=12, help_text="id tag, charger, site or default.")
    time_zone = models.CharField(
        max_length=64, blank=True, help_text="Where its restrictions are read, as when it started; "
        "blank (sessions priced before zones were kept): CSMS_TARIFF_TIME_ZONE."
    )  # fmt: skip
    last_cost_sent_at = models.DateTimeField(null=True, blank=True, help_text="Live cost last sent to the charger.")

    def __str__(self) -> str:
        return f"{self.transaction_id}: {self.snapshot.get('id')}"


class CDR(models.Model):
    """An OCPI 2.2.1 charge detail record. Never changed: a correction is a new CDR crediting this one."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="cdrs")
    cdr_id = models.CharField("OCPI id", max_length=39, unique=True)
    transaction = models.ForeignKey(Transaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Kept on the record itself: it outlives the charger and its sessions.
    charge_box_id = models.CharField("chargeBoxId", max_length=64)
    id_tag = models.CharField(max_length=36, blank=True)
    start_date_time = models.DateTimeField()
    end_date_time = models.DateTimeField()
    currency = models.CharField(max_length=3)
    total_cost_excl_vat = models.DecimalField(max_digits=14, decimal_places=4)
    total_cost_incl_vat = models.DecimalField(max_digits=14, decimal_places=4)
    credit = models.BooleanField(default=False)
    credit_reference = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    document = models.JSONField(help_text="The OCPI CDR object.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "CDR"
        ordering = ["-end_date_time", "-id"]
        indexes = [
            models.Index(fields=["organisation", "end_date_time"]),
            models.Index(fields=["charge_box_id", "end_date_time"]),
            models.Index(fields=["id_tag", "end_date_time"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_reference"], condition=models.Q(credit=True), name="cdr_credited_once"
            ),
        ]

    def __str__(self) -> str:
        return self.cdr_id

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("A CDR is never changed; credit it and issue a new one.")
        super().save(*args, **kwargs)
