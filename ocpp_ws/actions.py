"""Charger-initiated actions that read the same in every OCPP version, and the pieces the
versions' own actions share (`ocpp_ws/<version>/actions.py`).
"""

import json
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone

from chargers.services import reports
from charging.services.metering import Sample
from ocpp_ws import security_actions as security
from ocpp_ws.session import Session, timestamp

# What a version reads from one sampled value: (value, unit, format).
Reading = Callable[[dict], tuple[str, str, str]]


def samples(meter_values: list[dict], read: Reading) -> list[Sample]:
    """Every sampled value of every reading, its value, unit and format read the version's way."""
    return [
        Sample(
            timestamp=timestamp(reading["timestamp"]),
            value=value,
            measurand=sampled.get("measurand", ""),
            unit=unit,
            phase=sampled.get("phase", ""),
            context=sampled.get("context", ""),
            location=sampled.get("location", ""),
            format=format,
        )
        for reading in meter_values
        for sampled in reading["sampledValue"]
        for value, unit, format in [read(sampled)]
    ]


def boot_answer(status: str) -> dict:
    return {"status": status, "currentTime": timezone.now().isoformat(), "interval": settings.CSMS_HEARTBEAT_INTERVAL}


def heartbeat(session: Session, p: dict) -> dict:
    return {"currentTime": reports.heartbeat_record(charger_id=session.charger_id).isoformat()}


def firmware_status_notification(session: Session, p: dict) -> dict:
    reports.firmware_status_record(charger_id=session.charger_id, status=p["status"])
    return {}


def data_transfer(session: Session, p: dict) -> dict:
    data = p.get("data", "")
    status, answer = reports.data_transfer_incoming(
        charger_id=session.charger_id,
        vendor_id=p["vendorId"],
        message_id=p.get("messageId", ""),
        data=data if isinstance(data, str) else json.dumps(data),  # 2.0.1 data may be any JSON
    )
    return {"status": status, "data": answer} if answer else {"status": status}


# The rows of every version's ACTIONS table (the security ones: 1.6's whitepaper took them from 2.0.1 as they are).
SHARED_ACTIONS = {
    "Heartbeat": heartbeat,
    "DataTransfer": data_transfer,
    "FirmwareStatusNotification": firmware_status_notification,
    "SecurityEventNotification": security.security_event_notification,
    "LogStatusNotification": security.log_status_notification,
}
