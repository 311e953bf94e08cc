"""The command bus: send one OCPP request to a charger, wherever its socket is, and await the answer.

Callers (API views, admin actions, CLI, tasks) call `command_send` (async) or
`command_send_sync`. The request travels over the channel layer to the consumer
holding the charger's socket, which replies on a channel of our own.
"""

import asyncio
import time
from dataclasses import dataclass, field

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache

from chargers.models import Charger
from commands.models import Command
from commands.outcomes import record_offline, record_timeout
from ocpp_ws import framing
from ocpp_ws.framing import CALL
from ocpp_ws.versions import VERSIONS


class CommandFailed(Exception):
    """Base of the ways a command can fail before the charger answers."""

    code = "command_failed"


class CommandInvalid(CommandFailed):
    code = "validation_error"


class ChargerOffline(CommandFailed):
    code = "charge_point_offline"


class CommandTimeout(CommandFailed):
    code = "timeout"


class RateLimited(CommandFailed):
    code = "rate_limited"


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
    latency_ms: int = 0


def payload_error(protocol: str, action: str, payload: dict) -> str | None:
    """Why `payload` is not a valid `action` request for the charger's OCPP version, or None."""
    version = VERSIONS.get(protocol) or next(iter(VERSIONS.values()))
    if action not in version.csms_actions:
        return f"{action} is not a CSMS-initiated OCPP {version.schema_version} action"
    error = framing.schema_error(version.schema_version, CALL, action, payload, version.codes)
    return error.description if error else None


def _rate_allowed(charger_id: int) -> bool:
    """At most CSMS_COMMAND_RATE_LIMIT commands per second per charger, across processes."""
    key = f"command-rate:{charger_id}:{int(time.time())}"
    cache.add(key, 0, timeout=2)
    return cache.incr(key) <= settings.CSMS_COMMAND_RATE_LIMIT


@database_sync_to_async
def _command_create(charger: Charger, action: str, payload: dict, requester: Requester) -> tuple[Command, str]:
    if not _rate_allowed(charger.pk):
        raise RateLimited(
            f"more than {settings.CSMS_COMMAND_RATE_LIMIT:g} commands per second to {charger.charge_box_id}"
        )
    protocol, channel_name = Charger.objects.values_list("ocpp_protocol", "channel_name").get(pk=charger.pk)
    error = payload_error(protocol or "ocpp1.6", action, payload)
    if error:
        raise CommandInvalid(error)
    command = Command.objects.create(
        organisation_id=charger.organisation_id,
        charger=charger,
        action=action,
        request=payload,
        source=requester.source,
        requested_by=requester.description[:150],
        api_key_id=requester.api_key_id,
        user_id=requester.user_id,
    )
    return command, channel_name


async def command_send(
    *, charger: Charger, action: str, payload: dict, requester: Requester, timeout: float | None = None
) -> CommandResult:
    """Send `action` to the charger and return its answer (CALLRESULT or CALLERROR).

    Raises CommandInvalid, RateLimited, ChargerOffline or CommandTimeout.
    """
    timeout = settings.CSMS_COMMAND_TIMEOUT if timeout is None else timeout
    command, channel_name = await _command_create(charger, action, payload, requester)
    command_id = str(command.pk)
    if not channel_name:
        await record_offline(command_id=command_id)
        raise ChargerOffline(f"{charger.charge_box_id} is not connected")
    layer = get_channel_layer()
    reply_to = await layer.new_channel("command-reply.")
    await layer.send(
        channel_name,
        {
            "type": "ocpp.call",
            "command_id": command_id,
            "action": action,
            "payload": payload,
            "reply_to": reply_to,
            "deadline": time.time() + timeout,
        },
    )
    try:
        # A little longer than the consumer's own deadline, so that its verdict wins
        # when it is alive; if its process died, we still give up.
        reply = await asyncio.wait_for(layer.receive(reply_to), timeout + 1.0)
    except TimeoutError:
        await record_timeout(command_id=command_id)
        raise CommandTimeout(f"{charger.charge_box_id} did not answer {action} within {timeout:g} s")
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
    )


command_send_sync = async_to_sync(command_send)


def charger_disconnect(*, channel_name: str, reason: str) -> None:
    """Close a charger's socket, wherever it is held (e.g. when it is unregistered)."""
    if channel_name:
        async_to_sync(get_channel_layer().send)(channel_name, {"type": "ocpp.close", "reason": reason})
