"""The charger admin's command pages: a form per command, bulk actions, the configuration table.

A mixin for chargers.admin.ChargerAdmin, so that the fleet's admin stays about the fleet.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from chargers.models import Charger
from charging.models import Transaction
from charging.services.metering import session_shown
from commands.bus import CommandFailed, Requester, version_of
from commands.models import Command
from console.charger_state import charger_state
from console.commands import (
    LABELS,
    CommandForm,
    Outcome,
    becomes_fleet_job,
    bulk_commands,
    command_send,
    command_send_many,
    confirmation,
    fleet_jobs_start,
)
from pki.models import SecurityEvent
from pki.passwords import charger_password_rotate

SEND_PERMISSION = "chargers.change_charger"


def _bulk_action(command: str):
    def action(modeladmin, request, queryset):
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
        url = reverse("admin:chargers_charger_bulk_command", args=[command])
        return HttpResponseRedirect(f"{url}?ids={ids}")

    action.__name__ = f"send_{command}"
    return admin.action(description=f"Command: {LABELS[command]}…", permissions=["change"])(action)


@admin.action(description="Rotate password…", permissions=["change"])
def rotate_password(modeladmin, request, queryset):
    """A new password for each charger; the page shows them this once (they are kept hashed)."""
    requester = Requester(source=Command.Source.ADMIN, description=request.user.get_username(), user_id=request.user.pk)
    rows = []
    for charger in queryset:
        try:
            answer = charger_password_rotate(charger=charger, requester=requester)
        except CommandFailed as failure:
            answer = {"message": str(failure), "password": None}
        rows.append((charger.charge_box_id, answer["message"], answer["password"] or "unchanged"))
    table = format_html_join("", "<tr><td>{}</td><td>{}</td><td><code>{}</code></td></tr>", rows)
    return HttpResponse(
        format_html(
            "<h1>New charger passwords</h1><p>Shown this once: give them to whoever configures the chargers.</p>"
            "<table><tr><th>chargeBoxId</th><th>answer</th><th>password</th></tr>{}</table>",
            table,
        )
    )


class ChargerCommandsAdmin(admin.ModelAdmin):
    """Every command of the API, one charger at a time (buttons) or many (actions), and its answer shown."""

    actions = [rotate_password]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/command/<str:command>/", view(self.command_view), name="chargers_charger_command"),
            path("<path:object_id>/configuration/", view(self.configuration_view),
                 name="chargers_charger_configuration"),
            path("bulk/<str:command>/", view(self.bulk_command_view), name="chargers_charger_bulk_command"),
            *super().get_urls(),
        ]  # fmt: skip

    def get_actions(self, request):
        actions = super().get_actions(request)
        if request.user.has_perm(SEND_PERMISSION):
            for command in bulk_commands():
                action = _bulk_action(command)
                actions[action.__name__] = (action, action.__name__, action.short_description)
        return actions

    def change_view(self, request, object_id, form_url="", extra_context=None):
        charger = self.get_object(request, object_id)
        # Only what the charger's OCPP version can express (its table in ocpp_ws/<version>/commands.py).
        available = version_of(charger.ocpp_protocol).commands if charger is not None else {}
        buttons = [(command, label) for command, label in LABELS.items() if command in available]
        events = SecurityEvent.objects.filter(charger=charger)[:10] if charger is not None else []
        context = {**(extra_context or {}), "command_buttons": buttons, "security_events": events,
                   "live": charger_state(charger=charger) if charger is not None else None}  # fmt: skip
        # Open sessions with their figures so far, which the page keeps live.
        context["open_transactions"] = [(t, session_shown(t)) for t, _ in context.get("open_transactions", [])]
        return super().change_view(request, object_id, form_url, context)

    def _charger(self, request, object_id) -> Charger:
        if not request.user.has_perm(SEND_PERMISSION):
            raise PermissionDenied
        charger = self.get_object(request, object_id)
        if charger is None:  # another organisation's charger is as unknown as a missing one
            raise Http404("no such charger")
        return charger

    def _context(self, request, charger, title: str, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": charger,
            "title": title,
            "charger": charger,
            **extra,
        }

    def command_view(self, request, object_id, command):
        charger = self._charger(request, object_id)
        if command not in LABELS:
            raise Http404("no such command")
        transactions = list(charger.transactions.filter(stop_time__isnull=True).order_by("-start_time"))
        form = CommandForm(
            command,
            request.POST if request.method == "POST" else None,
            request.GET.dict(),
            transactions=transactions,
            charger=charger,
        )
        outcome = None
        if request.method == "POST" and form.is_valid():
            outcome = command_send(charger=charger, command=command, params=form.params, user=request.user)
            form.errors = outcome.errors
        confirm = confirmation(command, target=charger.charge_box_id, sessions=len(transactions))
        context = self._context(request, charger, f"{form.label}: {charger.charge_box_id}", form=form,
                                outcome=outcome, confirm=confirm)  # fmt: skip
        return TemplateResponse(request, "admin/chargers/charger/command.html", context)

    def bulk_command_view(self, request, command):
        if not request.user.has_perm(SEND_PERMISSION) or command not in bulk_commands():
            raise PermissionDenied
        ids = [int(i) for i in request.GET.get("ids", "").split(",") if i.isdigit()]
        chargers = list(
            self.get_queryset(request).filter(pk__in=ids).select_related("organisation").order_by("charge_box_id")
        )
        if not chargers:
            self.message_user(request, "Select chargers first.", messages.WARNING)
            return redirect("admin:chargers_charger_changelist")
        form = CommandForm(command, request.POST if request.method == "POST" else None, request.GET.dict())
        outcomes = None
        as_job = becomes_fleet_job(command, chargers)
        if request.method == "POST" and form.is_valid():
            if as_job:
                return self._fleet_jobs_follow(
                    request, fleet_jobs_start(chargers=chargers, command=command, params=form.params, user=request.user)
                )
            outcomes = command_send_many(chargers=chargers, command=command, params=form.params, user=request.user)
        sessions = Transaction.objects.filter(charger__in=chargers, stop_time__isnull=True).count()
        confirm = confirmation(command, target=f"{len(chargers)} chargers", sessions=sessions)
        context = self._context(request, None, f"{form.label}: {len(chargers)} chargers", form=form,
                                chargers=chargers, outcomes=outcomes, as_job=as_job, confirm=confirm)  # fmt: skip
        return TemplateResponse(request, "admin/chargers/charger/bulk_command.html", context)

    def _fleet_jobs_follow(self, request, jobs):
        """To the job's page, whose progress bar follows it live (or the list, for a job per organisation)."""
        self.message_user(request, f"Started as {len(jobs)} fleet job(s): the chargers are asked in the background.")
        if len(jobs) == 1:
            return redirect("admin:commands_fleetjob_change", jobs[0].pk)
        ids = ",".join(str(job.pk) for job in jobs)
        return HttpResponseRedirect(f"{reverse('admin:commands_fleetjob_changelist')}?id__in={ids}")

    def configuration_view(self, request, object_id):
        """The charger's settings as a table; a POST changes one key (ChangeConfiguration, SetVariables).

        OCPP 1.6: read with GetConfiguration each time. OCPP 2.0.1 has no "read them all": the table is
        its device model as last reported, and a button asks for a new report (GetBaseReport)."""
        charger = self._charger(request, object_id)
        change = None
        if request.method == "POST" and "reportBase" in request.POST:
            change = _sent(request, charger, "report_base_get")
        elif request.method == "POST":
            change = _sent(request, charger, "configuration_change")
        context = self._context(request, charger, f"Configuration: {charger.charge_box_id}", change=change,
                                changed_key=request.POST.get("key", ""))  # fmt: skip
        if charger.has_evses:
            context.update(device_model=True, keys=_device_model_keys(charger))
        else:
            read = command_send(charger=charger, command="configuration_get", params={}, user=request.user)
            keys = sorted((read.response or {}).get("configurationKey", []), key=lambda row: row.get("key", ""))
            context.update(read=read, keys=keys, unknown=(read.response or {}).get("unknownKey", []))
        return TemplateResponse(request, "admin/chargers/charger/configuration.html", context)


def _sent(request, charger, command: str) -> Outcome:
    form = CommandForm(command, request.POST)
    if not form.is_valid():
        return _invalid(charger, form)
    return command_send(charger=charger, command=command, params=form.params, user=request.user)


def _device_model_keys(charger) -> list[dict]:
    """The reported variables as configuration rows; only the station's own Actual values can be set by key."""
    rows = charger.device_variables.order_by("component", "component_instance", "evse_id", "connector_id",
                                             "variable", "variable_instance", "attribute_type")  # fmt: skip
    return [
        {
            "key": " ".join(
                [
                    str(v),
                    *([f"EVSE {v.evse_id}"] if v.evse_id else []),
                    *([v.attribute_type] if v.attribute_type != "Actual" else []),
                ]
            ),  # fmt: skip
            "value": v.value,
            "readonly": v.mutability == "ReadOnly" or v.evse_id != 0 or v.attribute_type != "Actual",
        }
        for v in rows
    ]


def _invalid(charger, form):
    message = "; ".join(
        f"{name}: {' '.join(errors)}" if name else " ".join(errors) for name, errors in form.errors.items()
    )
    return Outcome(charger=charger, error_code="validation_error", message=message, errors=form.errors)
