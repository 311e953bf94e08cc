"""The dashboard: staff only, org-scoped figures, and live fleet events over /ws/dashboard."""

import asyncio
import json
from datetime import timedelta

import pytest
import websockets
from django.contrib.auth.models import User
from django.utils import timezone

from accounts.models import Operator
from chargers.services.registry import charger_register
from chargers.services.reports import status_record
from charging.models import MeterValue, Transaction
from tests.raw_charger import RawCharger


@pytest.fixture
def boss(transactional_db):
    return User.objects.create_user("boss", password="boss-password", is_staff=True)


@pytest.fixture
def alice(acme):
    user = User.objects.create_user("alice", password="alice-password", is_staff=True)
    Operator.objects.create(user=user, organisation=acme)
    return user


@pytest.fixture
def fleets(acme, globex):
    acme_cp = charger_register(organisation=acme, charge_box_id="ACME-1")
    globex_cp = charger_register(organisation=globex, charge_box_id="GLOBEX-1")
    status_record(charger_id=acme_cp.pk, connector_id=1, status="Charging", error_code="NoError")
    status_record(charger_id=acme_cp.pk, connector_id=2, status="Faulted", error_code="GroundFailure")
    status_record(charger_id=globex_cp.pk, connector_id=1, status="Charging", error_code="NoError")
    return acme_cp, globex_cp


def test_it_sends_anonymous_and_non_staff_users_to_the_login(client, transactional_db):
    assert client.get("/dashboard/")["Location"].startswith("/admin/login/")
    User.objects.create_user("driver", password="pw")
    client.login(username="driver", password="pw")
    assert client.get("/dashboard/data/")["Location"].startswith("/admin/login/")


def test_the_data_shows_the_whole_fleet_to_unscoped_staff(client, boss, fleets):
    client.force_login(boss)
    data = client.get("/dashboard/data/").json()
    assert [c["chargeBoxId"] for c in data["chargers"]] == ["ACME-1", "GLOBEX-1"]
    assert data["counts"] == {
        "chargersOnline": 0,
        "chargersOffline": 2,
        "connectorsCharging": 2,
        "connectorsFaulted": 1,
    }
    assert data["recentFaults"][0]["errorCode"] == "GroundFailure"


def test_the_data_is_scoped_to_the_operators_organisation(client, alice, fleets):
    client.force_login(alice)
    data = client.get("/dashboard/data/").json()
    assert [c["chargeBoxId"] for c in data["chargers"]] == ["ACME-1"]
    assert data["counts"]["connectorsCharging"] == 1
    assert [s["status"] for s in data["chargers"][0]["connectors"]] == ["Charging", "Faulted"]
    page = client.get("/dashboard/").content.decode()
    assert "ACME-1" in page and "GLOBEX-1" not in page


def test_energy_today_counts_finished_and_open_sessions(client, boss, fleets):
    acme_cp, globex_cp = fleets
    now = timezone.now()
    Transaction.objects.create(
        charger=acme_cp, ocpp_id="1", connector_id=1, id_tag="T", start_time=now, meter_start=0,
        stop_time=now, meter_stop=5000, energy_wh=5000,
    )  # fmt: skip
    Transaction.objects.create(
        charger=acme_cp, ocpp_id="2", connector_id=1, id_tag="T", start_time=now - timedelta(days=3),
        meter_start=0, stop_time=now - timedelta(days=2), energy_wh=9999,
    )  # fmt: skip
    running = Transaction.objects.create(
        charger=globex_cp, ocpp_id="3", connector_id=1, id_tag="T", start_time=now, meter_start=1000
    )
    for minutes, kwh in ((0, "1.5"), (5, "3.5")):
        MeterValue.objects.create(
            charger=globex_cp, connector_id=1, transaction=running, timestamp=now + timedelta(minutes=minutes),
            value=kwh, numeric=float(kwh), unit="kWh",
        )  # fmt: skip
    client.force_login(boss)
    assert client.get("/dashboard/data/").json()["energyTodayWh"] == 5000 + 2500


def _session_cookie(client, user) -> str:
    client.force_login(user)
    return client.cookies["sessionid"].value


async def _dashboard_socket(server, cookie: str):
    return await websockets.connect(
        f"ws://127.0.0.1:{server.port}/ws/dashboard",
        additional_headers={"Cookie": f"sessionid={cookie}"},
        origin=f"http://127.0.0.1:{server.port}",
    )


async def _next_event(socket, kind: str, timeout: float = 5) -> dict:
    while True:
        event = json.loads(await asyncio.wait_for(socket.recv(), timeout))
        if event["kind"] == kind:
            return event


def test_the_socket_refuses_anonymous_visitors(server, transactional_db):
    with pytest.raises(websockets.InvalidStatus):
        asyncio.run(_dashboard_socket(server, "no-such-session"))


def test_the_socket_streams_presence_and_status_of_the_operators_fleet(server, client, alice, fleets):
    cookie = _session_cookie(client, alice)

    async def scenario():
        async with await _dashboard_socket(server, cookie) as socket:
            async with await RawCharger.connect(server.ws, "GLOBEX-1") as other:
                await other.call(
                    "StatusNotification", {"connectorId": 1, "status": "Available", "errorCode": "NoError"}
                )
            async with await RawCharger.connect(server.ws, "ACME-1") as cp:
                online = await _next_event(socket, "presence")
                assert online["chargeBoxId"] == "ACME-1" and online["online"] is True
                await cp.call("StatusNotification", {"connectorId": 1, "status": "Finishing", "errorCode": "NoError"})
                status = await _next_event(socket, "connector")
                assert (status["chargeBoxId"], status["connectorId"], status["status"]) == ("ACME-1", 1, "Finishing")
            offline = await _next_event(socket, "presence")
            assert offline["chargeBoxId"] == "ACME-1" and offline["online"] is False

    asyncio.run(scenario())


def test_fleet_events_go_only_to_groups_a_watcher_announced(charger):
    """Publishing to nobody would cost a channel-layer round trip per event (Redis): events wait for a watcher."""
    from asgiref.sync import async_to_sync, sync_to_async
    from channels.layers import get_channel_layer
    from django.core.cache import cache

    from chargers import events

    group = events.organisation_group(charger.organisation_id)
    cache.delete(events.WATCHED_KEY.format(group))
    events._watched.clear()

    async def scenario():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(group, channel)

        async def received():
            try:
                return await asyncio.wait_for(layer.receive(channel), 0.5)
            except TimeoutError:
                return None

        await sync_to_async(events.charger_presence_changed)(charger_id=charger.pk, online=True)
        unwatched = await received()
        await sync_to_async(events.watching_announce)(group)
        await sync_to_async(events.charger_presence_changed)(charger_id=charger.pk, online=False)
        return unwatched, await received()

    unwatched, watched = async_to_sync(scenario)()
    assert unwatched is None
    assert watched["event"]["kind"] == "presence" and watched["event"]["online"] is False


# OCPP 2.0.1: connectors numbered within EVSEs, sessions told by TransactionEvent.

T0 = "2026-02-10T14:00:00Z"


def session_event(cp, event_type: str, seq_no: int, **info) -> None:
    cp.call("TransactionEvent", {
        "eventType": event_type, "timestamp": T0, "seqNo": seq_no, "evse": {"id": 2, "connectorId": 1},
        "triggerReason": "Authorized" if event_type == "Started" else "ChargingStateChanged",
        "idToken": {"idToken": "DRIVER-1", "type": "ISO14443"},
        "transactionInfo": {"transactionId": "TX-201", **info}})  # fmt: skip


async def _next_matching(socket, kind: str, timeout: float = 5, **fields) -> dict:
    while True:
        event = await _next_event(socket, kind, timeout)
        if all(event.get(k) == v for k, v in fields.items()):
            return event


def _connectors(client) -> list[dict]:
    [charger] = [c for c in client.get("/dashboard/data/").json()["chargers"] if c["chargeBoxId"] == "ACME-201"]
    return charger["connectors"]


@pytest.mark.node
def test_the_socket_streams_a_2_0_1_chargers_evse_status_and_session(server, client, alice, acme):
    from tests.ocpp_rpc import strict_charger

    charger_register(organisation=acme, charge_box_id="ACME-201")
    cookie = _session_cookie(client, alice)

    async def scenario():
        async with await _dashboard_socket(server, cookie) as socket:
            with strict_charger(server.ws, "ACME-201", protocol="ocpp2.0.1") as cp:
                for evse in (1, 2):
                    await asyncio.to_thread(cp.call, "StatusNotification", {
                        "timestamp": T0, "connectorStatus": "Available", "evseId": evse, "connectorId": 1})  # fmt: skip
                await asyncio.to_thread(cp.call, "StatusNotification", {
                    "timestamp": T0, "connectorStatus": "Occupied", "evseId": 2, "connectorId": 1})  # fmt: skip
                status = await _next_matching(socket, "connector", status="Occupied")
                assert (status["chargeBoxId"], status["evseId"], status["connectorId"]) == ("ACME-201", 2, 1)

                await asyncio.to_thread(session_event, cp, "Started", 0, chargingState="EVConnected")
                started = await _next_matching(socket, "transaction", event="started")
                assert (started["transactionId"], started["evseId"], started["connectorId"], started["idTag"]) == (
                    "TX-201", 2, 1, "DRIVER-1")  # fmt: skip
                await asyncio.to_thread(session_event, cp, "Updated", 1, chargingState="Charging")
                charging = await _next_matching(socket, "transaction", event="updated", chargingState="Charging")
                assert (charging["transactionId"], charging["evseId"]) == ("TX-201", 2)

                connectors = await asyncio.to_thread(_connectors, client)
                assert [(c["evseId"], c["connectorId"], c["status"]) for c in connectors] == [
                    (1, 1, "Available"), (2, 1, "Occupied")]  # fmt: skip
                assert connectors[0]["session"] is None
                assert connectors[1]["session"]["transactionId"] == "TX-201"
                assert connectors[1]["session"]["chargingState"] == "Charging"
                data = await asyncio.to_thread(lambda: client.get("/dashboard/data/").json())
                assert data["counts"]["connectorsCharging"] == 1  # Occupied, but its session charges

                await asyncio.to_thread(session_event, cp, "Ended", 2, stoppedReason="Local")
                ended = await _next_matching(socket, "transaction", event="ended")
                assert (ended["transactionId"], ended["evseId"]) == ("TX-201", 2)
            connectors = await asyncio.to_thread(_connectors, client)
            assert [c["session"] for c in connectors] == [None, None]

    asyncio.run(scenario())


def test_a_1_6_connector_event_has_no_evse(server, client, alice, fleets):
    cookie = _session_cookie(client, alice)

    async def scenario():
        async with await _dashboard_socket(server, cookie) as socket:
            async with await RawCharger.connect(server.ws, "ACME-1") as cp:
                await cp.call("StatusNotification", {"connectorId": 2, "status": "Available", "errorCode": "NoError"})
                status = await _next_event(socket, "connector")
                assert (status["evseId"], status["connectorId"], status["status"]) == (None, 2, "Available")
                await cp.call("StartTransaction", {"connectorId": 2, "idTag": "T", "meterStart": 0, "timestamp": T0})
                started = await _next_event(socket, "transaction")
                assert (started["event"], started["evseId"], started["connectorId"]) == ("started", None, 2)

    asyncio.run(scenario())
    [charger] = client.get("/dashboard/data/").json()["chargers"]
    assert [(c["evseId"], c["connectorId"], bool(c["session"])) for c in charger["connectors"]] == [
        (None, 1, False), (None, 2, True)]  # fmt: skip
