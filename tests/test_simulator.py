"""The charger simulator: against the live server, from the command line, and answering every
CSMS command (driven by a small central system on the `ocpp` library's server side, which
validates each answer against the OCPP 1.6 schemas)."""

import asyncio
import os
import subprocess
import sys
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from ocpp.v16 import call

from chargers.models import Charger, Connector, StatusNotification
from charging.models import IdTag, MeterValue, Transaction
from simulator import ConnectionRefused, SimulatedCharger
from tests.central_system import central_system
from tests.conftest import ROOT, database_url


def run(coro):
    return asyncio.run(coro)


@asynccontextmanager
async def simulated(connectors: int = 2, heartbeat_interval: int = 300, **options):
    """A started simulator connected to a fresh central system: yields (charger, its peer in the CS)."""
    async with central_system(heartbeat_interval=heartbeat_interval) as cs:
        charger = SimulatedCharger(
            "SIM-1", url=cs.url, connectors=connectors, meter_interval=1, firmware_step=0.05, **options
        )
        await charger.start()
        peer = await cs.next_connection()
        for n in range(connectors + 1):
            await peer.expect("StatusNotification", connector_id=n, status="Available")
        peer.cs = cs
        try:
            yield charger, peer
        finally:
            await charger.stop()


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# Booting and reporting, against the central system.


def test_it_boots_with_its_identity_and_reports_every_connector():
    async def scenario():
        async with central_system() as cs:
            charger = SimulatedCharger("SIM-1", url=cs.url, connectors=3)
            assert await charger.start() == "Accepted"
            peer = await cs.next_connection()
            boot = await peer.expect("BootNotification")
            assert boot["charge_point_vendor"] == "CSMS Simulator" and boot["charge_point_model"] == "SIM-AC22"
            assert boot["charge_point_serial_number"] == "SIM-SIM-1" and boot["firmware_version"] == "1.0.0"
            assert boot["meter_type"] and boot["meter_serial_number"] and boot["charge_box_serial_number"]
            for n in range(4):
                status = await peer.expect("StatusNotification", connector_id=n)
                assert status["status"] == "Available" and status["error_code"] == "NoError"
            await charger.stop()

    run(scenario())


def test_it_heartbeats_at_the_interval_the_csms_returns():
    async def scenario():
        async with simulated(heartbeat_interval=1) as (charger, peer):
            await peer.expect("Heartbeat", timeout=3)
            await peer.expect("Heartbeat", timeout=3)
            assert charger.configuration["HeartbeatInterval"].value == "1"

    run(scenario())


# Configuration.


def test_it_answers_get_configuration_with_readonly_flags_and_unknown_keys():
    async def scenario():
        async with simulated() as (charger, peer):
            everything = await peer.call(call.GetConfiguration(), suppress=False)
            keys = {entry["key"]: entry for entry in everything.configuration_key}
            assert {"HeartbeatInterval", "MeterValueSampleInterval", "NumberOfConnectors"} <= set(keys)
            assert keys["NumberOfConnectors"] == {"key": "NumberOfConnectors", "readonly": True, "value": "2"}
            assert keys["HeartbeatInterval"]["readonly"] is False
            assert everything.unknown_key is None

            some = await peer.call(call.GetConfiguration(key=["MeterValueSampleInterval", "NoSuchKey"]), suppress=False)
            assert some.configuration_key == [{"key": "MeterValueSampleInterval", "readonly": False, "value": "1"}]
            assert some.unknown_key == ["NoSuchKey"]

    run(scenario())


def test_it_changes_writable_configuration_and_refuses_readonly_unknown_and_invalid_values():
    async def scenario():
        async with simulated() as (charger, peer):

            async def change(key, value):
                return (await peer.call(call.ChangeConfiguration(key=key, value=value), suppress=False)).status

            assert await change("MeterValueSampleInterval", "30") == "Accepted"
            assert await change("NumberOfConnectors", "8") == "Rejected"
            assert await change("MeterValueSampleInterval", "soon") == "Rejected"
            assert await change("MeterValuesSampledData", "Energy.Active.Import.Register,Temperature") == "Rejected"
            assert await change("NoSuchKey", "1") == "NotSupported"
            answer = await peer.call(call.GetConfiguration(key=["MeterValueSampleInterval", "NumberOfConnectors"]))
            assert [entry["value"] for entry in answer.configuration_key] == ["30", "2"]

    run(scenario())


# Sessions started and stopped by the CSMS.


def test_it_starts_a_session_on_remote_start_and_stops_it_on_remote_stop():
    async def scenario():
        async with simulated() as (charger, peer):
            answer = await peer.call(call.RemoteStartTransaction(id_tag="TAG-1", connector_id=1), suppress=False)
            assert answer.status == "Accepted"
            await peer.expect("StatusNotification", connector_id=1, status="Preparing")
            started = await peer.expect("StartTransaction", connector_id=1, id_tag="TAG-1")
            assert started["meter_start"] == 0
            await peer.expect("StatusNotification", connector_id=1, status="Charging")
            busy = await peer.call(call.RemoteStartTransaction(id_tag="TAG-2", connector_id=1), suppress=False)
            assert busy.status == "Rejected"

            sample = await peer.expect("MeterValues", connector_id=1, timeout=3)
            transaction_id = sample["transaction_id"]
            assert transaction_id == charger.connectors[1].session.transaction_id
            values = {v["measurand"]: v for v in sample["meter_value"][0]["sampled_value"]}
            assert set(values) == {"Energy.Active.Import.Register", "Power.Active.Import", "Current.Import"}
            assert [values[m]["unit"] for m in sorted(values)] == ["A", "Wh", "W"]
            assert all(v["context"] == "Sample.Periodic" for v in values.values())
            assert float(values["Power.Active.Import"]["value"]) > 0

            unknown = await peer.call(call.RemoteStopTransaction(transaction_id=transaction_id + 1), suppress=False)
            assert unknown.status == "Rejected"
            stop = await peer.call(call.RemoteStopTransaction(transaction_id=transaction_id), suppress=False)
            assert stop.status == "Accepted"
            stopped = await peer.expect("StopTransaction", transaction_id=transaction_id)
            assert stopped["reason"] == "Remote" and stopped["meter_stop"] > 0
            contexts = [mv["sampled_value"][0]["context"] for mv in stopped["transaction_data"]]
            assert contexts == ["Transaction.Begin", "Transaction.End"]
            await peer.expect("StatusNotification", connector_id=1, status="Finishing")
            await peer.expect("StatusNotification", connector_id=1, status="Available")

    run(scenario())


def test_it_resets_then_reconnects_and_boots_again_ending_its_session():
    async def scenario():
        async with simulated() as (charger, peer):
            await peer.call(call.RemoteStartTransaction(id_tag="TAG-1", connector_id=2), suppress=False)
            await peer.expect("StatusNotification", connector_id=2, status="Charging")
            answer = await peer.call(call.Reset(type="Hard"), suppress=False)
            assert answer.status == "Accepted"
            stopped = await peer.expect("StopTransaction")
            assert stopped["reason"] == "HardReset"

            again = await peer.cs.next_connection()
            await again.expect("BootNotification")
            for n in range(3):
                await again.expect("StatusNotification", connector_id=n, status="Available")
            assert charger.reboots == 1

    run(scenario())


def test_it_unlocks_a_connector_ending_its_session():
    async def scenario():
        async with simulated() as (charger, peer):
            await peer.call(call.RemoteStartTransaction(id_tag="TAG-1"), suppress=False)
            await peer.expect("StatusNotification", connector_id=1, status="Charging")
            answer = await peer.call(call.UnlockConnector(connector_id=1), suppress=False)
            assert answer.status == "Unlocked"
            assert (await peer.expect("StopTransaction"))["reason"] == "UnlockCommand"
            idle = await peer.call(call.UnlockConnector(connector_id=2), suppress=False)
            assert idle.status == "Unlocked"
            missing = await peer.call(call.UnlockConnector(connector_id=9), suppress=False)
            assert missing.status == "NotSupported"
            assert not peer.seen("StopTransaction")

    run(scenario())


def test_it_changes_availability_at_once_or_after_the_session():
    async def scenario():
        async with simulated() as (charger, peer):
            down = await peer.call(call.ChangeAvailability(connector_id=1, type="Inoperative"), suppress=False)
            assert down.status == "Accepted"
            await peer.expect("StatusNotification", connector_id=1, status="Unavailable")
            refused = await peer.call(call.RemoteStartTransaction(id_tag="TAG-1", connector_id=1), suppress=False)
            assert refused.status == "Rejected"
            up = await peer.call(call.ChangeAvailability(connector_id=1, type="Operative"), suppress=False)
            assert up.status == "Accepted"
            await peer.expect("StatusNotification", connector_id=1, status="Available")
            missing = await peer.call(call.ChangeAvailability(connector_id=7, type="Inoperative"), suppress=False)
            assert missing.status == "Rejected"

            await peer.call(call.RemoteStartTransaction(id_tag="TAG-1", connector_id=2), suppress=False)
            await peer.expect("StatusNotification", connector_id=2, status="Charging")
            later = await peer.call(call.ChangeAvailability(connector_id=2, type="Inoperative"), suppress=False)
            assert later.status == "Scheduled"
            session = charger.connectors[2].session
            await peer.call(call.RemoteStopTransaction(transaction_id=session.transaction_id), suppress=False)
            await peer.expect("StopTransaction")
            await peer.expect("StatusNotification", connector_id=2, status="Unavailable")

            whole = await peer.call(call.ChangeAvailability(connector_id=0, type="Inoperative"), suppress=False)
            assert whole.status == "Accepted"
            await peer.expect("StatusNotification", connector_id=0, status="Unavailable")
            await peer.expect("StatusNotification", connector_id=1, status="Unavailable")

    run(scenario())


def test_it_sends_the_message_a_trigger_asks_for():
    async def scenario():
        async with simulated() as (charger, peer):

            async def trigger(message, connector_id=None):
                answer = await peer.call(
                    call.TriggerMessage(requested_message=message, connector_id=connector_id), suppress=False
                )
                return answer.status

            assert await trigger("BootNotification") == "Accepted"
            await peer.expect("BootNotification")
            assert await trigger("Heartbeat") == "Accepted"
            await peer.expect("Heartbeat")
            assert await trigger("StatusNotification", 2) == "Accepted"
            await peer.expect("StatusNotification", connector_id=2, status="Available")
            assert await trigger("MeterValues", 1) == "Accepted"
            sample = await peer.expect("MeterValues", connector_id=1)
            assert sample["meter_value"][0]["sampled_value"][0]["context"] == "Trigger"
            assert await trigger("FirmwareStatusNotification") == "Accepted"
            assert (await peer.expect("FirmwareStatusNotification"))["status"] == "Idle"
            assert await trigger("DiagnosticsStatusNotification") == "Accepted"
            assert (await peer.expect("DiagnosticsStatusNotification"))["status"] == "Idle"
            assert await trigger("StatusNotification", 5) == "Rejected"

    run(scenario())


# Reservations.


def test_it_holds_a_reservation_for_its_id_tag_until_cancelled():
    async def scenario():
        async with simulated() as (charger, peer):
            expiry = iso(datetime.now(UTC) + timedelta(hours=1))

            async def reserve(connector_id, reservation_id, id_tag="TAG-1"):
                answer = await peer.call(
                    call.ReserveNow(
                        connector_id=connector_id, expiry_date=expiry, id_tag=id_tag, reservation_id=reservation_id
                    ),
                    suppress=False,
                )
                return answer.status

            assert await reserve(1, 11) == "Accepted"
            await peer.expect("StatusNotification", connector_id=1, status="Reserved")
            assert await reserve(1, 12, "TAG-2") == "Occupied"
            assert await reserve(0, 13) == "Rejected"
            stranger = await peer.call(call.RemoteStartTransaction(id_tag="TAG-2", connector_id=1), suppress=False)
            assert stranger.status == "Rejected"

            cancelled = await peer.call(call.CancelReservation(reservation_id=11), suppress=False)
            assert cancelled.status == "Accepted"
            await peer.expect("StatusNotification", connector_id=1, status="Available")
            unknown = await peer.call(call.CancelReservation(reservation_id=11), suppress=False)
            assert unknown.status == "Rejected"

            assert await reserve(2, 14) == "Accepted"
            await peer.call(call.RemoteStartTransaction(id_tag="TAG-1"), suppress=False)
            started = await peer.expect("StartTransaction", connector_id=2)
            assert started["reservation_id"] == 14

    run(scenario())


def test_it_releases_a_reservation_when_it_expires():
    async def scenario():
        async with simulated() as (charger, peer):
            expiry = iso(datetime.now(UTC) + timedelta(seconds=0.5))
            reserve = call.ReserveNow(connector_id=1, expiry_date=expiry, id_tag="TAG-1", reservation_id=5)
            assert (await peer.call(reserve, suppress=False)).status == "Accepted"
            await peer.expect("StatusNotification", connector_id=1, status="Reserved")
            await peer.expect("StatusNotification", connector_id=1, status="Available", timeout=3)

    run(scenario())


# Smart charging.


def profile(profile_id, purpose, limits, *, stack_level=0, unit="A", kind="Relative"):
    periods = [{"startPeriod": start, "limit": limit} for start, limit in limits]
    return {
        "chargingProfileId": profile_id,
        "stackLevel": stack_level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": kind,
        "chargingSchedule": {"chargingRateUnit": unit, "chargingSchedulePeriod": periods},
    }


def test_it_keeps_charging_profiles_and_composes_the_schedule_from_them():
    async def scenario():
        async with simulated() as (charger, peer):

            async def composite(connector_id=1, unit=None):
                answer = await peer.call(
                    call.GetCompositeSchedule(connector_id=connector_id, duration=120, charging_rate_unit=unit),
                    suppress=False,
                )
                assert answer.status == "Accepted" and answer.connector_id == connector_id
                return [(p["start_period"], p["limit"]) for p in answer.charging_schedule["charging_schedule_period"]]

            async def install(connector_id, charging_profile):
                answer = await peer.call(
                    call.SetChargingProfile(connector_id=connector_id, cs_charging_profiles=charging_profile),
                    suppress=False,
                )
                return answer.status

            assert await composite() == [(0, 32.0)]
            assert await install(0, profile(1, "TxDefaultProfile", [(0, 16), (60, 10)])) == "Accepted"
            assert await composite() == [(0, 16.0), (60, 10.0)]
            assert await install(0, profile(2, "ChargePointMaxProfile", [(0, 12)])) == "Accepted"
            assert await composite() == [(0, 12.0), (60, 10.0)]
            assert await composite(unit="W") == [(0, 8280.0), (60, 6900.0)]
            assert await install(1, profile(3, "ChargePointMaxProfile", [(0, 6)])) == "Rejected"
            assert await install(1, profile(4, "TxProfile", [(0, 6)])) == "Rejected"  # no session on connector 1

            cleared = await peer.call(call.ClearChargingProfile(id=2), suppress=False)
            assert cleared.status == "Accepted"
            assert await composite() == [(0, 16.0), (60, 10.0)]
            nothing = await peer.call(call.ClearChargingProfile(id=99), suppress=False)
            assert nothing.status == "Unknown"
            by_purpose = await peer.call(
                call.ClearChargingProfile(charging_profile_purpose="TxDefaultProfile"), suppress=False
            )
            assert by_purpose.status == "Accepted"
            assert await composite() == [(0, 32.0)]

    run(scenario())


def test_it_charges_at_the_limit_of_the_profile_sent_with_remote_start():
    async def scenario():
        async with simulated() as (charger, peer):
            limited = profile(7, "TxProfile", [(0, 8)])
            answer = await peer.call(
                call.RemoteStartTransaction(id_tag="TAG-1", connector_id=1, charging_profile=limited), suppress=False
            )
            assert answer.status == "Accepted"
            sample = await peer.expect("MeterValues", connector_id=1, timeout=3)
            values = {v["measurand"]: v["value"] for v in sample["meter_value"][0]["sampled_value"]}
            assert values["Current.Import"] == "8.0" and values["Power.Active.Import"] == "5520"
            schedule = await peer.call(call.GetCompositeSchedule(connector_id=1, duration=60), suppress=False)
            assert schedule.charging_schedule["charging_schedule_period"] == [{"start_period": 0, "limit": 8.0}]

    run(scenario())


# Local authorisation list.


def test_it_keeps_the_local_list_and_its_version():
    async def scenario():
        async with simulated() as (charger, peer):

            async def send(version, update_type, entries):
                answer = await peer.call(
                    call.SendLocalList(list_version=version, update_type=update_type, local_authorization_list=entries),
                    suppress=False,
                )
                return answer.status

            async def version():
                return (await peer.call(call.GetLocalListVersion(), suppress=False)).list_version

            assert await version() == 0
            accepted = {"status": "Accepted"}
            full = [{"idTag": "TAG-1", "idTagInfo": accepted}, {"idTag": "TAG-2", "idTagInfo": accepted}]
            assert await send(3, "Full", full) == "Accepted"
            assert await version() == 3
            assert await send(2, "Differential", [{"idTag": "TAG-3", "idTagInfo": accepted}]) == "VersionMismatch"
            assert await send(4, "Differential", [{"idTag": "TAG-1"}, {"idTag": "TAG-3", "idTagInfo": accepted}]) == (
                "Accepted"
            )
            assert await version() == 4
            assert sorted(charger.local_list) == ["TAG-2", "TAG-3"]

            assert (await peer.call(call.ClearCache(), suppress=False)).status == "Accepted"

    run(scenario())


# Firmware and diagnostics.


def test_it_updates_firmware_and_reboots_with_the_new_version():
    async def scenario():
        async with simulated() as (charger, peer):
            update = call.UpdateFirmware(
                location="https://firmware.example.com/sim-ac22-2.1.0.bin", retrieve_date=iso(datetime.now(UTC))
            )
            assert await peer.call(update, suppress=False) is not None
            for status in ("Downloading", "Downloaded", "Installing", "Installed"):
                await peer.expect("FirmwareStatusNotification", status=status)
            assert peer.seen("FirmwareStatusNotification") == []  # nothing else, in that order

            rebooted = await peer.cs.next_connection()
            boot = await rebooted.expect("BootNotification")
            assert boot["firmware_version"] == "2.1.0"

    run(scenario())


def test_it_uploads_diagnostics():
    async def scenario():
        async with simulated() as (charger, peer):
            answer = await peer.call(call.GetDiagnostics(location="ftp://logs.example.com/"), suppress=False)
            assert answer.file_name.startswith("diagnostics-SIM-1-") and answer.file_name.endswith(".log")
            await peer.expect("DiagnosticsStatusNotification", status="Uploading")
            await peer.expect("DiagnosticsStatusNotification", status="Uploaded")

    run(scenario())


def test_it_answers_data_transfer_for_its_own_vendor_only():
    async def scenario():
        async with simulated() as (charger, peer):
            stranger = await peer.call(call.DataTransfer(vendor_id="Elsewhere", data="x"), suppress=False)
            assert stranger.status == "UnknownVendorId"
            echo = await peer.call(
                call.DataTransfer(vendor_id="CSMS Simulator", message_id="Echo", data="hello"), suppress=False
            )
            assert (echo.status, echo.data) == ("Accepted", "hello")
            unknown = await peer.call(
                call.DataTransfer(vendor_id="CSMS Simulator", message_id="Launch"), suppress=False
            )
            assert unknown.status == "UnknownMessageId"

    run(scenario())


# Against the live server.


@pytest.fixture
def tag(acme):
    return IdTag.objects.create(organisation=acme, id_tag="TAG-1")


def test_it_boots_against_the_live_server_which_stores_its_identity_and_statuses(server, charger):
    async def scenario():
        simulator = SimulatedCharger("CP-1", url=server.ws, connectors=2)
        assert await simulator.start() == "Accepted"
        await simulator.stop()

    run(scenario())
    row = Charger.objects.get(pk=charger.pk)
    assert (row.vendor, row.model, row.firmware_version) == ("CSMS Simulator", "SIM-AC22", "1.0.0")
    assert row.serial_number == "SIM-CP-1" and row.meter_type == "SIM-Meter"
    assert [(c.connector_id, c.status) for c in Connector.objects.filter(charger=row)] == [
        (0, "Available"),
        (1, "Available"),
        (2, "Available"),
    ]
    assert StatusNotification.objects.filter(charger=row).count() == 3


def test_it_charges_a_session_that_the_live_server_persists(server, charger, tag):
    async def scenario():
        async with SimulatedCharger("CP-1", url=server.ws, meter_interval=1) as simulator:
            return await simulator.charge("TAG-1", duration=2.5)

    session = run(scenario())
    assert session.id_tag_status == "Accepted" and session.energy_wh > 0
    stored = Transaction.objects.get(charger=charger)
    assert stored.ocpp_id == str(session.transaction_id)
    assert (stored.meter_start, stored.meter_stop, stored.energy_wh) == (0, session.meter_stop, session.energy_wh)
    assert stored.stop_reason == "Local" and stored.id_tag == "TAG-1"
    periodic = MeterValue.objects.filter(transaction=stored, context="Sample.Periodic")
    assert {(v.measurand, v.unit) for v in periodic} == {
        ("Energy.Active.Import.Register", "Wh"),
        ("Power.Active.Import", "W"),
        ("Current.Import", "A"),
    }
    contexts = set(MeterValue.objects.filter(transaction=stored).values_list("context", flat=True))
    assert {"Transaction.Begin", "Transaction.End"} <= contexts
    assert Connector.objects.get(charger=charger, connector_id=1).status == "Available"


def test_it_connects_with_the_chargers_password(server, locked_charger):
    async def scenario(password):
        simulator = SimulatedCharger("CP-LOCKED", url=server.ws, password=password)
        try:
            return await simulator.start()
        finally:
            await simulator.stop()

    with pytest.raises(ConnectionRefused, match="HTTP 403"):
        run(scenario("wrong-password"))
    assert run(scenario("s3cret-password")) == "Accepted"


def simulate_charger(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "simulate_charger", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url()},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_runs_a_session_from_the_command_line(server, charger, tag):
    done = simulate_charger(
        "CP-1", "--url", server.ws, "--connectors", "2", "--charge", "TAG-1", "--duration", "2", "--meter-interval", "1"
    )
    assert done.returncode == 0, done.stderr + done.stdout
    assert "booted: Accepted" in done.stdout and "connector 2 is Available" in done.stdout
    stored = Transaction.objects.get(charger=charger)
    assert f"Charged {stored.energy_wh} Wh in transaction {stored.ocpp_id}" in done.stdout
    assert stored.energy_wh > 0 and MeterValue.objects.filter(transaction=stored).exists()


def test_it_explains_a_refused_connection_on_the_command_line(server, acme):
    done = simulate_charger("CP-NOBODY", "--url", server.ws)
    assert done.returncode == 1
    assert "HTTP 403" in done.stderr and "registered" in done.stderr
