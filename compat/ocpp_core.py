"""OCPP.Core's server API, at /API/: `/API/<command>[/chargepointId[/connectorId[/parameter]]]`.

OCPP.Core's management UI calls it with GET (any method is taken, as OCPP.Core does) and an
`X-API-Key` header; here the key is one of ours, with its scopes. Each command is one of our
command endpoints; the answer is OCPP.Core's `{"status": ...}`, the charger's word. A charger that
is not connected is a 404, which OCPP.Core's UI reads as "offline". README "Compatible APIs" has
the mapping.
"""

import re
from datetime import UTC, datetime

from django.db.models import OuterRef, Subquery
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import READ, WRITE
from chargers.models import Charger, Connector
from charging.models import MeterValue
from charging.services.metering import ENERGY_REGISTER, POWER_ACTIVE_IMPORT, energy_register_wh, power_active_w
from commands import services
from commands.api.views import POWER_LIMIT_CLEAR, Endpoint, charger_of, endpoint_of, endpoint_params, requester_of
from commands.bus import ChargerOffline
from csms.errors import ApiError, error_responses
from ocpp_ws.power_limits import power_limit_profile_id, power_limit_purpose

TAG = "OCPP.Core API (compatible)"
# OCPP.Core's ConnectorStatusEnum, from the OCPP status a connector last reported.
UNDEFINED = 0
STATUS_CODES = {
    "Available": 1,
    **dict.fromkeys(["Preparing", "Charging", "SuspendedEVSE", "SuspendedEV", "Finishing", "Reserved", "Occupied"], 2),
    "Unavailable": 3,
    "Faulted": 4,
}
STATE_OF_CHARGE = "SoC"
LIMIT = re.compile(r"^(\d+(?:\.\d+)?)([AW])$", re.IGNORECASE)
DAY = 86400
# Our fields, as the parts of the URL they come from.
URL_PARTS = {"connectorId": "connector"}


class Offline(ApiError):
    """OCPP.Core answers 404 for a charger that is not connected; its UI shows that as offline."""

    def __init__(self, failure: ChargerOffline):
        super().__init__(404, failure.code, str(failure))


def run(request, charger: Charger, endpoint: Endpoint, data: dict) -> Response:
    """Our command `endpoint` with `data` as its body; OCPP.Core's answer: the charger's status."""
    try:
        params = endpoint_params(charger, endpoint, data)
    except serializers.ValidationError as error:
        detail = error.detail if isinstance(error.detail, dict) else {}
        raise serializers.ValidationError({URL_PARTS.get(name, name): value for name, value in detail.items()})
    try:
        answer = services.command_run(
            charger=charger, command=endpoint.command, params=params, requester=requester_of(request)
        )
    except ChargerOffline as failure:
        raise Offline(failure)
    return Response({"status": answer.get("status")})


class OcppCoreAnswer(serializers.Serializer):
    status = serializers.CharField(help_text="The charger's answer: Accepted, Rejected, Scheduled, Unlocked, ...")


def documented(operation: str, summary: str, description: str, parameters: list[OpenApiParameter], **answer):
    """The schema of a view's GET and POST (both do the same, as in OCPP.Core)."""
    responses = answer.get("responses") or {
        200: OcppCoreAnswer,
        **error_responses(400, 401, 403, 404, 408, 429, 502),
    }
    examples = answer.get("examples") or [OpenApiExample("Answered", value={"status": "Accepted"}, response_only=True)]

    def method(name: str):
        return extend_schema(
            operation_id=f"ocpp_core_{operation}_{name}", summary=summary, description=description, tags=[TAG],
            request=None, parameters=parameters, responses=responses, examples=examples,
        )  # fmt: skip

    return extend_schema_view(get=method("get"), post=method("post"))


CHARGE_POINT = OpenApiParameter("charge_point_id", str, OpenApiParameter.PATH, description="Our chargeBoxId.")
CONNECTOR = OpenApiParameter("connector", str, OpenApiParameter.PATH, description="0: the whole charger.")
VALUE = OpenApiParameter("value", str, OpenApiParameter.PATH, description="The limit and its unit: 2000W or 16A.")


class OcppCoreView(APIView):
    """GET or POST, without a body: OCPP.Core takes any method and its UI uses GET."""

    scope = WRITE
    http_method_names = ["get", "post", "options"]

    def get(self, request, **path) -> Response:
        return self.answer(request, **path)

    def post(self, request, **path) -> Response:
        return self.answer(request, **path)


@documented("reset", "Reset", "Our `reset` of type Soft (2.0.1: OnIdle), as OCPP.Core sends it.", [CHARGE_POINT])
class ResetView(OcppCoreView):
    def answer(self, request, charge_point_id: str) -> Response:
        return run(request, charger_of(request, charge_point_id), endpoint_of("reset"), {"type": "Soft"})


@documented("unlock", "UnlockConnector", "Our `unlock`.", [CHARGE_POINT, CONNECTOR])
class UnlockConnectorView(OcppCoreView):
    def answer(self, request, charge_point_id: str, connector: str) -> Response:
        return run(request, charger_of(request, charge_point_id), endpoint_of("unlock"), {"connectorId": connector})


def daily_limit(connector_id: int, value: str) -> dict:
    """A constant limit as OCPP.Core sends it: a profile recurring daily, one period of 24 h. Its id and
    purpose are those of our power limit for the same scope (connector 0: the whole charger)."""
    match = LIMIT.match(value)
    if match is None:
        raise serializers.ValidationError({"value": f"{value!r} is no limit: give a number and A or W, e.g. 16A."})
    scope = {"connectorId": connector_id}
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "chargingProfileId": power_limit_profile_id(scope),
        "stackLevel": 0,
        "chargingProfilePurpose": power_limit_purpose(scope),
        "chargingProfileKind": "Recurring",
        "recurrencyKind": "Daily",
        "chargingSchedule": {
            "duration": DAY,
            "startSchedule": midnight.isoformat().replace("+00:00", "Z"),
            "chargingRateUnit": match.group(2).upper(),
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": float(match.group(1))}],
        },
    }


def connector_number(connector: str) -> int:
    field = serializers.IntegerField(min_value=0)
    try:
        return field.run_validation(connector)
    except serializers.ValidationError as error:
        raise serializers.ValidationError({"connector": error.detail})


@documented(
        "set_limit", "SetChargingLimit",
        "Our `charging-profiles`: a Recurring Daily profile with one period, the limit in the unit given (A or W). "
        "Connector 0: a ChargePointMaxProfile (the whole charger); else the connector's TxDefaultProfile. Its id "
        "is that of our `power-limit` for the same scope, so either replaces the other.",
        [CHARGE_POINT, CONNECTOR, VALUE],
    )  # fmt: skip
class SetChargingLimitView(OcppCoreView):
    def answer(self, request, charge_point_id: str, connector: str, value: str) -> Response:
        charger = charger_of(request, charge_point_id)
        number = connector_number(connector)
        body = {"connectorId": number, "chargingProfile": daily_limit(number, value)}
        return run(request, charger, endpoint_of("charging_profile_set"), body)


@documented("clear_limit", "ClearChargingLimit", "Our `power-limit` DELETE for the connector (0: the whole "
            "charger): clears what SetChargingLimit set.", [CHARGE_POINT, CONNECTOR])  # fmt: skip
class ClearChargingLimitView(OcppCoreView):
    def answer(self, request, charge_point_id: str, connector: str) -> Response:
        charger = charger_of(request, charge_point_id)
        return run(request, charger, POWER_LIMIT_CLEAR, {"connectorId": connector_number(connector)})


# Status.


def latest(measurand: str, column: str) -> Subquery:
    """The connector's latest total (not per phase) reading of `measurand`: its number or its unit."""
    readings = MeterValue.objects.filter(
        charger=OuterRef("charger"), evse_id=OuterRef("evse_id"), measurand=measurand, phase="", numeric__isnull=False
    )
    return Subquery(readings.order_by("-timestamp", "-id").values(column)[:1])


def online_connectors(chargers: list[Charger]) -> dict[int, dict[str, dict]]:
    """{charger pk: {connector: OCPP.Core's OnlineConnectorStatus}}; 2.0.1 chargers' by EVSE."""
    rows = Connector.objects.filter(charger__in=chargers, evse_id__gt=0).annotate(
        power=latest(POWER_ACTIVE_IMPORT, "numeric"), power_unit=latest(POWER_ACTIVE_IMPORT, "unit"),
        energy=latest(ENERGY_REGISTER, "numeric"), energy_unit=latest(ENERGY_REGISTER, "unit"),
        soc=latest(STATE_OF_CHARGE, "numeric"),
    ).order_by("evse_id", "connector_id")  # fmt: skip
    statuses: dict[int, dict[str, dict]] = {charger.pk: {} for charger in chargers}
    for row in rows:
        statuses[row.charger_id][str(row.evse_id)] = {
            "Status": STATUS_CODES.get(row.status, UNDEFINED),
            "ChargeRateKW": None if row.power is None else power_active_w(row.power, row.power_unit) / 1000,
            "MeterKWH": None if row.energy is None else energy_register_wh(row.energy, row.energy_unit) / 1000,
            "SoC": row.soc,
        }
    return statuses


CONNECTOR_STATUS = inline_serializer(
    "OcppCoreOnlineConnector",
    {
        "Status": serializers.IntegerField(help_text="0 Undefined, 1 Available, 2 Occupied, 3 Unavailable, 4 Faulted."),
        "ChargeRateKW": serializers.FloatField(allow_null=True, help_text="The latest Power.Active.Import, in kW."),
        "MeterKWH": serializers.FloatField(
            allow_null=True, help_text="The latest Energy.Active.Import.Register, in kWh."
        ),
        "SoC": serializers.FloatField(allow_null=True, help_text="The latest SoC, in percent."),
    },
)


@documented(
    "status", "Status",
    "The connected chargers and their connectors (2.0.1: EVSEs) by number, with OCPP.Core's status codes "
    "(Available 1; Preparing, Charging, SuspendedEVSE, SuspendedEV, Finishing, Reserved, Occupied 2; Unavailable 3; "
    "Faulted 4; anything else 0) and the latest meter values.",
    [],
    responses={
        200: inline_serializer("OcppCoreStatus", {
            "id": serializers.CharField(help_text="Our chargeBoxId."),
            "name": serializers.CharField(),
            "protocol": serializers.CharField(help_text="ocpp1.6 or ocpp2.0.1."),
            "OnlineConnectors": serializers.DictField(child=CONNECTOR_STATUS),
        }, many=True),
        **error_responses(401, 403),
    },
    examples=[OpenApiExample("Connected", response_only=True, value=[{
        "id": "station42", "name": "myWallbox", "protocol": "ocpp1.6",
        "OnlineConnectors": {"1": {"Status": 1, "ChargeRateKW": None, "MeterKWH": None, "SoC": None}}}])],
)  # fmt: skip
class StatusView(OcppCoreView):
    scope = READ

    def answer(self, request) -> Response:
        chargers = list(Charger.objects.filter(organisation_id=request.user.organisation_id).exclude(channel_name=""))
        connectors = online_connectors(chargers)
        return Response([
            {"id": charger.charge_box_id, "name": charger.name, "protocol": charger.ocpp_protocol,
             "OnlineConnectors": connectors[charger.pk]}
            for charger in chargers
        ])  # fmt: skip


VIEWS = [
    ("Status", StatusView),
    ("Reset/<str:charge_point_id>", ResetView),
    ("UnlockConnector/<str:charge_point_id>/<str:connector>", UnlockConnectorView),
    ("SetChargingLimit/<str:charge_point_id>/<str:connector>/<str:value>", SetChargingLimitView),
    ("ClearChargingLimit/<str:charge_point_id>/<str:connector>", ClearChargingLimitView),
]
