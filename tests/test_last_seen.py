"""Chargers' last-seen times: written behind their frames, a fleet's in one statement, never moved back."""

import asyncio
import time
from datetime import timedelta

import psycopg
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chargers.models import Charger
from chargers.services.presence import SEEN_PER_STATEMENT, chargers_seen
from ocpp_ws.consumer import write_last_seen
from ocpp_ws.write_behind import WriteBehind
from tests.conftest import database_url, eventually, start_server
from tests.ocpp_rpc import strict_charger


def fleet(organisation, count: int) -> list[Charger]:
    return Charger.objects.bulk_create(
        Charger(organisation=organisation, charge_box_id=f"CP-{n:04d}") for n in range(count)
    )


def updates(queries: CaptureQueriesContext) -> int:
    return sum(query["sql"].lstrip().upper().startswith("UPDATE") for query in queries)


def test_the_chargers_seen_within_the_flush_interval_are_written_in_one_statement(transactional_db, acme):
    first, second, third = fleet(acme, 3)
    handed_over = []

    async def hand_over(batch):  # what would go to the database workers
        handed_over.append(batch)

    seen = WriteBehind(write_last_seen, interval=0.5, size=500, what="last-seen times")
    seen.hand_over = hand_over
    earliest = timezone.now()

    async def frames():
        for charger, at in ((second, earliest + timedelta(seconds=0.2)), (first, earliest), (third, earliest)):
            seen.add((charger.pk, at))
        await asyncio.sleep(0.7)

    asyncio.run(frames())
    assert [len(batch) for batch in handed_over] == [3]  # one hand-over after the flush interval
    with CaptureQueriesContext(connection) as queries:
        assert write_last_seen(batch=handed_over[0]) == 3
    assert updates(queries) == 1
    # Each is shown seen at the batch's earliest time: behind by at most the flush interval, never ahead.
    assert set(Charger.objects.values_list("last_seen_at", flat=True)) == {earliest}


def test_a_fleet_larger_than_one_statement_takes_one_per_chunk(transactional_db, acme):
    chargers = fleet(acme, SEEN_PER_STATEMENT + 1)
    at = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        assert chargers_seen(charger_ids={c.pk for c in chargers}, at=at) == len(chargers)
    assert updates(queries) == 2
    assert Charger.objects.filter(last_seen_at=at).count() == len(chargers)


def test_a_last_seen_time_is_never_moved_back(transactional_db, acme):
    newer, never_seen = fleet(acme, 2)
    at = timezone.now()
    # A heartbeat wrote a later time in its own transaction before this batch was written.
    Charger.objects.filter(pk=newer.pk).update(last_seen_at=at + timedelta(seconds=1))
    assert chargers_seen(charger_ids={newer.pk, never_seen.pk}, at=at) == 1
    newer.refresh_from_db()
    never_seen.refresh_from_db()
    assert newer.last_seen_at == at + timedelta(seconds=1)
    assert never_seen.last_seen_at == at


@pytest.mark.postgres
@pytest.mark.parametrize(
    "other, written",
    [
        # Another worker's batch writing this charger (its Heartbeat), not yet committed: skipped, not waited
        # for (waiting while holding the others' rows deadlocked with the frame workers' batches).
        ("UPDATE chargers_charger SET last_heartbeat_at = now() WHERE id = %s", False),
        # A batch committing rows that refer to the charger: its foreign-key check's lock. Written.
        ("SELECT 1 FROM chargers_charger WHERE id = %s FOR KEY SHARE", True),
    ],
)
def test_a_charger_row_that_another_transaction_writes_is_skipped(transactional_db, acme, other, written):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: no row locks to wait for")
    held, free = fleet(acme, 2)
    at = timezone.now()
    with psycopg.connect(database_url()) as other_transaction:
        other_transaction.execute(other, [held.pk])
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            assert chargers_seen(charger_ids={held.pk, free.pk}, at=at) == 1 + written
        other_transaction.rollback()
    assert Charger.objects.get(pk=free.pk).last_seen_at == at
    assert Charger.objects.get(pk=held.pk).last_seen_at == (at if written else None)


@pytest.mark.node
def test_a_charger_s_frames_refresh_its_last_seen_time(tmp_path, transactional_db, charger):
    server = start_server(tmp_path, CSMS_PRESENCE_WRITE_INTERVAL="0.5")
    try:
        with strict_charger(server.ws, "CP-1") as cp:
            admitted = eventually(lambda: Charger.objects.get(pk=charger.pk).last_seen_at)
            time.sleep(0.6)
            # A StatusNotification writes no last_seen_at of its own.
            cp.call("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"})
            eventually(lambda: Charger.objects.get(pk=charger.pk).last_seen_at > admitted, timeout=5)
    finally:
        server.stop()
