"""The operator console's side of the admin: its titles, and the command and chart pages it adds
to the admins of the rooms below (they know nothing of the console)."""

from django.contrib import admin
from django.db.models import Q

from chargers.admin import ChargerAdmin, ConnectorStatusFilter
from chargers.models import Charger
from charging.admin import TransactionAdmin
from charging.models import Transaction
from console.charger_admin import ChargerCommandsAdmin
from console.fleet import chargers_charging_by_session
from console.transaction_admin import TransactionConsoleAdmin

admin.site.site_header = "CSMS operator console"
admin.site.site_title = "CSMS"
admin.site.index_title = "Fleet administration"
# The header links to the dashboard instead (templates/admin/base_site.html).
admin.site.site_url = None


class ConnectorChargingFilter(ConnectorStatusFilter):
    """ "Charging" as the dashboard counts it: a 1.6 connector's status, or a 2.0.1 session's charging state."""

    def lookups(self, request, model_admin):
        statuses = {status for status, _ in super().lookups(request, model_admin)} | {"Charging"}
        return [(s, s) for s in sorted(statuses)]

    def queryset(self, request, queryset):
        if self.value() == "Charging":
            by_session = Q(pk__in=chargers_charging_by_session())
            return queryset.filter(Q(connectors__status="Charging") | by_session).distinct()
        return super().queryset(request, queryset)


class ChargerConsoleAdmin(ChargerAdmin, ChargerCommandsAdmin):
    """Chargers with their command pages: single and bulk commands, the configuration page.

    The room's admin comes first, as when it held the mixin itself: its actions and views win."""

    list_filter = [ConnectorChargingFilter if f is ConnectorStatusFilter else f for f in ChargerAdmin.list_filter]


class TransactionChartsAdmin(TransactionAdmin, TransactionConsoleAdmin):
    """Transactions with their energy chart and CSV export; open sessions' figures kept live."""

    class Media:
        js = ["console/live.js"]


for model, model_admin in ((Charger, ChargerConsoleAdmin), (Transaction, TransactionChartsAdmin)):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
