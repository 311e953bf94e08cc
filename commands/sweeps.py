"""Sweeps over the command log: commands a dead process left open, and old history."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from chargers import events
from charging.services.history import history_cutoff
from commands.models import Command
from commands.outcomes import OPEN


def commands_abandoned_time_out(*, now=None) -> int:
    """Commands still pending/sent long after any caller stopped waiting: their process died. Mark them timeout.

    Idempotent (a conditional update per row), so concurrent sweeps tell command.completed once.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.CSMS_COMMAND_TIMEOUT + settings.CSMS_COMMAND_SWEEP_MARGIN)
    count = 0
    for command in Command.objects.filter(status__in=OPEN, created_at__lt=cutoff).only("pk", "charger_id", "action"):
        description = "no answer: the process that sent it stopped"
        if Command.objects.filter(pk=command.pk, status__in=OPEN).update(
            status=Command.Status.TIMEOUT, error_description=description
        ):
            count += 1
            events.command_completed(
                charger_id=command.charger_id,
                data={"commandId": str(command.pk), "action": command.action, "status": "timeout",
                      "response": None, "errorCode": "timeout", "errorDescription": description},
            )  # fmt: skip
    return count


def commands_prune(*, now=None) -> int:
    cutoff = history_cutoff(now=now)
    if cutoff is None:
        return 0
    return Command.objects.filter(created_at__lt=cutoff).exclude(status__in=OPEN).delete()[0]
