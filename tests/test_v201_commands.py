"""Every command endpoint for an OCPP 2.0.1 charger: the same API as for 1.6, the exact 2.0.1 CALL the
ocpp-rpc charger (strict mode, subprotocol ocpp2.0.1, and again ocpp2.1: the `ocpp2` fixture) receives,
and its answer mapped to the same reply."""

from datetime import datetime

import pytest

from chargers.models import DataTransfer
from commands.models import Command
from tests.command_replies import post, sent_and_answered
from tests.ocpp_rpc import strict_charger

pytestmark = pytest.mark.node

HEARTBEAT = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}
METER = {"component": {"name": "EVSE", "instance": "main", "evse": {"id": 1}},
         "variable": {"name": "Power", "instance": "L1"}}  # fmt: skip


@pytest.fixture
def cp(server, charger, ocpp2):
    with strict_charger(server.ws, "CP-1", protocol=ocpp2) as rpc:
        yield rpc


# path, body, the CALL the charger must receive, the charger's answer, the reply fields, the message.
COMMANDS = [
    ("reset", {"type": "Soft"}, "Reset", {"type": "OnIdle"}, {"status": "Accepted"},
     {"status": "Accepted"}, "Soft reset accepted by charger"),
    ("reset", {"type": "Hard"}, "Reset", {"type": "Immediate"}, {"status": "Scheduled"},
     {"status": "Scheduled"}, "Hard reset scheduled by charger"),
    ("unlock", {"connectorId": 2}, "UnlockConnector", {"evseId": 2, "connectorId": 1}, {"status": "Unlocked"},
     {"status": "Unlocked"}, "Connector 2 unlocked"),
    ("cache/clear", {}, "ClearCache", {}, {"status": "Accepted"},
     {"status": "Accepted"}, "Cache clear accepted by charger"),
    ("trigger", {"requestedMessage": "StatusNotification", "connectorId": 1}, "TriggerMessage",
     {"requestedMessage": "StatusNotification", "evse": {"id": 1}}, {"status": "Accepted"},
     {"status": "Accepted"}, "Trigger of StatusNotification accepted by charger"),
    ("trigger", {"requestedMessage": "DiagnosticsStatusNotification"}, "TriggerMessage",
     {"requestedMessage": "LogStatusNotification"}, {"status": "Rejected"},
     {"status": "Rejected"}, "Trigger of DiagnosticsStatusNotification rejected by charger"),
    ("availability", {"connectorId": 0, "type": "Inoperative"}, "ChangeAvailability",
     {"operationalStatus": "Inoperative"}, {"status": "Scheduled"},
     {"status": "Scheduled"}, "Change to Inoperative on the whole charger scheduled by charger"),
    ("availability", {"connectorId": 2, "type": "Operative"}, "ChangeAvailability",
     {"operationalStatus": "Operative", "evse": {"id": 2}}, {"status": "Accepted"},
     {"status": "Accepted"}, "Change to Operative on EVSE 2 accepted by charger"),
    ("configuration/get", {"key": ["OCPPCommCtrlr.HeartbeatInterval", "EVSE[main].Power[L1]"]}, "GetVariables",
     {"getVariableData": [HEARTBEAT, {"component": {"name": "EVSE", "instance": "main"},
                                      "variable": {"name": "Power", "instance": "L1"}}]},
     {"getVariableResult": [{"attributeStatus": "Accepted", "attributeValue": "300", **HEARTBEAT},
                            {"attributeStatus": "UnknownVariable", **METER}]},
     {"configurationKey": [{"key": "OCPPCommCtrlr.HeartbeatInterval", "value": "300"}],
      "unknownKey": ["EVSE[main].Power[L1]"]},
     "1 configuration keys read, 1 unknown to the charger"),
    ("configuration/change", {"key": "OCPPCommCtrlr.HeartbeatInterval", "value": "600"}, "SetVariables",
     {"setVariableData": [{"attributeValue": "600", **HEARTBEAT}]},
     {"setVariableResult": [{"attributeStatus": "RebootRequired", **HEARTBEAT}]},
     {"key": "OCPPCommCtrlr.HeartbeatInterval", "value": "600", "status": "RebootRequired"},
     "Change of OCPPCommCtrlr.HeartbeatInterval RebootRequired by charger"),
    ("cache/clear", {}, "ClearCache", {}, {"status": "Rejected"},
     {"status": "Rejected"}, "Cache clear rejected by charger"),
    ("data-transfer", {"vendorId": "com.example", "messageId": "Display", "data": '{"screen": 1}'}, "DataTransfer",
     {"vendorId": "com.example", "messageId": "Display", "data": '{"screen": 1}'},
     {"status": "Accepted", "data": {"text": "Hello"}},
     {"vendorId": "com.example", "messageId": "Display", "status": "Accepted", "responseData": '{"text": "Hello"}'},
     "DataTransfer accepted by charger"),
    ("transactions/TX-9f1c/stop", {}, "RequestStopTransaction", {"transactionId": "TX-9f1c"},
     {"status": "Accepted"}, {"transactionId": "TX-9f1c", "status": "Accepted"},
     "Remote stop of transaction TX-9f1c accepted by charger"),
    ("reservations",
     {"connectorId": 1, "expiryDate": "2036-03-10T17:00:00Z", "idTag": "TAG-1", "reservationId": 5001,
      "parentIdTag": "FLEET"},
     "ReserveNow",
     {"id": 5001, "expiryDateTime": "2036-03-10T17:00:00Z", "idToken": {"idToken": "TAG-1", "type": "Central"},
      "evseId": 1, "groupIdToken": {"idToken": "FLEET", "type": "Central"}},
     {"status": "Occupied"}, {"reservationId": 5001, "status": "Occupied"},
     "Reservation 5001 on EVSE 1 occupied by charger"),
    ("reservations/5001/cancel", {}, "CancelReservation", {"reservationId": 5001}, {"status": "Accepted"},
     {"reservationId": 5001, "status": "Accepted"}, "Cancellation of reservation 5001 accepted by charger"),
    ("charging-profiles",
     {"connectorId": 1, "chargingProfile": {
         "chargingProfileId": 101, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
         "chargingProfileKind": "Absolute", "chargingSchedule": {
             "startSchedule": "2026-02-10T14:00:00Z", "chargingRateUnit": "W",
             "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7400}, {"startPeriod": 3600, "limit": 11000}]}}},
     "SetChargingProfile",
     {"evseId": 1, "chargingProfile": {
         "id": 101, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
         "chargingProfileKind": "Absolute", "chargingSchedule": [{
             "id": 101, "startSchedule": "2026-02-10T14:00:00Z", "chargingRateUnit": "W",
             "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7400}, {"startPeriod": 3600, "limit": 11000}]}]}},
     {"status": "Accepted"}, {"chargingProfileId": 101, "status": "Accepted"},
     "Charging profile 101 on EVSE 1 accepted by charger"),
    ("charging-profiles",
     {"connectorId": 0, "chargingProfile": {
         "chargingProfileId": 5, "stackLevel": 1, "chargingProfilePurpose": "ChargePointMaxProfile",
         "chargingProfileKind": "Relative", "chargingSchedule": {
             "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 32}]}}},
     "SetChargingProfile",
     {"evseId": 0, "chargingProfile": {
         "id": 5, "stackLevel": 1, "chargingProfilePurpose": "ChargingStationMaxProfile",
         "chargingProfileKind": "Relative", "chargingSchedule": [{
             "id": 5, "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 32}]}]}},
     {"status": "Rejected"}, {"chargingProfileId": 5, "status": "Rejected"},
     "Charging profile 5 on the whole charger rejected by charger"),
    ("charging-profiles/clear", {"connectorId": 1, "chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 0},
     "ClearChargingProfile",
     {"chargingProfileCriteria": {"evseId": 1, "chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 0}},
     {"status": "Unknown"}, {"status": "Unknown"}, "Clearing of charging profiles unknown by charger"),
    ("charging-profiles/clear", {"id": 101}, "ClearChargingProfile", {"chargingProfileId": 101},
     {"status": "Accepted"}, {"status": "Accepted"}, "Clearing of charging profiles accepted by charger"),
    ("composite-schedule", {"connectorId": 1, "duration": 3600, "chargingRateUnit": "A"}, "GetCompositeSchedule",
     {"evseId": 1, "duration": 3600, "chargingRateUnit": "A"},
     {"status": "Accepted", "schedule": {"evseId": 1, "duration": 3600, "scheduleStart": "2026-02-10T14:00:00Z",
                                         "chargingRateUnit": "A",
                                         "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}},
     {"status": "Accepted", "connectorId": 1, "scheduleStart": "2026-02-10T14:00:00Z",
      "chargingSchedule": {"duration": 3600, "chargingRateUnit": "A",
                           "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}},
     "Composite schedule request on EVSE 1 accepted by charger"),
    ("local-list",
     {"listVersion": 3, "updateType": "Differential",
      "localAuthorizationList": [{"idTag": "TAG-1", "idTagInfo": {"status": "Accepted", "parentIdTag": "FLEET"}},
                                 {"idTag": "TAG-2"}]},
     "SendLocalList",
     {"versionNumber": 3, "updateType": "Differential",
      "localAuthorizationList": [
          {"idToken": {"idToken": "TAG-1", "type": "Central"},
           "idTokenInfo": {"status": "Accepted", "groupIdToken": {"idToken": "FLEET", "type": "Central"}}},
          {"idToken": {"idToken": "TAG-2", "type": "Central"}}]},
     {"status": "VersionMismatch"}, {"listVersion": 3, "status": "VersionMismatch"},
     "Local list version 3 VersionMismatch by charger"),
    ("local-list/version", {}, "GetLocalListVersion", {}, {"versionNumber": 3},
     {"listVersion": 3}, "Local list version is 3"),
]  # fmt: skip


@pytest.mark.parametrize(
    "path, body, action, payload, answer, fields, message", COMMANDS, ids=[f"{c[0]}-{c[2]}" for c in COMMANDS]
)
def test_each_command_sends_its_2_0_1_call_and_returns_the_same_reply_as_for_1_6(
    api, cp, path, body, action, payload, answer, fields, message
):
    sent_and_answered(api, cp, path, body, action, payload, answer, fields, message)


def test_commands_with_request_ids_show_the_id_the_charger_was_given(api, cp):
    # A retrieve date to come: one already past lets the firmware follow-up sweep ask the charger for its
    # status (TriggerMessage) before the next command of this test.
    update = post(api, "firmware/update", {"location": "https://fw.example.com/v2.bin",
                                           "retrieveDate": "2030-02-10T15:00:00+01:00", "retries": 3})  # fmt: skip
    call = cp.next_call()
    assert update.status_code == 200, update.text
    request_id = update.json()["requestId"]
    assert call["payload"] == {"requestId": request_id, "retries": 3, "firmware": {
        "location": "https://fw.example.com/v2.bin", "retrieveDateTime": "2030-02-10T14:00:00Z"}}  # fmt: skip
    assert update.json()["status"] == "Accepted"

    log = post(api, "diagnostics", {"location": "ftp://up.example.com/d/", "startTime": "2026-02-09T00:00:00Z"})
    call = cp.next_call()
    assert log.status_code == 200, log.text
    assert call["payload"] == {"logType": "DiagnosticsLog", "requestId": log.json()["requestId"], "log": {
        "remoteLocation": "ftp://up.example.com/d/", "oldestTimestamp": "2026-02-09T00:00:00Z"}}  # fmt: skip
    assert log.json()["fileName"] == "diagnostics.log"
    assert log.json()["message"] == "Charger will upload diagnostics.log to ftp://up.example.com/d/"


def test_a_remote_start_carries_a_remote_start_id_that_links_the_session(api, cp, charger):
    cp.respond("RequestStartTransaction", {"status": "Accepted"})
    response = post(api, "transactions/start", {"idTag": "TAG-1", "connectorId": 2})
    call = cp.next_call()
    assert response.status_code == 200, response.text
    remote_start_id = response.json()["remoteStartId"]
    assert call["payload"] == {"idToken": {"idToken": "TAG-1", "type": "Central"}, "evseId": 2,
                               "remoteStartId": remote_start_id}  # fmt: skip
    cp.call(
        "TransactionEvent",
        {
            "eventType": "Started",
            "timestamp": "2026-02-10T14:00:00Z",
            "triggerReason": "RemoteStart",
            "seqNo": 0,
            "evse": {"id": 2, "connectorId": 1},
            "idToken": {"idToken": "TAG-1", "type": "Central"},
            "transactionInfo": {"transactionId": "TX-1", "remoteStartId": remote_start_id},
        },
    )
    session = charger.transactions.get()
    command = Command.objects.get(charger=charger, action="RequestStartTransaction")
    assert session.remote_start_id == command.request["remoteStartId"] == remote_start_id


def test_power_limits_become_2_0_1_profiles(api, cp):
    response = post(api, "power-limit", {"limit": {"acMaxPowerA": 32}})
    call = cp.next_call()
    assert response.status_code == 200, response.text
    profile = call["payload"]["chargingProfile"]
    [schedule] = profile.pop("chargingSchedule")
    assert datetime.fromisoformat(schedule.pop("startSchedule").replace("Z", "+00:00"))
    assert call["payload"] == {"evseId": 0, "chargingProfile": {
        "id": 3000, "stackLevel": 0, "chargingProfilePurpose": "ChargingStationMaxProfile",
        "chargingProfileKind": "Absolute"}}  # fmt: skip
    assert schedule == {"id": 3000, "chargingRateUnit": "A",
                        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 32, "numberPhases": 3}]}  # fmt: skip
    assert response.json()["chargingProfilePurpose"] == "ChargingStationMaxProfile"

    post(api, "power-limit", {"limit": {"acMaxPowerKw": 11}, "connectorId": 1})
    assert cp.next_call()["payload"]["chargingProfile"]["chargingProfilePurpose"] == "TxDefaultProfile"

    cleared = api.delete(f"{api.base}/chargers/CP-1/power-limit?connectorId=1")
    assert cp.next_call()["payload"] == {"chargingProfileId": 3101}
    assert cleared.status_code == 200 and cleared.json()["chargingProfileId"] == 3101


def test_configuration_get_without_keys_is_a_400_naming_the_field(api, cp):
    response = post(api, "configuration/get", {})
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("key: ")


def test_a_key_that_names_no_variable_is_a_400(api, cp):
    response = post(api, "configuration/change", {"key": "HeartbeatInterval", "value": "60"})
    assert response.status_code == 400
    assert "Component.Variable" in response.json()["error"]["message"]


def test_the_generic_endpoint_validates_against_the_2_0_1_schema(api, cp):
    wrong = api.post(f"{api.base}/chargers/CP-1/commands", json={"action": "GetConfiguration", "payload": {}})
    assert wrong.status_code == 400 and wrong.json()["error"]["message"].startswith("action: ")
    invalid = api.post(f"{api.base}/chargers/CP-1/commands", json={"action": "GetBaseReport", "payload": {}})
    assert invalid.status_code == 400 and invalid.json()["error"]["message"].startswith("payload: ")

    cp.respond("GetTransactionStatus", {"messagesInQueue": True, "ongoingIndicator": False})
    sent = api.post(f"{api.base}/chargers/CP-1/commands",
                    json={"action": "GetTransactionStatus", "payload": {"transactionId": "TX-1"}})  # fmt: skip
    assert cp.next_call()["payload"] == {"transactionId": "TX-1"}
    assert sent.status_code == 200, sent.text
    assert sent.json()["messagesInQueue"] is True


def test_an_outgoing_data_transfer_is_kept(api, cp, charger):
    post(api, "data-transfer", {"vendorId": "com.example", "data": "ping"})
    cp.next_call()
    row = DataTransfer.objects.get(charger=charger)
    assert (row.direction, row.data, row.response_status) == ("outgoing", "ping", "Accepted")


# OCPP 2.0.1 operations with no 1.6 twin.

REQUESTED = [
    ("reports/base", {"reportBase": "FullInventory"}, "GetBaseReport", {"reportBase": "FullInventory"},
     {"status": "Accepted"}, "FullInventory report accepted by charger"),
    ("reports", {"key": ["OCPPCommCtrlr.HeartbeatInterval", METER], "componentCriteria": ["Problem"]}, "GetReport",
     {"componentCriteria": ["Problem"], "componentVariable": [HEARTBEAT, METER]},
     {"status": "EmptyResultSet"}, "Report EmptyResultSet by charger"),
    ("charging-profiles/report", {"connectorId": 1, "chargingProfilePurpose": "ChargePointMaxProfile",
                                  "chargingProfileId": [5, 6]},
     "GetChargingProfiles",
     {"evseId": 1, "chargingProfile": {"chargingProfilePurpose": "ChargingStationMaxProfile",
                                       "chargingProfileId": [5, 6]}},
     {"status": "NoProfiles"}, "Report of charging profiles NoProfiles by charger"),
]  # fmt: skip


@pytest.mark.parametrize("path, body, action, payload, answer, message", REQUESTED, ids=[r[0] for r in REQUESTED])
def test_reports_are_requested_with_a_request_id_the_reply_shows(api, cp, path, body, action, payload, answer, message):
    cp.respond(action, answer)
    response = post(api, path, body)
    call = cp.next_call()
    assert response.status_code == 200, response.text
    reply = response.json()
    assert (call["action"], call["payload"]) == (action, {"requestId": reply["requestId"], **payload})
    assert (reply["status"], reply["message"]) == (answer["status"], message)


def test_the_reported_device_model_is_browsable(api, cp):
    post(api, "reports/base", {"reportBase": "ConfigurationInventory"})
    request_id = cp.next_call()["payload"]["requestId"]
    cp.call("NotifyReport", {"requestId": request_id, "generatedAt": "2026-02-10T14:00:00Z", "seqNo": 0, "reportData": [
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"},
         "variableAttribute": [{"value": "300", "mutability": "ReadWrite"}]},
        {"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"},
         "variableAttribute": [{"value": "7400", "mutability": "ReadOnly"}],
         "variableCharacteristics": {"unit": "W", "dataType": "decimal", "supportsMonitoring": True}}]})  # fmt: skip

    page = api.get(f"{api.base}/chargers/CP-1/device-model", params={"evseId": 1})
    assert page.status_code == 200, page.text
    [power] = page.json()["variables"]
    assert {k: power[k] for k in ("key", "evseId", "value", "mutability", "unit", "dataType")} == {
        "key": "EVSE.Power", "evseId": 1, "value": "7400", "mutability": "ReadOnly", "unit": "W",
        "dataType": "decimal"}  # fmt: skip
    assert api.get(f"{api.base}/chargers/CP-1/device-model").json()["pagination"]["total"] == 2
    assert api.get(f"{api.base}/chargers/CP-1/device-model?evseId=x").status_code == 400


def test_transaction_status_and_monitoring(api, cp):
    cp.respond("GetTransactionStatus", {"messagesInQueue": True, "ongoingIndicator": False})
    status = post(api, "transaction-status", {"transactionId": "TX-1"})
    assert cp.next_call()["payload"] == {"transactionId": "TX-1"}
    assert status.json()["message"] == "Messages queued; session over"

    monitors = post(api, "monitoring", {"monitors": [
        {"key": "EVSE.Power", "type": "UpperThreshold", "value": 22000, "severity": 5}]})  # fmt: skip
    # Validation against the schema must not add its defaults (transaction: false) to what is sent.
    assert cp.next_call()["payload"] == {"setMonitoringData": [{
        "value": 22000, "type": "UpperThreshold", "severity": 5,
        "component": {"name": "EVSE"}, "variable": {"name": "Power"}}]}  # fmt: skip
    assert Command.objects.get(action="SetVariableMonitoring").request["setMonitoringData"][0].keys() == {
        "value", "type", "severity", "component", "variable"}  # fmt: skip
    assert monitors.status_code == 200, monitors.text
    assert monitors.json()["results"] == [{"key": "EVSE.Power", "status": "Accepted", "id": 1,
                                           "type": "UpperThreshold", "severity": 5}]  # fmt: skip
    assert monitors.json()["message"] == "1 of 1 monitors set"

    cleared = post(api, "monitoring/clear", {"ids": [1]})
    assert cp.next_call()["payload"] == {"id": [1]}
    assert cleared.json()["message"] == "1 of 1 monitors cleared"
    assert post(api, "monitoring", {"monitors": []}).status_code == 400


def test_a_1_6_charger_gets_a_400_for_2_0_1_only_operations(server, api, charger):
    with strict_charger(server.ws, "CP-1"):
        response = post(api, "reports/base", {"reportBase": "FullInventory"})
    assert response.status_code == 400
    assert "not available in the OCPP version" in response.json()["error"]["message"]


# What the charger answers to GetVariables and SetVariables is its device model too.

EVSE_POWER = {"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"}}


def device_model(api) -> dict:
    page = api.get(f"{api.base}/chargers/CP-1/device-model").json()
    return {(v["key"], v["evseId"], v["attributeType"]): v for v in page["variables"]}


def test_variables_read_and_set_are_kept_in_the_device_model(api, cp):
    post(api, "reports/base", {"reportBase": "ConfigurationInventory"})
    request_id = cp.next_call()["payload"]["requestId"]
    cp.call("NotifyReport", {"requestId": request_id, "generatedAt": "2026-02-10T14:00:00Z", "seqNo": 0, "reportData": [
        {**HEARTBEAT, "variableAttribute": [{"value": "300", "mutability": "ReadWrite"}],
         "variableCharacteristics": {"unit": "s", "dataType": "integer", "supportsMonitoring": False}}]})  # fmt: skip

    unknown = {"component": {"name": "Nope"}, "variable": {"name": "Nothing"}}
    cp.respond("GetVariables", {"getVariableResult": [
        {"attributeStatus": "Accepted", "attributeValue": "900", **HEARTBEAT},
        {"attributeStatus": "UnknownVariable", **unknown}]})  # fmt: skip
    read = post(api, "configuration/get", {"key": ["OCPPCommCtrlr.HeartbeatInterval", "Nope.Nothing"]})
    cp.next_call()
    assert read.status_code == 200, read.text
    model = device_model(api)
    heartbeat = model[("OCPPCommCtrlr.HeartbeatInterval", 0, "Actual")]
    # One row, its value read now, what the report described kept.
    assert (heartbeat["value"], heartbeat["mutability"], heartbeat["unit"]) == ("900", "ReadWrite", "s")
    assert set(model) == {("OCPPCommCtrlr.HeartbeatInterval", 0, "Actual")}

    # The generic endpoint, with an EVSE's variable and another attribute type.
    max_power = {"attributeType": "MaxSet", **EVSE_POWER}
    cp.respond("GetVariables", {"getVariableResult": [
        {"attributeStatus": "Accepted", "attributeValue": "11000", **max_power}]})  # fmt: skip
    generic = api.post(f"{api.base}/chargers/CP-1/commands",
                       json={"action": "GetVariables", "payload": {"getVariableData": [max_power]}})  # fmt: skip
    cp.next_call()
    assert generic.status_code == 200, generic.text
    power = device_model(api)[("EVSE.Power", 1, "MaxSet")]
    assert (power["value"], power["component"], power["connectorId"]) == ("11000", "EVSE", 0)

    cp.respond("SetVariables", {"setVariableResult": [{"attributeStatus": "Accepted", **HEARTBEAT}]})
    post(api, "configuration/change", {"key": "OCPPCommCtrlr.HeartbeatInterval", "value": "60"})
    cp.next_call()
    assert device_model(api)[("OCPPCommCtrlr.HeartbeatInterval", 0, "Actual")]["value"] == "60"

    # Neither a rejected value nor one that waits for a reboot is the charger's value.
    for status in ("Rejected", "RebootRequired"):
        cp.respond("SetVariables", {"setVariableResult": [{"attributeStatus": status, **HEARTBEAT}]})
        post(api, "configuration/change", {"key": "OCPPCommCtrlr.HeartbeatInterval", "value": "5"})
        cp.next_call()
    assert device_model(api)[("OCPPCommCtrlr.HeartbeatInterval", 0, "Actual")]["value"] == "60"

    cp.respond("SetVariables", {"setVariableResult": [
        {"attributeStatus": "Accepted", "attributeType": "MaxSet", **EVSE_POWER},
        {"attributeStatus": "Rejected", **HEARTBEAT}]})  # fmt: skip
    api.post(f"{api.base}/chargers/CP-1/commands", json={"action": "SetVariables", "payload": {"setVariableData": [
        {"attributeValue": "7400", "attributeType": "MaxSet", **EVSE_POWER},
        {"attributeValue": "1", **HEARTBEAT}]}})  # fmt: skip
    cp.next_call()
    model = device_model(api)
    assert model[("EVSE.Power", 1, "MaxSet")]["value"] == "7400"
    assert model[("OCPPCommCtrlr.HeartbeatInterval", 0, "Actual")]["value"] == "60"


def test_a_charger_error_to_get_variables_changes_no_variable(api, cp, charger):
    cp.respond("GetVariables", error={"code": "InternalError", "message": "busy"})
    assert post(api, "configuration/get", {"key": ["OCPPCommCtrlr.HeartbeatInterval"]}).status_code == 502
    cp.next_call()
    assert not charger.device_variables.exists()


def test_a_power_limit_for_a_2_0_1_session_goes_to_its_evse_with_the_chargers_transaction_id(api, cp):
    cp.call("TransactionEvent", {"eventType": "Started", "timestamp": "2026-02-10T14:00:00Z", "seqNo": 0,
                                 "triggerReason": "CablePluggedIn", "evse": {"id": 2, "connectorId": 1},
                                 "transactionInfo": {"transactionId": "TX-77"}})  # fmt: skip
    response = post(api, "power-limit", {"limit": {"acMaxPowerA": 16}, "transactionId": "TX-77"})
    call = cp.next_call()
    assert response.status_code == 200, response.text
    profile = call["payload"]["chargingProfile"]
    assert (call["payload"]["evseId"], profile["id"], profile["chargingProfilePurpose"], profile["transactionId"]) == (
        2, 3202, "TxProfile", "TX-77")  # fmt: skip
    assert (response.json()["connectorId"], response.json()["limit"]) == (2, 16)
    [installed] = api.get(f"{api.base}/chargers/CP-1/charging-profiles").json()["chargingProfiles"]
    assert (installed["transactionId"], installed["connectorId"]) == ("TX-77", 2)

    cleared = api.delete(f"{api.base}/chargers/CP-1/power-limit", params={"transactionId": "TX-77"})
    assert cp.next_call()["payload"] == {"chargingProfileId": 3202}
    assert cleared.status_code == 200, cleared.text
    assert api.get(f"{api.base}/chargers/CP-1/charging-profiles").json()["chargingProfiles"] == []


def test_a_1_6_charger_takes_only_integer_transaction_ids(server, api, charger):
    with strict_charger(server.ws, "CP-1"):
        response = post(api, "power-limit", {"limit": {"acMaxPowerA": 16}, "transactionId": "TX-77", "connectorId": 1})
        assert response.status_code == 400 and "transactionId" in response.json()["error"]["message"]
        blank = post(api, "power-limit", {"limit": {"acMaxPowerA": 16}, "transactionId": ""})
        assert blank.status_code == 400 and blank.json()["error"]["message"].startswith("transactionId: ")
