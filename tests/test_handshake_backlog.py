"""A node admits at most CSMS_HANDSHAKE_BACKLOG chargers at a time: the handshakes beyond are denied at once
with 503 and a Retry-After (a reconnect storm), and a node that shuts down says the same to newcomers."""

import asyncio

import pytest
import websockets
from django.db import transaction

from chargers.models import Charger
from chargers.services.registry import charger_register
from tests.conftest import start_server
from tests.raw_charger import RawCharger
from tests.test_operations import scrape, value

BOOT = {"chargePointVendor": "Acme", "chargePointModel": "One"}


async def denial(url: str, name: str) -> websockets.InvalidStatus:
    with pytest.raises(websockets.InvalidStatus) as denied:
        await RawCharger.connect(url, name)
    return denied.value


def test_a_handshake_beyond_the_backlog_is_deferred_with_503_and_retry_after(acme, tmp_path):
    for name in ("CP-1", "CP-2"):
        charger_register(organisation=acme, charge_box_id=name)
    live = start_server(tmp_path, CSMS_HANDSHAKE_BACKLOG="1", CSMS_HANDSHAKE_RETRY_AFTER="7:7")

    async def storm():
        # CP-1's admission waits for its charger row, which this test holds: it fills the backlog of one.
        first = asyncio.create_task(RawCharger.connect(live.ws, "CP-1"))
        await asyncio.sleep(1.5)
        assert not first.done()
        deferred = await denial(live.ws, "CP-2")
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
    assert deferred.response.status_code == 503
    assert deferred.response.headers["Retry-After"] == "7"
    assert [frame[2]["status"] for frame in boots] == ["Accepted", "Accepted"]
    assert "deferred CP-2 from 127.0.0.1: CSMS_HANDSHAKE_BACKLOG" in live.log.read_text()
    assert value(samples, "csms_handshakes_deferred_total") == 1
