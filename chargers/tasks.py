"""Periodic sweeps over the fleet's data: thin over chargers.services (scheduled in CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from chargers.services import history, presence


@shared_task(name="chargers.tasks.chargers_offline_sweep")
def chargers_offline_sweep() -> int:
    return presence.chargers_offline_sweep()


@shared_task(name="chargers.tasks.history_prune")
def history_prune() -> dict:
    return history.history_prune()
