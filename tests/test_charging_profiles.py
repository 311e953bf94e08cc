"""Installed charging profiles and power limits, against the live server and a strict ocpp-rpc charger."""

import queue

import pytest

from tests.ocpp_rpc import strict_charger

pytestmark = pytest.mark.node

TX_DEFAULT = {
    "chargingProfileId": 101,
    "stackLevel": 1,
    "chargingProfilePurpose": "TxDefaultProfile",
    "chargingProfileKind": "Absolute",
    "chargingSchedule": {"chargingRateUnit": "W", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7400}]},
}


@pytest.fixture
def cp(server, charger, celery_worker):
    with strict_charger(server.ws, "CP-1") as rpc:
        rpc.call("BootNotification", {"chargePointVendor": "Acme", "chargePointModel": "AC-22"})
        yield rpc


def installed(api) -> list[dict]:
    return api.get(f"{api.base}/chargers/CP-1/charging-profiles").json()["chargingProfiles"]


def test_an_accepted_profile_is_listed_as_installed_and_a_rejected_one_is_not(api, cp):
    api.post(f"{api.base}/chargers/CP-1/charging-profiles", json={"connectorId": 1, "chargingProfile": TX_DEFAULT})
    assert cp.next_call()["payload"] == {"connectorId": 1, "csChargingProfiles": TX_DEFAULT}
    cp.respond("SetChargingProfile", {"status": "Rejected"})
    other = {**TX_DEFAULT, "chargingProfileId": 102, "stackLevel": 2}
    api.post(f"{api.base}/chargers/CP-1/charging-profiles", json={"connectorId": 1, "chargingProfile": other})
    [profile] = installed(api)
    assert {key: profile[key] for key in ("chargingProfileId", "connectorId", "stackLevel", "chargingProfilePurpose",
                                          "chargingProfileKind", "chargingSchedule", "transactionId")} == {
        "chargingProfileId": 101, "connectorId": 1, "stackLevel": 1, "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute", "chargingSchedule": TX_DEFAULT["chargingSchedule"], "transactionId": None,
    }  # fmt: skip


def test_a_profile_with_the_same_purpose_and_stack_level_replaces_the_old_one(api, cp):
    api.post(f"{api.base}/chargers/CP-1/charging-profiles", json={"connectorId": 1, "chargingProfile": TX_DEFAULT})
    newer = {**TX_DEFAULT, "chargingProfileId": 150}
    api.post(f"{api.base}/chargers/CP-1/charging-profiles", json={"connectorId": 1, "chargingProfile": newer})
    assert [p["chargingProfileId"] for p in installed(api)] == [150]


def test_clearing_removes_by_id_or_by_criteria(api, cp):
    for connector, profile_id, level in [(1, 101, 1), (2, 102, 1), (2, 103, 3)]:
        profile = {**TX_DEFAULT, "chargingProfileId": profile_id, "stackLevel": level}
        api.post(
            f"{api.base}/chargers/CP-1/charging-profiles", json={"connectorId": connector, "chargingProfile": profile}
        )
    api.post(f"{api.base}/chargers/CP-1/charging-profiles/clear", json={"id": 101})
    assert [p["chargingProfileId"] for p in installed(api)] == [102, 103]
    api.post(f"{api.base}/chargers/CP-1/charging-profiles/clear", json={"connectorId": 2, "stackLevel": 3})
    assert [p["chargingProfileId"] for p in installed(api)] == [102]
    cp.respond("ClearChargingProfile", {"status": "Unknown"})  # the charger holds none: neither do we
    api.post(f"{api.base}/chargers/CP-1/charging-profiles/clear", json={"chargingProfilePurpose": "TxDefaultProfile"})
    assert installed(api) == []


def test_a_power_limit_in_kilowatts_uses_the_chargers_phases_and_voltage(api, cp):
    api.patch(f"{api.base}/chargers/CP-1", json={"phases": 1, "voltage": 240})
    reply = api.post(f"{api.base}/chargers/CP-1/power-limit", json={"limit": {"acMaxPowerKw": 7.4}, "connectorId": 1})
    assert reply.json()["limit"] == 30.8
    schedule = cp.next_call()["payload"]["csChargingProfiles"]["chargingSchedule"]
    assert schedule["chargingRateUnit"] == "A"
    assert schedule["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 30.8, "numberPhases": 1}]
    [profile] = installed(api)
    assert (profile["chargingProfileId"], profile["chargingProfilePurpose"]) == (3101, "TxDefaultProfile")
    assert profile["chargingSchedule"] == schedule
    api.delete(f"{api.base}/chargers/CP-1/power-limit?connectorId=1")
    assert cp.next_call()["payload"] == {"id": 3101, "connectorId": 1, "chargingProfilePurpose": "TxDefaultProfile"}
    assert installed(api) == []


def test_a_charger_that_takes_watts_is_sent_watts(api, cp):
    api.patch(f"{api.base}/chargers/CP-1", json={"chargingRateUnit": "W"})
    reply = api.post(f"{api.base}/chargers/CP-1/power-limit", json={"limit": {"acMaxPowerA": 16}})
    schedule = cp.next_call()["payload"]["csChargingProfiles"]["chargingSchedule"]
    assert (schedule["chargingRateUnit"], schedule["chargingSchedulePeriod"]) == (
        "W", [{"startPeriod": 0, "limit": 11040, "numberPhases": 3}])  # fmt: skip
    assert reply.json()["message"] == "Power limit of 11040 W on the whole charger accepted by charger"


def test_the_reported_rate_unit_is_used_when_the_operator_set_none(api, cp):
    key = {"key": "ChargingScheduleAllowedChargingRateUnit", "readonly": True, "value": "Power"}
    cp.respond("GetConfiguration", {"configurationKey": [key], "unknownKey": []})
    api.post(f"{api.base}/chargers/CP-1/configuration/get", json={"key": ["ChargingScheduleAllowedChargingRateUnit"]})
    cp.next_call()
    assert api.get(f"{api.base}/chargers/CP-1").json()["chargingRateUnit"] == "W"


def test_after_a_reboot_the_charger_is_sent_its_profiles_again(api, cp, server):
    api.post(f"{api.base}/chargers/CP-1/charging-profiles", json={"connectorId": 1, "chargingProfile": TX_DEFAULT})
    api.post(f"{api.base}/chargers/CP-1/power-limit", json={"limit": {"acMaxPowerA": 20}})
    sent = [cp.next_call()["payload"], cp.next_call()["payload"]]
    cp.close()
    with strict_charger(server.ws, "CP-1") as rebooted:
        rebooted.call("BootNotification", {"chargePointVendor": "Acme", "chargePointModel": "AC-22"})
        resent = [rebooted.next_call(), rebooted.next_call()]
    assert {call["action"] for call in resent} == {"SetChargingProfile"}
    by_id = {call["payload"]["csChargingProfiles"]["chargingProfileId"]: call["payload"] for call in resent}
    assert by_id == {payload["csChargingProfiles"]["chargingProfileId"]: payload for payload in sent}
    assert {p["chargingProfileId"] for p in installed(api)} == {101, 3000}


def test_restoring_after_boot_can_be_turned_off(charger, acme_key, tmp_path):
    import requests

    from tests.conftest import start_server

    other = start_server(tmp_path, CSMS_RESEND_PROFILES_AFTER_BOOT="false")
    try:
        api = requests.Session()
        api.headers["X-API-Key"] = acme_key
        api.base = f"{other.http}/api/v1"
        with strict_charger(other.ws, "CP-1") as cp:
            api.post(f"{api.base}/chargers/CP-1/power-limit", json={"limit": {"acMaxPowerA": 20}})
            cp.next_call()
        with strict_charger(other.ws, "CP-1") as rebooted:
            rebooted.call("BootNotification", {"chargePointVendor": "Acme", "chargePointModel": "AC-22"})
            with pytest.raises(queue.Empty):
                rebooted.next_call(timeout=1.5)
    finally:
        other.stop()
