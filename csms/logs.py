"""Log records that name what they are about: the charger, the OCPP message and the command.

The consumer and the command bus set these context variables where they know them; each
charger's connection runs as a task of its own, so its values stay with its own log lines.
With LOG_FORMAT=json every line is one JSON object carrying them as fields, so that one
command can be followed across nodes (README, "Operations").
"""

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

charge_box_id: ContextVar[str] = ContextVar("charge_box_id", default="")
message_id: ContextVar[str] = ContextVar("message_id", default="")
command_id: ContextVar[str] = ContextVar("command_id", default="")

# Record attribute -> JSON field.
FIELDS = {"charge_box_id": "chargeBoxId", "message_id": "messageId", "command_id": "commandId"}
CONTEXT = {"charge_box_id": charge_box_id, "message_id": message_id, "command_id": command_id}


class ContextFilter(logging.Filter):
    """Copies the context variables onto each record (an `extra=` given by the caller wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, variable in CONTEXT.items():
            if not getattr(record, name, ""):
                setattr(record, name, variable.get())
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, field in FIELDS.items():
            if value := getattr(record, name, ""):
                line[field] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)
