"""What happened to a Command, as the consumer holding the socket sees it.

Each is one conditional UPDATE. The consumer runs them on the frames' database workers
(ocpp_ws/group_commit.py), beside the charger's frames; the command bus, which waits in a
request or a task, uses the async wrappers at the end. `sent_at` is when the CALL went out
(None: it never did); the outcome writes it, so that a prompt answer takes one UPDATE, not two.
"""

import logging
import uuid
from datetime import datetime

from channels.db import database_sync_to_async
from django.utils import timezone

from commands.models import Command
from csms import statements

log = logging.getLogger(__name__)

OPEN = (Command.Status.PENDING, Command.Status.SENT)


def _update(command_id: str, *, only_open: bool = True, sent_at: datetime | None = None, **fields) -> int:
    where = {"id": command_id, "status": OPEN} if only_open else {"id": command_id}
    if sent_at is not None:
        fields["sent_at"] = sent_at
    return statements.update(Command, fields, where=where)


def sent(*, command_id: str, sent_at: datetime) -> None:
    """The charger is taking its time: the command shows as sent meanwhile."""
    _update(command_id, status=Command.Status.SENT, sent_at=sent_at)


def answered(*, command_id: str, response: dict, latency_ms: int, sent_at: datetime) -> None:
    _update(
        command_id,
        status=Command.Status.ANSWERED,
        response=response,
        sent_at=sent_at,
        answered_at=timezone.now(),
        latency_ms=latency_ms,
    )


def charger_error(
    *, command_id: str, error_code: str, error_description: str, latency_ms: int, sent_at: datetime
) -> None:
    _update(
        command_id,
        sent_at=sent_at,
        status=Command.Status.ERROR,
        error_code=error_code,
        error_description=error_description[:255],
        answered_at=timezone.now(),
        latency_ms=latency_ms,
    )


def timed_out(*, command_id: str, sent_at: datetime | None = None) -> None:
    _update(command_id, status=Command.Status.TIMEOUT, sent_at=sent_at)


def offline(*, command_id: str, disconnected: bool = False, sent_at: datetime | None = None) -> None:
    _update(
        command_id,
        sent_at=sent_at,
        status=Command.Status.OFFLINE,
        error_description="charger disconnected during the call" if disconnected else "charger offline",
    )


def unreachable(*, command_id: str) -> None:
    _update(command_id, status=Command.Status.OFFLINE, error_description="command bus (Redis) unreachable; not sent")


def late_answer(*, command_id: str, response: dict | None, error_code: str, error_description: str) -> None:
    """Keep an answer that arrived after its call timed out, beside the call it answers."""
    late = response if response is not None else {"errorCode": error_code, "errorDescription": error_description}
    try:
        uuid.UUID(command_id)
    except ValueError:
        log.warning("answer to a message we never sent (%s): %s", command_id, late)
        return
    if not _update(command_id, only_open=False, late_response=late, late_at=timezone.now()):
        log.warning("answer to a message we never sent (%s): %s", command_id, late)


# For the command bus, from the event loop of a request or a task.
record_timeout = database_sync_to_async(timed_out)
record_unreachable = database_sync_to_async(unreachable)
