"""OCPP.Core's server API at /API/: the document's own example requests against the live server, with strict
ocpp-rpc chargers; OCPP.Core's answers, the exact OCPP the charger got, and JSON errors, never HTML."""

from datetime import UTC, datetime

import pytest
import requests

from accounts.models import ApiKey
from chargers.services.registry import charger_register
from tests.ocpp_rpc import strict_charger

pytestmark = pytest.mark.node

BOOT_16 = {"chargePointVendor": "Keba", "chargePointModel": "P30"}


@pytest.fixture
def station42(acme):
    return charger_register(organisation=acme, charge_box_id="station42", name="myWallbox")


@pytest.fixture
def core(server, acme_key):
    """OCPP.Core's management UI: GET, with X-API-Key."""
    session = requests.Session()
    session.headers["X-API-Key"] = acme_key
    session.base = f"{server.http}/API"
    return session


@pytest.fixture
def cp(server, station42):
    with strict_charger(server.ws, "station42") as rpc:
        rpc.call("BootNotification", BOOT_16)
        yield rpc


def sent(core, cp, path: str, action: str, answer: dict, method: str = "get"):
    """The answer to /API/<path>, and the payload of the `action` CALL the charger got."""
    cp.respond(action, answer)
    response = core.request(method, f"{core.base}/{path}")
    assert response.status_code == 200, response.text
    call = cp.next_call()
    assert call["action"] == action
    return response.json(), call["payload"]


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT00:00:00Z")


def test_reset_as_documented(core, cp):
    assert sent(core, cp, "Reset/station42", "Reset", {"status": "Accepted"}) == (
        {"status": "Accepted"}, {"type": "Soft"})  # fmt: skip
    assert sent(core, cp, "Reset/station42", "Reset", {"status": "Rejected"}, "post")[0] == {"status": "Rejected"}


def test_reset_of_a_2_0_1_charger_may_be_scheduled(core, server, station42):
    with strict_charger(server.ws, "station42", protocol="ocpp2.0.1") as cp:
        assert sent(core, cp, "Reset/station42", "Reset", {"status": "Scheduled"}) == (
            {"status": "Scheduled"}, {"type": "OnIdle"})  # fmt: skip


@pytest.mark.parametrize("answer", ["Unlocked", "UnlockFailed", "NotSupported"])
def test_unlock_connector_as_documented(core, cp, answer):
    assert sent(core, cp, "UnlockConnector/station42/1", "UnlockConnector", {"status": answer}) == (
        {"status": answer}, {"connectorId": 1})  # fmt: skip


def test_set_charging_limit_sends_a_constant_daily_profile_in_the_unit_given(core, cp, api):
    reply, payload = sent(core, cp, "SetChargingLimit/station42/1/2000W", "SetChargingProfile", {"status": "Accepted"})
    assert reply == {"status": "Accepted"}
    assert payload == {"connectorId": 1, "csChargingProfiles": {
        "chargingProfileId": 3101, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Recurring", "recurrencyKind": "Daily",
        "chargingSchedule": {"duration": 86400, "startSchedule": today(), "chargingRateUnit": "W",
                             "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 2000}]}}}  # fmt: skip
    reply, payload = sent(core, cp, "SetChargingLimit/station42/0/16A", "SetChargingProfile", {"status": "Rejected"})
    assert reply == {"status": "Rejected"}
    profile = payload["csChargingProfiles"]
    assert (payload["connectorId"], profile["chargingProfileId"], profile["chargingProfilePurpose"]) == (
        0, 3000, "ChargePointMaxProfile")  # fmt: skip
    assert profile["chargingSchedule"]["chargingRateUnit"] == "A"
    assert profile["chargingSchedule"]["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 16}]
    listed = api.get(f"{api.base}/chargers/station42/charging-profiles").json()["chargingProfiles"]
    assert [(p["chargingProfileId"], p["chargingProfileKind"]) for p in listed] == [(3101, "Recurring")]


def test_clear_charging_limit_clears_what_was_set(core, cp, api):
    sent(core, cp, "SetChargingLimit/station42/1/16A", "SetChargingProfile", {"status": "Accepted"})
    reply, payload = sent(core, cp, "ClearChargingLimit/station42/1", "ClearChargingProfile", {"status": "Accepted"})
    assert reply == {"status": "Accepted"}
    assert payload == {"id": 3101, "connectorId": 1, "chargingProfilePurpose": "TxDefaultProfile"}
    assert api.get(f"{api.base}/chargers/station42/charging-profiles").json()["chargingProfiles"] == []
    assert sent(core, cp, "ClearChargingLimit/station42/1", "ClearChargingProfile", {"status": "Unknown"})[0] == {
        "status": "Unknown"}  # fmt: skip


def sample(measurand: str, value: str, unit: str) -> dict:
    return {"measurand": measurand, "value": value, "unit": unit}


def test_status_lists_the_connected_chargers_with_ocpp_core_codes_and_latest_meter_values(core, cp, server, acme):
    charger_register(organisation=acme, charge_box_id="CP-OFFLINE")
    charger_register(organisation=acme, charge_box_id="CP-201", name="Depot")
    for connector, status in [(0, "Available"), (1, "Available"), (2, "Charging"), (3, "Reserved"), (4, "Faulted")]:
        cp.call("StatusNotification", {"connectorId": connector, "status": status, "errorCode": "NoError"})
    now = datetime.now(UTC).isoformat()
    cp.call("MeterValues", {"connectorId": 2, "meterValue": [{"timestamp": now, "sampledValue": [
        sample("Power.Active.Import", "7400", "W"), sample("Energy.Active.Import.Register", "12.5", "kWh"),
        sample("SoC", "57", "Percent")]}]})  # fmt: skip
    with strict_charger(server.ws, "CP-201", protocol="ocpp2.0.1") as v201:
        v201.call(
            "StatusNotification", {"timestamp": now, "connectorStatus": "Occupied", "evseId": 1, "connectorId": 1}
        )
        v201.call("StatusNotification", {"timestamp": now, "connectorStatus": "Unavailable", "evseId": 2,
                                         "connectorId": 1})  # fmt: skip
        answer = core.get(f"{core.base}/Status")
    idle = {"ChargeRateKW": None, "MeterKWH": None, "SoC": None}
    assert answer.status_code == 200
    assert sorted(answer.json(), key=lambda charger: charger["id"]) == [
        {"id": "CP-201", "name": "Depot", "protocol": "ocpp2.0.1",
         "OnlineConnectors": {"1": {"Status": 2, **idle}, "2": {"Status": 3, **idle}}},
        {"id": "station42", "name": "myWallbox", "protocol": "ocpp1.6", "OnlineConnectors": {
            "1": {"Status": 1, **idle},
            "2": {"Status": 2, "ChargeRateKW": 7.4, "MeterKWH": 12.5, "SoC": 57},
            "3": {"Status": 2, **idle},
            "4": {"Status": 4, **idle}}},
    ]  # fmt: skip


def test_errors_are_json_never_html(core, cp, server, acme):
    charger_register(organisation=acme, charge_box_id="CP-OFFLINE")
    cases = [
        (requests.get(f"{core.base}/Status"), 401, "unauthorized"),
        (core.get(f"{core.base}/Reset/nowhere"), 404, "not_found"),
        (core.get(f"{core.base}/Reset/CP-OFFLINE"), 404, "charge_point_offline"),
        (core.get(f"{core.base}/Coffee/station42"), 404, "not_found"),
        (core.get(f"{core.base}/Reset"), 404, "not_found"),
        (core.delete(f"{core.base}/Reset/station42"), 405, "method_not_allowed"),
        (core.get(f"{core.base}/SetChargingLimit/station42/1/fast"), 400, "validation_error"),
        (core.get(f"{core.base}/UnlockConnector/station42/one"), 400, "validation_error"),
    ]
    for response, status, code in cases:
        assert response.headers["Content-Type"] == "application/json", response.request.url
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), response.request.url
    assert cases[6][0].json()["error"]["message"] == "value: 'fast' is no limit: give a number and A or W, e.g. 16A."
    assert cases[7][0].json()["error"]["message"] == "connector: A valid integer is required."


def test_commands_need_the_write_scope(core, cp, acme):
    _, read_only = ApiKey.generate(organisation=acme, scopes=["read:charge_points"])
    headers = {"X-API-Key": read_only}
    assert requests.get(f"{core.base}/Status", headers=headers).status_code == 200
    assert requests.get(f"{core.base}/Reset/station42", headers=headers).status_code == 403
