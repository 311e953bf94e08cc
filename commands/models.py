import uuid
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import ApiKey, Organisation
from chargers.models import Charger
from csms.indexes import LEADS_AN_INDEX

# The id the next Command row created in this context takes (see `command_id_reserved`).
_reserved_id: ContextVar[uuid.UUID | None] = ContextVar("command_id_reserved", default=None)


def command_id_new() -> uuid.UUID:
    return _reserved_id.get() or uuid.uuid4()


@contextmanager
def command_id_reserved(command_id: uuid.UUID):
    """The Command the bus creates inside this block gets `command_id`: callers that answer before
    the command is sent (async commands) or after it failed (command.completed) know its id."""
    token = _reserved_id.set(command_id)
    try:
        yield command_id
    finally:
        _reserved_id.reset(token)


class Command(models.Model):
    """One request the CSMS sent (or tried to send) to a charger, and what came of it.

    The id is also the OCPP message id of the CALL, so a late answer finds its row.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        ANSWERED = "answered"
        ERROR = "error", "charger error"
        TIMEOUT = "timeout"
        OFFLINE = "offline"

    class Source(models.TextChoices):
        API = "api", "API key"
        ADMIN = "admin", "admin user"
        CLI = "cli", "command line"
        TASK = "task", "background task"

    id = models.UUIDField(primary_key=True, default=command_id_new, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="commands")
    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="commands", **LEADS_AN_INDEX)
    action = models.CharField(max_length=50)
    request = models.JSONField(default=dict)
    source = models.CharField(max_length=10, choices=Source.choices)
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    requested_by = models.CharField(max_length=150, blank=True, help_text="Who asked, in words.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    response = models.JSONField(null=True, blank=True)
    error_code = models.CharField(max_length=50, blank=True)
    error_description = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    late_response = models.JSONField(null=True, blank=True, help_text="An answer that came after the timeout.")
    late_at = models.DateTimeField(null=True, blank=True)
    session = models.JSONField(
        null=True, blank=True,
        help_text="A remote start's: what the eMSP told of the session beside the token (emspPartyId, "
        "authorizationReference, vehicle, ...).",
    )  # fmt: skip

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["charger", "-created_at"]), models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.action} → {self.charger_id} ({self.status})"

    @property
    def answer_summary(self) -> str:
        """The answer in a few words, for lists: its status, else how much of what it holds, else why none came."""
        if self.response is None:
            return f"{self.error_code}: {self.error_description}"[:120] if self.error_code else ""
        if not isinstance(self.response, dict):
            return str(self.response)[:120]
        if isinstance(self.response.get("status"), str):
            return self.response["status"]
        parts = [
            f"{len(value)} {name}" if isinstance(value, list | dict) else f"{name} {value}"
            for name, value in self.response.items()
            if not (isinstance(value, list | dict) and not value)
        ]
        return ", ".join(parts)[:120] or "answered"


class FleetJob(models.Model):
    """One command run on many chargers, at most `concurrency` at a time."""

    class Status(models.TextChoices):
        RUNNING = "running"
        FINISHED = "finished"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="fleet_jobs")
    command = models.CharField(max_length=50, help_text="The command path of the API, e.g. firmware/update.")
    neutral_command = models.CharField(max_length=50, editable=False)
    params = models.JSONField(default=dict, help_text="The command's validated payload.")
    selection = models.JSONField(default=dict, help_text="chargeBoxIds or the filter, as asked.")
    concurrency = models.PositiveIntegerField(default=5)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0, help_text="Chargers that answered.")
    failed = models.PositiveIntegerField(default=0, help_text="Offline, timed out, charger error.")
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The operator who started it (console); kept on each command it sends.",
    )  # fmt: skip
    requested_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.command} on {self.total} chargers ({self.status})"

    @property
    def progress_text(self) -> str:
        """The words beside the progress bar; the console's live script writes the same ones."""
        return f"{self.done + self.failed} of {self.total} ({self.done} answered, {self.failed} failed)"


class FleetJobTarget(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    job = models.ForeignKey(FleetJob, on_delete=models.CASCADE, related_name="targets", **LEADS_AN_INDEX)
    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    command = models.ForeignKey(Command, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answer = models.JSONField(null=True, blank=True, help_text="The command's reply, as the API gives it.")
    error_code = models.CharField(max_length=50, blank=True)
    error = models.CharField(max_length=255, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["job", "status"])]

    def __str__(self) -> str:
        return f"{self.job_id}/{self.charger_id} {self.status}"
