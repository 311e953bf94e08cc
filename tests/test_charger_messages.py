"""What a charger reports outside sessions, sent by ocpp-rpc in strict mode and read back from the database."""

import json
from datetime import UTC, datetime

import pytest
from django.conf import settings

from chargers.models import Charger, Connector, DataTransfer, DiagnosticsStatus, FirmwareStatus, StatusNotification
from charging.models import MeterValue, Transaction
from tests.conftest import start_server
from tests.ocpp_rpc import strict_charger

pytestmark = pytest.mark.node

BOOT = {
    "chargePointVendor": "Alfen",
    "chargePointModel": "Eve Double",
    "chargePointSerialNumber": "ACE0123456",
    "chargeBoxSerialNumber": "BOX-77",
    "firmwareVersion": "4.12.0-2999",
    "iccid": "8931081234567890123",
    "imsi": "204081234567890",
    "meterType": "Eastron SDM630",
    "meterSerialNumber": "MTR-5566",
}


@pytest.fixture
def cp(server, charger):
    with strict_charger(server.ws, "CP-1") as rpc:
        yield rpc


def test_it_stores_everything_a_boot_notification_reports(cp, charger):
    answer = cp.call("BootNotification", BOOT)

    assert answer["status"] == "Accepted"
    row = Charger.objects.get(pk=charger.pk)
    assert (row.vendor, row.model) == ("Alfen", "Eve Double")
    assert (row.serial_number, row.charge_box_serial_number) == ("ACE0123456", "BOX-77")
    assert row.firmware_version == "4.12.0-2999"
    assert (row.iccid, row.imsi) == ("8931081234567890123", "204081234567890")
    assert (row.meter_type, row.meter_serial_number) == ("Eastron SDM630", "MTR-5566")
    assert row.last_boot_at is not None


def test_it_forgets_what_a_later_boot_no_longer_reports(cp, charger):
    cp.call("BootNotification", BOOT)
    cp.call("BootNotification", {"chargePointVendor": "Alfen", "chargePointModel": "Eve Single"})

    row = Charger.objects.get(pk=charger.pk)
    assert row.model == "Eve Single"
    assert row.iccid == "" and row.firmware_version == ""


@pytest.mark.parametrize("status", ["Pending", "Rejected"])
def test_it_answers_a_boot_with_the_registration_status_an_operator_set(server, charger, status):
    Charger.objects.filter(pk=charger.pk).update(registration_status=status)
    with strict_charger(server.ws, "CP-1") as cp:
        assert cp.call("BootNotification", BOOT)["status"] == status
    assert Charger.objects.get(pk=charger.pk).vendor == "Alfen"


def test_it_answers_a_boot_with_the_configured_heartbeat_interval(tmp_path, charger):
    other = start_server(tmp_path, CSMS_HEARTBEAT_INTERVAL="42")
    try:
        with strict_charger(other.ws, "CP-1") as cp:
            answer = cp.call("BootNotification", BOOT)
    finally:
        other.stop()
    assert answer["interval"] == 42


def test_it_answers_a_boot_with_the_default_interval_and_the_current_time(cp):
    before = datetime.now(UTC)
    answer = cp.call("BootNotification", BOOT)
    assert answer["interval"] == settings.CSMS_HEARTBEAT_INTERVAL  # the shared server runs with the same env
    assert abs((datetime.fromisoformat(answer["currentTime"]) - before).total_seconds()) < 5


def test_it_records_the_time_of_each_heartbeat(cp, charger):
    first = datetime.fromisoformat(cp.call("Heartbeat", {})["currentTime"])
    assert Charger.objects.get(pk=charger.pk).last_heartbeat_at == first

    second = datetime.fromisoformat(cp.call("Heartbeat", {})["currentTime"])
    assert second >= first
    assert Charger.objects.get(pk=charger.pk).last_heartbeat_at == second


def test_it_keeps_every_status_notification_as_history_per_connector(cp, charger):
    cp.call("StatusNotification", {"connectorId": 0, "status": "Available", "errorCode": "NoError"})
    cp.call("StatusNotification", {"connectorId": 1, "status": "Available", "errorCode": "NoError"})
    cp.call(
        "StatusNotification",
        {"connectorId": 1, "status": "Preparing", "errorCode": "NoError", "timestamp": "2026-03-01T10:00:00Z"},
    )

    history = StatusNotification.objects.filter(charger=charger)
    assert sorted((s.connector_id, s.status) for s in history) == [
        (0, "Available"),
        (1, "Available"),
        (1, "Preparing"),
    ]
    assert [s.status for s in history.filter(connector_id=1)] == ["Preparing", "Available"]  # newest first


def test_it_keeps_the_current_status_with_its_error_on_the_connector(cp, charger):
    cp.call("StatusNotification", {"connectorId": 2, "status": "Available", "errorCode": "NoError"})
    cp.call(
        "StatusNotification",
        {
            "connectorId": 2,
            "status": "Faulted",
            "errorCode": "GroundFailure",
            "info": "RCD tripped",
            "vendorId": "com.alfen",
            "vendorErrorCode": "E-104",
            "timestamp": "2026-03-01T10:05:00Z",
        },
    )

    connector = Connector.objects.get(charger=charger, connector_id=2)
    assert (connector.status, connector.error_code) == ("Faulted", "GroundFailure")
    assert (connector.info, connector.vendor_error_code) == ("RCD tripped", "E-104")
    assert connector.status_at == datetime(2026, 3, 1, 10, 5, tzinfo=UTC)
    latest = StatusNotification.objects.filter(charger=charger, connector_id=2).first()
    assert (latest.vendor_id, latest.timestamp) == ("com.alfen", datetime(2026, 3, 1, 10, 5, tzinfo=UTC))


def test_it_keeps_the_charger_itself_as_connector_zero(cp, charger):
    cp.call("StatusNotification", {"connectorId": 0, "status": "Unavailable", "errorCode": "OtherError"})
    connector = Connector.objects.get(charger=charger, connector_id=0)
    assert (connector.status, connector.error_code) == ("Unavailable", "OtherError")


def test_it_stores_a_data_transfer_and_answers_unknown_vendor(cp, charger):
    answer = cp.call("DataTransfer", {"vendorId": "com.nobody", "messageId": "ping", "data": '{"n":1}'})

    assert answer == {"status": "UnknownVendorId"}
    transfer = DataTransfer.objects.get(charger=charger)
    assert transfer.direction == DataTransfer.Direction.INCOMING
    assert (transfer.vendor_id, transfer.message_id, transfer.data) == ("com.nobody", "ping", '{"n":1}')
    assert transfer.response_status == "UnknownVendorId"


def test_it_answers_a_data_transfer_with_the_configured_vendor_handler(tmp_path, charger):
    handlers = "com.acme=tests.vendor_handlers.acme_echo,com.silent=tests.vendor_handlers.silent_reject"
    other = start_server(tmp_path, CSMS_DATA_TRANSFER_HANDLERS=handlers)
    try:
        with strict_charger(other.ws, "CP-1") as cp:
            echoed = cp.call("DataTransfer", {"vendorId": "com.acme", "messageId": "echo", "data": "hello"})
            rejected = cp.call("DataTransfer", {"vendorId": "com.silent"})
            unknown = cp.call("DataTransfer", {"vendorId": "com.nobody"})
    finally:
        other.stop()

    assert echoed == {"status": "Accepted", "data": f"CP-1/{charger.pk}: hello"}
    assert rejected == {"status": "Rejected"}
    assert unknown == {"status": "UnknownVendorId"}
    stored = {t.vendor_id: t for t in DataTransfer.objects.filter(charger=charger)}
    assert (stored["com.acme"].response_status, stored["com.acme"].response_data) == ("Accepted", echoed["data"])
    assert (stored["com.silent"].response_status, stored["com.silent"].response_data) == ("Rejected", "")


def test_it_keeps_firmware_status_notifications_as_history(cp, charger):
    for status in ("Downloading", "Downloaded", "Installing", "Installed"):
        assert cp.call("FirmwareStatusNotification", {"status": status}) == {}

    history = FirmwareStatus.objects.filter(charger=charger)
    assert [s.status for s in history] == ["Installed", "Installing", "Downloaded", "Downloading"]


def test_it_keeps_diagnostics_status_notifications_as_history(cp, charger):
    for status in ("Uploading", "UploadFailed", "Uploading", "Uploaded"):
        assert cp.call("DiagnosticsStatusNotification", {"status": status}) == {}

    history = DiagnosticsStatus.objects.filter(charger=charger)
    assert [s.status for s in history] == ["Uploaded", "Uploading", "UploadFailed", "Uploading"]


def test_it_stores_every_sampled_value_with_its_attributes(cp, charger):
    cp.call(
        "MeterValues",
        {
            "connectorId": 1,
            "meterValue": [
                {
                    "timestamp": "2026-03-01T10:00:00Z",
                    "sampledValue": [
                        {
                            "value": "230.1",
                            "measurand": "Voltage",
                            "unit": "V",
                            "phase": "L1-N",
                            "context": "Sample.Clock",
                            "location": "Inlet",
                            "format": "Raw",
                        },
                        {"value": "12345"},
                    ],
                },
                {
                    "timestamp": "2026-03-01T10:01:00+01:00",
                    "sampledValue": [{"value": "9.5", "unit": "kW", "measurand": "Power.Active.Import"}],
                },
            ],
        },
    )

    voltage, energy, power = MeterValue.objects.filter(charger=charger).order_by("id")
    assert (voltage.value, voltage.numeric, voltage.measurand, voltage.unit) == ("230.1", 230.1, "Voltage", "V")
    assert (voltage.phase, voltage.context, voltage.location, voltage.format) == (
        "L1-N",
        "Sample.Clock",
        "Inlet",
        "Raw",
    )
    assert voltage.timestamp == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert (energy.measurand, energy.value, energy.numeric) == ("Energy.Active.Import.Register", "12345", 12345.0)
    assert (power.measurand, power.unit) == ("Power.Active.Import", "kW")
    assert power.timestamp == datetime(2026, 3, 1, 9, 1, tzinfo=UTC)
    assert {v.connector_id for v in (voltage, energy, power)} == {1}
    assert all(v.transaction is None and v.reported_transaction_id == "" for v in (voltage, energy, power))


def test_it_links_meter_values_to_the_session_they_name(cp, charger, acme):
    tx = cp.call(
        "StartTransaction", {"connectorId": 1, "idTag": "ANY", "meterStart": 0, "timestamp": "2026-03-01T10:00:00Z"}
    )["transactionId"]
    sample = [{"timestamp": "2026-03-01T10:15:00Z", "sampledValue": [{"value": "2500", "context": "Sample.Periodic"}]}]
    cp.call("MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": sample})
    cp.call("MeterValues", {"connectorId": 1, "transactionId": 424242, "meterValue": sample})

    linked, orphan = MeterValue.objects.filter(charger=charger).order_by("id")
    assert linked.transaction == Transaction.objects.get(ocpp_id=str(tx))
    assert linked.reported_transaction_id == str(tx)
    # A session we do not know: kept, with what the charger said, for an operator to match.
    assert orphan.transaction is None and orphan.reported_transaction_id == "424242"


def test_it_stores_a_signed_meter_value_of_any_length(cp, charger):
    signed = "OCMF|" + "A" * 3500  # OCPP 1.6 sets no length limit on a sampled value
    cp.call(
        "MeterValues",
        {
            "connectorId": 1,
            "meterValue": [
                {"timestamp": "2026-03-01T10:00:00Z", "sampledValue": [{"value": signed, "format": "SignedData"}]}
            ],
        },
    )
    stored = MeterValue.objects.get(charger=charger)
    assert (stored.value, stored.format, stored.numeric) == (signed, "SignedData", None)


def test_a_late_status_notification_goes_to_history_without_overwriting_a_newer_one(cp, charger):
    newer = {"connectorId": 1, "status": "Charging", "errorCode": "NoError", "timestamp": "2026-03-01T10:05:00Z"}
    older = {"connectorId": 1, "status": "Preparing", "errorCode": "NoError", "timestamp": "2026-03-01T10:00:00Z"}
    cp.call("StatusNotification", newer)
    cp.call("StatusNotification", older)

    connector = Connector.objects.get(charger=charger, connector_id=1)
    assert (connector.status, connector.status_at) == ("Charging", datetime(2026, 3, 1, 10, 5, tzinfo=UTC))
    assert StatusNotification.objects.filter(charger=charger, connector_id=1).count() == 2


def test_a_status_notification_without_a_timestamp_always_becomes_current(cp, charger):
    cp.call(
        "StatusNotification",
        {"connectorId": 1, "status": "Charging", "errorCode": "NoError", "timestamp": "2099-01-01T00:00:00Z"},
    )
    cp.call("StatusNotification", {"connectorId": 1, "status": "Available", "errorCode": "NoError"})

    assert Connector.objects.get(charger=charger, connector_id=1).status == "Available"


def test_an_impossible_date_is_a_property_constraint_violation(cp):
    frame = {"connectorId": 1, "status": "Available", "errorCode": "NoError", "timestamp": "2026-02-30T00:00:00Z"}
    cp.raw(json.dumps([2, "feb-30", "StatusNotification", frame]))
    assert cp.raw_answer("feb-30")[:3] == [4, "feb-30", "PropertyConstraintViolation"]
