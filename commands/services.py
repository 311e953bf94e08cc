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
from django.utils.dateparse import parse_datetime

from chargers import events
from chargers.models import Charger, DataTransfer, Site
from chargers.services import device_model, jobs
from charging.models import Transaction
from charging.services import local_list, reservations
from charging.services.metering import MAX_CHARGING_POWER_W
from commands.bus import (
    ChargerError,
    ChargerOffline,
    CommandFailed,
    CommandInvalid,
    CommandResult,
    CommandTimeout,
    Requester,
    command_send,
    payload_error,
    version_of,
)
from commands.models import Command, command_id_reserved
from commands.neutral import NotExpressible, Translation, answered, pick, request_id
from smart_charging.services import charging_profiles

# How long GET /commands/{id} knows an async command that no process has picked up yet.
QUEUED_TTL = 3600
# The Command statuses of failures that leave a Command row (command.completed is told of them).
FAILURE_STATUS = {ChargerOffline: "offline", CommandTimeout: "timeout"}
# A charger that starts a job says so (1.6 answers with no status; 2.0.1 may refuse: Rejected, InvalidCertificate...).
JOB_ACCEPTED = ("Accepted", "AcceptedCanceled")


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
    params = PREPARE.get(command, _unchanged)(charger, params)
    WITHIN_REACH.get(command, _unchanged)(charger, params)
    job, params = _job_start(charger, command, params)
    payload = _request(translation, params)
    command_id = command_id or uuid.uuid4()
    try:
        result = _answer_awaited(charger, translation.action, payload, requester, timeout, command_id, job=job)
    finally:
        if params.get("session"):  # kept whatever came of the command (the row exists once it was sent)
            Command.objects.filter(pk=command_id).update(session=params["session"])
    fields = translation.reply(params, result.response) if result.answered else {}
    _follow_up(charger, command, params, result, job, fields)
    _answer_kept(charger, payload, result)
    _completed(charger, result)
    _raise_charger_error(charger, result)
    record = RECORDS.get(command)
    if record is not None:
        # Kept as sent: the payload read back, where the version's table can (its own shapes pass through).
        record(charger, translation.params(payload) | pick(params, "meta") if translation.params else params, fields)
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
    """Send an OCPP action with its payload unchanged (validated against the charger's version), checked and
    prepared as the command it stands for is (a SetChargingProfile within the charger's reach; a
    GetChargingProfiles remembered, so that the charger's report settles the list of installed profiles)."""
    command, params = _as_command(charger, action, payload)
    if command is not None:
        params = PREPARE.get(command, _unchanged)(charger, params)
        WITHIN_REACH.get(command, _unchanged)(charger, params)
    result = _answer_awaited(charger, action, payload, requester, timeout, command_id)
    _completed(charger, result)
    data_transfer = version_of(charger.ocpp_protocol).commands.get("data_transfer")
    if data_transfer is not None and data_transfer.action == action:
        _follow_up(charger, "data_transfer", payload, result)
    _answer_kept(charger, payload, result)
    _raise_charger_error(charger, result)
    if command in RECORDS:
        translation = version_of(charger.ocpp_protocol).commands[command]
        RECORDS[command](charger, params, translation.reply(params, result.response))
    return reply(charger, result, dict(result.response), answered(action)({}, result.response))


def _answer_awaited(
    charger: Charger,
    action: str,
    payload: dict,
    requester: Requester,
    timeout: float | None,
    command_id: uuid.UUID | None,
    job=None,
) -> CommandResult:
    """Send under the command id (a new one unless reserved by the caller) and wait for the charger's answer;
    a failure to get one ends the `job` the command started and completes the command as failed."""
    with command_id_reserved(command_id or uuid.uuid4()) as reserved:
        try:
            return command_send(charger=charger, action=action, payload=payload, requester=requester, timeout=timeout)
        except CommandFailed as failure:
            if job is not None:
                jobs.job_sent(job=job, command_id=None, accepted=False, refusal=str(failure))
            _completed_failure(charger, reserved, action, failure)
            raise


def reply(charger: Charger, result: CommandResult, fields: dict, message: str) -> dict:
    """The API's answer: who/what/how long, the reply fields at the top level (with the charger's
    statusInfo, OCPP 2.0.1, when it gave one), the whole reply under `response`."""
    return {
        "chargeBoxId": charger.charge_box_id,
        "action": result.action,
        "commandId": result.command_id,
        "responseTimeMs": result.round_trip_ms,
        "message": message,
        **pick(result.response, "statusInfo"),
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


def transaction_connector(*, charger: Charger, transaction_id: int | str) -> int | None:
    """The connector, as commands name it, of a transaction we know of on this charger, or None: its EVSE
    (for OCPP 1.6 the connector itself)."""
    return (
        Transaction.objects.filter(charger=charger, ocpp_id=str(transaction_id))
        .values_list("evse_id", flat=True)
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
        if command in WITHIN_REACH:
            WITHIN_REACH[command](charger, PREPARE.get(command, _unchanged)(charger, params))
        action, checked = translation.action, _request(translation, params)
    else:
        stands_for, read_back = _as_command(charger, action, payload)
        WITHIN_REACH.get(stands_for, _unchanged)(charger, read_back)
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


def _request(translation: Translation, params: dict) -> dict:
    try:
        return translation.request(params)
    except NotExpressible as refusal:
        raise CommandInvalid(str(refusal))


def _job_start(charger: Charger, command: str, params: dict):
    """Firmware and diagnostics commands are tracked jobs; diagnostics may be uploaded to the CSMS itself."""
    if command in ("firmware_update", "firmware_update_signed"):
        job = jobs.firmware_job_create(
            charger=charger,
            location=params["location"],
            retrieve_date=params["retrieveDate"],
            retries=params.get("retries"),
            retry_interval=params.get("retryInterval"),
        )
        return job, params
    if command in ("diagnostics", "log_get"):
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


def _follow_up(
    charger: Charger, command: str, params: dict, result: CommandResult, job=None, fields: dict | None = None
) -> None:
    """What the product keeps of some answers, beside the Command row. `fields`: the answer as the reply shows it."""
    if command == "local_list_send" and result.answered:
        local_list.local_list_sent(charger=charger, payload=params, status=result.response.get("status", ""))
    if command == "local_list_version" and result.answered and isinstance(result.response.get("listVersion"), int):
        local_list.local_list_version_record(charger=charger, version=result.response["listVersion"])
    if job is not None:
        fields = fields or {}
        accepted = result.answered and fields.get("status", "Accepted") in JOB_ACCEPTED
        jobs.job_sent(
            job=job, command_id=result.command_id, accepted=accepted, file_name=fields.get("fileName") or "",
            refusal="" if accepted else _refusal(result),
        )  # fmt: skip
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


def _refusal(result: CommandResult) -> str:
    """The charger's no, as an operator reads it: its status and (2.0.1) statusInfo, or its CALLERROR."""
    if not result.answered:
        return f"{result.error_code}: {result.error_description}".rstrip(": ")
    info = result.response.get("statusInfo") or {}
    said = " ".join(filter(None, [info.get("reasonCode"), info.get("additionalInfo")]))
    return f"{result.response.get('status')} ({said})" if said else str(result.response.get("status"))


def _as_command(charger: Charger, action: str, payload: dict) -> tuple[str | None, dict]:
    """The command an action sent as it is stands for, and the parameters its payload reads back as, when the
    version's table says how to read it (a SetChargingProfile is kept like one sent through `charging-profiles`).
    A payload the version's schema refuses is a 400 before it is read."""
    error = payload_error(charger.ocpp_protocol, action, payload)
    if error:
        raise CommandInvalid(error)
    for command, translation in version_of(charger.ocpp_protocol).commands.items():
        if translation.action == action and translation.params is not None:
            return command, translation.params(payload)
    return None, {}


def _answer_kept(charger: Charger, request: dict, result: CommandResult) -> None:
    """What the charger's OCPP version keeps of its answer to this action (2.0.1: variables read or set
    go into the device model), whichever endpoint sent the CALL."""
    keep = version_of(charger.ocpp_protocol).answers.get(result.action)
    if keep is not None and result.answered:
        keep(charger_id=charger.pk, request=request, response=result.response)


def _text(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


# What a command needs from the charger's record before translation, whatever its OCPP version.


def _unchanged(charger: Charger, params: dict) -> dict:
    return params


def _power_limit_prepare(charger: Charger, params: dict) -> dict:
    """The charger's phases, voltage and rate unit, unless the caller gave them; a start we can record."""
    params = {
        "numberPhases": charger.phases,
        "voltage": charger.voltage,
        "chargingRateUnit": charger.rate_unit,
        "maxCurrent": charger.max_current,
        "startSchedule": timezone.now().replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        **{name: value for name, value in params.items() if value is not None},
    }
    return _power_limit_chosen(charger, params)


# The power limit's input fields in watts, per their unit (amperes per phase are converted with the voltage).
LIMIT_WATTS = {"acMaxPowerKw": ("kW", 1000), "acMaxPowerW": ("W", 1), "dcMaxPowerKw": ("kW", 1000)}
# The current each of the power limit's input fields is for.
LIMIT_CURRENT = {"acMaxPowerA": "AC", "acMaxPowerKw": "AC", "acMaxPowerW": "AC", "dcMaxPowerKw": "DC"}


def _power_limit_watts(field: str, value: float, params: dict) -> float:
    if field == "acMaxPowerA":
        return value * params["numberPhases"] * params["voltage"]
    return value * LIMIT_WATTS[field][1]


def _power_limit_chosen(charger: Charger, params: dict) -> dict:
    """Of the limits given, the one the charger is sent (`limitApplied`): the most restrictive of those for the
    current it delivers, as its device model says (AC or DC); of all of them, in watts, when it says nothing or
    none given is for its current. Every limit given stays in `limitsGiven`, each checked against its reach."""
    given = params["limit"]
    current = device_model.current_type(charger_id=charger.pk, evse_id=params.get("connectorId") or 0)
    applies = {field: value for field, value in given.items() if LIMIT_CURRENT[field] == current} or given
    field = min(applies, key=lambda name: _power_limit_watts(name, applies[name], params))
    return params | {"limit": {field: given[field]}, "limitApplied": field, "limitsGiven": given}


def _power_limit_within_reach(charger: Charger, params: dict) -> None:
    phases, voltage = params["numberPhases"], params["voltage"]
    for field, value in params["limitsGiven"].items():
        if field == "dcMaxPowerKw":
            _within_reach(charger, f"limit.{field}", f"{value:g} kW", watts=value * 1000)
        elif field == "acMaxPowerA":
            _within_reach(charger, f"limit.{field}", f"{value:g} A", amperes=value, phases=phases, voltage=voltage)
        else:
            unit, factor = LIMIT_WATTS[field]
            amperes = value * factor / (phases * voltage)
            _within_reach(charger, f"limit.{field}", f"{value:g} {unit}", amperes=amperes, phases=phases,
                          voltage=voltage)  # fmt: skip


def _profile_within_reach(charger: Charger, params: dict) -> None:
    """Every period of the profile (OCPP 1.6's one schedule or 2.0.1's list): amperes per phase, and watts
    with numberPhases, are AC; watts without may be DC."""
    profile = params.get("chargingProfile")
    if not profile:
        return
    schedules = profile["chargingSchedule"]
    named = [(f"[{index}]", schedule) for index, schedule in enumerate(schedules)] if isinstance(
        schedules, list) else [("", schedules)]  # fmt: skip
    for index, schedule in named:
        for number, period in enumerate(schedule["chargingSchedulePeriod"]):
            name = f"chargingProfile.chargingSchedule{index}.chargingSchedulePeriod[{number}].limit"
            limit, unit = period["limit"], schedule["chargingRateUnit"]
            phases = period.get("numberPhases")
            if unit == "A":
                phases = phases or charger.phases
                _within_reach(charger, name, f"{limit:g} A", amperes=limit, phases=phases, voltage=charger.voltage)
            elif phases:
                amperes = limit / (phases * charger.voltage)
                _within_reach(charger, name, f"{limit:g} W", amperes=amperes, phases=phases, voltage=charger.voltage)
            else:
                _within_reach(charger, name, f"{limit:g} W", watts=limit)


def _within_reach(
    charger: Charger, name: str, asked: str, *, amperes: float | None = None, watts: float | None = None,
    phases: int = 0, voltage: float = 0.0,
) -> None:  # fmt: skip
    """A limit above what the charger (or its site) can physically deliver is a mistake, not a limit: AC in
    `amperes` per phase, against maxCurrent; else (DC, or AC of unknown phases) in `watts`."""
    site = charger.site
    if amperes is None:
        if watts > MAX_CHARGING_POWER_W:
            raise CommandInvalid(f"{name}: {asked} is above the most any charger delivers "
                                 f"({MAX_CHARGING_POWER_W / 1000:g} kW).")  # fmt: skip
        if site is not None and site.capacity_unit == Site.Unit.KILOWATTS and watts > site.capacity_limit * 1000:
            raise CommandInvalid(f"{name}: {asked} is above the capacity of site {site} "
                                 f"({site.capacity_limit:g} kW).")  # fmt: skip
        return
    if amperes > charger.max_current:
        most = charger.max_current * phases * voltage / 1000
        raise CommandInvalid(f"{name}: {asked} is above {charger.charge_box_id}'s maximum of {charger.max_current:g} A "
                             f"per phase ({most:g} kW on {phases} phases at {voltage:g} V; maxCurrent).")  # fmt: skip
    if site is None:
        return
    per_phase = site.capacity_unit == Site.Unit.AMPERES
    capacity = site.capacity_limit if per_phase else site.capacity_limit * 1000 / (phases * voltage)
    if amperes > capacity:
        raise CommandInvalid(f"{name}: {asked} is above the capacity of site {site} ({site.capacity_limit:g} "
                             f"{'A per phase' if per_phase else 'kW'}).")  # fmt: skip


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
        charging_profiles.charging_profile_record(charger=charger, **_installed(params), meta=_json(params.get("meta")))


def _transaction_started(charger: Charger, params: dict, fields: dict) -> None:
    """A remote start's TxProfile, once the charger accepted the start: installed for the session the start
    begins. That session, if the charger reported it before its answer was read, is known now; else its start
    claims the profile (charging_profiles_transaction_started). The session's end drops it."""
    if not (_accepted(fields) and params.get("chargingProfile")):
        return
    installed = _installed({"connectorId": 0} | params)  # 0: on the connector the charger chooses
    session = _remote_session(charger, params, fields)
    if session is not None:
        installed |= {"connector_id": session.evse_id, "transaction_id": session.ocpp_id}
    charging_profiles.charging_profile_record(charger=charger, **installed, meta=_json(params.get("meta")))


def _remote_session(charger: Charger, params: dict, fields: dict) -> Transaction | None:
    """The open session a remote start began, when already reported: the one the charger named (2.0.1), the
    one carrying the start's remoteStartId (2.0.1), or the newest for its id tag on its connector (1.6)."""
    sessions = Transaction.objects.filter(charger=charger, stop_time__isnull=True)
    if fields.get("transactionId"):
        return sessions.filter(ocpp_id=str(fields["transactionId"])).first()
    if params.get("remoteStartId") is not None:
        return sessions.filter(remote_start_id=params["remoteStartId"]).first()
    if params.get("connectorId"):
        sessions = sessions.filter(connector_id=params["connectorId"])
    return sessions.filter(id_tag=params["idTag"]).order_by("-start_time").first()


def _installed(params: dict) -> dict:
    """A charging-profiles command's parameters as the list of installed profiles keeps them."""
    profile = params["chargingProfile"]
    return {
        "connector_id": params["connectorId"],
        "profile_id": profile["chargingProfileId"],
        "stack_level": profile["stackLevel"],
        "purpose": profile["chargingProfilePurpose"],
        "kind": profile["chargingProfileKind"],
        "schedule": _json(profile["chargingSchedule"]),
        "transaction_id": profile.get("transactionId"),
        "recurrency_kind": profile.get("recurrencyKind") or "",
        "valid_from": _when(profile.get("validFrom")),
        "valid_to": _when(profile.get("validTo")),
    }


# What a GetChargingProfiles asked, until the charger's last report of it (OCPP 2.0.1: in parts, tbc).
PROFILES_ASKED_TTL = 600


def _profiles_asked_key(charger_id: int, request_id: int) -> str:
    return f"charging-profiles-asked:{charger_id}:{request_id}"


def _charging_profiles_ask(charger: Charger, params: dict) -> dict:
    """Remember what is asked before the CALL goes out: the charger's reports may come before its answer is read."""
    params = dict(params)
    asked = {
        "criteria": pick(params, "connectorId", "chargingProfilePurpose", "stackLevel", "chargingProfileId",
                         "chargingLimitSource"),
        "askedAt": timezone.now().isoformat(),
        "reported": [],
    }  # fmt: skip
    cache.set(_profiles_asked_key(charger.pk, request_id(params)), asked, PROFILES_ASKED_TTL)
    return params


def charging_profiles_reported(*, charger_id: int, request_id: int, profiles: list[dict], last: bool) -> None:
    """Part of a charger's report of the profiles it holds (each as a charging-profiles command's parameters):
    they are listed as it holds them. With the last part, the list follows the report: a listed profile
    matching what was asked that no part named is gone."""
    charger = Charger.objects.filter(pk=charger_id).first()
    if charger is None:
        return  # unregistered while it reported
    for params in profiles:
        charging_profiles.charging_profile_record(charger=charger, **_installed(params), reported=True)
    key = _profiles_asked_key(charger_id, request_id)
    asked = cache.get(key)
    if asked is None:
        return  # asked by a raw command, or long ago: recorded, nothing settled
    asked["reported"] += [params["chargingProfile"]["chargingProfileId"] for params in profiles]
    if last:
        cache.delete(key)
        _charging_profiles_settle(charger, asked)
    else:
        cache.set(key, asked, PROFILES_ASKED_TTL)


def _charging_profiles_settle(charger: Charger, asked: dict) -> None:
    criteria = asked["criteria"]
    sources = criteria.get("chargingLimitSource")
    if sources and "CSO" not in sources:
        return  # only profiles others set were asked about; ours were not reported
    charging_profiles.charging_profiles_settle(
        charger=charger,
        reported=asked["reported"],
        asked_at=_when(asked["askedAt"]),
        connector_id=criteria.get("connectorId"),
        purpose=criteria.get("chargingProfilePurpose"),
        stack_level=criteria.get("stackLevel"),
        profile_ids=criteria.get("chargingProfileId"),
    )


def _charging_profiles_none(charger: Charger, params: dict, fields: dict) -> None:
    """NoProfiles: the charger holds none of those asked about, and sends no report."""
    if fields.get("status") == "NoProfiles":
        key = _profiles_asked_key(charger.pk, params["requestId"])
        asked = cache.get(key)
        cache.delete(key)
        if asked is not None:
            _charging_profiles_settle(charger, asked)


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


PREPARE = {"power_limit_set": _power_limit_prepare, "charging_profiles_get": _charging_profiles_ask}
# Limits checked before anything is sent, on the prepared parameters.
WITHIN_REACH = {
    "power_limit_set": _power_limit_within_reach,
    "charging_profile_set": _profile_within_reach,
    "transaction_start": _profile_within_reach,
}


RECORDS = {
    "reservation_create": _reservation_created,
    "reservation_cancel": _reservation_cancelled,
    "charging_profile_set": _charging_profile_set,
    "charging_profile_clear": _charging_profiles_cleared,
    "charging_profiles_get": _charging_profiles_none,
    "power_limit_set": _charging_profile_set,  # the profile sent, read back
    "power_limit_clear": _power_limit_cleared,
    "configuration_get": _configuration_read,
    "transaction_start": _transaction_started,  # its TxProfile, if it carried one
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
