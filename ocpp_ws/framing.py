"""OCPP-J framing: parse frames, validate payloads against the `ocpp` library's schemas,
and build CALLRESULT / CALLERROR frames. Knows no business rules."""

import decimal
import functools
import json
import re
from dataclasses import dataclass, field

import fastjsonschema
from jsonschema.exceptions import ValidationError as SchemaError
from ocpp.messages import MessageType, get_validator

from csms import metrics

CALL, CALLRESULT, CALLERROR = MessageType.Call, MessageType.CallResult, MessageType.CallError
# OCPP 2.1's RPC framework adds two: an error about a CALLRESULT received, and a message that is never answered.
CALLRESULTERROR, SEND = 5, 6

# Schemas whose decimals need exact parsing (multipleOf 0.1), per version.
DECIMAL_ACTIONS = {
    ("1.6", CALL): {"SetChargingProfile", "RemoteStartTransaction"},
    ("1.6", CALLRESULT): {"GetCompositeSchedule"},
}

# Every CALLERROR code of OCPP 1.6 and 2.0.1 (with both spellings of the two that changed).
ERROR_CODES = frozenset(
    {
        "FormatViolation", "FormationViolation", "GenericError", "InternalError", "MessageTypeNotSupported",
        "NotImplemented", "NotSupported", "OccurenceConstraintViolation", "OccurrenceConstraintViolation",
        "PropertyConstraintViolation", "ProtocolError", "RpcFrameworkError", "SecurityError", "TypeConstraintViolation",
    }
)  # fmt: skip

_LEADING_ID = re.compile(r'^\s*\[\s*\d+\s*,\s*"([^"\\]{1,64})"')


@dataclass(frozen=True)
class ErrorCodes:
    """The CALLERROR codes whose spelling differs between OCPP versions."""

    formation: str
    occurrence: str
    message_type: str = "ProtocolError"  # an unknown MessageTypeId (2.0.1 has a code of its own)


@dataclass
class Frame:
    kind: int
    unique_id: str
    action: str = ""
    payload: dict = field(default_factory=dict)
    error_code: str = ""
    error_description: str = ""
    error_details: dict = field(default_factory=dict)


class FrameError(Exception):
    """A frame we must answer with a CALLERROR (when `unique_id` could be recovered)."""

    def __init__(self, code: str, description: str, unique_id: str | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.unique_id = unique_id


def parse_frame(text: str, codes: ErrorCodes, kinds: frozenset = frozenset({CALL, CALLRESULT, CALLERROR})) -> Frame:
    """The frame in `text`; `kinds`: the MessageTypeIds the version knows."""
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        recovered = _LEADING_ID.match(text)
        raise FrameError(codes.formation, "Message is not valid JSON", recovered.group(1) if recovered else None)
    if not isinstance(message, list) or len(message) < 3:
        raise FrameError("ProtocolError", "A frame is a JSON array [MessageTypeId, UniqueId, ...]", _id_of(message))
    kind, unique_id = message[0], message[1]
    if not isinstance(unique_id, str) or not unique_id or len(unique_id) > 36:
        raise FrameError("ProtocolError", "UniqueId must be a string of at most 36 characters", None)
    if kind not in kinds:
        raise FrameError(codes.message_type, f"MessageTypeId {kind!r} is not one of {sorted(kinds)}", unique_id)
    if kind == SEND:
        # Never answered, not even with an error.
        if len(message) != 4 or not isinstance(message[2], str) or not isinstance(message[3], dict):
            raise FrameError("ProtocolError", "A SEND is [6, UniqueId, Action, Payload]", None)
        return Frame(SEND, unique_id, action=message[2], payload=message[3])
    if kind == CALL:
        if len(message) != 4 or not isinstance(message[2], str):
            raise FrameError("ProtocolError", "A CALL is [2, UniqueId, Action, Payload]", unique_id)
        if not isinstance(message[3], dict):
            raise FrameError(codes.formation, "The payload of a CALL must be a JSON object", unique_id)
        return Frame(CALL, unique_id, action=message[2], payload=message[3])
    if kind == CALLRESULT:
        if len(message) != 3 or not isinstance(message[2], dict):
            raise FrameError("ProtocolError", "A CALLRESULT is [3, UniqueId, Payload]", None)
        return Frame(CALLRESULT, unique_id, payload=message[2])
    if len(message) not in (4, 5):  # CALLERROR or CALLRESULTERROR
        raise FrameError("ProtocolError", f"A {kind} frame is [{kind}, UniqueId, Code, Description, Details]", None)
    details = message[4] if len(message) == 5 and isinstance(message[4], dict) else {}
    return Frame(kind, unique_id, error_code=str(message[2]), error_description=str(message[3]), error_details=details)


def _id_of(message) -> str | None:
    if isinstance(message, list) and len(message) > 1 and isinstance(message[1], str) and 0 < len(message[1]) <= 36:
        return message[1]
    return None


def schema_error(version: str, kind: int, action: str, payload: dict, codes: ErrorCodes) -> FrameError | None:
    """The CALLERROR a payload that breaks its schema deserves, or None when it conforms.

    A compiled validator answers the common case (a valid payload) in microseconds;
    the `ocpp` library's validator, the authority, classifies what it rejects.
    """
    exact = action in DECIMAL_ACTIONS.get((version, kind), ())
    if not exact:
        try:
            _compiled(version, kind, action)(payload)
            return None
        except fastjsonschema.JsonSchemaException:
            pass
    validator = get_validator(kind, action, version, parse_float=decimal.Decimal if exact else float)
    if exact:
        payload = json.loads(json.dumps(payload), parse_float=decimal.Decimal)
    try:
        validator.validate(payload)
    except SchemaError as error:
        return FrameError(_code_for(error, codes), _describe(error))
    return None


@functools.cache
def _compiled(version: str, kind: int, action: str):
    # The library's schema, compiled; formats are left to the library's validator,
    # which does not check them either (timestamps are parsed by the adapters).
    schema = get_validator(kind, action, version).schema
    # use_default=False: validating must not write the schema's defaults into the payload we send or store.
    return fastjsonschema.compile(
        schema, formats={"date-time": lambda value: True, "uri": lambda value: True}, use_default=False
    )


def _code_for(error: SchemaError, codes: ErrorCodes) -> str:
    if error.validator == "required":
        return codes.occurrence
    if error.validator in ("type", "maxLength"):
        return "TypeConstraintViolation"
    if error.validator == "additionalProperties":
        return codes.formation
    return "PropertyConstraintViolation"


def _describe(error: SchemaError) -> str:
    where = ".".join(str(p) for p in error.absolute_path)
    return f"{where}: {error.message}" if where else error.message


def dumps(message: list) -> str:
    # ASCII: a lone surrogate a charger sent (valid JSON) can be echoed back, not only encoded in UTF-8.
    return json.dumps(message, separators=(",", ":"), default=_default)


def _default(value):
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def call_result(unique_id: str, payload: dict) -> str:
    return dumps([CALLRESULT, unique_id, payload])


def error_code_label(code: str) -> str:
    """A CALLERROR code as a metrics label: a charger may send any string, only OCPP's own are kept."""
    return code if code in ERROR_CODES else "other"


def call_error(unique_id: str, code: str, description: str, details: dict | None = None) -> str:
    metrics.CALLERRORS.labels("out", error_code_label(code)).inc()  # every CALLERROR built is sent
    return dumps([CALLERROR, unique_id, code, description[:255], details or {}])


def call(unique_id: str, action: str, payload: dict) -> str:
    return dumps([CALL, unique_id, action, payload])
