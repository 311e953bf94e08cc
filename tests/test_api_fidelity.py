"""What a careful integrator's trial of the main API found: each answer true to what was asked and to what
the charger did. Live server, strict ocpp-rpc charger."""

import queue
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from chargers.models import DataTransfer
from smart_charging.services.sites import site_create
from tests.command_replies import post
from tests.ocpp_rpc import strict_charger

pytestmark = pytest.mark.node


@pytest.fixture
def cp(server, charger):
    with strict_charger(server.ws, "CP-1") as rpc:
        rpc.call("BootNotification", {"chargePointVendor": "Acme", "chargePointModel": "AC-22"})
        yield rpc


MAXIMUM = "CP-1's maximum of 32 A per phase (22.08 kW on 3 phases at 230 V; maxCurrent)."


def refused(response, message: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"error": {"code": "validation_error", "message": message}}


@pytest.mark.parametrize(
    "limit, message",
    [
        ({"acMaxPowerKw": 1e12}, "limit.acMaxPowerKw: 1e+12 kW is above " + MAXIMUM),
        ({"acMaxPowerA": 40}, "limit.acMaxPowerA: 40 A is above " + MAXIMUM),
        ({"acMaxPowerW": 30000}, "limit.acMaxPowerW: 30000 W is above " + MAXIMUM),
        ({"dcMaxPowerKw": 1e12}, "limit.dcMaxPowerKw: 1e+12 kW is above the most any charger delivers (400 kW)."),
    ],
)  # fmt: skip
def test_a_power_limit_above_the_chargers_maximum_is_refused_and_not_sent(api, cp, limit, message):
    refused(post(api, "power-limit", {"limit": limit}), message)
    with pytest.raises(queue.Empty):
        cp.next_call(timeout=0.5)


def test_a_power_limit_above_the_sites_capacity_is_refused(api, cp, acme, charger):
    site = site_create(organisation=acme, name="Depot", capacity_limit=20, capacity_unit="A")
    charger.site = site
    charger.save(update_fields=["site"])
    refused(post(api, "power-limit", {"limit": {"acMaxPowerA": 25}, "connectorId": 1}),
            "limit.acMaxPowerA: 25 A is above the capacity of site Depot (20 A per phase).")  # fmt: skip
    assert post(api, "power-limit", {"limit": {"acMaxPowerA": 20}, "connectorId": 1}).status_code == 200


def test_watts_are_taken_and_sent_as_watts(api, cp):
    reply = post(api, "power-limit", {"limit": {"acMaxPowerW": 2000}, "chargingRateUnit": "W", "connectorId": 1})
    assert reply.status_code == 200, reply.text
    schedule = cp.next_call()["payload"]["csChargingProfiles"]["chargingSchedule"]
    assert (schedule["chargingRateUnit"], schedule["chargingSchedulePeriod"]) == (
        "W", [{"startPeriod": 0, "limit": 2000, "numberPhases": 3}])  # fmt: skip
    post(api, "power-limit", {"limit": {"acMaxPowerKw": 2}, "chargingRateUnit": "W"})
    schedule = cp.next_call()["payload"]["csChargingProfiles"]["chargingSchedule"]
    assert (schedule["chargingRateUnit"], schedule["chargingSchedulePeriod"][0]["limit"]) == ("W", 2000)


def test_a_reservation_that_has_already_expired_is_refused_and_not_sent(api, cp):
    past = (datetime.now(UTC) - timedelta(minutes=1)).replace(microsecond=0)
    response = post(api, "reservations", {"connectorId": 1, "expiryDate": past.isoformat(), "idTag": "T1"})
    refused(response, f"expiryDate: {past.isoformat().replace('+00:00', 'Z')} is in the past.")
    with pytest.raises(queue.Empty):
        cp.next_call(timeout=0.5)


def installed(api) -> list[int]:
    return [p["chargingProfileId"] for p in api.get(f"{api.base}/chargers/CP-1/charging-profiles").json()[
        "chargingProfiles"]]  # fmt: skip


PROFILE = {
    "chargingProfileId": 7,
    "stackLevel": 2,
    "chargingProfilePurpose": "TxDefaultProfile",
    "chargingProfileKind": "Absolute",
    "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]},
}


def test_profiles_sent_as_raw_commands_are_listed_replaced_and_cleared(api, cp):
    raw = {"action": "SetChargingProfile", "payload": {"connectorId": 1, "csChargingProfiles": PROFILE}}
    assert post(api, "commands", raw).status_code == 200
    assert installed(api) == [7]
    # Same purpose and stack level on the same connector: the charger replaces it.
    newer = {**PROFILE, "chargingProfileId": 8}
    post(api, "commands", {"action": "SetChargingProfile", "payload": {"connectorId": 1, "csChargingProfiles": newer}})
    assert installed(api) == [8]
    cp.respond("SetChargingProfile", {"status": "Rejected"})
    post(
        api, "commands", {"action": "SetChargingProfile", "payload": {"connectorId": 2, "csChargingProfiles": PROFILE}}
    )
    assert installed(api) == [8]
    post(api, "commands", {"action": "ClearChargingProfile", "payload": {"id": 8}})
    assert installed(api) == []


@pytest.mark.parametrize(
    "answer, message",
    [
        ({"status": "UnknownVendorId"}, "DataTransfer UnknownVendorId by charger"),
        ({"status": "UnknownMessageId"}, "DataTransfer UnknownMessageId by charger"),
        ({"status": "Accepted"}, "DataTransfer accepted by charger"),
    ],
)
def test_messages_keep_ocpps_spelling_of_the_chargers_answer(api, cp, answer, message):
    cp.respond("DataTransfer", answer)
    assert post(api, "data-transfer", {"vendorId": "com.example"}).json()["message"] == message
    raw = post(api, "commands", {"action": "DataTransfer", "payload": {"vendorId": "com.example"}})
    assert raw.json()["message"] == message


def test_unlock_messages_keep_ocpps_spelling(api, cp):
    cp.respond("UnlockConnector", {"status": "UnlockFailed"})
    assert post(api, "unlock", {"connectorId": 1}).json()["message"] == "Connector 1 failed to unlock"


def test_the_data_transfer_history_pages_with_offset_and_total(api, cp, charger):
    for number in range(3):
        DataTransfer.objects.create(charger=charger, direction="incoming", vendor_id="v", message_id=f"m{number}")
    page = api.get(f"{api.base}/chargers/CP-1/data-transfer?limit=1&offset=1").json()
    assert [row["messageId"] for row in page["dataTransfers"]] == ["m1"]
    assert page["pagination"] == {"total": 3, "limit": 1, "offset": 1}
    assert page["count"] == 1


def test_a_stop_reply_names_the_transaction_as_the_listings_do(api, cp):
    reply = post(api, "transactions/4242/stop").json()
    assert reply["transactionId"] == "4242"


def schema(server) -> dict:
    import requests

    return yaml.safe_load(requests.get(f"{server.http}/api/v1/schema/").text)


def test_the_schema_lists_every_answer_chargers_give(server):
    components = schema(server)["components"]["schemas"]
    assert "Scheduled" in components["ResetReply"]["properties"]["status"]["description"]
    unlock = components["UnlockReply"]["properties"]["status"]["description"]
    assert "OngoingAuthorizedTransaction" in unlock and "UnknownConnector" in unlock
    stop = components["TransactionStopReply"]["properties"]["transactionId"]
    listed = components["Transaction"]["properties"]["transactionId"] if "Transaction" in components else None
    assert stop["type"] == "string"
    assert listed is None or listed["type"] == "string"


def profile_with(*periods: dict, unit: str = "A") -> dict:
    return {**PROFILE, "chargingSchedule": {"chargingRateUnit": unit, "chargingSchedulePeriod": list(periods)}}


@pytest.mark.parametrize(
    "path, body, message",
    [
        ("charging-profiles", {"connectorId": 1, "chargingProfile": profile_with(
            {"startPeriod": 0, "limit": 16}, {"startPeriod": 60, "limit": 40})},
         "chargingProfile.chargingSchedule.chargingSchedulePeriod[1].limit: 40 A is above " + MAXIMUM),
        ("charging-profiles", {"connectorId": 1, "chargingProfile": profile_with(
            {"startPeriod": 0, "limit": 30000, "numberPhases": 3}, unit="W")},
         "chargingProfile.chargingSchedule.chargingSchedulePeriod[0].limit: 30000 W is above " + MAXIMUM),
        ("charging-profiles", {"connectorId": 1, "chargingProfile": profile_with(
            {"startPeriod": 0, "limit": 1e12}, unit="W")},
         "chargingProfile.chargingSchedule.chargingSchedulePeriod[0].limit: 1e+12 W is above the most any charger "
         "delivers (400 kW)."),
        ("transactions/start", {"idTag": "T1", "connectorId": 1, "chargingProfile": {
            **profile_with({"startPeriod": 0, "limit": 1e12}), "chargingProfilePurpose": "TxProfile"}},
         "chargingProfile.chargingSchedule.chargingSchedulePeriod[0].limit: 1e+12 A is above " + MAXIMUM),
        ("charging-profiles?async=true", {"connectorId": 1, "chargingProfile": profile_with(
            {"startPeriod": 0, "limit": 33})},
         "chargingProfile.chargingSchedule.chargingSchedulePeriod[0].limit: 33 A is above " + MAXIMUM),
    ],
)  # fmt: skip
def test_a_charging_profile_above_the_chargers_maximum_is_refused_and_not_sent(api, cp, path, body, message):
    refused(post(api, path, body), message)
    with pytest.raises(queue.Empty):
        cp.next_call(timeout=0.5)


def test_a_charging_profile_above_the_sites_capacity_is_refused(api, cp, acme, charger):
    charger.site = site_create(organisation=acme, name="Depot", capacity_limit=20, capacity_unit="A")
    charger.save(update_fields=["site"])
    over = {"connectorId": 1, "chargingProfile": profile_with({"startPeriod": 0, "limit": 25})}
    refused(post(api, "charging-profiles", over), "chargingProfile.chargingSchedule.chargingSchedulePeriod[0].limit: "
            "25 A is above the capacity of site Depot (20 A per phase).")  # fmt: skip
    within = {"connectorId": 1, "chargingProfile": profile_with({"startPeriod": 0, "limit": 20})}
    assert post(api, "charging-profiles", within).status_code == 200
