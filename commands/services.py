"""Commands in the product's words: translate for the charger's OCPP version, send over the bus, answer.

`command_run` serves the named endpoints (reset, unlock, power limit, ...); `action_run`
sends an OCPP action and payload as they are. Both return the API's reply shape and raise
`CommandFailed` subclasses (a CALLERROR answer is `ChargerError`).
"""

import json
import secrets
import uuid

from django.core.cache import cache
from django.utils import timezone

from chargers import events
from chargers.models import Charger, DataTransfer, Transaction
from chargers.services import jobs
from commands.bus import (
    ChargerError,
    ChargerOffline,
    CommandFailed,
    CommandInvalid,
    CommandResult,
    CommandTimeout,
    Requester,
    command_send_sync,
    payload_error,
    version_of,
)
from commands.models import command_id_reserved
from commands.neutral import answered

# How long GET /commands/{id} knows an async command that no process has picked up yet.
QUEUED_TTL = 3600
# The Command statuses of failures that leave a Command row (command.completed is told of them).
FAILURE_STATUS = {ChargerOffline: "offline", CommandTimeout: "timeout"}


def command_run(
    *,
    charger: Charger,
    command: str,
    params: dict,
    requester: Requester,
    timeout: float | None = None,
    command_id: uuid.UUID | None = None,
) -> dict:
    """Send the version-neutral `command` with `params` and return the reply (see `reply`)."""
    translation = version_of(charger.ocpp_protocol).commands.get(command)
    if translation is None:
        raise CommandInvalid(f"{command} is not available in the OCPP version of {charger.charge_box_id}")
    job, params = _job_start(charger, command, params)
    with command_id_reserved(command_id or uuid.uuid4()) as reserved:
        try:
            result = command_send_sync(
                charger=charger,
                action=translation.action,
                payload=translation.request(params),
                requester=requester,
                timeout=timeout,
            )
        except CommandFailed as failure:
            if job is not None:
                jobs.job_sent(job=job, command_id=None, accepted=False)
            _completed_failure(charger, reserved, translation.action, failure)
            raise
    _follow_up(charger, command, params, result, job)
    _completed(charger, result)
    _raise_charger_error(charger, result)
    fields = translation.reply(params, result.response)
    return reply(charger, result, fields, translation.message(params, fields))


def action_run(
    *,
    charger: Charger,
    action: str,
    payload: dict,
    requester: Requester,
    timeout: float | None = None,
    command_id: uuid.UUID | None = None,
) -> dict:
    """Send an OCPP action with its payload unchanged (validated against the charger's version)."""
    with command_id_reserved(command_id or uuid.uuid4()) as reserved:
        try:
            result = command_send_sync(
                charger=charger, action=action, payload=payload, requester=requester, timeout=timeout
            )
        except CommandFailed as failure:
            _completed_failure(charger, reserved, action, failure)
            raise
    _completed(charger, result)
    data_transfer = version_of(charger.ocpp_protocol).commands.get("data_transfer")
    if data_transfer is not None and data_transfer.action == action:
        _follow_up(charger, "data_transfer", payload, result)
    _raise_charger_error(charger, result)
    return reply(charger, result, dict(result.response), answered(action)({}, result.response))


def reply(charger: Charger, result: CommandResult, fields: dict, message: str) -> dict:
    """The API's answer: who/what/how long, the reply fields at the top level, the whole reply under `response`."""
    return {
        "chargeBoxId": charger.charge_box_id,
        "action": result.action,
        "commandId": result.command_id,
        "responseTimeMs": result.round_trip_ms,
        "message": message,
        **fields,
        "response": result.response,
    }


def reservation_id_choose(*, charger: Charger) -> int:
    """A reservation id for a ReserveNow the caller gave none for: positive, 31-bit, hard to guess."""
    return secrets.randbelow(2**31 - 2) + 1


def transaction_connector(*, charger: Charger, transaction_id: int) -> int | None:
    """The connector of a transaction we know of on this charger, or None."""
    return (
        Transaction.objects.filter(charger=charger, ocpp_id=str(transaction_id))
        .values_list("connector_id", flat=True)
        .first()
    )


def _raise_charger_error(charger: Charger, result: CommandResult) -> None:
    if not result.answered:
        detail = f": {result.error_description}" if result.error_description else ""
        raise ChargerError(f"{charger.charge_box_id} answered {result.action} with {result.error_code}{detail}")


def command_enqueue(
    *, charger: Charger, requester: Requester, command: str | None = None, params: dict | None = None,
    action: str | None = None, payload: dict | None = None,
) -> str:  # fmt: skip
    """Check a command (neutral `command` + `params`, or raw `action` + `payload`) and run it in the background.

    Returns the id its Command row will have; until a worker creates the row, `command_queued` answers for it.
    """
    from commands import tasks

    version = version_of(charger.ocpp_protocol)
    if command is not None:
        translation = version.commands.get(command)
        if translation is None:
            raise CommandInvalid(f"{command} is not available in the OCPP version of {charger.charge_box_id}")
        action, checked = translation.action, translation.request(params)
    else:
        checked = payload
    error = payload_error(charger.ocpp_protocol, action, checked)
    if error:
        raise CommandInvalid(error)
    command_id = str(uuid.uuid4())
    cache.set(
        f"command-queued:{command_id}",
        {"organisation_id": charger.organisation_id, "chargeBoxId": charger.charge_box_id, "action": action,
         "request": checked, "source": requester.source, "requestedBy": requester.description,
         "createdAt": timezone.now().isoformat()},
        QUEUED_TTL,
    )  # fmt: skip
    requester_fields = {
        "source": requester.source,
        "description": requester.description,
        "api_key_id": requester.api_key_id,
        "user_id": requester.user_id,
    }
    if command is not None:
        tasks.enqueue(tasks.command_run, charger.pk, command, params, requester_fields, command_id)
    else:
        tasks.enqueue(tasks.action_run, charger.pk, action, payload, requester_fields, command_id)
    return command_id


def command_queued(*, organisation_id: int, command_id: str) -> dict | None:
    """What is known of an async command whose Command row does not exist yet (not picked up)."""
    queued = cache.get(f"command-queued:{command_id}")
    if not queued or queued["organisation_id"] != organisation_id:
        return None
    return {key: value for key, value in queued.items() if key != "organisation_id"}


def _job_start(charger: Charger, command: str, params: dict):
    """Firmware and diagnostics commands are tracked jobs; diagnostics may be uploaded to the CSMS itself."""
    if command == "firmware_update":
        job = jobs.firmware_job_create(
            charger=charger,
            location=params["location"],
            retrieve_date=params["retrieveDate"],
            retries=params.get("retries"),
            retry_interval=params.get("retryInterval"),
        )
        return job, params
    if command == "diagnostics":
        given = params.get("location")
        job, location = jobs.diagnostics_job_create(
            charger=charger, location=None if given in (None, "", "csms") else given
        )
        return job, {**params, "location": location}
    return None, params


def _completed(charger: Charger, result: CommandResult) -> None:
    events.command_completed(
        charger_id=charger.pk,
        data={
            "commandId": result.command_id,
            "action": result.action,
            "status": "answered" if result.answered else "error",
            "response": result.response if result.answered else None,
            "errorCode": result.error_code,
            "errorDescription": result.error_description,
        },
    )


def _completed_failure(charger: Charger, command_id: uuid.UUID, action: str, failure: CommandFailed) -> None:
    status = FAILURE_STATUS.get(type(failure))
    if status is None:  # refused before any Command row (invalid, rate limited)
        return
    events.command_completed(
        charger_id=charger.pk,
        data={"commandId": str(command_id), "action": action, "status": status, "response": None,
              "errorCode": failure.code, "errorDescription": str(failure)},
    )  # fmt: skip


def _follow_up(charger: Charger, command: str, params: dict, result: CommandResult, job=None) -> None:
    """What the product keeps of some answers, beside the Command row."""
    if job is not None:
        file_name = result.response.get("fileName", "") if result.answered else ""
        jobs.job_sent(job=job, command_id=result.command_id, accepted=result.answered, file_name=file_name)
    if command == "data_transfer":
        DataTransfer.objects.create(
            charger=charger,
            direction=DataTransfer.Direction.OUTGOING,
            vendor_id=params.get("vendorId", ""),
            message_id=params.get("messageId") or "",
            data=_text(params.get("data")),
            response_status=result.response.get("status", "") if result.answered else result.error_code,
            response_data=_text(result.response.get("data")) if result.answered else result.error_description,
        )


def _text(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)
