"""Charger endpoints: thin views over chargers.selectors (reads) and chargers.services.registry (writes)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from chargers import costs, selectors
from chargers.api import serializers as s
from chargers.filters import ChargePointStatusFilter, ChargerFilter
from chargers.models import Charger, Site
from chargers.services.registry import (
    ChargerExists,
    charger_delete,
    charger_register,
    charger_supply_update,
    charger_update,
)
from csms.errors import Conflict, error_responses
from csms.openapi import endpoint_base, example, filtered_page
from csms.responses import created

TAGS = ["Chargers"]
CHARGE_BOX_ID = OpenApiParameter(
    "chargeBoxId", str, OpenApiParameter.PATH, description="The charger's identity, as in /ocpp/<chargeBoxId>."
)
CONNECTOR_ID = OpenApiParameter(
    "connectorId",
    int,
    OpenApiParameter.PATH,
    description="1, 2, ...; 0 is the charger as a whole (1.6). OCPP 2.0.1 numbers connectors within each EVSE.",
)
EVSE_ID = OpenApiParameter(
    "evseId",
    int,
    OpenApiParameter.QUERY,
    required=False,
    description="OCPP 2.0.1: the connector's EVSE. Needed when the charger has a connector with this number on "
    "several EVSEs (else 400); refused for OCPP 1.6 chargers, whose connectors belong to no EVSE.",
)

ChargerView = endpoint_base(TAGS, CHARGE_BOX_ID, CONNECTOR_ID)

INCLUDE_DELETED = OpenApiParameter(
    "include_deleted", str, OpenApiParameter.QUERY, required=False, enum=["true", "false"],
    description="true: deleted chargers too (their history is kept). Default false.",
)  # fmt: skip

T0 = "2026-02-06T12:00:00Z"
CONNECTOR_EXAMPLE = {
    "evseId": None,
    "connectorId": 1,
    "status": "Available",
    "errorCode": "NoError",
    "info": "",
    "vendorErrorCode": "",
    "lastUpdated": "2026-02-06T12:30:00Z",
}
SUMMARY_EXAMPLE = {
    "id": 7,
    "chargeBoxId": "CP-001",
    "name": "Office car park",
    "status": "online",
    "isOnline": True,
    "vendor": "ABB",
    "model": "Terra AC",
    "lastHeartbeat": "2026-02-06T12:45:00Z",
    "deletedAt": None,
}
DETAIL_EXAMPLE = {
    **SUMMARY_EXAMPLE,
    "location": "Building A, bay 12",
    "serialNumber": "ABC12345",
    "chargeBoxSerialNumber": "",
    "firmwareVersion": "1.6.0",
    "meterType": "",
    "meterSerialNumber": "",
    "iccid": "",
    "imsi": "",
    "ocppProtocol": "ocpp1.6",
    "passwordProtected": True,
    "connectionUrl": "wss://csms.example.com/ocpp/CP-001",
    "registeredAt": T0,
    "lastBootAt": "2026-02-06T12:01:00Z",
    "connectedAt": "2026-02-06T12:00:59Z",
    "disconnectedAt": None,
    "lastSeenAt": "2026-02-06T12:45:00Z",
    "connectors": [CONNECTOR_EXAMPLE],
}


def include_deleted(request) -> bool:
    """?include_deleted=true or false (the default); anything else is a 400 naming it."""
    value = request.query_params.get("include_deleted", "false")
    if value not in ("true", "false"):
        raise ValidationError({"include_deleted": "must be true or false"})
    return value == "true"


def organisation_charger(request, charge_box_id: str, *, include_deleted: bool = False) -> Charger:
    """The caller's charger; another organisation's is as unknown as a missing one."""
    charger = selectors.charger_get(
        organisation_id=request.user.organisation_id, charge_box_id=charge_box_id, include_deleted=include_deleted
    )
    if charger is None:
        raise NotFound(f"Charger {charge_box_id} not found.")
    return charger


class ChargerCollectionView(ChargerView):
    get = filtered_page(
        "chargers_list", "List chargers", "The organisation's chargers, ordered by chargeBoxId.",
        filterset=ChargerFilter, page=s.ChargerPageSerializer, rows=selectors.charger_list,
        example=("A page of chargers", SUMMARY_EXAMPLE),
    )  # fmt: skip

    @extend_schema(
        operation_id="chargers_register",
        summary="Register a charger",
        description="Registers a charger with the organisation so that it may connect. "
        "With a password, the charger must send HTTP Basic auth (user: its chargeBoxId).",
        request=s.ChargerRegistrationSerializer,
        responses={201: s.RegisteredChargerSerializer, **error_responses(400, 401, 403, 409)},
        examples=[
            example(
                "Register",
                {
                    "chargeBoxId": "CP-001",
                    "name": "Office car park",
                    "location": "Building A, bay 12",
                    "password": "a-long-random-password",
                },
                request=True,
            ),
            example(
                "Registered",
                {
                    "id": 7,
                    "chargeBoxId": "CP-001",
                    "name": "Office car park",
                    "location": "Building A, bay 12",
                    "status": "offline",
                    "isOnline": False,
                    "registeredAt": T0,
                    "connectionUrl": "wss://csms.example.com/ocpp/CP-001",
                    "instructions": {
                        "message": "Configure the charger to connect to this WebSocket URL with subprotocol "
                        "ocpp2.1 or ocpp2.0.1 or ocpp1.6 and HTTP Basic auth (user: its chargeBoxId).",
                        "url": "wss://csms.example.com/ocpp/CP-001",
                        "protocol": "ocpp2.1",
                        "protocols": ["ocpp2.1", "ocpp2.0.1", "ocpp1.6"],
                    },
                },
            ),
        ],
    )
    def post(self, request):
        body = s.ChargerRegistrationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            charger = charger_register(organisation=request.user.organisation, **body.validated_data)
        except ChargerExists:
            raise Conflict(f"A charger with chargeBoxId {body.validated_data['charge_box_id']} is already registered.")
        return created(request, s.RegisteredChargerSerializer(charger).data, "charger", charger.charge_box_id)


class ChargerDetailView(ChargerView):
    @extend_schema(
        operation_id="chargers_retrieve",
        summary="A charger's details",
        description="What the charger reported at boot, its presence, and the last status of each connector. "
        "A deleted charger is found only with `include_deleted=true`.",
        parameters=[INCLUDE_DELETED],
        responses={200: s.ChargerDetailSerializer, **error_responses(400, 401, 403, 404)},
        examples=[example("A connected charger", DETAIL_EXAMPLE)],
    )
    def get(self, request, chargeBoxId: str):
        charger = organisation_charger(request, chargeBoxId, include_deleted=include_deleted(request))
        return Response(s.ChargerDetailSerializer(charger).data)

    @extend_schema(
        operation_id="chargers_update",
        summary="Change a charger's name, location, password, supply or tariff",
        description='Only the fields sent change. A password of "" or null removes it; '
        "a new password applies from the charger's next connection.",
        request=s.ChargerUpdateSerializer,
        responses={200: s.ChargerDetailSerializer, **error_responses(400, 401, 403, 404)},
        examples=[
            example("Rename", {"name": "Visitor car park", "location": "Building B, bay 3"}, request=True),
            example("Remove the password", {"password": None}, request=True),
            example("Updated", {**DETAIL_EXAMPLE, "name": "Visitor car park", "location": "Building B, bay 3"}),
        ],
    )
    def patch(self, request, chargeBoxId: str):
        charger = organisation_charger(request, chargeBoxId)
        current = {"min_current": charger.min_current, "max_current": charger.max_current}
        body = s.ChargerUpdateSerializer(data=request.data, context=current)
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        supply = {s.ChargerUpdateSerializer.SUPPLY[name]: fields.pop(name) for name in list(fields) if name in
                  s.ChargerUpdateSerializer.SUPPLY}  # fmt: skip
        if supply.get("site") is not None:
            supply["site"] = Site.objects.filter(organisation=request.user.organisation, pk=supply["site"]).first()
            if supply["site"] is None:
                raise ValidationError({"site": "no such site in the organisation"})
        if "tariffId" in fields:
            try:
                costs.charger_tariff_set(charger=charger, tariff_id=fields.pop("tariffId"))
            except ValueError as error:
                raise ValidationError({"tariffId": str(error)})
        charger_update(charger=charger, **fields)
        charger_supply_update(charger=charger, **supply)
        return Response(s.ChargerDetailSerializer(organisation_charger(request, chargeBoxId)).data)

    @extend_schema(
        operation_id="chargers_unregister",
        summary="Unregister a charger",
        description="Deletes the charger: its connection is closed, its credentials are cleared and it is "
        "refused as unknown when it tries to connect again. Its history (sessions, meter values, commands, "
        "message log) is kept: it is listed again with `include_deleted=true`, and registering its "
        "chargeBoxId again restores it with new credentials. `manage.py purge_charger` removes it for good.",
        responses={200: s.ChargerDeletedSerializer, **error_responses(401, 403, 404)},
        examples=[example("Unregistered", {"message": "Charger CP-001 unregistered.", "chargeBoxId": "CP-001"})],
    )
    def delete(self, request, chargeBoxId: str):
        charger = organisation_charger(request, chargeBoxId)
        charger_delete(charger=charger)
        return Response({"message": f"Charger {chargeBoxId} unregistered.", "chargeBoxId": chargeBoxId})


class ConnectorStatusView(ChargerView):
    @extend_schema(
        operation_id="chargers_connector_status",
        summary="A connector's latest status notifications",
        description="The last 5 StatusNotifications of the connector, newest first "
        "(an empty list until the charger reports it). On an OCPP 2.0.1 charger, `evseId` names the EVSE "
        "when connectors of several EVSEs share the number.",
        parameters=[EVSE_ID],
        responses={200: s.ConnectorStatusHistorySerializer, **error_responses(400, 401, 403, 404)},
        examples=[
            example(
                "Plugged in, then charging",
                {
                    "chargeBoxId": "CP-001",
                    "evseId": None,
                    "connectorId": 1,
                    "statusNotifications": [
                        {
                            "status": "Charging",
                            "errorCode": "NoError",
                            "info": "",
                            "vendorErrorCode": "",
                            "timestamp": "2026-02-06T12:45:00Z",
                        },
                        {
                            "status": "Preparing",
                            "errorCode": "NoError",
                            "info": "",
                            "vendorErrorCode": "",
                            "timestamp": "2026-02-06T12:40:00Z",
                        },
                    ],
                },
            )
        ],
    )
    def get(self, request, chargeBoxId: str, connectorId: int):
        charger = organisation_charger(request, chargeBoxId)
        query = s.ConnectorStatusQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        evse_id = connector_evse(charger, connectorId, query.validated_data.get("evseId"))
        history = selectors.connector_status_history(charger=charger, connector_id=connectorId, evse_id=evse_id)
        return Response(
            {
                "chargeBoxId": charger.charge_box_id,
                "evseId": evse_id,
                "connectorId": connectorId,
                "statusNotifications": s.StatusNotificationSerializer(history, many=True).data,
            }
        )


def connector_evse(charger: Charger, connector_id: int, evse_id: int | None) -> int | None:
    """The EVSE of the connector asked for: the one given, else the only one it is on (2.0.1); None for 1.6."""
    if not charger.has_evses:
        if evse_id is not None:
            raise ValidationError({"evseId": "OCPP 1.6 connectors belong to no EVSE; leave it out"})
        return None
    if evse_id is not None:
        return evse_id
    evses = selectors.connector_evses(charger=charger, connector_id=connector_id)
    if len(evses) > 1:
        named = ", ".join(str(evse) for evse in evses)
        raise ValidationError({"evseId": f"connector {connector_id} is on EVSEs {named}: name one"})
    return evses[0] if evses else None


CHARGE_POINT_STATUS_EXAMPLE = {
    "chargeBoxId": "CP-001",
    "name": "Office car park",
    "online": True,
    "lastHeartbeatAt": "2026-02-06T12:45:00Z",
    "connectors": [{**CONNECTOR_EXAMPLE, "status": "Faulted", "errorCode": "GroundFailure"}],
}


class ChargePointStatusView(APIView):
    get = filtered_page(
        "status_list", "Presence and connector statuses of every charge point",
        "With `status`, only the connectors in that status, and only the charge points that have one.",
        filterset=ChargePointStatusFilter, page=s.ChargePointStatusPageSerializer, tags=["Status"],
        rows=selectors.charge_point_statuses, example=("Faulted connectors", CHARGE_POINT_STATUS_EXAMPLE),
    )  # fmt: skip


# Sites and reservations.
