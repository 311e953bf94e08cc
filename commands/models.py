import uuid

from django.conf import settings
from django.db import models

from accounts.models import ApiKey, Organisation
from chargers.models import Charger


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

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="commands")
    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="commands")
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

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["charger", "-created_at"]), models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.action} → {self.charger_id} ({self.status})"
