"""Security commands in every OCPP version (1.6 Security Whitepaper, 2.0.1 security blocks): the rows
and pieces that read the same in both. Each version's `security_commands` module names the rest.
"""

from commands.neutral import pick, request_id
from ocpp_ws.translations import Call


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


def signed_firmware_update(params: dict) -> dict:
    """The firmware object both versions share: where, when, and how the charger checks it."""
    firmware = {
        "location": params["location"],
        "retrieveDateTime": params["retrieveDate"],
        "signingCertificate": params["signingCertificate"],
        "signature": params["signature"],
    } | ({"installDateTime": params["installDate"]} if params.get("installDate") else {})
    return {"requestId": request_id(params), "firmware": firmware} | pick(params, "retries", "retryInterval")


def signed_firmware_reply(params: dict, response: dict) -> dict:
    return {"status": response.get("status"), "requestId": params["requestId"], "location": params["location"]}


def certificate_type(params: dict, names: dict[str, str]) -> str:
    """The certificate kind in the version's words: the API takes either version's name."""
    return names.get(params["certificateType"], params["certificateType"])


def certificate_install(names: dict[str, str]) -> Call:
    """InstallCertificate, the certificate kind named in the version's words."""
    return Call(
        "InstallCertificate", lambda p: {"certificateType": certificate_type(p, names), "certificate": p["certificate"]}
    )


LOG_GET = Call("GetLog", log_request, log_reply)
CERTIFICATE_DELETE = Call("DeleteCertificate", lambda p: pick(p, "certificateHashData"))
