"""The command endpoints: thin views over commands.services, one row per endpoint in ENDPOINTS."""

from dataclasses import dataclass

from django.http import Http404
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers as drf
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from chargers.api import serializers as chargers_s
from chargers.models import Charger, DataTransfer
from charging.api.reservations import RESERVATION_EXAMPLE, RESERVATION_PARAMETERS, reservations_page
from charging.models import Reservation
from commands import services
from commands.api import serializers as s
from commands.bus import Requester, payload_error, version_of
from commands.models import Command
from csms import statements
from csms.errors import error_responses, validated
from csms.openapi import PAGE_PARAMETERS, filter_parameters
from csms.pagination import paginated
from smart_charging.models import InstalledChargingProfile

ERRORS = error_responses(400, 401, 403, 404, 408, 422, 429, 502)
READ_ERRORS = error_responses(400, 401, 403, 404)
EXAMPLE_COMMON = {
    "chargeBoxId": "CP-001",
    "commandId": "3f0c9a52-8d1e-4c1b-9a51-2f1f0d7e6b10",
    "responseTimeMs": 184,
}


def charger_of(request, charge_box_id: str) -> Charger:
    """The organisation's charger; another organisation's is as unknown as a missing one."""
    charger = statements.instance(
        Charger, where={"organisation_id": request.user.organisation_id, "charge_box_id": charge_box_id}
    )
    if charger is None:
        raise Http404(f"Charger {charge_box_id} not found.")
    return charger


def requester_of(request) -> Requester:
    return Requester(source=Command.Source.API, description=str(request.user), api_key_id=request.user.api_key.pk)


ASYNC = OpenApiParameter(
    "async", bool, description="true: answer 202 {commandId} at once; the command runs in the background."
)


def is_async(request) -> bool:
    return request.query_params.get("async", "").lower() in {"1", "true", "yes"}


def queued(command_id: str) -> Response:
    return Response({"commandId": command_id}, status=202)


# Steps some commands need before translation, whatever the charger's OCPP version.


def reservation_prepare(charger: Charger, params: dict) -> dict:
    if params.get("reservationId") is None:
        params["reservationId"] = services.reservation_id_choose(charger=charger)
    return params


def power_limit_prepare(charger: Charger, params: dict) -> dict:
    transaction_id = params.get("transactionId")
    if transaction_id is not None and not params.get("connectorId"):
        params["connectorId"] = services.transaction_connector(charger=charger, transaction_id=transaction_id)
        if params["connectorId"] is None:
            raise drf.ValidationError({"transactionId": f"no transaction {transaction_id} on this charger known; "
                                       "give its connectorId"})  # fmt: skip
    return params


@dataclass(frozen=True)
class Endpoint:
    """POST /chargers/{chargeBoxId}/<path>: one version-neutral command."""

    path: str
    command: str
    body: type[drf.Serializer]
    reply: type[drf.Serializer]
    summary: str
    example: dict
    answer: dict
    prepare: object = None
    description: str = ""

    def schema(self):
        return extend_schema(
            operation_id=self.command,
            summary=self.summary,
            description=self.description or None,
            tags=["commands"],
            request=self.body,
            parameters=[ASYNC],
            responses={200: self.reply, 202: s.Queued, **ERRORS},
            examples=[
                OpenApiExample("Request", value=self.example, request_only=True),
                OpenApiExample(
                    "Answered",
                    value={**EXAMPLE_COMMON, "action": self.reply.example_action, **self.answer},
                    response_only=True,
                    status_codes=["200"],
                ),
            ],
        )


def endpoint_params(charger: Charger, endpoint: Endpoint, data, **path) -> dict:
    """The endpoint's validated body, with what the path says (transactionId, reservationId), prepared."""
    params = {**validated(endpoint.body, data), **path}
    return endpoint.prepare(charger, params) if endpoint.prepare else params


class CommandView(APIView):
    endpoint: Endpoint

    def run(self, request, chargeBoxId: str, data, endpoint: Endpoint | None = None, **path) -> Response:
        """Validate, add what the path says (transactionId, reservationId), prepare, send."""
        endpoint = endpoint or self.endpoint
        charger = charger_of(request, chargeBoxId)
        params = endpoint_params(charger, endpoint, data, **path)
        if is_async(request):
            return queued(
                services.command_enqueue(
                    charger=charger, command=endpoint.command, params=params, requester=requester_of(request)
                )
            )
        answer = services.command_run(
            charger=charger, command=endpoint.command, params=params, requester=requester_of(request)
        )
        return Response(answer)


def reply(name: str, action: str, **fields) -> type[drf.Serializer]:
    serializer = s.reply_serializer(name, **fields)
    serializer.example_action = action  # the OCPP 1.6 action, for the documentation's example
    return serializer


# One type for a session's id across this API, as the listings show it: text (1.6 ids are digits).
TEXT_ID = "As the listings show it: text, whatever the charger's OCPP version."
RESERVATION = {"reservationId": drf.IntegerField(help_text="Ours when the request had none.")}

ENDPOINTS = [
    Endpoint(
        "reset", "reset", s.ResetInput,
        reply("ResetReply", "Reset", status=s.status("Accepted", "Rejected", "Scheduled")),
        "Reset the charger", {"type": "Soft"},
        {"message": "Soft reset accepted by charger", "status": "Accepted", "response": {"status": "Accepted"}},
    ),
    Endpoint(
        "unlock", "unlock", s.UnlockInput,
        reply("UnlockReply", "UnlockConnector", status=s.status("Unlocked", "UnlockFailed", "NotSupported",
                                                       "OngoingAuthorizedTransaction", "UnknownConnector")),
        "Unlock a connector (a stuck cable)", {"connectorId": 1},
        {"message": "Connector 1 unlocked", "status": "Unlocked", "response": {"status": "Unlocked"}},
    ),
    Endpoint(
        "cache/clear", "cache_clear", s.Empty,
        reply("CacheClearReply", "ClearCache", status=s.status("Accepted", "Rejected")),
        "Clear the charger's authorization cache", {},
        {"message": "Cache clear accepted by charger", "status": "Accepted", "response": {"status": "Accepted"}},
    ),
    Endpoint(
        "trigger", "trigger", s.TriggerInput,
        reply("TriggerReply", "TriggerMessage", status=s.status("Accepted", "Rejected", "NotImplemented")),
        "Ask the charger to send a message now", {"requestedMessage": "StatusNotification", "connectorId": 1},
        {"message": "Trigger of StatusNotification accepted by charger", "status": "Accepted",
         "response": {"status": "Accepted"}},
    ),
    Endpoint(
        "availability", "availability", s.AvailabilityInput,
        reply("AvailabilityReply", "ChangeAvailability", status=s.status("Accepted", "Rejected", "Scheduled")),
        "Make a connector (or the charger) operative or inoperative", {"connectorId": 1, "type": "Inoperative"},
        {"message": "Change to Inoperative on connector 1 accepted by charger", "status": "Accepted",
         "response": {"status": "Accepted"}},
    ),
    Endpoint(
        "configuration/get", "configuration_get", s.ConfigurationGetInput,
        reply("ConfigurationGetReply", "GetConfiguration",
              configurationKey=drf.ListField(child=drf.DictField(), help_text="{key, readonly, value}"),
              unknownKey=drf.ListField(child=drf.CharField())),
        "Read configuration keys ({} reads all)", {"key": ["HeartbeatInterval"]},
        {"message": "1 configuration keys read",
         "configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}], "unknownKey": [],
         "response": {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}],
                      "unknownKey": []}},
    ),
    Endpoint(
        "configuration/change", "configuration_change", s.ConfigurationChangeInput,
        reply("ConfigurationChangeReply", "ChangeConfiguration", key=drf.CharField(), value=drf.CharField(),
              status=s.status("Accepted", "Rejected", "RebootRequired", "NotSupported")),
        "Change a configuration key", {"key": "HeartbeatInterval", "value": "600"},
        {"message": "Change of HeartbeatInterval accepted by charger", "key": "HeartbeatInterval", "value": "600",
         "status": "Accepted", "response": {"status": "Accepted"}},
    ),
    Endpoint(
        "firmware/update", "firmware_update", s.FirmwareUpdateInput,
        reply("FirmwareUpdateReply", "UpdateFirmware", location=drf.CharField(), retrieveDate=drf.DateTimeField()),
        "Have the charger download and install firmware",
        {"location": "https://firmware.example.com/v2.bin", "retrieveDate": "2026-02-10T14:00:00Z", "retries": 3,
         "retryInterval": 60},
        {"message": "Firmware update from https://firmware.example.com/v2.bin scheduled for 2026-02-10T14:00:00Z",
         "location": "https://firmware.example.com/v2.bin", "retrieveDate": "2026-02-10T14:00:00Z", "response": {}},
    ),
    Endpoint(
        "diagnostics", "diagnostics", s.DiagnosticsInput,
        reply("DiagnosticsReply", "GetDiagnostics", fileName=drf.CharField(allow_null=True)),
        "Have the charger upload its diagnostics",
        {"location": "ftp://uploads.example.com/diagnostics/", "startTime": "2026-02-09T00:00:00Z"},
        {"message": "Charger will upload diag-001.zip to ftp://uploads.example.com/diagnostics/",
         "fileName": "diag-001.zip", "response": {"fileName": "diag-001.zip"}},
    ),
    Endpoint(
        "transactions/start", "transaction_start", s.TransactionStartInput,
        reply("TransactionStartReply", "RemoteStartTransaction", status=s.status("Accepted", "Rejected")),
        "Start a charging session remotely", {"idTag": "RFID-4A2F", "connectorId": 1},
        {"message": "Remote start for RFID-4A2F accepted by charger", "status": "Accepted",
         "response": {"status": "Accepted"}},
        description="Accepted means the charger will try; the session exists once it sends StartTransaction. "
        "An eMSP's fields (idToken as text with idTokenType, contractId, emspCountryCode, emspPartyId, "
        "ocpiConnectionProfileId, authorizationReference, idTokenIssuer, vehicle) are honoured: the token as "
        "OCPP 2.0.1's idToken (RFID: ISO14443; APP_USER, AD_HOC_USER, OTHER: Central; contractId: eMAID), the "
        "rest kept with the command (`session`) and sent to a 2.0.1 charger in customData.",
    ),
    Endpoint(
        "transactions/<transaction_id:transactionId>/stop", "transaction_stop", s.Empty,
        reply("TransactionStopReply", "RemoteStopTransaction", transactionId=drf.CharField(help_text=TEXT_ID),
              status=s.status("Accepted", "Rejected")),
        "Stop a charging session remotely", {},
        {"message": "Remote stop of transaction 10042 accepted by charger", "transactionId": "10042",
         "status": "Accepted", "response": {"status": "Accepted"}},
    ),
    Endpoint(
        "reservations", "reservation_create", s.ReservationInput,
        reply("ReservationReply", "ReserveNow", **RESERVATION,
              status=s.status("Accepted", "Faulted", "Occupied", "Rejected", "Unavailable")),
        "Reserve a connector for an id tag",
        {"connectorId": 1, "expiryDate": "2026-03-10T17:00:00Z", "idTag": "RFID-4A2F"},
        {"message": "Reservation 1583347561 on connector 1 accepted by charger", "reservationId": 1583347561,
         "status": "Accepted", "response": {"status": "Accepted"}},
        prepare=reservation_prepare,
    ),
    Endpoint(
        "reservations/<int:reservationId>/cancel", "reservation_cancel", s.Empty,
        reply("ReservationCancelReply", "CancelReservation", reservationId=drf.IntegerField(),
              status=s.status("Accepted", "Rejected")),
        "Cancel a reservation", {},
        {"message": "Cancellation of reservation 5001 accepted by charger", "reservationId": 5001,
         "status": "Accepted", "response": {"status": "Accepted"}},
    ),
    Endpoint(
        "charging-profiles", "charging_profile_set", s.ChargingProfileInput,
        reply("ChargingProfileReply", "SetChargingProfile", chargingProfileId=drf.IntegerField(),
              status=s.status("Accepted", "Rejected", "NotSupported")),
        "Set a charging profile",
        {"connectorId": 1, "chargingProfile": {
            "chargingProfileId": 101, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute", "chargingSchedule": {
                "chargingRateUnit": "W", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7400}]}}},
        {"message": "Charging profile 101 on connector 1 accepted by charger", "chargingProfileId": 101,
         "status": "Accepted", "response": {"status": "Accepted"}},
    ),
    Endpoint(
        "charging-profiles/clear", "charging_profile_clear", s.ChargingProfileClearInput,
        reply("ChargingProfileClearReply", "ClearChargingProfile", status=s.status("Accepted", "Unknown")),
        "Clear charging profiles (by id, or all matching the criteria)", {"id": 101},
        {"message": "Clearing of charging profiles accepted by charger", "status": "Accepted",
         "response": {"status": "Accepted"}},
    ),
    Endpoint(
        "composite-schedule", "composite_schedule", s.CompositeScheduleInput,
        reply("CompositeScheduleReply", "GetCompositeSchedule", status=s.status("Accepted", "Rejected"),
              connectorId=drf.IntegerField(allow_null=True), scheduleStart=drf.DateTimeField(allow_null=True),
              chargingSchedule=drf.DictField(allow_null=True)),
        "Read the schedule the charger will follow", {"connectorId": 1, "duration": 3600, "chargingRateUnit": "A"},
        {"message": "Composite schedule request on connector 1 accepted by charger", "status": "Accepted",
         "connectorId": 1, "scheduleStart": "2026-02-10T14:00:00Z",
         "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]},
         "response": {"status": "Accepted", "connectorId": 1, "scheduleStart": "2026-02-10T14:00:00Z",
                      "chargingSchedule": {"chargingRateUnit": "A",
                                           "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}}},
    ),
    Endpoint(
        "local-list", "local_list_send", s.LocalListInput,
        reply("LocalListReply", "SendLocalList", listVersion=drf.IntegerField(),
              status=s.status("Accepted", "Failed", "NotSupported", "VersionMismatch")),
        "Send the local authorization list",
        {"listVersion": 2, "updateType": "Full",
         "localAuthorizationList": [{"idTag": "RFID-4A2F", "idTagInfo": {"status": "Accepted"}}]},
        {"message": "Local list version 2 accepted by charger", "listVersion": 2, "status": "Accepted",
         "response": {"status": "Accepted"}},
    ),
    Endpoint(
        "local-list/version", "local_list_version", s.Empty,
        reply("LocalListVersionReply", "GetLocalListVersion", listVersion=drf.IntegerField()),
        "Read the version of the charger's local authorization list", {},
        {"message": "Local list version is 2", "listVersion": 2, "response": {"listVersion": 2}},
    ),
]  # fmt: skip

DATA_TRANSFER = Endpoint(
    "data-transfer", "data_transfer", s.DataTransferInput,
    reply("DataTransferReply", "DataTransfer", vendorId=drf.CharField(), messageId=drf.CharField(allow_null=True),
          status=s.status("Accepted", "Rejected", "UnknownMessageId", "UnknownVendorId"),
          responseData=drf.CharField(allow_null=True, help_text="The `data` of the charger's answer.")),
    "Send a vendor-specific DataTransfer",
    {"vendorId": "com.example", "messageId": "GetDisplayMessage", "data": "{\"screen\": 1}"},
    {"message": "DataTransfer accepted by charger", "vendorId": "com.example", "messageId": "GetDisplayMessage",
     "status": "Accepted", "responseData": "{\"text\": \"Hello\"}",
     "response": {"status": "Accepted", "data": "{\"text\": \"Hello\"}"}},
)  # fmt: skip

POWER_LIMIT = Endpoint(
    "power-limit", "power_limit_set", s.PowerLimitInput,
    reply("PowerLimitReply", "SetChargingProfile", status=s.status("Accepted", "Rejected", "NotSupported"),
          chargingProfileId=drf.IntegerField(), chargingProfilePurpose=drf.CharField(),
          connectorId=drf.IntegerField(), chargingRateUnit=drf.ChoiceField(["A", "W"]), limit=drf.FloatField(),
          limitApplied=drf.ChoiceField(["acMaxPowerA", "acMaxPowerKw", "acMaxPowerW", "dcMaxPowerKw"],
                                       help_text="The limit given that the charger was sent.")),
    "Limit the power of the charger, a connector or a session",
    {"limit": {"acMaxPowerKw": 11}, "connectorId": 1},
    {"message": "Power limit of 15.9 A on connector 1 accepted by charger", "status": "Accepted",
     "chargingProfileId": 3101, "chargingProfilePurpose": "TxDefaultProfile", "connectorId": 1,
     "chargingRateUnit": "A", "limit": 15.9, "limitApplied": "acMaxPowerKw", "response": {"status": "Accepted"}},
    prepare=power_limit_prepare,
    description="No connector: a ChargePointMaxProfile on connector 0. A connector: its TxDefaultProfile. "
    "A transaction: a TxProfile. AC kilowatts become amperes per phase (numberPhases 3, 230 V unless given); "
    "DC kilowatts are sent in watts. Several limits in `limit`: each must be within the charger's reach, and "
    "the charger is sent the most restrictive one for the current it delivers (AC limits for an AC EVSE, "
    "dcMaxPowerKw for a DC one, as its OCPP 2.0.1 device model says: EVSE/Connector SupplyPhases, 0 meaning DC, "
    "and ConnectorType); of all of them, compared in watts with its phases and voltage, when that is not known "
    "or none given is for its current. `limitApplied` names it.",
)  # fmt: skip

POWER_LIMIT_CLEAR = Endpoint(
    "power-limit", "power_limit_clear", s.PowerLimitScope,
    reply("PowerLimitClearReply", "ClearChargingProfile", status=s.status("Accepted", "Unknown"),
          chargingProfileId=drf.IntegerField()),
    "Remove a power limit", {},
    {"message": "Removal of the power limit on connector 1 accepted by charger", "status": "Accepted",
     "chargingProfileId": 3101, "response": {"status": "Accepted"}},
    prepare=power_limit_prepare,
    description="The scope (connectorId, transactionId, chargingProfileId, stackLevel) as query parameters, "
    "as it was given when the limit was set.",
)  # fmt: skip


def command_view(endpoint: Endpoint) -> type[CommandView]:
    """A view class for one endpoint row; each needs its own `post` to carry its own schema."""

    def post(self, request, chargeBoxId: str, **path) -> Response:
        return self.run(request, chargeBoxId, request.data, **path)

    return type(
        f"{endpoint.reply.__name__}View", (CommandView,), {"endpoint": endpoint, "post": endpoint.schema()(post)}
    )


class DataTransferView(command_view(DATA_TRANSFER)):
    @extend_schema(
        operation_id="data_transfer_list",
        summary="DataTransfer history, both directions, newest first",
        tags=["commands"],
        parameters=[s.DataTransferListParams],
        responses={200: s.DataTransferList, **READ_ERRORS},
        examples=[
            OpenApiExample(
                "History",
                value={
                    "chargeBoxId": "CP-001",
                    "dataTransfers": [
                        {
                            "id": 7,
                            "direction": "outgoing",
                            "vendorId": "com.example",
                            "messageId": "GetDisplayMessage",
                            "data": '{"screen": 1}',
                            "responseStatus": "Accepted",
                            "responseData": '{"text": "Hello"}',
                            "createdAt": "2026-02-10T14:00:00Z",
                        }
                    ],
                    "count": 1,
                    "pagination": {"total": 1, "limit": 20, "offset": 0},
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, chargeBoxId: str) -> Response:
        charger = charger_of(request, chargeBoxId)
        page = validated(s.DataTransferListParams, request.query_params)
        rows = DataTransfer.objects.filter(charger=charger)
        items = s.DataTransferRow(rows[page["offset"] : page["offset"] + page["limit"]], many=True).data
        return Response({"chargeBoxId": charger.charge_box_id, "dataTransfers": items, "count": len(items),
                         "pagination": {"total": rows.count(), **page}})  # fmt: skip


class PowerLimitView(command_view(POWER_LIMIT)):
    @extend_schema(
        operation_id="power_limit_delete",
        summary=POWER_LIMIT_CLEAR.summary,
        description=POWER_LIMIT_CLEAR.description,
        tags=["commands"],
        parameters=[s.PowerLimitScope, ASYNC],
        request=None,
        responses={200: POWER_LIMIT_CLEAR.reply, 202: s.Queued, **ERRORS},
        examples=[
            OpenApiExample(
                "Answered",
                value={**EXAMPLE_COMMON, "action": "ClearChargingProfile", **POWER_LIMIT_CLEAR.answer},
                response_only=True,
            )
        ],
    )
    def delete(self, request, chargeBoxId: str) -> Response:
        return self.run(request, chargeBoxId, power_limit_scope(request), endpoint=POWER_LIMIT_CLEAR)


def power_limit_scope(request) -> dict:
    """A power limit's scope, as DELETE gives it: query parameters (or a body)."""
    body = request.data if isinstance(request.data, dict) else {}
    return {**body, **{name: value for name, value in request.query_params.items() if name != "async"}}


def endpoint_of(command: str) -> Endpoint:
    return next(endpoint for endpoint in ENDPOINTS if endpoint.command == command)


class ReservationsView(command_view(endpoint_of("reservation_create"))):
    @extend_schema(
        operation_id="charger_reservations_list",
        summary="The charger's reservations, newest first",
        tags=["Reservations"],
        parameters=[p for p in RESERVATION_PARAMETERS if p.name != "chargeBoxId"],
        responses={200: chargers_s.ReservationPageSerializer, **READ_ERRORS},
        examples=[
            OpenApiExample(
                "Reservations",
                value={"reservations": [RESERVATION_EXAMPLE], "pagination": {"total": 1, "limit": 50, "offset": 0}},
                response_only=True,
            )
        ],
    )
    def get(self, request, chargeBoxId: str) -> Response:
        return reservations_page(request, Reservation.objects.filter(charger=charger_of(request, chargeBoxId)))


class ChargingProfilesView(command_view(endpoint_of("charging_profile_set"))):
    @extend_schema(
        operation_id="charger_charging_profiles_list",
        summary="The charging profiles the charger accepted and holds",
        description="Recorded when the charger accepts a profile or a power limit; removed when cleared, "
        "when a TxProfile's session ends, and restored after a reboot.",
        tags=["commands"],
        responses={200: chargers_s.InstalledChargingProfilesSerializer, **READ_ERRORS},
    )
    def get(self, request, chargeBoxId: str) -> Response:
        charger = charger_of(request, chargeBoxId)
        profiles = InstalledChargingProfile.objects.filter(charger=charger).select_related("transaction")
        items = chargers_s.InstalledChargingProfileSerializer(profiles, many=True).data
        return Response({"chargeBoxId": charger.charge_box_id, "chargingProfiles": items})


# Command endpoints that also list what they create.
LISTED = {"reservation_create": ReservationsView, "charging_profile_set": ChargingProfilesView}


class LocalListSyncView(APIView):
    @extend_schema(
        operation_id="local_list_sync",
        summary="Bring the charger's local authorization list up to date",
        description="Builds the list from the organisation's id tags. Sends a Full SendLocalList when the "
        "version the charger holds is unknown or more than half the list changed, else a Differential one with "
        "only the changes since the version the charger confirmed (a removed tag without idTagInfo). "
        "The version the charger accepts is recorded.",
        tags=["commands"],
        request=s.LocalListSyncInput,
        responses={200: s.LocalListSyncReply, **ERRORS},
        examples=[
            OpenApiExample("Request", value={}, request_only=True),
            OpenApiExample(
                "Differential update accepted",
                value={**EXAMPLE_COMMON, "action": "SendLocalList", "message": "Local list version 3 accepted by "
                       "charger", "sent": True, "listVersion": 3, "updateType": "Differential", "status": "Accepted",
                       "entries": 1, "response": {"status": "Accepted"}},
                response_only=True,
            ),
        ],
    )  # fmt: skip
    def post(self, request, chargeBoxId: str) -> Response:
        charger = charger_of(request, chargeBoxId)
        body = validated(s.LocalListSyncInput, request.data)
        answer = services.local_list_sync(
            charger=charger, requester=requester_of(request), update_type=body.get("updateType")
        )
        return Response(answer)


def payload_check(charger: Charger, action: str, payload: dict, *, names=("action", "payload")) -> None:
    """A 400 naming the action or the payload (as `names` call them) when the charger's version cannot take it."""
    error = payload_error(charger.ocpp_protocol, action, payload)
    if error:
        known = action in version_of(charger.ocpp_protocol).csms_actions
        raise drf.ValidationError({names[1] if known else names[0]: error})


class GenericCommandView(APIView):
    @extend_schema(
        operation_id="command_send",
        summary="Send any OCPP action with its payload, unchanged",
        description="The payload is validated against the OCPP schema of the charger's version before it is sent. "
        "The charger's reply fields are also at the top level. A SetChargingProfile is checked against the "
        "charger's reach as charging-profiles is, and listed when accepted; a GetChargingProfiles' report "
        "settles the list of installed profiles as charging-profiles/report's does.",
        tags=["commands"],
        request=s.GenericInput,
        parameters=[ASYNC],
        responses={200: s.CommandReply, 202: s.Queued, **ERRORS},
        examples=[
            OpenApiExample(
                "Request", value={"action": "GetConfiguration", "payload": {"key": ["HeartbeatInterval"]}},
                request_only=True,
            ),
            OpenApiExample(
                "Answered",
                value={**EXAMPLE_COMMON, "action": "GetConfiguration",
                       "message": "GetConfiguration answered by charger",
                       "configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}],
                       "unknownKey": [],
                       "response": {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False,
                                                          "value": "300"}], "unknownKey": []}},
                response_only=True,
            ),
        ],
    )  # fmt: skip
    def post(self, request, chargeBoxId: str) -> Response:
        charger = charger_of(request, chargeBoxId)
        params = validated(s.GenericInput, request.data)
        payload_check(charger, params["action"], params["payload"])
        if is_async(request):
            return queued(
                services.command_enqueue(
                    charger=charger, action=params["action"], payload=params["payload"], requester=requester_of(request)
                )
            )
        answer = services.action_run(
            charger=charger, action=params["action"], payload=params["payload"], requester=requester_of(request)
        )
        return Response(answer)


class CommandFilter(filters.FilterSet):
    chargeBoxId = filters.CharFilter(field_name="charger__charge_box_id", help_text="Only this charger's commands.")
    action = filters.CharFilter(help_text="Only this OCPP action, e.g. Reset.")
    status = filters.ChoiceFilter(choices=Command.Status.choices, help_text="Only commands in this status.")

    class Meta:
        model = Command
        fields = ["chargeBoxId", "action", "status"]


class CommandListView(GenericAPIView):
    filterset_class = CommandFilter
    serializer_class = s.CommandLog

    def get_queryset(self):
        return Command.objects.filter(organisation=self.request.user.organisation).select_related("charger")

    @extend_schema(
        operation_id="command_list",
        summary="The command log, newest first",
        tags=["commands"],
        parameters=filter_parameters(CommandFilter) + PAGE_PARAMETERS,
        responses={200: s.CommandLogPage, **READ_ERRORS},
        examples=[OpenApiExample("Page", value={"commands": [], "pagination": {"total": 0, "limit": 50, "offset": 0}})],
    )
    def get(self, request) -> Response:
        rows = self.filter_queryset(self.get_queryset())
        return paginated(request, rows, key="commands", serialize=lambda page: s.CommandLog(page, many=True).data)


class CommandDetailView(APIView):
    @extend_schema(
        operation_id="command_get",
        summary="One command: what was asked, by whom, and what came of it",
        tags=["commands"],
        responses={200: s.CommandLog, 401: ERRORS[401], 403: READ_ERRORS[403], 404: ERRORS[404]},
        examples=[
            OpenApiExample(
                "Answered",
                value={
                    "commandId": EXAMPLE_COMMON["commandId"],
                    "chargeBoxId": "CP-001",
                    "action": "Reset",
                    "status": "answered",
                    "request": {"type": "Soft"},
                    "response": {"status": "Accepted"},
                    "errorCode": "",
                    "errorDescription": "",
                    "source": "api",
                    "requestedBy": "API key 1a2b3c4d",
                    "createdAt": "2026-02-10T14:00:00.120Z",
                    "sentAt": "2026-02-10T14:00:00.125Z",
                    "answeredAt": "2026-02-10T14:00:00.301Z",
                    "latencyMs": 176,
                    "lateResponse": None,
                    "lateAt": None,
                    "session": None,
                },
            )
        ],
    )
    def get(self, request, commandId) -> Response:
        command = (
            Command.objects.select_related("charger")
            .filter(pk=commandId, organisation=request.user.organisation)
            .first()
        )
        if command is not None:
            return Response(s.CommandLog(command).data)
        # An async command no worker has picked up yet: known, still pending.
        waiting = services.command_queued(organisation_id=request.user.organisation.pk, command_id=str(commandId))
        if waiting is None:
            raise Http404
        return Response({"commandId": str(commandId), "status": Command.Status.PENDING, "response": None,
                         "errorCode": "", "errorDescription": "", "sentAt": None, "answeredAt": None,
                         "latencyMs": None, "lateResponse": None, "lateAt": None, "session": None,
                         **waiting})  # fmt: skip
