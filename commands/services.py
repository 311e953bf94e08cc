"""Commands in the product's words: translate for the charger's OCPP version, send over the bus, answer.

`command_run` serves the named endpoints (reset, unlock, power limit, ...); `action_run`
sends an OCPP action and payload as they are. Both return the API's reply shape and raise
`CommandFailed` subclasses (a CALLERROR answer is `ChargerError`).
"""

import json
import secrets

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from chargers.models import Charger, DataTransfer, Transaction
from chargers.services import charging_profiles, local_list, reservations
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
    params = PREPARE.get(command, _unchanged)(charger, params)
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
    record = RECORDS.get(command)
    if record is not None:
        record(charger, params, fields)
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


# What a command needs from the charger's record before translation, whatever its OCPP version.


def _unchanged(charger: Charger, params: dict) -> dict:
    return params


def _power_limit_prepare(charger: Charger, params: dict) -> dict:
    """The charger's phases, voltage and rate unit, unless the caller gave them; a start we can record."""
    return {
        "numberPhases": charger.phases,
        "voltage": charger.voltage,
        "chargingRateUnit": charger.rate_unit,
        "startSchedule": timezone.now().replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        **{name: value for name, value in params.items() if value is not None},
    }


PREPARE = {"power_limit_set": _power_limit_prepare}


# What the product keeps of an answered command, from its neutral parameters and reply fields.


def _accepted(fields: dict) -> bool:
    return fields.get("status") == "Accepted"


def _reservation_created(charger: Charger, params: dict, fields: dict) -> None:
    if _accepted(fields):
        reservations.reservation_record(
            charger=charger,
            reservation_id=params["reservationId"],
            connector_id=params["connectorId"],
            id_tag=params["idTag"],
            expiry_date=_when(params["expiryDate"]),
            parent_id_tag=params.get("parentIdTag") or "",
        )


def _reservation_cancelled(charger: Charger, params: dict, fields: dict) -> None:
    if _accepted(fields):
        reservations.reservation_cancel(charger=charger, reservation_id=params["reservationId"])


def _charging_profile_set(charger: Charger, params: dict, fields: dict) -> None:
    if _accepted(fields):
        profile = params["chargingProfile"]
        charging_profiles.charging_profile_record(
            charger=charger,
            connector_id=params["connectorId"],
            profile_id=profile["chargingProfileId"],
            stack_level=profile["stackLevel"],
            purpose=profile["chargingProfilePurpose"],
            kind=profile["chargingProfileKind"],
            schedule=_json(profile["chargingSchedule"]),
            transaction_id=profile.get("transactionId"),
            recurrency_kind=profile.get("recurrencyKind") or "",
            valid_from=_when(profile.get("validFrom")),
            valid_to=_when(profile.get("validTo")),
        )


def _power_limit_set(charger: Charger, params: dict, fields: dict) -> None:
    if _accepted(fields):
        ac = "dcMaxPowerKw" not in params["limit"]
        period = {"startPeriod": 0, "limit": fields["limit"]} | ({"numberPhases": params["numberPhases"]} if ac else {})
        charging_profiles.charging_profile_record(
            charger=charger,
            connector_id=fields["connectorId"],
            profile_id=fields["chargingProfileId"],
            stack_level=params.get("stackLevel") or 0,
            purpose=fields["chargingProfilePurpose"],
            kind="Absolute",
            schedule={
                "startSchedule": params["startSchedule"],
                "chargingRateUnit": fields["chargingRateUnit"],
                "chargingSchedulePeriod": [period],
            },
            transaction_id=params.get("transactionId"),
        )


def _charging_profiles_cleared(charger: Charger, params: dict, fields: dict) -> None:
    # Unknown: the charger holds no such profile, so it is not installed either.
    if fields.get("status") in ("Accepted", "Unknown"):
        charging_profiles.charging_profiles_clear(
            charger=charger,
            profile_id=params.get("id"),
            connector_id=params.get("connectorId"),
            purpose=params.get("chargingProfilePurpose"),
            stack_level=params.get("stackLevel"),
        )


def _power_limit_cleared(charger: Charger, params: dict, fields: dict) -> None:
    if fields.get("status") in ("Accepted", "Unknown"):
        charging_profiles.charging_profiles_clear(charger=charger, profile_id=fields["chargingProfileId"])


def _configuration_read(charger: Charger, params: dict, fields: dict) -> None:
    """Remember the rate units the charger allows, so that its profiles use one of them."""
    for key in fields.get("configurationKey") or []:
        if key.get("key") == "ChargingScheduleAllowedChargingRateUnit" and key.get("value") is not None:
            Charger.objects.filter(pk=charger.pk).update(reported_rate_units=str(key["value"])[:50])
            charger.reported_rate_units = str(key["value"])[:50]


RECORDS = {
    "reservation_create": _reservation_created,
    "reservation_cancel": _reservation_cancelled,
    "charging_profile_set": _charging_profile_set,
    "charging_profile_clear": _charging_profiles_cleared,
    "power_limit_set": _power_limit_set,
    "power_limit_clear": _power_limit_cleared,
    "configuration_get": _configuration_read,
}


def _when(value):
    """A timestamp from validated parameters (a datetime or ISO 8601 text), or None."""
    if value is None or not isinstance(value, str):
        return value
    return parse_datetime(value.replace("Z", "+00:00"))


def _json(value):
    """Validated parameters as JSON-ready data (timestamps as ISO 8601 text)."""
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat().replace("+00:00", "Z")
    return value
