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
from django.conf import settings
from django.db import connection
from django.urls.converters import IntConverter
from django.utils import timezone
from rest_framework import serializers as drf

from chargers.models import Charger, Connector
from charging.models import IdTag
from commands import fleet
from commands.api import jobs, ocpp21, reports
from commands.api import views as api
from commands.api.urls import TransactionIdConverter
from commands.bus import CommandFailed, Requester, version_of
from commands.models import Command, FleetJob
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
        *ocpp21.ENDPOINTS,
    )  # fmt: skip
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
    **ocpp21.LABELS,
}
# Statuses by which a charger declines what it was asked (the reply is still an answer, not an error).
REFUSALS = frozenset({
    "Rejected", "Failed", "NotSupported", "NotImplemented", "UnlockFailed", "Unknown", "VersionMismatch",
    "Faulted", "Occupied", "Unavailable", "UnknownMessageId", "UnknownVendorId",
})  # fmt: skip
# Sent to several chargers at once at most this many at a time: 20 chargers, not 20 timeouts in a row.
BULK_CONCURRENCY = 8
# The commands a fleet job may run (commands/api/jobs.py), by their command name.
FLEET_JOB_COMMANDS = {endpoint.command: endpoint for endpoint in jobs.FLEET_COMMANDS.values()}


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
    kind: str  # text | number | decimal | datetime | select | lines | json | rows
    required: bool
    help: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)  # (value, what the operator reads)
    value: str = ""
    errors: list[str] = field(default_factory=list)
    depth: int = 0
    suggestions: list[str] = field(default_factory=list)  # offered, not imposed (id tags)
    columns: list["FormField"] = field(default_factory=list)  # kind rows: one input per column and row
    rows: list[list[str]] = field(default_factory=list)  # kind rows: the values typed, row by row

    @property
    def cells(self) -> list[list[tuple[str, "FormField", str]]]:
        """kind rows: (input name, column, value) for each row and column."""
        return [[(f"{self.name}.{i}.{c.name}", c, row[j]) for j, c in enumerate(self.columns)]
                for i, row in enumerate(self.rows)]  # fmt: skip


# Empty rows offered for a schedule's periods, beyond those typed.
SPARE_ROWS = 3
# Id tags offered in an id tag's input (it takes any other too).
ID_TAG_SUGGESTIONS = 500


def _connector_label(connector: Connector) -> str:
    """What the API's connectorId names, with its status: "2 · Available"; on a 2.0.1 charger "EVSE 2 · Occupied"."""
    name = f"EVSE {connector.evse}" if connector.evse is not None else str(connector.connector_id)
    return f"{name} · {connector.status or 'no status yet'}"


def _rows_of(serializer_field) -> bool:
    """A list of small objects of plain values (a schedule's periods): typed as rows, not JSON."""
    return isinstance(serializer_field, drf.ListSerializer) and all(
        _kind(column) in ("number", "decimal", "text", "select") for column in serializer_field.child.fields.values()
    )


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
        if _rows_of(serializer_field):
            columns = form_fields(serializer_field.child)
            fields.append(FormField(dotted, name, "rows", serializer_field.required,
                                    str(serializer_field.help_text or ""), columns=columns, depth=depth))  # fmt: skip
            continue
        kind = _kind(serializer_field)
        choices = [(str(c), str(c)) for c in serializer_field.choices] if kind == "select" else []
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
        if _rows_of(serializer_field):
            rows = _rows_from_post(serializer_field.child, post, dotted)
            if rows or serializer_field.required:
                data[name] = rows
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


def _row_numbers(post, name: str) -> list[int]:
    found = {int(m.group(1)) for key in post for m in [re.fullmatch(re.escape(name) + r"\.(\d+)\.\w+", key)] if m}
    return sorted(found)


def _rows_from_post(child: drf.Serializer, post, name: str) -> list[dict]:
    """The rows typed (name.0.startPeriod, name.0.limit, ...); empty rows are left out."""
    rows = []
    for i in _row_numbers(post, name):
        row = {column: post.get(f"{name}.{i}.{column}", "") for column in child.fields}
        if any(row.values()):
            rows.append({column: value for column, value in row.items() if value != ""})
    return rows


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
    charger: Charger | None = None  # the one charger it goes to: its connectors and id tags are offered

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
                choices=[
                    (str(t.ocpp_id), f"{t.ocpp_id} · connector {t.connector_id} · {t.id_tag}")
                    for t in self.transactions
                ],
            )  # fmt: skip
            for name in path_params(self.endpoint)
        ]
        fields += form_fields(self.endpoint.body())
        source = self.post if self.post is not None else {**self._charger_defaults(), **self.initial}
        for form_field in fields:
            form_field.value = source.get(form_field.name, "")
            form_field.errors = self.errors.get(form_field.name, [])
            if form_field.kind == "rows":
                typed = [[source.get(f"{form_field.name}.{i}.{c.name}", "") for c in form_field.columns]
                         for i in _row_numbers(source, form_field.name)]  # fmt: skip
                typed = [row for row in typed if any(row)]
                form_field.rows = typed + [[""] * len(form_field.columns)] * SPARE_ROWS
                form_field.errors = form_field.errors + self._row_errors(form_field.name)
        if self.charger is not None:
            self._in_operator_words(fields)
        return fields

    def _row_errors(self, name: str) -> list[str]:
        """The API names a bad period by its place in the list (name.0.limit): said as "row 1, limit"."""
        found = []
        for key, messages in self.errors.items():
            cell = re.fullmatch(re.escape(name) + r"\.(\d+)\.(\w+)", key)
            if cell:
                found += [f"row {int(cell.group(1)) + 1}, {cell.group(2)}: {message}" for message in messages]
        return found

    def _charger_defaults(self) -> dict:
        """What the charger's record already says: its phases and voltage, for power limits."""
        if self.charger is None:
            return {}
        names = {f.name for f in form_fields(self.endpoint.body())}
        known = {"numberPhases": str(self.charger.phases), "voltage": f"{self.charger.voltage:g}"}
        return {name: value for name, value in known.items() if name in names}

    def _in_operator_words(self, fields: list[FormField]) -> None:
        """Pickers for the charger's connectors, its organisation's id tags, its version's trigger names."""
        connectors = list(self.charger.connectors.filter(connector_id__gt=0).order_by("evse_id", "connector_id"))
        id_tags = None
        trigger_names = version_of(self.charger.ocpp_protocol).trigger_names
        for form_field in fields:
            last = form_field.name.rsplit(".", 1)[-1]
            if last == "connectorId" and form_field.kind == "number" and connectors:
                form_field.kind = "select"
                form_field.choices = [("0", "0 · the whole charger")] if self._takes_zero(form_field) else []
                form_field.choices += [(str(c.evse or c.connector_id), _connector_label(c)) for c in connectors]
            elif last == "idTag" and form_field.kind == "text":
                if id_tags is None:
                    tags = IdTag.objects.filter(organisation_id=self.charger.organisation_id).order_by("id_tag")
                    id_tags = list(tags.values_list("id_tag", flat=True)[:ID_TAG_SUGGESTIONS])
                form_field.suggestions = id_tags
            elif last == "requestedMessage":
                form_field.choices = [(value, trigger_names.get(value, label)) for value, label in form_field.choices]

    def _takes_zero(self, form_field: FormField) -> bool:
        serializer_field = self.endpoint.body().fields.get(form_field.name)
        return serializer_field is not None and (serializer_field.min_value or 0) == 0

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


def becomes_fleet_job(command: str, chargers: list[Charger]) -> bool:
    """More chargers than CSMS_CONSOLE_FLEET_JOB_THRESHOLD: a fleet job in the background, not a wait."""
    return command in FLEET_JOB_COMMANDS and len(chargers) > settings.CSMS_CONSOLE_FLEET_JOB_THRESHOLD


def fleet_jobs_start(*, chargers: list[Charger], command: str, params: dict, user) -> list[FleetJob]:
    """The command as a fleet job per organisation of the chosen chargers (a job belongs to one)."""
    endpoint = FLEET_JOB_COMMANDS[command]
    by_organisation: dict = {}
    for charger in chargers:
        by_organisation.setdefault(charger.organisation, []).append(charger.charge_box_id)
    return [
        fleet.fleet_job_create(
            organisation=organisation,
            command=endpoint.path,
            neutral_command=endpoint.command,
            params=params,
            chargers=fleet.fleet_chargers(organisation=organisation, charge_box_ids=ids, filters=None),
            selection={"chargeBoxIds": ids},
            concurrency=BULK_CONCURRENCY,
            requester=requester_of(user),
        )
        for organisation, ids in by_organisation.items()
    ]


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
