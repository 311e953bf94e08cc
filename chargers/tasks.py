"""Celery tasks of the fleet: thin wrappers over chargers.services (scheduled by beat where configured)."""

from celery import shared_task

from chargers.services import history, presence
from charging.services import reservations, transactions
from commands import site_limits as smart_charging


@shared_task(name="chargers.tasks.reservations_expire")
def reservations_expire() -> int:
    return reservations.reservations_expire()


@shared_task(name="chargers.tasks.site_rebalance")
def site_rebalance(*, site_id: int) -> int:
    """Returns how many sessions share the site."""
    return len(smart_charging.site_rebalance(site_id=site_id))


@shared_task(name="chargers.tasks.charging_profiles_restore")
def charging_profiles_restore(*, charger_id: int) -> int:
    return smart_charging.charging_profiles_restore(charger_id=charger_id)


@shared_task(name="chargers.tasks.transactions_flag_suspect")
def transactions_flag_suspect() -> int:
    return transactions.transactions_flag_suspect()


@shared_task(name="chargers.tasks.chargers_offline_sweep")
def chargers_offline_sweep() -> int:
    return presence.chargers_offline_sweep()


@shared_task(name="chargers.tasks.history_prune")
def history_prune() -> dict:
    return history.history_prune()
