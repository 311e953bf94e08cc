"""The fleet as data. History tables are append-only; current state is cached on rows."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organisation
from accounts.secrets import secret_digest, secret_matches
from csms.indexes import LEADS_AN_INDEX


class Site(models.Model):
    """Chargers sharing one supply: the CSMS shares `capacity_limit` among their sessions."""

    class Unit(models.TextChoices):
        AMPERES = "A"
        KILOWATTS = "kW"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(max_length=100)
    capacity_limit = models.FloatField(help_text="A: amperes per phase; kW: total power.")
    capacity_unit = models.CharField(max_length=2, choices=Unit.choices, default=Unit.AMPERES)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class RegisteredChargers(models.Manager):
    """Chargers not deleted: what every list, form and lookup sees. `Charger.everything` sees all."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class Charger(models.Model):
    class RegistrationStatus(models.TextChoices):
        ACCEPTED = "Accepted"
        PENDING = "Pending"
        REJECTED = "Rejected"

    # The OCPP subprotocols the product speaks (ocpp_ws.versions), preferred first: the newest the charger offers.
    SUBPROTOCOLS = ("ocpp2.1", "ocpp2.0.1", "ocpp1.6")
    # 2.1 numbers connectors within EVSEs as 2.0.1 does.
    WITH_EVSES = frozenset({"ocpp2.1", "ocpp2.0.1"})

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="chargers")
    charge_box_id = models.CharField("chargeBoxId", max_length=64, unique=True)
    name = models.CharField(max_length=100, blank=True)
    location = models.CharField(max_length=200, blank=True)
    password_digest = models.CharField(max_length=128, blank=True, editable=False)
    registration_status = models.CharField(
        max_length=10,
        choices=RegistrationStatus.choices,
        default=RegistrationStatus.ACCEPTED,
        help_text="What the charger is told in answer to its BootNotification.",
    )
    registered_at = models.DateTimeField(auto_now_add=True)

    # Reported by BootNotification.
    vendor = models.CharField(max_length=50, blank=True)
    model = models.CharField(max_length=50, blank=True)
    serial_number = models.CharField("charge point serial", max_length=50, blank=True)
    charge_box_serial_number = models.CharField(max_length=50, blank=True)
    firmware_version = models.CharField(max_length=50, blank=True)
    iccid = models.CharField("ICCID", max_length=20, blank=True)
    imsi = models.CharField("IMSI", max_length=20, blank=True)
    meter_type = models.CharField(max_length=50, blank=True)
    meter_serial_number = models.CharField(max_length=50, blank=True)
    last_boot_at = models.DateTimeField(null=True, blank=True)
    boot_reason = models.CharField(max_length=30, blank=True, help_text="OCPP 2.0.1: why it last booted.")

    # Electrical set-up: how power limits in kW become amperes, and what load balancing may give.
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="chargers")
    phases = models.PositiveSmallIntegerField(default=3, choices=[(1, "1"), (2, "2"), (3, "3")])
    voltage = models.FloatField(default=230.0, help_text="Phase voltage (V).")
    charging_rate_unit = models.CharField(
        max_length=1,
        blank=True,
        choices=[("A", "A"), ("W", "W")],
        help_text="The unit of the charging profiles sent to it; empty: what the charger reported "
        "(ChargingScheduleAllowedChargingRateUnit), else A.",
    )
    reported_rate_units = models.CharField(
        max_length=50, blank=True, help_text="ChargingScheduleAllowedChargingRateUnit, as last read from the charger."
    )
    min_current = models.FloatField(default=6.0, help_text="A per phase: below this a connector cannot charge.")
    max_current = models.FloatField(default=32.0, help_text="A per phase: the most a connector can draw.")

    # Presence. `channel_name` is the channel-layer address of the consumer holding the
    # socket; empty means offline. Commands are routed to it from any process.
    channel_name = models.CharField(max_length=200, blank=True, editable=False)
    ocpp_protocol = models.CharField(max_length=16, blank=True)
    remote_address = models.CharField(max_length=64, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    last_heartbeat_at = models.DateTimeField(null=True, blank=True)
    ocpp_version_pinned = models.CharField(
        "pinned OCPP version",
        max_length=16,
        blank=True,
        choices=[("ocpp1.6", "OCPP 1.6J"), ("ocpp2.0.1", "OCPP 2.0.1"), ("ocpp2.1", "OCPP 2.1")],
        help_text="Only this subprotocol is accepted. Empty: the newest the charger offers.",
    )
    # Deleting a charger keeps its row and history (chargers/services/registry.py): it is only marked.
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = RegisteredChargers()
    everything = models.Manager()  # noqa: DJ012  (a manager, not a field)

    class Meta:
        ordering = ["charge_box_id"]

    def __str__(self) -> str:
        return self.charge_box_id

    @property
    def is_online(self) -> bool:
        return bool(self.channel_name)

    @property
    def status(self) -> str:
        return "online" if self.is_online else "offline"

    @property
    def has_evses(self) -> bool:
        """OCPP 2.0.1 and 2.1 number connectors within EVSEs; a 1.6 charger's EVSE is just its connector."""
        return self.ocpp_protocol in self.WITH_EVSES

    @property
    def rate_unit(self) -> str:
        """The unit its charging profiles are sent in: set by the operator, else as reported, else A."""
        if self.charging_rate_unit:
            return self.charging_rate_unit
        reported = self.reported_rate_units.lower()
        return "W" if reported and "current" not in reported and "power" in reported else "A"

    @property
    def connection_url(self) -> str:
        return f"{settings.CSMS_PUBLIC_WS_URL}/{self.charge_box_id}"

    @property
    def subprotocols(self) -> list[str]:
        """The subprotocols it may connect with, preferred first: the pinned one alone, if any."""
        return [self.ocpp_version_pinned] if self.ocpp_version_pinned else list(self.SUBPROTOCOLS)

    def set_password(self, password: str | None) -> None:
        self.password_digest = secret_digest(password) if password else ""

    def password_matches(self, password: str | None) -> bool:
        if not self.password_digest:
            return True
        return password is not None and secret_matches(password, self.password_digest)


EVSE_HELP = "OCPP 2.0.1 EVSE; for OCPP 1.6 the same as the connector."


class Connector(models.Model):
    """Connector 0 is the charger itself (OCPP 1.6). A 2.0.1 connector is numbered within its EVSE."""

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="connectors", **LEADS_AN_INDEX)
    evse_id = models.PositiveIntegerField("EVSE", default=0, help_text=EVSE_HELP)
    connector_id = models.PositiveIntegerField()
    status = models.CharField(max_length=20, blank=True)
    error_code = models.CharField(max_length=50, blank=True)
    info = models.CharField(max_length=50, blank=True)
    vendor_error_code = models.CharField(max_length=50, blank=True)
    status_at = models.DateTimeField(
        null=True, blank=True, help_text="When the charger says the status began (its own clock)."
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["charger", "evse_id", "connector_id"]
        constraints = [
            models.UniqueConstraint(fields=["charger", "evse_id", "connector_id"], name="connector_evse_unique")
        ]

    def __str__(self) -> str:
        return f"{self.charger_id}/{self.connector_id}"

    @property
    def evse(self) -> int | None:
        """The EVSE as the API shows it: OCPP 2.0.1's, None for a 1.6 charger."""
        return self.evse_id if self.charger.has_evses else None


class StatusNotification(models.Model):
    charger = models.ForeignKey(
        Charger, on_delete=models.CASCADE, related_name="status_notifications", **LEADS_AN_INDEX
    )
    evse_id = models.PositiveIntegerField("EVSE", default=0, help_text=EVSE_HELP)
    connector_id = models.PositiveIntegerField()
    status = models.CharField(max_length=20)
    error_code = models.CharField(max_length=50)
    info = models.CharField(max_length=50, blank=True)
    vendor_id = models.CharField(max_length=255, blank=True)
    vendor_error_code = models.CharField(max_length=50, blank=True)
    timestamp = models.DateTimeField(null=True, blank=True, help_text="As reported by the charger.")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["charger", "connector_id", "-received_at"])]

    def __str__(self) -> str:
        return f"{self.charger_id}/{self.connector_id} {self.status}"


class DataTransfer(models.Model):
    class Direction(models.TextChoices):
        INCOMING = "incoming"
        OUTGOING = "outgoing"

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="data_transfers")
    direction = models.CharField(max_length=8, choices=Direction.choices)
    vendor_id = models.CharField(max_length=255)
    message_id = models.CharField(max_length=50, blank=True)
    data = models.TextField(blank=True)
    response_status = models.CharField(max_length=20, blank=True)
    response_data = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.direction} {self.vendor_id} {self.message_id}".strip()


REFUSAL_HELP = "Why the job ended NotSent: the charger's answer (InvalidCertificate, ...) or the command's failure."


class ChargerJob(models.Model):
    """A job a command started on a charger (firmware, diagnostics), followed through the charger's status
    notifications: open until its status is one of FINAL."""

    FINAL: tuple[str, ...] = ()

    command = models.ForeignKey("commands.Command", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    location = models.CharField(max_length=512)
    refusal = models.CharField(max_length=255, blank=True, help_text=REFUSAL_HELP)
    triggered_at = models.DateTimeField(null=True, blank=True, help_text="When we asked for a status.")
    last_status_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @property
    def is_open(self) -> bool:
        return self.status not in self.FINAL


class FirmwareJob(ChargerJob):
    """One UpdateFirmware, followed through the charger's FirmwareStatusNotifications to the next boot."""

    class Status(models.TextChoices):
        SCHEDULED = "Scheduled", "scheduled (charger accepted)"
        DOWNLOAD_SCHEDULED = "DownloadScheduled"
        DOWNLOADING = "Downloading"
        DOWNLOAD_PAUSED = "DownloadPaused"
        DOWNLOADED = "Downloaded"
        DOWNLOAD_FAILED = "DownloadFailed"
        SIGNATURE_VERIFIED = "SignatureVerified"
        INVALID_SIGNATURE = "InvalidSignature"
        INSTALL_SCHEDULED = "InstallScheduled"
        INSTALLING = "Installing"
        INSTALL_REBOOTING = "InstallRebooting"
        INSTALLED = "Installed"
        INSTALLATION_FAILED = "InstallationFailed"
        INSTALL_VERIFICATION_FAILED = "InstallVerificationFailed"
        IDLE = "Idle"
        TIMED_OUT = "TimedOut"
        CONFIRMED = "Confirmed", "confirmed by the boot into the new version"
        VERSION_UNCHANGED = "VersionUnchanged", "rebooted with the old version"
        NOT_SENT = "NotSent", "not accepted by the charger"

    FAILED = ("DownloadFailed", "InvalidSignature", "InstallationFailed", "InstallVerificationFailed")
    FINAL = (*FAILED, "TimedOut", "Confirmed", "VersionUnchanged", "NotSent")
    # From Downloaded on, a boot may be the one into the new firmware: a 1.6 charger boots after it
    # reports Installed, a 2.0.1 station after InstallRebooting and before Installed.
    INSTALLATION = (
        "Downloaded", "SignatureVerified", "InstallScheduled", "Installing", "InstallRebooting", "Installed"
    )  # fmt: skip

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="firmware_jobs")
    retrieve_date = models.DateTimeField()
    retries = models.PositiveIntegerField(null=True, blank=True)
    retry_interval = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds.")
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.SCHEDULED)
    firmware_version_before = models.CharField(max_length=50, blank=True)
    firmware_version_after = models.CharField(max_length=50, blank=True)
    rebooted_at = models.DateTimeField(null=True, blank=True, help_text="Latest boot during the installation.")

    class Meta(ChargerJob.Meta):
        indexes = [models.Index(fields=["status", "retrieve_date"])]

    def __str__(self) -> str:
        return f"{self.charger_id} firmware {self.location} ({self.status})"


class DiagnosticsJob(ChargerJob):
    """One GetDiagnostics, followed through DiagnosticsStatusNotifications; the file when it is sent to us."""

    class Status(models.TextChoices):
        REQUESTED = "Requested", "requested (charger accepted)"
        UPLOADING = "Uploading"
        UPLOADED = "Uploaded"
        UPLOAD_FAILED = "UploadFailed"
        IDLE = "Idle"
        TIMED_OUT = "TimedOut"
        NO_FILE = "NoFile", "charger has nothing to upload"
        NOT_SENT = "NotSent", "not accepted by the charger"

    FINAL = ("Uploaded", "UploadFailed", "TimedOut", "NoFile", "NotSent")

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="diagnostics_jobs")
    file_name = models.CharField(max_length=255, blank=True, help_text="As the charger announced it.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    upload_token_digest = models.CharField(max_length=128, blank=True, editable=False)
    file = models.FileField(upload_to="diagnostics/%Y/%m/", blank=True)
    uploaded_at = models.DateTimeField(null=True, blank=True)

    class Meta(ChargerJob.Meta):
        verbose_name = "diagnostics job"

    def __str__(self) -> str:
        return f"{self.charger_id} diagnostics ({self.status})"


class JobStatus(models.Model):
    """A status notification about a firmware or diagnostics job, as the charger sent it."""

    status = models.CharField(max_length=30)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return self.status


class FirmwareStatus(JobStatus):
    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="firmware_statuses")
    job = models.ForeignKey(FirmwareJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="history")

    class Meta(JobStatus.Meta):
        verbose_name_plural = "firmware statuses"


class DiagnosticsStatus(JobStatus):
    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="diagnostics_statuses")
    job = models.ForeignKey(DiagnosticsJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="history")

    class Meta(JobStatus.Meta):
        verbose_name_plural = "diagnostics statuses"


class ChargerNotification(models.Model):
    """What a charger notifies beyond sessions and status (events, security events, charging limits,
    EV charging needs, reservation updates), kept as reported."""

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="notifications", **LEADS_AN_INDEX)
    action = models.CharField(max_length=40, help_text="The OCPP action, e.g. SecurityEventNotification.")
    kind = models.CharField(max_length=60, blank=True, help_text="Its type, trigger or status, for filtering.")
    evse_id = models.PositiveIntegerField(null=True, blank=True)
    timestamp = models.DateTimeField(null=True, blank=True, help_text="As reported by the charger.")
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["charger", "action", "-received_at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.kind}".strip()


# What names one attribute of one variable of a charger's device model (OCPP 2.0.1).
DEVICE_VARIABLE_KEY = (
    "component",
    "component_instance",
    "evse_id",
    "connector_id",
    "variable",
    "variable_instance",
    "attribute_type",
)


class DeviceVariable(models.Model):
    """OCPP 2.0.1 device model: one attribute of one variable of one component, as last reported."""

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="device_variables", **LEADS_AN_INDEX)
    component = models.CharField(max_length=50)
    component_instance = models.CharField(max_length=50, blank=True)
    evse_id = models.PositiveIntegerField(default=0, help_text="0: the charging station as a whole.")
    connector_id = models.PositiveIntegerField(default=0, help_text="0: the whole EVSE.")
    variable = models.CharField(max_length=50)
    variable_instance = models.CharField(max_length=50, blank=True)
    attribute_type = models.CharField(max_length=10, default="Actual")
    value = models.CharField(max_length=2500, blank=True)
    mutability = models.CharField(max_length=10, blank=True)
    persistent = models.BooleanField(null=True, blank=True)
    constant = models.BooleanField(null=True, blank=True)
    data_type = models.CharField(max_length=20, blank=True)
    unit = models.CharField(max_length=16, blank=True)
    characteristics = models.JSONField(default=dict, blank=True)
    report_request_id = models.IntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["charger", "component", "component_instance", "evse_id", "variable", "variable_instance"]
        constraints = [
            models.UniqueConstraint(
                fields=["charger", *DEVICE_VARIABLE_KEY],
                name="device_variable_unique",
            )
        ]

    def __str__(self) -> str:
        component = f"{self.component}[{self.component_instance}]" if self.component_instance else self.component
        variable = f"{self.variable}[{self.variable_instance}]" if self.variable_instance else self.variable
        return f"{component}.{variable}"


class UnknownCharger(models.Model):
    """A chargeBoxId that tried to connect without being registered."""

    charge_box_id = models.CharField(max_length=255, unique=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    remote_address = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return self.charge_box_id


class PeriodicEventStream(models.Model):
    """An OCPP 2.1 periodic event stream: a charger sends a monitored variable's values in batches, unanswered."""

    # Led by event_stream_unique (charger, stream_id): no index of its own.
    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="event_streams", db_index=False)
    stream_id = models.PositiveIntegerField(help_text="The charger's id of the stream.")
    variable_monitoring_id = models.PositiveIntegerField(help_text="The monitor whose values it streams.")
    params = models.JSONField(default=dict, blank=True, help_text="interval (s) and values per batch, as last agreed.")
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["charger", "-opened_at"]
        constraints = [models.UniqueConstraint(fields=["charger", "stream_id"], name="event_stream_unique")]

    def __str__(self) -> str:
        return f"{self.charger_id} stream {self.stream_id}"


class PeriodicEventStreamValue(models.Model):
    """One value of a stream, at the time the charger recorded it."""

    stream = models.ForeignKey(PeriodicEventStream, on_delete=models.CASCADE, related_name="values")
    timestamp = models.DateTimeField()
    value = models.CharField(max_length=2500)

    class Meta:
        ordering = ["stream", "timestamp", "id"]

    def __str__(self) -> str:
        return f"{self.timestamp:%Y-%m-%d %H:%M:%S} {self.value}"
