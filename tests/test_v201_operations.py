"""The OCPP 2.0.1 operation shapes another charger-operations API documents, in the main API: reset types,
the station's statusInfo, and no field accepted and silently ignored. Live server, strict ocpp-rpc chargers."""

import pytest

from tests.command_replies import post
from tests.ocpp_rpc import strict_charger

pytestmark = pytest.mark.node


@pytest.fixture
def cp201(server, charger, ocpp2):
    """A 2.0.1 charger, and a 2.1 one (which speaks these operations alike)."""
    with strict_charger(server.ws, "CP-1", protocol=ocpp2) as rpc:
        yield rpc


@pytest.fixture
def cp16(server, charger):
    with strict_charger(server.ws, "CP-1") as rpc:
        yield rpc


@pytest.mark.parametrize("given, sent", [("Immediate", "Immediate"), ("OnIdle", "OnIdle"), ("Hard", "Immediate")])
def test_a_2_0_1_charger_is_reset_with_2_0_1_types(api, cp201, given, sent):
    cp201.respond("Reset", {"status": "Scheduled"})
    reply = post(api, "reset", {"type": given})
    assert reply.status_code == 200, reply.text
    assert cp201.next_call()["payload"] == {"type": sent}
    assert reply.json()["message"] == f"{given} reset scheduled by charger"


@pytest.mark.parametrize("given, sent", [("Immediate", "Hard"), ("OnIdle", "Soft")])
def test_2_0_1_reset_types_are_translated_for_a_1_6_charger(api, cp16, given, sent):
    assert post(api, "reset", {"type": given}).status_code == 200
    assert cp16.next_call()["payload"] == {"type": sent}


def test_replies_carry_the_stations_status_info(api, cp201):
    info = {"reasonCode": "UnknownTransaction", "additionalInfo": "no such session"}
    cp201.respond("RequestStopTransaction", {"status": "Rejected", "statusInfo": info})
    reply = post(api, "transactions/TX-1/stop").json()
    assert (reply["status"], reply["statusInfo"]) == ("Rejected", info)
    cp201.respond("Reset", {"status": "Accepted"})
    assert "statusInfo" not in post(api, "reset", {"type": "OnIdle"}).json()


@pytest.mark.parametrize(
    "path, body, message",
    [
        ("reset", {"type": "Soft", "delay": 5}, "delay: Unknown field; the fields are type."),
        ("transactions/TX-1/stop", {"reason": "x"}, "reason: Unknown field; there are none."),
        ("charging-profiles", {"connectorId": 1, "chargingProfile": {
            "chargingProfileID": 1, "chargingProfileId": 1, "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Absolute",
            "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 6}]}}},
         "chargingProfile.chargingProfileID: Unknown field; the fields are chargingProfileId, transactionId, "
         "stackLevel, chargingProfilePurpose, chargingProfileKind, recurrencyKind, validFrom, validTo, "
         "chargingSchedule, meta."),
        ("power-limit", {"limit": {"acMaxPowerA": 6, "phaseToUse": 1}},
         "limit.phaseToUse: Unknown field; the fields are acMaxPowerA, acMaxPowerKw, acMaxPowerW, dcMaxPowerKw."),
    ],
)  # fmt: skip
def test_no_field_is_accepted_and_silently_ignored(api, cp201, path, body, message):
    response = post(api, path, body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"] == message


# Seed document's example, with real values where it shows placeholders ("string", 0).
PROFILE_201 = {
    "id": 12,
    "stackLevel": 0,
    "chargingProfilePurpose": "ChargingStationExternalConstraints",
    "chargingProfileKind": "Absolute",
    "recurrencyKind": "Daily",
    "validFrom": "2026-01-01T00:00:00Z",
    "validTo": "2036-01-01T00:00:00Z",
    "chargingSchedule": [{
        "id": 1,
        "chargingRateUnit": "A",
        "startSchedule": "2026-01-01T00:00:00Z",
        "duration": 86400,
        "minChargingRate": 6,
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16, "numberPhases": 1, "phaseToUse": 1,
                                    "customData": {"vendorId": "com.example"}}],
        "salesTariff": {"id": 1, "numEPriceLevels": 1, "salesTariffDescription": "flat",
                        "salesTariffEntry": [{"ePriceLevel": 1, "relativeTimeInterval": {"start": 0}}]},
    }],
    "customData": {"vendorId": "com.example"},
}  # fmt: skip


@pytest.mark.parametrize("purpose", ["ChargingStationMaxProfile", "ChargingStationExternalConstraints"])
def test_a_2_0_1_charger_takes_a_profile_in_the_2_0_1_shape_as_it_is(api, cp201, purpose):
    profile = {**PROFILE_201, "chargingProfilePurpose": purpose}
    reply = post(api, "charging-profiles", {"connectorId": 0, "chargingProfile": profile})
    assert reply.status_code == 200, reply.text
    assert cp201.next_call()["payload"] == {"evseId": 0, "chargingProfile": profile}
    assert (reply.json()["chargingProfileId"], reply.json()["status"]) == (12, "Accepted")
    [listed] = api.get(f"{api.base}/chargers/CP-1/charging-profiles").json()["chargingProfiles"]
    assert (listed["chargingProfileId"], listed["chargingProfilePurpose"]) == (
        12, {"ChargingStationMaxProfile": "ChargePointMaxProfile"}.get(purpose, purpose))  # fmt: skip


def test_a_1_6_charger_is_not_sent_a_2_0_1_profile(api, cp16):
    reply = post(api, "charging-profiles", {"connectorId": 0, "chargingProfile": PROFILE_201})
    assert reply.status_code == 400
    assert reply.json()["error"]["message"].startswith("chargingProfile: the OCPP 2.0.1 shape")


@pytest.mark.parametrize("token_type", ["Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local",
                                        "MacAddress", "NoAuthorization"])  # fmt: skip
def test_a_2_0_1_start_takes_an_id_token_of_any_type_and_a_profile(api, cp201, token_type):
    token = {"idToken": "04A2B3C4D5", "type": token_type}
    tx_profile = {**PROFILE_201, "chargingProfilePurpose": "TxProfile"}
    reply = post(api, "transactions/start", {"idToken": token, "connectorId": 1, "chargingProfile": tx_profile})
    assert reply.status_code == 200, reply.text
    payload = cp201.next_call()["payload"]
    assert (payload["idToken"], payload["evseId"], payload["chargingProfile"]) == (token, 1, tx_profile)
    assert reply.json()["message"] == "Remote start for 04A2B3C4D5 accepted by charger"


def test_a_2_0_1_charger_is_cleared_by_chargingProfileId_or_by_chargingProfileCriteria(api, cp201):
    for number in (12, 13):
        post(api, "charging-profiles", {"connectorId": 0, "chargingProfile": {**PROFILE_201, "id": number,
                                                                              "stackLevel": number}})  # fmt: skip
        cp201.next_call()
    assert post(api, "charging-profiles/clear", {"chargingProfileId": 12}).status_code == 200
    assert cp201.next_call()["payload"] == {"chargingProfileId": 12}
    criteria = {"chargingProfilePurpose": "ChargingStationExternalConstraints", "evseId": 0, "stackLevel": 13}
    assert post(api, "charging-profiles/clear", {"chargingProfileCriteria": criteria}).status_code == 200
    assert cp201.next_call()["payload"] == {"chargingProfileCriteria": criteria}
    assert api.get(f"{api.base}/chargers/CP-1/charging-profiles").json()["chargingProfiles"] == []
    both = post(api, "charging-profiles/clear", {"chargingProfileCriteria": criteria, "stackLevel": 1})
    assert both.json()["error"]["message"] == "chargingProfileCriteria: give the criteria in it or beside it"


def test_a_2_0_1_profile_above_the_chargers_maximum_is_refused(api, cp201):
    schedule = {**PROFILE_201["chargingSchedule"][0], "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 33}]}
    response = post(api, "charging-profiles", {"connectorId": 0, "chargingProfile": {
        **PROFILE_201, "chargingSchedule": [schedule]}})  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "chargingProfile.chargingSchedule[0].chargingSchedulePeriod[0].limit: 33 A is above CP-1's maximum of 32 A "
        "per phase (22.08 kW on 3 phases at 230 V; maxCurrent)."
    )


def installed(api) -> dict[int, int]:
    profiles = api.get(f"{api.base}/chargers/CP-1/charging-profiles").json()["chargingProfiles"]
    return {profile["chargingProfileId"]: profile["connectorId"] for profile in profiles}


def report(cp201, request_id: int, evse_id: int, profiles: list[dict], tbc: bool = False) -> None:
    cp201.call("ReportChargingProfiles", {"requestId": request_id, "chargingLimitSource": "CSO", "evseId": evse_id,
                                          "chargingProfile": profiles, "tbc": tbc})  # fmt: skip


def test_the_installed_profiles_follow_the_chargers_report(api, cp201):
    for number, evse in ((12, 0), (13, 1), (14, 1)):
        post(api, "charging-profiles", {"connectorId": evse, "chargingProfile": {
            **PROFILE_201, "id": number, "stackLevel": number, "meta": {"comment": f"plan {number}"}}})  # fmt: skip
        cp201.next_call()
    assert installed(api) == {12: 0, 13: 1, 14: 1}
    # The charger holds 12 still, lost 13 and 14, and holds 20, which an energy manager gave it.
    held = {**PROFILE_201, "id": 20, "stackLevel": 5, "chargingProfilePurpose": "TxDefaultProfile"}
    cp201.respond("GetChargingProfiles", {"status": "Accepted"})
    assert post(api, "charging-profiles/report", {}).status_code == 200
    request_id = cp201.next_call()["payload"]["requestId"]
    report(cp201, request_id, 0, [{**PROFILE_201, "id": 12, "stackLevel": 12}], tbc=True)
    assert installed(api) == {12: 0, 13: 1, 14: 1}  # more parts to come
    report(cp201, request_id, 2, [held])
    assert installed(api) == {12: 0, 20: 2}
    [kept] = [p for p in api.get(f"{api.base}/chargers/CP-1/charging-profiles").json()["chargingProfiles"]
              if p["chargingProfileId"] == 12]  # fmt: skip
    assert kept["meta"] == {"comment": "plan 12"}


def test_a_charger_holding_none_of_those_asked_about_clears_them_from_the_list(api, cp201):
    for number, evse in ((12, 0), (13, 1)):
        post(api, "charging-profiles", {"connectorId": evse, "chargingProfile": {**PROFILE_201, "id": number}})
        cp201.next_call()
    cp201.respond("GetChargingProfiles", {"status": "NoProfiles"})
    assert post(api, "charging-profiles/report", {"connectorId": 1}).json()["status"] == "NoProfiles"
    cp201.next_call()
    assert installed(api) == {12: 0}
