"""The security endpoints' bodies and outputs. Field names are OCPP's camelCase; where 1.6 and 2.0.1 name a
thing differently the API takes either (1.6's CentralSystemRootCertificate is 2.0.1's CSMSRootCertificate).
A field the endpoint does not know is refused, naming it."""

from rest_framework import serializers

from chargers.api.serializers import StrictSerializer
from commands.api.serializers import FirmwareUpdateInput, Timestamp, connector, retry_fields, upload_location

ROOT_CERTIFICATE_TYPES = (
    "CentralSystemRootCertificate",
    "CSMSRootCertificate",
    "ManufacturerRootCertificate",
    "V2GRootCertificate",
    "MORootCertificate",
)
INSTALLED_CERTIFICATE_TYPES = (*ROOT_CERTIFICATE_TYPES, "V2GCertificateChain")
EXTENDED_TRIGGERS = (
    "BootNotification",
    "LogStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "SignChargePointCertificate",
    "StatusNotification",
)
PEM_MAX = 5500  # InstallCertificate's certificate: at most 5500 characters in both versions


class CertificateInstallInput(StrictSerializer):
    certificateType = serializers.ChoiceField(
        ROOT_CERTIFICATE_TYPES, help_text="1.6: CentralSystemRootCertificate or ManufacturerRootCertificate."
    )
    certificate = serializers.CharField(max_length=PEM_MAX, trim_whitespace=False, help_text="PEM.")


class CertificateHashData(serializers.Serializer):
    """Nested, so it checks its own keys (StrictSerializer reads a top-level body)."""

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        if unknown:
            raise serializers.ValidationError({unknown[0]: f"Unknown field; the fields are {', '.join(self.fields)}."})
        return super().to_internal_value(data)

    hashAlgorithm = serializers.ChoiceField(["SHA256", "SHA384", "SHA512"])
    issuerNameHash = serializers.CharField(max_length=128)
    issuerKeyHash = serializers.CharField(max_length=128)
    serialNumber = serializers.CharField(max_length=40)


class CertificateDeleteInput(StrictSerializer):
    certificateHashData = CertificateHashData(help_text="As GetInstalledCertificateIds lists it.")


class CertificateIdsInput(StrictSerializer):
    certificateType = serializers.ChoiceField(INSTALLED_CERTIFICATE_TYPES)


class CertificateSignedInput(StrictSerializer):
    certificateChain = serializers.CharField(
        max_length=10000, trim_whitespace=False, help_text="PEM: the certificate, then its sub-CAs."
    )
    certificateType = serializers.ChoiceField(
        ["ChargingStationCertificate", "V2GCertificate"], required=False, help_text="2.0.1 only."
    )


class LogInput(StrictSerializer):
    logType = serializers.ChoiceField(["DiagnosticsLog", "SecurityLog"], default="DiagnosticsLog")
    location = upload_location("log", "kept with the diagnostics jobs")
    oldestTimestamp = Timestamp(required=False)
    latestTimestamp = Timestamp(required=False)
    retries, retryInterval = retry_fields()


class SignedFirmwareInput(FirmwareUpdateInput):
    installDate = Timestamp(required=False, help_text="When the charger may install it.")
    signingCertificate = serializers.CharField(
        max_length=PEM_MAX, trim_whitespace=False, help_text="PEM of the firmware signer."
    )
    signature = serializers.CharField(max_length=800, help_text="Base64 signature of the firmware file.")


class ExtendedTriggerInput(StrictSerializer):
    requestedMessage = serializers.ChoiceField(EXTENDED_TRIGGERS)
    connectorId = connector(required=False, min_value=1)


class SecurityEventOutput(serializers.Serializer):
    type = serializers.CharField()
    timestamp = serializers.DateTimeField()
    techInfo = serializers.CharField(source="tech_info")
    critical = serializers.BooleanField()
    receivedAt = serializers.DateTimeField(source="received_at")


class IssuedCertificateOutput(serializers.Serializer):
    certificateType = serializers.CharField(source="certificate_type")
    serialNumber = serializers.CharField(source="serial", help_text="Hexadecimal.")
    subject = serializers.CharField()
    notBefore = serializers.DateTimeField(source="not_before")
    notAfter = serializers.DateTimeField(source="not_after")
    delivery = serializers.CharField(help_text="Pending, Accepted, Rejected (by the charger) or Failed (not sent).")
    commandId = serializers.CharField(source="command_id", help_text="The CertificateSigned command.")
    createdAt = serializers.DateTimeField(source="created_at")


class SecurityProfileInput(StrictSerializer):
    # A number from 1 to 3, not an enum: the same choices as a charger's phases would share its schema name.
    securityProfile = serializers.IntegerField(
        min_value=1,
        max_value=3,
        help_text="1: password; 2: TLS through the proxy + password; 3: TLS + client certificate.",
    )


class PasswordRotated(serializers.Serializer):
    chargeBoxId = serializers.CharField()
    commandId = serializers.CharField()
    message = serializers.CharField()
    status = serializers.CharField(help_text="The charger's answer; the password changes only when Accepted.")
    password = serializers.CharField(
        allow_null=True, help_text="The new password, shown this once (stored hashed); null unless Accepted."
    )


class SecurityProfileOutput(SecurityProfileInput):
    upgradeTo = serializers.IntegerField(
        allow_null=True, help_text="The profile the charger is being moved to (security-profile/upgrade), or null."
    )
    upgradeDeadline = serializers.DateTimeField(
        allow_null=True, help_text="Until when it may reconnect on upgradeTo; after it, it stays on securityProfile."
    )
    upgradeResult = serializers.CharField(help_text="How the latest upgrade ended (upgraded, fell back, refused).")


class SecurityProfileUpgraded(SecurityProfileOutput):
    commandId = serializers.CharField(help_text="The command that told the charger (2.0.1: SetNetworkProfile).")
    message = serializers.CharField()
    status = serializers.CharField(help_text="The charger's answer; the window opens only when Accepted.")
