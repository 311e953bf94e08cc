"""Sessions in the admin: transactions (closed by hand when a charger cannot), id tags with CSV import,
local lists, reservations and meter values."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html

from accounts.models import Organisation
from accounts.scoping import HistoryAdmin, OrganisationScopedAdmin, scope
from chargers import jobs_admin  # noqa: E402, F401  (firmware and diagnostics jobs)
from chargers.admin import ChargerReportAdmin
from charging.models import (
    ChargerLocalList,
    IdTag,
    MeterValue,
    Reservation,
    Transaction,
    TransactionEvent,
    TransactionNotice,
    UnmatchedStop,
)
from charging.services import id_tags
from charging.services.metering import elapsed_text, kwh_text, session_shown
from charging.services.transactions import TransactionAlreadyStopped, transaction_close
from csms.list_filters import ChoiceFilter


@admin.register(MeterValue)
class MeterValueAdmin(HistoryAdmin):
    list_display = ["timestamp", "charger", "connector_id", "transaction", "measurand", "value", "unit", "phase"]
    list_filter = ["measurand", "context", "charger__organisation"]
    search_fields = ["charger__charge_box_id", "reported_transaction_id"]
    list_select_related = ["charger", "transaction__charger"]
    ordering = ["-timestamp", "-id"]  # newest first


@admin.register(UnmatchedStop)
class UnmatchedStopAdmin(HistoryAdmin):
    list_display = ["received_at", "charger", "transaction_id", "id_tag", "meter_stop", "timestamp", "reason"]
    list_filter = ["reason", "charger__organisation"]
    search_fields = ["charger__charge_box_id", "transaction_id", "id_tag"]


class OpenFilter(ChoiceFilter):
    title = "session"
    parameter_name = "open"
    options = {"yes": ("open", Q(stop_time__isnull=True)), "no": ("finished", Q(stop_time__isnull=False))}


class SuspectFilter(ChoiceFilter):
    title = "suspect"
    parameter_name = "suspect"
    options = {
        "yes": ("suspect (no message for long)", Q(suspect=True)),
        "manual": ("closed by hand", Q(closed_manually=True)),
    }


def live_figure(session: Transaction, name: str):
    """An open session's figure so far, marked for the console's script to keep it current."""
    shown = getattr(session, "_shown", None) or session_shown(session)
    session._shown = shown  # one computation for the row's columns
    return format_html(
        '<span class="cs-live-figure" data-live-session="{}" data-figure="{}" data-seconds="{}">{}</span>',
        session.pk, name, shown["elapsedSeconds"], shown[name],
    )  # fmt: skip


class CloseForm(forms.Form):
    reason = forms.CharField(max_length=500, help_text="Why the sessions are closed by hand; kept with them.")
    meter_stop = forms.IntegerField(
        required=False, min_value=0, label="meter stop (Wh)", help_text="Optional: the meter reading, when known."
    )


@admin.register(Transaction)
class TransactionAdmin(HistoryAdmin):
    list_display = [
        "ocpp_id",
        "charger_connector",
        "id_tag",
        "start_time",
        "stop_time",
        "energy_kwh",
        "duration",
        "stop_reason",
        "flags",
    ]
    list_filter = [OpenFilter, SuspectFilter, "stop_reason", "id_tag_status", "charger__organisation"]
    search_fields = ["ocpp_id", "id_tag", "charger__charge_box_id"]
    date_hierarchy = "start_time"
    actions = ["close"]

    exclude = ["energy_wh"]  # shown as energy_kwh: so far while the session is open
    readonly_fields = ["energy_kwh", "power_kw", "duration"]

    @admin.display(description="charger / connector", ordering="charger__charge_box_id")
    def charger_connector(self, session):
        place = session.connector_id if session.evse is None else f"{session.evse}/{session.connector_id}"
        return f"{session.charger.charge_box_id} / {place}"

    @admin.display(description="energy (kWh)", ordering="energy_wh")
    def energy_kwh(self, session):
        if session.stop_time is not None:
            return kwh_text(session.energy_wh)
        return live_figure(session, "energy")

    @admin.display(description="power now (kW)")
    def power_kw(self, session):
        return live_figure(session, "power") if session.stop_time is None else "–"

    @admin.display(description="duration")
    def duration(self, session):
        if session.stop_time is not None:
            return elapsed_text(int((session.stop_time - session.start_time).total_seconds()))
        return live_figure(session, "elapsed")

    @admin.display(description="flags")
    def flags(self, session):
        if session.closed_manually:
            return format_html('<span title="{}">closed by {}</span>', session.close_reason, session.closed_by)
        return "suspect" if session.suspect else ""

    def has_close_permission(self, request):
        return request.user.has_perm("charging.change_transaction")

    @admin.action(description="Close the selected open sessions by hand…", permissions=["close"])
    def close(self, request, queryset):
        """An intermediate page asks why; the close is recorded with the user and the reason."""
        form = CloseForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            closed, skipped = [], []
            for session in queryset.select_related("charger"):
                try:
                    transaction_close(
                        session=session,
                        reason=form.cleaned_data["reason"],
                        meter_stop=form.cleaned_data["meter_stop"],
                        closed_by=f"admin user {request.user.get_username()}",
                    )
                    closed.append(session)
                except TransactionAlreadyStopped:
                    skipped.append(session)
            for session in closed:
                self.log_change(request, session, f"Closed by hand: {form.cleaned_data['reason']}")
            if closed:
                self.message_user(request, f"Closed {len(closed)} session(s) by hand.", messages.SUCCESS)
            if skipped:
                names = ", ".join(str(s) for s in skipped)
                self.message_user(request, f"Already stopped, left as they were: {names}.", messages.WARNING)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Close sessions by hand",
            "sessions": queryset.select_related("charger"),
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/charging/transaction/close.html", context)


class IdTagImportForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none())
    file = forms.FileField(help_text="CSV with the header " + ",".join(id_tags.CSV_COLUMNS) + " (UTF-8).")

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        if organisations.count() == 1:
            self.fields["organisation"].initial = organisations.first()


class IdTagForm(forms.ModelForm):
    """The rules of charging.services.id_tags: CiString20, and a parent of the same organisation."""

    class Meta:
        model = IdTag
        fields = ["organisation", "id_tag", "status", "expiry_date", "parent", "max_active_transactions", "note"]
        help_texts = {
            "max_active_transactions": "Sessions at once; beyond it a start is answered ConcurrentTx. 0: no limit."
        }

    def clean_id_tag(self):
        problem = id_tags.id_tag_problem(self.cleaned_data["id_tag"])
        if problem:
            raise forms.ValidationError(problem)
        return self.cleaned_data["id_tag"]

    def clean(self):
        cleaned = super().clean()
        parent, organisation = cleaned.get("parent"), cleaned.get("organisation")
        if parent is not None and organisation is not None:
            if parent.organisation_id != organisation.pk:
                self.add_error("parent", "The parent must be an id tag of the same organisation.")
            elif self.instance.pk and id_tags.id_tag_descends_from(parent, self.instance):
                self.add_error("parent", "A tag cannot be its own parent or its child's child.")
        return cleaned


@admin.register(IdTag)
class IdTagAdmin(OrganisationScopedAdmin):
    form = IdTagForm
    change_list_template = "admin/charging/idtag/change_list.html"
    list_display = [
        "id_tag",
        "organisation",
        "status",
        "expiry_date",
        "parent",
        "max_active_transactions",
        "auto_created",
        "note",
    ]
    list_filter = ["status", "auto_created", "organisation"]
    search_fields = ["id_tag", "note", "parent__id_tag"]
    list_select_related = ["organisation", "parent"]
    raw_id_fields = ["parent"]
    readonly_fields = ["created_at"]
    actions = ["export_csv"]

    def get_urls(self):
        csv_import = self.admin_site.admin_view(self.import_view)
        return [path("import/", csv_import, name="charging_idtag_import"), *super().get_urls()]

    def save_model(self, request, obj, form, change):
        # An operator who saves an auto-created tag has reviewed it.
        if change:
            obj.auto_created = False
        super().save_model(request, obj, form, change)

    @admin.action(description="Export the selected id tags as CSV")
    def export_csv(self, request, queryset):
        response = HttpResponse(
            id_tags.id_tags_csv(tags=queryset.select_related("parent").order_by("id_tag")),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="id-tags.csv"'
        return response

    def import_view(self, request):
        if not (request.user.has_perm("charging.add_idtag") and request.user.has_perm("charging.change_idtag")):
            raise PermissionDenied
        organisations = scope(Organisation.objects.all(), request.user, "pk")
        form = IdTagImportForm(request.POST or None, request.FILES or None, organisations=organisations)
        results = None
        if request.method == "POST" and form.is_valid():
            try:
                text = form.cleaned_data["file"].read().decode("utf-8")
            except UnicodeDecodeError:
                form.add_error("file", "The file is not UTF-8 text.")
            else:
                results = id_tags.id_tags_import(organisation=form.cleaned_data["organisation"], text=text)
                created = sum(1 for r in results if r.created and not r.error)
                updated = sum(1 for r in results if not r.created and not r.error)
                failed = sum(1 for r in results if r.error)
                level = messages.WARNING if failed else messages.SUCCESS
                self.message_user(request, f"Created {created}, updated {updated}, {failed} row(s) with errors.", level)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import id tags from CSV",
            "form": form,
            "results": results,
            "errors": [r for r in results or [] if r.error],
            "columns": ",".join(id_tags.CSV_COLUMNS),
        }
        return TemplateResponse(request, "admin/charging/idtag/import.html", context)


@admin.register(ChargerLocalList)
class ChargerLocalListAdmin(HistoryAdmin):
    """What each charger confirmed holding; changed only by syncing (API) or the charger's answers."""

    list_display = ["charger", "version", "reported_version", "entry_count", "confirmed_at"]

    @admin.display(description="entries")
    def entry_count(self, held):
        return len(held.entries or {})


@admin.register(Reservation)
class ReservationAdmin(HistoryAdmin):
    list_display = ["created_at", "charger", "reservation_id", "connector_id", "id_tag", "expiry_date", "status"]
    list_filter = ["status"]


@admin.register(TransactionEvent)
class TransactionEventAdmin(HistoryAdmin):
    list_display = ["timestamp", "charger", "transaction", "event_type", "seq_no", "trigger_reason", "offline"]
    list_filter = ["event_type", "trigger_reason", "offline", "charger__organisation"]
    search_fields = ["charger__charge_box_id", "transaction__ocpp_id"]
    list_select_related = ["charger", "transaction__charger"]


@admin.register(TransactionNotice)
class TransactionNoticeAdmin(ChargerReportAdmin):
    """OCPP 2.1: payments settled, priority charging and battery swaps, each against its session."""

    list_display = ["received_at", "charger", "action", "status", "ocpp_transaction_id", "transaction", "amount",
                    "reference"]  # fmt: skip
    search_fields = ["charger__charge_box_id", "ocpp_transaction_id", "reference"]
