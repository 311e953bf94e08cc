"""The frame workers' database work (ocpp_ws/group_commit.py)."""

import asyncio
import threading

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from accounts.models import Organisation
from ocpp_ws.group_commit import GroupCommit


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def refused() -> None:
    raise ValueError("a frame its handler refuses")


@pytest.mark.postgres
def test_a_refused_frame_leaves_the_workers_own_connection_open(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("the workers' own connections (outside the pool) are PostgreSQL's")
    commit = GroupCommit(workers=1)

    async def scenario() -> tuple[int, int]:
        before = await commit.run(backend_pid)
        with pytest.raises(ValueError):
            await commit.run(refused)
        return before, await commit.run(backend_pid)

    before, after = asyncio.run(scenario())
    assert after == before  # the same PostgreSQL backend: no reconnection for a frame's own error


def in_one_batch(commit: GroupCommit, *frames, alone=()) -> list:
    """Run `frames` on `commit` as one batch (a first frame holds the worker until all are queued),
    and the work `alone` taken with them; their results, or the exceptions they ended with."""

    async def scenario() -> list:
        entered, gate = threading.Event(), threading.Event()

        def holding() -> None:
            entered.set()
            gate.wait(10)

        held = asyncio.ensure_future(commit.run(holding))
        await asyncio.get_running_loop().run_in_executor(None, entered.wait, 10)
        queued = [asyncio.ensure_future(commit.run(frame)) for frame in frames]
        queued += [asyncio.ensure_future(commit.run(work, alone=True)) for work in alone]
        await asyncio.sleep(0.05)  # every frame queued behind the held one
        gate.set()
        await held
        return await asyncio.gather(*queued, return_exceptions=True)

    return asyncio.run(scenario())


def organisation_added(name: str, statements: list[str]):
    """A frame adding an organisation in an atomic block of its own, as services do; it notes its SQL."""

    def frame() -> str:
        def noted(execute, sql, params, many, context):
            statements.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(noted), transaction.atomic():
            Organisation.objects.create(name=name)
        return name

    return frame


def test_a_batch_runs_its_frames_in_one_transaction_without_savepoints(transactional_db):
    statements: list[str] = []
    names = [f"org-{n}" for n in range(5)]
    results = in_one_batch(GroupCommit(workers=1), *(organisation_added(name, statements) for name in names))

    assert results == names
    assert sorted(Organisation.objects.filter(name__in=names).values_list("name", flat=True)) == names
    assert [sql for sql in statements if "SAVEPOINT" in sql.upper()] == []
    assert len([sql for sql in statements if sql.upper().startswith("INSERT")]) == 5


def test_a_frame_that_catches_an_error_inside_a_batch_does_not_lose_the_others(transactional_db):
    Organisation.objects.create(name="taken")

    def catching() -> str:
        try:
            with transaction.atomic():
                Organisation.objects.create(name="taken")
        except IntegrityError:
            return "caught"
        return "stored"

    # Last in its batch: nothing after it would have run into the spoiled transaction.
    results = in_one_batch(GroupCommit(workers=1), organisation_added("first", []), catching)

    assert results == ["first", "caught"]
    assert Organisation.objects.filter(name="first").exists()


def test_a_failing_frame_fails_alone_and_the_rest_of_its_batch_is_stored(transactional_db):
    results = in_one_batch(
        GroupCommit(workers=1), organisation_added("kept", []), refused, organisation_added("too", [])
    )

    assert results[0] == "kept" and results[2] == "too"
    assert isinstance(results[1], ValueError)
    assert set(Organisation.objects.filter(name__in=["kept", "too"]).values_list("name", flat=True)) == {"kept", "too"}


def test_a_callback_failing_after_the_commit_leaves_the_frames_stored_once(transactional_db):
    def with_failing_callback() -> str:
        Organisation.objects.create(name="second")

        def enqueue() -> None:
            raise ConnectionError("the broker is down")

        transaction.on_commit(enqueue)
        return "second"

    results = in_one_batch(GroupCommit(workers=1), organisation_added("first", []), with_failing_callback)

    assert results == ["first", "second"]
    assert Organisation.objects.filter(name__in=["first", "second"]).count() == 2  # not run again


def test_a_frame_alone_that_fails_runs_once(transactional_db):
    runs = []

    def failing() -> None:
        runs.append(1)
        raise ValueError("a frame its handler refuses")

    commit = GroupCommit(workers=1)

    async def scenario():
        with pytest.raises(ValueError):
            await commit.run(failing)
        return await commit.run(lambda: "_savepoint_allowed" in connection.__dict__)

    savepoints_switched_off = asyncio.run(scenario())
    assert runs == [1]
    assert savepoints_switched_off is False  # a batch gives the connection back as Django made it


@pytest.mark.postgres
def test_a_frame_that_swallows_a_database_error_is_not_acknowledged(transactional_db):
    """PostgreSQL answers COMMIT with a rollback once a statement failed; the frame must not pass for stored."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps a transaction usable after a failed statement")

    def swallowing() -> str:
        Organisation.objects.create(name="lost")
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 / 0")
        except DatabaseError:
            pass
        return "stored, it says"

    results = in_one_batch(GroupCommit(workers=1), organisation_added("kept", []), swallowing)

    assert results[0] == "kept" and Organisation.objects.filter(name="kept").exists()
    assert isinstance(results[1], Exception) and not Organisation.objects.filter(name="lost").exists()


def transaction_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT txid_current()")
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_work_run_alone_is_committed_on_its_own_not_in_the_frames_batch(transactional_db):
    """The last-seen writer locks a fleet's rows: in a batch it would hold them until all its frames are done."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite numbers no transactions")
    first, second, alone = in_one_batch(GroupCommit(workers=1), transaction_id, transaction_id, alone=(transaction_id,))
    assert first == second  # the frames share one transaction
    assert alone not in (first, second)
