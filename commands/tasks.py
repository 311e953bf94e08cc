"""Background work of commands: async commands, fleet jobs, job follow-ups, sweeps. Thin over services."""

import logging
import uuid

from celery import shared_task

from chargers.models import Charger
from chargers.services import jobs
from commands import fleet, services, site_limits, sweeps
from commands.bus import BusUnavailable, ChargerOffline, CommandFailed, Requester
from commands.models import Command
from csms.celery import enqueue
from csms.retention import removed_report

__all__ = ["enqueue"]

log = logging.getLogger(__name__)

TRIGGERS = {"FirmwareJob": "FirmwareStatusNotification", "DiagnosticsJob": "DiagnosticsStatusNotification"}
# A job the 1.6 Security Whitepaper's commands started is followed up with its ExtendedTriggerMessage: TriggerMessage
# cannot ask for a LogStatusNotification or a SignedFirmwareStatusNotification (2.0.1 reads both as TriggerMessage).
EXTENDED_TRIGGERS = {"GetLog": "LogStatusNotification", "SignedUpdateFirmware": "FirmwareStatusNotification"}


def follow_up_of(job) -> tuple[str, str]:
    """The command, and the message it asks for, that makes a silent job's charger report its status."""
    started_by = job.command.action if job.command_id else ""
    if started_by in EXTENDED_TRIGGERS:
        return "extended_trigger", EXTENDED_TRIGGERS[started_by]
    return "trigger", TRIGGERS[type(job).__name__]


def _run_async(run, charger_id: int, requester: dict, command_id: str, **what) -> None:
    """An async command's run on a worker: its outcome is on the Command row, a failure only logged here."""
    try:
        run(
            charger=Charger.objects.get(pk=charger_id),
            requester=Requester(**requester),
            command_id=uuid.UUID(command_id),
            **what,
        )
    except CommandFailed as failure:
        log.info("async command %s: %s", command_id, failure)


@shared_task(name="commands.tasks.command_run")
def command_run(charger_id: int, command: str, params: dict, requester: dict, command_id: str) -> None:
    _run_async(services.command_run, charger_id, requester, command_id, command=command, params=params)


@shared_task(name="commands.tasks.action_run")
def action_run(charger_id: int, action: str, payload: dict, requester: dict, command_id: str) -> None:
    _run_async(services.action_run, charger_id, requester, command_id, action=action, payload=payload)


@shared_task(name="commands.tasks.fleet_job_advance")
def fleet_job_advance(job_id: int) -> None:
    fleet.fleet_job_advance(job_id=job_id)


@shared_task(name="commands.tasks.fleet_target_run")
def fleet_target_run(target_id: int) -> None:
    fleet.fleet_target_run(target_id=target_id)


# Sweeps: each is its service, registered under the name the beat schedule gives it.
fleet_jobs_resume = shared_task(name="commands.tasks.fleet_jobs_resume")(fleet.fleet_jobs_resume)
commands_abandoned_sweep = shared_task(name="commands.tasks.commands_abandoned_sweep")(
    sweeps.commands_abandoned_time_out
)


@shared_task(name="commands.tasks.jobs_follow_up")
def jobs_follow_up() -> int:
    """Ask chargers silent about a firmware/diagnostics job for its status; time out jobs past their deadline."""
    for job in jobs.jobs_to_ask():
        command, requested = follow_up_of(job)
        try:
            services.command_run(
                charger=job.charger,
                command=command,
                params={"requestedMessage": requested},
                requester=Requester(source=Command.Source.TASK, description=f"follow-up of {job}"),
            )
        except (ChargerOffline, BusUnavailable) as failure:
            # Never asked: a later sweep asks, once the charger is back or from the node holding its socket.
            jobs.job_follow_up_released(job=job)
            log.info("could not ask %s for %s yet: %s", job.charger, requested, failure)
        except CommandFailed as failure:
            log.info("could not ask %s for %s: %s", job.charger, requested, failure)
    return jobs.jobs_time_out()


@shared_task(name="commands.tasks.commands_prune")
def commands_prune() -> dict:
    return removed_report(job="command log prune", removed={"commands": sweeps.commands_prune()})


# Site limits: they keep the names they had in chargers.tasks (see there).


@shared_task(name="chargers.tasks.site_rebalance")
def site_rebalance(*, site_id: int) -> int:
    """Returns how many sessions share the site."""
    return len(site_limits.site_rebalance(site_id=site_id))


@shared_task(name="chargers.tasks.charging_profiles_restore")
def charging_profiles_restore(*, charger_id: int) -> int:
    return site_limits.charging_profiles_restore(charger_id=charger_id)
