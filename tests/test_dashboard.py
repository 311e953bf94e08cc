"""The dashboard: staff only, org-scoped figures, and live fleet events over /ws/dashboard."""

import asyncio
import json
from datetime import timedelta

import pytest
import websockets
from django.contrib.auth.models import User
from django.utils import timezone

from accounts.models import Operator
from chargers.models import MeterValue, Transaction
from chargers.services.registry import charger_register
from chargers.services.reports import status_record
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
