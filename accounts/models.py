import secrets

from django.conf import settings
from django.db import models

from accounts.secrets import secret_digest, secret_matches

SCOPES = ("read:charge_points", "write:charge_points")


class Organisation(models.Model):
    class UnknownIdTagPolicy(models.TextChoices):
        REJECT = "reject", "reject (answer Invalid)"
        ACCEPT = "accept", "accept and record (free vend)"

    name = models.CharField(max_length=100, unique=True)
    unknown_id_tag_policy = models.CharField(
        "unknown id tags",
        max_length=10,
        choices=UnknownIdTagPolicy.choices,
        default=UnknownIdTagPolicy.REJECT,
        help_text="What Authorize and StartTransaction answer for an id tag the organisation does not know. "
        "Accepted unknown tags are recorded as auto-created id tags for an operator to review.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class ApiKey(models.Model):
    """An integrator's key. Stored as prefix + salted digest; the key is shown once."""

    PREFIX_LENGTH = 8

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=PREFIX_LENGTH, unique=True, editable=False)
    digest = models.CharField(max_length=128, editable=False)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.organisation})"

    @classmethod
    def generate(cls, *, organisation: Organisation, scopes: list[str], name: str = "") -> tuple["ApiKey", str]:
        """Create a key; returns the row and the plain key, which is never stored."""
        if not scopes:
            raise ValueError("an API key needs at least one scope: without one it can do nothing")
        while True:
            prefix = secrets.token_hex(cls.PREFIX_LENGTH // 2)
            if not cls.objects.filter(prefix=prefix).exists():
                break
        plain = f"csms_{prefix}_{secrets.token_urlsafe(32)}"
        key = cls.objects.create(
            organisation=organisation, name=name, prefix=prefix, digest=secret_digest(plain), scopes=list(scopes)
        )
        return key, plain

    @staticmethod
    def prefix_of(plain: str) -> str | None:
        parts = plain.split("_", 2)
        if len(parts) != 3 or parts[0] != "csms" or len(parts[1]) != ApiKey.PREFIX_LENGTH:
            return None
        return parts[1]

    def matches(self, plain: str) -> bool:
        return not self.revoked and secret_matches(plain, self.digest)


class Operator(models.Model):
    """Ties a staff user to one organisation: they see only its data. Staff without one see all."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="operator")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="operators")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"
