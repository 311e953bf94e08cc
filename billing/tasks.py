"""Celery tasks of billing: thin wrappers over its services (scheduled by beat)."""

from celery import shared_task

from billing import running_costs


@shared_task(name="billing.tasks.running_costs_send")
def running_costs_send() -> int:
    return running_costs.running_costs_send()
