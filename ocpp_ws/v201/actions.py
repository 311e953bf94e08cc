"""OCPP 2.0.1 charger-initiated actions: one row per action, one domain service per row.

The same services as OCPP 1.6 (chargers/services/*); what differs is only the payload's shape.
Each function takes the session and the schema-valid payload and returns the CALLRESULT payload.
"""

from chargers import costs
from chargers.services import device_model, reports
from charging.services import metering, transactions
from charging.services.authorization import IdTagDecision, id_tag_authorize
from commands import services as commands
from ocpp_ws import security_actions as security
from ocpp_ws.actions import SHARED_ACTIONS, boot_answer, samples
from ocpp_ws.session import Session, timestamp
from ocpp_ws.v201.commands import charging_profile_params


def id_token_info(decision: IdTagDecision) -> dict:
    info = {"status": decision.status}
    if decision.expiry_date:
        info["cacheExpiryDateTime"] = decision.expiry_date.isoformat()
    if decision.parent_id_tag:
        info["groupIdToken"] = {"idToken": decision.parent_id_tag, "type": "Central"}
    return info


def reading(sampled: dict) -> tuple[str, str, str]:
    """A sampled value scaled by its unit's multiplier (energy registers are in Wh by default)."""
    unit = sampled.get("unitOfMeasure", {})
    signed = "SignedData" if "signedMeterValue" in sampled else ""
    return _scaled(sampled["value"], unit.get("multiplier", 0)), unit.get("unit", ""), signed


def _scaled(value: float, multiplier: int) -> str:
    scaled = value * 10**multiplier if multiplier else value
    return f"{scaled:g}" if isinstance(scaled, float) else str(scaled)


def evse_of(component: dict) -> tuple[int, int]:
    evse = component.get("evse") or {}
    return evse.get("id", 0), evse.get("connectorId", 0)


def boot_notification(session: Session, p: dict) -> dict:
    station = p["chargingStation"]
    modem = station.get("modem", {})
    status = reports.boot_record(
        charger_id=session.charger_id,
        vendor=station["vendorName"],
        model=station["model"],
        serial_number=station.get("serialNumber"),
        firmware_version=station.get("firmwareVersion"),
        iccid=modem.get("iccid"),
        imsi=modem.get("imsi"),
        boot_reason=p["reason"],
    )
    return boot_answer(status)


def status_notification(session: Session, p: dict) -> dict:
    reports.status_record(
        charger_id=session.charger_id,
        error_code="",  # 2.0.1 reports errors as events (NotifyEvent)
        evse_id=p["evseId"],
        connector_id=p["connectorId"],
        status=p["connectorStatus"],
        timestamp=timestamp(p["timestamp"]),
    )
    return {}


def authorize(session: Session, p: dict) -> dict:
    token = p["idToken"]
    decision = id_tag_authorize(
        charger_id=session.charger_id, organisation_id=session.organisation_id, id_tag=token["idToken"]
    )
    reports.notification_record(
        charger_id=session.charger_id,
        action="Authorize",
        kind=decision.status,
        payload=p | {"decision": decision.status},
    )
    return {"idTokenInfo": id_token_info(decision)}


def transaction_event(session: Session, p: dict) -> dict:
    info = p["transactionInfo"]
    evse = p.get("evse", {})
    token = p.get("idToken", {})
    decision = transactions.transaction_event_record(
        charger_id=session.charger_id,
        organisation_id=session.organisation_id,
        event=transactions.SessionEvent(
            transaction_id=info["transactionId"],
            event_type=p["eventType"],
            seq_no=p["seqNo"],
            timestamp=timestamp(p["timestamp"]),
            trigger_reason=p["triggerReason"],
            payload=p,
            evse_id=evse.get("id"),
            connector_id=evse.get("connectorId"),
            id_tag=token.get("idToken", ""),
            offline=p.get("offline", False),
            charging_state=info.get("chargingState", ""),
            stopped_reason=info.get("stoppedReason", ""),
            remote_start_id=info.get("remoteStartId"),
            reservation_id=p.get("reservationId"),
            samples=tuple(samples(p.get("meterValue", []), reading)),
        ),
    )
    answer = {"idTokenInfo": id_token_info(decision)} if decision else {}
    return answer | cost_shown(session, p["eventType"], info["transactionId"])


def cost_shown(session: Session, event_type: str, transaction_id: str) -> dict:
    """The session's tariff text when it starts, its running cost on Updated and its final cost on Ended."""
    cost = costs.transaction_cost(charger_id=session.charger_id, transaction_id=transaction_id)
    if cost is None:
        return {}
    if event_type != "Started":
        return {"totalCost": cost["incl_vat"]}
    if not cost["text"]:
        return {}
    message = {"format": "UTF8", "content": cost["text"][:512]}
    return {"updatedPersonalMessage": message | ({"language": cost["language"]} if cost["language"] else {})}


def meter_values(session: Session, p: dict) -> dict:
    metering.meter_values_record(
        charger_id=session.charger_id, evse_id=p["evseId"], connector_id=0, samples=samples(p["meterValue"], reading)
    )
    return {}


def attributes(report: dict) -> list[device_model.Attribute]:
    component, variable = report["component"], report["variable"]
    evse_id, connector_id = evse_of(component)
    characteristics = report.get("variableCharacteristics", {})
    return [
        device_model.Attribute(
            component=component["name"],
            component_instance=component.get("instance", ""),
            evse_id=evse_id,
            connector_id=connector_id,
            variable=variable["name"],
            variable_instance=variable.get("instance", ""),
            attribute_type=attribute.get("type", "Actual"),
            value=attribute.get("value"),
            mutability=attribute.get("mutability", ""),
            persistent=attribute.get("persistent"),
            constant=attribute.get("constant"),
            data_type=characteristics.get("dataType", ""),
            unit=characteristics.get("unit", ""),
            characteristics={k: characteristics[k] for k in device_model.CHARACTERISTICS if k in characteristics},
        )
        for attribute in report["variableAttribute"]
    ]


def notify_report(session: Session, p: dict) -> dict:
    device_model.device_variables_record(
        charger_id=session.charger_id,
        attributes=[a for report in p.get("reportData", []) for a in attributes(report)],
        request_id=p["requestId"],
    )
    part = {k: p[k] for k in ("requestId", "generatedAt", "seqNo") if k in p} | {"tbc": p.get("tbc", False)}
    reports.notification_record(
        charger_id=session.charger_id,
        action="NotifyReport",
        kind="final part" if not part["tbc"] else "part",
        payload=part | {"reportData": len(p.get("reportData", []))},
        timestamp=timestamp(p["generatedAt"]),
    )
    return {}


def notify_event(session: Session, p: dict) -> dict:
    for event in p["eventData"]:
        reports.notification_record(
            charger_id=session.charger_id,
            action="NotifyEvent",
            kind=f"{event['trigger']} {event['component']['name']}.{event['variable']['name']}",
            evse_id=evse_of(event["component"])[0] or None,
            timestamp=timestamp(event["timestamp"]),
            payload=event | {"seqNo": p["seqNo"], "tbc": p.get("tbc", False)},
        )
    return {}


# 2.0.1 statuses that end a log job under a name 1.6 does not have; the history keeps the charger's.
# (Firmware jobs know 2.0.1's statuses themselves.)
def noted(ocpp_action: str, kind_field: str | None = None, evse_field: str | None = None, answer: dict | None = None):
    """An action whose report changes no other state: kept as a notification, answered with `answer`.

    `kind_field` is the dotted path of the field that says what kind of report it is.
    """

    def action(session: Session, p: dict) -> dict:
        kind = p
        for name in kind_field.split(".") if kind_field else ():
            kind = kind.get(name, "") if isinstance(kind, dict) else ""
        reports.notification_record(
            charger_id=session.charger_id,
            action=ocpp_action,
            kind=str(kind) if kind_field else "",
            evse_id=p.get(evse_field) if evse_field else None,
            payload=p,
        )
        return dict(answer or {})

    return action


def report_charging_profiles(session: Session, p: dict) -> dict:
    """Kept as a notification; the installed profiles follow the charger's report."""
    noted("ReportChargingProfiles", "chargingLimitSource", "evseId")(session, p)
    commands.charging_profiles_reported(
        charger_id=session.charger_id,
        request_id=p["requestId"],
        profiles=[charging_profile_params({"evseId": p["evseId"], "chargingProfile": c}) for c in p["chargingProfile"]],
        last=not p.get("tbc"),
    )
    return {}


# In the order of the specification's functional blocks (Part 2), each under its letter; SHARED_ACTIONS holds
# SecurityEventNotification (A), Heartbeat (G), FirmwareStatusNotification (L), LogStatusNotification (N)
# and DataTransfer (P).
ACTIONS = SHARED_ACTIONS | {
    # A. Security
    "SignCertificate": security.sign_certificate_201,
    # B. Provisioning
    "BootNotification": boot_notification,
    "NotifyReport": notify_report,
    # C. Authorization
    "Authorize": authorize,
    # E. Transactions
    "TransactionEvent": transaction_event,
    # G. Availability
    "StatusNotification": status_notification,
    # H. Reservation
    "ReservationStatusUpdate": noted("ReservationStatusUpdate", "reservationUpdateStatus"),
    # J. Meter values
    "MeterValues": meter_values,
    # K. Smart charging
    "NotifyChargingLimit": noted("NotifyChargingLimit", "chargingLimit.chargingLimitSource", "evseId"),
    "ClearedChargingLimit": noted("ClearedChargingLimit", "chargingLimitSource", "evseId"),
    # We compute no schedule from the EV's needs: Rejected tells the charger not to wait for one.
    "NotifyEVChargingNeeds": noted(
        "NotifyEVChargingNeeds", "chargingNeeds.requestedEnergyTransfer", "evseId", {"status": "Rejected"}
    ),
    "NotifyEVChargingSchedule": noted("NotifyEVChargingSchedule", None, "evseId", {"status": "Accepted"}),
    "ReportChargingProfiles": report_charging_profiles,
    # L. Firmware management
    "PublishFirmwareStatusNotification": noted("PublishFirmwareStatusNotification", "status"),
    # M. ISO 15118 certificate management
    "Get15118EVCertificate": security.get_15118_ev_certificate,
    "GetCertificateStatus": security.get_certificate_status,
    # N. Diagnostics
    "NotifyEvent": notify_event,
    "NotifyMonitoringReport": noted("NotifyMonitoringReport", "requestId"),
    "NotifyCustomerInformation": noted("NotifyCustomerInformation", "requestId"),
    # O. Display message
    "NotifyDisplayMessages": noted("NotifyDisplayMessages", "requestId"),
}
