"""When csms/memory.py runs its full collections: soon after a connection closes, rarely for finished requests,
and never for more than a share of the process's time."""

import asyncio
import time

import pytest

from csms import memory

# The module's delays, scaled down (its 2 s and 10 s become 0.1 s and 0.5 s).
AFTER, EVERY = 0.1, 0.5


@pytest.fixture
def collections(monkeypatch):
    """The loop times at which a full collection ran."""
    runs = []
    monkeypatch.setattr(memory, "COLLECT_AFTER", AFTER)
    monkeypatch.setattr(memory, "REQUESTS_COLLECT_EVERY", EVERY)
    monkeypatch.setattr(memory, "_scheduled", None)
    monkeypatch.setattr(memory, "_last_collected", float("-inf"))
    monkeypatch.setattr(memory, "_gap", 0.0)
    monkeypatch.setattr(memory.gc, "collect", lambda: runs.append(asyncio.get_running_loop().time()))
    return runs


def test_a_stream_of_finished_requests_brings_a_full_collection_only_every_so_often(collections):
    async def requests_for(seconds: float) -> float:
        loop = asyncio.get_running_loop()
        start = loop.time()
        while loop.time() < start + seconds:
            memory.connection_closed(request_only=True)
            await asyncio.sleep(0.01)
        return start

    start = asyncio.run(requests_for(1.0))
    # The first AFTER after the first request, the next EVERY after that one: two, not ten.
    assert len(collections) == 2
    assert collections[0] - start == pytest.approx(AFTER, abs=0.05)
    assert collections[1] - collections[0] == pytest.approx(EVERY, abs=0.05)


def test_a_closed_connection_brings_forward_the_collection_a_request_put_off(collections):
    async def scenario() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        memory.connection_closed(request_only=True)
        await asyncio.sleep(AFTER + 0.05)  # the first collection
        memory.connection_closed(request_only=True)  # due EVERY after it
        await asyncio.sleep(0.05)
        closed = loop.time()
        memory.connection_closed()  # a charger left: AFTER from now
        await asyncio.sleep(AFTER + 0.1)
        return closed

    closed = asyncio.run(scenario())
    assert len(collections) == 2
    assert collections[1] - closed == pytest.approx(AFTER, abs=0.05)


def test_long_collections_come_no_more_often_than_their_share_of_the_time_allows(collections, monkeypatch):
    pause = 0.03  # each collection's pause: at GC_TIME_SHARE 0.05, one every 0.6 s at the most

    def slow_collection():
        done = time.thread_time() + pause  # the processor's time, as a collection spends it
        while time.thread_time() < done:
            pass
        collections.append(asyncio.get_running_loop().time())

    monkeypatch.setattr(memory.gc, "collect", slow_collection)

    async def chargers_leaving_for(seconds: float) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        while loop.time() < start + seconds:
            memory.connection_closed()
            await asyncio.sleep(0.01)

    asyncio.run(chargers_leaving_for(1.5))
    # At 0.1 s (AFTER), then a pause and 0.6 s later, once or twice: every AFTER without the budget, about
    # fourteen. (A busy machine stretches a pause's wall time, never the 0.6 s.)
    assert 2 <= len(collections) <= 3
    for earlier, later in zip(collections, collections[1:], strict=False):
        assert pause / memory.GC_TIME_SHARE <= later - earlier < pause / memory.GC_TIME_SHARE + 0.25
