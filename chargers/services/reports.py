"""What chargers report outside sessions: boot, heartbeat, status, meter values, transfers, job statuses."""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from chargers import events
from chargers.models import (
    Charger,
    ChargerNotification,
    Connector,
    DataTransfer,
    DiagnosticsStatus,
    FirmwareStatus,
    StatusNotification,
)
from chargers.services import jobs
from csms import hooks, statements

BOOT_FIELDS = (
    "vendor",
    "model",
    "serial_number",
    "charge_box_serial_number",
    "firmware_version",
    "iccid",
    "imsi",
    "meter_type",
    "meter_serial_number",
    "boot_reason",
)


def boot_record(*, charger_id: int, **reported: str) -> str:
    """Store what the charger says about itself; returns its registration status."""
    now = timezone.now()
    fields = {name: reported.get(name) or "" for name in BOOT_FIELDS}
    statements.update(Charger, {"last_boot_at": now, "last_seen_at": now, **fields}, where={"id": charger_id})
    (status,) = statements.select_one(Charger, ["registration_status"], where={"id": charger_id})
    # A firmware job being installed learns whether the new version took.
    jobs.firmware_boot_confirm(charger_id=charger_id, firmware_version=fields["firmware_version"])
    events.charger_booted(
        charger_id=charger_id,
        vendor=fields["vendor"],
        model=fields["model"],
        firmware_version=fields["firmware_version"],
        registration_status=status,
    )
    if status == Charger.RegistrationStatus.ACCEPTED:
        hooks.run(hooks.CHARGER_ACCEPTED_AT_BOOT, charger_id=charger_id)
    return status


def heartbeat_record(*, charger_id: int) -> datetime:
    now = timezone.now()
    statements.update(Charger, {"last_heartbeat_at": now, "last_seen_at": now}, where={"id": charger_id})
    return now


def status_record(
    *,
    charger_id: int,
    connector_id: int,
    status: str,
    error_code: str,
    evse_id: int | None = None,
    info: str = "",
    vendor_id: str = "",
    vendor_error_code: str = "",
    timestamp: datetime | None = None,
) -> None:
    """Append to the connector's status history and keep its current status.

    A notification the charger queued and delivered after a newer one goes to history
    only. Only the charger's own clock orders its notifications; our receive times
    say nothing about it, so a notification without a timestamp always becomes current.
    `evse_id` is OCPP 2.0.1's; without one (1.6) the EVSE is the connector.
    """
    now = timezone.now()
    connector = {"charger_id": charger_id, "evse_id": connector_id if evse_id is None else evse_id,
                 "connector_id": connector_id}  # fmt: skip
    current = {
        "status": status,
        "error_code": error_code,
        "info": info,
        "vendor_error_code": vendor_error_code,
        "status_at": timestamp,
        "updated_at": now,
    }
    with transaction.atomic():
        statements.insert(
            StatusNotification,
            [{**connector, **current, "vendor_id": vendor_id, "timestamp": timestamp, "received_at": now}],
        )
        newer_than = ("status_at", timestamp) if timestamp is not None else None
        if not statements.update(Connector, current, where=connector, newer_than=newer_than):
            if statements.select_one(Connector, ["id"], where=connector) is not None:
                return  # delivered late: history only
            statements.insert(Connector, [{**connector, **current}])
    events.connector_status_changed(
        charger_id=charger_id, evse_id=evse_id, connector_id=connector_id, status=status, error_code=error_code,
        info=info, at=now,
    )  # fmt: skip


def data_transfer_incoming(*, charger_id: int, vendor_id: str, message_id: str = "", data: str = "") -> tuple[str, str]:
    """Answer a charger's DataTransfer with the configured vendor handler; store both sides.

    A handler is `f(*, charger_id, vendor_id, message_id, data) -> (status, response_data)`.
    """
    path = settings.CSMS_DATA_TRANSFER_HANDLERS.get(vendor_id)
    status, response_data = (
        ("UnknownVendorId", "")
        if path is None
        else import_string(path)(charger_id=charger_id, vendor_id=vendor_id, message_id=message_id, data=data)
    )
    DataTransfer.objects.create(
        charger_id=charger_id,
        direction=DataTransfer.Direction.INCOMING,
        vendor_id=vendor_id,
        message_id=message_id,
        data=data,
        response_status=status,
        response_data=response_data or "",
    )
    return status, response_data


def firmware_status_record(*, charger_id: int, status: str) -> None:
    """Keep the status in the history and advance the charger's open firmware job, if any."""
    job = jobs.firmware_status_advance(charger_id=charger_id, status=status)
    FirmwareStatus.objects.create(charger_id=charger_id, job=job, status=status)
    events.firmware_status_changed(charger_id=charger_id, job_id=job.pk if job else None, status=status)
    if job is not None:
        # A 2.0.1 station reports Installed after the boot into the new firmware: that boot decides.
        jobs.firmware_install_confirm(job=job)


def diagnostics_status_record(*, charger_id: int, status: str, job_status: str | None = None) -> None:
    """Keep the status in the history and advance the charger's open diagnostics job, if any.

    `job_status` is what the status means for the job when the charger's OCPP version words it otherwise.
    """
    job = jobs.diagnostics_status_advance(charger_id=charger_id, status=job_status or status)
    DiagnosticsStatus.objects.create(charger_id=charger_id, job=job, status=status)
    events.diagnostics_status_changed(
        charger_id=charger_id, job_id=job.pk if job else None, status=status, fileName=job.file_name if job else None
    )


def notification_record(
    *,
    charger_id: int,
    action: str,
    payload: dict,
    kind: str = "",
    evse_id: int | None = None,
    timestamp: datetime | None = None,
) -> None:
    """Keep a notification that changes no other state (an event, a security event, a charging limit...)."""
    ChargerNotification.objects.create(
        charger_id=charger_id, action=action, kind=kind[:60], evse_id=evse_id, timestamp=timestamp, payload=payload
    )
