"""Query filters for session reads: transactions and id tags (django-filter); invalid values are a 400."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django_filters import rest_framework as drf_filters

from chargers.filters import TrueFalseFilter
from charging.models import IdTag, Transaction


class ActiveTransactionFilter(drf_filters.FilterSet):
    # This list is of sessions in progress only; `active=true` is accepted so that clients can say so.
    active = django_filters.ChoiceFilter(
        choices=[("true", "true")], method="filter_active", help_text="true (the default): sessions in progress."
    )

    class Meta:
        model = Transaction
        fields = ["active"]

    def filter_active(self, queryset, name, value):
        return queryset.filter(stop_time__isnull=True)


class ExpiredFilter(TrueFalseFilter):
    def apply(self, queryset, value: bool):
        passed = Q(expiry_date__isnull=False, expiry_date__lte=timezone.now())
        return queryset.filter(passed) if value else queryset.exclude(passed)


class IdTagFilter(drf_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=IdTag.Status.choices, help_text="Only tags with this status.")
    idTag = django_filters.CharFilter(
        field_name="id_tag", lookup_expr="icontains", help_text="Tags containing this text (any case)."
    )
    parentIdTag = django_filters.CharFilter(
        field_name="parent__id_tag", lookup_expr="iexact", help_text="Children of this tag."
    )
    expired = ExpiredFilter(help_text="true: tags whose expiryDate has passed; false: the others.")
    autoCreated = TrueFalseFilter(
        field_name="auto_created", help_text="true: tags recorded under the accept-unknown-tags policy."
    )

    class Meta:
        model = IdTag
        fields = ["status", "idTag", "parentIdTag", "expired", "autoCreated"]


class TransactionFilter(drf_filters.FilterSet):
    chargeBoxId = django_filters.CharFilter(field_name="charger__charge_box_id", help_text="Sessions of this charger.")
    idTag = django_filters.CharFilter(field_name="id_tag", lookup_expr="iexact", help_text="Sessions of this id tag.")
    active = TrueFalseFilter(
        field_name="stop_time", lookup_expr="isnull", help_text="true: in progress; false: stopped."
    )
    startedAfter = django_filters.IsoDateTimeFilter(
        field_name="start_time", lookup_expr="gte", help_text="Started at or after this time (ISO 8601)."
    )
    startedBefore = django_filters.IsoDateTimeFilter(
        field_name="start_time", lookup_expr="lt", help_text="Started before this time (ISO 8601)."
    )
    suspect = TrueFalseFilter(help_text="true: open sessions flagged suspect.")

    class Meta:
        model = Transaction
        fields = ["chargeBoxId", "idTag", "active", "startedAfter", "startedBefore", "suspect"]
