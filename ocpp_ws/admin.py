import json

from django.contrib import admin
from django.utils.html import format_html

from accounts.scoping import HistoryAdmin
from ocpp_ws.models import OcppMessage
from ocpp_ws.versions import VERSIONS


class ActionFilter(admin.SimpleListFilter):
    """The OCPP actions of every version: a DISTINCT over the whole log would scan it on every page."""

    title = "action"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        actions = sorted(set().union(*(version.all_actions for version in VERSIONS.values())))
        return [(action, action) for action in actions]

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(OcppMessage)
class OcppMessageAdmin(HistoryAdmin):
    """The OCPP message log: every frame in and out, read-only (CSMS_MESSAGE_LOG says which are kept)."""

    list_display = ["at", "charger", "direction", "message_type", "action", "unique_id", "error_code", "short_frame"]
    list_filter = ["direction", "message_type", ActionFilter, "charger__organisation"]
    # The frame holds what operators look for: a status, an id tag, a transaction id.
    search_fields = ["=unique_id", "charger__charge_box_id", "frame"]
    date_hierarchy = "at"
    fields = ["at", "charger", "direction", "message_type", "action", "unique_id", "error_code", "payload"]
    readonly_fields = fields
    list_per_page = 100

    @admin.display(description="frame")
    def short_frame(self, message):
        return format_html('<code class="cs-frame">{}</code>', message.frame)

    @admin.display(description="frame")
    def payload(self, message):
        try:
            text = json.dumps(json.loads(message.frame), indent=2)
        except ValueError:
            text = message.frame
        return format_html("<pre>{}</pre>", text)
