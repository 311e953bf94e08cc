"""Every command endpoint against a live server, with an ocpp-rpc charger in strict mode
asserting the exact OCPP CALL it received, and the API's answer."""

import queue
from datetime import datetime

import pytest
import requests

from accounts.models import ApiKey
from chargers.models import DataTransfer
from chargers.services.registry import charger_register
from charging.models import Transaction
from commands.models import Command
from tests.command_replies import post, sent_and_answered
from tests.ocpp_rpc import RpcCharger

pytestmark = pytest.mark.node


@pytest.fixture
def cp(server, charger):
    with RpcCharger(server.ws, "CP-1") as rpc:
        yield rpc


def no_call(cp, wait: float = 0.3) -> bool:
    try:
        cp.next_call(timeout=wait)
    except queue.Empty:
        return True
    return False


# path, body, the CALL the charger must receive, the charger's answer, the reply fields, the message.
COMMANDS = [
    ("reset", {"type": "Soft"}, "Reset", {"type": "Soft"}, {"status": "Accepted"},
     {"status": "Accepted"}, "Soft reset accepted by charger"),
    ("reset", {"type": "Hard"}, "Reset", {"type": "Hard"}, {"status": "Rejected"},
     {"status": "Rejected"}, "Hard reset rejected by charger"),
    ("unlock", {"connectorId": 2}, "UnlockConnector", {"connectorId": 2}, {"status": "Unlocked"},
     {"status": "Unlocked"}, "Connector 2 unlocked"),
    ("cache/clear", {}, "ClearCache", {}, {"status": "Accepted"},
     {"status": "Accepted"}, "Cache clear accepted by charger"),
    ("trigger", {"requestedMessage": "StatusNotification", "connectorId": 1}, "TriggerMessage",
     {"requestedMessage": "StatusNotification", "connectorId": 1}, {"status": "Accepted"},
     {"status": "Accepted"}, "Trigger of StatusNotification accepted by charger"),
    ("availability", {"connectorId": 0, "type": "Inoperative"}, "ChangeAvailability",
     {"connectorId": 0, "type": "Inoperative"}, {"status": "Scheduled"},
     {"status": "Scheduled"}, "Change to Inoperative on the whole charger scheduled by charger"),
    ("configuration/get", {}, "GetConfiguration", {},
     {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]},
     {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}], "unknownKey": []},
     "1 configuration keys read"),
    ("configuration/get", {"key": ["HeartbeatInterval", "Nope"]}, "GetConfiguration",
     {"key": ["HeartbeatInterval", "Nope"]},
     {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}], "unknownKey": ["Nope"]},
     {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}], "unknownKey": ["Nope"]},
     "1 configuration keys read, 1 unknown to the charger"),
    ("configuration/change", {"key": "HeartbeatInterval", "value": "600"}, "ChangeConfiguration",
     {"key": "HeartbeatInterval", "value": "600"}, {"status": "RebootRequired"},
     {"key": "HeartbeatInterval", "value": "600", "status": "RebootRequired"},
     "Change of HeartbeatInterval RebootRequired by charger"),
    ("firmware/update",
     {"location": "https://fw.example.com/v2.bin", "retrieveDate": "2026-02-10T15:00:00+01:00", "retries": 3,
      "retryInterval": 60},
     "UpdateFirmware",
     {"location": "https://fw.example.com/v2.bin", "retrieveDate": "2026-02-10T14:00:00Z", "retries": 3,
      "retryInterval": 60},
     {}, {"location": "https://fw.example.com/v2.bin", "retrieveDate": "2026-02-10T14:00:00Z"},
     "Firmware update from https://fw.example.com/v2.bin scheduled for 2026-02-10T14:00:00Z"),
    ("diagnostics", {"location": "ftp://up.example.com/d/", "startTime": "2026-02-09T00:00:00Z"}, "GetDiagnostics",
     {"location": "ftp://up.example.com/d/", "startTime": "2026-02-09T00:00:00Z"}, {"fileName": "diag.zip"},
     {"fileName": "diag.zip"}, "Charger will upload diag.zip to ftp://up.example.com/d/"),
    ("diagnostics", {"location": "ftp://up.example.com/d/"}, "GetDiagnostics",
     {"location": "ftp://up.example.com/d/"}, {},
     {"fileName": None}, "Charger has no diagnostics to upload"),
    ("transactions/start", {"idTag": "TAG-1", "connectorId": 1}, "RemoteStartTransaction",
     {"connectorId": 1, "idTag": "TAG-1"}, {"status": "Accepted"},
     {"status": "Accepted"}, "Remote start for TAG-1 accepted by charger"),
    ("transactions/start",
     {"idTag": "TAG-1", "chargingProfile": {
         "chargingProfileId": 7, "stackLevel": 1, "chargingProfilePurpose": "TxProfile",
         "chargingProfileKind": "Relative",
         "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.5}]}}},
     "RemoteStartTransaction",
     {"idTag": "TAG-1", "chargingProfile": {
         "chargingProfileId": 7, "stackLevel": 1, "chargingProfilePurpose": "TxProfile",
         "chargingProfileKind": "Relative",
         "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.5}]}}},
     {"status": "Accepted"}, {"status": "Accepted"}, "Remote start for TAG-1 accepted by charger"),
    ("transactions/4242/stop", {}, "RemoteStopTransaction", {"transactionId": 4242}, {"status": "Accepted"},
     {"transactionId": "4242", "status": "Accepted"}, "Remote stop of transaction 4242 accepted by charger"),
    ("reservations",
     {"connectorId": 1, "expiryDate": "2036-03-10T17:00:00Z", "idTag": "TAG-1", "reservationId": 5001,
      "parentIdTag": "FLEET"},
     "ReserveNow",
     {"connectorId": 1, "expiryDate": "2036-03-10T17:00:00Z", "idTag": "TAG-1", "parentIdTag": "FLEET",
      "reservationId": 5001},
     {"status": "Occupied"}, {"reservationId": 5001, "status": "Occupied"},
     "Reservation 5001 on connector 1 occupied by charger"),
    ("reservations/5001/cancel", {}, "CancelReservation", {"reservationId": 5001}, {"status": "Accepted"},
     {"reservationId": 5001, "status": "Accepted"}, "Cancellation of reservation 5001 accepted by charger"),
    ("charging-profiles",
     {"connectorId": 1, "chargingProfile": {
         "chargingProfileId": 101, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
         "chargingProfileKind": "Absolute", "chargingSchedule": {
             "startSchedule": "2026-02-10T14:00:00Z", "chargingRateUnit": "W",
             "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7400}, {"startPeriod": 3600, "limit": 11000}]}}},
     "SetChargingProfile",
     {"connectorId": 1, "csChargingProfiles": {
         "chargingProfileId": 101, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
         "chargingProfileKind": "Absolute", "chargingSchedule": {
             "startSchedule": "2026-02-10T14:00:00Z", "chargingRateUnit": "W",
             "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7400}, {"startPeriod": 3600, "limit": 11000}]}}},
     {"status": "Accepted"}, {"chargingProfileId": 101, "status": "Accepted"},
     "Charging profile 101 on connector 1 accepted by charger"),
    ("charging-profiles/clear", {"connectorId": 1, "chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 0},
     "ClearChargingProfile", {"connectorId": 1, "chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 0},
     {"status": "Unknown"}, {"status": "Unknown"}, "Clearing of charging profiles unknown by charger"),
    ("composite-schedule", {"connectorId": 1, "duration": 3600, "chargingRateUnit": "A"}, "GetCompositeSchedule",
     {"connectorId": 1, "duration": 3600, "chargingRateUnit": "A"},
     {"status": "Accepted", "connectorId": 1, "scheduleStart": "2026-02-10T14:00:00Z",
      "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}},
     {"status": "Accepted", "connectorId": 1, "scheduleStart": "2026-02-10T14:00:00Z",
      "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}},
     "Composite schedule request on connector 1 accepted by charger"),
    ("local-list",
     {"listVersion": 3, "updateType": "Differential",
      "localAuthorizationList": [{"idTag": "TAG-1", "idTagInfo": {"status": "Accepted"}}, {"idTag": "TAG-2"}]},
     "SendLocalList",
     {"listVersion": 3, "updateType": "Differential",
      "localAuthorizationList": [{"idTag": "TAG-1", "idTagInfo": {"status": "Accepted"}}, {"idTag": "TAG-2"}]},
     {"status": "VersionMismatch"}, {"listVersion": 3, "status": "VersionMismatch"},
     "Local list version 3 VersionMismatch by charger"),
    ("local-list/version", {}, "GetLocalListVersion", {}, {"listVersion": 3},
     {"listVersion": 3}, "Local list version is 3"),
    ("data-transfer", {"vendorId": "com.example", "messageId": "Display", "data": '{"screen": 1}'}, "DataTransfer",
     {"vendorId": "com.example", "messageId": "Display", "data": '{"screen": 1}'},
     {"status": "Accepted", "data": '{"text": "Hello"}'},
     {"vendorId": "com.example", "messageId": "Display", "status": "Accepted", "responseData": '{"text": "Hello"}'},
     "DataTransfer accepted by charger"),
]  # fmt: skip


@pytest.mark.parametrize(
    "path, body, action, payload, answer, fields, message", COMMANDS, ids=[f"{c[0]}-{c[2]}" for c in COMMANDS]
)
def test_each_command_sends_its_ocpp_call_and_returns_the_chargers_answer(
    api, cp, path, body, action, payload, answer, fields, message
):
    row = sent_and_answered(api, cp, path, body, action, payload, answer, fields, message)
    assert row.source == "api" and row.api_key is not None and row.requested_by.startswith("API key ")
    assert row.created_at <= row.sent_at <= row.answered_at and row.latency_ms is not None


def test_a_reservation_without_an_id_gets_one_chosen_and_returned(api, cp):
    response = post(api, "reservations", {"connectorId": 1, "expiryDate": "2036-03-10T17:00:00Z", "idTag": "TAG-1"})
    call = cp.next_call()
    assert response.status_code == 200, response.text
    chosen = response.json()["reservationId"]
    assert isinstance(chosen, int) and 0 < chosen < 2**31
    assert call["payload"] == {
        "connectorId": 1,
        "expiryDate": "2036-03-10T17:00:00Z",
        "idTag": "TAG-1",
        "reservationId": chosen,
    }


def _profile(call: dict) -> dict:
    profile = call["payload"]["csChargingProfiles"]
    schedule = profile["chargingSchedule"]
    assert datetime.fromisoformat(schedule.pop("startSchedule").replace("Z", "+00:00"))
    return call["payload"]


def test_a_power_limit_without_a_connector_caps_the_whole_charger(api, cp):
    response = post(api, "power-limit", {"limit": {"acMaxPowerA": 32}})
    assert _profile(cp.next_call()) == {
        "connectorId": 0,
        "csChargingProfiles": {
            "chargingProfileId": 3000,
            "stackLevel": 0,
            "chargingProfilePurpose": "ChargePointMaxProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 32, "numberPhases": 3}],
            },
        },
    }
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["action"] == "SetChargingProfile" and reply["status"] == "Accepted"
    assert (reply["chargingProfilePurpose"], reply["connectorId"], reply["limit"]) == ("ChargePointMaxProfile", 0, 32)
    assert reply["message"] == "Power limit of 32 A on the whole charger accepted by charger"


def test_a_power_limit_in_kilowatts_on_a_connector_becomes_amperes_per_phase(api, cp):
    response = post(api, "power-limit", {"limit": {"acMaxPowerKw": 11}, "connectorId": 2})
    payload = _profile(cp.next_call())
    assert payload["connectorId"] == 2
    profile = payload["csChargingProfiles"]
    assert (profile["chargingProfileId"], profile["chargingProfilePurpose"]) == (3102, "TxDefaultProfile")
    # 11 kW over 3 phases at 230 V: 15.94 A, sent with OCPP's one decimal.
    assert profile["chargingSchedule"]["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 15.9, "numberPhases": 3}
    ]
    assert response.json()["message"] == "Power limit of 15.9 A on connector 2 accepted by charger"


def test_a_power_limit_in_kilowatts_respects_the_given_phases_and_voltage(api, cp):
    post(api, "power-limit", {"limit": {"acMaxPowerKw": 7.4}, "connectorId": 1, "numberPhases": 1, "voltage": 240})
    periods = _profile(cp.next_call())["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"]
    assert periods == [{"startPeriod": 0, "limit": 30.8, "numberPhases": 1}]


def test_a_power_limit_on_a_transaction_is_a_tx_profile_on_its_connector(api, cp, charger):
    # As a 1.6 StartTransaction records it: the EVSE is the connector.
    Transaction.objects.create(charger=charger, ocpp_id="777", evse_id=2, connector_id=2, id_tag="TAG-1",
                               start_time="2026-01-01T00:00:00Z", meter_start=0)  # fmt: skip
    response = post(api, "power-limit", {"limit": {"dcMaxPowerKw": 50}, "transactionId": 777, "stackLevel": 2})
    payload = _profile(cp.next_call())
    assert payload == {
        "connectorId": 2,
        "csChargingProfiles": {
            "chargingProfileId": 3202,
            "transactionId": 777,
            "stackLevel": 2,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "W",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 50000}],
            },
        },
    }
    assert response.json()["chargingRateUnit"] == "W"


def test_a_power_limit_for_an_unknown_transaction_without_connector_is_refused(api, cp):
    response = post(api, "power-limit", {"limit": {"acMaxPowerA": 16}, "transactionId": 1})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert response.json()["error"]["message"].startswith("transactionId: ")
    assert no_call(cp)


def test_a_power_limit_needs_a_limit(api, cp):
    response = post(api, "power-limit", {"limit": {}})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "limit: give one or more of acMaxPowerA, acMaxPowerKw, acMaxPowerW, dcMaxPowerKw"
    )
    assert no_call(cp)


def test_deleting_a_power_limit_clears_the_profile_it_set(api, cp):
    cp.respond("ClearChargingProfile", {"status": "Accepted"})
    response = api.delete(f"{api.base}/chargers/CP-1/power-limit?connectorId=2")
    assert cp.next_call()["payload"] == {"id": 3102, "connectorId": 2, "chargingProfilePurpose": "TxDefaultProfile"}
    assert response.status_code == 200, response.text
    reply = response.json()
    assert (reply["action"], reply["status"], reply["chargingProfileId"]) == ("ClearChargingProfile", "Accepted", 3102)
    assert reply["message"] == "Removal of the power limit on connector 2 accepted by charger"


def test_deleting_the_chargers_power_limit_clears_the_charge_point_max_profile(api, cp):
    api.delete(f"{api.base}/chargers/CP-1/power-limit")
    assert cp.next_call()["payload"] == {
        "id": 3000,
        "connectorId": 0,
        "chargingProfilePurpose": "ChargePointMaxProfile",
    }


def test_the_generic_endpoint_passes_action_and_payload_through(api, cp):
    response = post(api, "commands", {"action": "GetConfiguration", "payload": {"key": ["HeartbeatInterval"]}})
    call = cp.next_call()
    assert (call["action"], call["payload"]) == ("GetConfiguration", {"key": ["HeartbeatInterval"]})
    assert response.status_code == 200, response.text
    reply = response.json()
    answer = {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}], "unknownKey": []}
    assert reply == {
        "chargeBoxId": "CP-1",
        "action": "GetConfiguration",
        "commandId": call["messageId"],
        "responseTimeMs": reply["responseTimeMs"],
        "message": "GetConfiguration answered by charger",
        **answer,
        "response": answer,
    }


def test_the_generic_endpoint_validates_the_payload_against_the_ocpp_schema(api, cp):
    response = post(api, "commands", {"action": "Reset", "payload": {"type": "Warm"}})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"].startswith("payload: type: 'Warm' is not one of")
    assert no_call(cp)
    assert not Command.objects.exists()


def test_the_generic_endpoint_refuses_an_action_a_csms_cannot_send(api, cp):
    response = post(api, "commands", {"action": "BootNotification", "payload": {}})
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("action: BootNotification is not a CSMS-initiated")
    assert no_call(cp)


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("reset", {"type": "Warm"}, "type"),
        ("reset", {}, "type"),
        ("unlock", {"connectorId": 0}, "connectorId"),
        ("trigger", {"requestedMessage": "Coffee"}, "requestedMessage"),
        ("firmware/update", {"location": "https://x.example/fw", "retrieveDate": "soon"}, "retrieveDate"),
        ("data-transfer", {"messageId": "x"}, "vendorId"),
        ("charging-profiles", {"connectorId": 1, "chargingProfile": {"chargingProfileId": 1}}, "chargingProfile"),
        ("commands", {"payload": {}}, "action"),
    ],
)
def test_an_invalid_body_is_refused_naming_the_field_before_anything_is_sent(api, cp, path, body, field):
    response = post(api, path, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"].startswith(f"{field}")
    assert no_call(cp)


def test_a_callerror_answer_is_a_502_charger_error_with_code_and_description(api, cp):
    cp.respond("Reset", error={"code": "InternalError", "message": "relay stuck"})
    response = post(api, "reset", {"type": "Soft"})
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["code"] == "charger_error"
    assert "InternalError" in error["message"] and "relay stuck" in error["message"]
    row = Command.objects.get()
    assert (row.status, row.error_code, row.error_description) == ("error", "InternalError", "relay stuck")


def test_an_unknown_charger_is_not_found(api, server):
    response = post(api, "reset", {"type": "Soft"}, charge_box_id="NOPE")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_another_organisations_charger_is_not_found_rather_than_forbidden(api, server, globex):
    charger_register(organisation=globex, charge_box_id="GX-1")
    with RpcCharger(server.ws, "GX-1") as theirs:
        response = post(api, "reset", {"type": "Soft"}, charge_box_id="GX-1")
        assert response.status_code == 404
        assert no_call(theirs)
        assert api.get(f"{api.base}/chargers/GX-1/data-transfer").status_code == 404


def test_an_offline_charger_is_422(api, charger):
    response = post(api, "reset", {"type": "Soft"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "charge_point_offline"


def test_a_read_only_key_may_read_but_not_command(api, cp, acme):
    _, read_only = ApiKey.generate(organisation=acme, scopes=["read:charge_points"])
    headers = {"X-API-Key": read_only}
    response = requests.post(f"{api.base}/chargers/CP-1/reset", json={"type": "Soft"}, headers=headers)
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert requests.get(f"{api.base}/commands", headers=headers).status_code == 200
    assert no_call(cp)


def test_a_missing_key_is_401(server, charger):
    response = requests.post(f"{server.http}/api/v1/chargers/CP-1/reset", json={"type": "Soft"})
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"


def test_the_data_transfer_history_lists_both_directions_newest_first(api, cp, charger):
    DataTransfer.objects.create(
        charger=charger, direction="incoming", vendor_id="com.example", message_id="Hello", response_status="Accepted"
    )
    cp.respond("DataTransfer", {"status": "Rejected", "data": "no"})
    assert post(api, "data-transfer", {"vendorId": "com.example", "data": "ping"}).status_code == 200
    response = api.get(f"{api.base}/chargers/CP-1/data-transfer")
    assert response.status_code == 200
    listing = response.json()
    assert listing["chargeBoxId"] == "CP-1" and listing["count"] == 2
    outgoing, incoming = listing["dataTransfers"]
    assert {k: outgoing[k] for k in outgoing if k not in ("id", "createdAt")} == {
        "direction": "outgoing",
        "vendorId": "com.example",
        "messageId": "",
        "data": "ping",
        "responseStatus": "Rejected",
        "responseData": "no",
    }
    assert incoming["direction"] == "incoming" and incoming["messageId"] == "Hello"
    assert api.get(f"{api.base}/chargers/CP-1/data-transfer?limit=1").json()["count"] == 1
    assert api.get(f"{api.base}/chargers/CP-1/data-transfer?limit=101").status_code == 400


def test_the_command_log_is_the_organisations_newest_first_and_filterable(api, cp, globex):
    cp.respond("Reset", {"status": "Accepted"})
    post(api, "reset", {"type": "Soft"})
    post(api, "cache/clear")
    post(api, "reset", {"type": "Hard"}, charge_box_id="NOPE")
    theirs = charger_register(organisation=globex, charge_box_id="GX-1")
    Command.objects.create(organisation=globex, charger=theirs, action="Reset", source="cli")
    listing = api.get(f"{api.base}/commands").json()
    assert [c["action"] for c in listing["commands"]] == ["ClearCache", "Reset"]
    assert listing["pagination"] == {"total": 2, "limit": 50, "offset": 0}
    newest = listing["commands"][0]
    assert newest["chargeBoxId"] == "CP-1" and newest["status"] == "answered" and newest["source"] == "api"
    assert api.get(f"{api.base}/commands?action=Reset").json()["pagination"]["total"] == 1
    assert api.get(f"{api.base}/commands?status=answered&chargeBoxId=CP-1").json()["pagination"]["total"] == 2
    assert api.get(f"{api.base}/commands?chargeBoxId=GX-1").json()["commands"] == []
    page = api.get(f"{api.base}/commands?limit=1&offset=1").json()
    assert [c["action"] for c in page["commands"]] == ["Reset"]


def test_one_command_can_be_read_back_by_its_id_but_not_another_organisations(api, cp, globex):
    reply = post(api, "reset", {"type": "Soft"}).json()
    command = api.get(f"{api.base}/commands/{reply['commandId']}").json()
    assert command["commandId"] == reply["commandId"]
    assert (command["action"], command["request"], command["response"]) == (
        "Reset",
        {"type": "Soft"},
        reply["response"],
    )
    theirs = Command.objects.create(
        organisation=globex, charger=charger_register(organisation=globex, charge_box_id="GX-1"), action="Reset"
    )
    assert api.get(f"{api.base}/commands/{theirs.pk}").status_code == 404
    assert api.get(f"{api.base}/commands/not-a-uuid").status_code == 404
