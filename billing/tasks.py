"""Celery tasks of billing: thin wrappers over its services (scheduled by beat)."""

from celery import shared_task

from billing import running_costs

# A sweep: its service, registered under the name the beat schedule gives it.
running_costs_send = shared_task(name="billing.tasks.running_costs_send")(running_costs.running_costs_send)
