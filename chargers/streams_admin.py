"""OCPP 2.1 periodic event streams in the admin: read-only, each stream with its values."""

from django.contrib import admin

from accounts.scoping import HistoryAdmin
from chargers.models import PeriodicEventStream, PeriodicEventStreamValue


class StreamValueInline(admin.TabularInline):
    model = PeriodicEventStreamValue
    fields = ["timestamp", "value"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0  # read-only: no row to add
    ordering = ["-timestamp"]


@admin.register(PeriodicEventStream)
class PeriodicEventStreamAdmin(HistoryAdmin):
    list_display = ["charger", "stream_id", "variable_monitoring_id", "params", "opened_at", "closed_at"]
    search_fields = ["charger__charge_box_id"]
    inlines = [StreamValueInline]


@admin.register(PeriodicEventStreamValue)
class PeriodicEventStreamValueAdmin(HistoryAdmin):
    organisation_lookup = "stream__charger__organisation_id"
    list_select_related = ["stream__charger"]
    list_display = ["stream", "timestamp", "value"]
    search_fields = ["stream__charger__charge_box_id"]
    date_hierarchy = "timestamp"
