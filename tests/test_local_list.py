"""Local authorization lists: POST /chargers/{id}/local-list/sync sends Full or Differential SendLocalList
to an ocpp-rpc charger (strict mode), and the version the charger confirms is recorded."""

import queue
from datetime import UTC, datetime

import pytest

from chargers.services.registry import charger_register
from charging.models import ChargerLocalList, IdTag
from tests.ocpp_rpc import strict_charger

pytestmark = pytest.mark.node

EXPIRY = datetime(2027, 1, 1, tzinfo=UTC)


@pytest.fixture
def tags(acme, globex):
    fleet = IdTag.objects.create(organisation=acme, id_tag="FLEET")
    for n in range(1, 6):
        IdTag.objects.create(organisation=acme, id_tag=f"CARD-{n}", parent=fleet)
    IdTag.objects.create(organisation=acme, id_tag="OLD", status="Blocked", expiry_date=EXPIRY)
    IdTag.objects.create(organisation=globex, id_tag="GLOBEX-CARD")


@pytest.fixture
def cp(server, charger, tags):
    with strict_charger(server.ws, "CP-1") as rpc:
        rpc.respond("SendLocalList", {"status": "Accepted"})
        yield rpc


def sync(api, body=None, charge_box_id="CP-1"):
    return api.post(f"{api.base}/chargers/{charge_box_id}/local-list/sync", json=body or {})


def sent(cp) -> dict:
    call = cp.next_call()
    assert call["action"] == "SendLocalList"
    return call["payload"]


def card(n: int) -> dict:
    return {"idTag": f"CARD-{n}", "idTagInfo": {"status": "Accepted", "parentIdTag": "FLEET"}}


FULL_LIST = [
    card(1),
    card(2),
    card(3),
    card(4),
    card(5),
    {"idTag": "FLEET", "idTagInfo": {"status": "Accepted"}},
    {"idTag": "OLD", "idTagInfo": {"status": "Blocked", "expiryDate": "2027-01-01T00:00:00Z"}},
]


def held(charger) -> ChargerLocalList:
    return ChargerLocalList.objects.get(charger=charger)


def test_the_first_sync_sends_the_whole_list(api, cp, charger):
    response = sync(api)

    assert response.status_code == 200, response.text
    assert sent(cp) == {"listVersion": 1, "updateType": "Full", "localAuthorizationList": FULL_LIST}
    body = response.json()
    assert (body["sent"], body["listVersion"], body["updateType"], body["status"], body["entries"]) == (
        True,
        1,
        "Full",
        "Accepted",
        7,
    )
    assert held(charger).version == 1
    assert held(charger).entries == {e["idTag"]: e["idTagInfo"] for e in FULL_LIST}


def test_a_charger_that_holds_the_list_gets_nothing(api, cp):
    sync(api)
    sent(cp)

    body = sync(api).json()
    assert (body["sent"], body["status"], body["listVersion"], body["updateType"]) == (False, "UpToDate", 1, None)
    with pytest.raises(queue.Empty):
        cp.next_call(timeout=0.5)


def test_a_few_changes_are_sent_as_a_differential_update(api, cp, charger, acme):
    sync(api)
    sent(cp)
    IdTag.objects.filter(id_tag="CARD-2").update(status="Blocked")
    IdTag.objects.filter(id_tag="CARD-5").delete()
    IdTag.objects.create(organisation=acme, id_tag="CARD-9")

    body = sync(api).json()

    assert sent(cp) == {
        "listVersion": 2,
        "updateType": "Differential",
        "localAuthorizationList": [
            {"idTag": "CARD-2", "idTagInfo": {"status": "Blocked", "parentIdTag": "FLEET"}},
            {"idTag": "CARD-9", "idTagInfo": {"status": "Accepted"}},
            {"idTag": "CARD-5"},
        ],
    }
    assert (body["updateType"], body["listVersion"], body["entries"]) == ("Differential", 2, 3)
    assert held(charger).version == 2
    assert "CARD-5" not in held(charger).entries and held(charger).entries["CARD-9"] == {"status": "Accepted"}


def test_many_changes_are_sent_as_a_full_update(api, cp, acme):
    sync(api)
    sent(cp)
    IdTag.objects.filter(id_tag__startswith="CARD").update(status="Blocked")

    sync(api)

    payload = sent(cp)
    assert (payload["listVersion"], payload["updateType"]) == (2, "Full")
    assert len(payload["localAuthorizationList"]) == 7


def test_a_full_update_can_be_asked_for(api, cp):
    sync(api)
    sent(cp)
    sync(api, {"updateType": "Full"})
    assert sent(cp) == {"listVersion": 2, "updateType": "Full", "localAuthorizationList": FULL_LIST}


def test_a_version_mismatch_makes_the_next_sync_full(api, cp, charger, acme):
    sync(api)
    sent(cp)
    IdTag.objects.create(organisation=acme, id_tag="CARD-9")
    cp.respond("SendLocalList", {"status": "VersionMismatch"})
    assert sync(api).json()["status"] == "VersionMismatch"
    assert sent(cp)["updateType"] == "Differential"
    assert held(charger).version is None

    cp.respond("SendLocalList", {"status": "Accepted"})
    sync(api)
    payload = sent(cp)
    assert (payload["listVersion"], payload["updateType"], len(payload["localAuthorizationList"])) == (1, "Full", 8)


def test_a_version_the_charger_reports_is_recorded(api, cp, charger, acme):
    sync(api)
    sent(cp)
    cp.respond("GetLocalListVersion", {"listVersion": 1})
    assert api.post(f"{api.base}/chargers/CP-1/local-list/version", json={}).json()["listVersion"] == 1
    assert cp.next_call()["action"] == "GetLocalListVersion"
    assert (held(charger).reported_version, held(charger).version) == (1, 1)

    # Another version than the one we sent: we no longer know what it holds.
    cp.respond("GetLocalListVersion", {"listVersion": 7})
    api.post(f"{api.base}/chargers/CP-1/local-list/version", json={})
    assert cp.next_call()["action"] == "GetLocalListVersion"
    assert (held(charger).reported_version, held(charger).version) == (7, None)
    IdTag.objects.create(organisation=acme, id_tag="CARD-9")
    sync(api)
    payload = sent(cp)
    assert (payload["listVersion"], payload["updateType"], len(payload["localAuthorizationList"])) == (8, "Full", 8)


def test_an_empty_list_reported_by_the_charger_is_known(api, cp, charger):
    cp.respond("GetLocalListVersion", {"listVersion": 0})
    api.post(f"{api.base}/chargers/CP-1/local-list/version", json={})
    assert (held(charger).version, held(charger).entries) == (0, {})


def test_a_list_sent_by_hand_is_recorded_too(api, cp, charger):
    body = {"listVersion": 5, "updateType": "Full", "localAuthorizationList": [card(1)]}
    assert api.post(f"{api.base}/chargers/CP-1/local-list", json=body).json()["status"] == "Accepted"
    sent(cp)
    assert (held(charger).version, held(charger).entries) == (5, {"CARD-1": card(1)["idTagInfo"]})


def test_not_supported_changes_nothing(api, cp, charger):
    sync(api)
    sent(cp)
    cp.respond("SendLocalList", {"status": "NotSupported"})
    sync(api, {"updateType": "Full"})
    sent(cp)
    assert held(charger).version == 1


def test_it_refuses_a_bad_update_type(api, cp):
    response = sync(api, {"updateType": "Partial"})
    assert response.status_code == 400 and response.json()["error"]["message"].startswith("updateType")


def test_another_organisations_charger_is_not_found(api, globex, tags):
    charger_register(organisation=globex, charge_box_id="GLOBEX-1")
    response = sync(api, charge_box_id="GLOBEX-1")
    assert response.status_code == 404


def test_an_offline_charger_is_422(api, charger, tags):
    response = sync(api)
    assert response.status_code == 422 and response.json()["error"]["code"] == "charge_point_offline"
