import json

from django.contrib import admin
from django.utils.html import format_html

from accounts.scoping import HistoryAdmin
from commands.models import Command, FleetJob, FleetJobTarget


@admin.register(Command)
class CommandAdmin(HistoryAdmin):
    """The command log: what was asked of which charger, by whom, and what it answered."""

    organisation_lookup = "organisation_id"
    list_display = ["created_at", "charger", "action", "outcome", "answer", "latency", "who"]
    list_filter = ["status", "action", "source", "organisation"]
    # A status (Accepted, timeout) or an id tag is found in the outcome, the request or the answer.
    search_fields = ["charger__charge_box_id", "action", "requested_by", "status", "error_code", "request",
                     "response"]  # fmt: skip
    list_select_related = ["charger", "organisation"]
    date_hierarchy = "created_at"
    fields = [
        "id",
        "organisation",
        "charger",
        "action",
        "request_json",
        "source",
        "requested_by",
        "user",
        "api_key",
        "status",
        "response_json",
        "error_code",
        "error_description",
        "created_at",
        "sent_at",
        "answered_at",
        "latency_ms",
        "late_response_json",
        "late_at",
        "session_json",
    ]
    readonly_fields = fields

    @admin.display(description="status", ordering="status")
    def outcome(self, command):
        return format_html('<span class="cs-command-{}">{}</span>', command.status, command.get_status_display())

    @admin.display(description="asked by", ordering="requested_by")
    def who(self, command):
        return f"{command.requested_by or '–'} ({command.get_source_display()})"

    @admin.display(description="answer")
    def answer(self, command):
        return command.answer_summary or "–"

    @admin.display(description="latency", ordering="latency_ms")
    def latency(self, command):
        return "–" if command.latency_ms is None else f"{command.latency_ms} ms"

    @admin.display(description="request")
    def request_json(self, command):
        return format_html("<pre>{}</pre>", json.dumps(command.request, indent=2))

    @admin.display(description="response")
    def response_json(self, command):
        return "–" if command.response is None else format_html("<pre>{}</pre>", json.dumps(command.response, indent=2))

    @admin.display(description="late response")
    def late_response_json(self, command):
        if command.late_response is None:
            return "–"
        return format_html("<pre>{}</pre>", json.dumps(command.late_response, indent=2))

    @admin.display(description="session (eMSP)")
    def session_json(self, command):
        return "–" if command.session is None else format_html("<pre>{}</pre>", json.dumps(command.session, indent=2))


class FleetJobTargetInline(admin.TabularInline):
    model = FleetJobTarget
    fields = ["charger", "status", "command", "error_code", "error", "started_at", "finished_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FleetJob)
class FleetJobAdmin(HistoryAdmin):
    """Fleet jobs with their progress; each charger's outcome below."""

    organisation_lookup = "organisation_id"
    list_display = ["job", "created_at", "status", "progress_bar", "done", "failed", "requested_by"]
    list_filter = ["status", "command"]
    search_fields = ["command", "requested_by"]
    list_select_related = False  # a fleet job names no single charger
    fields = ["organisation", "command", "params", "selection", "concurrency", "status", "progress_bar", "total",
              "done", "failed", "requested_by", "created_at", "finished_at"]  # fmt: skip
    readonly_fields = fields
    inlines = [FleetJobTargetInline]

    class Media:
        js = ["console/live.js"]  # the progress bar follows the job (chargers.events.fleet_job_progressed)

    @admin.display(description="job", ordering="command")
    def job(self, job):
        return f"{job.command} on {job.total} charger{'' if job.total == 1 else 's'}"

    @admin.display(description="progress")
    def progress_bar(self, job):
        return format_html(
            '<span class="cs-fleet-progress" data-live-fleet-job="{}" data-status="{}" data-settled="{}">'
            '<progress max="{}" value="{}"></progress> <span class="cs-progress-text">{}</span></span>',
            job.pk, job.status, job.done + job.failed, max(job.total, 1), job.done + job.failed, job.progress_text,
        )  # fmt: skip


@admin.register(FleetJobTarget)
class FleetJobTargetAdmin(HistoryAdmin):
    """Each charger's outcome in a fleet job (also shown under its job)."""

    organisation_lookup = "job__organisation_id"
    list_display = ["job", "charger", "status", "error_code", "started_at", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["job", "charger"]
