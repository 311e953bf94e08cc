"""OCPP 1.6J charger-initiated actions: one row per action, one domain service per row.

Each function takes the session and the schema-valid payload and returns the
CALLRESULT payload. They run in one database hop, off the event loop.
"""

from chargers.services import reports
from charging.services import metering, transactions
from charging.services.authorization import IdTagDecision, id_tag_authorize
from ocpp_ws import security_actions as security
from ocpp_ws.actions import SHARED_ACTIONS, boot_answer, firmware_status_notification, samples
from ocpp_ws.session import Session, timestamp


def id_tag_info(decision: IdTagDecision) -> dict:
    info = {"status": decision.status}
    if decision.expiry_date:
        info["expiryDate"] = decision.expiry_date.isoformat()
    if decision.parent_id_tag:
        info["parentIdTag"] = decision.parent_id_tag
    return info


def reading(sampled: dict) -> tuple[str, str, str]:
    return sampled["value"], sampled.get("unit", ""), sampled.get("format", "")


# What the charger says of itself in a BootNotification, by the name the registry keeps it under.
BOOT_FIELDS = {
    "vendor": "chargePointVendor",
    "model": "chargePointModel",
    "serial_number": "chargePointSerialNumber",
    "charge_box_serial_number": "chargeBoxSerialNumber",
    "firmware_version": "firmwareVersion",
    "iccid": "iccid",
    "imsi": "imsi",
    "meter_type": "meterType",
    "meter_serial_number": "meterSerialNumber",
}


def boot_notification(session: Session, p: dict) -> dict:
    identity = {name: p.get(field) for name, field in BOOT_FIELDS.items()}
    return boot_answer(reports.boot_record(charger_id=session.charger_id, **identity))


def status_notification(session: Session, p: dict) -> dict:
    reports.status_record(
        charger_id=session.charger_id,
        connector_id=p["connectorId"],
        status=p["status"],
        error_code=p["errorCode"],
        info=p.get("info", ""),
        vendor_id=p.get("vendorId", ""),
        vendor_error_code=p.get("vendorErrorCode", ""),
        timestamp=timestamp(p["timestamp"]) if "timestamp" in p else None,
    )
    return {}


def authorize(session: Session, p: dict) -> dict:
    decision = id_tag_authorize(
        charger_id=session.charger_id, organisation_id=session.organisation_id, id_tag=p["idTag"]
    )
    return {"idTagInfo": id_tag_info(decision)}


def start_transaction(session: Session, p: dict) -> dict:
    outcome = transactions.transaction_start(
        charger_id=session.charger_id,
        organisation_id=session.organisation_id,
        connector_id=p["connectorId"],
        id_tag=p["idTag"],
        meter_start=p["meterStart"],
        timestamp=timestamp(p["timestamp"]),
        reservation_id=p.get("reservationId"),
    )
    return {"transactionId": int(outcome.transaction.ocpp_id), "idTagInfo": id_tag_info(outcome.decision)}


def stop_transaction(session: Session, p: dict) -> dict:
    decision = transactions.transaction_stop(
        charger_id=session.charger_id,
        organisation_id=session.organisation_id,
        transaction_id=str(p["transactionId"]),
        meter_stop=p["meterStop"],
        timestamp=timestamp(p["timestamp"]),
        reason=p.get("reason", ""),
        id_tag=p.get("idTag", ""),
        samples=samples(p.get("transactionData", []), reading),
        payload=p,
    )
    return {"idTagInfo": id_tag_info(decision)} if decision else {}


def meter_values(session: Session, p: dict) -> dict:
    transaction_id = p.get("transactionId")
    metering.meter_values_record(
        charger_id=session.charger_id,
        connector_id=p["connectorId"],
        samples=samples(p["meterValue"], reading),
        transaction_id=str(transaction_id) if transaction_id is not None else None,
    )
    return {}


def diagnostics_status_notification(session: Session, p: dict) -> dict:
    reports.diagnostics_status_record(charger_id=session.charger_id, status=p["status"])
    return {}


ACTIONS = SHARED_ACTIONS | {
    "BootNotification": boot_notification,
    "StatusNotification": status_notification,
    "Authorize": authorize,
    "StartTransaction": start_transaction,
    "StopTransaction": stop_transaction,
    "MeterValues": meter_values,
    "DiagnosticsStatusNotification": diagnostics_status_notification,
    # The Security Whitepaper's own: the same fields as 2.0.1's, and the same jobs as their unsigned twins.
    "SignCertificate": security.sign_certificate_16,
    "SignedFirmwareStatusNotification": firmware_status_notification,
}
