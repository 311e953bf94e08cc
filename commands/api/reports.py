"""Endpoints for OCPP 2.0.1 operations with no 1.6 twin: device-model reports, variable monitoring,
transaction status and charging-profile reports. A 1.6 charger answers them with a 400
(the command is absent from its version's table). Also the stored device model, for reading."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers as drf
from rest_framework.response import Response
from rest_framework.views import APIView

from chargers.models import DeviceVariable
from commands.api import serializers as s
from commands.api.views import READ_ERRORS, Endpoint, charger_of, command_view, reply
from csms.pagination import page_of, paginated

KEY_HELP = "Component.Variable or Component[instance].Variable[instance], or {component, variable} as OCPP has them."


class DeviceModelKey(drf.JSONField):
    """A device-model variable: `Component.Variable` text or OCPP's {component, variable} objects."""

    def to_internal_value(self, data):
        if isinstance(data, str) and data:
            return data
        if (
            isinstance(data, dict)
            and isinstance(data.get("component"), dict)
            and isinstance(data.get("variable"), dict)
        ):
            return data
        raise drf.ValidationError("a Component.Variable text or {component, variable} objects")


class ReportBaseInput(drf.Serializer):
    reportBase = drf.ChoiceField(["ConfigurationInventory", "FullInventory", "SummaryInventory"])


class ReportInput(drf.Serializer):
    key = drf.ListField(child=DeviceModelKey(help_text=KEY_HELP), required=False, min_length=1)
    componentCriteria = drf.ListField(
        child=drf.ChoiceField(["Active", "Available", "Enabled", "Problem"]), required=False, min_length=1
    )

    def validate(self, data):
        if not data:
            raise drf.ValidationError({"key": "name variables (key) or componentCriteria, or ask for a base report"})
        return data


class TransactionStatusInput(drf.Serializer):
    transactionId = drf.CharField(required=False, max_length=36, help_text="None: whether any messages are queued.")


class MonitorInput(drf.Serializer):
    key = DeviceModelKey(help_text=KEY_HELP)
    type = drf.ChoiceField(["UpperThreshold", "LowerThreshold", "Delta", "Periodic", "PeriodicClockAligned"])
    value = drf.FloatField()
    severity = drf.IntegerField(min_value=0, max_value=9)
    id = drf.IntegerField(required=False, help_text="An existing monitor to replace.")
    transaction = drf.BooleanField(required=False, allow_null=True, default=None, help_text="Only during a session.")


class MonitoringInput(drf.Serializer):
    monitors = MonitorInput(many=True, allow_empty=False)


class MonitoringClearInput(drf.Serializer):
    ids = drf.ListField(child=drf.IntegerField(min_value=0), min_length=1)


class ChargingProfilesGetInput(drf.Serializer):
    connectorId = drf.IntegerField(required=False, min_value=0, help_text="The EVSE; none: all.")
    chargingProfileId = drf.ListField(child=drf.IntegerField(), required=False, min_length=1)
    chargingProfilePurpose = drf.ChoiceField(s.PROFILE_PURPOSES, required=False)
    stackLevel = drf.IntegerField(required=False, min_value=0)
    chargingLimitSource = drf.ListField(child=drf.ChoiceField(["EMS", "Other", "SO", "CSO"]), required=False)


REQUESTED = {"requestId": drf.IntegerField(help_text="Quoted by the charger in the reports that follow."),
             "status": s.status("Accepted", "Rejected", "NotSupported", "EmptyResultSet", "NoProfiles")}  # fmt: skip
RESULTS = {"results": drf.ListField(child=drf.DictField())}

ENDPOINTS = [
    Endpoint(
        "reports/base", "report_base_get", ReportBaseInput, reply("ReportBaseReply", "GetBaseReport", **REQUESTED),
        "OCPP 2.0.1: have the charger report its device model", {"reportBase": "FullInventory"},
        {"message": "FullInventory report accepted by charger", "requestId": 42, "status": "Accepted",
         "response": {"status": "Accepted"}},
        description="The charger sends NotifyReport parts, assembled into its device model (GET device-model).",
    ),
    Endpoint(
        "reports", "report_get", ReportInput, reply("ReportReply", "GetReport", **REQUESTED),
        "OCPP 2.0.1: have the charger report some variables", {"key": ["OCPPCommCtrlr.HeartbeatInterval"]},
        {"message": "Report accepted by charger", "requestId": 43, "status": "Accepted",
         "response": {"status": "Accepted"}},
    ),
    Endpoint(
        "transaction-status", "transaction_status", TransactionStatusInput,
        reply("TransactionStatusReply", "GetTransactionStatus", messagesInQueue=drf.BooleanField(),
              ongoingIndicator=drf.BooleanField(allow_null=True)),
        "OCPP 2.0.1: whether a session is ongoing and its messages are still queued", {"transactionId": "TX-1"},
        {"message": "Messages queued; session over", "messagesInQueue": True, "ongoingIndicator": False,
         "response": {"messagesInQueue": True, "ongoingIndicator": False}},
    ),
    Endpoint(
        "monitoring", "monitoring_set", MonitoringInput,
        reply("MonitoringReply", "SetVariableMonitoring", **RESULTS),
        "OCPP 2.0.1: set variable monitors",
        {"monitors": [{"key": "EVSE.Power", "type": "UpperThreshold", "value": 22000, "severity": 5}]},
        {"message": "1 of 1 monitors set",
         "results": [{"key": "EVSE.Power", "status": "Accepted", "id": 1, "type": "UpperThreshold", "severity": 5}],
         "response": {"setMonitoringResult": []}},
    ),
    Endpoint(
        "monitoring/clear", "monitoring_clear", MonitoringClearInput,
        reply("MonitoringClearReply", "ClearVariableMonitoring", **RESULTS),
        "OCPP 2.0.1: clear variable monitors", {"ids": [1]},
        {"message": "1 of 1 monitors cleared", "results": [{"id": 1, "status": "Accepted"}],
         "response": {"clearMonitoringResult": [{"id": 1, "status": "Accepted"}]}},
    ),
    Endpoint(
        "charging-profiles/report", "charging_profiles_get", ChargingProfilesGetInput,
        reply("ChargingProfilesReportReply", "GetChargingProfiles", **REQUESTED),
        "OCPP 2.0.1: have the charger report its charging profiles", {"connectorId": 1},
        {"message": "Report of charging profiles accepted by charger", "requestId": 44, "status": "Accepted",
         "response": {"status": "Accepted"}},
        description="The charger sends ReportChargingProfiles, kept among its notifications.",
    ),
]  # fmt: skip

VIEWS = [(endpoint.path, command_view(endpoint)) for endpoint in ENDPOINTS]


class DeviceVariableRow(drf.Serializer):
    component = drf.CharField()
    componentInstance = drf.CharField(source="component_instance")
    evseId = drf.IntegerField(source="evse_id", help_text="0: the charging station as a whole.")
    connectorId = drf.IntegerField(source="connector_id")
    variable = drf.CharField()
    variableInstance = drf.CharField(source="variable_instance")
    key = drf.CharField(source="__str__", help_text="As configuration/get and configuration/change take it.")
    attributeType = drf.CharField(source="attribute_type")
    value = drf.CharField()
    mutability = drf.CharField()
    persistent = drf.BooleanField(allow_null=True)
    constant = drf.BooleanField(allow_null=True)
    dataType = drf.CharField(source="data_type")
    unit = drf.CharField()
    characteristics = drf.DictField()
    updatedAt = drf.DateTimeField(source="updated_at")


DeviceModelPage = page_of("DeviceModelPage", "variables", DeviceVariableRow)


class DeviceModelFilter(drf.Serializer):
    component = drf.CharField(required=False, help_text="Only this component, e.g. EVSE.")
    variable = drf.CharField(required=False, help_text="Only this variable, e.g. Power.")
    evseId = drf.IntegerField(
        required=False, min_value=0, source="evse_id", help_text="Only this EVSE (0: the station)."
    )


class DeviceModelView(APIView):
    @extend_schema(
        operation_id="device_model_list",
        summary="OCPP 2.0.1: the charger's device model, as last reported",
        tags=["commands"],
        parameters=[DeviceModelFilter],
        responses={200: DeviceModelPage, **READ_ERRORS},
        examples=[
            OpenApiExample("Page", value={"variables": [], "pagination": {"total": 0, "limit": 50, "offset": 0}})
        ],
    )
    def get(self, request, chargeBoxId: str) -> Response:
        charger = charger_of(request, chargeBoxId)
        filters = DeviceModelFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows = DeviceVariable.objects.filter(charger=charger, **filters.validated_data)
        return paginated(request, rows, key="variables", serialize=lambda page: DeviceVariableRow(page, many=True).data)
