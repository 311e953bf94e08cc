"""OCPP 2.0.1 charger messages, sent by ocpp-rpc in strict mode with subprotocol ocpp2.0.1 and again with
ocpp2.1 (which speaks them alike: the `ocpp2` fixture), read back from the same tables as OCPP 1.6's."""

import json

import pytest

from chargers.models import (
    Charger,
    ChargerNotification,
    Connector,
    DataTransfer,
    DeviceVariable,
    DiagnosticsStatus,
    FirmwareStatus,
    StatusNotification,
)
from chargers.services.registry import charger_register, charger_update
from charging.models import IdTag, MeterValue, Transaction, TransactionEvent
from tests.ocpp_rpc import Refused, RpcCharger, strict_charger

pytestmark = pytest.mark.node

V201 = "ocpp2.0.1"
T0 = "2026-02-10T14:00:00Z"


@pytest.fixture
def cp(server, charger, ocpp2):
    with strict_charger(server.ws, "CP-1", protocol=ocpp2) as rpc:
        yield rpc


def energy(wh: float, at: str, context: str = "Sample.Periodic") -> dict:
    return {
        "timestamp": at,
        "sampledValue": [
            {"value": wh, "context": context, "measurand": "Energy.Active.Import.Register"},
            {"value": 7.2, "context": context, "measurand": "Power.Active.Import", "unitOfMeasure": {
                "unit": "kW"}},
        ],
    }  # fmt: skip


def event(kind: str, seq_no: int, at: str, **extra) -> dict:
    info = {"transactionId": "TX-9f1c"} | extra.pop("info", {})
    return {"eventType": kind, "timestamp": at, "triggerReason": extra.pop("trigger", "Authorized"),
            "seqNo": seq_no, "transactionInfo": info} | extra  # fmt: skip


# Connection.


def test_a_charger_offering_both_versions_gets_2_0_1(server, charger):
    with strict_charger(server.ws, "CP-1", protocol=[V201, "ocpp1.6"]) as rpc:
        assert rpc.protocol == V201
        rpc.call("Heartbeat", {})
    assert Charger.objects.get(pk=charger.pk).ocpp_protocol == V201


def test_a_charger_pinned_to_1_6_gets_1_6_though_it_offers_2_0_1(server, charger):
    charger_update(charger=charger, ocpp_version_pinned="ocpp1.6")
    with strict_charger(server.ws, "CP-1", protocol=[V201, "ocpp1.6"]) as rpc:
        assert rpc.protocol == "ocpp1.6"
        assert "currentTime" in rpc.call("Heartbeat", {})
    assert Charger.objects.get(pk=charger.pk).ocpp_protocol == "ocpp1.6"


def test_a_charger_pinned_to_a_version_it_does_not_offer_is_refused(server, charger):
    charger_update(charger=charger, ocpp_version_pinned="ocpp1.6")
    with pytest.raises(Refused):
        RpcCharger(server.ws, "CP-1", protocol=V201)


def test_security_profile_1_applies_to_2_0_1(server, locked_charger, ocpp2):
    with pytest.raises(Refused):
        RpcCharger(server.ws, "CP-LOCKED", protocol=ocpp2, password="wrong-password")
    with strict_charger(server.ws, "CP-LOCKED", protocol=ocpp2, password="s3cret-password") as rpc:
        assert rpc.protocol == ocpp2


def test_it_answers_with_2_0_1_error_spellings(cp):
    cp.raw('[2,"m1","Heartbeat",{"bogus":1}]')
    cp.raw('[2,"m2","StatusNotification",{"timestamp":"2026-02-10T14:00:00Z"}]')
    cp.raw('[7,"m3","Heartbeat",{}]')
    cp.raw('[2,"m4","RemoteStartTransaction",{}]')
    cp.raw('[2,"m5","RequestStartTransaction",{}]')
    assert cp.raw_answer("m1")[2] == "FormatViolation"
    assert cp.raw_answer("m2")[2] == "OccurrenceConstraintViolation"
    assert cp.raw_answer("m3")[2] == "MessageTypeNotSupported"
    assert cp.raw_answer("m4")[2] == "NotImplemented"
    assert cp.raw_answer("m5")[2] == "NotSupported"
    cp.events[:] = [e for e in cp.events if e["event"] != "strictValidationFailure"]


# Messages.


def test_it_stores_a_boot_notification_with_its_reason(cp, charger):
    answer = cp.call("BootNotification", {"reason": "FirmwareUpdate", "chargingStation": {
        "model": "Pulsar Max", "vendorName": "Wallbox", "serialNumber": "WB-77", "firmwareVersion": "6.1.0",
        "modem": {"iccid": "8931081234567890123", "imsi": "204081234567890"}}})  # fmt: skip

    assert answer["status"] == "Accepted" and answer["interval"] > 0
    row = Charger.objects.get(pk=charger.pk)
    assert (row.vendor, row.model, row.serial_number, row.firmware_version) == (
        "Wallbox",
        "Pulsar Max",
        "WB-77",
        "6.1.0",
    )
    assert (row.iccid, row.imsi, row.boot_reason) == ("8931081234567890123", "204081234567890", "FirmwareUpdate")


def test_it_records_heartbeats(cp, charger):
    cp.call("Heartbeat", {})
    assert Charger.objects.get(pk=charger.pk).last_heartbeat_at is not None


def test_it_keeps_the_status_of_each_evse_and_connector(cp, charger):
    cp.call("StatusNotification", {"timestamp": T0, "connectorStatus": "Occupied", "evseId": 1, "connectorId": 1})
    cp.call("StatusNotification", {"timestamp": T0, "connectorStatus": "Faulted", "evseId": 2, "connectorId": 1})

    connectors = {(c.evse_id, c.connector_id): c.status for c in Connector.objects.filter(charger=charger)}
    assert connectors == {(1, 1): "Occupied", (2, 1): "Faulted"}
    history = StatusNotification.objects.filter(charger=charger).order_by("id")
    assert [(h.evse_id, h.connector_id, h.status) for h in history] == [(1, 1, "Occupied"), (2, 1, "Faulted")]


def test_it_authorizes_id_tokens_with_the_id_tag_rules(cp, acme):
    parent = IdTag.objects.create(organisation=acme, id_tag="FLEET")
    IdTag.objects.create(organisation=acme, id_tag="04A1B2C3", parent=parent)
    IdTag.objects.create(organisation=acme, id_tag="BLOCKED-1", status="Blocked")

    assert cp.call("Authorize", {"idToken": {"idToken": "04a1b2c3", "type": "ISO14443"}}) == {
        "idTokenInfo": {"status": "Accepted", "groupIdToken": {"idToken": "FLEET", "type": "Central"}}
    }
    assert cp.call("Authorize", {"idToken": {"idToken": "BLOCKED-1", "type": "ISO14443"}})["idTokenInfo"] == {
        "status": "Blocked"
    }
    assert cp.call("Authorize", {"idToken": {"idToken": "NOBODY", "type": "Central"}})["idTokenInfo"] == {
        "status": "Invalid"
    }
    kept = ChargerNotification.objects.filter(action="Authorize").order_by("id")
    assert [(n.kind, n.payload["idToken"]["type"]) for n in kept] == [
        ("Accepted", "ISO14443"), ("Blocked", "ISO14443"), ("Invalid", "Central")]  # fmt: skip


def test_a_session_is_started_updated_and_ended_with_the_same_energy_figures(cp, charger, acme):
    IdTag.objects.create(organisation=acme, id_tag="TAG-1")
    token = {"idToken": "TAG-1", "type": "ISO14443"}

    started = cp.call("TransactionEvent", event(
        "Started", 0, T0, idToken=token, evse={"id": 2, "connectorId": 1},
        info={"chargingState": "Charging", "remoteStartId": 77},
        meterValue=[energy(1000, T0, "Transaction.Begin")]))  # fmt: skip
    cp.call("TransactionEvent", event(
        "Updated", 1, "2026-02-10T14:15:00Z", trigger="MeterValuePeriodic",
        meterValue=[energy(3500, "2026-02-10T14:15:00Z")]))  # fmt: skip
    ended = cp.call("TransactionEvent", event(
        "Ended", 2, "2026-02-10T14:30:00Z", trigger="EVCommunicationLost", idToken=token,
        info={"stoppedReason": "EVDisconnected"},
        meterValue=[energy(6000, "2026-02-10T14:30:00Z", "Transaction.End")]))  # fmt: skip

    assert started == {"idTokenInfo": {"status": "Accepted"}}
    assert ended == {"idTokenInfo": {"status": "Accepted"}}
    session = Transaction.objects.get(charger=charger)
    assert (session.ocpp_id, session.evse_id, session.connector_id) == ("TX-9f1c", 2, 1)
    assert (session.id_tag, session.id_tag_status, session.remote_start_id) == ("TAG-1", "Accepted", 77)
    assert (session.meter_start, session.meter_stop, session.energy_wh) == (1000, 6000, 5000)
    assert (session.stop_reason, session.stop_id_tag) == ("EVDisconnected", "TAG-1")
    assert session.stop_time.isoformat() == "2026-02-10T14:30:00+00:00"
    assert (session.last_seq_no, session.missing_seq_nos, session.offline) == (2, [], False)
    events = list(TransactionEvent.objects.filter(transaction=session))
    assert [(e.event_type, e.seq_no, e.trigger_reason) for e in events] == [
        ("Started", 0, "Authorized"),
        ("Updated", 1, "MeterValuePeriodic"),
        ("Ended", 2, "EVCommunicationLost"),
    ]
    assert events[0].charging_state == "Charging"
    readings = MeterValue.objects.filter(transaction=session, measurand="Energy.Active.Import.Register")
    assert [(m.numeric, m.evse_id, m.context) for m in readings] == [
        (1000, 2, "Transaction.Begin"),
        (3500, 2, "Sample.Periodic"),
        (6000, 2, "Transaction.End"),
    ]
    assert (
        MeterValue.objects.get(transaction=session, measurand="Power.Active.Import", context="Transaction.Begin").unit
        == "kW"
    )


def test_it_records_seq_no_gaps_offline_events_and_ignores_retries(cp, charger):
    cp.call("TransactionEvent", event("Started", 0, T0, trigger="CablePluggedIn", evse={"id": 1, "connectorId": 1}))
    cp.call(
        "TransactionEvent", event("Updated", 3, "2026-02-10T14:20:00Z", offline=True, trigger="ChargingStateChanged")
    )
    cp.call(
        "TransactionEvent", event("Updated", 3, "2026-02-10T14:20:00Z", offline=True, trigger="ChargingStateChanged")
    )
    cp.call("TransactionEvent", event("Updated", 1, "2026-02-10T14:05:00Z", trigger="Authorized",
                                      idToken={"idToken": "LATE-TAG", "type": "ISO14443"}))  # fmt: skip

    session = Transaction.objects.get(charger=charger)
    assert (session.last_seq_no, session.missing_seq_nos, session.offline) == (3, [2], True)
    assert session.id_tag == "LATE-TAG" and session.id_tag_status == "Invalid"
    assert list(TransactionEvent.objects.filter(transaction=session).values_list("seq_no", flat=True)) == [0, 1, 3]
    assert session.stop_time is None


def test_an_ended_event_for_an_unknown_session_records_the_whole_session(cp, charger):
    cp.call(
        "TransactionEvent",
        event(
            "Ended",
            5,
            "2026-02-10T15:00:00Z",
            trigger="StopAuthorized",
            evse={"id": 1},
            info={"stoppedReason": "Local"},
            meterValue=[energy(4200, "2026-02-10T15:00:00Z", "Transaction.End")],
        ),
    )
    session = Transaction.objects.get(charger=charger)
    assert session.stop_time is not None and session.stop_reason == "Local"
    assert session.missing_seq_nos == [0, 1, 2, 3, 4]


def test_it_stores_meter_values_of_an_evse(cp, charger):
    cp.call(
        "MeterValues",
        {
            "evseId": 1,
            "meterValue": [
                {
                    "timestamp": T0,
                    "sampledValue": [
                        {"value": 12.5, "measurand": "Energy.Active.Import.Register", "unitOfMeasure": {"unit": "kWh"}},
                        {
                            "value": 3,
                            "measurand": "Power.Active.Import",
                            "unitOfMeasure": {"unit": "W", "multiplier": 3},
                        },
                    ],
                }
            ],
        },
    )
    rows = {m.measurand: m for m in MeterValue.objects.filter(charger=charger)}
    assert (rows["Energy.Active.Import.Register"].numeric, rows["Energy.Active.Import.Register"].unit) == (12.5, "kWh")
    assert (rows["Power.Active.Import"].numeric, rows["Power.Active.Import"].evse_id) == (3000, 1)


def test_notify_report_parts_are_assembled_into_the_device_model(cp, charger):
    heartbeat = {
        "component": {"name": "OCPPCommCtrlr"},
        "variable": {"name": "HeartbeatInterval"},
        "variableAttribute": [{"type": "Actual", "value": "300", "mutability": "ReadWrite", "persistent": True}],
        "variableCharacteristics": {"unit": "s", "dataType": "integer", "supportsMonitoring": False},
    }
    power = {"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"},
             "variableAttribute": [{"type": "Actual", "value": "0", "mutability": "ReadOnly"},
                                   {"type": "MaxSet", "value": "22000"}],
             "variableCharacteristics": {"unit": "W", "dataType": "decimal", "maxLimit": 22000,
                                         "supportsMonitoring": True}}  # fmt: skip
    cp.call("NotifyReport", {"requestId": 9, "generatedAt": T0, "seqNo": 0, "tbc": True, "reportData": [heartbeat]})
    cp.call("NotifyReport", {"requestId": 9, "generatedAt": T0, "seqNo": 1, "reportData": [power]})

    rows = {(str(v), v.evse_id, v.attribute_type): v for v in DeviceVariable.objects.filter(charger=charger)}
    assert set(rows) == {("OCPPCommCtrlr.HeartbeatInterval", 0, "Actual"), ("EVSE.Power", 1, "Actual"),
                         ("EVSE.Power", 1, "MaxSet")}  # fmt: skip
    hb = rows[("OCPPCommCtrlr.HeartbeatInterval", 0, "Actual")]
    assert (hb.value, hb.mutability, hb.persistent, hb.data_type, hb.unit) == ("300", "ReadWrite", True, "integer", "s")
    assert rows[("EVSE.Power", 1, "Actual")].characteristics == {"maxLimit": 22000, "supportsMonitoring": True}
    assert rows[("EVSE.Power", 1, "MaxSet")].value == "22000"
    parts = ChargerNotification.objects.filter(action="NotifyReport").order_by("id")
    assert [(p.payload["seqNo"], p.payload["tbc"]) for p in parts] == [(0, True), (1, False)]


def test_it_keeps_every_other_notification(cp, charger):
    cp.call(
        "NotifyEvent",
        {
            "generatedAt": T0,
            "seqNo": 0,
            "eventData": [
                {
                    "eventId": 1,
                    "timestamp": T0,
                    "trigger": "Alerting",
                    "actualValue": "Faulted",
                    "techCode": "E42",
                    "eventNotificationType": "HardWiredNotification",
                    "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
                    "variable": {"name": "Problem"},
                }
            ],
        },
    )
    cp.call("SecurityEventNotification", {"type": "FirmwareUpdated", "timestamp": T0, "techInfo": "6.1.0"})
    cp.call("ReservationStatusUpdate", {"reservationId": 5001, "reservationUpdateStatus": "Expired"})
    cp.call(
        "NotifyChargingLimit", {"evseId": 1, "chargingLimit": {"chargingLimitSource": "SO", "isGridCritical": True}}
    )
    cp.call("ClearedChargingLimit", {"chargingLimitSource": "SO", "evseId": 1})
    needs = cp.call(
        "NotifyEVChargingNeeds",
        {
            "evseId": 1,
            "chargingNeeds": {
                "requestedEnergyTransfer": "AC_three_phase",
                "acChargingParameters": {
                    "energyAmount": 20000,
                    "evMinCurrent": 6,
                    "evMaxCurrent": 32,
                    "evMaxVoltage": 400,
                },
            },
        },
    )
    assert needs == {"status": "Rejected"}

    kept = {n.action: n for n in ChargerNotification.objects.filter(charger=charger)}
    assert (kept["NotifyEvent"].kind, kept["NotifyEvent"].evse_id) == ("Alerting Connector.Problem", 1)
    assert kept["NotifyEvent"].payload["techCode"] == "E42"
    assert kept["SecurityEventNotification"].kind == "FirmwareUpdated"
    assert kept["ReservationStatusUpdate"].payload == {"reservationId": 5001, "reservationUpdateStatus": "Expired"}
    assert (kept["NotifyChargingLimit"].kind, kept["NotifyChargingLimit"].evse_id) == ("SO", 1)
    assert kept["ClearedChargingLimit"].kind == "SO"
    assert kept["NotifyEVChargingNeeds"].payload["chargingNeeds"]["acChargingParameters"]["energyAmount"] == 20000


def test_it_stores_firmware_and_log_statuses(cp, charger):
    cp.call("FirmwareStatusNotification", {"status": "Downloading", "requestId": 3})
    cp.call("LogStatusNotification", {"status": "Uploaded", "requestId": 4})
    assert FirmwareStatus.objects.get(charger=charger).status == "Downloading"
    assert DiagnosticsStatus.objects.get(charger=charger).status == "Uploaded"


def test_a_data_transfer_with_json_data_is_kept(cp, charger):
    answer = cp.call("DataTransfer", {"vendorId": "com.unknown", "messageId": "Hello", "data": {"n": 1}})
    assert answer == {"status": "UnknownVendorId"}
    row = DataTransfer.objects.get(charger=charger)
    assert (row.direction, row.message_id, json.loads(row.data)) == ("incoming", "Hello", {"n": 1})


def test_sessions_of_both_versions_share_one_list(server, api, charger, acme, ocpp2):
    charger_register(organisation=acme, charge_box_id="CP-16")
    with strict_charger(server.ws, "CP-16") as old:
        old.call("StartTransaction", {"connectorId": 1, "idTag": "TAG-A", "meterStart": 100, "timestamp": T0})
    with strict_charger(server.ws, "CP-1", protocol=ocpp2) as new:
        new.call("TransactionEvent", event("Started", 0, T0, evse={"id": 1, "connectorId": 1},
                                           idToken={"idToken": "TAG-B", "type": "ISO14443"},
                                           meterValue=[energy(100, T0, "Transaction.Begin")]))  # fmt: skip
        new.call("StatusNotification", {"timestamp": T0, "connectorStatus": "Occupied", "evseId": 1, "connectorId": 1})
    for charge_box_id, evse_id in (("CP-16", None), ("CP-1", 1)):
        response = api.get(f"{api.base}/chargers/{charge_box_id}/transactions")
        assert response.status_code == 200, response.text
        [active] = response.json()["activeTransactions"]
        assert (active["evseId"], active["connectorId"], active["meterStart"]) == (evse_id, 1, 100)
    assert active["transactionId"] == "TX-9f1c" and active["idTag"] == "TAG-B"
    listed = {t["chargeBoxId"]: t for t in api.get(f"{api.base}/transactions").json()["transactions"]}
    assert (listed["CP-16"]["evseId"], listed["CP-1"]["evseId"]) == (None, 1)
    status = api.get(f"{api.base}/status").json()["chargePoints"]
    assert {p["chargeBoxId"] for p in status} == {"CP-1", "CP-16"}
    [new_connector] = next(p for p in status if p["chargeBoxId"] == "CP-1")["connectors"]
    assert (new_connector["connectorId"], new_connector["status"]) == (1, "Occupied")
