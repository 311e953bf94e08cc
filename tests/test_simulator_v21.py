"""The OCPP 2.1 charger simulator against the live server: the messages 2.1 adds, sent and kept, and the
commands 2.1 adds, answered with what a station does next. (All that 2.0.1 does, it does in
test_simulator_v201.py.)"""

import pytest

from chargers.models import Charger, PeriodicEventStream
from charging.models import IdTag, Transaction, TransactionNotice
from smart_charging.models import DEREvent
from tests.conftest import eventually
from tests.test_simulator import simulate_charger
from tests.test_simulator_v201 import Running, post, station_for

PF = {"priority": 1, "displacement": 0.95, "excitation": False}


@pytest.fixture
def station(server, charger):
    running = Running(station_for(server, "ocpp2.1"))
    with running as station:
        station.running = running
        yield station


def test_it_sends_every_message_2_1_adds_and_the_server_keeps_them(api, station, charger):
    run = station.running.run
    assert Charger.objects.get(pk=charger.pk).ocpp_protocol == "ocpp2.1"
    assert run(station.open_event_stream(3, monitor_id=9, interval=10, values=2)) == "Accepted"
    run(station.stream_values(3, [(0, "11.2"), (10, "11.4")]))
    eventually(lambda: PeriodicEventStream.objects.get(charger=charger, stream_id=3).values.count() == 2)
    run(station.close_event_stream(3))
    assert PeriodicEventStream.objects.get(charger=charger, stream_id=3).closed_at is not None

    run(station.der_alarm("LVMustTrip", fault="UnderVoltage"))
    run(station.der_started("VV-1"))
    assert {(e.action, e.control, e.state) for e in DEREvent.objects.filter(charger=charger)} == {
        ("NotifyDERAlarm", "LVMustTrip", "raised"), ("NotifyDERStartStop", "VV-1", "started")}  # fmt: skip

    run(station.settle("TX-PAID", amount=12.5, psp_ref="PSP-1"))
    assert TransactionNotice.objects.get(charger=charger, action="NotifySettlement").reference == "PSP-1"
    assert run(station.vat_number_check("DE123456789")) == "Accepted"
    assert run(station.pull_dynamic_schedule(77)) is None  # no such profile on the charger

    post(api, "charging-profiles", {"connectorId": 1, "chargingProfile": {
        "chargingProfileId": 77, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute", "chargingSchedule": {
            "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10}]}}})  # fmt: skip
    assert run(station.pull_dynamic_schedule(77)) == {"limit": 10}


def test_it_keeps_the_tariffs_the_csms_sets(api, station):
    tariff = {"tariffId": "T-9", "currency": "EUR", "energy": {"prices": [{"priceKwh": 0.3}]}}
    assert post(api, "tariffs/default", {"tariff": tariff})["status"] == "Accepted"
    held = post(api, "tariffs/installed", {"connectorId": 1})
    assert held["tariffAssignments"] == [{"tariffId": "T-9", "tariffKind": "DefaultTariff", "evseIds": [0]}]
    assert post(api, "tariffs/clear", {})["results"] == [{"tariffId": "T-9", "status": "Accepted"}]
    assert post(api, "tariffs/installed", {})["status"] == "NoTariff"


def test_priority_charging_and_battery_swaps_are_answered_and_reported(api, station, charger, acme):
    IdTag.objects.create(organisation=acme, id_tag="TAG-1")
    assert post(api, "transactions/start", {"idTag": "TAG-1", "connectorId": 1})["status"] == "Accepted"
    session = eventually(lambda: Transaction.objects.filter(charger=charger).first())
    answer = post(api, f"transactions/{session.ocpp_id}/priority-charging", {"activate": True})
    assert answer["status"] == "Accepted"
    notice = eventually(lambda: TransactionNotice.objects.filter(action="NotifyPriorityCharging").first())
    assert (notice.transaction, notice.status) == (session, "Activated")
    assert post(api, "transactions/NO-SUCH/priority-charging", {"activate": True})["status"] == "Rejected"

    assert post(api, "battery-swap", {"idTag": "TAG-1", "requestId": 5})["status"] == "Accepted"
    eventually(lambda: TransactionNotice.objects.filter(action="BatterySwap").count() == 2)
    swaps = TransactionNotice.objects.filter(action="BatterySwap").order_by("id")
    assert [(n.status, n.reference) for n in swaps] == [("BatteryIn", "5"), ("BatteryOut", "5")]


def test_der_controls_are_set_reported_and_cleared(api, station, charger):
    body = {"isDefault": True, "controlId": "PF-1", "controlType": "FixedPFAbsorb", "fixedPFAbsorb": PF}
    assert post(api, "der-controls", body)["status"] == "Accepted"
    assert post(api, "der-controls/report", {"controlType": "FixedPFAbsorb"})["status"] == "Accepted"
    report = eventually(lambda: DEREvent.objects.filter(charger=charger, action="ReportDERControl").first())
    assert report.payload["fixedPFAbsorb"] == [{"id": "PF-1", "isDefault": True, "isSuperseded": False,
                                                "fixedPF": PF}]  # fmt: skip
    assert post(api, "der-controls/clear", {"isDefault": True})["status"] == "Accepted"
    assert post(api, "der-controls/report", {})["status"] == "NotFound"


def test_it_speaks_2_1_from_the_command_line(server, charger, acme):
    IdTag.objects.create(organisation=acme, id_tag="TAG-1")
    done = simulate_charger("CP-1", "--protocol", "ocpp2.1", "--url", server.ws, "--charge", "TAG-1", "--duration",
                            "1", "--meter-interval", "1")  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    assert Transaction.objects.get(charger=charger).energy_wh > 0
    assert Charger.objects.get(pk=charger.pk).ocpp_protocol == "ocpp2.1"
