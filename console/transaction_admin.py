"""The transaction admin's console parts: CSV export (streamed) and the power/energy chart."""

import csv
from datetime import UTC

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.urls import path
from django.utils import timezone

from chargers import costs
from charging.services.metering import session_figures
from console.charts import transaction_chart

CSV_COLUMNS = [
    "transaction id", "charger", "connector", "id tag", "start (UTC)", "stop (UTC)", "duration (s)",
    "meter start (Wh)", "meter stop (Wh)", "energy (kWh)", "stop reason",
]  # fmt: skip


class _Echo:
    """csv.writer writes to this; each row comes back as the text to stream."""

    def write(self, value: str) -> str:
        return value


def _iso(moment) -> str:
    return "" if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def transaction_csv_rows(queryset):
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for t in queryset.select_related("charger").order_by("-start_time", "-id").iterator(chunk_size=2000):
        # An open session: its figures so far.
        figures = session_figures(t) if t.stop_time is None else None
        duration = figures.duration_seconds if figures else int((t.stop_time - t.start_time).total_seconds())
        energy_wh = figures.energy_wh if figures else t.energy_wh
        energy = "" if energy_wh is None else f"{energy_wh / 1000:.3f}"
        yield writer.writerow([
            t.ocpp_id, t.charger.charge_box_id, t.connector_id, t.id_tag, _iso(t.start_time), _iso(t.stop_time),
            duration, t.meter_start, "" if t.meter_stop is None else t.meter_stop, energy, t.stop_reason,
        ])  # fmt: skip


def csv_response(queryset) -> StreamingHttpResponse:
    name = f"transactions-{timezone.now():%Y%m%dT%H%M%SZ}.csv"
    return StreamingHttpResponse(
        transaction_csv_rows(queryset),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


class TransactionConsoleAdmin(admin.ModelAdmin):
    """CSV export of the selected or of all filtered transactions; a chart on each transaction's page."""

    change_list_template = "admin/charging/transaction/change_list.html"
    change_form_template = "admin/charging/transaction/change_form.html"
    actions = ["export_csv"]

    def get_urls(self):
        export = self.admin_site.admin_view(self.export_view)
        return [path("export.csv", export, name="charging_transaction_export"), *super().get_urls()]

    @admin.action(description="Export selected transactions as CSV")
    def export_csv(self, request, queryset):
        return csv_response(queryset)

    def export_view(self, request):
        """Every transaction the list shows with the same filters and search, not only one page."""
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest("unknown filter")
        return csv_response(changelist.get_queryset(request))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        transaction = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if transaction is not None:
            context["chart"] = transaction_chart(transaction)
            context["cost"] = costs.session_cost(transaction)
        return super().change_view(request, object_id, form_url, context)
