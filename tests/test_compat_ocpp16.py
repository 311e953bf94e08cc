"""The OCPP 1.6 command API another CSMS documents, at /api/v1/ocpp16/: its own example requests against the
live server, with a strict ocpp-rpc charger; the documented replies and the exact OCPP the charger got."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests

from accounts.models import ApiKey
from chargers.services.registry import charger_register
from charging.models import IdTag
from tests.ocpp_rpc import strict_charger

pytestmark = pytest.mark.node

CP = "CP-SITE42-001"
# The document's reservation expires in 2024; a reservation must expire in the future.
EXPIRY = "2036-03-10T17:00:00Z"
PROFILE = {
    "chargingProfileId": 101,
    "stackLevel": 0,
    "chargingProfilePurpose": "TxDefaultProfile",
    "chargingProfileKind": "Absolute",
    "chargingSchedule": {
        "chargingRateUnit": "W",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7400}, {"startPeriod": 3600, "limit": 11000}],
    },
}

# (path, the document's request body, the OCPP action and payload the charger gets, its answer, the documented
# reply less sent_at)
EXAMPLES = [
    ("remote_start_transaction", {"charge_point_id": CP, "id_tag": "RFID-USER-4A2F", "connector_id": 1},
     "RemoteStartTransaction", {"connectorId": 1, "idTag": "RFID-USER-4A2F"}, {"status": "Accepted"},
     {"charge_point_id": CP, "connector_id": 1, "id_tag": "RFID-USER-4A2F", "status": "Accepted"}),
    ("remote_stop_transaction", {"charge_point_id": CP, "transaction_id": 10042},
     "RemoteStopTransaction", {"transactionId": 10042}, {"status": "Accepted"},
     {"charge_point_id": CP, "transaction_id": 10042, "status": "Accepted"}),
    ("change_availability", {"charge_point_id": CP, "connector_id": 2, "type": "Inoperative"},
     "ChangeAvailability", {"connectorId": 2, "type": "Inoperative"}, {"status": "Scheduled"},
     {"charge_point_id": CP, "connector_id": 2, "type": "Inoperative", "status": "Scheduled"}),
    ("set_charging_profile", {"charge_point_id": CP, "connector_id": 1, "charging_profile": PROFILE},
     "SetChargingProfile", {"connectorId": 1, "csChargingProfiles": PROFILE}, {"status": "Accepted"},
     {"charge_point_id": CP, "connector_id": 1, "charging_profile_id": 101, "status": "Accepted"}),
    ("clear_charging_profile", {"charge_point_id": CP, "id": 101},
     "ClearChargingProfile", {"id": 101}, {"status": "Accepted"},
     {"charge_point_id": CP, "status": "Accepted"}),
    ("reset", {"charge_point_id": CP, "type": "Soft"},
     "Reset", {"type": "Soft"}, {"status": "Accepted"},
     {"charge_point_id": CP, "type": "Soft", "status": "Accepted"}),
    ("trigger_message", {"charge_point_id": CP, "requested_message": "StatusNotification", "connector_id": 1},
     "TriggerMessage", {"requestedMessage": "StatusNotification", "connectorId": 1}, {"status": "Accepted"},
     {"charge_point_id": CP, "requested_message": "StatusNotification", "status": "Accepted"}),
    ("reserve_now", {"charge_point_id": CP, "connector_id": 1, "expiry_date": EXPIRY, "id_tag": "RFID-USER-4A2F",
                     "reservation_id": 5001},
     "ReserveNow", {"connectorId": 1, "expiryDate": EXPIRY, "idTag": "RFID-USER-4A2F", "reservationId": 5001},
     {"status": "Occupied"},
     {"charge_point_id": CP, "connector_id": 1, "reservation_id": 5001, "status": "Occupied", "expires_at": EXPIRY}),
    ("cancel_reservation", {"charge_point_id": CP, "reservation_id": 5001},
     "CancelReservation", {"reservationId": 5001}, {"status": "Accepted"},
     {"charge_point_id": CP, "reservation_id": 5001, "status": "Accepted"}),
]  # fmt: skip


@pytest.fixture
def site42(acme):
    return charger_register(organisation=acme, charge_box_id=CP, name="Site 42")


@pytest.fixture
def bearer(server, acme_key):
    """The integrator as the document has it: Authorization: Bearer <key>."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {acme_key}"
    session.base = f"{server.http}/api/v1/ocpp16"
    return session


@pytest.fixture
def cp(server, site42):
    with strict_charger(server.ws, CP) as rpc:
        rpc.call("BootNotification", {"chargePointVendor": "Acme", "chargePointModel": "AC-22"})
        yield rpc


def just_now(text: str) -> bool:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return text.endswith("Z") and abs(datetime.now(UTC) - moment) < timedelta(seconds=30)


@pytest.mark.parametrize("path, body, action, payload, answer, documented", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_each_documented_command_reaches_the_charger_and_gets_the_documented_reply(
    bearer, cp, path, body, action, payload, answer, documented
):
    cp.respond(action, answer)
    response = bearer.post(f"{bearer.base}/{path}", json=body)
    assert response.status_code == 200, response.text
    call = cp.next_call()
    assert (call["action"], call["payload"]) == (action, payload)
    reply = response.json()
    assert just_now(reply.pop("sent_at"))
    assert reply == documented


def test_the_generic_command_sends_the_payload_unchanged(bearer, cp):
    keys = [{"key": "HeartbeatInterval", "readonly": False, "value": "30"},
            {"key": "MeterValueSampleInterval", "readonly": False, "value": "30"}]  # fmt: skip
    cp.respond("GetConfiguration", {"configurationKey": keys, "unknownKey": []})
    body = {"charge_point_id": CP, "command": "GetConfiguration",
            "payload": {"key": ["HeartbeatInterval", "MeterValueSampleInterval"]}}  # fmt: skip
    response = bearer.post(f"{bearer.base}/send_command", json=body)
    call = cp.next_call()
    assert (call["action"], call["payload"]) == ("GetConfiguration", body["payload"])
    reply = response.json()
    assert just_now(reply.pop("sent_at"))
    assert isinstance(reply.pop("response_time_ms"), int)
    assert reply == {"charge_point_id": CP, "command": "GetConfiguration", "status": "Accepted",
                     "response": {"configurationKey": keys, "unknownKey": []}}  # fmt: skip


def test_a_rejected_command_is_422_ocpp_rejected(bearer, cp):
    cp.respond("Reset", {"status": "Rejected"})
    response = bearer.post(f"{bearer.base}/reset", json={"charge_point_id": CP, "type": "Hard"})
    assert cp.next_call()["payload"] == {"type": "Hard"}
    assert response.status_code == 422
    assert response.json() == {"error": {"code": "ocpp_rejected", "message": f"{CP} answered Reset with Rejected"}}


def test_the_profile_sent_is_listed_by_the_main_api(bearer, cp, api):
    bearer.post(f"{bearer.base}/set_charging_profile", json=EXAMPLES[3][1])
    cp.next_call()
    listed = api.get(f"{api.base}/chargers/{CP}/charging-profiles").json()["chargingProfiles"]
    assert [(p["chargingProfileId"], p["connectorId"]) for p in listed] == [(101, 1)]


@pytest.mark.parametrize(
    "path, body, message",
    [
        ("reset", {"charge_point_id": CP, "type": "Gentle"}, 'type: "Gentle" is not a valid choice.'),
        ("reset", {"charge_point_id": CP, "type": "Soft", "delay": 5}, "delay: Unknown field; the fields are "
         "charge_point_id, type."),
        ("reserve_now", {"charge_point_id": CP, "connector_id": 1, "expiry_date": EXPIRY, "id_tag": "T"},
         "reservation_id: This field is required."),
        ("remote_stop_transaction", {"charge_point_id": CP, "transaction_id": "abc"},
         "transaction_id: A valid integer is required."),
        ("remote_start_transaction", {"charge_point_id": CP, "id_tag": "X" * 21},
         "id_tag: Ensure this field has no more than 20 characters."),
        ("remote_start_transaction", {"charge_point_id": CP, "connector_id": 1}, "id_tag: This field is required."),
        ("send_command", {"charge_point_id": CP, "command": "MakeCoffee", "payload": {}},
         "command: MakeCoffee is not a CSMS-initiated OCPP 1.6 action"),
    ],
)  # fmt: skip
def test_bad_input_is_400_naming_the_snake_case_field(bearer, cp, path, body, message):
    response = bearer.post(f"{bearer.base}/{path}", json=body)
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "validation_error", "message": message}}


def test_the_error_table(bearer, server, site42, acme, globex):
    url = f"{bearer.base}/reset"
    body = {"charge_point_id": CP, "type": "Soft"}
    assert requests.post(url, json=body).json()["error"]["code"] == "unauthorized"
    assert requests.post(url, json=body, headers={"Authorization": "Bearer nope"}).status_code == 401
    _, read_only = ApiKey.generate(organisation=acme, scopes=["read:charge_points"])
    forbidden = requests.post(url, json=body, headers={"Authorization": f"Bearer {read_only}"})
    assert (forbidden.status_code, forbidden.json()["error"]["code"]) == (403, "forbidden")
    assert requests.get(f"{bearer.base}/charge_points/status", headers={"Authorization": f"Bearer {read_only}"}).ok
    charger_register(organisation=globex, charge_box_id="CP-GLOBEX")
    for unknown in ("CP-NOWHERE", "CP-GLOBEX"):
        missing = bearer.post(url, json={**body, "charge_point_id": unknown})
        assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    offline = bearer.post(url, json=body)
    assert (offline.status_code, offline.json()["error"]["code"]) == (422, "charge_point_offline")
    nowhere = bearer.get(f"{bearer.base}/no_such_thing")
    assert (nowhere.status_code, nowhere.json()["error"]["code"]) == (404, "not_found")


def test_active_transactions_as_documented(bearer, cp, acme):
    IdTag.objects.create(organisation=acme, id_tag="RFID-USER-9B3E")
    started = (datetime.now(UTC) - timedelta(seconds=900)).replace(microsecond=0)
    answer = cp.call("StartTransaction", {"connectorId": 2, "idTag": "RFID-USER-9B3E", "meterStart": 10500,
                                          "timestamp": started.isoformat().replace("+00:00", "Z")})  # fmt: skip
    sampled = {"value": "11250", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
    cp.call(
        "MeterValues",
        {
            "connectorId": 2,
            "transactionId": answer["transactionId"],
            "meterValue": [{"timestamp": datetime.now(UTC).isoformat(), "sampledValue": [sampled]}],
        },
    )
    reply = bearer.get(f"{bearer.base}/active_transactions/{CP}").json()
    [session] = reply["active_transactions"]
    assert 895 <= session.pop("duration_seconds") <= 960
    assert session == {
        "transaction_id": answer["transactionId"],
        "connector_id": 2,
        "id_tag": "RFID-USER-9B3E",
        "start_time": started.isoformat().replace("+00:00", "Z"),
        "meter_start": 10500,
        "current_meter_value": 11250,
        "energy_delivered_wh": 750,
    }
    assert isinstance(session["transaction_id"], int)
    assert (reply["charge_point_id"], reply["total"]) == (CP, 1)


def status(cp, connector: int, state: str, error: str = "NoError", **extra) -> None:
    cp.call("StatusNotification", {"connectorId": connector, "status": state, "errorCode": error, **extra})


def test_statuses_filter_by_status_and_show_every_connector_of_a_match(bearer, cp, server, acme):
    charger_register(organisation=acme, charge_box_id="CP-SITE42-002")
    status(cp, 1, "Available", timestamp="2026-03-10T15:55:00Z")
    status(cp, 2, "Faulted", "GroundFailure", info="Ground fault detected on connector 2",
           timestamp="2026-03-10T15:57:00Z")  # fmt: skip
    with strict_charger(server.ws, "CP-SITE42-002") as healthy:
        status(healthy, 1, "Available")
        reply = bearer.get(f"{bearer.base}/charge_points/status?status=Faulted").json()
        assert reply.pop("charge_points") == [{
            "charge_point_id": CP,
            "online": True,
            "last_heartbeat_at": None,
            "connectors": [
                {"connector_id": 1, "status": "Available", "error_code": "NoError", "info": None,
                 "timestamp": "2026-03-10T15:55:00Z"},
                {"connector_id": 2, "status": "Faulted", "error_code": "GroundFailure",
                 "info": "Ground fault detected on connector 2", "timestamp": "2026-03-10T15:57:00Z"},
            ],
        }]  # fmt: skip
        assert reply == {"total": 1, "page": 1, "per_page": 50}
        second = bearer.get(f"{bearer.base}/charge_points/status?per_page=1&page=2").json()
        assert [c["charge_point_id"] for c in second["charge_points"]] == ["CP-SITE42-002"]
        assert (second["total"], second["page"], second["per_page"]) == (2, 2, 1)
        too_many = bearer.get(f"{bearer.base}/charge_points/status?per_page=201")
        assert too_many.json()["error"]["message"] == "per_page: Ensure this value is less than or equal to 200."


def test_the_error_table_timeout_and_rate_limit(bearer, cp):
    url, body = f"{bearer.base}/reset", {"charge_point_id": CP, "type": "Soft"}
    cp.respond("Reset", {"status": "Accepted"}, delay_ms=6000)  # the test server waits 5 s
    late = bearer.post(url, json=body)
    assert (late.status_code, late.json()["error"]["code"]) == (408, "timeout")
    cp.respond("Reset", {"status": "Accepted"})
    with ThreadPoolExecutor(max_workers=15) as pool:
        responses = list(pool.map(lambda _: bearer.post(url, json=body), range(30)))
    assert {response.status_code for response in responses} == {200, 429}
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 429} == {"rate_limited"}
