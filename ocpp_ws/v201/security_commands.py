"""OCPP 2.0.1 security blocks: the same rows as OCPP 1.6's (ocpp_ws/v16/security_commands.py) in 2.0.1's shape."""

from commands.neutral import Translation, pick, request_id
from ocpp_ws.v16 import security_commands as v16

# Root certificate kinds by the 1.6 names the API also accepts.
CERTIFICATE_TYPES = {"CentralSystemRootCertificate": "CSMSRootCertificate"}
TRIGGERS = {"SignChargePointCertificate": "SignChargingStationCertificate"}


def certificate_type(params: dict) -> str:
    return CERTIFICATE_TYPES.get(params["certificateType"], params["certificateType"])


def certificate_hashes(response: dict) -> dict:
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

COMMANDS = {
    "password_set": Translation(
        action="SetVariables",
        request=lambda p: {"setVariableData": [PASSWORD_VARIABLE | {"attributeValue": p["password"]}]},
        reply=lambda p, r: {"status": next(iter(r.get("setVariableResult") or []), {}).get("attributeStatus")},
        message=v16.COMMANDS["password_set"].message,
    ),
    "certificate_signed": Translation(
        action="CertificateSigned",
        request=lambda p: pick(p, "certificateChain", "certificateType"),
        message=v16.COMMANDS["certificate_signed"].message,
    ),
    "certificate_renew": Translation(
        action="TriggerMessage",
        request=lambda p: {"requestedMessage": "SignChargingStationCertificate"},
        message=v16.COMMANDS["certificate_renew"].message,
    ),
    "certificate_install": Translation(
        action="InstallCertificate",
        request=lambda p: {"certificateType": certificate_type(p), "certificate": p["certificate"]},
        message=v16.COMMANDS["certificate_install"].message,
    ),
    "certificate_delete": v16.COMMANDS["certificate_delete"],
    "certificate_ids_get": Translation(
        action="GetInstalledCertificateIds",
        request=lambda p: {"certificateType": [certificate_type(p)]},
        reply=lambda p, r: certificate_hashes(r),
        message=v16.COMMANDS["certificate_ids_get"].message,
    ),
    "log_get": v16.COMMANDS["log_get"],
    "firmware_update_signed": Translation(
        action="UpdateFirmware",
        request=lambda p: (
            {"requestId": request_id(p), "firmware": v16.signed_firmware(p)} | pick(p, "retries", "retryInterval")
        ),
        reply=v16.firmware_reply,
        message=v16.COMMANDS["firmware_update_signed"].message,
    ),
    "extended_trigger": Translation(
        action="TriggerMessage",
        request=lambda p: (
            {"requestedMessage": TRIGGERS.get(p["requestedMessage"], p["requestedMessage"])}
            | ({"evse": {"id": p["connectorId"]}} if p.get("connectorId") else {})
        ),
        message=v16.COMMANDS["extended_trigger"].message,
    ),
}
