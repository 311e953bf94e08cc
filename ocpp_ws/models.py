from django.db import models

from chargers.models import Charger
from csms.indexes import LEADS_AN_INDEX


class OcppMessage(models.Model):
    """One OCPP frame as it crossed a charger's socket, in or out (ocpp_ws/message_log.py records them)."""

    class Direction(models.TextChoices):
        IN = "in", "charger → CSMS"
        OUT = "out", "CSMS → charger"

    class MessageType(models.IntegerChoices):
        CALL = 2
        CALLRESULT = 3
        CALLERROR = 4

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="ocpp_messages", **LEADS_AN_INDEX)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    message_type = models.PositiveSmallIntegerField(
        choices=MessageType.choices, null=True, blank=True, help_text="None: not a valid OCPP-J frame."
    )
    action = models.CharField(max_length=50, blank=True, help_text="For answers, the action of the CALL answered.")
    unique_id = models.CharField("message id", max_length=64, blank=True)
    error_code = models.CharField(max_length=50, blank=True)
    frame = models.TextField(help_text="The frame exactly as sent or received.")
    at = models.DateTimeField(help_text="When the frame was received or sent.")

    class Meta:
        verbose_name = "OCPP message"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["charger", "-at"]), models.Index(fields=["unique_id"])]

    def __str__(self) -> str:
        return f"{self.direction} {self.action or self.get_message_type_display()} {self.unique_id}"
