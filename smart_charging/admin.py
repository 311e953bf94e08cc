"""Smart charging in the admin: sites with their live allocation, and the charging profiles chargers hold."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from accounts.scoping import HistoryAdmin, OrganisationScopedAdmin
from chargers import jobs_admin  # noqa: E402, F401  (firmware and diagnostics jobs)
from chargers.admin import ChargerReportAdmin
from chargers.models import (
    Site,
)
from smart_charging.models import DEREvent, InstalledChargingProfile
from smart_charging.services.load_balancing import site_allocation
from smart_charging.services.sites import site_rebalance_after_commit


@admin.register(Site)
class SiteAdmin(OrganisationScopedAdmin):
    list_display = ["name", "organisation", "capacity", "charger_count"]
    readonly_fields = ["allocation"]
    fields = ["organisation", "name", "capacity_limit", "capacity_unit", "allocation"]

    @admin.display(description="capacity")
    def capacity(self, site):
        return f"{site.capacity_limit:g} {site.capacity_unit}"

    @admin.display(description="chargers")
    def charger_count(self, site):
        return site.chargers.count()

    @admin.display(description="current allocation")
    def allocation(self, site):
        if site.pk is None:
            return "-"
        shares = site_allocation(site=site)
        if not shares:
            return "No session in progress."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td><td>{} {}</td></tr>",
            # Numbers formatted first: format_html escapes its arguments into text, which `{:g}` cannot format.
            (
                (s.charger.charge_box_id, s.transaction.connector_id, s.transaction.ocpp_id, f"{s.limit:g}", s.unit,
                 f"{s.rate:g}", s.rate_unit)
                for s in shares
            ),
        )  # fmt: skip
        head = "<tr><th>charger</th><th>connector</th><th>transaction</th><th>share</th><th>sent</th></tr>"
        return format_html("<table>{}{}</table>", format_html(head), rows)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"capacity_limit", "capacity_unit"} & set(form.changed_data):
            site_rebalance_after_commit(site_id=obj.pk)


@admin.register(InstalledChargingProfile)
class InstalledChargingProfileAdmin(HistoryAdmin):
    list_display = ["charger", "connector_id", "profile_id", "purpose", "stack_level", "kind", "installed_at"]
    list_filter = ["purpose"]


@admin.register(DEREvent)
class DEREventAdmin(ChargerReportAdmin):
    """OCPP 2.1: what each charger reported of its DER (grid support) controls."""

    list_display = ["received_at", "charger", "action", "control", "state", "timestamp"]
    search_fields = ["charger__charge_box_id", "control"]
