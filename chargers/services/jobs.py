"""Firmware and diagnostics jobs: one per UpdateFirmware / GetDiagnostics, advanced by the charger's reports.

The command that starts a job goes through commands.services (which calls `*_job_create` and
`job_sent`); the statuses the charger reports come through reports.py; the follow-ups (ask
for a status, give up after a deadline) are sweeps run by commands.tasks.
"""

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import File
from django.db.models import Q
from django.utils import timezone

from accounts.secrets import secret_digest, secret_matches
from chargers import events
from chargers.models import Charger, DiagnosticsJob, FirmwareJob
from csms import statements

FIRMWARE_STATUSES = {choice for choice in FirmwareJob.Status.values}
DIAGNOSTICS_STATUSES = {choice for choice in DiagnosticsJob.Status.values}
UPLOAD_PATH = "/diagnostics/upload"


def firmware_job_create(
    *, charger: Charger, location: str, retrieve_date: datetime, retries: int | None, retry_interval: int | None
) -> FirmwareJob:
    return FirmwareJob.objects.create(
        charger=charger,
        location=location,
        retrieve_date=retrieve_date,
        retries=retries,
        retry_interval=retry_interval,
        firmware_version_before=Charger.objects.values_list("firmware_version", flat=True).get(pk=charger.pk),
    )


def diagnostics_job_create(*, charger: Charger, location: str | None) -> tuple[DiagnosticsJob, str]:
    """A job, and the location to hand the charger: ours (with a one-job token) when none is given."""
    job = DiagnosticsJob.objects.create(charger=charger, location=location or "")
    if location:
        return job, location
    token = secrets.token_urlsafe(24)
    job.location = f"{settings.CSMS_PUBLIC_HTTP_URL}{UPLOAD_PATH}/{job.pk}/{token}/"
    job.upload_token_digest = secret_digest(token)
    job.save(update_fields=["location", "upload_token_digest"])
    return job, job.location


def job_sent(
    *, job: FirmwareJob | DiagnosticsJob, command_id: str | None, accepted: bool, file_name: str = "", refusal: str = ""
) -> None:
    """What the charger answered to the command that starts the job; `refusal`: why it did not start."""
    job.command_id = command_id
    if not accepted:
        job.status, job.finished_at, job.refusal = job.Status.NOT_SENT, timezone.now(), refusal[:255]
    elif isinstance(job, DiagnosticsJob):
        job.file_name = file_name or ""
        if not file_name:
            job.status, job.finished_at = DiagnosticsJob.Status.NO_FILE, timezone.now()
    job.save()


def _advance(model, charger_id: int, status: str, known: set[str]):
    job = model.objects.filter(charger_id=charger_id).exclude(status__in=model.FINAL).order_by("-created_at").first()
    if job is None:
        return None
    now = timezone.now()
    job.last_status_at = now
    # Idle (often the answer to our TriggerMessage) only says something while nothing has started.
    if status in known and not (status == "Idle" and job.status not in ("Scheduled", "Requested", "Idle")):
        job.status = status
        if model is FirmwareJob and status != FirmwareJob.Status.INSTALLED:
            job.rebooted_at = None  # a boot before this step did not start the new firmware
    if job.status in model.FINAL:
        job.finished_at = now
    job.save()
    return job


def firmware_status_advance(*, charger_id: int, status: str) -> FirmwareJob | None:
    return _advance(FirmwareJob, charger_id, status, FIRMWARE_STATUSES)


def diagnostics_status_advance(*, charger_id: int, status: str) -> DiagnosticsJob | None:
    return _advance(DiagnosticsJob, charger_id, status, DIAGNOSTICS_STATUSES)


def firmware_boot_confirm(*, charger_id: int, firmware_version: str) -> FirmwareJob | None:
    """A boot during the installation gives the version the job ends with, once the charger has also said Installed."""
    if statements.select_one(FirmwareJob, ["id"], where={"charger_id": charger_id, "finished_at": None}) is None:
        return None  # every boot asks: a prepared lookup first, the ORM only for the rare open job
    job = FirmwareJob.objects.filter(charger_id=charger_id, status__in=FirmwareJob.INSTALLATION).first()
    if job is None:
        return None
    job.rebooted_at, job.firmware_version_after = timezone.now(), firmware_version
    job.save(update_fields=["rebooted_at", "firmware_version_after"])
    return firmware_install_confirm(job=job)


def firmware_install_confirm(*, job: FirmwareJob) -> FirmwareJob | None:
    """Installed and a boot since the installation began, in either order: the job's final status.

    A 1.6 charger reports Installed and then reboots; a 2.0.1 station reboots (InstallRebooting)
    and then reports Installed. Either way the version of the latest boot decides.
    """
    if job.status != FirmwareJob.Status.INSTALLED or job.rebooted_at is None:
        return None
    changed = job.firmware_version_after != job.firmware_version_before
    job.status = FirmwareJob.Status.CONFIRMED if changed else FirmwareJob.Status.VERSION_UNCHANGED
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "finished_at"])
    events.firmware_status_changed(
        charger_id=job.charger_id, job_id=job.pk, status=job.status, firmwareVersion=job.firmware_version_after
    )
    return job


def diagnostics_upload_receive(*, job_id: int, token: str, file_name: str, content: File) -> DiagnosticsJob | None:
    """Keep the file a charger uploads to the location we gave it; None when the token does not match."""
    job = DiagnosticsJob.objects.filter(pk=job_id).first()
    if job is None or not job.upload_token_digest or not secret_matches(token, job.upload_token_digest):
        return None
    job.file.save(file_name or job.file_name or f"diagnostics-{job.pk}", content, save=False)
    job.uploaded_at = timezone.now()
    job.save(update_fields=["file", "uploaded_at"])
    return job


def _since(model, wait: float, now: datetime) -> Q:
    """No word from the charger for `wait` seconds since the job began (or its last status)."""
    cutoff = now - timedelta(seconds=wait)
    began = Q(retrieve_date__lt=cutoff) if model is FirmwareJob else Q(created_at__lt=cutoff)
    return Q(last_status_at__lt=cutoff) | (Q(last_status_at__isnull=True) & began)


def jobs_to_ask(*, now: datetime | None = None) -> list[FirmwareJob | DiagnosticsJob]:
    """Open jobs we have heard nothing about for a while, each claimed once (several sweeps may run at once)."""
    now = now or timezone.now()
    claimed = []
    for model, wait in (
        (FirmwareJob, settings.CSMS_FIRMWARE_STATUS_WAIT),
        (DiagnosticsJob, settings.CSMS_DIAGNOSTICS_STATUS_WAIT),
    ):
        rows = (
            model.objects.exclude(status__in=model.FINAL)
            .exclude(status__in=("Installed", "NotSent"))
            # A job whose command the charger has not answered yet is not asked about: its answer may still come.
            .filter(_since(model, wait, now), triggered_at__isnull=True, command__isnull=False)
            .select_related("charger", "command")
        )
        for job in rows:
            if model.objects.filter(pk=job.pk, triggered_at__isnull=True).update(triggered_at=now):
                claimed.append(job)
    return claimed


def job_follow_up_released(*, job: FirmwareJob | DiagnosticsJob) -> None:
    """The job's follow-up did not reach its charger (not connected here): a later sweep asks again."""
    type(job).objects.filter(pk=job.pk).update(triggered_at=None)


def jobs_time_out(*, now: datetime | None = None) -> int:
    """Open jobs past their deadline become TimedOut (a diagnostics job whose file came: Uploaded)."""
    now = now or timezone.now()
    count = 0
    for model, deadline, begun in (
        (FirmwareJob, settings.CSMS_FIRMWARE_JOB_DEADLINE, "retrieve_date"),
        (DiagnosticsJob, settings.CSMS_DIAGNOSTICS_JOB_DEADLINE, "created_at"),
    ):
        late = model.objects.exclude(status__in=model.FINAL).filter(
            **{f"{begun}__lt": now - timedelta(seconds=deadline)}
        )
        for job in late:
            status = "Uploaded" if model is DiagnosticsJob and job.uploaded_at else "TimedOut"
            if model.objects.filter(pk=job.pk).exclude(status__in=model.FINAL).update(status=status, finished_at=now):
                count += 1
                changed = events.firmware_status_changed if model is FirmwareJob else events.diagnostics_status_changed
                changed(charger_id=job.charger_id, job_id=job.pk, status=status)
    return count
