"""Celery tasks of the fleet's core: thin wrappers over chargers.services (scheduled by beat where configured).

Task names are the contract with queued messages and beat schedules of running deployments: a task
keeps its name when its code moves to another room (charging.tasks, commands.tasks).
"""

from celery import shared_task

from chargers.services import presence

# A sweep: its service, registered under the name the beat schedule gives it.
chargers_offline_sweep = shared_task(name="chargers.tasks.chargers_offline_sweep")(presence.chargers_offline_sweep)
