"""Fleet jobs: one command on many chargers, at most `concurrency` at a time, with each charger's outcome.

`fleet_job_create` writes the job and one target per charger; `fleet_job_advance` claims
queued targets up to the concurrency (under a row lock on the job, so that several workers
finishing at once never exceed it) and enqueues one task per target; each target's task
runs the command through commands.services and advances the job again.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import Organisation
from chargers import events
from chargers.models import Charger
from commands import services
from commands.bus import CommandFailed, Requester
from commands.models import Command, FleetJob, FleetJobTarget

log = logging.getLogger(__name__)

# The charger fields a fleet job's filter may name (API name -> model lookup).
FILTERS = {"vendor": "vendor", "model": "model", "firmwareVersion": "firmware_version"}
if any(field.name == "site" for field in Charger._meta.get_fields()):
    FILTERS["site"] = "site__name"


def fleet_chargers(*, organisation: Organisation, charge_box_ids: list[str] | None, filters: dict | None) -> QuerySet:
    chargers = Charger.objects.filter(organisation=organisation)
    if charge_box_ids is not None:
        return chargers.filter(charge_box_id__in=charge_box_ids)
    return chargers.filter(**{FILTERS[name]: value for name, value in (filters or {}).items()})


def fleet_job_create(
    *,
    organisation: Organisation,
    command: str,
    neutral_command: str,
    params: dict,
    chargers: QuerySet,
    selection: dict,
    concurrency: int,
    requester: Requester,
) -> FleetJob:
    from commands import tasks

    with transaction.atomic():
        job = FleetJob.objects.create(
            organisation=organisation,
            command=command,
            neutral_command=neutral_command,
            params=params,
            selection=selection,
            concurrency=concurrency,
            api_key_id=requester.api_key_id,
            user_id=requester.user_id,
            requested_by=requester.description[:150],
        )
        targets = [FleetJobTarget(job=job, charger_id=pk) for pk in chargers.values_list("pk", flat=True)]
        FleetJobTarget.objects.bulk_create(targets)
        job.total = len(targets)
        if not targets:
            job.status, job.finished_at = FleetJob.Status.FINISHED, timezone.now()
        job.save()
        transaction.on_commit(lambda: tasks.enqueue(tasks.fleet_job_advance, job.pk))
    return job


def fleet_job_advance(*, job_id: int) -> list[int]:
    """Start queued targets while fewer than `concurrency` run; finish the job when none is left."""
    from commands import tasks

    with transaction.atomic():
        job = FleetJob.objects.select_for_update().filter(pk=job_id, status=FleetJob.Status.RUNNING).first()
        if job is None:
            return []
        targets = job.targets
        free = job.concurrency - targets.filter(status=FleetJobTarget.Status.RUNNING).count()
        claimed = list(targets.filter(status=FleetJobTarget.Status.QUEUED).values_list("pk", flat=True)[: max(free, 0)])
        if claimed:
            targets.filter(pk__in=claimed).update(status=FleetJobTarget.Status.RUNNING, started_at=timezone.now())
        elif not targets.filter(status__in=(FleetJobTarget.Status.QUEUED, FleetJobTarget.Status.RUNNING)).exists():
            FleetJob.objects.filter(pk=job.pk).update(status=FleetJob.Status.FINISHED, finished_at=timezone.now())
            _progress_tell(job.pk)
    for target_id in claimed:
        tasks.enqueue(tasks.fleet_target_run, target_id)
    return claimed


def fleet_target_run(*, target_id: int) -> None:
    """Run the job's command on one charger and keep its answer or error."""
    target = FleetJobTarget.objects.select_related("job", "charger").get(pk=target_id)
    if target.status != FleetJobTarget.Status.RUNNING:
        return
    job = target.job
    requester = Requester(
        source=Command.Source.TASK, description=f"fleet job {job.pk} ({job.requested_by})", api_key_id=job.api_key_id,
        user_id=job.user_id,
    )  # fmt: skip
    try:
        answer = services.command_run(
            charger=target.charger, command=job.neutral_command, params=dict(job.params), requester=requester
        )
        outcome = {"status": FleetJobTarget.Status.DONE, "answer": answer, "command_id": answer["commandId"]}
    except CommandFailed as failure:
        outcome = {"status": FleetJobTarget.Status.FAILED, "error_code": failure.code, "error": str(failure)[:255]}
    except Exception as failure:  # never leave the target running: the job would wait for it
        log.exception("fleet job %s on %s failed", job.pk, target.charger)
        outcome = {"status": FleetJobTarget.Status.FAILED, "error_code": "internal_error", "error": repr(failure)[:255]}
    _target_finish(target, job, **outcome)
    fleet_job_advance(job_id=job.pk)


def _target_finish(target: FleetJobTarget, job: FleetJob, *, status: str, **fields) -> None:
    with transaction.atomic():
        if FleetJobTarget.objects.filter(pk=target.pk, status=FleetJobTarget.Status.RUNNING).update(
            status=status, finished_at=timezone.now(), **fields
        ):
            counter = "done" if status == FleetJobTarget.Status.DONE else "failed"
            FleetJob.objects.filter(pk=job.pk).update(**{counter: F(counter) + 1})
            _progress_tell(job.pk)


def _progress_tell(job_id: int) -> None:
    """The job's counts as they stand in this transaction, to its live page once committed."""
    row = FleetJob.objects.filter(pk=job_id).values("organisation_id", "status", "total", "done", "failed").first()
    if row is not None:
        events.fleet_job_progressed(job_id=job_id, **row)


def fleet_jobs_resume(*, now=None) -> int:
    """Targets whose worker died mid-command fail; running jobs are advanced (a lost enqueue is not fatal)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.CSMS_COMMAND_TIMEOUT + settings.CSMS_COMMAND_SWEEP_MARGIN)
    stuck = FleetJobTarget.objects.filter(status=FleetJobTarget.Status.RUNNING, started_at__lt=cutoff)
    for target in stuck.select_related("job"):
        _target_finish(target, target.job, status=FleetJobTarget.Status.FAILED, error_code="timeout",
                       error="abandoned: the worker running it stopped")  # fmt: skip
    running = list(FleetJob.objects.filter(status=FleetJob.Status.RUNNING).values_list("pk", flat=True))
    for job_id in running:
        fleet_job_advance(job_id=job_id)
    return len(running)
