"""Commands in the product's words: translate for the charger's OCPP version, send over the bus, answer.

`command_run` serves the named endpoints (reset, unlock, power limit, ...); `action_run`
sends an OCPP action and payload as they are. Both return the API's reply shape and raise
`CommandFailed` subclasses (a CALLERROR answer is `ChargerError`).
"""

import json
import secrets

from chargers.models import Charger, DataTransfer, Transaction
from chargers.services import local_list
from commands.bus import (
    ChargerError,
    CommandInvalid,
    CommandResult,
    Requester,
    command_send_sync,
    version_of,
)
from commands.neutral import answered


def command_run(
    *, charger: Charger, command: str, params: dict, requester: Requester, timeout: float | None = None
) -> dict:
    """Send the version-neutral `command` with `params` and return the reply (see `reply`)."""
    translation = version_of(charger.ocpp_protocol).commands.get(command)
    if translation is None:
        raise CommandInvalid(f"{command} is not available in the OCPP version of {charger.charge_box_id}")
    result = command_send_sync(
        charger=charger,
        action=translation.action,
        payload=translation.request(params),
        requester=requester,
        timeout=timeout,
    )
    _follow_up(charger, command, params, result)
    _raise_charger_error(charger, result)
    fields = translation.reply(params, result.response)
    return reply(charger, result, fields, translation.message(params, fields))


def action_run(
    *, charger: Charger, action: str, payload: dict, requester: Requester, timeout: float | None = None
) -> dict:
    """Send an OCPP action with its payload unchanged (validated against the charger's version)."""
    result = command_send_sync(charger=charger, action=action, payload=payload, requester=requester, timeout=timeout)
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


def local_list_sync(*, charger: Charger, requester: Requester, update_type: str | None = None) -> dict:
    """Bring the charger's local authorization list up to date with the organisation's id tags.

    Sends the SendLocalList that `local_list.local_list_plan` chooses (Full or Differential), or
    nothing when the charger confirmed the current list already. The answer is recorded by the
    follow-up of `local_list_send`.
    """
    plan = local_list.local_list_plan(charger=charger, update_type=update_type)
    held = local_list.local_list_of(charger)
    if plan is None:
        return {
            "chargeBoxId": charger.charge_box_id,
            "message": f"Local list version {held.version} is up to date; nothing sent",
            "sent": False,
            "listVersion": held.version,
            "updateType": None,
            "status": "UpToDate",
            "entries": 0,
        }
    answer = command_run(charger=charger, command="local_list_send", params=plan.payload, requester=requester)
    return {**answer, "sent": True, "updateType": plan.update_type, "entries": len(plan.entries)}


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


def _follow_up(charger: Charger, command: str, params: dict, result: CommandResult) -> None:
    """What the product keeps of some answers, beside the Command row."""
    if command == "local_list_send" and result.answered:
        local_list.local_list_sent(charger=charger, payload=params, status=result.response.get("status", ""))
    if command == "local_list_version" and result.answered and isinstance(result.response.get("listVersion"), int):
        local_list.local_list_version_record(charger=charger, version=result.response["listVersion"])
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
