"""Commands from the admin: the API's endpoints as forms, validated by the API's own input serializers.

Each command endpoint of the REST API (commands/api/views.py) becomes a form here: its fields
are drawn from the endpoint's input serializer, what the operator typed is handed to that same
serializer (so the admin accepts exactly what the API accepts), and the command goes through
`command_run` like any other caller's.
"""

import asyncio
import json
import re
from dataclasses import dataclass, field

from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection
from django.urls.converters import IntConverter
from django.utils import timezone
from rest_framework import serializers as drf

from chargers.models import Charger
from commands.api import reports
from commands.api import views as api
from commands.api.urls import TransactionIdConverter
from commands.bus import CommandFailed, Requester
from commands.models import Command
from commands.services import command_run
from pki.api import views as security_api

ENDPOINTS: dict[str, api.Endpoint] = {
    endpoint.command: endpoint
    for endpoint in (
        *api.ENDPOINTS,
        api.DATA_TRANSFER,
        api.POWER_LIMIT,
        api.POWER_LIMIT_CLEAR,
        *reports.ENDPOINTS,
        *security_api.ENDPOINTS,
    )
}
# Shorter than the API's summaries, for buttons and the action menu.
LABELS = {
    "reset": "Reset",
    "unlock": "Unlock connector",
    "cache_clear": "Clear cache",
    "trigger": "Trigger message",
    "availability": "Change availability",
    "configuration_get": "Get configuration",
    "configuration_change": "Change configuration",
    "firmware_update": "Update firmware",
    "diagnostics": "Get diagnostics",
    "data_transfer": "Data transfer",
    "transaction_start": "Remote start",
    "transaction_stop": "Remote stop",
    "reservation_create": "Reserve",
    "reservation_cancel": "Cancel reservation",
    "charging_profile_set": "Set charging profile",
    "charging_profile_clear": "Clear charging profiles",
    "composite_schedule": "Composite schedule",
    "power_limit_set": "Set power limit",
    "power_limit_clear": "Clear power limit",
    "local_list_send": "Send local list",
    "local_list_version": "Local list version",
    "report_base_get": "Get base report",
    "report_get": "Get report",
    "monitoring_set": "Set monitoring",
    "monitoring_clear": "Clear monitoring",
    "charging_profiles_get": "Report charging profiles",
    "transaction_status": "Transaction status",
    **security_api.LABELS,
}
# Statuses by which a charger declines what it was asked (the reply is still an answer, not an error).
REFUSALS = frozenset({
    "Rejected", "Failed", "NotSupported", "NotImplemented", "UnlockFailed", "Unknown", "VersionMismatch",
    "Faulted", "Occupied", "Unavailable", "UnknownMessageId", "UnknownVendorId",
})  # fmt: skip
# Sent to several chargers at once at most this many at a time: 20 chargers, not 20 timeouts in a row.
BULK_CONCURRENCY = 8


# Commands that end sessions in progress: the page asks before sending them (console/static/console/command.js).
ENDS_SESSIONS = {"reset": "a reset", "unlock": "unlocking a connector", "transaction_stop": "a remote stop"}
HARD_RESETS = ("Hard", "Immediate")


def confirmation(command: str, *, target: str, sessions: int) -> dict[str, str]:
    """What the form asks before it sends: `always`, or `message` when the input `field` has one of `values`."""
    ending = f"{sessions} session{'' if sessions == 1 else 's'} in progress on {target}"
    asked = {}
    if command in ENDS_SESSIONS and (sessions or command == "transaction_stop"):
        what = ENDS_SESSIONS[command]
        asked["always"] = f"There {'is' if sessions == 1 else 'are'} {ending}: {what} ends it. Send?"
    if command == "reset":
        asked |= {"field": "type", "values": " ".join(HARD_RESETS),
                  "message": f"A hard reset reboots {target} at once" + (f", ending {ending}" if sessions else "")
                  + ". Send?"}  # fmt: skip
    return asked


# The URL converters of the command endpoints' path parameters: the admin reads them as the API does.
PATH_PARAMETERS = {"transactionId": TransactionIdConverter(), "reservationId": IntConverter()}


def path_params(endpoint: api.Endpoint) -> list[str]:
    """Parameters the API takes from the URL (a transaction or reservation id)."""
    return re.findall(r"<\w+:(\w+)>", endpoint.path)


def bulk_commands() -> list[str]:
    """Commands that make sense for many chargers at once: those that name nothing of one charger."""
    return [name for name in LABELS if name in ENDPOINTS and not path_params(ENDPOINTS[name])]


# The form, drawn from the input serializer.


@dataclass
class FormField:
    name: str  # dotted for nested objects: limit.acMaxPowerKw
    label: str
    kind: str  # text | number | decimal | datetime | select | lines | json
    required: bool
    help: str = ""
    choices: list[str] = field(default_factory=list)
    value: str = ""
    errors: list[str] = field(default_factory=list)
    depth: int = 0


def _kind(serializer_field) -> str:
    if isinstance(serializer_field, drf.ChoiceField):
        return "select"
    if isinstance(serializer_field, drf.DateTimeField):
        return "datetime"
    if isinstance(serializer_field, drf.IntegerField):
        return "number"
    if isinstance(serializer_field, drf.FloatField):
        return "decimal"
    if isinstance(serializer_field, drf.ListField) and isinstance(serializer_field.child, drf.CharField):
        return "lines"
    if isinstance(serializer_field, (drf.ListSerializer, drf.ListField, drf.DictField, drf.JSONField)):
        return "json"
    return "text"


def form_fields(serializer: drf.Serializer, prefix: str = "", depth: int = 0) -> list[FormField]:
    """The serializer's fields as form inputs; a nested object's fields follow under a dotted name."""
    fields = []
    for name, serializer_field in serializer.fields.items():
        dotted = prefix + name
        if isinstance(serializer_field, drf.Serializer):
            fields.append(
                FormField(
                    dotted, name, "group", serializer_field.required, str(serializer_field.help_text or ""), depth=depth
                )  # fmt: skip
            )
            fields.extend(form_fields(serializer_field, dotted + ".", depth + 1))
            continue
        kind = _kind(serializer_field)
        choices = list(serializer_field.choices) if kind == "select" else []
        fields.append(
            FormField(
                dotted,
                name,
                kind,
                serializer_field.required,
                str(serializer_field.help_text or ""),
                choices,
                depth=depth,
            )  # fmt: skip
        )
    return fields


def _data_from_post(serializer: drf.Serializer, post, prefix: str = "") -> tuple[dict, dict]:
    """What the operator typed, shaped as the API's JSON body; empty optional inputs are left out."""
    data, errors = {}, {}
    for name, serializer_field in serializer.fields.items():
        dotted = prefix + name
        if isinstance(serializer_field, drf.Serializer):
            # An optional object is sent only when something was typed into it: its required
            # children (a profile's schedule) must not make an untouched one look filled.
            if not (serializer_field.required or _typed(post, dotted + ".")):
                continue
            nested, nested_errors = _data_from_post(serializer_field, post, dotted + ".")
            errors.update(nested_errors)
            data[name] = nested
            continue
        raw = post.get(dotted, "")
        if raw == "" and not (serializer_field.required and getattr(serializer_field, "allow_blank", False)):
            continue
        kind = _kind(serializer_field)
        if kind == "lines":
            data[name] = [line.strip() for line in re.split(r"[\n,]", raw) if line.strip()]
        elif kind == "json":
            try:
                data[name] = json.loads(raw)
            except ValueError as error:
                errors[dotted] = [f"not valid JSON: {error}"]
        else:
            data[name] = raw
    return data, errors


def _typed(post, prefix: str) -> bool:
    return any(value.strip() for name, value in post.items() if name.startswith(prefix))


def _flatten(errors, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error dict as {dotted name: [messages]}; errors of the whole body under ''."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for name, value in errors.items():
            whole = name in ("non_field_errors", drf.api_settings.NON_FIELD_ERRORS_KEY)
            key = prefix.rstrip(".") if whole else prefix + str(name)
            if isinstance(value, dict):
                flat.update(_flatten(value, key + "."))
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                messages = [f"item {i + 1}: {json.dumps(item)}" for i, item in enumerate(value) if item]
                flat.setdefault(key, []).extend(messages)
            else:
                flat.setdefault(key, []).extend(
                    str(message) for message in (value if isinstance(value, list) else [value])
                )
    else:
        flat.setdefault(prefix.rstrip("."), []).extend(str(message) for message in errors)
    return flat


@dataclass
class CommandForm:
    """One command's form for one charger (or several): inputs, typed values, errors."""

    command: str
    post: dict | None = None
    initial: dict = field(default_factory=dict)  # from the query string, e.g. ?transactionId=
    transactions: list = field(default_factory=list)  # open transactions, for a remote stop
    errors: dict[str, list[str]] = field(default_factory=dict)
    params: dict = field(default_factory=dict)

    @property
    def endpoint(self) -> api.Endpoint:
        return ENDPOINTS[self.command]

    @property
    def label(self) -> str:
        return LABELS.get(self.command, self.command)

    @property
    def fields(self) -> list[FormField]:
        fields = [
            FormField(
                name,
                name,
                "select" if name == "transactionId" and self.transactions else "number",
                True,
                choices=[str(t.ocpp_id) for t in self.transactions],
            )  # fmt: skip
            for name in path_params(self.endpoint)
        ]
        fields += form_fields(self.endpoint.body())
        for form_field in fields:
            source = self.post if self.post is not None else self.initial
            form_field.value = source.get(form_field.name, "")
            form_field.errors = self.errors.get(form_field.name, [])
        return fields

    @property
    def form_errors(self) -> list[str]:
        return self.errors.get("", [])

    def is_valid(self) -> bool:
        """Validate as the API does: the endpoint's serializer, then its path parameters."""
        data, errors = _data_from_post(self.endpoint.body(), self.post or {})
        serializer = self.endpoint.body(data=data)
        if not serializer.is_valid():
            for name, messages in _flatten(serializer.errors).items():
                errors.setdefault(name, []).extend(messages)
        path = {}
        for name in path_params(self.endpoint):
            value = (self.post or {}).get(name, "")
            if not value:
                errors[name] = ["This field is required."]
            elif not re.fullmatch(PATH_PARAMETERS[name].regex, value):
                errors[name] = [f"{value!r} is not a valid {name}."]
            else:
                path[name] = PATH_PARAMETERS[name].to_python(value)
        self.errors = errors
        if not errors:
            self.params = {**serializer.validated_data, **path}
        return not errors


# Sending.


@dataclass
class Outcome:
    """What came of one command to one charger, for the page."""

    charger: Charger
    ok: bool = False
    message: str = ""
    status: str = ""
    response: dict | None = None
    command_id: str = ""
    round_trip_ms: int | None = None
    error_code: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def response_json(self) -> str:
        return json.dumps(self.response, indent=2) if self.response is not None else ""

    @property
    def accepted(self) -> bool:
        return self.ok and self.status not in REFUSALS


def requester_of(user) -> Requester:
    return Requester(source=Command.Source.ADMIN, user_id=user.pk, description=user.get_username())


def command_send(*, charger: Charger, command: str, params: dict, user) -> Outcome:
    """Prepare (as the API does), send and wait; every way it can fail becomes an Outcome, not an exception."""
    endpoint = ENDPOINTS[command]
    outcome = Outcome(charger=charger)
    asked_at = timezone.now()
    try:
        params = dict(params)
        if endpoint.prepare:
            params = endpoint.prepare(charger, params)
        answer = command_run(charger=charger, command=command, params=params, requester=requester_of(user))
    except drf.ValidationError as error:
        outcome.errors = _flatten(error.detail)
        outcome.error_code = "validation_error"
        outcome.message = "; ".join(f"{k}: {' '.join(v)}" if k else " ".join(v) for k, v in outcome.errors.items())
        return outcome
    except CommandFailed as error:
        outcome.error_code = error.code
        outcome.message = str(error)
        outcome.command_id = _failed_command_id(charger, user, asked_at)
        return outcome
    outcome.ok = True
    outcome.message = answer["message"]
    outcome.status = answer.get("status") if isinstance(answer.get("status"), str) else ""
    outcome.response = answer["response"]
    outcome.command_id = answer["commandId"]
    outcome.round_trip_ms = answer["responseTimeMs"]
    return outcome


def _failed_command_id(charger: Charger, user, asked_at) -> str:
    """The failed command's log row, when one was written (none for input the bus refused or a rate limit)."""
    rows = Command.objects.filter(charger=charger, user_id=user.pk, created_at__gte=asked_at)
    row = rows.order_by("-created_at").values_list("pk", flat=True).first()
    return str(row) if row else ""


def command_send_many(*, chargers: list[Charger], command: str, params: dict, user) -> list[Outcome]:
    """The same command to several chargers at once, BULK_CONCURRENCY at a time; outcomes in the chargers' order."""

    def send_one(charger: Charger) -> Outcome:
        try:
            return command_send(charger=charger, command=command, params=params, user=user)
        finally:
            connection.close()  # a pool thread's connection is closed by no request

    async def send_all() -> list[Outcome]:
        slots = asyncio.Semaphore(BULK_CONCURRENCY)

        async def one(charger: Charger) -> Outcome:
            async with slots:
                # A thread of its own per command; it reaches the bus through this event loop.
                return await sync_to_async(send_one, thread_sensitive=False)(charger)

        return await asyncio.gather(*(one(charger) for charger in chargers))

    return async_to_sync(send_all)()
