"""OCPP 2.1 charger-initiated actions: 2.0.1's table (ocpp_ws/v201/actions.py) and what 2.1 adds.

Every message 2.0.1 has reads the same in 2.1 save for new optional fields, which 2.0.1's rows keep
as they keep the whole payload (TransactionEvent's costDetails and preconditioningStatus among them).
"""

import asyncio
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from chargers.services import event_streams, reports
from charging.services import notices
from ocpp_ws.session import Session, timestamp
from ocpp_ws.v201 import actions as v201
from pki import forwarding
from smart_charging.services import der

# OCPP 2.1 messages a charger sends as SEND frames: no answer, not even an error.
SENDS = frozenset({"NotifyPeriodicEventStream"})


def vat_number_accepted(*, charger_id: int, vat_number: str, evse_id: int | None) -> dict:
    """The default VAT number check (CSMS_VAT_NUMBER_VALIDATOR): every number is Accepted, without a lookup."""
    return {"status": "Accepted"}


def vat_number_validation(session: Session, p: dict) -> dict:
    check = import_string(settings.CSMS_VAT_NUMBER_VALIDATOR)
    answer = check(charger_id=session.charger_id, vat_number=p["vatNumber"], evse_id=p.get("evseId"))
    reports.notification_record(
        charger_id=session.charger_id, action="VatNumberValidation", kind=answer["status"], payload=p | answer
    )
    return {"vatNumber": p["vatNumber"]} | ({"evseId": p["evseId"]} if "evseId" in p else {}) | answer


# Periodic event streams.


def open_periodic_event_stream(session: Session, p: dict) -> dict:
    stream = p["constantStreamData"]
    event_streams.event_stream_open(
        charger_id=session.charger_id,
        stream_id=stream["id"],
        variable_monitoring_id=stream["variableMonitoringId"],
        params={k: v for k, v in stream["params"].items() if k != "customData"},
    )
    return {"status": "Accepted"}


def notify_periodic_event_stream(session: Session, p: dict) -> dict:
    event_streams.event_stream_values_record(
        charger_id=session.charger_id,
        stream_id=p["id"],
        basetime=timestamp(p["basetime"]),
        values=[(value["t"], value["v"]) for value in p["data"]],
    )
    return {}


def close_periodic_event_stream(session: Session, p: dict) -> dict:
    event_streams.event_stream_close(charger_id=session.charger_id, stream_id=p["id"])
    return {}


# Grid support (DER controls) and priority charging.


def der_event(action: str, control_field: str, state):
    """Keep a DER report: `control_field` names the control, `state(p)` says what happened to it."""

    def handler(session: Session, p: dict) -> dict:
        der.der_event_record(
            charger_id=session.charger_id,
            action=action,
            control=str(p.get(control_field, "")),
            state=state(p),
            timestamp=timestamp(p["timestamp"]) if "timestamp" in p else None,
            payload=p,
        )
        return {}

    return handler


def pull_dynamic_schedule_update(session: Session, p: dict) -> dict:
    update = der.dynamic_schedule_update(charger_id=session.charger_id, profile_id=p["chargingProfileId"])
    if update is None:
        return {"status": "Rejected", "statusInfo": {"reasonCode": "UnknownProfile"}}
    return {"status": "Accepted", "scheduleUpdate": update}


# Payments and sessions.


def transaction_notice(action: str, fields):
    """Keep a report on a session as a notice (charging.services.notices): `fields(p)` says what it keeps."""

    def handler(session: Session, p: dict) -> dict:
        notices.transaction_notice_record(charger_id=session.charger_id, action=action, payload=p, **fields(p))
        return {}

    return handler


def settlement(p: dict) -> dict:
    # The receipt is the terminal's: we issue none of our own.
    return {
        "transaction_id": p.get("transactionId", ""),
        "status": p["status"],
        "amount": Decimal(str(p["settlementAmount"])),
        "reference": p["pspRef"],
        "timestamp": timestamp(p["settlementTime"]),
    }


async def get_certificate_chain_status(session: Session, p: dict) -> dict:
    """Each certificate's status as CSMS_OCSP_RESPONDER_URL tells it (Good, Revoked, Unknown), Failed where it
    does not answer or the charger asks for a CRL; a coroutine, as the OCSP request is (pki/forwarding.py)."""

    async def status(request: dict) -> dict:
        found, next_update = "Failed", None
        if request["source"] == "OCSP":
            found, next_update = await forwarding.certificate_status_read(
                charge_box_id=session.charge_box_id,
                ocsp_request=request["certificateHashData"] | {"responderURL": request["urls"][0]},
            )
        return {
            "certificateHashData": request["certificateHashData"],
            "source": request["source"],
            "status": found,
            "nextUpdate": (next_update or timezone.now()).isoformat(),  # none known: ask again whenever
        }

    # Asked side by side: the charger waits for one answer, within one CSMS_PKI_FORWARD_TIMEOUT.
    return {"certificateStatus": list(await asyncio.gather(*map(status, p["certificateStatusRequests"])))}


ACTIONS = v201.ACTIONS | {
    "OpenPeriodicEventStream": open_periodic_event_stream,
    "NotifyPeriodicEventStream": notify_periodic_event_stream,
    "ClosePeriodicEventStream": close_periodic_event_stream,
    "NotifyDERAlarm": der_event(
        "NotifyDERAlarm", "controlType", lambda p: "ended" if p.get("alarmEnded") else "raised"
    ),
    "NotifyDERStartStop": der_event(
        "NotifyDERStartStop", "controlId", lambda p: "started" if p["started"] else "stopped"
    ),
    "ReportDERControl": der_event("ReportDERControl", "requestId", lambda p: "part" if p.get("tbc") else "final part"),
    "PullDynamicScheduleUpdate": pull_dynamic_schedule_update,
    "NotifySettlement": transaction_notice("NotifySettlement", settlement),
    "NotifyPriorityCharging": transaction_notice(
        "NotifyPriorityCharging",
        lambda p: {"transaction_id": p["transactionId"], "status": "Activated" if p["activated"] else "Deactivated"},
    ),
    "BatterySwap": transaction_notice(
        "BatterySwap", lambda p: {"status": p["eventType"], "reference": str(p["requestId"])}
    ),
    "VatNumberValidation": vat_number_validation,
    "GetCertificateChainStatus": get_certificate_chain_status,
}
