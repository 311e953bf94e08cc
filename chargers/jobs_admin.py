"""Firmware and diagnostics jobs in the admin: read-only, with each job's status history and the uploaded file."""

from django.contrib import admin
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from accounts.scoping import HistoryAdmin
from chargers.models import DiagnosticsJob, FirmwareJob


def history(job) -> str:
    rows = job.history.order_by("received_at", "id")
    return (
        format_html_join(
            " → ", "{} <small>({})</small>", ((r.status, f"{r.received_at:%Y-%m-%d %H:%M:%S}") for r in rows)
        )
        or "—"
    )  # noqa: E501


@admin.register(FirmwareJob)
class FirmwareJobAdmin(HistoryAdmin):
    list_display = ["created_at", "charger", "status", "refusal", "location", "retrieve_date",
                    "firmware_version_before", "firmware_version_after"]  # fmt: skip
    list_filter = ["status"]
    fields = ["charger", "command", "location", "retrieve_date", "retries", "retry_interval", "status",
              "refusal", "status_history", "firmware_version_before", "firmware_version_after", "rebooted_at",
              "triggered_at", "last_status_at", "created_at", "finished_at"]  # fmt: skip
    readonly_fields = fields

    @admin.display(description="status history")
    def status_history(self, job):
        return history(job)


@admin.register(DiagnosticsJob)
class DiagnosticsJobAdmin(HistoryAdmin):
    list_display = ["created_at", "charger", "status", "refusal", "file_name", "download"]
    list_filter = ["status"]
    fields = ["charger", "command", "shown_location", "file_name", "status", "refusal", "status_history",
              "download", "uploaded_at", "triggered_at", "last_status_at", "created_at", "finished_at"]  # fmt: skip
    readonly_fields = fields

    @admin.display(description="location")
    def shown_location(self, job):
        return job.location.rsplit("/", 2)[0] + "/…/ (this CSMS)" if job.upload_token_digest else job.location

    @admin.display(description="status history")
    def status_history(self, job):
        return history(job)

    @admin.display(description="file")
    def download(self, job):
        if not job.file and job.status == DiagnosticsJob.Status.UPLOADED and job.upload_token_digest:
            # The charger says it uploaded to us, and nothing came: say so, and offer to ask again.
            retry = reverse("admin:chargers_charger_command", args=[job.charger_id, "diagnostics"])
            return format_html(
                '<span class="cs-mismatch">The charger reports Uploaded, but no file arrived.</span> '
                '<a class="button cs-retry" href="{}">Retry…</a>',
                retry,
            )
        if not job.file:
            return "—"
        url = reverse("admin:chargers_diagnosticsjob_download", args=[job.pk])
        return format_html('<a href="{}">download {}</a>', url, job.file.name.rsplit("/", 1)[-1])

    def get_urls(self):
        return [
            path("<int:pk>/download/", self.admin_site.admin_view(self.download_view),
                 name="chargers_diagnosticsjob_download"),
            *super().get_urls(),
        ]  # fmt: skip

    def download_view(self, request, pk: int):
        """Staff only (admin_view), and only the jobs this staff user may see."""
        job = self.get_queryset(request).filter(pk=pk).first()
        if job is None or not job.file or not self.has_view_permission(request, job):
            raise Http404
        return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.file.name.rsplit("/", 1)[-1])
