"""The security endpoints: commands (rows of the command endpoints' own table shape) and what we keep."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers as drf
from rest_framework.response import Response
from rest_framework.views import APIView

from chargers.models import Charger
from commands.api import serializers as s
from commands.api.views import (
    ERRORS,
    READ_ERRORS,
    Endpoint,
    charger_of,
    command_view,
    reply,
    requester_of,
    validated,
)
from pki import passwords, profiles, services
from pki.api import serializers as ps
from pki.models import IssuedCertificate, SecurityEvent

ACCEPTED = {"status": "Accepted", "response": {"status": "Accepted"}}

ENDPOINTS = [
    Endpoint(
        "certificates/install", "certificate_install", ps.CertificateInstallInput,
        reply("CertificateInstallReply", "InstallCertificate", status=s.status("Accepted", "Rejected", "Failed")),
        "Install a root certificate on the charger",
        {"certificateType": "CentralSystemRootCertificate", "certificate": "-----BEGIN CERTIFICATE-----\n..."},
        {"message": "Installation of a CentralSystemRootCertificate accepted by charger", **ACCEPTED},
    ),
    Endpoint(
        "certificates/delete", "certificate_delete", ps.CertificateDeleteInput,
        reply("CertificateDeleteReply", "DeleteCertificate", status=s.status("Accepted", "Failed", "NotFound")),
        "Delete a certificate from the charger",
        {"certificateHashData": {"hashAlgorithm": "SHA256", "issuerNameHash": "5f0c...", "issuerKeyHash": "9a1b...",
                                 "serialNumber": "1f"}},
        {"message": "Deletion of certificate 1f: Accepted", **ACCEPTED},
    ),
    Endpoint(
        "certificates/installed", "certificate_ids_get", ps.CertificateIdsInput,
        reply("CertificateIdsReply", "GetInstalledCertificateIds", status=s.status("Accepted", "NotFound"),
              certificates=drf.ListField(child=drf.DictField(), help_text="{hashAlgorithm, issuerNameHash, "
                                         "issuerKeyHash, serialNumber}; 2.0.1 adds certificateType.")),
        "List the certificates installed on the charger", {"certificateType": "CentralSystemRootCertificate"},
        {"message": "1 installed CentralSystemRootCertificate certificates", "status": "Accepted",
         "certificates": [{"hashAlgorithm": "SHA256", "issuerNameHash": "5f0c...", "issuerKeyHash": "9a1b...",
                           "serialNumber": "1f"}],
         "response": {"status": "Accepted", "certificateHashData": [
             {"hashAlgorithm": "SHA256", "issuerNameHash": "5f0c...", "issuerKeyHash": "9a1b...",
              "serialNumber": "1f"}]}},
    ),
    Endpoint(
        "certificates/signed", "certificate_signed", ps.CertificateSignedInput,
        reply("CertificateSignedReply", "CertificateSigned", status=s.status("Accepted", "Rejected")),
        "Send the charger a signed certificate chain",
        {"certificateChain": "-----BEGIN CERTIFICATE-----\n..."},
        {"message": "Signed certificate accepted by charger", **ACCEPTED},
        description="The CSMS does this itself after a SignCertificate; this sends a chain signed elsewhere.",
    ),
    Endpoint(
        "certificates/renew", "certificate_renew", s.Empty,
        reply("CertificateRenewReply", "ExtendedTriggerMessage", status=s.status("Accepted", "Rejected",
                                                                                  "NotImplemented")),
        "Ask the charger for a new certificate signing request", {},
        {"message": "Request for a new certificate signing request accepted by charger", **ACCEPTED},
        description="1.6: ExtendedTriggerMessage SignChargePointCertificate; 2.0.1: TriggerMessage "
        "SignChargingStationCertificate. The CSR that follows is checked, signed and sent back.",
    ),
    Endpoint(
        "log", "log_get", ps.LogInput,
        reply("LogReply", "GetLog", status=s.status("Accepted", "Rejected", "AcceptedCanceled"),
              fileName=drf.CharField(allow_null=True), requestId=drf.IntegerField()),
        "Ask the charger to upload its diagnostics or security log", {"logType": "SecurityLog"},
        {"message": "SecurityLog upload to http://csms.example.com/diagnostics/upload/7/... accepted by charger "
         "as security.log", "status": "Accepted", "fileName": "security.log", "requestId": 123,
         "response": {"status": "Accepted", "filename": "security.log"}},
        description="A tracked job, like diagnostics: GET /chargers/{chargeBoxId}/diagnostics lists it with the "
        "charger's LogStatusNotifications.",
    ),
    Endpoint(
        "firmware/signed", "firmware_update_signed", ps.SignedFirmwareInput,
        reply("SignedFirmwareReply", "SignedUpdateFirmware",
              status=s.status("Accepted", "Rejected", "AcceptedCanceled", "InvalidCertificate", "RevokedCertificate"),
              requestId=drf.IntegerField(), location=drf.CharField()),
        "Update the charger's firmware with a signed image",
        {"location": "https://fw.example.com/7.2.bin", "retrieveDate": "2026-12-08T02:00:00Z",
         "signingCertificate": "-----BEGIN CERTIFICATE-----\n...", "signature": "MEUCIQ..."},
        {"message": "Signed firmware update from https://fw.example.com/7.2.bin accepted by charger",
         "status": "Accepted", "requestId": 123, "location": "https://fw.example.com/7.2.bin",
         "response": {"status": "Accepted"}},
        description="1.6: SignedUpdateFirmware; 2.0.1: UpdateFirmware with the signature. A tracked job: GET "
        "/chargers/{chargeBoxId}/firmware lists it; a refusal (InvalidCertificate, ...) ends it as NotSent.",
    ),
    Endpoint(
        "trigger/extended", "extended_trigger", ps.ExtendedTriggerInput,
        reply("ExtendedTriggerReply", "ExtendedTriggerMessage", status=s.status("Accepted", "Rejected",
                                                                                 "NotImplemented")),
        "Ask the charger to send a message now (the security extension's triggers)",
        {"requestedMessage": "LogStatusNotification"},
        {"message": "Trigger of LogStatusNotification accepted by charger", **ACCEPTED},
        description="1.6: ExtendedTriggerMessage; 2.0.1: TriggerMessage (SignChargePointCertificate becomes "
        "SignChargingStationCertificate).",
    ),
]  # fmt: skip

# Shorter than the summaries, for the admin's buttons and action menu.
LABELS = {
    "certificate_install": "Install certificate",
    "certificate_delete": "Delete certificate",
    "certificate_ids_get": "Installed certificates",
    "certificate_signed": "Send signed certificate",
    "certificate_renew": "Renew certificate",
    "log_get": "Get log",
    "firmware_update_signed": "Signed firmware update",
    "extended_trigger": "Extended trigger",
}
VIEWS = [(endpoint.path, command_view(endpoint)) for endpoint in ENDPOINTS]


class SecurityEventsView(APIView):
    @extend_schema(
        operation_id="security_events_list", summary="The charger's security events, newest first", tags=["security"],
        responses={200: ps.SecurityEventOutput(many=True), **READ_ERRORS},
    )  # fmt: skip
    def get(self, request, chargeBoxId: str) -> Response:
        charger = charger_of(request, chargeBoxId)
        events = SecurityEvent.objects.filter(charger=charger)[:500]
        return Response(ps.SecurityEventOutput(events, many=True).data)


class IssuedCertificatesView(APIView):
    @extend_schema(
        operation_id="issued_certificates_list", summary="Certificates the CSMS signed for the charger, newest first",
        tags=["security"], responses={200: ps.IssuedCertificateOutput(many=True), **READ_ERRORS},
    )  # fmt: skip
    def get(self, request, chargeBoxId: str) -> Response:
        charger = charger_of(request, chargeBoxId)
        return Response(ps.IssuedCertificateOutput(IssuedCertificate.objects.filter(charger=charger), many=True).data)


def profile_asked(request, charge_box_id: str) -> tuple[Charger, int]:
    """The caller's charger and the security profile the body asks it to meet (else a 404 or a 400)."""
    charger = charger_of(request, charge_box_id)
    return charger, validated(ps.SecurityProfileInput, request.data)["securityProfile"]


class SecurityProfileView(APIView):
    @extend_schema(
        operation_id="security_profile_get", summary="The charger's security profile, and an upgrade under way",
        tags=["security"], responses={200: ps.SecurityProfileOutput, **READ_ERRORS},
    )  # fmt: skip
    def get(self, request, chargeBoxId: str) -> Response:
        charger = charger_of(request, chargeBoxId)
        return Response(ps.SecurityProfileOutput(profiles.upgrade_state(charger=charger)).data)

    @extend_schema(
        operation_id="security_profile_set", summary="Set the security profile the charger must meet",
        description="Enforced from the charger's next connection: 2 and 3 need TLS through a proxy listed in "
        "CSMS_TRUSTED_PROXIES; 3 needs a client certificate whose CN is the chargeBoxId. The charger is not told "
        "(security-profile/upgrade tells it); an upgrade under way is called off.",
        tags=["security"], request=ps.SecurityProfileInput, responses={200: ps.SecurityProfileInput, **READ_ERRORS},
    )  # fmt: skip
    def put(self, request, chargeBoxId: str) -> Response:
        charger, profile = profile_asked(request, chargeBoxId)
        return Response({"securityProfile": services.security_profile_set(charger=charger, profile=profile)})


class PasswordRotateView(APIView):
    @extend_schema(
        operation_id="password_rotate", summary="Give the charger a new password", tags=["security"],
        description="A random password goes to the charger (1.6: ChangeConfiguration AuthorizationKey; 2.0.1: "
        "SetVariables SecurityCtrlr.BasicAuthPassword). Only when the charger accepts does it replace the old "
        "one for its next connection; it is shown in this answer once and kept hashed. The command log and the "
        "message log keep ******** instead.",
        request=None, responses={200: ps.PasswordRotated, **ERRORS},
    )  # fmt: skip
    def post(self, request, chargeBoxId: str) -> Response:
        charger = charger_of(request, chargeBoxId)
        answer = passwords.charger_password_rotate(charger=charger, requester=requester_of(request))
        return Response(ps.PasswordRotated(answer).data)


class SecurityProfileUpgradeView(APIView):
    @extend_schema(
        operation_id="security_profile_upgrade", summary="Move the charger to a higher security profile",
        description="1.6: ChangeConfiguration SecurityProfile; 2.0.1 and 2.1: SetNetworkProfile (this CSMS at "
        "CSMS_PUBLIC_WS_URL, in the slot after the station's), that slot first in "
        "OCPPCommCtrlr.NetworkConfigurationPriority, and a Reset OnIdle. The charger reconnects on the new profile; "
        "until CSMS_PROFILE_UPGRADE_WINDOW seconds have passed it may connect on either, and its first connection "
        "on the new one makes it its profile. Without one, it stays on its old profile (upgradeResult says so). "
        "Profile 3 needs a client certificate the charger accepted (SignCertificate). 2.0.1 and 2.1 are moved to "
        "profile 2 or 3 only while CSMS_PUBLIC_WS_URL is a wss:// address (else 400 naming securityProfile).",
        tags=["security"], request=ps.SecurityProfileInput, responses={200: ps.SecurityProfileUpgraded, **ERRORS},
    )  # fmt: skip
    def post(self, request, chargeBoxId: str) -> Response:
        charger, profile = profile_asked(request, chargeBoxId)
        answer = profiles.security_profile_upgrade(charger=charger, profile=profile, requester=requester_of(request))
        return Response(ps.SecurityProfileUpgraded(answer).data)
