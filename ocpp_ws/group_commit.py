"""Charger frames' database work: worker threads that commit many frames at once.

A fleet sends a steady trickle of small writes. Committing each on its own makes
every frame wait for a disk flush, one after another; here each worker takes every
frame queued at that moment and runs them in one transaction (one flush), so
batches grow with the load and cost nothing when the fleet is quiet. A frame is
answered only after its transaction has committed, so nothing is acknowledged to a
charger that is not stored. If a batch fails, it is rolled back and its frames are
run again one by one, each with the savepoints of its own atomic blocks, so that only
the faulty one fails; a frame alone in its batch fails at once with its own error (a
database error gets one more try on a new connection).

Each worker keeps a database connection of its own, outside the connection pool, and
replaces it after an error: while the database is down a frame fails at once (the
charger is told so and retries) instead of waiting for the pool, and the first frame
after the database is back reconnects at once.
"""

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from typing import Any, NamedTuple

from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
    transaction,
)
from django.db.utils import load_backend

from chargers import events
from csms import metrics

log = logging.getLogger(__name__)

MAX_BATCH = 200


class Job(NamedTuple):
    function: Callable[..., Any]
    kwargs: dict
    future: asyncio.Future
    alone: bool


class GroupCommit:
    def __init__(self, *, workers: int, max_batch: int = MAX_BATCH):
        self.workers = workers
        self.max_batch = max_batch
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.started_for: asyncio.AbstractEventLoop | None = None
        self.start_lock = threading.Lock()
        metrics.read_at_scrape(
            "csms_db_frames_queued", "Charger frames waiting for a frame worker.", [], lambda: {(): self.jobs.qsize()}
        )

    async def run(self, function: Callable[..., Any], /, *, alone: bool = False, **kwargs) -> Any:
        """Run `function(**kwargs)` in a transaction on a worker; its result once committed.

        `alone`: in a transaction of its own, after the batch it was taken with, for work that
        locks many rows (a fleet's): a batch would hold those locks until all its frames are done.
        """
        loop = asyncio.get_running_loop()
        if self.started_for is not loop:
            self._start(loop)
        future = loop.create_future()
        self.jobs.put(Job(function, kwargs, future, alone))
        return await future

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        with self.start_lock:
            if self.started_for is loop:
                return
            for number in range(self.workers):
                threading.Thread(target=self._work, args=(loop,), name=f"ocpp-db-{number}", daemon=True).start()
            self.started_for = loop

    def _work(self, loop: asyncio.AbstractEventLoop) -> None:
        events.deliver_on(loop)
        _connection_of_its_own()
        while True:
            batch = [self.jobs.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self.jobs.get_nowait())
                except queue.Empty:
                    break
            frames = [job for job in batch if not job.alone]
            alone = [job for job in batch if job.alone]
            started = time.perf_counter()
            outcomes = self._run_batch(frames) if frames else []
            if frames:
                metrics.COMMIT_SECONDS.observe(time.perf_counter() - started)
                metrics.BATCH_SIZE.labels("frames").observe(len(frames))
            outcomes += [self._run_alone(job.function, job.kwargs) for job in alone]
            # One wakeup of the event loop for the whole batch, not one per frame.
            loop.call_soon_threadsafe(
                _settle, [(job.future, *outcome) for job, outcome in zip(frames + alone, outcomes, strict=True)]
            )

    def _run_batch(self, batch: list[Job]) -> list[tuple[bool, Any]]:
        # A batch of one frame too: a quiet fleet's frames come one at a time.
        try:
            return _committed(lambda: [(True, job.function(**job.kwargs)) for job in batch], savepoints=False)
        except _Unsaved:
            pass  # a frame caught an error: each runs again alone, with its savepoints
        except (InterfaceError, OperationalError) as error:
            close_old_connections()
            if len(batch) == 1:  # that was its first try
                return [self._run_alone(batch[0].function, batch[0].kwargs, attempts=1, error=error)]
        except Exception as error:
            if len(batch) == 1:  # its own error: running it again would only repeat it
                close_old_connections()
                return [(False, error)]
        if len(batch) > 1:
            log.info("a batch of %d failed; running its frames one by one", len(batch))
        return [self._run_alone(job.function, job.kwargs) for job in batch]

    def _run_alone(
        self, function: Callable[..., Any], kwargs: dict, *, attempts: int = 2, error: Exception | None = None
    ) -> tuple[bool, Any]:
        for _ in range(attempts):
            try:
                return True, _committed(lambda: function(**kwargs))
            except (InterfaceError, OperationalError) as failure:
                # The connection may have died with the database (a restart): a second try
                # runs on a new one, so that only a database that is still down fails the frame.
                close_old_connections()
                error = failure
            except Exception as failure:
                close_old_connections()
                return False, failure
        return False, error


class _Unsaved(Exception):
    """The transaction can only roll back although no error reached it: a frame caught one."""


def _committed(work: Callable[[], Any], *, savepoints: bool = True) -> Any:
    """`work()` in one transaction; its result once committed.

    Nothing is acknowledged that the database did not keep: a transaction that a caught error
    left unable to commit (Django's needs_rollback, or PostgreSQL's failed state, where COMMIT
    quietly rolls back) raises _Unsaved. Once committed, the result stands: a callback that fails
    after the commit (on_commit: a task or webhook to enqueue) is logged, since running the
    frames again would store them twice.
    """
    committed = []
    try:
        with transaction.atomic(), nullcontext() if savepoints else _no_savepoints():
            transaction.on_commit(lambda: committed.append(True))
            result = work()
            if _spoiled(connections[DEFAULT_DB_ALIAS]):
                raise _Unsaved("a caught database error left the transaction unable to commit")
    except Exception:
        if not committed:
            raise
        log.exception("after a commit, one of its on_commit callbacks failed")
    return result


def _spoiled(connection) -> bool:
    if connection.needs_rollback:
        return True
    if connection.vendor != "postgresql" or connection.connection is None:
        return False
    from psycopg.pq import TransactionStatus

    return connection.connection.info.transaction_status == TransactionStatus.INERROR


@contextmanager
def _no_savepoints():
    """Inside a batch, the services' own atomic blocks open no savepoints.

    A savepoint and its release are two statements for every block of every frame, and a
    batch gains nothing from them: whatever fails in it, the whole batch is run again frame by
    frame, each with its savepoints as usual. An error inside such a block leaves the batch's
    transaction to be rolled back (Django's rule for a block without a savepoint); if a frame
    caught that error and the batch went on, _committed sees it and the frames run again alone.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    # The one question Django's atomic blocks ask every backend before opening a savepoint.
    connection._savepoint_allowed = lambda: False
    try:
        yield
    finally:
        del connection._savepoint_allowed  # the backend's own answer again


def _connection_of_its_own() -> None:
    """This thread's database connection, outside the pool (if any), as the database is configured."""
    configured = connections.settings[DEFAULT_DB_ALIAS]
    options = configured.get("OPTIONS", {})
    if "pool" in options:
        # Kept for good (CONN_MAX_AGE None): replaced only when an error left it unusable.
        own = {**configured, "CONN_MAX_AGE": None, "OPTIONS": {k: v for k, v in options.items() if k != "pool"}}
        connections[DEFAULT_DB_ALIAS] = load_backend(own["ENGINE"]).DatabaseWrapper(own, DEFAULT_DB_ALIAS)


def _settle(outcomes: list[tuple[asyncio.Future, bool, Any]]) -> None:
    for future, ok, value in outcomes:
        if future.cancelled():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


# This process's frame workers: every charger consumer's database work, and the writes behind it
# (ocpp_ws/write_behind.py). They start with the first job, on that job's event loop.
frames_db = GroupCommit(workers=settings.CSMS_DB_WORKERS)
