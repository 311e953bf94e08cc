"""The operator console's side of the admin: its titles, and the command and chart pages it adds
to the admins of the rooms below (they know nothing of the console)."""

from django.contrib import admin

from chargers.admin import ChargerAdmin
from chargers.models import Charger
from charging.admin import TransactionAdmin
from charging.models import Transaction
from console.charger_admin import ChargerCommandsAdmin
from console.transaction_admin import TransactionConsoleAdmin

admin.site.site_header = "CSMS operator console"
admin.site.site_title = "CSMS"
admin.site.index_title = "Fleet administration"
# The header links to the dashboard instead (templates/admin/base_site.html).
admin.site.site_url = None


class ChargerConsoleAdmin(ChargerAdmin, ChargerCommandsAdmin):
    """Chargers with their command pages: single and bulk commands, the configuration page.

    The room's admin comes first, as when it held the mixin itself: its actions and views win."""


class TransactionChartsAdmin(TransactionAdmin, TransactionConsoleAdmin):
    """Transactions with their energy chart and CSV export."""


for model, model_admin in ((Charger, ChargerConsoleAdmin), (Transaction, TransactionChartsAdmin)):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
