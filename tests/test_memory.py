"""Bounded memory: chargers that connect and leave, wave after wave, do not grow the server process."""

import asyncio

import pytest
import websockets

from chargers.models import Charger
from tests.conftest import eventually, start_server
from tests.raw_charger import RawCharger
from tests.test_operations import scrape, value

pytestmark = pytest.mark.slow

# The figure: 1,000 chargers connecting and leaving ten times, RSS after the tenth wave within
# 5 % of RSS after the first. Measured figures are in the README ("Operations").
CHARGERS = 1000
WAVES = 10
GROWTH = 0.05
CONCURRENCY = 25
# RSS keeps the high-water mark of what connections hold between their close and their last database
# write, which grows with the rate at which they close: waves at one steady pace compare like with like.
PER_SECOND = 200


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return int(status.read().split("VmRSS:")[1].split()[0])


async def wave(base: str, chargers: int) -> None:
    """Every charger connects, boots, sends a heartbeat and leaves."""
    gate = asyncio.Semaphore(CONCURRENCY)
    start = asyncio.get_running_loop().time()

    async def visit(number: int) -> None:
        await asyncio.sleep(start + number / PER_SECOND - asyncio.get_running_loop().time())
        async with gate:
            cp = await RawCharger.connect(base, f"MEM-{number}")
            try:
                assert (await cp.call("BootNotification", {"chargePointVendor": "A", "chargePointModel": "B"}))[0] == 3
                assert (await cp.call("Heartbeat", {}))[0] == 3
            finally:
                await cp.close()

    await asyncio.gather(*(visit(number) for number in range(chargers)))


def settled(http: str) -> dict:
    """Once the chargers have left: every consumer object freed (the check the README gives operators),
    and the full collection that follows closed connections (csms/memory.py) has run since."""
    eventually(lambda: value(scrape(http), "csms_charger_consumers_alive") == 0, timeout=15)

    def full_collections() -> float:
        return value(scrape(http), "python_gc_collections_total", generation="2")

    # That scrape's own connection closing is enough to bring the next collection.
    before = full_collections()
    eventually(lambda: full_collections() > before, timeout=15, interval=0.5)
    return scrape(http)


def collected(samples: dict) -> float:
    return sum(value(samples, "python_gc_objects_collected_total", generation=str(g)) for g in range(3))


def test_reconnect_waves_leave_the_process_no_bigger_and_free_every_connection(acme, tmp_path):
    Charger.objects.bulk_create([Charger(organisation=acme, charge_box_id=f"MEM-{n}") for n in range(CHARGERS)])
    live = start_server(tmp_path, CSMS_MESSAGE_LOG="off", CSMS_EMBEDDED_BEAT="false")
    try:
        after = []
        for _ in range(WAVES):
            asyncio.run(wave(live.ws, CHARGERS))
            samples = settled(live.http)
            after.append(rss_kib(live.process.pid))
    finally:
        live.stop()
    assert value(samples, "csms_chargers_connected", protocol="ocpp1.6") == 0
    assert (after[-1] - after[0]) / after[0] < GROWTH, f"RSS after each wave (KiB): {after}"


def test_a_closed_connection_is_freed_without_waiting_for_a_garbage_collection(acme, tmp_path):
    # Objects in reference cycles wait for a full collection: a connection must leave (almost) none.
    chargers = 200
    Charger.objects.bulk_create([Charger(organisation=acme, charge_box_id=f"MEM-{n}") for n in range(chargers)])
    live = start_server(tmp_path, CSMS_MESSAGE_LOG="off", CSMS_EMBEDDED_BEAT="false")
    try:
        asyncio.run(wave(live.ws, chargers))  # the first connections also fill the caches of the process
        before = collected(settled(live.http))
        asyncio.run(wave(live.ws, chargers))
        left_in_cycles = (collected(settled(live.http)) - before) / chargers
    finally:
        live.stop()
    assert left_in_cycles < 5, f"{left_in_cycles:.1f} objects in cycles per connection"


def test_an_http_request_is_freed_without_waiting_for_a_garbage_collection(transactional_db, tmp_path):
    # Every request's objects waited in cycles for the collector (about 150 each); the settling above
    # scrapes /metrics as often as it takes, and those requests' objects counted as the connections'.
    requests = 50
    live = start_server(tmp_path, CSMS_MESSAGE_LOG="off", CSMS_EMBEDDED_BEAT="false")
    try:
        before = collected(settled(live.http))
        for _ in range(requests):
            scrape(live.http)
        left_in_cycles = (collected(settled(live.http)) - before) / requests
    finally:
        live.stop()
    assert left_in_cycles < 5, f"{left_in_cycles:.1f} objects in cycles per request"


def test_a_refused_charger_leaves_nothing_behind(transactional_db, tmp_path):
    # A server of its own: the suite's shared one may still hold other tests' chargers.
    server = start_server(tmp_path, CSMS_MESSAGE_LOG="off", CSMS_EMBEDDED_BEAT="false")
    try:

        async def refused():
            with pytest.raises(websockets.InvalidStatus):
                await RawCharger.connect(server.ws, "NOBODY")

        asyncio.run(refused())
        eventually(lambda: value(scrape(server.http), "csms_charger_consumers_alive") == 0, timeout=10)
    finally:
        server.stop()
