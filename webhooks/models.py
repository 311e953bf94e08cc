"""Integrators' webhooks: where to POST which events, and every attempt to deliver one."""

import uuid

from django.db import models
from django.utils import timezone

from accounts.models import Organisation
from csms.indexes import LEADS_AN_INDEX

EVENTS = (
    "charger.connected",
    "charger.disconnected",
    "charger.boot",
    "connector.status",
    "transaction.started",
    "transaction.stopped",
    "command.completed",
    "firmware.status",
    "diagnostics.status",
    "reservation.status",
    "charger.security_event",
    "cdr.created",
)


class Webhook(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="webhooks", **LEADS_AN_INDEX)
    url = models.URLField(max_length=500)
    # Encrypted (webhooks/secrets.py): the secret must be readable to sign with, so it cannot be hashed.
    secret_encrypted = models.TextField(editable=False)
    events = models.JSONField(default=list, help_text="Event names this webhook receives.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["organisation", "active"])]

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    """One attempt to deliver one event; the attempts of an event share its `event_id`."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries", **LEADS_AN_INDEX)
    event_id = models.UUIDField(default=uuid.uuid4)
    event = models.CharField(max_length=40)
    attempt = models.PositiveIntegerField(default=1)
    body = models.TextField(help_text="Exactly the bytes sent (and signed).")
    timestamp = models.BigIntegerField(help_text="X-CSMS-Timestamp: unix seconds.")
    response_status = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=255, blank=True)
    succeeded = models.BooleanField(default=False)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="Empty when this was the last try.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["webhook", "-created_at"]), models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.event} #{self.attempt} → {self.response_status or self.error or '…'}"
