"""Chargers' last-seen times: written behind their frames, a fleet's in one statement, never moved back."""

import asyncio
from datetime import timedelta

from django.utils import timezone

from chargers.models import Charger
from chargers.services.presence import SEEN_PER_STATEMENT, chargers_seen
from ocpp_ws.consumer import write_last_seen
from ocpp_ws.write_behind import WriteBehind


def fleet(organisation, count: int) -> list[Charger]:
    return Charger.objects.bulk_create(
        Charger(organisation=organisation, charge_box_id=f"CP-{n:04d}") for n in range(count)
    )


def test_the_chargers_seen_within_the_flush_interval_are_written_in_one_statement(
    transactional_db, acme, django_assert_num_queries
):
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
    with django_assert_num_queries(1):
        assert write_last_seen(batch=handed_over[0]) == 3
    # Each is shown seen at the batch's earliest time: behind by at most the flush interval, never ahead.
    assert set(Charger.objects.values_list("last_seen_at", flat=True)) == {earliest}


def test_a_fleet_larger_than_one_statement_takes_one_per_chunk(transactional_db, acme, django_assert_num_queries):
    chargers = fleet(acme, SEEN_PER_STATEMENT + 1)
    at = timezone.now()
    with django_assert_num_queries(2):
        assert chargers_seen(charger_ids={c.pk for c in chargers}, at=at) == len(chargers)
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
