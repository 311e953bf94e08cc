"""Background work started by domain services: a Celery task, once the caller's transaction has committed.

Charger frames commit on the frames' database worker threads, which must never wait on a charger;
`csms.celery.enqueue` runs the task on a worker (REDIS_URL set) or on a thread of this server process.
"""

from django.db import transaction
from django.utils.module_loading import import_string

from csms.celery import enqueue


def task_after_commit(task: str, **kwargs) -> None:
    """Run the Celery task at dotted path `task` with `kwargs` once the current transaction commits.

    By path, because the tasks send commands, and the command bus imports the charger adapters,
    which import the services that call this.
    """
    # robust: a broker that is down fails the task, logged, and neither what committed nor the
    # callbacks after this one.
    transaction.on_commit(lambda: enqueue(import_string(task), **kwargs), robust=True)
