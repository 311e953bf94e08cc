"""The OCPP 2.0.1 charger-operations API another system documents: its example bodies sent to a live server
for a strict ocpp-rpc 2.0.1 charger, at /api/v1/charger-operations/ (its reply shapes) and at the main API;
the documented replies and the exact OCPP the charger got."""

import queue
from unittest.mock import ANY

import pytest

from chargers.models import DeviceVariable
from commands.models import Command
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
     {"status": "Accepted"}, {"response": "Accepted", "limitApplied": "acMaxPowerKw"}),
    ("post", "power-limit", {"limit": {"acMaxPowerA": 16}, "connectorId": 1, "relativeDelay": 600, "stackLevel": 2,
                             "chargingProfileId": 4000},
     "SetChargingProfile", {"evseId": 1, "chargingProfile": {
         "id": 4000, "stackLevel": 2, "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Relative",
         "chargingSchedule": [{"id": 4000, "chargingRateUnit": "A", "chargingSchedulePeriod": [
             {"startPeriod": 0, "limit": 32, "numberPhases": 3},
             {"startPeriod": 600, "limit": 16, "numberPhases": 3}]}]}},
     {"status": "Rejected", "statusInfo": {"reasonCode": "InvalidSchedule"}},
     {"response": "Rejected", "statusInfo": {"reasonCode": "InvalidSchedule"}, "limitApplied": "acMaxPowerA"}),
    ("post", "power-limit", {"limit": {"dcMaxPowerKw": 50}, "transactionId": "TX-9", "connectorId": 1},
     "SetChargingProfile", {"evseId": 1, "chargingProfile": {
         "id": 3201, "stackLevel": 0, "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Absolute",
         "transactionId": "TX-9", "chargingSchedule": [{
             "id": 3201, "startSchedule": ANY, "chargingRateUnit": "W",
             "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 50000}]}]}},
     {"status": "Accepted"}, {"response": "Accepted", "limitApplied": "dcMaxPowerKw"}),
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


# The document's power-limit example gives all three limits at once; every one is respected.
ALL_THREE = {"acMaxPowerA": 16, "acMaxPowerKw": 11, "dcMaxPowerKw": 7}


def station_limit(unit: str, limit: float, phases: int | None = None, evse: int = 0) -> dict:
    purpose, profile_id = ("TxDefaultProfile", 3100 + evse) if evse else ("ChargingStationMaxProfile", 3000)
    period = {"startPeriod": 0, "limit": limit} | ({"numberPhases": phases} if phases else {})
    return {"evseId": evse, "chargingProfile": {
        "id": profile_id, "stackLevel": 0, "chargingProfilePurpose": purpose, "chargingProfileKind": "Absolute",
        "chargingSchedule": [{"id": profile_id, "startSchedule": ANY, "chargingRateUnit": unit,
                              "chargingSchedulePeriod": [period]}]}}  # fmt: skip


def delivers(charger, evse: int, variable: str, value: str) -> None:
    """What the station's device model reports of an EVSE's connector."""
    DeviceVariable.objects.create(charger=charger, component="Connector", evse_id=evse, connector_id=1,
                                  variable=variable, value=value)  # fmt: skip


def test_the_documents_example_with_every_limit_at_zero_sends_zero(api, cp):
    response = operations(api, "post", "power-limit", {"limit": {"acMaxPowerA": 0, "acMaxPowerKw": 0,
                                                                 "dcMaxPowerKw": 0}})  # fmt: skip
    assert response.status_code == 200, response.text
    assert cp.next_call()["payload"] == station_limit("A", 0, 3)
    assert response.json() == {"response": "Accepted", "limitApplied": "acMaxPowerA"}


def test_of_several_limits_a_charger_of_unknown_current_gets_the_most_restrictive_in_watts(api, cp):
    response = operations(api, "post", "power-limit", {"limit": ALL_THREE})
    assert response.status_code == 200, response.text
    assert cp.next_call()["payload"] == station_limit("W", 7000)
    assert response.json()["limitApplied"] == "dcMaxPowerKw"
    reply = post(api, "power-limit", {"limit": {"acMaxPowerA": 16, "acMaxPowerKw": 11.5}}).json()
    assert cp.next_call()["payload"] == station_limit("A", 16, 3)
    assert (reply["limitApplied"], reply["limit"], reply["chargingRateUnit"]) == ("acMaxPowerA", 16, "A")


def test_an_ac_charger_gets_the_most_restrictive_ac_limit(api, cp, charger):
    delivers(charger, 1, "ConnectorType", "cType2")
    response = operations(api, "post", "power-limit", {"limit": ALL_THREE, "connectorId": 1})
    assert response.status_code == 200, response.text
    assert cp.next_call()["payload"] == station_limit("A", 15.9, 3, evse=1)  # 11 kW on 3 phases at 230 V
    assert response.json() == {"response": "Accepted", "limitApplied": "acMaxPowerKw"}


def test_a_dc_charger_gets_its_dc_limit(api, cp, charger):
    delivers(charger, 1, "ConnectorType", "cCCS2")
    delivers(charger, 2, "SupplyPhases", "0")
    for body in (
        {"limit": {**ALL_THREE, "dcMaxPowerKw": 50}, "connectorId": 1},
        {"limit": {**ALL_THREE, "dcMaxPowerKw": 50}},
    ):
        response = operations(api, "post", "power-limit", body)
        assert response.status_code == 200, response.text
        assert cp.next_call()["payload"] == station_limit("W", 50000, evse=body.get("connectorId", 0))
        assert response.json()["limitApplied"] == "dcMaxPowerKw"


def test_a_station_with_ac_and_dc_evses_gets_the_most_restrictive_of_all(api, cp, charger):
    delivers(charger, 1, "ConnectorType", "cCCS2")
    delivers(charger, 2, "ConnectorType", "cType2")
    response = operations(api, "post", "power-limit", {"limit": {"acMaxPowerA": 10, "dcMaxPowerKw": 50}})
    assert cp.next_call()["payload"] == station_limit("A", 10, 3)
    assert response.json()["limitApplied"] == "acMaxPowerA"


def test_each_of_several_limits_must_be_within_the_chargers_reach(api, cp):
    response = operations(api, "post", "power-limit", {"limit": {"acMaxPowerA": 16, "dcMaxPowerKw": 1e12}})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"] == (
        "limit.dcMaxPowerKw: 1e+12 kW is above the most any charger delivers (400 kW)."
    )
    with pytest.raises(queue.Empty):
        cp.next_call(timeout=0.5)
    refused = operations(api, "post", "power-limit", {"limit": {}})
    assert refused.json()["error"]["message"] == (
        "limit: give one or more of acMaxPowerA, acMaxPowerKw, acMaxPowerW, dcMaxPowerKw"
    )


# The document's remote start, every field it lists given (its example is `{}`).
EMSP = {"idTokenIssuer": "Example eMSP", "contractId": "NL-EXA-C12345678-X", "emspCountryCode": "NL",
        "emspPartyId": "EXA", "ocpiConnectionProfileId": "ocpi-7f3a", "authorizationReference": "AUTH-2026-0001",
        "vehicle": {"vin": "WVWZZZ1JZXW000001", "licensePlate": "AB-123-C"}}  # fmt: skip
START = {"idToken": "04A2B3C4D5E6F7", "idTokenType": "RFID", **EMSP, "connectorId": 1}


def test_the_documents_start_fields_reach_the_station_and_are_kept_with_the_command(api, cp):
    cp.respond("RequestStartTransaction", {"status": "Accepted", "transactionId": "TX-9"})
    response = operations(api, "post", "transactions/start", START)
    assert response.status_code == 200, response.text
    call = cp.next_call()
    assert call["payload"] == {
        "idToken": {"idToken": "04A2B3C4D5E6F7", "type": "ISO14443",
                    "additionalInfo": [{"additionalIdToken": "NL-EXA-C12345678-X", "type": "eMAID"}]},
        "remoteStartId": ANY,
        "evseId": 1,
        "customData": {"vendorId": "csms", "idTokenType": "RFID", **EMSP},
    }  # fmt: skip
    assert response.json() == {"transactionStartResponse": {"status": "Accepted", "transactionId": "TX-9"}}
    command = api.get(f"{api.base}/commands/{call['messageId']}").json()
    assert command["session"] == {"idTokenType": "RFID", **EMSP}
    assert Command.objects.get(pk=call["messageId"]).session == {"idTokenType": "RFID", **EMSP}


@pytest.mark.parametrize(
    "body, token",
    [
        ({"idToken": "U-1", "idTokenType": "APP_USER"}, {"idToken": "U-1", "type": "Central"}),
        ({"idToken": "U-2", "idTokenType": "AD_HOC_USER"}, {"idToken": "U-2", "type": "Central"}),
        ({"idToken": "U-3", "idTokenType": "OTHER"}, {"idToken": "U-3", "type": "Central"}),
        ({"idToken": "U-4"}, {"idToken": "U-4", "type": "Central"}),
        ({"contractId": "NL-EXA-C12345678-X"}, {"idToken": "NL-EXA-C12345678-X", "type": "eMAID"}),
        ({"idToken": None, "contractId": "NL-EXA-C12345678-X"}, {"idToken": "NL-EXA-C12345678-X", "type": "eMAID"}),
        ({"idToken": {"idToken": "NL-EXA-C12345678-X", "type": "eMAID"}, "contractId": "NL-EXA-C12345678-X"},
         {"idToken": "NL-EXA-C12345678-X", "type": "eMAID"}),
        ({"idToken": None, "authorizationReference": None, "idTokenIssuer": None, "vehicle": None},
         {"idToken": "", "type": "NoAuthorization"}),
    ],
)  # fmt: skip
def test_ocpi_token_types_become_ocpp_id_token_types(api, cp, body, token):
    response = operations(api, "post", "transactions/start", body)
    assert response.status_code == 200, response.text
    payload = cp.next_call()["payload"]
    assert payload["idToken"] == token
    session = {name: value for name, value in body.items() if name != "idToken" and value is not None}
    assert payload.get("customData") == ({"vendorId": "csms", **session} if session else None)


@pytest.mark.parametrize(
    "body, message",
    [
        ({"idToken": {"idToken": "U-1", "type": "Central"}, "idTokenType": "RFID"},
         "idTokenType: the type of an idToken given as text; an idToken object has its own type"),
        ({"idTokenType": "RFID"}, "idTokenType: the type of an idToken given as text; an idToken object has its own "
         "type"),
        ({"idToken": "U-1", "idTokenType": "CARD"}, 'idTokenType: "CARD" is not a valid choice.'),
        ({"idTag": "T1", "contractId": "NL-EXA-C12345678-X"}, "idTag: give idTag or idToken (OCPP 2.0.1), not both"),
        ({"idToken": "x" * 37}, "idToken: Ensure this field has no more than 36 characters."),
    ],
)  # fmt: skip
def test_start_fields_that_cannot_be_honoured_are_a_400_naming_them(api, cp, body, message):
    response = operations(api, "post", "transactions/start", body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"] == message


def test_the_start_fields_are_kept_even_when_the_charger_is_offline(api, charger):
    charger.ocpp_protocol = "ocpp2.0.1"  # it spoke 2.0.1 when last connected
    charger.save(update_fields=["ocpp_protocol"])
    response = operations(api, "post", "transactions/start", START)
    assert response.json()["error"]["code"] == "charge_point_offline", response.text
    assert Command.objects.get(charger=charger).session == {"idTokenType": "RFID", **EMSP}


# A remote start's own TxProfile, in each version's shape, with notes.
TX_PROFILE = {"id": 21, "stackLevel": 1, "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Relative",
              "chargingSchedule": [{"id": 21, "chargingRateUnit": "A",
                                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}]}  # fmt: skip
TX_PROFILE_16 = {"chargingProfileId": 22, "stackLevel": 1, "chargingProfilePurpose": "TxProfile",
                 "chargingProfileKind": "Relative",
                 "chargingSchedule": {"chargingRateUnit": "A",
                                      "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}}  # fmt: skip


def installed(api) -> list[tuple]:
    return [(p["chargingProfileId"], p["connectorId"], p["chargingProfilePurpose"], p["transactionId"], p["meta"])
            for p in listed(api)]  # fmt: skip


def session_event(cp, event_type: str, seq_no: int, **info) -> None:
    cp.call("TransactionEvent", {
        "eventType": event_type, "timestamp": "2026-01-01T00:00:00Z", "seqNo": seq_no,
        "evse": {"id": 1, "connectorId": 1},
        "triggerReason": "RemoteStart" if event_type == "Started" else "RemoteStop",
        "transactionInfo": {"transactionId": "TX-21", **info}})  # fmt: skip


def test_a_remote_starts_profile_is_installed_with_its_notes_until_its_session_ends(api, cp):
    cp.respond("RequestStartTransaction", {"status": "Accepted"})
    body = {"idToken": "U-1", "connectorId": 1, "chargingProfile": {**TX_PROFILE, "meta": META}}
    response = operations(api, "post", "transactions/start", body)
    assert response.status_code == 200, response.text
    call = cp.next_call()
    assert call["payload"]["chargingProfile"] == TX_PROFILE  # the notes stay with us
    assert installed(api) == [(21, 1, "TxProfile", None, META)]  # its transaction not known yet
    session_event(cp, "Started", 0, remoteStartId=call["payload"]["remoteStartId"])
    assert installed(api) == [(21, 1, "TxProfile", "TX-21", META)]
    session_event(cp, "Ended", 1, stoppedReason="Remote")
    assert installed(api) == []  # a TxProfile ends with its transaction


def test_a_remote_start_into_a_session_already_reported_installs_its_profile_for_that_session(api, cp):
    session_event(cp, "Started", 0)  # the charger began it before its answer to the start was read
    cp.respond("RequestStartTransaction", {"status": "Accepted", "transactionId": "TX-21"})
    body = {"idToken": "U-1", "chargingProfile": {**TX_PROFILE, "meta": META}}
    assert operations(api, "post", "transactions/start", body).status_code == 200
    assert installed(api) == [(21, 1, "TxProfile", "TX-21", META)]
    session_event(cp, "Ended", 1, stoppedReason="Remote")
    assert installed(api) == []


def test_a_remote_start_the_charger_rejects_installs_nothing(api, cp):
    cp.respond("RequestStartTransaction", {"status": "Rejected"})
    body = {"idToken": "U-1", "connectorId": 1, "chargingProfile": {**TX_PROFILE, "meta": META}}
    assert operations(api, "post", "transactions/start", body).json() == {
        "transactionStartResponse": {"status": "Rejected"}
    }
    assert "meta" not in cp.next_call()["payload"]["chargingProfile"]
    assert installed(api) == []


def test_a_1_6_remote_starts_profile_is_installed_with_its_notes_until_its_session_ends(api, server, charger):
    with strict_charger(server.ws, "CP-1") as cp16:
        body = {"idTag": "RFID-1", "connectorId": 2, "chargingProfile": {**TX_PROFILE_16, "meta": META}}
        response = post(api, "transactions/start", body)
        assert response.status_code == 200, response.text
        assert cp16.next_call()["payload"] == {"connectorId": 2, "idTag": "RFID-1", "chargingProfile": TX_PROFILE_16}
        assert installed(api) == [(22, 2, "TxProfile", None, META)]
        started = cp16.call("StartTransaction", {"connectorId": 2, "idTag": "RFID-1", "meterStart": 0,
                                                 "timestamp": "2026-01-01T00:00:00Z"})  # fmt: skip
        assert installed(api) == [(22, 2, "TxProfile", str(started["transactionId"]), META)]
        cp16.call("StopTransaction", {"transactionId": started["transactionId"], "meterStop": 100,
                                      "timestamp": "2026-01-01T00:10:00Z"})  # fmt: skip
        assert installed(api) == []
        cp16.respond("RemoteStartTransaction", {"status": "Rejected"})
        assert post(api, "transactions/start", body).json()["status"] == "Rejected"
        cp16.next_call()
        assert installed(api) == []
