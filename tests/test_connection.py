"""Chargers connecting: subprotocols, registration, passwords, replaced connections, presence."""

import asyncio

import pytest
import websockets

from chargers.models import Charger, UnknownCharger
from tests.raw_charger import RawCharger


def run(coro):
    return asyncio.run(coro)


def test_it_accepts_a_registered_charger_with_ocpp16(server, charger):
    async def scenario():
        async with await RawCharger.connect(server.ws, "CP-1") as cp:
            assert cp.ws.subprotocol == "ocpp1.6"
            await cp.call("Heartbeat", {})
            row = await asyncio.to_thread(Charger.objects.get, pk=charger.pk)
            assert row.is_online and row.ocpp_protocol == "ocpp1.6" and row.remote_address == "127.0.0.1"
            assert row.connected_at is not None

    run(scenario())
    row = Charger.objects.get(pk=charger.pk)
    assert _eventually(lambda: not Charger.objects.get(pk=charger.pk).is_online)
    assert row.connected_at is not None


def _eventually(check, timeout=5.0):
    import time

    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_it_refuses_a_charger_offering_no_supported_subprotocol(server, charger):
    with pytest.raises(websockets.InvalidStatus):
        run(RawCharger.connect(server.ws, "CP-1", subprotocols=("ocpp1.5",)))


def test_it_refuses_and_records_an_unknown_charger(server, acme):
    for _ in range(2):
        with pytest.raises(websockets.InvalidStatus):
            run(RawCharger.connect(server.ws, "STRANGER-9"))
    unknown = UnknownCharger.objects.get(charge_box_id="STRANGER-9")
    assert unknown.attempts == 2
    assert unknown.remote_address == "127.0.0.1"
    assert unknown.first_seen_at <= unknown.last_seen_at


def test_it_requires_the_password_of_a_protected_charger(server, locked_charger):
    with pytest.raises(websockets.InvalidStatus):
        run(RawCharger.connect(server.ws, "CP-LOCKED"))
    with pytest.raises(websockets.InvalidStatus):
        run(RawCharger.connect(server.ws, "CP-LOCKED", password="wrong-password"))

    async def with_password():
        async with await RawCharger.connect(server.ws, "CP-LOCKED", password="s3cret-password") as cp:
            assert (await cp.call("Heartbeat", {}))[0] == 3

    run(with_password())


def test_it_stores_charger_passwords_hashed(locked_charger):
    assert "s3cret-password" not in locked_charger.password_digest
    assert locked_charger.password_digest.startswith("sha256$")


def test_a_second_connection_replaces_the_first(server, charger):
    async def scenario():
        first = await RawCharger.connect(server.ws, "CP-1")
        await first.call("Heartbeat", {})
        second = await RawCharger.connect(server.ws, "CP-1")
        await asyncio.wait_for(first.ws.wait_closed(), 5)
        assert first.ws.close_code == 4000
        assert (await second.call("Heartbeat", {}))[0] == 3
        row = await asyncio.to_thread(Charger.objects.get, pk=charger.pk)
        assert row.is_online
        await second.close()

    run(scenario())


def test_a_silent_charger_is_closed_and_shown_offline(tmp_path, charger):
    from tests.conftest import start_server

    quick = start_server(tmp_path, CSMS_HEARTBEAT_INTERVAL="1", CSMS_HEARTBEAT_GRACE="0.5")
    try:

        async def scenario():
            cp = await RawCharger.connect(quick.ws, "CP-1")
            await asyncio.wait_for(cp.ws.wait_closed(), 5)
            return cp.ws.close_code

        assert run(scenario()) == 4001
        assert _eventually(lambda: not Charger.objects.get(pk=charger.pk).is_online)
    finally:
        quick.stop()
