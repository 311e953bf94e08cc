"""Another API's OCPP 2.0.1 charger operations, at /api/v1/charger-operations/chargers/{chargeBoxId}/...

The paths and bodies are our command endpoints' own (commands/api/views.py), which take that API's
OCPP 2.0.1 shapes; only the answers differ, in that API's words: `responseFromStation` for availability
and reset, `{response, statusInfo}` for profiles and power limits, the station's whole answer under
`transactionStartResponse` / `transactionStopResponse`. README "Compatible APIs" has the mapping.
"""

from collections.abc import Callable
from dataclasses import dataclass

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from commands.api import serializers as s
from commands.api.urls import CHARGER
from commands.api.views import (
    ASYNC,
    ERRORS,
    POWER_LIMIT,
    POWER_LIMIT_CLEAR,
    CommandView,
    Endpoint,
    endpoint_of,
    power_limit_scope,
)
from commands.neutral import pick

TAG = "Charger operations API (compatible)"


class FromStation(serializers.Serializer):
    responseFromStation = serializers.CharField(help_text="The station's status: Accepted, Rejected, Scheduled.")


class StationResponse(serializers.Serializer):
    response = serializers.CharField(help_text="The station's status, e.g. Accepted.")
    statusInfo = serializers.DictField(required=False, help_text="The station's statusInfo, when it gave one.")


class PowerLimitResponse(StationResponse):
    limitApplied = serializers.CharField(
        help_text="The limit given that the charger was sent: of several, the most restrictive that applies to it."
    )


class TransactionStarted(serializers.Serializer):
    transactionStartResponse = serializers.DictField(
        help_text="The station's whole answer: status, and statusInfo and transactionId when it gave them."
    )


class TransactionStopped(serializers.Serializer):
    transactionStopResponse = serializers.DictField(help_text="The station's whole answer: status, statusInfo.")


@dataclass(frozen=True)
class Shape:
    """How one of our replies reads in that API."""

    reply: type[serializers.Serializer]
    of: Callable[[dict], dict]
    example: dict


FROM_STATION = Shape(FromStation, lambda ours: {"responseFromStation": ours["status"]},
                     {"responseFromStation": "Accepted"})  # fmt: skip
RESPONSE = Shape(
    StationResponse,
    lambda ours: {"response": ours["status"], **pick(ours, "statusInfo")},
    {"response": "Accepted", "statusInfo": {"reasonCode": "NoError", "additionalInfo": "applied"}},
)
SHAPES = {
    "availability": FROM_STATION,
    "reset": FROM_STATION,
    "charging_profile_set": RESPONSE,
    "charging_profile_clear": RESPONSE,
    "power_limit_set": Shape(
        PowerLimitResponse,
        lambda ours: RESPONSE.of(ours) | pick(ours, "limitApplied"),
        {"response": "Accepted", "limitApplied": "acMaxPowerKw"},
    ),
    "power_limit_clear": RESPONSE,
    "transaction_start": Shape(TransactionStarted, lambda ours: {"transactionStartResponse": ours["response"]},
                               {"transactionStartResponse": {"status": "Accepted"}}),
    "transaction_stop": Shape(TransactionStopped, lambda ours: {"transactionStopResponse": ours["response"]},
                              {"transactionStopResponse": {"status": "Accepted"}}),
}  # fmt: skip


class OperationView(CommandView):
    """Our command, answered in that API's shape (a 202 of an async command stays ours)."""

    def run(self, request, chargeBoxId: str, data, endpoint: Endpoint | None = None, **path) -> Response:
        endpoint = endpoint or self.endpoint
        response = super().run(request, chargeBoxId, data, endpoint=endpoint, **path)
        if response.status_code != 200:
            return response
        return Response(SHAPES[endpoint.command].of(response.data))


def documented(endpoint: Endpoint, method: str = "post"):
    shape = SHAPES[endpoint.command]
    examples = [OpenApiExample("Answered", value=shape.example, response_only=True, status_codes=["200"])]
    if method == "post":
        examples.insert(0, OpenApiExample("Request", value=endpoint.example, request_only=True))
    return extend_schema(
        operation_id=f"charger_operations_{endpoint.command}" + ("_delete" if method == "delete" else ""),
        summary=endpoint.summary,
        description=f"Our `{endpoint.path}` command endpoint ({method.upper()}), answered in this API's shape.",
        tags=[TAG],
        request=endpoint.body if method == "post" else None,
        parameters=[ASYNC] + ([s.PowerLimitScope] if method == "delete" else []),
        responses={200: shape.reply, 202: s.Queued, **ERRORS},
        examples=examples,
    )


def operation_view(endpoint: Endpoint) -> type[OperationView]:
    def post(self, request, chargeBoxId: str, **path) -> Response:
        return self.run(request, chargeBoxId, request.data, **path)

    name = f"CompatibleOperation{endpoint.reply.__name__}View"
    return type(name, (OperationView,), {"endpoint": endpoint, "post": documented(endpoint)(post)})


class PowerLimitView(OperationView):
    endpoint = POWER_LIMIT

    @documented(POWER_LIMIT)
    def post(self, request, chargeBoxId: str) -> Response:
        return self.run(request, chargeBoxId, request.data)

    @documented(POWER_LIMIT_CLEAR, "delete")
    def delete(self, request, chargeBoxId: str) -> Response:
        return self.run(request, chargeBoxId, power_limit_scope(request), endpoint=POWER_LIMIT_CLEAR)


COMMANDS = ("availability", "reset", "charging_profile_set", "charging_profile_clear", "transaction_start",
            "transaction_stop")  # fmt: skip
VIEWS = [
    *((CHARGER + endpoint_of(command).path, operation_view(endpoint_of(command))) for command in COMMANDS),
    (CHARGER + POWER_LIMIT.path, PowerLimitView),
]
