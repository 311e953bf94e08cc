"""Transactions over the REST API: lists, details, energy and power figures, CSV export, manual close,
and suspect sessions; sessions are made by an ocpp-rpc charger in strict mode."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from chargers.services.registry import charger_register
from charging import tasks
from charging.models import IdTag, MeterValue, Transaction
from charging.services.transactions import transactions_flag_suspect
from tests.ocpp_rpc import strict_charger

pytestmark = pytest.mark.node

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


@pytest.fixture
def tags(acme):
    IdTag.objects.create(organisation=acme, id_tag="DRIVER-7", max_active_transactions=0)
    IdTag.objects.create(organisation=acme, id_tag="DRIVER-8", max_active_transactions=0)


@pytest.fixture
def cp(server, charger, tags):
    with strict_charger(server.ws, "CP-1") as rpc:
        yield rpc


def start(cp, *, connector=1, id_tag="DRIVER-7", meter=1000, minutes=0) -> str:
    answer = cp.call(
        "StartTransaction", {"connectorId": connector, "idTag": id_tag, "meterStart": meter, "timestamp": at(minutes)}
    )
    return str(answer["transactionId"])


def stop(cp, tx: str, *, meter=4500, minutes=60, **extra):
    return cp.call("StopTransaction", {"transactionId": int(tx), "meterStop": meter, "timestamp": at(minutes), **extra})


def sample(cp, tx: str, minutes: float, *values: dict, connector=1):
    cp.call(
        "MeterValues",
        {
            "connectorId": connector,
            "transactionId": int(tx),
            "meterValue": [{"timestamp": at(minutes), "sampledValue": list(values)}],
        },
    )


def energy(value: str, unit: str = "Wh", **extra) -> dict:
    return {"value": value, "measurand": "Energy.Active.Import.Register", "unit": unit, **extra}


def power(value: str, unit: str = "W", **extra) -> dict:
    return {"value": value, "measurand": "Power.Active.Import", "unit": unit, **extra}


def get(api, path: str, **params):
    response = api.get(f"{api.base}/{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_it_shows_a_finished_session_with_its_meter_values(api, cp):
    tx = start(cp, meter=1000)
    sample(cp, tx, 30, energy("2.0", "kWh", context="Sample.Periodic"))
    stop(cp, tx, meter=4500, minutes=60, reason="EVDisconnected")

    body = get(api, f"transactions/{tx}")
    assert {k: v for k, v in body.items() if k != "meterValues"} == {
        "transactionId": tx,
        "chargeBoxId": "CP-1",
        "evseId": None,
        "connectorId": 1,
        "idTag": "DRIVER-7",
        "startTime": "2026-03-01T08:00:00Z",
        "stopTime": "2026-03-01T09:00:00Z",
        "meterStart": 1000,
        "meterStop": 4500,
        "energyDeliveredWh": 3500,
        "durationSeconds": 3600,
        "stopReason": "EVDisconnected",
        "currentPowerW": None,
        "active": False,
        "suspect": False,
        "closedManually": False,
        "closedBy": "",
        "closeReason": "",
    }
    assert body["meterValues"] == [
        {
            "timestamp": "2026-03-01T08:30:00Z",
            "measurand": "Energy.Active.Import.Register",
            "value": "2.0",
            "unit": "kWh",
            "phase": "",
            "context": "Sample.Periodic",
            "location": "",
        }
    ]


def test_energy_of_an_open_session_comes_from_the_register_in_kwh(api, cp):
    tx = start(cp, meter=1000)
    sample(cp, tx, 10, energy("1.5", "kWh"), power("7.2", "kW"))
    sample(cp, tx, 20, energy("2.75", "kWh"), power("6900", "W"))

    body = get(api, f"transactions/{tx}")
    assert body["energyDeliveredWh"] == 1750
    assert body["currentPowerW"] == 6900.0
    assert body["active"] is True and body["stopTime"] is None
    assert body["durationSeconds"] > 0
    # The charger's own list of sessions in progress says the same.
    active = get(api, "chargers/CP-1/transactions")["activeTransactions"][0]
    assert (active["energyDeliveredWh"], active["currentMeterValue"]) == (1750, 2750)


def test_current_power_in_kw_is_converted_and_phases_are_summed(api, cp):
    tx = start(cp)
    sample(cp, tx, 5, power("3.6", "kW"))
    assert get(api, f"transactions/{tx}")["currentPowerW"] == 3600.0
    sample(cp, tx, 6, power("2300", "W", phase="L1"), power("2300", "W", phase="L2"), power("2200", "W", phase="L3"))
    assert get(api, f"transactions/{tx}")["currentPowerW"] == 6800.0


def test_energy_ignores_a_meter_start_on_another_scale(api, cp):
    # The charger sent meterStart 0 although its register stood at 53 MWh: count from the first reading.
    tx = start(cp, meter=0)
    sample(cp, tx, 1, energy("53000.0", "kWh"))
    sample(cp, tx, 31, energy("53004.5", "kWh"))
    stop(cp, tx, meter=0, minutes=40)

    assert get(api, f"transactions/{tx}")["energyDeliveredWh"] == 4500
    assert Transaction.objects.get(ocpp_id=tx).energy_wh == 4500


def test_energy_falls_back_to_meter_stop_minus_meter_start(api, cp):
    tx = start(cp, meter=1000)
    stop(cp, tx, meter=8200)
    assert get(api, f"transactions/{tx}")["energyDeliveredWh"] == 7200


def test_energy_counts_from_meter_start_when_the_first_reading_comes_late(api, cp):
    tx = start(cp, meter=10_000)
    sample(cp, tx, 15, energy("12750"))
    sample(cp, tx, 45, energy("18250"))
    stop(cp, tx, meter=20_000, minutes=55)
    assert get(api, f"transactions/{tx}")["energyDeliveredWh"] == 10_000


def test_energy_uses_the_total_not_the_phase_values(api, cp):
    tx = start(cp, meter=0)
    sample(cp, tx, 10, energy("1000"), energy("333", phase="L1"))
    sample(cp, tx, 20, energy("2500"), energy("833", phase="L1"))
    assert get(api, f"transactions/{tx}")["energyDeliveredWh"] == 2500


def test_it_lists_sessions_newest_first_with_filters(api, cp, server, acme):
    first = start(cp, connector=1, id_tag="DRIVER-7", minutes=0)
    second = start(cp, connector=2, id_tag="DRIVER-8", minutes=10)
    stop(cp, first, minutes=30)

    listed = lambda **p: [t["transactionId"] for t in get(api, "transactions", **p)["transactions"]]  # noqa: E731
    assert listed() == [second, first]
    assert listed(active="true") == [second]
    assert listed(active="false") == [first]
    assert listed(idTag="driver-8") == [second]
    assert listed(chargeBoxId="CP-1") == [second, first]
    assert listed(chargeBoxId="CP-OTHER") == []
    assert listed(startedAfter="2026-03-01T08:05:00Z") == [second]
    assert listed(startedBefore="2026-03-01T08:05:00Z") == [first]
    page = get(api, "transactions", limit=1, offset=1)
    assert [t["transactionId"] for t in page["transactions"]] == [first]
    assert page["pagination"] == {"total": 2, "limit": 1, "offset": 1}
    bad = api.get(f"{api.base}/transactions", params={"startedAfter": "yesterday"})
    assert bad.status_code == 400 and bad.json()["error"]["message"].startswith("startedAfter")


def test_another_organisations_session_is_invisible_even_with_the_same_id(api, cp, globex):
    tx = start(cp)
    theirs = charger_register(organisation=globex, charge_box_id="GLOBEX-1")
    Transaction.objects.create(
        charger=theirs, ocpp_id="424242", connector_id=1, id_tag="THEIRS", meter_start=0, start_time=T0
    )
    Transaction.objects.create(
        charger=theirs, ocpp_id=tx, connector_id=1, id_tag="THEIRS", meter_start=0, start_time=T0 + timedelta(hours=1)
    )

    assert api.get(f"{api.base}/transactions/424242").status_code == 404
    assert api.post(f"{api.base}/transactions/424242/close", json={"reason": "x"}).status_code == 404
    assert get(api, f"transactions/{tx}")["idTag"] == "DRIVER-7"
    assert [t["idTag"] for t in get(api, "transactions")["transactions"]] == ["DRIVER-7"]


def test_an_id_shared_by_two_of_the_organisations_chargers_is_resolved(api, cp, acme):
    tx = start(cp, minutes=0)
    other = charger_register(organisation=acme, charge_box_id="CP-2")
    Transaction.objects.create(
        charger=other, ocpp_id=tx, connector_id=1, id_tag="DRIVER-8", meter_start=0, start_time=T0 + timedelta(hours=1)
    )
    assert get(api, f"transactions/{tx}")["chargeBoxId"] == "CP-2"  # the newest
    assert get(api, f"transactions/{tx}", chargeBoxId="CP-1")["idTag"] == "DRIVER-7"


def test_it_exports_csv_with_the_same_filters(api, cp):
    first = start(cp, meter=1000, minutes=0)
    second = start(cp, connector=2, id_tag="DRIVER-8", minutes=5)
    stop(cp, first, meter=3000, minutes=30, reason="Local")

    response = api.get(f"{api.base}/transactions/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["transactionId"] for r in rows] == [second, first]
    assert rows[1] | {} == {
        "transactionId": first,
        "chargeBoxId": "CP-1",
        "connectorId": "1",
        "idTag": "DRIVER-7",
        "startTime": "2026-03-01T08:00:00Z",
        "stopTime": "2026-03-01T08:30:00Z",
        "meterStart": "1000",
        "meterStop": "3000",
        "energyDeliveredWh": "2000",
        "durationSeconds": "1800",
        "stopReason": "Local",
        "suspect": "False",
        "closedManually": "False",
        "closedBy": "",
        "closeReason": "",
    }
    only = list(
        csv.DictReader(io.StringIO(api.get(f"{api.base}/transactions/export.csv", params={"active": "true"}).text))
    )
    assert [r["transactionId"] for r in only] == [second]
    assert api.get(f"{api.base}/transactions/export.csv", params={"active": "perhaps"}).status_code == 400


def test_an_operator_closes_a_session_by_hand_and_it_is_recorded(api, cp):
    tx = start(cp, meter=1000)
    response = api.post(f"{api.base}/transactions/{tx}/close", json={"reason": "Charger replaced", "meterStop": 5000})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["closedManually"] is True and body["closeReason"] == "Charger replaced"
    assert body["closedBy"].startswith("API key ")
    assert (body["stopReason"], body["meterStop"], body["energyDeliveredWh"], body["active"]) == (
        "Other",
        5000,
        4000,
        False,
    )
    assert body["stopTime"] is not None


def test_closing_a_stopped_session_is_a_conflict(api, cp):
    tx = start(cp)
    stop(cp, tx)
    response = api.post(f"{api.base}/transactions/{tx}/close", json={"reason": "again"})
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"
    assert not Transaction.objects.get(ocpp_id=tx).closed_manually


def test_a_close_needs_a_reason(api, cp):
    tx = start(cp)
    response = api.post(f"{api.base}/transactions/{tx}/close", json={"meterStop": 10})
    assert response.status_code == 400 and response.json()["error"]["message"].startswith("reason")
    assert Transaction.objects.get(ocpp_id=tx).is_active


def test_a_charger_stop_after_a_manual_close_still_records_its_figures(api, cp):
    tx = start(cp, meter=1000)
    api.post(f"{api.base}/transactions/{tx}/close", json={"reason": "looked lost"})
    data = [{"timestamp": at(50), "sampledValue": [energy("6000")]}]

    stop(cp, tx, meter=7000, minutes=60, reason="Local", transactionData=data)
    stop(cp, tx, meter=7000, minutes=60, reason="Local", transactionData=data)  # a retry

    body = get(api, f"transactions/{tx}")
    assert (body["meterStop"], body["energyDeliveredWh"], body["stopReason"]) == (7000, 6000, "Local")
    assert body["stopTime"] == "2026-03-01T09:00:00Z"
    assert body["closedManually"] is True and body["closeReason"] == "looked lost"
    assert MeterValue.objects.filter(transaction__ocpp_id=tx).count() == 1


@override_settings(CSMS_TRANSACTION_SUSPECT_AFTER=3600)
def test_a_silent_open_session_is_flagged_suspect_and_a_message_clears_it(api, cp):
    quiet = start(cp, connector=1)
    lively = start(cp, connector=2, minutes=1)
    Transaction.objects.filter(ocpp_id=quiet).update(last_message_at=timezone.now() - timedelta(seconds=3700))
    Transaction.objects.filter(ocpp_id=lively).update(last_message_at=timezone.now() - timedelta(seconds=3500))

    assert tasks.transactions_flag_suspect() == 1
    assert get(api, f"transactions/{quiet}")["suspect"] is True
    assert get(api, f"transactions/{lively}")["suspect"] is False
    assert [t["transactionId"] for t in get(api, "transactions", suspect="true")["transactions"]] == [quiet]
    assert transactions_flag_suspect() == 0  # already flagged

    sample(cp, quiet, 90, energy("1500"))
    assert get(api, f"transactions/{quiet}")["suspect"] is False


def test_meter_values_move_a_sessions_last_message_time_at_most_once_a_minute(cp):
    tx = start(cp)
    written = timezone.now() - timedelta(seconds=30)
    Transaction.objects.filter(ocpp_id=tx).update(last_message_at=written)
    sample(cp, tx, 1, energy("1100"))
    assert Transaction.objects.get(ocpp_id=tx).last_message_at == written

    Transaction.objects.filter(ocpp_id=tx).update(last_message_at=timezone.now() - timedelta(seconds=61))
    sample(cp, tx, 2, energy("1200"))
    assert timezone.now() - Transaction.objects.get(ocpp_id=tx).last_message_at < timedelta(seconds=5)

    Transaction.objects.filter(ocpp_id=tx).update(suspect=True)  # flagged, though written a moment ago
    sample(cp, tx, 3, energy("1300"))
    assert Transaction.objects.get(ocpp_id=tx).suspect is False
    assert MeterValue.objects.filter(transaction__ocpp_id=tx).count() == 3


def test_a_stopped_session_is_never_suspect(cp):
    tx = start(cp)
    stop(cp, tx)
    Transaction.objects.filter(ocpp_id=tx).update(last_message_at=timezone.now() - timedelta(days=30))
    assert transactions_flag_suspect() == 0
