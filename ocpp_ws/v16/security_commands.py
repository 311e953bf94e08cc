"""OCPP 1.6J Security Whitepaper: the security commands' rows of the 1.6 table (ocpp_ws/v16/commands.py).

Parameters and reply fields are the product's (1.6's) names; OCPP 2.0.1 has the same rows in
ocpp_ws/v201/security_commands.py.
"""

from commands.neutral import Translation, pick, request_id, status_in

# Root certificate kinds by the 2.0.1 names the API also accepts.
CERTIFICATE_TYPES = {"CSMSRootCertificate": "CentralSystemRootCertificate"}


def certificate_type(params: dict) -> str:
    return CERTIFICATE_TYPES.get(params["certificateType"], params["certificateType"])


def log_request(params: dict) -> dict:
    return {
        "logType": params.get("logType") or "DiagnosticsLog",
        "requestId": request_id(params),
        "log": {"remoteLocation": params["location"]}
        | ({"oldestTimestamp": params["oldestTimestamp"]} if params.get("oldestTimestamp") else {})
        | ({"latestTimestamp": params["latestTimestamp"]} if params.get("latestTimestamp") else {}),
    } | pick(params, "retries", "retryInterval")


def log_reply(params: dict, response: dict) -> dict:
    return {"status": response.get("status"), "fileName": response.get("filename"), "requestId": params["requestId"]}


def log_message(params: dict, fields: dict) -> str:
    log = params.get("logType") or "DiagnosticsLog"
    return f"{log} upload to {params['location']} {status_in(params, fields)} by charger" + (
        f" as {fields['fileName']}" if fields.get("fileName") else ""
    )


def signed_firmware(params: dict) -> dict:
    """The firmware object both versions share: where, when, and how the charger checks it."""
    return {
        "location": params["location"],
        "retrieveDateTime": params["retrieveDate"],
        "signingCertificate": params["signingCertificate"],
        "signature": params["signature"],
    } | ({"installDateTime": params["installDate"]} if params.get("installDate") else {})


def firmware_reply(params: dict, response: dict) -> dict:
    return {"status": response.get("status"), "requestId": params["requestId"], "location": params["location"]}


def certificate_hashes(response: dict) -> dict:
    return {"status": response.get("status"), "certificates": list(response.get("certificateHashData") or [])}


# The configuration key a charger's HTTP Basic password is set with (never kept or logged in clear).
PASSWORD_KEY = "AuthorizationKey"

COMMANDS = {
    "password_set": Translation(
        action="ChangeConfiguration",
        request=lambda p: {"key": PASSWORD_KEY, "value": p["password"]},
        reply=lambda p, r: {"status": r.get("status")},
        message=lambda p, f: f"New password {status_in(p, f)} by charger",
    ),
    "certificate_signed": Translation(
        action="CertificateSigned",
        request=lambda p: pick(p, "certificateChain"),
        message=lambda p, f: f"Signed certificate {status_in(p, f)} by charger",
    ),
    "certificate_renew": Translation(
        action="ExtendedTriggerMessage",
        request=lambda p: {"requestedMessage": "SignChargePointCertificate"},
        message=lambda p, f: f"Request for a new certificate signing request {status_in(p, f)} by charger",
    ),
    "certificate_install": Translation(
        action="InstallCertificate",
        request=lambda p: {"certificateType": certificate_type(p), "certificate": p["certificate"]},
        message=lambda p, f: f"Installation of a {p['certificateType']} {status_in(p, f)} by charger",
    ),
    "certificate_delete": Translation(
        action="DeleteCertificate",
        request=lambda p: pick(p, "certificateHashData"),
        message=lambda p, f: f"Deletion of certificate {p['certificateHashData']['serialNumber']}: {f.get('status')}",
    ),
    "certificate_ids_get": Translation(
        action="GetInstalledCertificateIds",
        request=lambda p: {"certificateType": certificate_type(p)},
        reply=lambda p, r: certificate_hashes(r),
        message=lambda p, f: f"{len(f['certificates'])} installed {p['certificateType']} certificates",
    ),
    "log_get": Translation(action="GetLog", request=log_request, reply=log_reply, message=log_message),
    "firmware_update_signed": Translation(
        action="SignedUpdateFirmware",
        request=lambda p: (
            {"requestId": request_id(p), "firmware": signed_firmware(p)} | pick(p, "retries", "retryInterval")
        ),
        reply=firmware_reply,
        message=lambda p, f: f"Signed firmware update from {p['location']} {status_in(p, f)} by charger",
    ),
    "extended_trigger": Translation(
        action="ExtendedTriggerMessage",
        request=lambda p: pick(p, "requestedMessage", "connectorId"),
        message=lambda p, f: f"Trigger of {p['requestedMessage']} {status_in(p, f)} by charger",
    ),
}
