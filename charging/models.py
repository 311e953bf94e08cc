"""What a charging session is: id tags and what chargers hold of them, transactions, meter values, reservations.

The tables keep the names they had in `chargers` (db_table): the models moved, the rows did not.
"""

import secrets

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone

from accounts.models import Organisation
from chargers.models import EVSE_HELP, Charger
from csms.indexes import LEADS_AN_INDEX


class IdTag(models.Model):
    class Status(models.TextChoices):
        ACCEPTED = "Accepted"
        BLOCKED = "Blocked"
        EXPIRED = "Expired"
        INVALID = "Invalid"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="id_tags")
    id_tag = models.CharField(max_length=36)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACCEPTED)
    expiry_date = models.DateTimeField(null=True, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    max_active_transactions = models.PositiveIntegerField(default=1)
    note = models.CharField(max_length=200, blank=True)
    auto_created = models.BooleanField(
        default=False, help_text="Recorded when a charger presented it under the accept-unknown-tags policy."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "chargers_idtag"
        ordering = ["id_tag"]
        verbose_name = "id tag"
        # Chargers present id tags in either case (CiString20): "abc" and "ABC" are one tag.
        constraints = [
            models.UniqueConstraint(
                F("organisation"),
                Upper("id_tag"),
                name="id_tag_unique_ci",
                violation_error_message="The organisation has this id tag already (id tags are case-insensitive).",
            )
        ]

    def __str__(self) -> str:
        return self.id_tag


class Transaction(models.Model):
    """A charging session. `ocpp_id` is what the charger knows it by (1.6: an int we chose; 2.0.1: its string)."""

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="transactions", **LEADS_AN_INDEX)
    ocpp_id = models.CharField("transaction id", max_length=64)
    evse_id = models.PositiveIntegerField("EVSE", default=0, help_text=EVSE_HELP)
    connector_id = models.PositiveIntegerField()
    id_tag = models.CharField(max_length=36)
    id_tag_status = models.CharField(max_length=20, blank=True)
    reservation_id = models.IntegerField(null=True, blank=True)
    start_time = models.DateTimeField()
    meter_start = models.BigIntegerField(help_text="Wh")
    stop_time = models.DateTimeField(null=True, blank=True)
    meter_stop = models.BigIntegerField(null=True, blank=True, help_text="Wh")
    stop_reason = models.CharField(max_length=30, blank=True)
    stop_id_tag = models.CharField(max_length=36, blank=True)
    energy_wh = models.BigIntegerField(null=True, blank=True)
    remote_start_id = models.IntegerField(
        null=True, blank=True, help_text="OCPP 2.0.1: the RequestStartTransaction that began it."
    )
    offline = models.BooleanField(default=False, help_text="Some of its messages were queued while offline.")
    last_seq_no = models.PositiveIntegerField(null=True, blank=True, help_text="OCPP 2.0.1: highest seqNo seen.")
    missing_seq_nos = models.JSONField(
        default=list, blank=True, help_text="OCPP 2.0.1: seqNos skipped so far (lost or still queued)."
    )
    last_message_at = models.DateTimeField(default=timezone.now)
    suspect = models.BooleanField(
        default=False, help_text="Open with no message from the charger for CSMS_TRANSACTION_SUSPECT_AFTER seconds."
    )
    closed_manually = models.BooleanField(default=False, help_text="Closed by an operator, not by the charger.")
    closed_by = models.CharField(max_length=200, blank=True, help_text="The API key or admin user who closed it.")
    close_reason = models.CharField(max_length=500, blank=True, help_text="Why it was closed by hand.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "chargers_transaction"
        ordering = ["-start_time", "-id"]
        constraints = [models.UniqueConstraint(fields=["charger", "ocpp_id"], name="transaction_unique")]
        indexes = [
            models.Index(fields=["charger", "stop_time"]),
            # Ids we choose are unique across the fleet, and integrators look sessions up by them.
            models.Index(fields=["ocpp_id"], name="transaction_ocpp_id"),
            # Every start asks how many sessions its id tag has open (ConcurrentTx).
            models.Index(Upper("id_tag"), condition=Q(stop_time__isnull=True), name="transaction_open_by_tag"),
        ]

    def __str__(self) -> str:
        """As an operator names a session: where and when it began (its id is the charger's number)."""
        started = timezone.localtime(self.start_time).strftime("%Y-%m-%d %H:%M:%S") if self.start_time else "?"
        return f"{self.charger.charge_box_id} connector {self.connector_id}, {started}"

    @property
    def energy_kwh(self) -> float | None:
        return None if self.energy_wh is None else self.energy_wh / 1000

    @property
    def is_active(self) -> bool:
        return self.stop_time is None

    @property
    def evse(self) -> int | None:
        """The EVSE as the API shows it: OCPP 2.0.1's, None for a 1.6 charger."""
        return self.evse_id if self.charger.has_evses else None

    @staticmethod
    def new_ocpp_id() -> int:
        """A positive 31-bit id that cannot be guessed from the previous one."""
        return secrets.randbelow(2**31 - 2) + 1


class ChargerLocalList(models.Model):
    """What a charger's local authorization list holds, as far as the charger has confirmed it.

    `version` is None when we do not know the contents (never sent, or the charger reported a
    version we did not send): the next sync must then be Full. `entries` maps idTag to idTagInfo.
    """

    charger = models.OneToOneField(Charger, on_delete=models.CASCADE, related_name="local_list")
    version = models.IntegerField(null=True, blank=True, help_text="The version the charger confirmed holding.")
    entries = models.JSONField(default=dict, blank=True)
    reported_version = models.IntegerField(
        null=True, blank=True, help_text="The last version the charger gave in answer to GetLocalListVersion."
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "chargers_chargerlocallist"
        verbose_name = "local authorization list"

    def __str__(self) -> str:
        return f"{self.charger_id} v{self.version if self.version is not None else '?'}"


class UnmatchedStop(models.Model):
    """A StopTransaction for a transaction we do not know: acknowledged, kept for an operator."""

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="unmatched_stops")
    transaction_id = models.CharField(max_length=64)
    id_tag = models.CharField(max_length=36, blank=True)
    meter_stop = models.BigIntegerField()
    timestamp = models.DateTimeField()
    reason = models.CharField(max_length=30, blank=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "chargers_unmatchedstop"
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.charger_id}#{self.transaction_id} (unmatched stop)"


class MeterValue(models.Model):
    """One sampled value, as reported. `value` keeps the charger's text; `numeric` is parsed."""

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="meter_values", **LEADS_AN_INDEX)
    evse_id = models.PositiveIntegerField("EVSE", default=0, help_text=EVSE_HELP)
    connector_id = models.PositiveIntegerField()
    transaction = models.ForeignKey(
        Transaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="meter_values", **LEADS_AN_INDEX
    )
    reported_transaction_id = models.CharField(max_length=64, blank=True)
    timestamp = models.DateTimeField()
    value = models.TextField(help_text="OCPP sets no length limit: signed meter values run to kilobytes.")
    numeric = models.FloatField(null=True, blank=True)
    measurand = models.CharField(max_length=60, default="Energy.Active.Import.Register")
    unit = models.CharField(max_length=20, blank=True)
    phase = models.CharField(max_length=10, blank=True)
    context = models.CharField(max_length=30, blank=True)
    location = models.CharField(max_length=20, blank=True)
    format = models.CharField(max_length=20, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "chargers_metervalue"
        ordering = ["timestamp", "id"]
        indexes = [models.Index(fields=["transaction", "timestamp"]), models.Index(fields=["charger", "-timestamp"])]

    def __str__(self) -> str:
        return f"{self.measurand} {self.value} {self.unit}".strip()


class TransactionEvent(models.Model):
    """OCPP 2.0.1: every TransactionEvent as received, in the charger's seqNo order."""

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="transaction_events")
    transaction = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="events", **LEADS_AN_INDEX)
    event_type = models.CharField(max_length=10)
    seq_no = models.PositiveIntegerField()
    trigger_reason = models.CharField(max_length=30)
    timestamp = models.DateTimeField()
    offline = models.BooleanField(default=False)
    charging_state = models.CharField(max_length=20, blank=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "chargers_transactionevent"
        ordering = ["transaction", "seq_no", "id"]
        constraints = [
            models.UniqueConstraint(fields=["transaction", "seq_no"], name="transaction_event_seq_no_unique")
        ]

    def __str__(self) -> str:
        return f"{self.transaction} {self.event_type} #{self.seq_no}"


class Reservation(models.Model):
    """A reservation the charger accepted, and what became of it."""

    class Status(models.TextChoices):
        ACTIVE = "Active"
        CONSUMED = "Consumed"
        CANCELLED = "Cancelled"
        EXPIRED = "Expired"

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="reservations", **LEADS_AN_INDEX)
    reservation_id = models.IntegerField()
    connector_id = models.PositiveIntegerField()
    id_tag = models.CharField(max_length=36)
    parent_id_tag = models.CharField(max_length=36, blank=True)
    expiry_date = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    transaction = models.ForeignKey(
        Transaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="reservations"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "chargers_reservation"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["charger", "reservation_id"], name="reservation_unique")]
        indexes = [models.Index(fields=["status", "expiry_date"])]

    def __str__(self) -> str:
        return f"{self.charger_id}/{self.connector_id} reservation {self.reservation_id}"


class TransactionNotice(models.Model):
    """What an OCPP 2.1 charger reported about a session beyond its events: a payment settled by its
    terminal, priority charging switched on or off, a battery swapped."""

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="transaction_notices")
    transaction = models.ForeignKey(
        Transaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="notices"
    )
    ocpp_transaction_id = models.CharField("transaction id", max_length=64, blank=True)
    action = models.CharField(max_length=40, help_text="The OCPP message: NotifySettlement, NotifyPriorityCharging...")
    status = models.CharField(max_length=30, blank=True, help_text="Settled, Activated, BatteryIn...")
    amount = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True, help_text="Settled amount.")
    reference = models.CharField(max_length=255, blank=True, help_text="Payment reference (pspRef) or request id.")
    timestamp = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.status} {self.ocpp_transaction_id}".strip()
