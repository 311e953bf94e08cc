"""OCPP 1.6J Security Whitepaper: the security commands' rows of the 1.6 table (ocpp_ws/v16/commands.py).

The 1.6 messages' own names (SignedUpdateFirmware, ExtendedTriggerMessage, the AuthorizationKey
key); the rows both versions share are in ocpp_ws/security_commands.py.
"""

from commands.neutral import pick
from ocpp_ws import security_commands as shared
from ocpp_ws.translations import Call, echoing

# Root certificate kinds by the 2.0.1 names the API also accepts.
CERTIFICATE_TYPES = {"CSMSRootCertificate": "CentralSystemRootCertificate"}

# The configuration key a charger's HTTP Basic password is set with (never kept or logged in clear).
PASSWORD_KEY = "AuthorizationKey"
# The whitepaper's key that moves a charger to a higher profile: it reconnects on it, or falls back.
PROFILE_KEY = "SecurityProfile"

CALLS = {
    "password_set": Call("ChangeConfiguration", lambda p: {"key": PASSWORD_KEY, "value": p["password"]}, echoing()),
    "security_profile_upgrade": Call(
        "ChangeConfiguration", lambda p: {"key": PROFILE_KEY, "value": str(p["securityProfile"])}, echoing()
    ),
    "certificate_signed": Call("CertificateSigned", lambda p: pick(p, "certificateChain")),
    "certificate_renew": Call("ExtendedTriggerMessage", lambda p: {"requestedMessage": "SignChargePointCertificate"}),
    "certificate_install": shared.certificate_install(CERTIFICATE_TYPES),
    "certificate_delete": shared.CERTIFICATE_DELETE,
    "certificate_ids_get": Call(
        "GetInstalledCertificateIds",
        lambda p: {"certificateType": shared.certificate_type(p, CERTIFICATE_TYPES)},
        lambda p, r: {"status": r.get("status"), "certificates": list(r.get("certificateHashData") or [])},
    ),
    "log_get": shared.LOG_GET,
    "firmware_update_signed": Call("SignedUpdateFirmware", shared.signed_firmware_update, shared.signed_firmware_reply),
    "extended_trigger": Call("ExtendedTriggerMessage", lambda p: pick(p, "requestedMessage", "connectorId")),
}
