"""The fleet in the admin: chargers with their live state, id tags, and the read-only history chargers report."""

from datetime import UTC

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from accounts.models import Organisation
from accounts.scoping import OrganisationScopedAdmin, operator_organisation_id, scope
from chargers.models import (
    Charger,
    ChargerNotification,
    Connector,
    DataTransfer,
    DeviceVariable,
    DiagnosticsStatus,
    FirmwareStatus,
    Site,
    StatusNotification,
    UnknownCharger,
)
from chargers.services.registry import ChargerExists, charger_register
from charging.models import (
    ChargerLocalList,
    IdTag,
    MeterValue,
    Reservation,
    Transaction,
    TransactionEvent,
    UnmatchedStop,
)
from charging.services import id_tags
from charging.services.transactions import TransactionAlreadyStopped, transaction_close
from console.charger_admin import ChargerCommandsAdmin
from console.transaction_admin import TransactionConsoleAdmin
from smart_charging.models import InstalledChargingProfile
from smart_charging.services.load_balancing import site_allocation
from smart_charging.services.sites import site_rebalance_after_commit

FLEET_CSS = {"all": ["console/fleet.css"]}


@admin.display(description="EVSE")
def connector_evse(connector: Connector):
    """OCPP 2.0.1's EVSE of the connector; a 1.6 connector belongs to none."""
    return "–" if connector.evse is None else connector.evse


def status_pill(
    status: str,
    *,
    label: str = "",
    charger_id: int | None = None,
    connector_id: int | None = None,
    evse_id: int | None = None,
):
    """A connector status as a coloured pill; `data-live-connector` lets the live script repaint it.
    `evse_id`: OCPP 2.0.1's EVSE (its connectors are numbered within it), None for 1.6."""
    place = f"{connector_id}" if evse_id is None else f"{evse_id}/{connector_id}"
    live = f"{charger_id}/{place}" if charger_id is not None else ""
    return format_html(
        '<span class="cs-pill cs-status-{}" data-live-connector="{}" data-label="{}" title="{}">{}</span>',
        status or "Unknown",
        live,
        label,
        status or "no status yet",
        f"{label}{status or 'Unknown'}",
    )


def online_badge(charger: Charger):
    return format_html(
        '<span class="cs-badge cs-{}" data-live-charger="{}">{}</span>', charger.status, charger.pk, charger.status
    )


class HistoryAdmin(OrganisationScopedAdmin):
    """What chargers reported, or what we sent them: append-only, so read-only here."""

    organisation_lookup = "charger__organisation_id"
    list_select_related = ["charger"]
    show_full_result_count = False
    search_fields = ["charger__charge_box_id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OnlineFilter(admin.SimpleListFilter):
    title = "connection"
    parameter_name = "online"

    def lookups(self, request, model_admin):
        return [("yes", "online"), ("no", "offline")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(channel_name="")
        if self.value() == "no":
            return queryset.filter(channel_name="")
        return queryset


class ConnectorStatusFilter(admin.SimpleListFilter):
    title = "connector status"
    parameter_name = "connector_status"

    def lookups(self, request, model_admin):
        connectors = scope(Connector.objects.exclude(status=""), request.user, "charger__organisation_id")
        statuses = connectors.order_by("status").values_list("status", flat=True).distinct()
        return [(s, s) for s in statuses]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(connectors__status=self.value()).distinct()
        return queryset


class ConnectorInline(admin.TabularInline):
    model = Connector
    fields = [connector_evse, "connector_id", "live_status", "error_code", "info", "vendor_error_code", "status_at",
              "updated_at"]  # fmt: skip
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name = "connector (live)"
    verbose_name_plural = "connectors (live)"

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="status")
    def live_status(self, connector):
        return status_pill(
            connector.status,
            charger_id=connector.charger_id,
            connector_id=connector.connector_id,
            evse_id=connector.evse,
        )


class ChargerForm(forms.ModelForm):
    password = forms.CharField(
        label="new password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="HTTP Basic password the charger must send (security profile 1). Stored hashed; "
        "leave empty to keep the current one.",
    )
    remove_password = forms.BooleanField(
        required=False, help_text="Let the charger connect without a password (not recommended)."
    )

    class Meta:
        model = Charger
        fields = ["organisation", "charge_box_id", "name", "location", "registration_status", "ocpp_version_pinned"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The supply settings have defaults: a form that leaves them out keeps the current values.
        for name in SUPPLY_FIELDS:
            if name in self.fields:
                self.fields[name].required = False

    def clean(self):
        cleaned = super().clean()
        for name in SUPPLY_FIELDS:
            if name in self.fields and (name not in self.data or (cleaned.get(name) is None and name != "site")):
                cleaned[name] = getattr(self.instance, name)
        if cleaned.get("password") and cleaned.get("remove_password"):
            raise forms.ValidationError("Either set a new password or remove it, not both.")
        return cleaned


SUPPLY_FIELDS = ["site", "phases", "voltage", "charging_rate_unit", "min_current", "max_current"]
BOOT_FIELDS = [
    "vendor",
    "model",
    "serial_number",
    "charge_box_serial_number",
    "firmware_version",
    "iccid",
    "imsi",
    "meter_type",
    "meter_serial_number",
    "last_boot_at",
]
CONNECTION_FIELDS = [
    "online",
    "connection_url",
    "ocpp_protocol",
    "remote_address",
    "connected_at",
    "disconnected_at",
    "last_seen_at",
    "last_heartbeat_at",
]


@admin.register(Charger)
class ChargerAdmin(ChargerCommandsAdmin, OrganisationScopedAdmin):
    form = ChargerForm
    change_form_template = "admin/chargers/charger/change_form.html"
    list_display = [
        "charge_box_id",
        "name",
        "online",
        "protocol",
        "vendor_model",
        "firmware_version",
        "last_heartbeat",
        "connector_summary",
        "organisation",
    ]
    list_filter = [
        OnlineFilter,
        ConnectorStatusFilter,
        "vendor",
        "model",
        "firmware_version",
        "organisation",
        "ocpp_protocol",
        "registration_status",
    ]
    search_fields = [
        "charge_box_id",
        "name",
        "location",
        "vendor",
        "model",
        "serial_number",
        "charge_box_serial_number",
        "firmware_version",
        "iccid",
        "remote_address",
    ]
    list_select_related = ["organisation"]
    inlines = [ConnectorInline]
    list_per_page = 50

    class Media:
        css = FLEET_CSS
        js = ["console/live.js"]

    def get_queryset(self, request):
        connectors = Prefetch("connectors", queryset=Connector.objects.order_by("evse_id", "connector_id"))
        return super().get_queryset(request).prefetch_related(connectors)

    def get_fieldsets(self, request, obj=None):
        main = (
            None,
            {
                "fields": [
                    "organisation",
                    "charge_box_id",
                    "name",
                    "location",
                    "registration_status",
                    "ocpp_version_pinned",
                ]
            },
        )
        if obj is None:
            return [main, ("Password", {"fields": ["password"]})]
        return [
            main,
            ("Password", {"fields": ["password_state", "password", "remove_password"]}),
            ("Connection", {"fields": CONNECTION_FIELDS}),
            (
                "Supply and load balancing",
                {"fields": SUPPLY_FIELDS},
            ),
            ("Reported at boot", {"fields": BOOT_FIELDS, "classes": ["collapse"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["password_state", *CONNECTION_FIELDS, *BOOT_FIELDS]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_list_display(self, request):
        if operator_organisation_id(request.user) is None:
            return self.list_display
        return [name for name in self.list_display if name != "organisation"]

    @admin.display(description="status", ordering="channel_name")
    def online(self, charger):
        return online_badge(charger)

    @admin.display(description="OCPP", ordering="ocpp_protocol")
    def protocol(self, charger):
        return charger.ocpp_protocol.removeprefix("ocpp") or "–"

    @admin.display(description="last heartbeat (UTC)", ordering="last_heartbeat_at")
    def last_heartbeat(self, charger):
        if charger.last_heartbeat_at is None:
            return "–"
        return charger.last_heartbeat_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")

    @admin.display(description="vendor / model", ordering="vendor")
    def vendor_model(self, charger):
        return " / ".join(part for part in (charger.vendor, charger.model) if part) or "–"

    @admin.display(description="password")
    def password_state(self, charger):
        return "set (stored hashed, never shown)" if charger.password_digest else "none"

    @admin.display(description="connection URL")
    def connection_url(self, charger):
        return charger.connection_url

    @admin.display(description="connectors")
    def connector_summary(self, charger):
        shown = [c for c in charger.connectors.all() if c.connector_id > 0 or c.status in {"Faulted", "Unavailable"}]
        if not shown:
            return "–"
        return format_html_join(
            " ",
            "{}",
            (
                (
                    status_pill(
                        c.status,
                        label=f"{c.connector_id or 'CP'} " if c.evse is None else f"{c.evse}/{c.connector_id} ",
                        charger_id=c.charger_id,
                        connector_id=c.connector_id,
                        evse_id=c.evse,
                    ),
                )
                for c in shown
            ),
        )

    def save_model(self, request, obj, form, change):
        password = form.cleaned_data.get("password") or None
        if change:
            if password or form.cleaned_data.get("remove_password"):
                obj.set_password(password)
            super().save_model(request, obj, form, change)
            return
        created = charger_register(
            organisation=obj.organisation,
            charge_box_id=obj.charge_box_id,
            name=obj.name,
            location=obj.location,
            password=password,
            ocpp_version_pinned=obj.ocpp_version_pinned,
        )
        if obj.registration_status != created.registration_status:
            Charger.objects.filter(pk=created.pk).update(registration_status=obj.registration_status)
            created.registration_status = obj.registration_status
        for field in Charger._meta.concrete_fields:
            setattr(obj, field.attname, getattr(created, field.attname))
        obj._state.adding = False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        charger = self.get_object(request, object_id)
        if charger is not None:
            transactions = charger.transactions.order_by("-start_time", "-id")
            extra_context = {
                **(extra_context or {}),
                "status_notifications": charger.status_notifications.all()[:20],
                "open_transactions": transactions.filter(stop_time__isnull=True),
                "recent_transactions": transactions.filter(stop_time__isnull=False)[:10],
                "recent_commands": charger.commands.select_related("user").all()[:10],
                "firmware_statuses": charger.firmware_statuses.all()[:5],
                "diagnostics_statuses": charger.diagnostics_statuses.all()[:5],
                "history_filter": f"?charger__id__exact={charger.pk}",
            }
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Connector)
class ConnectorAdmin(HistoryAdmin):
    list_display = [
        "charger",
        connector_evse,
        "connector_id",
        "live_status",
        "error_code",
        "info",
        "status_at",
        "updated_at",
    ]
    list_filter = ["status", "error_code", "charger__organisation"]
    search_fields = ["charger__charge_box_id", "charger__name", "info"]

    class Media:
        css = FLEET_CSS
        js = ["console/live.js"]

    @admin.display(description="status", ordering="status")
    def live_status(self, connector):
        return status_pill(
            connector.status,
            charger_id=connector.charger_id,
            connector_id=connector.connector_id,
            evse_id=connector.evse,
        )


@admin.register(StatusNotification)
class StatusNotificationAdmin(HistoryAdmin):
    list_display = ["received_at", "charger", "connector_id", "status", "error_code", "info", "vendor_error_code"]
    list_filter = ["status", "error_code", "charger__organisation"]
    search_fields = ["charger__charge_box_id", "info", "vendor_id", "vendor_error_code"]
    date_hierarchy = "received_at"


@admin.register(MeterValue)
class MeterValueAdmin(HistoryAdmin):
    list_display = ["timestamp", "charger", "connector_id", "transaction", "measurand", "value", "unit", "phase"]
    list_filter = ["measurand", "context", "charger__organisation"]
    search_fields = ["charger__charge_box_id", "reported_transaction_id"]
    list_select_related = ["charger", "transaction"]


@admin.register(DataTransfer)
class DataTransferAdmin(HistoryAdmin):
    list_display = ["created_at", "charger", "direction", "vendor_id", "message_id", "response_status"]
    list_filter = ["direction", "response_status", "charger__organisation"]
    search_fields = ["charger__charge_box_id", "vendor_id", "message_id", "data"]


@admin.register(UnmatchedStop)
class UnmatchedStopAdmin(HistoryAdmin):
    list_display = ["received_at", "charger", "transaction_id", "id_tag", "meter_stop", "timestamp", "reason"]
    list_filter = ["reason", "charger__organisation"]
    search_fields = ["charger__charge_box_id", "transaction_id", "id_tag"]


@admin.register(FirmwareStatus)
class FirmwareStatusAdmin(HistoryAdmin):
    list_display = ["received_at", "charger", "status"]
    list_filter = ["status", "charger__organisation"]


@admin.register(DiagnosticsStatus)
class DiagnosticsStatusAdmin(HistoryAdmin):
    list_display = ["received_at", "charger", "status"]
    list_filter = ["status", "charger__organisation"]


class OpenFilter(admin.SimpleListFilter):
    title = "session"
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", "open"), ("no", "finished")]

    def queryset(self, request, queryset):
        if self.value() in {"yes", "no"}:
            return queryset.filter(stop_time__isnull=self.value() == "yes")
        return queryset


class SuspectFilter(admin.SimpleListFilter):
    title = "suspect"
    parameter_name = "suspect"

    def lookups(self, request, model_admin):
        return [("yes", "suspect (no message for long)"), ("manual", "closed by hand")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(suspect=True)
        if self.value() == "manual":
            return queryset.filter(closed_manually=True)
        return queryset


class CloseForm(forms.Form):
    reason = forms.CharField(max_length=500, help_text="Why the sessions are closed by hand; kept with them.")
    meter_stop = forms.IntegerField(
        required=False, min_value=0, label="meter stop (Wh)", help_text="Optional: the meter reading, when known."
    )


@admin.register(Transaction)
class TransactionAdmin(TransactionConsoleAdmin, HistoryAdmin):
    list_display = [
        "ocpp_id",
        "charger",
        "connector_id",
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

    @admin.display(description="energy (kWh)", ordering="energy_wh")
    def energy_kwh(self, session):
        return "–" if session.energy_wh is None else f"{session.energy_wh / 1000:.3f}"

    @admin.display(description="duration")
    def duration(self, session):
        if session.stop_time is None:
            return "open"
        seconds = int((session.stop_time - session.start_time).total_seconds())
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"

    @admin.display(description="flags")
    def flags(self, session):
        if session.closed_manually:
            return format_html('<span title="{}">closed by {}</span>', session.close_reason, session.closed_by)
        return "suspect" if session.suspect else ""

    def has_close_permission(self, request):
        return request.user.has_perm("chargers.change_transaction")

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
        return TemplateResponse(request, "admin/chargers/transaction/close.html", context)


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
    change_list_template = "admin/chargers/idtag/change_list.html"
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
        return [path("import/", csv_import, name="chargers_idtag_import"), *super().get_urls()]

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
        if not (request.user.has_perm("chargers.add_idtag") and request.user.has_perm("chargers.change_idtag")):
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
        return TemplateResponse(request, "admin/chargers/idtag/import.html", context)


@admin.register(ChargerLocalList)
class ChargerLocalListAdmin(HistoryAdmin):
    """What each charger confirmed holding; changed only by syncing (API) or the charger's answers."""

    list_display = ["charger", "version", "reported_version", "entry_count", "confirmed_at"]

    @admin.display(description="entries")
    def entry_count(self, held):
        return len(held.entries or {})


class RegisterForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none())
    name = forms.CharField(max_length=100, required=False)
    location = forms.CharField(max_length=200, required=False)
    password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Optional HTTP Basic password (security profile 1); stored hashed.",
    )

    def __init__(self, *args, organisations, single: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        if organisations.count() == 1:
            self.fields["organisation"].initial = organisations.first()
        if not single:
            for name in ("name", "location", "password"):
                del self.fields[name]


@admin.register(UnknownCharger)
class UnknownChargerAdmin(admin.ModelAdmin):
    """chargeBoxIds refused at the handshake; an operator registers them in one step."""

    list_display = ["charge_box_id", "remote_address", "first_seen_at", "last_seen_at", "attempts", "register_link"]
    search_fields = ["charge_box_id", "remote_address"]
    actions = ["register"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        register = self.admin_site.admin_view(self.register_view)
        return [path("register/", register, name="chargers_unknowncharger_register"), *super().get_urls()]

    @admin.display(description="")
    def register_link(self, unknown):
        url = reverse("admin:chargers_unknowncharger_register") + f"?ids={unknown.pk}"
        return format_html('<a class="button" href="{}">Register…</a>', url)

    @admin.action(description="Register the selected chargers…")
    def register(self, request, queryset):
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
        return HttpResponseRedirect(reverse("admin:chargers_unknowncharger_register") + f"?ids={ids}")

    def register_view(self, request):
        if not request.user.has_perm("chargers.add_charger"):
            raise PermissionDenied
        ids = [int(i) for i in request.GET.get("ids", "").split(",") if i.isdigit()]
        unknown = list(UnknownCharger.objects.filter(pk__in=ids))
        if not unknown:
            return redirect("admin:chargers_unknowncharger_changelist")
        organisations = scope(Organisation.objects.all(), request.user, "pk")
        form = RegisterForm(request.POST or None, organisations=organisations, single=len(unknown) == 1)
        if request.method == "POST" and form.is_valid():
            registered = []
            for stranger in unknown:
                try:
                    registered.append(
                        charger_register(
                            organisation=form.cleaned_data["organisation"],
                            charge_box_id=stranger.charge_box_id,
                            name=form.cleaned_data.get("name", ""),
                            location=form.cleaned_data.get("location", ""),
                            password=form.cleaned_data.get("password") or None,
                        )
                    )
                except ChargerExists:
                    self.message_user(request, f"{stranger.charge_box_id} is already registered.", messages.WARNING)
            for charger in registered:
                self.log_addition(request, charger, [{"added": {}}])
            if registered:
                names = ", ".join(c.charge_box_id for c in registered)
                self.message_user(
                    request,
                    f"Registered {names} with {form.cleaned_data['organisation']}: it connects on its next attempt.",
                    messages.SUCCESS,
                )
            if len(registered) == 1:
                return redirect("admin:chargers_charger_change", registered[0].pk)
            return redirect("admin:chargers_unknowncharger_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Register chargers" if len(unknown) > 1 else f"Register {unknown[0].charge_box_id}",
            "unknown": unknown,
            "form": form,
            "scoped": operator_organisation_id(request.user) is not None,
        }
        return TemplateResponse(request, "admin/chargers/unknowncharger/register.html", context)


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
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:g} {}</td><td>{:g} {}</td></tr>",
            (
                (s.charger.charge_box_id, s.transaction.connector_id, s.transaction.ocpp_id, s.limit, s.unit,
                 s.rate, s.rate_unit)
                for s in shares
            ),
        )  # fmt: skip
        head = "<tr><th>charger</th><th>connector</th><th>transaction</th><th>share</th><th>sent</th></tr>"
        return format_html("<table>{}{}</table>", format_html(head), rows)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"capacity_limit", "capacity_unit"} & set(form.changed_data):
            site_rebalance_after_commit(site_id=obj.pk)


@admin.register(Reservation)
class ReservationAdmin(HistoryAdmin):
    list_display = ["created_at", "charger", "reservation_id", "connector_id", "id_tag", "expiry_date", "status"]
    list_filter = ["status"]


@admin.register(InstalledChargingProfile)
class InstalledChargingProfileAdmin(HistoryAdmin):
    list_display = ["charger", "connector_id", "profile_id", "purpose", "stack_level", "kind", "installed_at"]
    list_filter = ["purpose"]


# OCPP 2.0.1: the device model, session events and other notifications, read-only like all history.


@admin.register(DeviceVariable)
class DeviceVariableAdmin(HistoryAdmin):
    list_display = ["charger", "__str__", "evse_id", "connector_id", "attribute_type", "value", "mutability", "unit"]
    list_filter = ["attribute_type", "mutability", "component", "charger__organisation"]
    search_fields = ["charger__charge_box_id", "component", "variable", "value"]


@admin.register(TransactionEvent)
class TransactionEventAdmin(HistoryAdmin):
    list_display = ["timestamp", "charger", "transaction", "event_type", "seq_no", "trigger_reason", "offline"]
    list_filter = ["event_type", "trigger_reason", "offline", "charger__organisation"]
    search_fields = ["charger__charge_box_id", "transaction__ocpp_id"]
    list_select_related = ["charger", "transaction"]


@admin.register(ChargerNotification)
class ChargerNotificationAdmin(HistoryAdmin):
    list_display = ["received_at", "charger", "action", "kind", "evse_id", "timestamp"]
    list_filter = ["action", "charger__organisation"]
    search_fields = ["charger__charge_box_id", "kind"]
    date_hierarchy = "received_at"


from chargers import jobs_admin  # noqa: E402, F401  (firmware and diagnostics jobs)
