"""The fleet in the admin: chargers with their live state, and the read-only history chargers report.

The console (console/admin.py) adds the command pages to the chargers' admin."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F, Prefetch, Q
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from accounts.models import Organisation
from accounts.scoping import HistoryAdmin, OrganisationScopedAdmin, WrittenBySystem, operator_organisation_id, scope
from chargers import costs
from chargers.models import (
    Charger,
    ChargerNotification,
    Connector,
    DataTransfer,
    DeviceVariable,
    DiagnosticsStatus,
    FirmwareStatus,
    StatusNotification,
    UnknownCharger,
)
from chargers.services import reports
from chargers.services.registry import ChargerExists, charger_delete, charger_register, charger_supply_update
from csms.list_filters import ChoiceFilter

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
    online: bool = True,
):
    """A connector status as a coloured pill; `data-live-connector` lets the live script repaint it.
    `evse_id`: OCPP 2.0.1's EVSE (its connectors are numbered within it), None for 1.6.
    An offline charger's statuses are only what it last said: the pill is grey (`cs-stale`)."""
    place = f"{connector_id}" if evse_id is None else f"{evse_id}/{connector_id}"
    live = f"{charger_id}/{place}" if charger_id is not None else ""
    title = status or "no status yet"
    return format_html(
        '<span class="cs-pill cs-status-{}{}" data-live-connector="{}" data-label="{}" title="{}">{}</span>',
        status or "Unknown",
        "" if online else " cs-stale",
        live,
        label,
        title if online else f"charger offline; last reported: {title}",
        f"{label}{status or 'Unknown'}",
    )


def connector_pill(connector: Connector, *, online: bool = True):
    """The connector's status, kept live by the console's script."""
    return status_pill(
        connector.status,
        charger_id=connector.charger_id,
        connector_id=connector.connector_id,
        evse_id=connector.evse,
        online=online,
    )


def online_badge(charger: Charger):
    return format_html(
        '<span class="cs-badge cs-{}" data-live-charger="{}">{}</span>', charger.status, charger.pk, charger.status
    )


class OnlineFilter(ChoiceFilter):
    title = "connection"
    parameter_name = "online"
    options = {"yes": ("online", ~Q(channel_name="")), "no": ("offline", Q(channel_name=""))}


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
        return connector_pill(connector, online=connector.charger.is_online)


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
BOOT_FIELDS = [*reports.BOOT_FIELDS, "last_boot_at"]  # what the charger reported at boot, read-only
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
class ChargerAdmin(OrganisationScopedAdmin):
    form = ChargerForm
    change_form_template = "admin/chargers/charger/change_form.html"
    list_display = [
        "charge_box_id",
        "name_and_organisation",
        "online",
        "protocol",
        "vendor_model",
        "last_seen",
        "connector_summary",
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
    # Everything the charger reported at boot is searchable, besides its names and address.
    search_fields = ["charge_box_id", "name", "location", *reports.BOOT_FIELDS, "remote_address"]
    list_select_related = ["organisation"]
    inlines = [ConnectorInline]
    list_per_page = 50

    class Media:
        css = FLEET_CSS
        js = ["console/live.js"]

    def get_queryset(self, request):
        connectors = Prefetch("connectors", queryset=Connector.objects.order_by("evse_id", "connector_id"))
        chargers = super().get_queryset(request).prefetch_related(connectors)
        if operator_organisation_id(request.user) is None:  # staff who see every organisation's chargers
            chargers = chargers.annotate(shown_organisation=F("organisation__name"))
        return chargers

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

    @admin.display(description="name", ordering="name")
    def name_and_organisation(self, charger):
        """The name, and under it the organisation for staff who see several (one column fewer to scroll)."""
        if not getattr(charger, "shown_organisation", ""):
            return charger.name
        return format_html('{}<br><small class="cs-organisation">{}</small>', charger.name, charger.shown_organisation)

    @admin.display(description="status", ordering="channel_name")
    def online(self, charger):
        return online_badge(charger)

    @admin.display(description="OCPP", ordering="ocpp_protocol")
    def protocol(self, charger):
        return charger.ocpp_protocol.removeprefix("ocpp") or "–"

    @admin.display(description="last seen", ordering="last_seen_at")
    def last_seen(self, charger):
        """Any frame counts, not only heartbeats: a charger that just booted has sent none yet."""
        return "–" if charger.last_seen_at is None else date_format(localtime(charger.last_seen_at), "DATETIME_FORMAT")

    @admin.display(description="vendor / model, firmware", ordering="vendor")
    def vendor_model(self, charger):
        made = " / ".join(part for part in (charger.vendor, charger.model) if part) or "–"
        if not charger.firmware_version:
            return made
        return format_html('{}<br><small class="cs-firmware">{}</small>', made, charger.firmware_version)

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
                        online=charger.is_online,
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
            # The supply goes through its service, as from the API: the sites it leaves and joins are shared again.
            supply = {name: form.cleaned_data[name] for name in SUPPLY_FIELDS if name in form.changed_data}
            stored = Charger.objects.get(pk=obj.pk)
            for name in supply:
                setattr(obj, name, getattr(stored, name))
            super().save_model(request, obj, form, change)
            charger_supply_update(charger=obj, **supply)
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

    # Deleting keeps the charger's row and history (chargers/services/registry.py): the confirmation
    # lists only the chargers, and each goes through the service, as from the API.
    def get_deleted_objects(self, objs, request):
        chargers = list(objs)
        needed = set() if self.has_delete_permission(request) else {Charger._meta.verbose_name}
        return [str(charger) for charger in chargers], {Charger._meta.verbose_name_plural: len(chargers)}, needed, []

    def delete_model(self, request, obj):
        charger_delete(charger=obj)

    def delete_queryset(self, request, queryset):
        for charger in queryset:
            charger_delete(charger=charger)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        charger = self.get_object(request, object_id)
        if charger is not None:
            transactions = charger.transactions.order_by("-start_time", "-id")
            extra_context = {
                **(extra_context or {}),
                "status_notifications": charger.status_notifications.all()[:20],
                "open_transactions": [(t, costs.session_cost(t)) for t in transactions.filter(stop_time__isnull=True)],
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
        return connector_pill(connector, online=connector.charger.is_online)


@admin.register(StatusNotification)
class StatusNotificationAdmin(HistoryAdmin):
    list_display = ["received_at", "charger", "connector_id", "status", "error_code", "info", "vendor_error_code"]
    list_filter = ["status", "error_code", "charger__organisation"]
    search_fields = ["charger__charge_box_id", "info", "vendor_id", "vendor_error_code"]
    date_hierarchy = "received_at"


@admin.register(DataTransfer)
class DataTransferAdmin(HistoryAdmin):
    list_display = ["created_at", "charger", "direction", "vendor_id", "message_id", "response_status"]
    list_filter = ["direction", "response_status", "charger__organisation"]
    search_fields = ["charger__charge_box_id", "vendor_id", "message_id", "data"]


@admin.register(FirmwareStatus)
class FirmwareStatusAdmin(HistoryAdmin):
    list_display = ["received_at", "charger", "status"]
    list_filter = ["status", "charger__organisation"]


@admin.register(DiagnosticsStatus)
class DiagnosticsStatusAdmin(HistoryAdmin):
    list_display = ["received_at", "charger", "status"]
    list_filter = ["status", "charger__organisation"]


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
class UnknownChargerAdmin(WrittenBySystem, admin.ModelAdmin):
    """chargeBoxIds refused at the handshake; an operator registers them in one step."""

    list_display = ["charge_box_id", "remote_address", "first_seen_at", "last_seen_at", "attempts", "register_link"]
    search_fields = ["charge_box_id", "remote_address"]
    actions = ["register"]

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


# OCPP 2.0.1: the device model, session events and other notifications, read-only like all history.


@admin.register(DeviceVariable)
class DeviceVariableAdmin(HistoryAdmin):
    list_display = ["charger", "__str__", "evse_id", "connector_id", "attribute_type", "value", "mutability", "unit"]
    list_filter = ["attribute_type", "mutability", "component", "charger__organisation"]
    search_fields = ["charger__charge_box_id", "component", "variable", "value"]


class ChargerReportAdmin(HistoryAdmin):
    """Reports a charger sends unasked (notifications, DER events, session notices): by action and arrival."""

    list_filter = ["action", "charger__organisation"]
    date_hierarchy = "received_at"


@admin.register(ChargerNotification)
class ChargerNotificationAdmin(ChargerReportAdmin):
    list_display = ["received_at", "charger", "action", "kind", "evse_id", "timestamp"]
    search_fields = ["charger__charge_box_id", "kind"]


from chargers import jobs_admin, streams_admin  # noqa: E402, F401  (jobs; OCPP 2.1 periodic event streams)
