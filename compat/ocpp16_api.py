"""Another CSMS's OCPP 1.6 command API, at /api/v1/ocpp16/: snake_case in and out, onto our own commands.

Each route stands for one of our command endpoints (commands/api/views.py ENDPOINTS) and says how its
snake_case fields map onto that endpoint's camelCase ones. The fields are that endpoint's own (cloned
under their snake_case names), so validation, preparation and sending are the main API's; this module
only renames fields and shapes the reply. README "Compatible APIs" has the field mapping.
"""

from dataclasses import dataclass, field

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import READ, WRITE
from chargers import selectors
from chargers.api.serializers import StrictSerializer
from charging import selectors as charging_selectors
from commands import services
from commands.api.views import charger_of, endpoint_of, endpoint_params, payload_check, requester_of
from commands.models import Command
from csms.errors import ApiError, error_responses

TAG = "OCPP 1.6 API (compatible)"
ERRORS = {
    **error_responses(400, 401, 403, 404, 408, 429, 502),
    422: error_responses(422)[422],  # also ocpp_rejected: see REJECTED
}
REJECTED = "Rejected"
CHARGE_POINT_ID = serializers.CharField(max_length=64, help_text="The charge point's chargeBoxId.")


class OcppRejected(ApiError):
    """The charger answered Rejected: a 422, as the API this surface copies documents it."""

    def __init__(self, charge_point_id: str, action: str):
        super().__init__(422, "ocpp_rejected", f"{charge_point_id} answered {action} with Rejected")


def clone(original: serializers.Field, **overrides) -> serializers.Field:
    """A fresh copy of one of our fields (same type, same rules), e.g. under another name via `source`;
    one required here has no default."""
    kwargs = {**original._kwargs, **overrides}
    if kwargs.get("required"):
        kwargs.pop("default", None)
    return type(original)(*original._args, **kwargs)


def renamed(original: serializers.Field, name: str, camel: str, **overrides) -> serializers.Field:
    """One of our fields, offered as `name` for our `camel` (DRF refuses a source equal to the name)."""
    return clone(original, **({"source": camel} if camel != name else {}), **overrides)


@dataclass(frozen=True)
class Route:
    """POST /api/v1/ocpp16/<path>: our `command`, with its body's fields under snake_case names."""

    path: str
    command: str
    fields: dict[str, str]  # snake_case name -> our camelCase name
    echo: tuple[str, ...]  # snake_case request fields repeated in the reply
    summary: str
    example: dict
    answer: dict  # the documented reply, less charge_point_id, status and sent_at
    required: tuple[str, ...] = ()  # required here though optional in our API
    own: dict = field(default_factory=dict)  # fields our endpoint takes from its path: {snake: field}
    computed: dict = field(default_factory=dict)  # reply fields from the parameters: {snake: f(params)}

    def body(self) -> type[serializers.Serializer]:
        ours = endpoint_of(self.command).body().fields
        declared = {"charge_point_id": clone(CHARGE_POINT_ID)}
        for snake, camel in self.fields.items():
            if snake in self.own:
                declared[snake] = renamed(self.own[snake], snake, camel)
            else:
                extra = {"required": True} if snake in self.required else {}
                declared[snake] = renamed(ours[camel], snake, camel, **extra)
        return type(f"Ocpp16{_title(self.path)}Input", (StrictSerializer,), declared)

    def reply(self) -> type[serializers.Serializer]:
        declared = {name: clone(REPLY_FIELDS[name]) for name in ("charge_point_id", *self.echo, *self.computed)}
        declared |= {"status": clone(REPLY_FIELDS["status"]), "sent_at": clone(REPLY_FIELDS["sent_at"])}
        return type(f"Ocpp16{_title(self.path)}Reply", (serializers.Serializer,), declared)


def _title(path: str) -> str:
    return "".join(part.title() for part in path.split("_"))


REPLY_FIELDS = {
    "charge_point_id": CHARGE_POINT_ID,
    "connector_id": serializers.IntegerField(allow_null=True),
    "id_tag": serializers.CharField(),
    "type": serializers.CharField(),
    "transaction_id": serializers.IntegerField(),
    "charging_profile_id": serializers.IntegerField(),
    "requested_message": serializers.CharField(),
    "reservation_id": serializers.IntegerField(),
    "expires_at": serializers.DateTimeField(help_text="The reservation's expiry_date."),
    "status": serializers.CharField(help_text="As the charger answered; Rejected is a 422 ocpp_rejected instead."),
    "sent_at": serializers.DateTimeField(help_text="When the command went to the charge point."),
}
SENT_AT = "2024-03-10T15:00:00Z"

ROUTES = [
    Route(
        "remote_start_transaction", "transaction_start",
        {"id_tag": "idTag", "connector_id": "connectorId", "charging_profile": "chargingProfile"},
        ("connector_id", "id_tag"), "Remote start transaction",
        {"charge_point_id": "CP-SITE42-001", "id_tag": "RFID-USER-4A2F", "connector_id": 1},
        {"connector_id": 1, "id_tag": "RFID-USER-4A2F"},
        required=("id_tag",),
    ),
    Route(
        "remote_stop_transaction", "transaction_stop", {"transaction_id": "transactionId"},
        ("transaction_id",), "Remote stop transaction",
        {"charge_point_id": "CP-SITE42-001", "transaction_id": 10042}, {"transaction_id": 10042},
        own={"transaction_id": serializers.IntegerField(min_value=0, help_text="The OCPP transaction id.")},
    ),
    Route(
        "change_availability", "availability", {"connector_id": "connectorId", "type": "type"},
        ("connector_id", "type"), "Change availability",
        {"charge_point_id": "CP-SITE42-001", "connector_id": 2, "type": "Inoperative"},
        {"connector_id": 2, "type": "Inoperative"},
        required=("connector_id", "type"),
    ),
    Route(
        "set_charging_profile", "charging_profile_set",
        {"connector_id": "connectorId", "charging_profile": "chargingProfile"},
        ("connector_id",), "Set charging profile",
        {"charge_point_id": "CP-SITE42-001", "connector_id": 1, "charging_profile": {
            "chargingProfileId": 101, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute", "chargingSchedule": {"chargingRateUnit": "W", "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": 7400}, {"startPeriod": 3600, "limit": 11000}]}}},
        {"connector_id": 1, "charging_profile_id": 101},
        required=("connector_id",),
        computed={"charging_profile_id": lambda params: params["chargingProfile"]["chargingProfileId"]},
    ),
    Route(
        "clear_charging_profile", "charging_profile_clear",
        {"id": "id", "connector_id": "connectorId", "charging_profile_purpose": "chargingProfilePurpose",
         "stack_level": "stackLevel"},
        (), "Clear charging profile", {"charge_point_id": "CP-SITE42-001", "id": 101}, {},
    ),
    Route(
        "reset", "reset", {"type": "type"}, ("type",), "Reset charge point",
        {"charge_point_id": "CP-SITE42-001", "type": "Soft"}, {"type": "Soft"},
    ),
    Route(
        "trigger_message", "trigger", {"requested_message": "requestedMessage", "connector_id": "connectorId"},
        ("requested_message",), "Trigger message",
        {"charge_point_id": "CP-SITE42-001", "requested_message": "StatusNotification", "connector_id": 1},
        {"requested_message": "StatusNotification"},
    ),
    Route(
        "reserve_now", "reservation_create",
        {"connector_id": "connectorId", "expiry_date": "expiryDate", "id_tag": "idTag",
         "reservation_id": "reservationId", "parent_id_tag": "parentIdTag"},
        ("connector_id", "reservation_id"), "Reserve connector",
        {"charge_point_id": "CP-SITE42-001", "connector_id": 1, "expiry_date": "2024-03-10T17:00:00Z",
         "id_tag": "RFID-USER-4A2F", "reservation_id": 5001},
        {"connector_id": 1, "reservation_id": 5001, "expires_at": "2024-03-10T17:00:00Z"},
        required=("reservation_id",),
        computed={"expires_at": lambda params: params["expiryDate"]},
    ),
    Route(
        "cancel_reservation", "reservation_cancel", {"reservation_id": "reservationId"},
        ("reservation_id",), "Cancel reservation",
        {"charge_point_id": "CP-SITE42-001", "reservation_id": 5001}, {"reservation_id": 5001},
        own={"reservation_id": serializers.IntegerField(help_text="The reservation's id.")},
    ),
]  # fmt: skip


def sent_at(command_id: str):
    """When the command went out, as the command log has it."""
    return Command.objects.filter(pk=command_id).values_list("sent_at", flat=True).first()


def answered(charge_point_id: str, answer: dict) -> str:
    """The charger's status; a Rejected one is an error on this surface."""
    status = answer.get("status") or answer["response"].get("status") or "Accepted"
    if status == REJECTED:
        raise OcppRejected(charge_point_id, answer["action"])
    return status


class RouteView(APIView):
    route: Route
    body: type[serializers.Serializer]
    scope = WRITE

    def post(self, request) -> Response:
        route = self.route
        serializer = self.body(data=request.data)
        serializer.is_valid(raise_exception=True)
        params = dict(serializer.validated_data)
        charge_point_id = params.pop("charge_point_id")
        charger = charger_of(request, charge_point_id)
        endpoint = endpoint_of(route.command)
        path = {route.fields[snake]: params.pop(route.fields[snake]) for snake in route.own}
        params = endpoint_params(charger, endpoint, params, **path)
        answer = services.command_run(
            charger=charger, command=endpoint.command, params=params, requester=requester_of(request)
        )
        status = answered(charger.charge_box_id, answer)
        echoed = {snake: params.get(route.fields[snake]) for snake in route.echo}
        computed = {snake: value(params) for snake, value in route.computed.items()}
        return Response({"charge_point_id": charger.charge_box_id, **echoed, **computed, "status": status,
                         "sent_at": _iso(sent_at(answer["commandId"]))})  # fmt: skip


def route_view(route: Route) -> type[RouteView]:
    """A view class per route, each carrying its own schema."""
    body, reply = route.body(), route.reply()
    documented = {"charge_point_id": "CP-SITE42-001", **route.answer, "status": "Accepted", "sent_at": SENT_AT}
    schema = extend_schema(
        operation_id=f"ocpp16_{route.path}",
        summary=route.summary,
        description=f"Our `{endpoint_of(route.command).path}` command endpoint, with snake_case fields.",
        tags=[TAG],
        request=body,
        responses={200: reply, **ERRORS},
        examples=[
            OpenApiExample("Request", value=route.example, request_only=True),
            OpenApiExample("Answered", value=documented, response_only=True, status_codes=["200"]),
        ],
    )

    def post(self, request) -> Response:
        return RouteView.post(self, request)

    return type(f"{body.__name__}View", (RouteView,), {"route": route, "body": body, "post": schema(post)})


class Ocpp16SendCommandInput(StrictSerializer):
    charge_point_id = clone(CHARGE_POINT_ID)
    command = serializers.CharField(help_text="An OCPP 1.6 action the CSMS sends, e.g. GetConfiguration.")
    payload = serializers.DictField(help_text="Its payload, as the OCPP 1.6 schema has it.")


class Ocpp16SendCommandReply(serializers.Serializer):
    charge_point_id = clone(CHARGE_POINT_ID)
    command = serializers.CharField()
    status = serializers.CharField(help_text="The status of the charger's answer; Accepted when it has none.")
    response = serializers.DictField(help_text="The charger's whole answer.")
    sent_at = clone(REPLY_FIELDS["sent_at"])
    response_time_ms = serializers.IntegerField(help_text="From sending the command to the charger's answer.")


class SendCommandView(APIView):
    scope = WRITE

    @extend_schema(
        operation_id="ocpp16_send_command",
        summary="Send generic command",
        description="Any OCPP action with its payload, validated against the OCPP schema of the charger's version.",
        tags=[TAG],
        request=Ocpp16SendCommandInput,
        responses={200: Ocpp16SendCommandReply, **ERRORS},
        examples=[
            OpenApiExample(
                "Request",
                value={"charge_point_id": "CP-SITE42-001", "command": "GetConfiguration",
                       "payload": {"key": ["HeartbeatInterval", "MeterValueSampleInterval"]}},
                request_only=True,
            ),
        ],
    )  # fmt: skip
    def post(self, request) -> Response:
        body = Ocpp16SendCommandInput(data=request.data)
        body.is_valid(raise_exception=True)
        action, payload = body.validated_data["command"], body.validated_data["payload"]
        charger = charger_of(request, body.validated_data["charge_point_id"])
        payload_check(charger, action, payload, names=("command", "payload"))
        answer = services.action_run(charger=charger, action=action, payload=payload, requester=requester_of(request))
        return Response({
            "charge_point_id": charger.charge_box_id,
            "command": action,
            "status": answered(charger.charge_box_id, answer),
            "response": answer["response"],
            "sent_at": _iso(sent_at(answer["commandId"])),
            "response_time_ms": answer["responseTimeMs"],
        })  # fmt: skip


# Reads.


class Ocpp16ActiveTransaction(serializers.Serializer):
    transaction_id = serializers.SerializerMethodField(help_text="An integer: the id OCPP 1.6 chargers know.")
    connector_id = serializers.IntegerField()
    id_tag = serializers.CharField()
    start_time = serializers.DateTimeField()
    meter_start = serializers.IntegerField(help_text="Wh")
    current_meter_value = serializers.IntegerField(help_text="Wh: the latest energy register reading.")
    energy_delivered_wh = serializers.IntegerField()
    duration_seconds = serializers.IntegerField()

    def get_transaction_id(self, session) -> int:
        return _transaction_id(session.transaction_id)


class Ocpp16ActiveTransactions(serializers.Serializer):
    charge_point_id = clone(CHARGE_POINT_ID)
    active_transactions = Ocpp16ActiveTransaction(many=True)
    total = serializers.IntegerField()


class ActiveTransactionsView(APIView):
    scope = WRITE  # "all endpoints require write:charge_points unless noted otherwise"

    @extend_schema(
        operation_id="ocpp16_active_transactions",
        summary="Get active transactions",
        tags=[TAG],
        responses={200: Ocpp16ActiveTransactions, **error_responses(401, 403, 404)},
    )
    def get(self, request, charge_point_id: str) -> Response:
        charger = charger_of(request, charge_point_id)
        sessions = charging_selectors.transactions_active(charger=charger)
        return Response({
            "charge_point_id": charger.charge_box_id,
            "active_transactions": Ocpp16ActiveTransaction(sessions, many=True).data,
            "total": len(sessions),
        })  # fmt: skip


class Ocpp16ConnectorStatus(serializers.Serializer):
    connector_id = serializers.IntegerField()
    status = serializers.CharField()
    error_code = serializers.CharField()
    info = serializers.SerializerMethodField()
    timestamp = serializers.SerializerMethodField()

    def get_info(self, connector) -> str | None:
        return connector.info or None

    def get_timestamp(self, connector) -> str | None:
        return _iso(connector.status_at or connector.updated_at)


class Ocpp16ChargePointStatus(serializers.Serializer):
    charge_point_id = serializers.CharField(source="charge_box_id")
    online = serializers.BooleanField(source="is_online")
    last_heartbeat_at = serializers.DateTimeField()
    connectors = Ocpp16ConnectorStatus(many=True)


class Ocpp16ChargePointStatusPage(serializers.Serializer):
    charge_points = Ocpp16ChargePointStatus(many=True)
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    per_page = serializers.IntegerField()


class Ocpp16StatusParams(StrictSerializer):
    status = serializers.ChoiceField(
        ["Available", "Preparing", "Charging", "SuspendedEVSE", "SuspendedEV", "Finishing", "Reserved",
         "Unavailable", "Faulted"], required=False,
        help_text="Only charge points with a connector in this status (each with all its connectors).",
    )  # fmt: skip
    page = serializers.IntegerField(min_value=1, max_value=2**31 - 1, default=1)
    per_page = serializers.IntegerField(min_value=1, max_value=200, default=50)


class ChargePointStatusView(APIView):
    scope = READ

    @extend_schema(
        operation_id="ocpp16_charge_points_status",
        summary="Get all charge point statuses",
        tags=[TAG],
        parameters=[Ocpp16StatusParams],
        responses={200: Ocpp16ChargePointStatusPage, **error_responses(400, 401, 403)},
    )
    def get(self, request) -> Response:
        query = Ocpp16StatusParams(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        params = query.validated_data
        filters = {"status": params["status"]} if params.get("status") else {}
        chargers = selectors.charge_point_statuses(
            organisation=request.user.organisation, filters=filters, every_connector=True
        )
        page, per_page = params["page"], params["per_page"]
        rows = chargers[(page - 1) * per_page : page * per_page]
        return Response({
            "charge_points": Ocpp16ChargePointStatus(rows, many=True).data,
            "total": chargers.count(),
            "page": page,
            "per_page": per_page,
        })  # fmt: skip


def _transaction_id(value: str) -> int | str:
    # Our 1.6 ids are integers; a 2.0.1 charger's own (text) id cannot be one.
    return int(value) if value.isdigit() else value


def _iso(moment) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


VIEWS = [
    ("send_command", SendCommandView),
    *((route.path, route_view(route)) for route in ROUTES),
    ("active_transactions/<str:charge_point_id>", ActiveTransactionsView),
    ("charge_points/status", ChargePointStatusView),
]
