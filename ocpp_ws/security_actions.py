"""Charger-initiated security messages, shared by OCPP 1.6J (Security Whitepaper) and 2.0.1: the
whitepaper took these messages from 2.0.1 with the same fields. `ocpp_ws.actions.SHARED_ACTIONS` names
the rows both versions speak alike, each version's ACTIONS table its own; the rules live in pki.services.
"""

from chargers.services import reports
from ocpp_ws.session import Session, timestamp
from pki import forwarding
from pki import services as pki

# statusInfo.reasonCode is at most 20 characters.
REFUSED = "CSRRefused"

# A log upload's progress (GetLog), in both versions.
LOG_JOB_STATUSES = {
    "UploadFailure": "UploadFailed",
    "BadMessage": "UploadFailed",
    "PermissionDenied": "UploadFailed",
    "NotSupportedOperation": "UploadFailed",
}


def log_status_notification(session: Session, p: dict) -> dict:
    status = p["status"]
    reports.diagnostics_status_record(
        charger_id=session.charger_id, status=status, job_status=LOG_JOB_STATUSES.get(status)
    )
    return {}


def security_event_notification(session: Session, p: dict) -> dict:
    at = timestamp(p["timestamp"])
    reports.notification_record(
        charger_id=session.charger_id, action="SecurityEventNotification", kind=p["type"], timestamp=at, payload=p
    )
    pki.security_event_record(
        charger_id=session.charger_id, type=p["type"], timestamp=at, tech_info=p.get("techInfo", "")
    )
    return {}


def sign_certificate_16(session: Session, p: dict) -> dict:
    decision = pki.certificate_signing_request(
        charger_id=session.charger_id, csr_pem=p["csr"], certificate_type="ChargingStationCertificate"
    )
    return {"status": "Accepted" if decision.accepted else "Rejected"}


def sign_certificate_201(session: Session, p: dict) -> dict:
    decision = pki.certificate_signing_request(
        charger_id=session.charger_id,
        csr_pem=p["csr"],
        certificate_type=p.get("certificateType", "ChargingStationCertificate"),
    )
    if decision.accepted:
        return {"status": "Accepted"}
    return {"status": "Rejected", "statusInfo": {"reasonCode": REFUSED, "additionalInfo": decision.reason[:512]}}


def _forwarded(answer: forwarding.Forwarded, data_field: str | None) -> dict:
    if answer.accepted:
        return {"status": "Accepted"} | ({data_field: answer.data} if data_field else {})
    failed = {"status": "Failed", "statusInfo": {"reasonCode": answer.code, "additionalInfo": answer.reason[:512]}}
    # exiResponse is required even when it failed: an empty one.
    return failed | ({"exiResponse": ""} if data_field == "exiResponse" else {})


# Forwarded to an external service: coroutines, which the consumer awaits on its loop (no frame worker).


async def get_15118_ev_certificate(session: Session, p: dict) -> dict:
    answer = await forwarding.ev_certificate_forward(
        charge_box_id=session.charge_box_id,
        schema_version=p["iso15118SchemaVersion"],
        action=p["action"],
        exi_request=p["exiRequest"],
    )
    return _forwarded(answer, "exiResponse")


async def get_certificate_status(session: Session, p: dict) -> dict:
    answer = await forwarding.certificate_status_forward(
        charge_box_id=session.charge_box_id, ocsp_request=p["ocspRequestData"]
    )
    return _forwarded(answer, "ocspResult" if answer.accepted else None)
