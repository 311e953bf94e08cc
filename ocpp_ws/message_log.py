"""The OCPP message log: every frame in and out of a charger's socket, written in batches.

The consumer calls `received` and `sent` with the frame's text; they only queue it (no
parsing, no database) for the frames' database workers, which parse and write a batch with
multi-row INSERTs (csms/statements.py) every FLUSH_INTERVAL seconds, or sooner once
FLUSH_SIZE frames wait (ocpp_ws/write_behind.py). So the log costs no database round trip per
frame; a process that dies loses at most the last FLUSH_INTERVAL seconds of it.

CSMS_MESSAGE_LOG: "all" (default), "errors" (CALLERRORs and frames that are not OCPP-J) or "off".
Frames older than CSMS_MESSAGE_LOG_RETENTION_DAYS are pruned (`messages_prune`), in short batches.
"""

import json
import threading
from collections import OrderedDict
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from csms.retention import batched_delete
from ocpp_ws.write_behind import WriteBehind

MODES = ("all", "errors", "off")
FLUSH_INTERVAL = 0.5
FLUSH_SIZE = 500
# CALLs remembered to name the action of their answers (which carry only the message id).
REMEMBERED_CALLS = 10_000
HIDDEN = "********"


def _mode() -> str:
    mode = settings.CSMS_MESSAGE_LOG
    if mode not in MODES:
        raise ImproperlyConfigured(f"CSMS_MESSAGE_LOG must be one of {', '.join(MODES)}, not {mode!r}")
    return mode


class MessageLog:
    def __init__(self):
        self.mode = None
        self.frames = WriteBehind(self.write, interval=FLUSH_INTERVAL, size=FLUSH_SIZE, what="message log frames")
        self.actions: OrderedDict[tuple[int, str], str] = OrderedDict()
        self.actions_lock = threading.Lock()  # batches may be written on several workers at once

    def record(self, session, direction: str, text: str | None) -> None:
        """Queue one frame; called on the event loop for every frame."""
        if self.mode is None:
            self.mode = _mode()
        if self.mode == "off" or session is None or text is None:
            return
        if self.mode == "errors" and text[:8].lstrip().startswith(("[2", "[3")):
            return  # a frame that is not OCPP-J is told apart when it is parsed, on the worker
        self.frames.add((session.charger_id, direction, text, datetime.now(UTC)))

    def write(self, *, batch: list[tuple]) -> int:
        """Parse and store a batch (on a database worker); frames of chargers deleted meanwhile are dropped."""
        from chargers.models import Charger
        from csms import statements
        from ocpp_ws.models import OcppMessage

        known = statements.existing(Charger, {row[0] for row in batch})
        with self.actions_lock:
            parsed = [self.parse(charger_id, text) for charger_id, _, text, _ in batch]
        rows = []
        for (charger_id, direction, text, at), (message_type, unique_id, action, error_code) in zip(
            batch, parsed, strict=True
        ):
            if charger_id not in known:
                continue
            if self.mode == "errors" and message_type in (2, 3):
                continue
            rows.append(
                {
                    "charger_id": charger_id,
                    "direction": direction,
                    "message_type": message_type,
                    "unique_id": unique_id[:64],
                    "action": action[:50],
                    "error_code": error_code[:50],
                    "frame": password_hidden(text) if message_type == 2 else text,
                    "at": at,
                }
            )
        statements.insert(OcppMessage, rows)
        return len(rows)

    def parse(self, charger_id: int, text: str) -> tuple[int | None, str, str, str]:
        """(message type, message id, action, error code); the type is None for a frame that is not OCPP-J."""
        try:
            frame = json.loads(text)
            message_type, unique_id = frame[0], frame[1]
        except (ValueError, TypeError, IndexError, KeyError):
            return None, "", "", ""
        if message_type not in (2, 3, 4) or not isinstance(unique_id, str):
            return None, "", "", ""
        key = (charger_id, unique_id)
        if message_type == 2:
            action = frame[2] if len(frame) > 2 and isinstance(frame[2], str) else ""
            self.actions[key] = action
            if len(self.actions) > REMEMBERED_CALLS:
                self.actions.popitem(last=False)
            return 2, unique_id, action, ""
        action = self.actions.pop(key, "")
        error_code = frame[2] if message_type == 4 and len(frame) > 2 and isinstance(frame[2], str) else ""
        return message_type, unique_id, action, error_code


def password_hidden(text: str) -> str:
    """A CALL that sets a charger's password (1.6 AuthorizationKey, 2.0.1 BasicAuthPassword), with the password
    replaced: the log keeps that it was set, never the password."""
    if "AuthorizationKey" not in text and "BasicAuthPassword" not in text:
        return text
    frame = json.loads(text)
    payload = frame[3] if len(frame) > 3 and isinstance(frame[3], dict) else {}
    if payload.get("key") == "AuthorizationKey" and "value" in payload:
        payload["value"] = HIDDEN
    for data in payload.get("setVariableData") or []:
        if isinstance(data, dict) and (data.get("variable") or {}).get("name") == "BasicAuthPassword":
            data["attributeValue"] = HIDDEN
    return json.dumps(frame, separators=(",", ":"))


message_log = MessageLog()


def messages_prune(*, now: datetime | None = None) -> int:
    """Delete frames older than CSMS_MESSAGE_LOG_RETENTION_DAYS (0 keeps them); rows removed."""
    from ocpp_ws.models import OcppMessage

    days = settings.CSMS_MESSAGE_LOG_RETENTION_DAYS
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    old = OcppMessage.objects.filter(at__lt=cutoff)
    # Rows come in time order, so the first one kept bounds the old ones by primary key: each batch
    # is then read from the primary key's index, with no index on `at` and no scan of what is kept.
    first_kept = OcppMessage.objects.filter(at__gte=cutoff).order_by("pk").values_list("pk", flat=True).first()
    if first_kept is not None:
        old = old.filter(pk__lt=first_kept)
    return batched_delete(old)


def received(session, text: str | None) -> None:
    message_log.record(session, "in", text)


def sent(session, text: str | None) -> None:
    message_log.record(session, "out", text)
