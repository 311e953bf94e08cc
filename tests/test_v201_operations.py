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
         "chargingSchedule."),
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
