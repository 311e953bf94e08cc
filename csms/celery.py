"""The Celery app, and how background work runs without a broker.

With REDIS_URL set, tasks go to Redis: `celery -A csms worker` runs them and `celery -A csms beat`
runs CELERY_BEAT_SCHEDULE. With REDIS_URL unset (the embedded default) there is no worker: each
server process runs the same schedule itself (`embedded_start`, from csms/asgi.py) and `enqueue` hands tasks to
threads of the server's event loop, so that the request or the charger frame that asked goes on.
Every scheduled task is a sweep written to be idempotent: several server processes may run it
against one database at the same time.
"""

import asyncio
import logging
import os
import threading
import time

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csms.settings")

app = Celery("csms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

log = logging.getLogger(__name__)

# The event loop of this server process, once it serves its first connection (embedded mode only).
_loop: asyncio.AbstractEventLoop | None = None
_missing: set[str] = set()
_import_lock = threading.Lock()
# Tasks run at once in a server process (embedded mode), as many as the event loop's own executor ran.
_task_slots = asyncio.Semaphore(min(32, (os.cpu_count() or 1) + 4))


def _task(name: str):
    """The registered task called `name`, importing the apps' tasks modules first (a worker does so at start)."""
    if name not in app.tasks:
        # Celery's loader returns nothing to a call that overlaps a discovery still running (its race
        # protection): the beat's first tasks, looked up at the same time, were skipped.
        with _import_lock:
            app.loader.import_default_modules()
    return app.tasks.get(name)


def _run_task(name: str, args: tuple, kwargs: dict) -> None:
    """Run a task in this thread, as a worker would (eagerly), then give back the database connection."""
    from django.db import close_old_connections, connection

    close_old_connections()
    try:
        task = _task(name)
        if task is None:
            if name not in _missing:  # a schedule may name tasks of apps not installed
                _missing.add(name)
                log.warning("task %s is not registered: skipped", name)
            return
        result = task.apply(args=args, kwargs=kwargs)
        if result.failed():
            log.error("task %s failed: %r", name, result.result)
    except Exception:
        log.exception("task %s failed", name)
    finally:
        connection.close()


def _on_loop(name: str, args: tuple, kwargs: dict) -> None:
    _loop.create_task(_run_task_on_a_thread(name, args, kwargs))


async def _run_task_on_a_thread(name: str, args: tuple, kwargs: dict) -> None:
    from asgiref.sync import sync_to_async

    from csms.request_threads import RequestThread

    # A thread, not the loop itself: tasks do database and network I/O. Inside it, the command bus's
    # async_to_sync runs on this loop, beside the chargers' sockets. A daemon thread of its own, not
    # one of the loop's executor: the interpreter joins those at exit, and one waiting for a charger's
    # answer on the loop that stopped with SIGTERM held the process for ever.
    async with _task_slots:
        thread = RequestThread(f"task-{name}")
        try:
            await sync_to_async(_run_task, thread_sensitive=False, executor=thread)(name, args, kwargs)
        finally:
            thread.shutdown()


def enqueue(task, *args, countdown: float = 0, **kwargs) -> None:
    """Run `task` in the background: on a worker (REDIS_URL set) or on a thread of this server process.

    Without a broker and outside a server process (tests, management commands) the task runs
    here and now, as Celery's eager mode would.
    """
    from django.conf import settings

    if not settings.CELERY_TASK_ALWAYS_EAGER:
        task.apply_async(args=args, kwargs=kwargs, countdown=countdown or None)
        return
    if _loop is None or _loop.is_closed():
        if countdown:
            time.sleep(min(countdown, 1.0))
        _run_task(task.name, args, kwargs)
        return
    if countdown:
        _loop.call_soon_threadsafe(_loop.call_later, countdown, _on_loop, task.name, args, kwargs)
    else:
        _loop.call_soon_threadsafe(_on_loop, task.name, args, kwargs)


def _beat() -> None:
    """CELERY_BEAT_SCHEDULE, run by this server process: each entry every `schedule` seconds."""
    from django.conf import settings

    schedule = settings.CELERY_BEAT_SCHEDULE
    due = {name: time.monotonic() + entry["schedule"] for name, entry in schedule.items()}
    while True:
        time.sleep(min(max(min(due.values()) - time.monotonic(), 0.05), 5.0))
        now = time.monotonic()
        for name, entry in schedule.items():
            if due[name] > now:
                continue
            due[name] = now + entry["schedule"]
            args, kwargs = tuple(entry.get("args", ())), dict(entry.get("kwargs", {}))
            if _loop is not None and not _loop.is_closed():
                _loop.call_soon_threadsafe(_on_loop, entry["task"], args, kwargs)
            else:  # no connection served yet: no charger to talk to, the sweep runs here
                _run_task(entry["task"], args, kwargs)


def embedded_start(application):
    """The embedded default's background work for one server process: the beat, and the loop for tasks."""
    from django.conf import settings

    # The apps' tasks, imported now as a worker imports them at its start (75 modules, about 0.1 s):
    # imported by the first sweep, a minute after the start, they held the requests of that moment
    # up (API p99 100-130 ms on PostgreSQL, bench/README.md's twelfth round).
    app.loader.import_default_modules()
    if settings.CSMS_EMBEDDED_BEAT and settings.CELERY_BEAT_SCHEDULE:
        threading.Thread(target=_beat, name="embedded-beat", daemon=True).start()
    return LoopCapture(application)


class LoopCapture:
    """ASGI wrapper: remember the server's event loop on its first connection, for `enqueue`."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        global _loop
        if _loop is None:
            _loop = asyncio.get_running_loop()
        return await self.application(scope, receive, send)
