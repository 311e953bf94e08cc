"""Celery tasks of sessions: thin wrappers over charging.services (scheduled by beat where configured).

They keep the names they had in chargers.tasks (see there).
"""

from celery import shared_task

from charging.services import history, reservations, transactions
from csms.retention import removed_report

# Sweeps: each is its service, registered under the name the beat schedule gives it.
reservations_expire = shared_task(name="chargers.tasks.reservations_expire")(reservations.reservations_expire)
transactions_flag_suspect = shared_task(name="chargers.tasks.transactions_flag_suspect")(
    transactions.transactions_flag_suspect
)


@shared_task(name="chargers.tasks.history_prune")
def history_prune() -> dict:
    return removed_report(job="history prune", removed=history.history_prune())
