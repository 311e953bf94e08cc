"""The OCPP 2.0.1 charger simulator against the live server: it boots and charges into the product's
data model, and answers the REST API's commands, which the product sends it as 2.0.1 CALLs. The 2.1
simulator, which does all 2.0.1 does, runs every test too (the `ocpp2` fixture)."""

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from chargers.models import (
    Charger,
    ChargerNotification,
    Connector,
    DiagnosticsStatus,
    FirmwareStatus,
    StatusNotification,
)
from charging.models import IdTag, MeterValue, Transaction, TransactionEvent
from simulator import SIMULATORS, ConnectionRefused, SimulatedCharger201
from tests.conftest import eventually
from tests.test_simulator import simulate_charger


class Running:
    """A simulated station on an event loop of its own, so that a test can drive it through the API."""

    def __init__(self, station: SimulatedCharger201):
        self.station = station
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def run(self, coroutine, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def __enter__(self) -> SimulatedCharger201:
        self.thread.start()
        try:
            self.run(self.station.start())
        except BaseException:
            self._end_loop()
            raise
        return self.station

    def __exit__(self, *exc) -> None:
        try:
            self.run(self.station.stop())
        finally:
            self._end_loop()

    def _end_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def station_for(server, protocol: str, charge_box_id: str = "CP-1", **options) -> SimulatedCharger201:
    """The simulated station speaking `protocol` (ocpp2.0.1 or ocpp2.1)."""
    options = {"connectors": 2, "meter_interval": 1, "firmware_step": 0.05} | options
    return SIMULATORS[protocol.removeprefix("ocpp")](charge_box_id, url=server.ws, **options)


@pytest.fixture
def station(server, charger, ocpp2):
    running = Running(station_for(server, ocpp2))
    with running as station:
        station.running = running
        yield station


@pytest.fixture
def tag(acme):
    return IdTag.objects.create(organisation=acme, id_tag="TAG-1")


def post(api, path: str, body: dict | None = None) -> dict:
    """The charger's answer to a command; a burst beyond the API's rate limit waits its turn."""
    for _ in range(20):
        response = api.post(f"{api.base}/chargers/CP-1/{path}", json=body if body is not None else {})
        if response.status_code != 429:
            break
        time.sleep(0.2)
    assert response.status_code == 200, response.text
    return response.json()


def connectors(charger) -> dict[int, str]:
    return {c.evse_id: c.status for c in Connector.objects.filter(charger=charger, connector_id=1)}


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# Connecting and booting.


def test_it_boots_and_shows_online_speaking_2_0_1(api, station, charger, ocpp2):
    details = api.get(f"{api.base}/chargers/CP-1").json()
    assert (details["status"], details["ocppProtocol"]) == ("online", ocpp2)
    assert (details["vendor"], details["model"], details["firmwareVersion"]) == ("CSMS Simulator", "SIM-AC22", "1.0.0")
    assert details["serialNumber"] == "SIM-CP-1"
    assert Charger.objects.get(pk=charger.pk).boot_reason == "PowerUp"
    assert connectors(charger) == {1: "Available", 2: "Available"}
    history = StatusNotification.objects.filter(charger=charger).order_by("id")
    assert [(s.evse_id, s.connector_id, s.status) for s in history] == [(1, 1, "Available"), (2, 1, "Available")]
    assert station.heartbeat_seconds == 300  # the interval the CSMS gave at boot


def test_it_heartbeats_at_the_interval_it_is_set_to(api, station, charger):
    answer = post(api, "configuration/change", {"key": "OCPPCommCtrlr.HeartbeatInterval", "value": "1"})
    assert answer["status"] == "Accepted"
    eventually(lambda: Charger.objects.get(pk=charger.pk).last_heartbeat_at, timeout=5)


def test_it_connects_with_the_chargers_password(server, locked_charger, ocpp2):
    with pytest.raises(ConnectionRefused, match="HTTP 403"):
        with Running(station_for(server, ocpp2, "CP-LOCKED", password="wrong-password")):
            pass
    with Running(station_for(server, ocpp2, "CP-LOCKED", password="s3cret-password")) as station:
        assert station.registration_status == "Accepted"
    assert Charger.objects.get(pk=locked_charger.pk).ocpp_protocol == ocpp2


# Sessions.


def test_it_charges_a_session_that_the_live_server_persists_with_its_energy(server, charger, tag, ocpp2):
    running = Running(station_for(server, ocpp2))
    with running as station:
        session = running.run(station.charge("TAG-1", duration=2.5))

    assert session.id_tag_status == "Accepted" and session.energy_wh > 0
    stored = Transaction.objects.get(charger=charger)
    assert (stored.ocpp_id, stored.evse_id, stored.connector_id) == (session.transaction_id, 1, 1)
    assert (stored.meter_start, stored.meter_stop, stored.energy_wh) == (0, session.meter_stop, session.energy_wh)
    assert (stored.id_tag, stored.id_tag_status, stored.stop_reason) == ("TAG-1", "Accepted", "Local")
    assert (stored.missing_seq_nos, stored.stop_id_tag) == ([], "TAG-1")
    events = list(TransactionEvent.objects.filter(transaction=stored).order_by("seq_no"))
    assert [e.seq_no for e in events] == list(range(len(events))) and len(events) >= 4
    assert [(e.event_type, e.trigger_reason, e.charging_state) for e in events[:2]] == [
        ("Started", "Authorized", "EVConnected"),
        ("Updated", "ChargingStateChanged", "Charging"),
    ]
    assert {(e.event_type, e.trigger_reason) for e in events[2:-1]} == {("Updated", "MeterValuePeriodic")}
    assert (events[-1].event_type, events[-1].trigger_reason) == ("Ended", "StopAuthorized")
    periodic = MeterValue.objects.filter(transaction=stored, context="Sample.Periodic")
    assert {(v.measurand, v.unit) for v in periodic} == {
        ("Energy.Active.Import.Register", "Wh"),
        ("Power.Active.Import", "W"),
        ("Current.Import", "A"),
    }
    assert max(v.numeric for v in periodic if v.measurand == "Power.Active.Import") == 22080
    ends = MeterValue.objects.filter(transaction=stored, measurand="Energy.Active.Import.Register")
    assert {m.context: m.numeric for m in ends if m.context != "Sample.Periodic"} == {
        "Transaction.Begin": 0,
        "Transaction.End": session.meter_stop,
    }
    assert connectors(charger) == {1: "Available", 2: "Available"}


def test_it_runs_a_session_from_the_command_line(server, charger, tag, ocpp2):
    done = simulate_charger(
        "CP-1", "--protocol", ocpp2, "--url", server.ws, "--connectors", "2", "--charge", "TAG-1", "--duration", "2",
        "--meter-interval", "1",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    assert "booted: Accepted" in done.stdout and "EVSE 2 is Available" in done.stdout
    stored = Transaction.objects.get(charger=charger)
    assert f"Charged {stored.energy_wh} Wh in transaction {stored.ocpp_id}" in done.stdout
    assert stored.energy_wh > 0 and MeterValue.objects.filter(transaction=stored, context="Sample.Periodic").exists()
    assert Charger.objects.get(pk=charger.pk).ocpp_protocol == ocpp2


def test_an_unknown_id_token_is_not_charged(server, charger, ocpp2):
    running = Running(station_for(server, ocpp2))
    with running as station:
        assert running.run(station.charge("NOBODY", duration=1)) is None
    assert not Transaction.objects.filter(charger=charger).exists()


# Commands through the REST API.


def test_remote_start_and_stop_run_a_real_session(api, station, charger, tag):
    started = post(api, "transactions/start", {"idTag": "TAG-1", "connectorId": 2})
    assert started["status"] == "Accepted"
    session = eventually(lambda: Transaction.objects.filter(charger=charger).first())
    assert (session.evse_id, session.remote_start_id, session.id_tag) == (2, started["remoteStartId"], "TAG-1")
    eventually(lambda: connectors(charger)[2] == "Occupied")
    busy = post(api, "transactions/start", {"idTag": "TAG-1", "connectorId": 2})
    assert busy["status"] == "Rejected"
    eventually(lambda: MeterValue.objects.filter(transaction=session, context="Sample.Periodic").exists(), timeout=5)
    active = api.get(f"{api.base}/chargers/CP-1/transactions?active=true").json()["activeTransactions"]
    assert [t["transactionId"] for t in active] == [session.ocpp_id]

    assert post(api, "transactions/no-such-session/stop")["status"] == "Rejected"
    stopped = post(api, f"transactions/{session.ocpp_id}/stop")
    assert stopped["status"] == "Accepted"
    session = eventually(lambda: Transaction.objects.filter(pk=session.pk, stop_time__isnull=False).first())
    assert session.stop_reason == "Remote" and session.energy_wh > 0
    eventually(lambda: connectors(charger)[2] == "Available")


def test_a_hard_reset_ends_the_session_and_boots_again_for_a_remote_reset(api, station, charger, tag):
    post(api, "transactions/start", {"idTag": "TAG-1", "connectorId": 1})
    eventually(lambda: Transaction.objects.filter(charger=charger).exists())
    booted = Charger.objects.get(pk=charger.pk).last_boot_at
    assert post(api, "reset", {"type": "Hard"})["status"] == "Accepted"
    session = eventually(lambda: Transaction.objects.filter(charger=charger, stop_time__isnull=False).first())
    assert session.stop_reason == "ImmediateReset"
    rebooted = eventually(lambda: Charger.objects.filter(pk=charger.pk, last_boot_at__gt=booted).first())
    assert rebooted.boot_reason == "RemoteReset" and station.reboots == 1
    eventually(lambda: Charger.objects.get(pk=charger.pk).is_online)


def test_a_soft_reset_waits_for_the_session_to_end(api, station, charger, tag):
    post(api, "transactions/start", {"idTag": "TAG-1", "connectorId": 1})
    session = eventually(lambda: Transaction.objects.filter(charger=charger).first())
    assert post(api, "reset", {"type": "Soft"})["status"] == "Scheduled"
    assert station.reboots == 0
    post(api, f"transactions/{session.ocpp_id}/stop")
    eventually(lambda: station.reboots == 1)
    assert Transaction.objects.get(pk=session.pk).stop_reason == "Remote"


def test_configuration_is_read_and_changed_through_the_device_model(api, station):
    keys = ["OCPPCommCtrlr.HeartbeatInterval", "SampledDataCtrlr.TxUpdatedInterval", "Nowhere.Nothing"]
    read = post(api, "configuration/get", {"key": keys})
    assert read["configurationKey"] == [
        {"key": "OCPPCommCtrlr.HeartbeatInterval", "value": "300", "attributeType": "Actual"},
        {"key": "SampledDataCtrlr.TxUpdatedInterval", "value": "1", "attributeType": "Actual"},
    ]
    assert read["unknownKey"] == ["Nowhere.Nothing"]

    def change(key, value):
        return post(api, "configuration/change", {"key": key, "value": value})["status"]

    assert change("SampledDataCtrlr.TxUpdatedInterval", "30") == "Accepted"
    assert change("SampledDataCtrlr.TxUpdatedInterval", "soon") == "Rejected"
    assert change("SampledDataCtrlr.TxUpdatedMeasurands", "Energy.Active.Import.Register,Temperature") == "Rejected"
    assert change("ChargingStation.Model", "Other") == "Rejected"  # read-only
    assert change("OCPPCommCtrlr.Nothing", "1") == "UnknownVariable"
    assert change("Nowhere.Nothing", "1") == "UnknownComponent"
    again = post(api, "configuration/get", {"key": ["SampledDataCtrlr.TxUpdatedInterval", "ChargingStation.Model"]})
    assert [k["value"] for k in again["configurationKey"]] == ["30", "SIM-AC22"]


def test_it_sends_the_message_a_trigger_asks_for(api, station, charger):
    statuses = StatusNotification.objects.filter(charger=charger)
    before = statuses.count()

    def trigger(message, connector_id=None):
        body = {"requestedMessage": message} | ({"connectorId": connector_id} if connector_id else {})
        return post(api, "trigger", body)["status"]

    assert trigger("StatusNotification", 2) == "Accepted"
    eventually(lambda: statuses.count() == before + 1)
    assert statuses.order_by("-id").first().evse_id == 2
    assert trigger("MeterValues", 1) == "Accepted"
    reading = eventually(lambda: MeterValue.objects.filter(charger=charger, context="Trigger").first())
    assert (reading.evse_id, reading.measurand) == (1, "Energy.Active.Import.Register")
    assert trigger("Heartbeat") == "Accepted"
    eventually(lambda: Charger.objects.get(pk=charger.pk).last_heartbeat_at)
    assert trigger("DiagnosticsStatusNotification") == "Accepted"  # LogStatusNotification in 2.0.1
    eventually(lambda: DiagnosticsStatus.objects.filter(charger=charger, status="Idle").exists())
    assert trigger("BootNotification") == "Rejected"  # already accepted
    assert trigger("StatusNotification", 7) == "Rejected"


def test_a_firmware_update_reports_each_step_and_boots_with_the_new_version(api, station, charger):
    answer = post(api, "firmware/update", {"location": "https://firmware.example.com/sim-ac22-2.1.0.bin",
                                           "retrieveDate": iso(datetime.now(UTC))})  # fmt: skip
    assert answer["status"] == "Accepted"
    eventually(lambda: FirmwareStatus.objects.filter(charger=charger, status="Installed").exists())
    history = FirmwareStatus.objects.filter(charger=charger).order_by("id")
    assert [h.status for h in history] == ["Downloading", "Downloaded", "Installing", "InstallRebooting", "Installed"]
    rebooted = Charger.objects.get(pk=charger.pk)
    assert (rebooted.firmware_version, rebooted.boot_reason) == ("2.1.0", "FirmwareUpdate")
    security = eventually(lambda: ChargerNotification.objects.filter(action="SecurityEventNotification").first())
    assert (security.kind, security.payload["techInfo"]) == ("FirmwareUpdated", "2.1.0")
    job = api.get(f"{api.base}/chargers/CP-1/firmware").json()["jobs"][0]
    assert [h["status"] for h in job["history"]] == ["Downloading", "Downloaded", "Installing", "InstallRebooting",
                                                     "Installed"]  # fmt: skip
    # The station rebooted before it said Installed: the job ends with the version of that boot.
    assert (job["status"], job["firmwareVersionBefore"], job["firmwareVersionAfter"]) == ("Confirmed", "1.0.0", "2.1.0")
    assert job["finishedAt"]


def test_a_log_is_uploaded_on_request(api, station, charger):
    answer = post(api, "diagnostics", {"location": "ftp://logs.example.com/"})
    assert answer["fileName"].startswith("DiagnosticsLog-CP-1-") and answer["status"] == "Accepted"
    eventually(lambda: DiagnosticsStatus.objects.filter(charger=charger, status="Uploaded").exists())
    statuses = DiagnosticsStatus.objects.filter(charger=charger).order_by("id")
    assert [s.status for s in statuses] == ["Uploading", "Uploaded"]
    job = api.get(f"{api.base}/chargers/CP-1/diagnostics").json()["jobs"][0]
    assert (job["status"], job["fileName"]) == ("Uploaded", answer["fileName"])


def test_a_base_report_fills_the_stored_device_model_in_parts(api, station, charger):
    answer = post(api, "reports/base", {"reportBase": "FullInventory"})
    assert answer["status"] == "Accepted"
    total = len(station.device_model.variables)
    page = eventually(
        lambda: (
            (p := api.get(f"{api.base}/chargers/CP-1/device-model?limit=200").json())["pagination"]["total"] == total
            and p
        )
    )
    variables = {(v["key"], v["evseId"]): v for v in page["variables"]}
    assert variables[("OCPPCommCtrlr.HeartbeatInterval", 0)]["value"] == "300"
    assert variables[("OCPPCommCtrlr.HeartbeatInterval", 0)]["mutability"] == "ReadWrite"
    assert (variables[("EVSE.Power", 2)]["unit"], variables[("EVSE.Power", 2)]["dataType"]) == ("W", "decimal")
    parts = ChargerNotification.objects.filter(charger=charger, action="NotifyReport").order_by("id")
    assert [p.payload["requestId"] for p in parts] == [answer["requestId"]] * 3
    assert [(p.payload["seqNo"], p.payload["tbc"]) for p in parts] == [(0, True), (1, True), (2, False)]


def test_a_report_names_the_variables_it_wants(api, station, charger):
    power = {"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"}}
    answer = post(api, "reports", {"key": ["ReservationCtrlr.Enabled", power]})
    assert answer["status"] == "Accepted"
    page = eventually(lambda: api.get(f"{api.base}/chargers/CP-1/device-model").json()["variables"])
    assert sorted((v["key"], v["evseId"]) for v in page) == [("EVSE.Power", 1), ("ReservationCtrlr.Enabled", 0)]
    assert post(api, "reports", {"componentCriteria": ["Problem"]})["status"] == "EmptyResultSet"


def test_monitors_are_set_and_cleared(api, station):
    power = {"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"}}
    answer = post(api, "monitoring", {"monitors": [
        {"key": power, "type": "UpperThreshold", "value": 11000, "severity": 5},
        {"key": "OCPPCommCtrlr.HeartbeatInterval", "type": "UpperThreshold", "value": 600, "severity": 5},
        {"key": power, "type": "Periodic", "value": 60, "severity": 8}]})  # fmt: skip
    assert [(r["status"], r.get("id")) for r in answer["results"]] == [
        ("Accepted", 1),
        ("Rejected", None),  # no monitoring on that variable
        ("UnsupportedMonitorType", None),
    ]
    cleared = post(api, "monitoring/clear", {"ids": [1, 9]})
    assert cleared["results"] == [{"id": 1, "status": "Accepted"}, {"id": 9, "status": "NotFound"}]


def test_a_power_monitor_raises_an_event_while_charging(api, station, charger, tag):
    power = {"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"}}
    post(api, "monitoring", {"monitors": [{"key": power, "type": "UpperThreshold", "value": 11000, "severity": 4}]})
    post(api, "transactions/start", {"idTag": "TAG-1", "connectorId": 1})
    event = eventually(lambda: ChargerNotification.objects.filter(charger=charger, action="NotifyEvent").first())
    assert (event.kind, event.evse_id) == ("Alerting EVSE.Power", 1)
    assert (event.payload["actualValue"], event.payload["variableMonitoringId"]) == ("22080", 1)


def test_charging_profiles_limit_the_car_and_are_reported(api, station, charger, tag):
    profile = {"chargingProfileId": 7, "stackLevel": 1, "chargingProfilePurpose": "TxDefaultProfile",
               "chargingProfileKind": "Relative", "chargingSchedule": {
                   "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}}  # fmt: skip
    assert post(api, "charging-profiles", {"connectorId": 1, "chargingProfile": profile})["status"] == "Accepted"
    schedule = post(api, "composite-schedule", {"connectorId": 1, "duration": 600})
    assert schedule["status"] == "Accepted" and schedule["connectorId"] == 1
    assert schedule["chargingSchedule"]["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 16.0}]
    whole = profile | {"chargingProfileId": 8, "chargingProfilePurpose": "ChargePointMaxProfile"}
    assert post(api, "charging-profiles", {"connectorId": 1, "chargingProfile": whole})["status"] == "Rejected"

    reported = post(api, "charging-profiles/report", {"connectorId": 1})
    assert reported["status"] == "Accepted"
    report = eventually(lambda: ChargerNotification.objects.filter(action="ReportChargingProfiles").first())
    assert [p["id"] for p in report.payload["chargingProfile"]] == [7]
    assert post(api, "charging-profiles/report", {"connectorId": 2})["status"] == "NoProfiles"

    post(api, "transactions/start", {"idTag": "TAG-1", "connectorId": 1})
    session = eventually(lambda: Transaction.objects.filter(charger=charger).first())
    power = eventually(
        lambda: (
            MeterValue.objects.filter(transaction=session, measurand="Current.Import", context="Sample.Periodic")
            .order_by("-id")
            .first()
        ),
        timeout=5,
    )
    assert power.numeric == 16

    assert post(api, "charging-profiles/clear", {"id": 7})["status"] == "Accepted"
    assert post(api, "charging-profiles/clear", {"id": 7})["status"] == "Unknown"
    schedule = post(api, "composite-schedule", {"connectorId": 1, "duration": 600})
    assert schedule["chargingSchedule"]["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 32.0}]


def test_a_reservation_holds_an_evse_until_cancelled(api, station, charger):
    expiry = iso(datetime.now(UTC) + timedelta(hours=1))
    body = {"connectorId": 1, "expiryDate": expiry, "idTag": "TAG-1", "reservationId": 41}
    assert post(api, "reservations", body)["status"] == "Accepted"
    eventually(lambda: connectors(charger)[1] == "Reserved")
    assert post(api, "reservations", body | {"reservationId": 42, "idTag": "TAG-2"})["status"] == "Occupied"
    stranger = post(api, "transactions/start", {"idTag": "TAG-2", "connectorId": 1})
    assert stranger["status"] == "Rejected"
    assert post(api, "reservations/41/cancel")["status"] == "Accepted"
    eventually(lambda: connectors(charger)[1] == "Available")
    assert post(api, "reservations/41/cancel")["status"] == "Rejected"


def test_the_local_list_keeps_its_version(api, station):
    accepted = {"status": "Accepted"}
    full = {"listVersion": 3, "updateType": "Full", "localAuthorizationList": [
        {"idTag": "TAG-1", "idTagInfo": accepted}, {"idTag": "TAG-2", "idTagInfo": accepted}]}  # fmt: skip
    assert post(api, "local-list", full)["status"] == "Accepted"
    assert post(api, "local-list/version")["listVersion"] == 3
    stale = {"listVersion": 2, "updateType": "Differential", "localAuthorizationList": [{"idTag": "TAG-3"}]}
    assert post(api, "local-list", stale)["status"] == "VersionMismatch"
    removal = {"listVersion": 4, "updateType": "Differential", "localAuthorizationList": [{"idTag": "TAG-1"}]}
    assert post(api, "local-list", removal)["status"] == "Accepted"
    assert sorted(station.local_list) == ["TAG-2"]


def test_it_answers_the_other_commands(api, station, charger, tag):
    assert post(api, "availability", {"connectorId": 2, "type": "Inoperative"})["status"] == "Accepted"
    eventually(lambda: connectors(charger)[2] == "Unavailable")
    assert post(api, "transactions/start", {"idTag": "TAG-1", "connectorId": 2})["status"] == "Rejected"
    assert post(api, "availability", {"connectorId": 2, "type": "Operative"})["status"] == "Accepted"
    eventually(lambda: connectors(charger)[2] == "Available")
    assert post(api, "unlock", {"connectorId": 1})["status"] == "Unlocked"
    assert post(api, "unlock", {"connectorId": 5})["status"] == "UnknownConnector"
    assert post(api, "cache/clear")["status"] == "Accepted"
    echo = post(api, "data-transfer", {"vendorId": "CSMS Simulator", "messageId": "Echo", "data": "hello"})
    assert (echo["status"], echo["responseData"]) == ("Accepted", "hello")
    assert post(api, "data-transfer", {"vendorId": "Elsewhere"})["status"] == "UnknownVendorId"

    post(api, "transactions/start", {"idTag": "TAG-1", "connectorId": 1})
    session = eventually(lambda: Transaction.objects.filter(charger=charger).first())
    eventually(lambda: station.evses[1].session and station.evses[1].session.charging)
    assert post(api, "unlock", {"connectorId": 1})["status"] == "OngoingAuthorizedTransaction"
    status = post(api, "transaction-status", {"transactionId": session.ocpp_id})
    assert (status["messagesInQueue"], status["ongoingIndicator"]) == (False, True)
    assert post(api, "availability", {"connectorId": 1, "type": "Inoperative"})["status"] == "Scheduled"
