"""/api/v1/tariffs and /api/v1/cdrs: thin views over billing.services, in OCPI 2.2.1's snake_case shapes."""

import json

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from accounts.permissions import READ, HasScope
from billing import exports, ocpi, services
from billing.api import serializers as s
from billing.models import CDR, Tariff
from chargers.models import Charger, Site
from charging.models import IdTag
from csms.errors import Conflict, error_responses, validated
from csms.openapi import endpoint_base
from csms.pagination import paginated

TAGS = ["Tariffs and CDRs"]
TARIFF_ID = OpenApiParameter("tariffId", str, OpenApiParameter.PATH, description="The Tariff's OCPI `id`.")
CDR_ID = OpenApiParameter("cdrId", str, OpenApiParameter.PATH, description="The CDR's OCPI `id`.")
BillingView = endpoint_base(TAGS, TARIFF_ID, CDR_ID)
TARIFF_EXAMPLE = {
    "id": "standard-ac",
    "currency": "EUR",
    "tariff_alt_text": [{"language": "en", "text": "0.30/kWh, 1.00/h, 0.50 per session; 0.25/kWh at night"}],
    "elements": [
        {"price_components": [{"type": "FLAT", "price": 0.5, "vat": 20, "step_size": 1}]},
        {
            "price_components": [{"type": "ENERGY", "price": 0.25, "vat": 20, "step_size": 1000}],
            "restrictions": {"start_time": "22:00", "end_time": "06:00"},
        },
        {
            "price_components": [
                {"type": "ENERGY", "price": 0.3, "vat": 20, "step_size": 1000},
                {"type": "TIME", "price": 1, "vat": 20, "step_size": 300},
            ]
        },
    ],
    "max_price": {"excl_vat": 40, "incl_vat": 48},
}


# Tariff ids that would be read as the endpoints beside /tariffs/{tariffId}.
RESERVED_IDS = {"price", "assign", "time-zone"}


def tariff_document(data) -> dict:
    """A valid OCPI Tariff in JSON's terms, or a 400 naming the field."""
    if not isinstance(data, dict):
        raise ValidationError({"tariff": "must be an OCPI Tariff object."})
    document = ocpi.as_json(dict(validated(ocpi.Tariff, data)))
    if document.get("id") in RESERVED_IDS:
        raise ValidationError({"id": f"/tariffs/{document['id']} is an endpoint; choose another id."})
    return document


def organisation_tariff(request, tariff_id: str) -> Tariff:
    tariff = Tariff.objects.filter(organisation=request.user.organisation, tariff_id=tariff_id).first()
    if tariff is None:
        raise NotFound(f"Tariff {tariff_id} not found.")
    return tariff


def organisation_cdr(request, cdr_id: str) -> CDR:
    cdr = CDR.objects.filter(organisation=request.user.organisation, cdr_id=cdr_id).first()
    if cdr is None:
        raise NotFound(f"CDR {cdr_id} not found.")
    return cdr


class ReadsPrices(HasScope):
    """A price preview writes nothing: read:charge_points is enough for it."""

    def has_permission(self, request, view):
        scopes = getattr(request.user, "scopes", ())
        if READ not in scopes:
            self.message = HasScope.message.format(scope=READ)
            return False
        return True


class TariffCollectionView(BillingView):
    @extend_schema(
        operation_id="tariffs_list",
        summary="The organisation's tariffs",
        responses={200: s.TariffPage, **error_responses(400, 401, 403)},
    )
    def get(self, request):
        rows = Tariff.objects.filter(organisation=request.user.organisation)
        return paginated(request, rows, key="tariffs", serialize=lambda page: [t.document for t in page])

    @extend_schema(
        operation_id="tariffs_create",
        summary="Create a tariff (an OCPI 2.2.1 Tariff object)",
        description="The body is an OCPI 2.2.1 Tariff, snake_case as OCPI has it. `id` is chosen by the server "
        "when absent; `last_updated` is the time of the write when absent. Any unknown field, bad restriction, "
        "unknown dimension or negative price is a 400 naming the field.",
        request=ocpi.Tariff,
        responses={201: ocpi.Tariff, **error_responses(400, 401, 403, 409)},
        examples=[OpenApiExample("Energy, time and a flat fee; cheaper energy at night", value=TARIFF_EXAMPLE)],
    )
    def post(self, request):
        try:
            tariff = services.tariff_create(
                organisation=request.user.organisation, document=tariff_document(request.data)
            )
        except services.TariffExists as exc:
            raise Conflict(str(exc))
        return Response(tariff.document, status=201)


class TariffDetailView(BillingView):
    @extend_schema(operation_id="tariffs_get", summary="One tariff",
                   responses={200: ocpi.Tariff, **error_responses(401, 403, 404)})  # fmt: skip
    def get(self, request, tariffId: str):
        return Response(organisation_tariff(request, tariffId).document)

    @extend_schema(
        operation_id="tariffs_update",
        summary="Change a tariff",
        description="The fields sent replace the tariff's; the result must be a valid OCPI Tariff. `id` cannot "
        "change. Sessions already priced keep the tariff they started with.",
        request=ocpi.Tariff,
        responses={200: ocpi.Tariff, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, tariffId: str):
        tariff = organisation_tariff(request, tariffId)
        if not isinstance(request.data, dict):
            raise ValidationError({"tariff": "must be an object of OCPI Tariff fields."})
        if request.data.get("id", tariff.tariff_id) != tariff.tariff_id:
            raise ValidationError({"id": "cannot change."})
        document = tariff_document({**tariff.document, **request.data})
        return Response(services.tariff_update(tariff=tariff, document=document).document)

    @extend_schema(operation_id="tariffs_delete", summary="Delete a tariff",
                   description="Sessions priced with it keep their snapshot, and CDRs theirs.",
                   responses={204: None, **error_responses(401, 403, 404)})  # fmt: skip
    def delete(self, request, tariffId: str):
        services.tariff_delete(tariff=organisation_tariff(request, tariffId))
        return Response(status=204)


class TariffPriceView(BillingView):
    permission_classes = [ReadsPrices]

    @extend_schema(
        operation_id="tariffs_price",
        summary="Price a session with a tariff (preview)",
        description="The cost engine that prices sessions, for a tariff (inline, or `tariffId`) and a CDR's "
        "`start_date_time`, `end_date_time` and `charging_periods` as OCPI gives them. Answers OCPI's CDR "
        "totals, rounded once to the currency's minor unit, and the periods as priced (split where a "
        "restriction's boundary falls inside one). Restrictions' times are read in `timeZone`, else "
        "CSMS_TARIFF_TIME_ZONE.",
        request=s.PriceRequest,
        responses={200: s.PriceAnswer, **error_responses(400, 401, 403, 404)},
        examples=[
            OpenApiExample(
                "Two hours across 22:00",
                request_only=True,
                value={
                    "tariff": TARIFF_EXAMPLE,
                    "cdr": {
                        "start_date_time": "2026-03-02T21:00:00Z",
                        "end_date_time": "2026-03-02T23:00:00Z",
                        "charging_periods": [
                            {
                                "start_date_time": "2026-03-02T21:00:00Z",
                                "dimensions": [{"type": "ENERGY", "volume": 11}, {"type": "TIME", "volume": 2}],
                            },
                        ],  # fmt: skip
                    },
                },
            )
        ],
    )
    def post(self, request):
        body = validated(s.PriceRequest, request.data)
        if "tariff" in request.data:
            document = tariff_document(request.data["tariff"])
        else:
            document = organisation_tariff(request, body["tariffId"]).document
        cdr = body["cdr"]
        costs = services.tariff_preview(document=document, start=cdr["start_date_time"], end=cdr["end_date_time"],
                                        charging_periods=cdr["charging_periods"],
                                        time_zone=body.get("timeZone", ""))  # fmt: skip
        return Response({"currency": costs.currency, **costs.as_ocpi()})


# What a tariff can be assigned to: the request's field, and how to find it in the organisation.
TARGETS = {
    "idTag": lambda org, value: IdTag.objects.filter(organisation=org, id_tag=value).first(),
    "chargeBoxId": lambda org, value: Charger.objects.filter(organisation=org, charge_box_id=value).first(),
    "siteId": lambda org, value: Site.objects.filter(organisation=org, pk=value).first(),
}


def _target(organisation, body: dict, name: str):
    """What the request's field `name` names in the organisation; a 400 naming the field when nothing."""
    target = TARGETS[name](organisation, body[name])
    if target is None:
        raise ValidationError({name: f"no {name} {body[name]} in the organisation."})
    return target


class TariffAssignView(BillingView):
    @extend_schema(
        operation_id="tariffs_assign",
        summary="Price an id tag's, a charger's or a site's sessions with a tariff, or set the default",
        description="Exactly one of `idTag`, `chargeBoxId`, `siteId` or `organisationDefault: true`. "
        "`tariffId: null` removes the assignment. A session is priced, when it starts, by its id tag's "
        "tariff, else its charger's, else its site's, else the organisation's default.",
        request=s.AssignRequest,
        responses={204: None, **error_responses(400, 401, 403, 404)},
        examples=[OpenApiExample("A charger", value={"tariffId": "standard-ac", "chargeBoxId": "CP-001"})],
    )
    def post(self, request):
        body = validated(s.AssignRequest, request.data)
        organisation = request.user.organisation
        tariff = organisation_tariff(request, body["tariffId"]) if body["tariffId"] is not None else None
        named = [name for name in TARGETS if name in body]
        target = _target(organisation, body, named[0]) if named else None
        services.tariff_assign(organisation=organisation, tariff=tariff, target=target)
        return Response(status=204)


class TariffTimeZoneView(BillingView):
    @extend_schema(
        operation_id="tariffs_time_zone",
        summary="The time zone in which a charger's or a site's sessions read tariff restrictions",
        description="Exactly one of `chargeBoxId` or `siteId`. OCPI reads restrictions' times of day, dates and "
        "days of the week in the local time of the location: a session reads them in its charger's zone, else "
        "its site's, else CSMS_TARIFF_TIME_ZONE. `timeZone: null` removes it. Sessions already priced keep the "
        "zone they started with.",
        request=s.TimeZoneRequest,
        responses={204: None, **error_responses(400, 401, 403)},
        examples=[OpenApiExample("A site", value={"timeZone": "Europe/Berlin", "siteId": 3})],
    )
    def post(self, request):
        body = validated(s.TimeZoneRequest, request.data)
        organisation = request.user.organisation
        target = _target(organisation, body, "chargeBoxId" if "chargeBoxId" in body else "siteId")
        services.time_zone_set(organisation=organisation, target=target, time_zone=body["timeZone"])
        return Response(status=204)


class CsvRenderer(renderers.BaseRenderer):
    media_type = "text/csv"
    format = "csv"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else json.dumps(data).encode()


class CdrFilter(serializers.Serializer):
    chargeBoxId = serializers.CharField(required=False, max_length=64)
    idTag = serializers.CharField(required=False, max_length=36)
    endedFrom = serializers.DateTimeField(required=False, help_text="end_date_time at or after this.")
    endedBefore = serializers.DateTimeField(required=False, help_text="end_date_time before this.")

    FIELDS = {"chargeBoxId": "charge_box_id", "idTag": "id_tag", "endedFrom": "end_date_time__gte",
              "endedBefore": "end_date_time__lt"}  # fmt: skip


class CdrCollectionView(BillingView):
    renderer_classes = [renderers.JSONRenderer, CsvRenderer]

    @extend_schema(
        operation_id="cdrs_list",
        summary="Charge detail records (JSON or CSV), streamed",
        description="The organisation's CDRs, in OCPI 2.2.1's CDR shape, newest end first, all that match the "
        "filters in one streamed answer (no pages). `Accept: text/csv` (or `?format=csv`) answers CSV, one "
        "row per CDR. A credit CDR (`credit: true`) has its costs negated and names the CDR it credits in "
        "`credit_reference_id`.",
        parameters=[
            OpenApiParameter("chargeBoxId", str),
            OpenApiParameter("idTag", str),
            OpenApiParameter("endedFrom", OpenApiTypes.DATETIME, description="end_date_time at or after this."),
            OpenApiParameter("endedBefore", OpenApiTypes.DATETIME, description="end_date_time before this."),
        ],
        responses={
            (200, "application/json"): s.CdrList,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="A header row, then one per CDR."),
            **error_responses(400, 401, 403),
        },
    )
    def get(self, request):
        query = {k: v for k, v in request.query_params.items() if k != "format"}
        filters = validated(CdrFilter, query)
        unknown = sorted(set(query) - set(CdrFilter.FIELDS))
        if unknown:
            raise ValidationError({unknown[0]: f"Unknown filter; the filters are {', '.join(CdrFilter.FIELDS)}."})
        rows = CDR.objects.filter(
            organisation=request.user.organisation, **{CdrFilter.FIELDS[k]: v for k, v in filters.items()}
        )
        stream, content_type = exports.STREAMS[request.accepted_renderer.format]
        chunks = exports.streamed(stream(exports.cdr_documents(rows)))
        return StreamingHttpResponse(chunks, content_type=content_type)


class CdrDetailView(BillingView):
    @extend_schema(operation_id="cdrs_get", summary="One CDR",
                   responses={200: s.Cdr, **error_responses(401, 403, 404)})  # fmt: skip
    def get(self, request, cdrId: str):
        return Response(organisation_cdr(request, cdrId).document)


class CdrCreditView(BillingView):
    @extend_schema(
        operation_id="cdrs_credit",
        summary="Credit a CDR",
        description="A CDR is never changed: a correction is a new CDR with `credit: true`, "
        "`credit_reference_id` naming this one, and its costs negated. A CDR is credited once.",
        request=None,
        responses={201: s.Cdr, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request, cdrId: str):
        try:
            credit = services.cdr_credit(cdr=organisation_cdr(request, cdrId))
        except services.AlreadyCredited as exc:
            raise Conflict(str(exc))
        return Response(credit.document, status=201)
