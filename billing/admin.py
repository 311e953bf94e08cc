from django.contrib import admin, messages

from accounts.scoping import OrganisationScopedAdmin, WrittenBySystem
from billing import services
from billing.forms import TariffForm
from billing.models import CDR, LocalTimeZone, Tariff


@admin.register(Tariff)
class TariffAdmin(OrganisationScopedAdmin):
    form = TariffForm
    change_form_template = "admin/billing/tariff/change_form.html"
    list_display = ["tariff_id", "organisation", "currency", "is_default", "start_date_time", "end_date_time",
                    "updated_at"]  # fmt: skip
    list_filter = ["currency", "is_default", "organisation"]
    search_fields = ["tariff_id"]
    fieldsets = [
        (None, {"fields": ["organisation", "tariff_id", "currency", "is_default", "text", "language"]}),
        ("Bounds and validity", {"fields": ["min_price", "max_price", "valid_from", "valid_until"]}),
        ("Price preview", {"fields": ["preview_kwh", "preview_start", "preview_minutes"],
                           "description": "An example session, priced when you save."}),
    ]  # fmt: skip

    def save_model(self, request, obj, form, change):
        services.tariff_update(tariff=obj, document=form.document)
        preview = form.preview
        if preview is not None:
            total = preview.total_cost
            self.message_user(
                request,
                f"Example: {preview.total_energy} kWh over {preview.total_time} h costs {total.excl_vat} "
                f"{preview.currency} ({total.incl_vat} with VAT): energy {preview.total_energy_cost.excl_vat}, "
                f"time {preview.total_time_cost.excl_vat}, parking {preview.total_parking_cost.excl_vat}, "
                f"flat {preview.total_fixed_cost.excl_vat}.",
                messages.INFO,
            )


@admin.register(LocalTimeZone)
class LocalTimeZoneAdmin(OrganisationScopedAdmin):
    """A site's or a charger's zone for tariff restrictions (the charger's own before its site's)."""

    list_display = ["__str__", "organisation", "site", "charger", "time_zone"]
    list_filter = ["organisation"]
    search_fields = ["site__name", "charger__charge_box_id", "time_zone"]
    fields = ["organisation", "site", "charger", "time_zone"]


@admin.register(CDR)
class CdrAdmin(WrittenBySystem, OrganisationScopedAdmin):
    list_display = ["cdr_id", "charge_box_id", "id_tag", "end_date_time", "currency", "total_cost_excl_vat",
                    "total_cost_incl_vat", "credit"]  # fmt: skip
    list_filter = ["credit", "currency", "organisation"]
    search_fields = ["cdr_id", "charge_box_id", "id_tag"]
    date_hierarchy = "end_date_time"
    actions = ["credit"]  # a CDR is never changed; credit it

    @admin.action(description="Credit the selected CDRs")
    def credit(self, request, queryset):
        credited = 0
        for cdr in queryset:
            try:
                services.cdr_credit(cdr=cdr)
                credited += 1
            except services.AlreadyCredited as exc:
                self.message_user(request, str(exc), messages.WARNING)
        self.message_user(request, f"{credited} credit CDR(s) written.")
