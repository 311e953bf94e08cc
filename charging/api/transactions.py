"""Transaction (charging session) endpoints: thin views over chargers.selectors and charging.services.transactions.

transactionId is a string: OCPP 2.0.1 ids are strings, 1.6 ids are the integers we chose. Ids are
unique per charger, not across chargers: when two of the organisation's chargers share one, the
`chargeBoxId` query parameter picks the charger, and without it the session that started last wins.
Another organisation's sessions are never found.
"""

import csv

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from chargers import costs
from chargers.api import serializers as s
from chargers.api import views as charger_views
from chargers.api.serializers import StrictSerializer, charger_id_field
from charging import selectors
from charging.filters import ActiveTransactionFilter, TransactionFilter
from charging.models import Transaction
from charging.services.metering import SessionFigures
from charging.services.transactions import TransactionAlreadyStopped, transaction_close
from csms.errors import Conflict, error_responses
from csms.openapi import endpoint_base, example, filter_parameters, filtered_page
from csms.pagination import page_of

TAGS = ["Transactions"]
TRANSACTION_ID = OpenApiParameter(
    "transactionId", str, OpenApiParameter.PATH, description="The id the charger knows the session by."
)
TransactionView = endpoint_base(TAGS, TRANSACTION_ID)
CHARGE_BOX_ID = OpenApiParameter(
    "chargeBoxId", str, description="The charger, when two of your chargers used the same transactionId "
    "(without it, the session that started last)."
)  # fmt: skip
SUMMARY_EXAMPLE = {
    "transactionId": "1794512337",
    "chargeBoxId": "CP-001",
    "evseId": None,
    "connectorId": 1,
    "idTag": "RFID-0042",
    "startTime": "2026-02-06T12:00:00Z",
    "stopTime": "2026-02-06T13:00:00Z",
    "meterStart": 1000,
    "meterStop": 12500,
    "energyDeliveredWh": 11500,
    "durationSeconds": 3600,
    "stopReason": "EVDisconnected",
    "currentPowerW": None,
    "active": False,
    "suspect": False,
    "closedManually": False,
    "closedBy": "",
    "closeReason": "",
}
DETAIL_EXAMPLE = {
    **SUMMARY_EXAMPLE,
    "cost": {"currency": "EUR", "excl_vat": 4.05, "incl_vat": 4.86},
    "meterValues": [
        {
            "timestamp": "2026-02-06T12:30:00Z",
            "measurand": "Energy.Active.Import.Register",
            "value": "6.25",
            "unit": "kWh",
            "phase": "",
            "context": "Sample.Periodic",
            "location": "",
        }
    ],
}
CSV_COLUMNS = [
    "transactionId",
    "chargeBoxId",
    "connectorId",
    "idTag",
    "startTime",
    "stopTime",
    "meterStart",
    "meterStop",
    "energyDeliveredWh",
    "durationSeconds",
    "stopReason",
    "suspect",
    "closedManually",
    "closedBy",
    "closeReason",
]


class TransactionSummary(serializers.Serializer):
    transactionId = serializers.CharField(source="ocpp_id")
    chargeBoxId = charger_id_field()
    evseId = serializers.IntegerField(source="evse", allow_null=True, help_text="OCPP 2.0.1's EVSE; null for 1.6.")
    connectorId = serializers.IntegerField(source="connector_id")
    idTag = serializers.CharField(source="id_tag")
    startTime = serializers.DateTimeField(source="start_time")
    stopTime = serializers.DateTimeField(source="stop_time", allow_null=True)
    meterStart = serializers.IntegerField(source="meter_start", help_text="Wh")
    meterStop = serializers.IntegerField(source="meter_stop", allow_null=True, help_text="Wh")
    energyDeliveredWh = serializers.IntegerField(
        source="figures.energy_wh",
        allow_null=True,
        help_text="From Energy.Active.Import.Register readings (kWh converted): the last minus meterStart, or "
        "minus the first reading when meterStart is on another scale; else meterStop - meterStart.",
    )
    durationSeconds = serializers.IntegerField(source="figures.duration_seconds")
    stopReason = serializers.CharField(source="stop_reason")
    currentPowerW = serializers.FloatField(
        source="figures.current_power_w",
        allow_null=True,
        help_text="The latest Power.Active.Import reading (kW converted) of a session in progress.",
    )
    active = serializers.BooleanField(source="is_active")
    suspect = serializers.BooleanField(help_text="Open, with no message from the charger for a long time.")
    closedManually = serializers.BooleanField(source="closed_manually", help_text="Closed by an operator.")
    closedBy = serializers.CharField(source="closed_by", help_text="The API key or admin user who closed it.")
    closeReason = serializers.CharField(source="close_reason")


class MeterValueOutput(serializers.Serializer):
    timestamp = serializers.DateTimeField()
    measurand = serializers.CharField()
    value = serializers.CharField()
    unit = serializers.CharField()
    phase = serializers.CharField()
    context = serializers.CharField()
    location = serializers.CharField()


class CostOutput(serializers.Serializer):
    currency = serializers.CharField(help_text="ISO 4217.")
    excl_vat = serializers.FloatField()
    incl_vat = serializers.FloatField()


class TransactionDetail(TransactionSummary):
    meterValues = MeterValueOutput(source="meter_value_rows", many=True, help_text="Every sampled value, by time.")
    cost = CostOutput(
        source="cost_so_far", allow_null=True, help_text="By the session's tariff: so far while open, final once "
        "stopped (its CDR's total_cost); null for a session no tariff prices."
    )  # fmt: skip


TransactionPage = page_of("TransactionPage", "transactions", TransactionSummary)


class CloseInput(StrictSerializer):
    reason = serializers.CharField(max_length=500, help_text="Why the session is closed by hand.")
    meterStop = serializers.IntegerField(
        source="meter_stop", required=False, allow_null=True, min_value=0, help_text="Wh, when known."
    )


def with_figures(sessions: list[Transaction]) -> list[Transaction]:
    figures: dict[int, SessionFigures] = selectors.transaction_figures(sessions=sessions)
    for session in sessions:
        session.figures = figures[session.pk]
    return sessions


def organisation_transaction(request, transaction_id: str) -> Transaction:
    session = selectors.transaction_get(
        organisation=request.user.organisation,
        transaction_id=transaction_id,
        charge_box_id=request.query_params.get("chargeBoxId"),
    )
    if session is None:
        raise NotFound(f"Transaction {transaction_id} not found.")
    return session


def detail(session: Transaction) -> dict:
    with_figures([session])
    session.meter_value_rows = selectors.transaction_meter_values(session=session)
    cost = costs.session_cost(session)
    session.cost_so_far = cost and {k: cost[k] for k in ("currency", "excl_vat", "incl_vat")}
    return TransactionDetail(session).data


class TransactionCollectionView(TransactionView):
    get = filtered_page(
        "transactions_list", "List transactions", "The organisation's charging sessions, newest first.",
        filterset=TransactionFilter, page=TransactionPage, rows=selectors.transaction_list,
        example=("A page", SUMMARY_EXAMPLE), prepare=with_figures,
    )  # fmt: skip


class TransactionExportView(TransactionView):
    @extend_schema(
        operation_id="transactions_export",
        summary="Export transactions as CSV",
        description="Every session matching the filters, newest first, streamed. Columns: " + ", ".join(CSV_COLUMNS),
        parameters=filter_parameters(TransactionFilter),
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV with a header row."),
            **error_responses(400, 401, 403),
        },
    )
    def get(self, request):
        sessions = selectors.transaction_list(organisation=request.user.organisation, filters=request.query_params)
        response = StreamingHttpResponse(csv_rows(sessions), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="transactions.csv"'
        return response


class Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(sessions, chunk: int = 500):
    writer = csv.writer(Echo())
    yield writer.writerow(CSV_COLUMNS)
    batch = []
    for session in sessions.iterator(chunk_size=chunk):
        batch.append(session)
        if len(batch) == chunk:
            yield from _csv_batch(writer, batch)
            batch = []
    yield from _csv_batch(writer, batch)


def _csv_batch(writer, sessions: list[Transaction]):
    for row in TransactionSummary(with_figures(sessions), many=True).data:
        yield writer.writerow(["" if row[c] is None else row[c] for c in CSV_COLUMNS])


class TransactionDetailView(TransactionView):
    @extend_schema(
        operation_id="transactions_retrieve",
        summary="A transaction with its meter values",
        description="Ids are unique per charger: when two of your chargers used the same id, give chargeBoxId; "
        "without it the session that started last is shown.",
        parameters=[CHARGE_BOX_ID],
        responses={200: TransactionDetail, **error_responses(401, 403, 404)},
        examples=[example("A finished session", DETAIL_EXAMPLE)],
    )
    def get(self, request, transactionId: str):
        return Response(detail(organisation_transaction(request, transactionId)))


class TransactionCloseView(TransactionView):
    @extend_schema(
        operation_id="transactions_close",
        summary="Close a transaction by hand",
        description="For a session the charger will never stop (lost, suspect). Recorded as a manual close "
        "with the API key and the reason; stopReason becomes Other. A StopTransaction the charger sends later "
        "still records its figures. 409 when the session is already stopped.",
        parameters=[CHARGE_BOX_ID],
        request=CloseInput,
        responses={200: TransactionDetail, **error_responses(400, 401, 403, 404, 409)},
        examples=[
            example("Close", {"reason": "Charger replaced; session lost", "meterStop": 12500}, request=True),
            example(
                "Closed",
                {
                    **DETAIL_EXAMPLE,
                    "stopReason": "Other",
                    "closedManually": True,
                    "closedBy": "API key 3f0c9a52",
                    "closeReason": "Charger replaced; session lost",
                },
            ),
        ],
    )
    def post(self, request, transactionId: str):
        session = organisation_transaction(request, transactionId)
        body = CloseInput(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            session = transaction_close(
                session=session,
                reason=body.validated_data["reason"],
                meter_stop=body.validated_data.get("meter_stop"),
                closed_by=str(request.user),
            )
        except TransactionAlreadyStopped as error:
            raise Conflict(str(error))
        return Response(detail(session))


class ActiveTransactionsView(charger_views.ChargerView):
    @extend_schema(
        operation_id="chargers_active_transactions",
        summary="A charger's sessions in progress",
        description="Each with its latest energy register reading (Wh), the energy delivered so far and its duration.",
        parameters=filter_parameters(ActiveTransactionFilter),
        responses={200: s.ActiveTransactionsSerializer, **error_responses(400, 401, 403, 404)},
        examples=[
            example(
                "One session charging",
                {
                    "chargeBoxId": "CP-001",
                    "activeTransactions": [
                        {
                            "transactionId": "1794512337",
                            "evseId": None,
                            "connectorId": 1,
                            "idTag": "RFID-0042",
                            "startTime": "2026-02-06T12:00:00Z",
                            "meterStart": 1000,
                            "currentMeterValue": 13500,
                            "energyDeliveredWh": 12500,
                            "durationSeconds": 2700,
                        }
                    ],
                    "total": 1,
                },
            )
        ],
    )
    def get(self, request, chargeBoxId: str):
        charger = charger_views.organisation_charger(request, chargeBoxId)
        sessions = selectors.transactions_active(charger=charger, filters=request.query_params)
        return Response(
            {
                "chargeBoxId": charger.charge_box_id,
                "activeTransactions": s.ActiveTransactionSerializer(sessions, many=True).data,
                "total": len(sessions),
            }
        )
