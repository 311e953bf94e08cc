"""Background work started by domain services: a Celery task, once the caller's transaction has committed.

Charger frames commit on the frames' database worker threads, which must never wait on a charger.
With a broker (REDIS_URL) the task goes to a Celery worker; without one (eager mode) it runs on a
short-lived thread of this process instead of the committing thread.
"""

import threading

from django.conf import settings
from django.db import connection, transaction
from django.utils.module_loading import import_string


def task_after_commit(task: str, **kwargs) -> None:
    """Run the Celery task at dotted path `task` with `kwargs` once the current transaction commits.

    By path, because the tasks send commands, and the command bus imports the charger adapters,
    which import the services that call this.
    """
    transaction.on_commit(lambda: _start(task, kwargs))


def _start(path: str, kwargs: dict) -> None:
    task = import_string(path)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        threading.Thread(target=_run_eagerly, args=(task, kwargs), name=f"task-{task.name}", daemon=True).start()
    else:
        task.delay(**kwargs)


def _run_eagerly(task, kwargs: dict) -> None:
    try:
        task.apply(kwargs=kwargs)
    finally:
        connection.close()
