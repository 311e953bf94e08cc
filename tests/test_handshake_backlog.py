"""A node admits at most CSMS_HANDSHAKE_BACKLOG chargers at a time: the handshakes beyond are denied at once
with 503 and a Retry-After, their turn (a reconnect storm), and a node that shuts down says the same to
newcomers."""

import asyncio

import pytest
import websockets
from django.db import transaction

from chargers.models import Charger
from chargers.services.registry import charger_register
from ocpp_ws import handshakes
from tests.conftest import start_server
from tests.raw_charger import RawCharger
from tests.test_operations import scrape, value

BOOT = {"chargePointVendor": "Acme", "chargePointModel": "One"}


async def denial(url: str, name: str) -> websockets.InvalidStatus:
    with pytest.raises(websockets.InvalidStatus) as denied:
        await RawCharger.connect(url, name)
    return denied.value


def test_handshakes_beyond_the_backlog_are_deferred_with_503_and_their_turns(acme, tmp_path):
    for name in ("CP-1", "CP-2", "CP-3", "CP-4"):
        charger_register(organisation=acme, charge_box_id=name)
    live = start_server(tmp_path, CSMS_HANDSHAKE_BACKLOG="1", CSMS_HANDSHAKE_RETRY_AFTER="7:60")

    async def storm():
        # CP-1's admission waits for its charger row, which this test holds: it fills the backlog of one.
        first = asyncio.create_task(RawCharger.connect(live.ws, "CP-1"))
        await asyncio.sleep(1.5)
        assert not first.done()
        # Until an admission has finished, one is reckoned to take a second: with a backlog of one, the
        # turns are a second apart, the first MIN (7 s) from now.
        deferred = [await denial(live.ws, name) for name in ("CP-2", "CP-3", "CP-4")]
        return first, deferred

    try:
        with transaction.atomic():
            Charger.objects.filter(charge_box_id="CP-1").update(name="held by the test")
            loop = asyncio.new_event_loop()
            first, deferred = loop.run_until_complete(storm())
        # The row is free: CP-1's handshake completes, and CP-2, trying again, is admitted.

        async def afterwards():
            cp1 = await asyncio.wait_for(first, 10)
            cp2 = await RawCharger.connect(live.ws, "CP-2")
            boots = [await cp.call("BootNotification", BOOT) for cp in (cp1, cp2)]
            for cp in (cp1, cp2):
                await cp.ws.close()
            return boots

        boots = loop.run_until_complete(afterwards())
        loop.close()
        samples = scrape(live.http)
    finally:
        live.stop()
    assert [refusal.response.status_code for refusal in deferred] == [503, 503, 503]
    assert [refusal.response.headers["Retry-After"] for refusal in deferred] == ["7", "8", "9"]
    assert [frame[2]["status"] for frame in boots] == ["Accepted", "Accepted"]
    assert "deferred CP-2 from 127.0.0.1: CSMS_HANDSHAKE_BACKLOG" in live.log.read_text()
    assert value(samples, "csms_handshakes_deferred_total") == 3


class StandingClock:
    """time for the handshakes module: it stands still unless a test moves it."""

    now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def booking(monkeypatch, settings):
    """The turns of a node whose clock stands still, with nothing booked yet."""
    settings.CSMS_HANDSHAKE_BACKLOG = 100
    settings.CSMS_HANDSHAKE_RETRY_AFTER = (5, 600)
    monkeypatch.setattr(handshakes, "time", StandingClock())
    monkeypatch.setattr(handshakes, "_last_turn", 0.0)
    monkeypatch.setattr(handshakes, "_duration", handshakes.FIRST_DURATION)
    return settings


def admissions_taking(seconds: float, count: int = 500) -> None:
    clock = handshakes.time
    for _ in range(count):
        with handshakes.admission():
            clock.now += seconds


def test_a_crowd_is_told_turns_as_far_apart_as_the_node_admits_chargers(booking):
    admissions_taking(2.0)  # 100 at a time, 2 s each: 50 a second
    turns = [handshakes.retry_after() for _ in range(1000)]
    assert turns[0] == 5
    assert turns == sorted(turns)
    per_second = {second: turns.count(second) for second in set(turns)}
    assert max(per_second.values()) <= 51
    assert turns[-1] == 25  # 5 s + 1,000 turns at 50 a second


def test_quicker_admissions_bring_the_turns_closer(booking):
    admissions_taking(2.0)
    slow = [handshakes.retry_after() for _ in range(200)]
    handshakes._last_turn = 0.0
    admissions_taking(0.5)
    quick = [handshakes.retry_after() for _ in range(200)]
    assert (slow[-1], quick[-1]) == (9, 6)


def test_beyond_max_nobody_is_booked_and_the_overflow_is_spread(booking):
    booking.CSMS_HANDSHAKE_RETRY_AFTER = (5, 10)
    admissions_taking(10.0)  # 10 a second: turns for 50 chargers up to 10 s
    turns = [handshakes.retry_after() for _ in range(1000)]
    assert turns[:51] == sorted(turns[:51])
    assert all(5 <= turn <= 10 for turn in turns)
    assert handshakes._last_turn <= handshakes.time.now + 10
    assert len(set(turns[51:])) > 1  # spread, not all at MAX
