"""Celery tasks of the fleet: thin wrappers over chargers.services (scheduled by beat where configured)."""

from celery import shared_task

from chargers.services import transactions


@shared_task(name="chargers.tasks.transactions_flag_suspect")
def transactions_flag_suspect() -> int:
    return transactions.transactions_flag_suspect()
