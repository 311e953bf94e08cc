"""Reservation endpoints: what chargers accepted and what became of it."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.views import APIView

from chargers.api import serializers as s
from chargers.api.views import T0
from charging.models import Reservation
from csms.errors import error_responses
from csms.openapi import page_example
from csms.pagination import paginated

RESERVATION_EXAMPLE = {
    "reservationId": 1583347561,
    "chargeBoxId": "CP-001",
    "connectorId": 1,
    "idTag": "RFID-4A2F",
    "parentIdTag": "",
    "expiryDate": "2026-03-10T17:00:00Z",
    "status": "Active",
    "transactionId": None,
    "createdAt": T0,
}


RESERVATION_PARAMETERS = [
    OpenApiParameter("status", str, enum=Reservation.Status.values, description="Only reservations in this state."),
    OpenApiParameter("chargeBoxId", str, description="Only this charger's reservations."),
]


def reservations_page(request, reservations):
    wanted = request.query_params.get("status")
    if wanted:
        if wanted not in Reservation.Status.values:
            raise ValidationError({"status": f"one of {', '.join(Reservation.Status.values)}"})
        reservations = reservations.filter(status=wanted)
    charge_box_id = request.query_params.get("chargeBoxId")
    if charge_box_id:
        reservations = reservations.filter(charger__charge_box_id=charge_box_id)
    return paginated(
        request,
        reservations.select_related("charger", "transaction"),
        key="reservations",
        serialize=lambda page: s.ReservationSerializer(page, many=True).data,
    )


class ReservationCollectionView(APIView):
    @extend_schema(
        tags=["Reservations"],
        operation_id="reservations_list",
        summary="Reservations the chargers accepted, newest first",
        description="Active until consumed by the session that names it, cancelled, or expired at expiryDate. "
        "Reserve with POST /chargers/{chargeBoxId}/reservations.",
        parameters=RESERVATION_PARAMETERS,
        responses={200: s.ReservationPageSerializer, **error_responses(400, 401, 403)},
        examples=[page_example("Reservations", "reservations", RESERVATION_EXAMPLE)],
    )
    def get(self, request):
        return reservations_page(request, Reservation.objects.filter(charger__organisation=request.user.organisation))
