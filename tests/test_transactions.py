"""Charging sessions as a charger reports them, over ocpp-rpc in strict mode."""

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from chargers.services.registry import charger_register
from charging.models import IdTag, MeterValue, Transaction, UnmatchedStop
from tests.ocpp_rpc import strict_charger

pytestmark = pytest.mark.node

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


@pytest.fixture
def cp(server, charger):
    with strict_charger(server.ws, "CP-1") as rpc:
        yield rpc


@pytest.fixture
def driver(acme):
    parent = IdTag.objects.create(organisation=acme, id_tag="FLEET-ACME")
    return IdTag.objects.create(organisation=acme, id_tag="DRIVER-7", parent=parent, max_active_transactions=50)


def start(cp, *, connector: int = 1, id_tag: str = "DRIVER-7", meter: int = 1000, minutes: float = 0, **extra):
    payload = {"connectorId": connector, "idTag": id_tag, "meterStart": meter, "timestamp": at(minutes), **extra}
    return cp.call("StartTransaction", payload)


def stop(cp, transaction_id: int, *, meter: int = 4500, minutes: float = 60, **extra) -> dict:
    return cp.call(
        "StopTransaction", {"transactionId": transaction_id, "meterStop": meter, "timestamp": at(minutes), **extra}
    )


def test_it_records_a_started_session(cp, charger, driver):
    answer = start(cp, connector=2, meter=1234)

    session = Transaction.objects.get(charger=charger)
    assert session.ocpp_id == str(answer["transactionId"])
    assert (session.connector_id, session.id_tag, session.meter_start) == (2, "DRIVER-7", 1234)
    assert session.start_time == T0
    assert session.id_tag_status == "Accepted" and session.is_active


def test_it_gives_transaction_ids_that_cannot_be_guessed_from_each_other(cp, driver):
    ids = [start(cp, minutes=i)["transactionId"] for i in range(24)]

    assert len(set(ids)) == len(ids)
    assert all(0 < i < 2**31 for i in ids)
    steps = {b - a for a, b in pairwise(ids)}
    assert len(steps) > 1, "ids step by a constant"
    # 24 uniform 31-bit draws spread over far more than a million (odds of failing: ~1e-47).
    assert max(ids) - min(ids) > 2**24


def test_a_retried_start_returns_the_same_transaction_and_creates_nothing(cp, charger, driver):
    first = start(cp, meter=500, minutes=3)
    again = start(cp, meter=500, minutes=3)

    assert again == first
    assert again["idTagInfo"] == {"status": "Accepted", "parentIdTag": "FLEET-ACME"}
    assert Transaction.objects.filter(charger=charger).count() == 1


def test_a_start_that_differs_is_a_new_session(cp, charger, driver):
    first = start(cp, meter=500, minutes=3)
    later = start(cp, meter=500, minutes=4)
    assert later["transactionId"] != first["transactionId"]
    assert Transaction.objects.filter(charger=charger).count() == 2


def test_it_records_the_reservation_a_session_starts_from(cp, charger, driver):
    answer = start(cp, reservationId=4711)
    assert Transaction.objects.get(ocpp_id=str(answer["transactionId"])).reservation_id == 4711


def test_it_closes_a_session_with_its_energy(cp, charger, driver):
    tx = start(cp, meter=1000)["transactionId"]

    answer = stop(cp, tx, meter=4500, minutes=90, reason="EVDisconnected", idTag="DRIVER-7")

    assert answer == {"idTagInfo": {"status": "Accepted", "parentIdTag": "FLEET-ACME"}}
    session = Transaction.objects.get(ocpp_id=str(tx))
    assert not session.is_active
    assert (session.meter_stop, session.energy_wh) == (4500, 3500)
    assert session.stop_time == T0 + timedelta(minutes=90)
    assert (session.stop_reason, session.stop_id_tag) == ("EVDisconnected", "DRIVER-7")


def test_it_acknowledges_a_stop_without_an_id_tag_with_an_empty_answer(cp, driver):
    tx = start(cp)["transactionId"]
    assert stop(cp, tx) == {}


def test_it_stores_the_transaction_data_of_a_stop_as_meter_values_of_the_session(cp, charger, driver):
    tx = start(cp, connector=2, meter=0)["transactionId"]
    data = [
        {"timestamp": at(0), "sampledValue": [{"value": "0", "context": "Transaction.Begin", "unit": "Wh"}]},
        {
            "timestamp": at(60),
            "sampledValue": [
                {"value": "7.2", "context": "Transaction.End", "unit": "kWh"},
                {"value": "16.1", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
            ],
        },
    ]

    stop(cp, tx, meter=7200, transactionData=data)

    values = list(MeterValue.objects.filter(charger=charger))
    assert [(v.timestamp, v.value, v.unit, v.context) for v in values] == [
        (T0, "0", "Wh", "Transaction.Begin"),
        (T0 + timedelta(minutes=60), "7.2", "kWh", "Transaction.End"),
        (T0 + timedelta(minutes=60), "16.1", "A", ""),
    ]
    assert {v.transaction.ocpp_id for v in values} == {str(tx)}
    assert {v.connector_id for v in values} == {2}
    assert values[2].measurand == "Current.Import" and values[2].phase == "L1"


def test_it_acknowledges_and_records_a_stop_for_an_unknown_transaction(cp, charger, driver):
    answer = stop(cp, 987654, meter=222, minutes=5, reason="PowerLoss", idTag="DRIVER-7")

    assert answer == {"idTagInfo": {"status": "Accepted", "parentIdTag": "FLEET-ACME"}}
    unmatched = UnmatchedStop.objects.get(charger=charger)
    assert (unmatched.transaction_id, unmatched.meter_stop, unmatched.reason) == ("987654", 222, "PowerLoss")
    assert (unmatched.id_tag, unmatched.timestamp) == ("DRIVER-7", T0 + timedelta(minutes=5))
    assert unmatched.payload["transactionId"] == 987654
    assert not Transaction.objects.exists()


def test_it_records_a_retried_unknown_stop_once(cp, charger):
    data = [{"timestamp": at(5), "sampledValue": [{"value": "222"}]}]
    assert stop(cp, 987654, meter=222, minutes=5, transactionData=data) == {}
    assert stop(cp, 987654, meter=222, minutes=5, transactionData=data) == {}

    assert UnmatchedStop.objects.filter(charger=charger).count() == 1
    assert MeterValue.objects.filter(charger=charger, reported_transaction_id="987654").count() == 1


def test_a_stop_for_another_chargers_transaction_is_unmatched(cp, charger, acme, driver):
    other = charger_register(organisation=acme, charge_box_id="CP-OTHER")
    Transaction.objects.create(
        charger=other, ocpp_id="555", connector_id=1, id_tag="DRIVER-7", meter_start=0, start_time=T0
    )

    stop(cp, 555)

    assert Transaction.objects.get(ocpp_id="555").is_active
    assert UnmatchedStop.objects.filter(charger=charger, transaction_id="555").exists()


def test_a_retried_stop_does_not_change_the_recorded_stop(cp, charger, driver):
    tx = start(cp, meter=1000)["transactionId"]
    data = [{"timestamp": at(30), "sampledValue": [{"value": "2000"}]}]
    stop(cp, tx, meter=4500, minutes=60, reason="Local", transactionData=data)

    stop(cp, tx, meter=4500, minutes=60, reason="Local", transactionData=data)
    stop(cp, tx, meter=9999, minutes=75, reason="Other")

    session = Transaction.objects.get(ocpp_id=str(tx))
    assert (session.meter_stop, session.energy_wh, session.stop_reason) == (4500, 3500, "Local")
    assert session.stop_time == T0 + timedelta(minutes=60)
    assert MeterValue.objects.filter(transaction=session).count() == 1
    assert not UnmatchedStop.objects.exists()


def test_a_stop_does_not_answer_concurrent_tx_for_a_tag_charging_elsewhere(cp, acme):
    IdTag.objects.create(organisation=acme, id_tag="SOLO-1", max_active_transactions=1)
    first = start(cp, connector=1, id_tag="SOLO-1")["transactionId"]
    # A second session on the same tag (started while the first one's charger was offline, say).
    start(cp, connector=2, id_tag="SOLO-1", minutes=1)

    # ConcurrentTx only answers a start; the stop's idTagInfo says what the tag is.
    assert stop(cp, first, idTag="SOLO-1") == {"idTagInfo": {"status": "Accepted"}}
