"""Query filters for fleet reads (django-filter). Selectors apply them; invalid values are a 400."""

import django_filters
from django.db.models import Exists, OuterRef, QuerySet
from django_filters import rest_framework as drf_filters
from django_filters.utils import translate_validation

from chargers.models import Charger, Connector

# OCPP 1.6 ChargePointStatus, and 2.0.1's Occupied.
CONNECTOR_STATUSES = (
    "Available",
    "Preparing",
    "Charging",
    "SuspendedEVSE",
    "SuspendedEV",
    "Finishing",
    "Reserved",
    "Unavailable",
    "Faulted",
    "Occupied",
)


class ChargerFilter(drf_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=[("online", "online"), ("offline", "offline")],
        method="filter_status",
        help_text="online: holds a WebSocket connection now; offline: does not.",
    )

    class Meta:
        model = Charger
        fields = ["status"]

    def filter_status(self, queryset, name, value):
        return queryset.exclude(channel_name="") if value == "online" else queryset.filter(channel_name="")


class ChargePointStatusFilter(drf_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=[(s, s) for s in CONNECTOR_STATUSES],
        method="filter_status",
        help_text="Only charge points with a connector in this OCPP status, and only those connectors.",
    )
    online = drf_filters.BooleanFilter(
        method="filter_online", help_text="true: connected charge points only; false: disconnected ones only."
    )

    class Meta:
        model = Charger
        fields = ["status", "online"]

    def filter_status(self, queryset, name, value):
        return queryset.filter(Exists(Connector.objects.filter(charger=OuterRef("pk"), status=value)))

    def filter_online(self, queryset, name, value):
        return queryset.exclude(channel_name="") if value else queryset.filter(channel_name="")


class TrueFalseFilter(django_filters.ChoiceFilter):
    """true or false, and nothing else: a typo is a 400, not a filter silently left out."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, choices=[("true", "true"), ("false", "false")], **kwargs)

    def filter(self, queryset, value):
        if value in ("", None):
            return queryset
        return self.apply(queryset, value == "true")

    def apply(self, queryset, value: bool):
        return super().filter(queryset, value)


def filtered(filterset_class: type[django_filters.FilterSet], filters, queryset: QuerySet) -> QuerySet:
    """`queryset` narrowed by `filters` (e.g. request.query_params); raises a DRF ValidationError."""
    filterset = filterset_class(filters or {}, queryset=queryset)
    if not filterset.is_valid():
        raise translate_validation(filterset.errors)
    return filterset.qs
