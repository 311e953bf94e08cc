"""The charger endpoints over real HTTP: register, list, details, update, unregister, statuses, sessions."""

import asyncio
import io
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
import websockets
from django.core.management import call_command

from accounts.models import SCOPES, ApiKey
from chargers.models import Charger, UnknownCharger
from chargers.services.registry import charger_register
from chargers.services.reports import status_record
from ocpp_ws.versions import VERSIONS
from tests.raw_charger import RawCharger


def run(coro):
    return asyncio.run(coro)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def globex_api(server, globex):
    session = requests.Session()
    session.headers["X-API-Key"] = ApiKey.generate(organisation=globex, scopes=list(SCOPES))[1]
    session.base = f"{server.http}/api/v1"
    return session


@pytest.fixture
def globex_charger(globex):
    return charger_register(organisation=globex, charge_box_id="GX-1", name="Globex bay")


def error_of(response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error"]["code"], body["error"]["message"]


# Registering


def test_it_registers_a_charger_and_says_how_to_connect_it(api, server):
    response = api.post(
        f"{api.base}/chargers",
        json={"chargeBoxId": "CP-NEW", "name": "Office", "location": "Building A", "password": "a-long-password"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    charger = Charger.objects.get(charge_box_id="CP-NEW")
    assert body["id"] == charger.pk
    assert body["chargeBoxId"] == "CP-NEW" and body["name"] == "Office" and body["location"] == "Building A"
    assert body["status"] == "offline" and body["isOnline"] is False
    assert datetime.fromisoformat(body["registeredAt"]) == charger.registered_at
    assert body["connectionUrl"] == charger.connection_url and body["connectionUrl"].endswith("/ocpp/CP-NEW")
    assert body["instructions"]["url"] == body["connectionUrl"]
    assert body["instructions"]["protocol"] == "ocpp2.1"  # the one it gets when it offers them all
    assert body["instructions"]["protocols"] == ["ocpp2.1", "ocpp2.0.1", "ocpp1.6"]
    message = body["instructions"]["message"]
    assert "Basic" in message and "ocpp2.1 or ocpp2.0.1 or ocpp1.6" in message
    assert "password" not in body and "a-long-password" not in response.text
    assert response.headers["Location"] == f"{server.http}/api/v1/chargers/CP-NEW"
    assert charger.organisation.name == "Acme"
    assert "a-long-password" not in charger.password_digest and charger.password_matches("a-long-password")


@pytest.mark.parametrize("pinned", ["ocpp1.6", "ocpp2.0.1", "ocpp2.1"])
def test_a_charger_pinned_to_one_version_is_told_that_subprotocol_alone(api, pinned):
    response = api.post(f"{api.base}/chargers", json={"chargeBoxId": "CP-PINNED", "ocppVersionPinned": pinned})
    assert response.status_code == 201, response.text
    instructions = response.json()["instructions"]
    assert (instructions["protocol"], instructions["protocols"]) == (pinned, [pinned])
    assert f"subprotocol {pinned}." in instructions["message"] and "Basic" not in instructions["message"]


def test_the_register_charger_command_says_how_to_connect_too(acme):
    out = io.StringIO()
    call_command("register_charger", "CP-CLI", "--org", "Acme", stdout=out)
    assert out.getvalue().strip().endswith("/ocpp/CP-CLI (ocpp2.1 or ocpp2.0.1 or ocpp1.6)")


def test_chargers_are_told_the_subprotocols_the_ocpp_edge_speaks():
    assert list(Charger.SUBPROTOCOLS) == list(VERSIONS)  # all newest first


def test_it_registers_a_charger_with_only_its_charge_box_id(api):
    response = api.post(f"{api.base}/chargers", json={"chargeBoxId": "CP-BARE"})
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "" and response.json()["location"] == ""
    assert Charger.objects.get(charge_box_id="CP-BARE").password_digest == ""


def test_a_registered_charger_can_connect_with_its_password(api, server):
    api.post(f"{api.base}/chargers", json={"chargeBoxId": "CP-PW", "password": "a-long-password"})

    async def connect(password):
        async with await RawCharger.connect(server.ws, "CP-PW", password=password) as cp:
            return (await cp.call("Heartbeat", {}))[0]

    assert run(connect("a-long-password")) == 3
    with pytest.raises(websockets.InvalidStatus):
        run(connect("wrong-password"))


def test_it_refuses_a_duplicate_charge_box_id_with_409(api, charger):
    response = api.post(f"{api.base}/chargers", json={"chargeBoxId": "CP-1"})
    assert error_of(response)[:2] == (409, "conflict")
    assert "CP-1" in error_of(response)[2]


def test_it_refuses_a_charge_box_id_another_organisation_registered(api, globex_charger):
    response = api.post(f"{api.base}/chargers", json={"chargeBoxId": "GX-1"})
    assert error_of(response)[:2] == (409, "conflict")
    assert Charger.objects.get(charge_box_id="GX-1").organisation.name == "Globex"


def test_it_requires_a_charge_box_id(api, acme):
    response = api.post(f"{api.base}/chargers", json={"name": "No id"})
    assert error_of(response) == (400, "validation_error", "chargeBoxId: This field is required.")


@pytest.mark.parametrize("charge_box_id", ["", "a/b", "has space", "x" * 65, "ünïcode", "semi;colon"])
def test_it_refuses_a_charge_box_id_that_cannot_be_a_url_segment(api, acme, charge_box_id):
    response = api.post(f"{api.base}/chargers", json={"chargeBoxId": charge_box_id})
    status, code, message = error_of(response)
    assert (status, code) == (400, "validation_error")
    assert message.startswith("chargeBoxId: ")
    assert not Charger.objects.exists()


@pytest.mark.parametrize("charge_box_id", ["CP-001", "x" * 64, "ACME:site_1.bay+2@eu", "a"])
def test_it_accepts_charge_box_ids_of_ocpp_identifier_characters(api, acme, charge_box_id):
    response = api.post(f"{api.base}/chargers", json={"chargeBoxId": charge_box_id})
    assert response.status_code == 201, response.text


def test_it_names_the_field_of_an_invalid_value(api, acme):
    response = api.post(f"{api.base}/chargers", json={"chargeBoxId": "CP-2", "name": "n" * 101})
    status, code, message = error_of(response)
    assert (status, code) == (400, "validation_error")
    assert message.startswith("name: ") and "100" in message


def test_it_refuses_unknown_fields(api, acme):
    response = api.post(f"{api.base}/chargers", json={"chargeBoxId": "CP-2", "locaton": "typo"})
    status, code, message = error_of(response)
    assert (status, code) == (400, "validation_error")
    assert message.startswith("locaton: Unknown field")
    assert not Charger.objects.filter(charge_box_id="CP-2").exists()


def test_it_answers_malformed_json_with_400(api, acme):
    response = api.post(f"{api.base}/chargers", data="{not json", headers={"Content-Type": "application/json"})
    status, code, message = error_of(response)
    assert (status, code) == (400, "validation_error")
    assert "JSON" in message


def test_it_answers_a_json_array_body_with_400(api, acme):
    response = api.post(f"{api.base}/chargers", json=[{"chargeBoxId": "CP-2"}])
    assert error_of(response)[:2] == (400, "validation_error")


# Listing


def test_it_lists_only_the_organisations_chargers(api, charger, globex_charger):
    response = api.get(f"{api.base}/chargers")
    assert response.status_code == 200
    body = response.json()
    assert [c["chargeBoxId"] for c in body["chargers"]] == ["CP-1"]
    assert body["pagination"] == {"total": 1, "limit": 50, "offset": 0}
    assert body["chargers"][0] == {
        "id": charger.pk,
        "chargeBoxId": "CP-1",
        "name": "Bay 1",
        "status": "offline",
        "isOnline": False,
        "vendor": "",
        "model": "",
        "lastHeartbeat": None,
        "deletedAt": None,
    }


def test_it_pages_through_the_list(api, acme):
    for n in range(5):
        charger_register(organisation=acme, charge_box_id=f"CP-{n}")
    body = api.get(f"{api.base}/chargers", params={"limit": 2, "offset": 2}).json()
    assert [c["chargeBoxId"] for c in body["chargers"]] == ["CP-2", "CP-3"]
    assert body["pagination"] == {"total": 5, "limit": 2, "offset": 2}
    last = api.get(f"{api.base}/chargers", params={"limit": 2, "offset": 4}).json()
    assert [c["chargeBoxId"] for c in last["chargers"]] == ["CP-4"]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 501}, {"limit": "many"}, {"offset": -1}])
def test_it_refuses_bad_pagination(api, acme, params):
    response = api.get(f"{api.base}/chargers", params=params)
    status, code, message = error_of(response)
    assert (status, code) == (400, "validation_error")
    assert message.startswith(f"{next(iter(params))}: ")


def test_it_filters_the_list_by_presence(api, server, charger, acme):
    charger_register(organisation=acme, charge_box_id="CP-2")

    async def scenario():
        async with await RawCharger.connect(server.ws, "CP-1") as cp:
            await cp.call("Heartbeat", {})
            online = await asyncio.to_thread(api.get, f"{api.base}/chargers", params={"status": "online"})
            offline = await asyncio.to_thread(api.get, f"{api.base}/chargers", params={"status": "offline"})
            return online.json(), offline.json()

    online, offline = run(scenario())
    assert [(c["chargeBoxId"], c["status"], c["isOnline"]) for c in online["chargers"]] == [("CP-1", "online", True)]
    assert online["chargers"][0]["lastHeartbeat"] is not None
    assert online["pagination"]["total"] == 1
    assert [(c["chargeBoxId"], c["isOnline"]) for c in offline["chargers"]] == [("CP-2", False)]


def test_it_refuses_an_unknown_presence_filter(api, charger):
    response = api.get(f"{api.base}/chargers", params={"status": "sleeping"})
    status, code, message = error_of(response)
    assert (status, code) == (400, "validation_error") and message.startswith("status: ")


# Details


def test_it_shows_a_live_charger_with_what_it_reported(api, server, charger):
    async def scenario():
        async with await RawCharger.connect(server.ws, "CP-1") as cp:
            await cp.call(
                "BootNotification",
                {
                    "chargePointVendor": "ABB",
                    "chargePointModel": "Terra AC",
                    "chargePointSerialNumber": "SN-42",
                    "firmwareVersion": "1.2.3",
                },
            )
            await cp.call("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"})
            await cp.call(
                "StatusNotification",
                {"connectorId": 2, "errorCode": "GroundFailure", "status": "Faulted", "info": "RCD tripped"},
            )
            await cp.call("Heartbeat", {})
            return (await asyncio.to_thread(api.get, f"{api.base}/chargers/CP-1")).json()

    body = run(scenario())
    assert body["chargeBoxId"] == "CP-1" and body["name"] == "Bay 1" and body["location"] == "Depot"
    assert body["status"] == "online" and body["isOnline"] is True
    assert (body["vendor"], body["model"], body["serialNumber"], body["firmwareVersion"]) == (
        "ABB",
        "Terra AC",
        "SN-42",
        "1.2.3",
    )
    assert body["ocppProtocol"] == "ocpp1.6"
    assert body["connectionUrl"].endswith("/ocpp/CP-1")
    for moment in ("registeredAt", "lastBootAt", "connectedAt", "lastSeenAt", "lastHeartbeat"):
        assert body[moment] is not None and body[moment].endswith("Z"), moment
    assert body["passwordProtected"] is False
    assert [(c["connectorId"], c["status"], c["errorCode"], c["info"]) for c in body["connectors"]] == [
        (1, "Available", "NoError", ""),
        (2, "Faulted", "GroundFailure", "RCD tripped"),
    ]
    assert all(c["lastUpdated"] for c in body["connectors"])
    assert "password" not in body


def test_it_shows_a_charger_offline_once_it_disconnects(api, server, charger):
    async def scenario():
        async with await RawCharger.connect(server.ws, "CP-1") as cp:
            await cp.call("Heartbeat", {})

    run(scenario())
    deadline = time.monotonic() + 5
    while api.get(f"{api.base}/chargers/CP-1").json()["isOnline"] and time.monotonic() < deadline:
        time.sleep(0.05)
    body = api.get(f"{api.base}/chargers/CP-1").json()
    assert (body["status"], body["isOnline"]) == ("offline", False)
    assert body["disconnectedAt"] is not None


def test_it_answers_404_for_an_unknown_charger(api, acme):
    for method in ("get", "patch", "delete"):
        response = getattr(api, method)(f"{api.base}/chargers/CP-NOPE")
        assert error_of(response) == (404, "not_found", "Charger CP-NOPE not found."), method


def test_another_organisations_charger_is_not_found(api, globex_api, charger, globex_charger):
    assert error_of(globex_api.get(f"{api.base}/chargers/CP-1"))[:2] == (404, "not_found")
    assert error_of(globex_api.patch(f"{api.base}/chargers/CP-1", json={"name": "mine"}))[:2] == (404, "not_found")
    assert error_of(globex_api.delete(f"{api.base}/chargers/CP-1"))[:2] == (404, "not_found")
    for path in ("connectors/1/status", "transactions"):
        assert error_of(globex_api.get(f"{api.base}/chargers/CP-1/{path}"))[:2] == (404, "not_found"), path
    assert Charger.objects.get(charge_box_id="CP-1").name == "Bay 1"
    assert [c["chargeBoxId"] for c in globex_api.get(f"{api.base}/chargers").json()["chargers"]] == ["GX-1"]
    assert [c["chargeBoxId"] for c in globex_api.get(f"{api.base}/status").json()["chargePoints"]] == ["GX-1"]
    assert error_of(api.get(f"{api.base}/chargers/GX-1"))[:2] == (404, "not_found")


# Updating


def test_it_updates_only_the_fields_sent(api, charger):
    response = api.patch(f"{api.base}/chargers/CP-1", json={"name": "Bay one"})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Bay one" and response.json()["location"] == "Depot"
    response = api.patch(f"{api.base}/chargers/CP-1", json={"location": ""})
    assert (response.json()["name"], response.json()["location"]) == ("Bay one", "")
    charger.refresh_from_db()
    assert (charger.name, charger.location) == ("Bay one", "")


def test_it_sets_and_removes_a_chargers_password(api, server, charger):
    async def connects(password=None) -> bool:
        try:
            async with await RawCharger.connect(server.ws, "CP-1", password=password) as cp:
                return (await cp.call("Heartbeat", {}))[0] == 3
        except websockets.InvalidStatus:
            return False

    response = api.patch(f"{api.base}/chargers/CP-1", json={"password": "new-long-password"})
    assert response.status_code == 200 and response.json()["passwordProtected"] is True
    assert "new-long-password" not in response.text
    assert not run(connects()) and run(connects("new-long-password"))

    for removal in (None, ""):
        api.patch(f"{api.base}/chargers/CP-1", json={"password": "again-a-password"})
        response = api.patch(f"{api.base}/chargers/CP-1", json={"password": removal})
        assert response.json()["passwordProtected"] is False
        charger.refresh_from_db()
        assert charger.password_digest == ""
    assert run(connects())


def test_it_refuses_an_invalid_update(api, charger):
    too_long = api.patch(f"{api.base}/chargers/CP-1", json={"location": "l" * 201})
    assert error_of(too_long)[:2] == (400, "validation_error") and error_of(too_long)[2].startswith("location: ")
    renamed = api.patch(f"{api.base}/chargers/CP-1", json={"chargeBoxId": "CP-9"})
    assert error_of(renamed)[:2] == (400, "validation_error") and error_of(renamed)[2].startswith("chargeBoxId: ")
    assert Charger.objects.filter(charge_box_id="CP-1", location="Depot").exists()


# Unregistering


def test_it_unregisters_a_charger_closes_its_socket_and_refuses_it_after(api, server, charger):
    async def scenario():
        cp = await RawCharger.connect(server.ws, "CP-1")
        await cp.call("Heartbeat", {})
        response = await asyncio.to_thread(api.delete, f"{api.base}/chargers/CP-1")
        await asyncio.wait_for(cp.ws.wait_closed(), 5)
        return response, cp.ws.close_code

    response, close_code = run(scenario())
    assert response.status_code == 200
    assert response.json() == {"message": "Charger CP-1 unregistered.", "chargeBoxId": "CP-1"}
    assert close_code == 4002
    assert not Charger.objects.filter(charge_box_id="CP-1").exists()
    with pytest.raises(websockets.InvalidStatus) as refused:
        run(RawCharger.connect(server.ws, "CP-1"))
    assert refused.value.response.status_code == 403
    assert UnknownCharger.objects.filter(charge_box_id="CP-1").exists()
    assert error_of(api.get(f"{api.base}/chargers/CP-1"))[:2] == (404, "not_found")


def test_it_unregisters_an_offline_charger(api, charger):
    response = api.delete(f"{api.base}/chargers/CP-1")
    assert response.status_code == 200
    assert not Charger.objects.filter(pk=charger.pk).exists()
    assert error_of(api.delete(f"{api.base}/chargers/CP-1"))[:2] == (404, "not_found")


# Connector status history


def test_it_shows_a_connectors_last_five_statuses_newest_first(api, server, charger):
    start = datetime(2026, 2, 6, 12, 0, tzinfo=UTC)
    statuses = ["Available", "Preparing", "Charging", "SuspendedEV", "Charging", "Finishing", "Available"]

    async def scenario():
        async with await RawCharger.connect(server.ws, "CP-1") as cp:
            for minute, status in enumerate(statuses):
                await cp.call(
                    "StatusNotification",
                    {
                        "connectorId": 1,
                        "errorCode": "NoError",
                        "status": status,
                        "timestamp": iso(start + timedelta(minutes=minute)),
                        "vendorErrorCode": f"V{minute}",
                    },
                )
            await cp.call("StatusNotification", {"connectorId": 2, "errorCode": "NoError", "status": "Faulted"})

    run(scenario())
    response = api.get(f"{api.base}/chargers/CP-1/connectors/1/status")
    assert response.status_code == 200
    body = response.json()
    assert (body["chargeBoxId"], body["connectorId"]) == ("CP-1", 1)
    notes = body["statusNotifications"]
    assert [n["status"] for n in notes] == ["Available", "Finishing", "Charging", "SuspendedEV", "Charging"]
    assert notes[0] == {
        "status": "Available",
        "errorCode": "NoError",
        "info": "",
        "vendorErrorCode": "V6",
        "timestamp": iso(start + timedelta(minutes=6)),
    }


def test_a_connector_that_never_reported_has_no_statuses(api, charger):
    body = api.get(f"{api.base}/chargers/CP-1/connectors/3/status").json()
    assert body == {"chargeBoxId": "CP-1", "evseId": None, "connectorId": 3, "statusNotifications": []}


# OCPP 2.0.1 numbers connectors within each EVSE: two connectors 1 on one charger.

T0 = "2026-02-10T14:00:00Z"
T1 = "2026-02-10T14:05:00Z"


@pytest.mark.node
def test_a_2_0_1_chargers_connectors_show_their_evse_and_are_asked_for_by_it(api, server, charger, acme, ocpp2):
    from tests.ocpp_rpc import strict_charger

    with strict_charger(server.ws, "CP-1", protocol=ocpp2) as cp:
        cp.call("StatusNotification", {"timestamp": T0, "connectorStatus": "Available", "evseId": 1, "connectorId": 1})
        cp.call("StatusNotification", {"timestamp": T0, "connectorStatus": "Available", "evseId": 2, "connectorId": 1})
        cp.call("StatusNotification", {"timestamp": T1, "connectorStatus": "Occupied", "evseId": 2, "connectorId": 1})
        cp.call("StatusNotification", {"timestamp": T1, "connectorStatus": "Faulted", "evseId": 2, "connectorId": 2})

    detail = api.get(f"{api.base}/chargers/CP-1").json()
    assert [(c["evseId"], c["connectorId"], c["status"]) for c in detail["connectors"]] == [
        (1, 1, "Available"), (2, 1, "Occupied"), (2, 2, "Faulted")]  # fmt: skip
    [overview] = api.get(f"{api.base}/status").json()["chargePoints"]
    assert [(c["evseId"], c["connectorId"]) for c in overview["connectors"]] == [(1, 1), (2, 1), (2, 2)]
    occupied = api.get(f"{api.base}/status", params={"status": "Occupied"}).json()["chargePoints"][0]
    assert [(c["evseId"], c["connectorId"]) for c in occupied["connectors"]] == [(2, 1)]

    ambiguous = api.get(f"{api.base}/chargers/CP-1/connectors/1/status")
    status, code, message = error_of(ambiguous)
    assert (status, code) == (400, "validation_error") and message.startswith("evseId: "), message
    second = api.get(f"{api.base}/chargers/CP-1/connectors/1/status", params={"evseId": 2}).json()
    assert (second["evseId"], second["connectorId"]) == (2, 1)
    assert [n["status"] for n in second["statusNotifications"]] == ["Occupied", "Available"]
    first = api.get(f"{api.base}/chargers/CP-1/connectors/1/status", params={"evseId": 1}).json()
    assert [n["status"] for n in first["statusNotifications"]] == ["Available"]
    # A number on one EVSE only needs no evseId.
    only = api.get(f"{api.base}/chargers/CP-1/connectors/2/status").json()
    assert (only["evseId"], [n["status"] for n in only["statusNotifications"]]) == (2, ["Faulted"])
    bad = api.get(f"{api.base}/chargers/CP-1/connectors/1/status", params={"evseId": "two"})
    assert error_of(bad)[0] == 400 and error_of(bad)[2].startswith("evseId: ")


def test_a_1_6_chargers_connectors_have_no_evse(api, server, charger):
    async def scenario():
        async with await RawCharger.connect(server.ws, "CP-1") as cp:
            await cp.call("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"})

    run(scenario())
    assert [(c["evseId"], c["connectorId"]) for c in api.get(f"{api.base}/chargers/CP-1").json()["connectors"]] == [
        (None, 1)]  # fmt: skip
    assert api.get(f"{api.base}/status").json()["chargePoints"][0]["connectors"][0]["evseId"] is None
    history = api.get(f"{api.base}/chargers/CP-1/connectors/1/status").json()
    assert history["evseId"] is None and [n["status"] for n in history["statusNotifications"]] == ["Available"]
    status, _, message = error_of(api.get(f"{api.base}/chargers/CP-1/connectors/1/status", params={"evseId": 1}))
    assert status == 400 and message.startswith("evseId: ")


# Status overview


def test_the_status_overview_shows_every_charge_point_and_its_connectors(api, server, charger, acme):
    charger_register(organisation=acme, charge_box_id="CP-2")
    status_record(charger_id=charger.pk, connector_id=1, status="Faulted", error_code="GroundFailure")
    status_record(charger_id=charger.pk, connector_id=2, status="Available", error_code="NoError")

    async def scenario():
        async with await RawCharger.connect(server.ws, "CP-1") as cp:
            await cp.call("Heartbeat", {})
            return (await asyncio.to_thread(api.get, f"{api.base}/status")).json()

    body = run(scenario())
    assert body["pagination"] == {"total": 2, "limit": 50, "offset": 0}
    first, second = body["chargePoints"]
    assert (first["chargeBoxId"], first["online"]) == ("CP-1", True)
    assert first["lastHeartbeatAt"] is not None
    assert [(c["connectorId"], c["status"], c["errorCode"]) for c in first["connectors"]] == [
        (1, "Faulted", "GroundFailure"),
        (2, "Available", "NoError"),
    ]
    assert (second["chargeBoxId"], second["online"], second["lastHeartbeatAt"], second["connectors"]) == (
        "CP-2",
        False,
        None,
        [],
    )


def test_the_status_overview_filters_connectors_by_status(api, charger, acme):
    other = charger_register(organisation=acme, charge_box_id="CP-2")
    status_record(charger_id=charger.pk, connector_id=1, status="Faulted", error_code="GroundFailure")
    status_record(charger_id=charger.pk, connector_id=2, status="Available", error_code="NoError")
    status_record(charger_id=other.pk, connector_id=1, status="Available", error_code="NoError")

    body = api.get(f"{api.base}/status", params={"status": "Faulted"}).json()
    assert [(p["chargeBoxId"], [c["connectorId"] for c in p["connectors"]]) for p in body["chargePoints"]] == [
        ("CP-1", [1])
    ]
    assert body["pagination"]["total"] == 1
    available = api.get(f"{api.base}/status", params={"status": "Available"}).json()
    assert [(p["chargeBoxId"], [c["connectorId"] for c in p["connectors"]]) for p in available["chargePoints"]] == [
        ("CP-1", [2]),
        ("CP-2", [1]),
    ]
    assert api.get(f"{api.base}/status", params={"status": "Charging"}).json()["chargePoints"] == []


def test_the_status_overview_pages_and_refuses_unknown_statuses(api, acme):
    for n in range(3):
        charger_register(organisation=acme, charge_box_id=f"CP-{n}")
    body = api.get(f"{api.base}/status", params={"limit": 1, "offset": 1}).json()
    assert [p["chargeBoxId"] for p in body["chargePoints"]] == ["CP-1"]
    assert body["pagination"] == {"total": 3, "limit": 1, "offset": 1}
    status, code, message = error_of(api.get(f"{api.base}/status", params={"status": "Broken"}))
    assert (status, code) == (400, "validation_error") and message.startswith("status: ")


# Sessions in progress


def test_it_lists_sessions_in_progress_with_their_latest_meter_reading_in_wh(api, server, charger):
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)

    def register(kwh: str, minutes: int) -> dict:
        return {
            "timestamp": iso(started + timedelta(minutes=minutes)),
            "sampledValue": [{"value": kwh, "unit": "kWh", "measurand": "Energy.Active.Import.Register"}],
        }

    async def scenario():
        async with await RawCharger.connect(server.ws, "CP-1") as cp:
            start = {"connectorId": 1, "idTag": "RFID-1", "meterStart": 1000, "timestamp": iso(started)}
            transaction_id = (await cp.call("StartTransaction", start))[2]["transactionId"]
            later, earlier = register("13.5", 20), register("12.25", 10)
            await cp.call("MeterValues", {"connectorId": 1, "transactionId": transaction_id, "meterValue": [later]})
            await cp.call("MeterValues", {"connectorId": 1, "transactionId": transaction_id, "meterValue": [earlier]})
            power = {"value": "7200", "unit": "W", "measurand": "Power.Active.Import"}
            await cp.call(
                "MeterValues",
                {
                    "connectorId": 1,
                    "transactionId": transaction_id,
                    "meterValue": [{"timestamp": iso(started + timedelta(minutes=25)), "sampledValue": [power]}],
                },
            )
            quiet = {"connectorId": 2, "idTag": "RFID-2", "meterStart": 500, "timestamp": iso(started)}
            await cp.call("StartTransaction", quiet)
            done = {"connectorId": 3, "idTag": "RFID-3", "meterStart": 0, "timestamp": iso(started)}
            finished = (await cp.call("StartTransaction", done))[2]["transactionId"]
            stop = {"transactionId": finished, "meterStop": 900, "timestamp": iso(started + timedelta(minutes=5))}
            await cp.call("StopTransaction", stop)
            return transaction_id

    transaction_id = run(scenario())
    response = api.get(f"{api.base}/chargers/CP-1/transactions", params={"active": "true"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["chargeBoxId"] == "CP-1" and body["total"] == 2
    charging, quiet = body["activeTransactions"]
    assert charging["transactionId"] == str(transaction_id)
    assert (charging["connectorId"], charging["idTag"], charging["meterStart"]) == (1, "RFID-1", 1000)
    assert charging["startTime"] == iso(started)
    assert charging["currentMeterValue"] == 13500
    assert charging["energyDeliveredWh"] == 12500
    assert 30 * 60 <= charging["durationSeconds"] < 30 * 60 + 60
    assert (quiet["connectorId"], quiet["currentMeterValue"], quiet["energyDeliveredWh"]) == (2, 500, 0)
    assert api.get(f"{api.base}/chargers/CP-1/transactions").json()["total"] == 2


def test_a_charger_with_no_session_has_no_active_transactions(api, charger):
    body = api.get(f"{api.base}/chargers/CP-1/transactions?active=true").json()
    assert body == {"chargeBoxId": "CP-1", "activeTransactions": [], "total": 0}


def test_it_refuses_to_list_finished_sessions_as_active(api, charger):
    status, code, message = error_of(api.get(f"{api.base}/chargers/CP-1/transactions", params={"active": "false"}))
    assert (status, code) == (400, "validation_error") and message.startswith("active: ")
