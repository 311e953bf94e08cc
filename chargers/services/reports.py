"""What chargers report outside sessions: boot, heartbeat, status, meter values, transfers, job statuses."""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from chargers import events
from chargers.models import (
    Charger,
    Connector,
    DataTransfer,
    DiagnosticsStatus,
    FirmwareStatus,
    StatusNotification,
    Transaction,
)
from chargers.services import jobs
from chargers.services.metering import Sample, samples_record

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
)


def boot_record(*, charger_id: int, **reported: str) -> str:
    """Store what the charger says about itself; returns its registration status."""
    now = timezone.now()
    fields = {name: reported.get(name) or "" for name in BOOT_FIELDS}
    Charger.objects.filter(pk=charger_id).update(last_boot_at=now, last_seen_at=now, **fields)
    status = Charger.objects.values_list("registration_status", flat=True).get(pk=charger_id)
    # A firmware job waiting for this boot learns whether the new version took.
    jobs.firmware_boot_confirm(charger_id=charger_id, firmware_version=fields["firmware_version"])
    events.charger_booted(
        charger_id=charger_id,
        vendor=fields["vendor"],
        model=fields["model"],
        firmware_version=fields["firmware_version"],
        registration_status=status,
    )
    return status


def heartbeat_record(*, charger_id: int) -> datetime:
    now = timezone.now()
    Charger.objects.filter(pk=charger_id).update(last_heartbeat_at=now, last_seen_at=now)
    return now


def status_record(
    *,
    charger_id: int,
    connector_id: int,
    status: str,
    error_code: str,
    info: str = "",
    vendor_id: str = "",
    vendor_error_code: str = "",
    timestamp: datetime | None = None,
) -> None:
    """Append to the connector's status history and keep its current status."""
    now = timezone.now()
    with transaction.atomic():
        StatusNotification.objects.create(
            charger_id=charger_id,
            connector_id=connector_id,
            status=status,
            error_code=error_code,
            info=info,
            vendor_id=vendor_id,
            vendor_error_code=vendor_error_code,
            timestamp=timestamp,
            received_at=now,
        )
        connector, created = Connector.objects.select_for_update().get_or_create(
            charger_id=charger_id, connector_id=connector_id
        )
        if not created and _is_older(timestamp, connector.status_at):
            # A notification the charger queued and delivered late: history only.
            return
        connector.status, connector.error_code, connector.info = status, error_code, info
        connector.vendor_error_code, connector.status_at, connector.updated_at = vendor_error_code, timestamp, now
        connector.save()
    events.connector_status_changed(
        charger_id=charger_id, connector_id=connector_id, status=status, error_code=error_code, info=info, at=now
    )


def _is_older(reported: datetime | None, current: datetime | None) -> bool:
    """Only the charger's own clock orders its notifications; receive times say nothing about it."""
    return reported is not None and current is not None and reported < current


def meter_values_record(
    *, charger_id: int, connector_id: int, samples: list[Sample], transaction_id: str | None = None
) -> int:
    """Store every sampled value, linked to its session when the charger names one."""
    session = None
    if transaction_id is not None:
        session = Transaction.objects.filter(charger_id=charger_id, ocpp_id=transaction_id).first()
        if session is not None:
            Transaction.objects.filter(pk=session.pk).update(last_message_at=timezone.now())
    return samples_record(
        charger_id=charger_id,
        connector_id=connector_id,
        samples=samples,
        transaction=session,
        reported_transaction_id=transaction_id or "",
    )


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


def diagnostics_status_record(*, charger_id: int, status: str) -> None:
    """Keep the status in the history and advance the charger's open diagnostics job, if any."""
    job = jobs.diagnostics_status_advance(charger_id=charger_id, status=status)
    DiagnosticsStatus.objects.create(charger_id=charger_id, job=job, status=status)
    events.diagnostics_status_changed(
        charger_id=charger_id, job_id=job.pk if job else None, status=status, fileName=job.file_name if job else None
    )
