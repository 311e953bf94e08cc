"""Celery tasks of sessions: thin wrappers over charging.services (scheduled by beat where configured).

They keep the names they had in chargers.tasks (see there).
"""

from celery import shared_task

from charging.services import history, reservations, transactions


@shared_task(name="chargers.tasks.reservations_expire")
def reservations_expire() -> int:
    return reservations.reservations_expire()


@shared_task(name="chargers.tasks.transactions_flag_suspect")
def transactions_flag_suspect() -> int:
    return transactions.transactions_flag_suspect()


@shared_task(name="chargers.tasks.history_prune")
def history_prune() -> dict:
    return history.history_prune()
