"""Charging profiles sent through the generic `commands` endpoint are checked and followed like those sent
through the named ones: a SetChargingProfile beyond the charger's reach is a 400 and is not sent; the charger's
report asked for by a raw GetChargingProfiles settles the list of installed profiles. Live server, strict
ocpp-rpc chargers."""

import queue

import pytest

from tests.command_replies import post
from tests.ocpp_rpc import strict_charger

pytestmark = pytest.mark.node

MAXIMUM = "CP-1's maximum of 32 A per phase (22.08 kW on 3 phases at 230 V; maxCurrent)."
SCHEDULE = {"id": 1, "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}
PROFILE = {"id": 12, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Absolute",
           "chargingSchedule": [SCHEDULE]}  # fmt: skip


@pytest.fixture
def cp201(server, charger):
    with strict_charger(server.ws, "CP-1", protocol="ocpp2.0.1") as rpc:
        yield rpc


def raw(api, action: str, payload: dict, query: str = ""):
    return post(api, "commands" + query, {"action": action, "payload": payload})


def installed(api) -> dict[int, int]:
    profiles = api.get(f"{api.base}/chargers/CP-1/charging-profiles").json()["chargingProfiles"]
    return {profile["chargingProfileId"]: profile["connectorId"] for profile in profiles}


@pytest.mark.parametrize("query", ["", "?async=true"])
def test_a_raw_2_0_1_profile_above_the_chargers_maximum_is_refused_and_not_sent(api, cp201, query):
    above = {**SCHEDULE, "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 33}]}
    response = raw(api, "SetChargingProfile", {"evseId": 1, "chargingProfile": {**PROFILE, "chargingSchedule": [
        above]}}, query)  # fmt: skip
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"] == (
        "chargingProfile.chargingSchedule.chargingSchedulePeriod[0].limit: 33 A is above " + MAXIMUM
    )
    with pytest.raises(queue.Empty):
        cp201.next_call(timeout=0.5)
    assert installed(api) == {}


def test_a_raw_1_6_profile_above_the_chargers_maximum_is_refused_and_not_sent(api, server, charger):
    watts = {"chargingProfileId": 7, "stackLevel": 0, "chargingProfilePurpose": "ChargePointMaxProfile",
             "chargingProfileKind": "Absolute", "chargingSchedule": {
                 "chargingRateUnit": "W", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 5e8}]}}  # fmt: skip
    with strict_charger(server.ws, "CP-1") as cp16:
        response = raw(api, "SetChargingProfile", {"connectorId": 0, "csChargingProfiles": watts})
        assert response.status_code == 400, response.text
        assert response.json()["error"]["message"] == (
            "chargingProfile.chargingSchedule.chargingSchedulePeriod[0].limit: 5e+08 W is above the most any "
            "charger delivers (400 kW)."
        )
        with pytest.raises(queue.Empty):
            cp16.next_call(timeout=0.5)


def test_a_raw_profile_within_reach_is_sent_as_given(api, cp201):
    payload = {"evseId": 1, "chargingProfile": PROFILE}
    assert raw(api, "SetChargingProfile", payload).status_code == 200
    assert cp201.next_call()["payload"] == payload
    assert installed(api) == {12: 1}


def test_a_raw_get_charging_profiles_settles_the_list_with_the_chargers_report(api, cp201):
    for number, evse in ((12, 0), (13, 1), (14, 1)):
        raw(api, "SetChargingProfile", {"evseId": evse, "chargingProfile": {**PROFILE, "id": number,
                                                                            "stackLevel": number}})  # fmt: skip
        cp201.next_call()
    cp201.respond("GetChargingProfiles", {"status": "Accepted"})
    asked = {"requestId": 77, "evseId": 1, "chargingProfile": {"chargingLimitSource": ["CSO"]}}
    assert raw(api, "GetChargingProfiles", asked).status_code == 200
    assert cp201.next_call()["payload"] == asked
    # The charger holds 13 on EVSE 1 and no longer 14; 12 (EVSE 0) was not asked about.
    cp201.call("ReportChargingProfiles", {"requestId": 77, "chargingLimitSource": "CSO", "evseId": 1,
                                          "chargingProfile": [{**PROFILE, "id": 13, "stackLevel": 13}]})  # fmt: skip
    assert installed(api) == {12: 0, 13: 1}


def test_a_raw_get_charging_profiles_answered_no_profiles_clears_those_asked_about(api, cp201):
    for number, evse in ((12, 0), (13, 1)):
        raw(api, "SetChargingProfile", {"evseId": evse, "chargingProfile": {**PROFILE, "id": number}})
        cp201.next_call()
    cp201.respond("GetChargingProfiles", {"status": "NoProfiles"})
    reply = raw(api, "GetChargingProfiles", {"requestId": 78, "evseId": 1, "chargingProfile": {}})
    assert reply.json()["status"] == "NoProfiles"
    cp201.next_call()
    assert installed(api) == {12: 0}


def test_a_raw_payload_the_schema_refuses_is_a_400_before_anything_is_read(api, cp201):
    response = raw(api, "SetChargingProfile", {"evseId": 1})
    assert response.status_code == 400, response.text
    assert "chargingProfile" in response.json()["error"]["message"]


def test_a_raw_remote_starts_profile_is_installed_for_the_session_the_charger_starts(api, cp201):
    tx = {**PROFILE, "id": 21, "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Relative"}
    start = {"idToken": {"idToken": "U-1", "type": "Central"}, "remoteStartId": 5, "chargingProfile": tx}
    assert raw(api, "RequestStartTransaction", start).status_code == 200
    assert cp201.next_call()["payload"] == start
    assert installed(api) == {21: 0}  # the charger chooses the EVSE
    cp201.call("TransactionEvent", {
        "eventType": "Started", "timestamp": "2026-01-01T00:00:00Z", "seqNo": 0, "triggerReason": "RemoteStart",
        "evse": {"id": 2, "connectorId": 1},
        "transactionInfo": {"transactionId": "TX-5", "remoteStartId": 5}})  # fmt: skip
    assert installed(api) == {21: 2}


def test_a_raw_1_6_remote_starts_profile_is_installed_on_its_connector(api, server, charger):
    tx = {"chargingProfileId": 22, "stackLevel": 0, "chargingProfilePurpose": "TxProfile",
          "chargingProfileKind": "Relative", "chargingSchedule": {
              "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}}  # fmt: skip
    with strict_charger(server.ws, "CP-1") as cp16:
        start = {"connectorId": 2, "idTag": "RFID-1", "chargingProfile": tx}
        assert raw(api, "RemoteStartTransaction", start).status_code == 200
        assert cp16.next_call()["payload"] == start
        assert installed(api) == {22: 2}
