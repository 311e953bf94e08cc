"""OCPP 1.6J charger-initiated actions: one row per action, one domain service per row.

Each function takes the session and the schema-valid payload and returns the
CALLRESULT payload. They run in one database hop, off the event loop.
"""

from django.conf import settings
from django.utils import timezone

from chargers.services import reports, transactions
from chargers.services.authorization import IdTagDecision, id_tag_decide
from chargers.services.metering import Sample
from ocpp_ws import security_actions as security
from ocpp_ws.session import Session, timestamp
from ocpp_ws.v201.actions import log_status_notification


def id_tag_info(decision: IdTagDecision) -> dict:
    info = {"status": decision.status}
    if decision.expiry_date:
        info["expiryDate"] = decision.expiry_date.isoformat()
    if decision.parent_id_tag:
        info["parentIdTag"] = decision.parent_id_tag
    return info


def samples(meter_values: list[dict]) -> list[Sample]:
    return [
        Sample(
            timestamp=timestamp(reading["timestamp"]),
            value=sampled["value"],
            measurand=sampled.get("measurand", ""),
            unit=sampled.get("unit", ""),
            phase=sampled.get("phase", ""),
            context=sampled.get("context", ""),
            location=sampled.get("location", ""),
            format=sampled.get("format", ""),
        )
        for reading in meter_values
        for sampled in reading["sampledValue"]
    ]


def boot_notification(session: Session, p: dict) -> dict:
    status = reports.boot_record(
        charger_id=session.charger_id,
        vendor=p["chargePointVendor"],
        model=p["chargePointModel"],
        serial_number=p.get("chargePointSerialNumber"),
        charge_box_serial_number=p.get("chargeBoxSerialNumber"),
        firmware_version=p.get("firmwareVersion"),
        iccid=p.get("iccid"),
        imsi=p.get("imsi"),
        meter_type=p.get("meterType"),
        meter_serial_number=p.get("meterSerialNumber"),
    )
    return {"status": status, "currentTime": timezone.now().isoformat(), "interval": settings.CSMS_HEARTBEAT_INTERVAL}


def heartbeat(session: Session, p: dict) -> dict:
    return {"currentTime": reports.heartbeat_record(charger_id=session.charger_id).isoformat()}


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
    decision = id_tag_decide(organisation_id=session.organisation_id, id_tag=p["idTag"])
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
        samples=samples(p.get("transactionData", [])),
        payload=p,
    )
    return {"idTagInfo": id_tag_info(decision)} if decision else {}


def meter_values(session: Session, p: dict) -> dict:
    transaction_id = p.get("transactionId")
    reports.meter_values_record(
        charger_id=session.charger_id,
        connector_id=p["connectorId"],
        samples=samples(p["meterValue"]),
        transaction_id=str(transaction_id) if transaction_id is not None else None,
    )
    return {}


def data_transfer(session: Session, p: dict) -> dict:
    status, data = reports.data_transfer_incoming(
        charger_id=session.charger_id,
        vendor_id=p["vendorId"],
        message_id=p.get("messageId", ""),
        data=p.get("data", ""),
    )
    return {"status": status, "data": data} if data else {"status": status}


def firmware_status_notification(session: Session, p: dict) -> dict:
    reports.firmware_status_record(charger_id=session.charger_id, status=p["status"])
    return {}


def diagnostics_status_notification(session: Session, p: dict) -> dict:
    reports.diagnostics_status_record(charger_id=session.charger_id, status=p["status"])
    return {}


ACTIONS = {
    "BootNotification": boot_notification,
    "Heartbeat": heartbeat,
    "StatusNotification": status_notification,
    "Authorize": authorize,
    "StartTransaction": start_transaction,
    "StopTransaction": stop_transaction,
    "MeterValues": meter_values,
    "DataTransfer": data_transfer,
    "FirmwareStatusNotification": firmware_status_notification,
    "DiagnosticsStatusNotification": diagnostics_status_notification,
    # The Security Whitepaper's messages: the same fields as 2.0.1's, and the same jobs as their unsigned twins.
    "SecurityEventNotification": security.security_event_notification,
    "SignCertificate": security.sign_certificate_16,
    "LogStatusNotification": log_status_notification,
    "SignedFirmwareStatusNotification": firmware_status_notification,
}
