"""OCPP 2.0.1 security blocks: the security commands' rows of the 2.0.1 table (ocpp_ws/v201/commands.py).

In 2.0.1 a password is a device-model variable, the certificate kinds of a query are a list and the
installed ones come back as chains; what both versions share is in ocpp_ws/security_commands.py.
"""

from commands.neutral import pick
from ocpp_ws import security_commands as shared
from ocpp_ws.translations import Call, echoing

# Root certificate kinds by the 1.6 names the API also accepts.
CERTIFICATE_TYPES = {"CentralSystemRootCertificate": "CSMSRootCertificate"}
TRIGGERS = {"SignChargePointCertificate": "SignChargingStationCertificate"}


def certificate_hashes(params: dict, response: dict) -> dict:
    """The chain of each installed certificate, flattened to 1.6's list: the certificate's kind beside its hash."""
    return {
        "status": response.get("status"),
        "certificates": [
            {"certificateType": chain["certificateType"], **chain["certificateHashData"]}
            for chain in response.get("certificateHashDataChain") or []
        ],
    }


# The device-model variable a station's HTTP Basic password is set in (never kept or logged in clear).
PASSWORD_VARIABLE = {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"}}
SECRET_VARIABLES = frozenset({"BasicAuthPassword"})


def network_profile(params: dict) -> dict:
    """The connection a station moves to (A05): this CSMS on the higher profile, in a slot of its own."""
    connection = {"ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": params["csmsUrl"],
                  "messageTimeout": params["messageTimeout"], "securityProfile": params["securityProfile"],
                  "ocppInterface": "Wired0"}  # fmt: skip
    return {"configurationSlot": params["configurationSlot"], "connectionData": connection}


CALLS = {
    # Then the slot first in OCPPCommCtrlr.NetworkConfigurationPriority and a reset (pki/profiles.py).
    "security_profile_upgrade": Call("SetNetworkProfile", network_profile, echoing("configurationSlot")),
    "password_set": Call(
        "SetVariables",
        lambda p: {"setVariableData": [PASSWORD_VARIABLE | {"attributeValue": p["password"]}]},
        lambda p, r: {"status": next(iter(r.get("setVariableResult") or []), {}).get("attributeStatus")},
    ),
    "certificate_signed": Call("CertificateSigned", lambda p: pick(p, "certificateChain", "certificateType")),
    "certificate_renew": Call("TriggerMessage", lambda p: {"requestedMessage": "SignChargingStationCertificate"}),
    "certificate_install": shared.certificate_install(CERTIFICATE_TYPES),
    "certificate_delete": shared.CERTIFICATE_DELETE,
    "certificate_ids_get": Call(
        "GetInstalledCertificateIds",
        lambda p: {"certificateType": [shared.certificate_type(p, CERTIFICATE_TYPES)]},
        certificate_hashes,
    ),
    "log_get": shared.LOG_GET,
    "firmware_update_signed": Call("UpdateFirmware", shared.signed_firmware_update, shared.signed_firmware_reply),
    "extended_trigger": Call(
        "TriggerMessage",
        lambda p: (
            {"requestedMessage": TRIGGERS.get(p["requestedMessage"], p["requestedMessage"])}
            | ({"evse": {"id": p["connectorId"]}} if p.get("connectorId") else {})
        ),
    ),
}
