"""Bounded memory: chargers that connect and leave, wave after wave, do not grow the server process."""

import asyncio

import pytest
import websockets

from chargers.models import Charger
from tests.conftest import eventually, start_server
from tests.raw_charger import RawCharger
from tests.test_operations import scrape, value

pytestmark = pytest.mark.slow

# The first waves warm the process up (allocator arenas, per-charger caches that are bounded): RSS
# climbs 5-9 % over them, then levels off. A leak keeps climbing, so the second half of the waves is
# what must stay flat. Figures of the first-to-last growth are in the README ("Operations").
CHARGERS = 300
WAVES = 8
SETTLED_GROWTH = 0.03
CONCURRENCY = 25


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return int(status.read().split("VmRSS:")[1].split()[0])


async def wave(base: str) -> None:
    """Every charger connects, boots, sends a heartbeat and leaves."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def visit(number: int) -> None:
        async with gate:
            cp = await RawCharger.connect(base, f"MEM-{number}")
            try:
                assert (await cp.call("BootNotification", {"chargePointVendor": "A", "chargePointModel": "B"}))[0] == 3
                assert (await cp.call("Heartbeat", {}))[0] == 3
            finally:
                await cp.close()

    await asyncio.gather(*(visit(number) for number in range(CHARGERS)))


def test_reconnect_waves_leave_the_process_no_bigger_and_free_every_connection(acme, tmp_path):
    Charger.objects.bulk_create([Charger(organisation=acme, charge_box_id=f"MEM-{n}") for n in range(CHARGERS)])
    live = start_server(tmp_path, CSMS_MESSAGE_LOG="off", CSMS_EMBEDDED_BEAT="false")
    try:
        after = []
        for _ in range(WAVES):
            asyncio.run(wave(live.ws))
            # Every consumer object freed: the check the README gives operators.
            eventually(lambda: value(scrape(live.http), "csms_charger_consumers_alive") == 0, timeout=15)
            after.append(rss_kib(live.process.pid))
        samples = scrape(live.http)
    finally:
        live.stop()
    assert value(samples, "csms_chargers_connected", protocol="ocpp1.6") == 0
    settled = after[WAVES // 2]
    assert (after[-1] - settled) / settled < SETTLED_GROWTH, f"RSS after each wave (KiB): {after}"


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
