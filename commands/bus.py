"""The command bus: send one OCPP request to a charger, wherever its socket is, and await the answer.

Callers (API views, admin actions, CLI, tasks) call `command_send` from their own thread: it
records the command there, then the request travels over the channel layer (on the event loop)
to the consumer holding the charger's socket, which replies on a channel of our own.
"""

import asyncio
import decimal
import logging
import math
import time
from dataclasses import dataclass, field

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from chargers.models import Charger
from commands.channel_layers import REDIS_DOWN
from commands.models import Command, command_id_new
from commands.outcomes import record_timeout, record_unreachable
from commands.protocols import csms_actions, version_of
from csms import logs, metrics, statements
from csms.errors import DomainError

log = logging.getLogger(__name__)

# How much longer than the consumer's own timeout the caller waits, so that the
# consumer's verdict (with its bookkeeping) wins when it is alive.
REPLY_GRACE = 1.0


class CommandFailed(DomainError):
    """Base of the ways a command can fail before the charger answers."""

    code = "command_failed"


class CommandInvalid(CommandFailed):
    code = "validation_error"
    http_status = 400


class ChargerOffline(CommandFailed):
    code = "charge_point_offline"
    http_status = 422
    retry_elsewhere_while_draining = True


class CommandTimeout(CommandFailed):
    code = "timeout"
    http_status = 408
    retry_elsewhere_while_draining = True


class RateLimited(CommandFailed):
    code = "rate_limited"
    http_status = 429


class BusUnavailable(CommandFailed):
    """The channel layer (Redis) could not be reached: the request never left this process."""

    code = "bus_unavailable"
    http_status = 503


class ChargerError(CommandFailed):
    """The charger answered with a CALLERROR."""

    code = "charger_error"
    http_status = 502


@dataclass
class Requester:
    """Who asked: recorded on the Command row."""

    source: str
    description: str = ""
    api_key_id: int | None = None
    user_id: int | None = None


@dataclass
class CommandResult:
    command_id: str
    action: str
    answered: bool
    response: dict = field(default_factory=dict)
    error_code: str = ""
    error_description: str = ""
    latency_ms: int = 0  # charger's answer time, as the consumer measured it
    round_trip_ms: int = 0  # from the caller's send to the reply, across the channel layer


def payload_error(protocol: str, action: str, payload: dict) -> str | None:
    """Why `payload` is not a valid `action` request for the charger's OCPP version, or None."""
    version = version_of(protocol)
    if action not in version.csms_actions:
        return f"{action} is not a CSMS-initiated OCPP {version.schema_version} action"
    if not isinstance(payload, dict):
        return "the payload must be a JSON object"
    unsendable = _unsendable_number(payload)
    if unsendable:
        return unsendable
    try:
        return version.request_error(action, payload)
    except decimal.InvalidOperation:
        # Checking multipleOf (e.g. a charging rate's 0.1 steps) on a number beyond the decimal precision.
        return f"{_number_path(payload, lambda number: abs(number) >= 1e25) or 'a number'} is too large"


def _unsendable_number(payload: dict) -> str | None:
    """Infinity or NaN (e.g. a power limit converted from 1e308 kW) is no JSON a charger can read."""
    path = _number_path(payload, lambda number: not math.isfinite(number))
    return f"{path} is not a finite number" if path else None


def _number_path(value, test, path: str = "") -> str | None:
    """The path of the first number passing `test`, e.g. chargingSchedule.chargingSchedulePeriod.0.limit."""
    if isinstance(value, dict | list):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            found = _number_path(item, test, f"{path}.{key}" if path else str(key))
            if found:
                return found
    elif isinstance(value, int | float) and not isinstance(value, bool) and test(value):
        return path
    return None


def _rate_allowed(charger_id: int) -> bool:
    """At most CSMS_COMMAND_RATE_LIMIT commands per second per charger, across processes (shared cache)."""
    key = f"command-rate:{charger_id}:{int(time.time())}"
    try:
        return _rate_counted(key) <= settings.CSMS_COMMAND_RATE_LIMIT
    except REDIS_DOWN as error:
        # Without the shared cache the limit cannot be counted; the command still goes
        # (and fails as BusUnavailable if Redis is down for the bus too).
        log.warning("command rate limit not checked: %s", error)
        return True


def _rate_counted(key: str) -> int:
    if cache.add(key, 1, timeout=2):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr: a new second began
            cache.add(key, 1, timeout=2)
            count = 1
    return count


def _command_create(charger: Charger, action: str, payload: dict, requester: Requester) -> tuple[str, str]:
    """The new Command row's id, and the channel of the consumer holding the charger's socket ("" if none)."""
    # Every command runs this: prepared statements, not the ORM (csms/statements.py).
    found = statements.select_one(Charger, ["ocpp_protocol", "channel_name"], where={"id": charger.pk})
    if found is None:
        raise Charger.DoesNotExist(f"charger {charger.charge_box_id} is gone")
    protocol, channel_name = found
    error = payload_error(protocol, action, payload)
    if error:
        raise CommandInvalid(error)
    if not _rate_allowed(charger.pk):
        raise RateLimited(
            f"more than {settings.CSMS_COMMAND_RATE_LIMIT:g} commands per second to {charger.charge_box_id}"
        )
    command_id = command_id_new()
    statements.insert(
        Command,
        [
            {
                "id": command_id,
                "organisation_id": charger.organisation_id,
                "charger_id": charger.pk,
                "action": action,
                "request": payload,
                "source": requester.source,
                "requested_by": requester.description[:150],
                "api_key_id": requester.api_key_id,
                "user_id": requester.user_id,
                "status": Command.Status.PENDING if channel_name else Command.Status.OFFLINE,
                "error_description": "" if channel_name else "charger offline",
                "created_at": timezone.now(),
            }
        ],
    )
    if not connection.in_atomic_block and connection.vendor != "sqlite":
        # The caller now waits for the charger, up to the timeout: its connection goes back to the
        # pool meanwhile, so that commands to slow chargers never hold PostgreSQL's connection slots.
        # SQLite has no slots: its connection stays with the thread.
        connection.close()
    return str(command_id), channel_name


def command_send(
    *, charger: Charger, action: str, payload: dict, requester: Requester, timeout: float | None = None
) -> CommandResult:
    """Send `action` to the charger and return its answer (CALLRESULT or CALLERROR).

    Raises CommandInvalid, RateLimited, ChargerOffline, CommandTimeout or BusUnavailable.
    """
    timeout = settings.CSMS_COMMAND_TIMEOUT if timeout is None else timeout
    started = time.monotonic()
    outcome = "failed"  # what else went wrong (the charger deleted meanwhile)
    try:
        # Recorded on the caller's thread: one hop to the event loop and back per command, not three.
        command_id, channel_name = _command_create(charger, action, payload, requester)
        logs.command_id.set(command_id)
        if not channel_name:
            raise ChargerOffline(f"{charger.charge_box_id} is not connected")
        result = _command_deliver(
            charger=charger,
            action=action,
            payload=payload,
            command_id=command_id,
            channel_name=channel_name,
            timeout=timeout,
        )
        outcome = "answered" if result.answered else ChargerError.code
        return result
    except CommandFailed as failure:
        outcome = failure.code
        raise
    finally:
        if action in csms_actions():  # a caller's made-up action is no label value
            metrics.COMMANDS.labels(action, outcome).inc()
            metrics.COMMAND_SECONDS.labels(action).observe(time.monotonic() - started)


@async_to_sync
async def _command_deliver(
    *, charger: Charger, action: str, payload: dict, command_id: str, channel_name: str, timeout: float
) -> CommandResult:
    """Route the request to the consumer holding the charger's socket and await its reply."""
    layer = get_channel_layer()
    reply_to = await layer.new_channel()
    started = time.monotonic()
    # A relative timeout, not a deadline: the consumer may run on a machine whose clock differs.
    request = {
        "type": "ocpp.call",
        "command_id": command_id,
        "action": action,
        "payload": payload,
        "reply_to": reply_to,
        "timeout": timeout,
    }
    try:
        await layer.send(channel_name, request)
    except REDIS_DOWN as error:
        await record_unreachable(command_id=command_id)
        raise BusUnavailable(f"the command bus is unreachable ({error}); {action} was not sent")
    try:
        # If the consumer's process died, we still give up.
        reply = await asyncio.wait_for(layer.receive(reply_to), timeout + REPLY_GRACE)
    except (TimeoutError, *REDIS_DOWN):
        await record_timeout(command_id=command_id)
        raise CommandTimeout(f"{charger.charge_box_id} did not answer {action} within {timeout:g} s")
    round_trip_ms = int((time.monotonic() - started) * 1000)
    metrics.BUS_ROUND_TRIP.observe(time.monotonic() - started)
    outcome = reply["outcome"]
    if outcome == "offline":
        raise ChargerOffline(f"{charger.charge_box_id} disconnected before answering {action}")
    if outcome == "timeout":
        raise CommandTimeout(f"{charger.charge_box_id} did not answer {action} within {timeout:g} s")
    return CommandResult(
        command_id=command_id,
        action=action,
        answered=outcome == "answered",
        response=reply.get("response") or {},
        error_code=reply.get("error_code", ""),
        error_description=reply.get("error_description", ""),
        latency_ms=reply.get("latency_ms", 0),
        round_trip_ms=round_trip_ms,
    )
