"""The OCPP 2.0.1 charger-operations API another system documents: its example bodies sent to a live server
for a strict ocpp-rpc 2.0.1 charger, at /api/v1/charger-operations/ (its reply shapes) and at the main API;
the documented replies and the exact OCPP the charger got."""

from unittest.mock import ANY

import pytest

from tests.command_replies import post
from tests.ocpp_rpc import strict_charger

pytestmark = pytest.mark.node

# The document's example profile, with real values where it shows placeholders ("string", 0, true).
SCHEDULE = {
    "chargingRateUnit": "A",
    "chargingSchedulePeriod": [{"customData": {"vendorId": "com.example"}, "limit": 16, "numberPhases": 1,
                                "phaseToUse": 1, "startPeriod": 0}],
    "customData": {"vendorId": "com.example"},
    "duration": 86400,
    "id": 1,
    "minChargingRate": 6,
    "salesTariff": {
        "customData": {"vendorId": "com.example"}, "id": 1, "numEPriceLevels": 1, "salesTariffDescription": "flat",
        "salesTariffEntry": [{"consumptionCost": [{"startValue": 0, "cost": [
                                  {"costKind": "RenewableGenerationPercentage", "amount": 80}]}],
                              "customData": {"vendorId": "com.example"}, "ePriceLevel": 1,
                              "relativeTimeInterval": {"duration": 3600, "start": 0}}],
    },
    "startSchedule": "2026-01-01T00:00:00Z",
}  # fmt: skip
SENT = {
    "chargingProfileKind": "Absolute",
    "chargingProfilePurpose": "ChargingStationExternalConstraints",
    "chargingSchedule": [SCHEDULE],
    "customData": {"vendorId": "com.example"},
    "id": 12,
    "recurrencyKind": "Daily",
    "stackLevel": 0,
    "validFrom": "2026-01-01T00:00:00Z",
    "validTo": "2036-01-01T00:00:00Z",
}
META = {"comment": "night plan", "createdAt": "2026-01-01T00:00:00Z", "createdBy": "planner"}
PROFILE = {**SENT, "condition": {"whenNoCloudConnection": False, "whenSessionNotAuthorized": False}, "meta": META}
INFO = {"reasonCode": "NoError", "additionalInfo": "applied", "customData": {"vendorId": "com.example"}}

# (method, path, the document's example body, the OCPP action, the payload the charger gets (None: not
# compared), its answer, the documented reply)
EXAMPLES = [
    ("post", "charging-profiles", {"chargingProfile": PROFILE}, "SetChargingProfile",
     {"evseId": 0, "chargingProfile": SENT}, {"status": "Accepted", "statusInfo": INFO},
     {"response": "Accepted", "statusInfo": INFO}),
    ("post", "charging-profiles", {"connectorId": 1, "chargingProfile": {**PROFILE, "id": 13,
                                                                        "chargingProfilePurpose": "TxDefaultProfile"}},
     "SetChargingProfile", {"evseId": 1, "chargingProfile": {**SENT, "id": 13,
                                                             "chargingProfilePurpose": "TxDefaultProfile"}},
     {"status": "Accepted"}, {"response": "Accepted"}),
    ("post", "charging-profiles/clear", {"chargingProfileCriteria": {
        "chargingProfilePurpose": "ChargingStationExternalConstraints", "customData": {"vendorId": "com.example"},
        "evseId": 0, "stackLevel": 0}, "chargingProfileId": 12},
     "ClearChargingProfile", {"chargingProfileId": 12, "chargingProfileCriteria": {
         "evseId": 0, "chargingProfilePurpose": "ChargingStationExternalConstraints", "stackLevel": 0,
         "customData": {"vendorId": "com.example"}}},
     {"status": "Accepted"}, {"response": "Accepted"}),
    ("post", "availability", {"disableTextReason": "Cable replaced", "type": "Inoperative"}, "ChangeAvailability",
     {"operationalStatus": "Inoperative", "customData": {"vendorId": "csms", "disableTextReason": "Cable replaced"}},
     {"status": "Scheduled"}, {"responseFromStation": "Scheduled"}),
    ("post", "reset", {"type": "Immediate"}, "Reset", {"type": "Immediate"}, {"status": "Accepted"},
     {"responseFromStation": "Accepted"}),
    ("post", "power-limit", {"limit": {"acMaxPowerKw": 11}, "comment": "peak shaving"}, "SetChargingProfile", None,
     {"status": "Accepted"}, {"response": "Accepted"}),
    ("post", "power-limit", {"limit": {"acMaxPowerA": 16}, "connectorId": 1, "relativeDelay": 600, "stackLevel": 2,
                             "chargingProfileId": 4000},
     "SetChargingProfile", {"evseId": 1, "chargingProfile": {
         "id": 4000, "stackLevel": 2, "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Relative",
         "chargingSchedule": [{"id": 4000, "chargingRateUnit": "A", "chargingSchedulePeriod": [
             {"startPeriod": 0, "limit": 32, "numberPhases": 3},
             {"startPeriod": 600, "limit": 16, "numberPhases": 3}]}]}},
     {"status": "Rejected", "statusInfo": {"reasonCode": "InvalidSchedule"}},
     {"response": "Rejected", "statusInfo": {"reasonCode": "InvalidSchedule"}}),
    ("post", "power-limit", {"limit": {"dcMaxPowerKw": 50}, "transactionId": "TX-9", "connectorId": 1},
     "SetChargingProfile", {"evseId": 1, "chargingProfile": {
         "id": 3201, "stackLevel": 0, "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Absolute",
         "transactionId": "TX-9", "chargingSchedule": [{
             "id": 3201, "startSchedule": ANY, "chargingRateUnit": "W",
             "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 50000}]}]}},
     {"status": "Accepted"}, {"response": "Accepted"}),
    ("delete", "power-limit?connectorId=1", None, "ClearChargingProfile", {"chargingProfileId": 3101},
     {"status": "Unknown", "statusInfo": {"reasonCode": "NotFound"}},
     {"response": "Unknown", "statusInfo": {"reasonCode": "NotFound"}}),
    ("post", "transactions/start", {}, "RequestStartTransaction", None,
     {"status": "Accepted", "transactionId": "TX-9"},
     {"transactionStartResponse": {"status": "Accepted", "transactionId": "TX-9"}}),
    ("post", "transactions/TX-9/stop", {}, "RequestStopTransaction", {"transactionId": "TX-9"},
     {"status": "Accepted"}, {"transactionStopResponse": {"status": "Accepted"}}),
]  # fmt: skip
IDS = [f"{method}-{path}-{index}" for index, (method, path, *_) in enumerate(EXAMPLES)]


@pytest.fixture
def cp(server, charger):
    with strict_charger(server.ws, "CP-1", protocol="ocpp2.0.1") as rpc:
        yield rpc


def operations(api, method: str, path: str, body: dict | None):
    url = f"{api.base}/charger-operations/chargers/CP-1/{path}"
    return api.request(method, url, json=body) if body is not None else api.request(method, url)


@pytest.mark.parametrize("method, path, body, action, payload, answer, documented", EXAMPLES, ids=IDS)
def test_each_documented_example_gets_the_documented_reply(api, cp, method, path, body, action, payload, answer,
                                                          documented):  # fmt: skip
    cp.respond(action, answer)
    response = operations(api, method, path, body)
    assert response.status_code == 200, response.text
    call = cp.next_call()
    assert call["action"] == action
    if payload is not None:
        assert call["payload"] == payload
    assert response.json() == documented


@pytest.mark.parametrize("method, path, body, action, payload, answer, documented", EXAMPLES, ids=IDS)
def test_the_same_bodies_work_at_the_main_api(api, cp, method, path, body, action, payload, answer, documented):
    cp.respond(action, answer)
    url = f"{api.base}/chargers/CP-1/{path}"
    response = api.request(method, url, json=body) if body is not None else api.request(method, url)
    assert response.status_code == 200, response.text
    call = cp.next_call()
    assert call["action"] == action
    if payload is not None:
        assert call["payload"] == payload
    assert response.json()["response"] == answer


def listed(api) -> list[dict]:
    return api.get(f"{api.base}/chargers/CP-1/charging-profiles").json()["chargingProfiles"]


def test_a_start_without_a_token_is_one_no_one_authorizes(api, cp):
    reply = post(api, "transactions/start", {})
    assert cp.next_call()["payload"]["idToken"] == {"idToken": "", "type": "NoAuthorization"}
    assert reply.json()["message"] == "Remote start for no id token accepted by charger"


def test_notes_are_kept_with_the_installed_profile_and_never_sent(api, cp):
    operations(api, "post", "charging-profiles", {"chargingProfile": PROFILE})
    assert "meta" not in cp.next_call()["payload"]["chargingProfile"]
    operations(api, "post", "power-limit", {"limit": {"acMaxPowerA": 10}, "connectorId": 2, "comment": "feeder 2"})
    cp.next_call()
    assert {p["chargingProfileId"]: p["meta"] for p in listed(api)} == {12: META, 3102: {"comment": "feeder 2"}}


@pytest.mark.parametrize(
    "path, body, message",
    [
        ("charging-profiles", {"chargingProfile": {**PROFILE, "condition": {"whenNoCloudConnection": True}}},
         "chargingProfile.condition.whenNoCloudConnection: OCPP 2.0.1 cannot make a profile depend on this; only "
         "false (the profile always applies) is taken"),
        ("power-limit", {"limit": {"acMaxPowerA": 10}, "condition": "whenSessionNotAuthorized"},
         "condition: OCPP gives a charger no condition to check for a power limit; leave it out"),
        ("power-limit", {"limit": {"acMaxPowerA": 10}, "relativeDelay": 60},
         "relativeDelay: a limit on the whole charger waits for no session's start: give connectorId or "
         "transactionId"),
        ("availability", {"type": "Inoperative", "operationalStatus": "Operative"},
         "operationalStatus: give type or operationalStatus, not both"),
        ("availability", {"connectorId": 1, "evse": {"id": 1}, "type": "Inoperative"},
         "evse: give connectorId or evse, not both"),
        ("availability", {"disableTextReason": "x"}, "type: This field is required (or operationalStatus)."),
    ],
)  # fmt: skip
def test_what_cannot_be_honoured_is_a_400_naming_the_field(api, cp, path, body, message):
    response = operations(api, "post", path, body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"] == message


def test_availability_takes_an_evse_and_one_of_its_connectors(api, cp):
    body = {"operationalStatus": "Operative", "evse": {"id": 2, "connectorId": 1}}
    reply = post(api, "availability", body)
    assert reply.status_code == 200, reply.text
    assert cp.next_call()["payload"] == {"operationalStatus": "Operative", "evse": {"id": 2, "connectorId": 1}}
    assert reply.json()["message"] == "Change to Operative on EVSE 2 accepted by charger"


@pytest.mark.parametrize(
    "body, message",
    [
        ({"type": "Inoperative", "evse": {"id": 2, "connectorId": 1}},
         "evse: an OCPP 1.6 charger has connectors, not EVSEs: give connectorId"),
        ({"type": "Inoperative", "disableTextReason": "works"}, "disableTextReason: an OCPP 1.6 charger cannot be "
         "told why"),
    ],
)  # fmt: skip
def test_a_1_6_charger_is_not_sent_what_it_cannot_take(api, server, charger, body, message):
    with strict_charger(server.ws, "CP-1") as cp16:
        response = post(api, "availability", body)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["message"] == message
        assert post(api, "availability", {"type": "Inoperative", "evse": {"id": 2}}).status_code == 200
        assert cp16.next_call()["payload"] == {"connectorId": 2, "type": "Inoperative"}
        refused = post(api, "transactions/start", {})
        assert (
            refused.json()["error"]["message"] == "idTag: an OCPP 1.6 charger starts a session for an id tag: give one"
        )
        criteria = {"chargingProfileCriteria": {"evseId": 1, "customData": {"vendorId": "com.example"}}}
        refused = post(api, "charging-profiles/clear", criteria)
        assert refused.json()["error"]["message"] == "chargingProfileCriteria.customData: OCPP 1.6 has no customData"


def test_an_async_command_stays_a_202_with_its_command_id(api, cp):
    response = api.post(f"{api.base}/charger-operations/chargers/CP-1/reset?async=true", json={"type": "OnIdle"})
    assert response.status_code == 202
    assert set(response.json()) == {"commandId"}
