"""Site endpoints: the supply a site's chargers share, and how load balancing shares it."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from chargers.api import serializers as s
from chargers.api.views import T0
from chargers.models import Site
from csms.errors import error_responses
from csms.openapi import endpoint_base, example, page_example
from csms.pagination import paginated
from smart_charging.services import sites
from smart_charging.services.load_balancing import site_allocation

SITE_EXAMPLE = {
    "id": 3,
    "name": "Depot",
    "capacity": {"limit": 64, "unit": "A"},
    "chargers": ["CP-001", "CP-002"],
    "createdAt": T0,
}


SITE_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The site's id.")
SiteView = endpoint_base(["Sites"], SITE_ID)


def organisation_site(request, site_id: int) -> Site:
    site = Site.objects.filter(organisation=request.user.organisation, pk=site_id).first()
    if site is None:
        raise NotFound(f"Site {site_id} not found.")
    return site


def site_fields(body: dict) -> dict:
    capacity = body.get("capacity") or {}
    fields = {"name": body.get("name"), "capacity_limit": capacity.get("limit"), "capacity_unit": capacity.get("unit")}
    return {name: value for name, value in fields.items() if value is not None}


class SiteCollectionView(SiteView):
    @extend_schema(
        operation_id="sites_list",
        summary="List sites",
        responses={200: s.SitePageSerializer, **error_responses(400, 401, 403)},
        examples=[page_example("Sites", "sites", SITE_EXAMPLE)],
    )
    def get(self, request):
        rows = Site.objects.filter(organisation=request.user.organisation).prefetch_related("chargers")
        return paginated(request, rows, key="sites", serialize=lambda page: s.SiteSerializer(page, many=True).data)

    @extend_schema(
        operation_id="sites_create",
        summary="Create a site: chargers sharing a capacity",
        description="Chargers join with PATCH /chargers/{chargeBoxId} {site: id}. The capacity is shared among "
        "the sessions on the site's chargers, each within its charger's minCurrent and maxCurrent.",
        request=s.SiteInputSerializer,
        responses={201: s.SiteSerializer, **error_responses(400, 401, 403)},
        examples=[
            example("Create", {"name": "Depot", "capacity": {"limit": 64, "unit": "A"}}, request=True),
            example("Created", {**SITE_EXAMPLE, "chargers": []}),
        ],
    )
    def post(self, request):
        body = s.SiteInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        site = sites.site_create(organisation=request.user.organisation, **site_fields(body.validated_data))
        return Response(s.SiteSerializer(site).data, status=status.HTTP_201_CREATED)


class SiteDetailView(SiteView):
    @extend_schema(
        operation_id="sites_retrieve",
        summary="A site",
        responses={200: s.SiteSerializer, **error_responses(401, 403, 404)},
        examples=[example("A site", SITE_EXAMPLE)],
    )
    def get(self, request, id: int):
        return Response(s.SiteSerializer(organisation_site(request, id)).data)

    @extend_schema(
        operation_id="sites_update",
        summary="Rename a site or change its capacity",
        description="A new capacity is shared again among the sessions at once.",
        request=s.SiteUpdateSerializer,
        responses={200: s.SiteSerializer, **error_responses(400, 401, 403, 404)},
        examples=[example("More capacity", {"capacity": {"limit": 80, "unit": "A"}}, request=True)],
    )
    def patch(self, request, id: int):
        site = organisation_site(request, id)
        body = s.SiteUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        sites.site_update(site=site, **site_fields(body.validated_data))
        return Response(s.SiteSerializer(organisation_site(request, id)).data)

    @extend_schema(
        operation_id="sites_delete",
        summary="Delete a site",
        description="Its chargers stay, on no site.",
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request, id: int):
        sites.site_delete(site=organisation_site(request, id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SiteAllocationView(SiteView):
    @extend_schema(
        operation_id="sites_allocation",
        summary="How the site's capacity is shared among its sessions now",
        description="Sessions that started first keep their minimum when not all fit; later ones get 0 (suspended).",
        responses={200: s.AllocationSerializer, **error_responses(401, 403, 404)},
        examples=[
            example(
                "Two sessions",
                {
                    "siteId": 3,
                    "capacity": {"limit": 64, "unit": "A"},
                    "allocated": 64,
                    "sessions": [
                        {"chargeBoxId": "CP-001", "evseId": None, "connectorId": 1, "transactionId": "1794512337",
                         "limit": 32, "unit": "A", "chargingRateUnit": "A", "chargingLimit": 32},
                        {"chargeBoxId": "CP-002", "evseId": None, "connectorId": 1, "transactionId": "2039485761",
                         "limit": 32, "unit": "A", "chargingRateUnit": "A", "chargingLimit": 32},
                    ],
                },
            )
        ],
    )  # fmt: skip
    def get(self, request, id: int):
        site = organisation_site(request, id)
        shares = site_allocation(site=site)
        return Response(
            {
                "siteId": site.pk,
                "capacity": {"limit": site.capacity_limit, "unit": site.capacity_unit},
                "allocated": round(sum(share.limit for share in shares), 1),
                "sessions": s.ShareSerializer(shares, many=True).data,
            }
        )
