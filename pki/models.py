"""What the product keeps of chargers' security: the events they report and the certificates we issue them."""

from django.db import models
from django.utils import timezone

from chargers.models import Charger
from csms.indexes import LEADS_AN_INDEX


class SecurityEvent(models.Model):
    """One SecurityEventNotification (OCPP 1.6 Security Whitepaper, OCPP 2.0.1)."""

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="security_events", **LEADS_AN_INDEX)
    type = models.CharField(max_length=50)
    timestamp = models.DateTimeField(help_text="When the charger says it happened.")
    tech_info = models.CharField(max_length=255, blank=True)
    critical = models.BooleanField(default=False)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["charger", "-timestamp"], name="pki_security_event_charger"),
            models.Index(fields=["critical", "-received_at"], name="pki_security_event_critical"),
        ]

    def __str__(self) -> str:
        return f"{self.type} at {self.timestamp:%Y-%m-%d %H:%M:%S}"


class IssuedCertificate(models.Model):
    """A certificate signed for a charger from its CSR (SignCertificate), and what became of its delivery."""

    class Delivery(models.TextChoices):
        PENDING = "Pending", "not sent yet"
        ACCEPTED = "Accepted"
        REJECTED = "Rejected"
        FAILED = "Failed", "not delivered (offline, timeout, error)"

    charger = models.ForeignKey(Charger, on_delete=models.CASCADE, related_name="certificates", **LEADS_AN_INDEX)
    certificate_type = models.CharField(max_length=40, default="ChargingStationCertificate")
    serial = models.CharField(max_length=64, help_text="Hexadecimal.")
    subject = models.CharField(max_length=255)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    chain = models.TextField(help_text="PEM, as sent in CertificateSigned.")
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.PENDING)
    delivery_detail = models.CharField(max_length=255, blank=True)
    command_id = models.CharField(max_length=36, blank=True, help_text="The CertificateSigned command.")
    renewal_requested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["charger", "-created_at"], name="pki_certificate_charger"),
            models.Index(fields=["not_after"], name="pki_certificate_not_after"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} #{self.serial}"


class ChargerSecurity(models.Model):
    """How a charger must connect (OCPP security profiles). A charger without a row is on profile 1."""

    class Profile(models.IntegerChoices):
        BASIC = 1, "1: HTTP Basic password, no TLS required"
        TLS_BASIC = 2, "2: TLS through the proxy, and the password"
        TLS_CLIENT_CERTIFICATE = 3, "3: TLS through the proxy with a client certificate whose CN is the chargeBoxId"

    charger = models.OneToOneField(Charger, on_delete=models.CASCADE, related_name="security")
    security_profile = models.PositiveSmallIntegerField(choices=Profile.choices, default=Profile.BASIC)
    # An upgrade under way (pki/profiles.py): the charger may connect on either profile until the deadline;
    # its first connection on the new one makes it its profile, and without one it stays on the old.
    upgrade_to = models.PositiveSmallIntegerField(choices=Profile.choices, null=True, blank=True)
    upgrade_deadline = models.DateTimeField(null=True, blank=True)
    upgrade_result = models.CharField(max_length=255, blank=True, help_text="How the latest upgrade ended.")

    class Meta:
        verbose_name = "charger security profile"

    def __str__(self) -> str:
        return f"{self.charger} on profile {self.security_profile}"


class AuthLockout(models.Model):
    """A chargeBoxId or source address refused for a cool-down after too many failed passwords (pki/lockout.py).

    The counting lives in the cache (shared by all nodes on Redis); a row is written when a lockout begins.
    """

    class Kind(models.TextChoices):
        CHARGE_BOX_ID = "chargeBoxId"
        ADDRESS = "address", "source address"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    value = models.CharField(max_length=64)
    failures = models.PositiveIntegerField()
    locked_until = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "value"], name="pki_auth_lockout_value")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value} until {self.locked_until:%Y-%m-%d %H:%M:%S}"
