"""Which tariff prices a session, its snapshot, and the CDR written when it ends: sessions by an ocpp-rpc
charger in strict mode against the live server; CDRs read over HTTP (JSON and CSV) and by export_cdrs."""

import csv
import io
import json

import pytest
from django.core.management import call_command

from accounts.models import ApiKey
from billing.models import CDR, SessionTariff
from chargers.models import Charger, Site
from chargers.services.registry import charger_register
from charging.models import IdTag
from tests.conftest import eventually
from tests.ocpp_rpc import strict_charger
from tests.test_tariffs_api import TARIFF
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.node


def put_tariff(api, tariff_id: str, energy_price: float, **extra) -> None:
    energy = {"type": "ENERGY", "price": energy_price, "step_size": 1}
    body = {"id": tariff_id, "currency": "EUR", "elements": [{"price_components": [energy]}], **extra}
    answer = api.post(f"{api.base}/tariffs", json=body)
    assert answer.status_code == 201, answer.text


def assign(api, tariff_id: str | None, **target) -> None:
    answer = api.post(f"{api.base}/tariffs/assign", json={"tariffId": tariff_id, **target})
    assert answer.status_code == 204, answer.text


def session(cp, *, start: str, stop: str, meter_start: int, meter_stop: int, id_tag="DRIVER-1", readings=()) -> str:
    tx = cp.call("StartTransaction", {"connectorId": 1, "idTag": id_tag, "meterStart": meter_start,
                                      "timestamp": start})["transactionId"]  # fmt: skip
    for at, wh in readings:
        cp.call("MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": [
            {"timestamp": at, "sampledValue": [{"value": str(wh), "measurand": "Energy.Active.Import.Register",
                                                "unit": "Wh"}]}]})  # fmt: skip
    if stop:
        cp.call("StopTransaction", {"transactionId": tx, "meterStop": meter_stop, "timestamp": stop})
    return str(tx)


def cdrs(api, **params) -> list[dict]:
    answer = api.get(f"{api.base}/cdrs", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()["cdrs"]


FREE = {"excl_vat": 0, "incl_vat": 0}


def assert_free(cdr: dict) -> None:
    """A CDR of a session no tariff priced: every cost 0, no tariffs, periods of no tariff."""
    costs = [name for name in cdr if name.startswith("total_") and name.endswith("_cost")]
    assert len(costs) == 6 and all(cdr[name] == FREE for name in costs)
    assert "tariffs" not in cdr and all("tariff_id" not in p for p in cdr["charging_periods"])


@pytest.fixture
def cp(server, charger):
    with strict_charger(server.ws, "CP-1") as rpc:
        yield rpc


def test_a_session_across_the_night_boundary_gets_a_cdr_priced_by_the_chargers_tariff(api, cp):
    assert api.post(f"{api.base}/tariffs", json=TARIFF).status_code == 201
    assign(api, "standard-ac", chargeBoxId="CP-1")
    tx = session(cp, start="2026-03-02T21:30:00Z", stop="2026-03-02T22:30:00Z", meter_start=1000, meter_stop=8000,
                 readings=[("2026-03-02T22:00:00Z", 4000)])  # fmt: skip
    [cdr] = cdrs(api)
    # By day 3 kWh at 0.30, by night 4 kWh at 0.20, 1 h at 1.00, 0.50 once: 3.20, with 20 % VAT 3.84.
    assert cdr["total_cost"] == {"excl_vat": 3.2, "incl_vat": 3.84}
    assert cdr["total_energy_cost"] == {"excl_vat": 1.7, "incl_vat": 2.04}
    assert (cdr["total_energy"], cdr["total_time"], cdr["currency"]) == (7, 1, "EUR")
    assert cdr["session_id"] == tx and cdr["cdr_token"]["uid"] == "DRIVER-1" and not cdr["credit"]
    assert cdr["cdr_location"]["id"] == "CP-1" and cdr["cdr_location"]["connector_id"] == "1"
    assert cdr["tariffs"][0]["id"] == "standard-ac" and cdr["auth_method"] == "AUTH_REQUEST"
    assert [p["start_date_time"] for p in cdr["charging_periods"]] == ["2026-03-02T21:30:00Z", "2026-03-02T22:00:00Z"]
    assert api.get(f"{api.base}/cdrs/{cdr['id']}").json() == cdr


def set_time_zone(api, time_zone: str | None, **target):
    return api.post(f"{api.base}/tariffs/time-zone", json={"timeZone": time_zone, **target})


def test_restrictions_are_read_in_the_chargers_own_time_zone_else_its_sites(api, acme, cp):
    site = Site.objects.create(organisation=acme, name="Depot", capacity_limit=100)
    Charger.objects.filter(charge_box_id="CP-1").update(site=site)
    assert api.post(f"{api.base}/tariffs", json=TARIFF).status_code == 201
    assign(api, "standard-ac", chargeBoxId="CP-1")
    assert set_time_zone(api, "America/New_York", siteId=site.pk).status_code == 204
    # 02:30-03:30 UTC is 21:30-22:30 in New York (UTC-5): by day 3 kWh, then by night 4 kWh, as at home in UTC.
    session(cp, start="2026-03-03T02:30:00Z", stop="2026-03-03T03:30:00Z", meter_start=1000, meter_stop=8000,
            readings=[("2026-03-03T03:00:00Z", 4000)])  # fmt: skip
    cdr = cdrs(api)[0]
    assert cdr["total_cost"] == {"excl_vat": 3.2, "incl_vat": 3.84}  # read in UTC, all night: 2.90
    assert [p["start_date_time"] for p in cdr["charging_periods"]] == ["2026-03-03T02:30:00Z", "2026-03-03T03:00:00Z"]
    # The charger's own zone before its site's: 12:30-13:30 UTC is 21:30-22:30 in Tokyo (UTC+9).
    assert set_time_zone(api, "Asia/Tokyo", chargeBoxId="CP-1").status_code == 204
    tx = session(cp, start="2026-03-04T12:30:00Z", stop="", meter_start=1000, meter_stop=0,
                 readings=[("2026-03-04T13:00:00Z", 4000)])  # fmt: skip
    # A session keeps the zone it started in.
    assert set_time_zone(api, None, chargeBoxId="CP-1").status_code == 204
    cp.call("StopTransaction", {"transactionId": int(tx), "meterStop": 8000, "timestamp": "2026-03-04T13:30:00Z"})
    assert cdrs(api)[0]["total_cost"] == {"excl_vat": 3.2, "incl_vat": 3.84}
    assert SessionTariff.objects.get(transaction__ocpp_id=tx).time_zone == "Asia/Tokyo"
    # Removed, the charger reads its site's zone again.
    session(cp, start="2026-03-05T02:30:00Z", stop="2026-03-05T03:30:00Z", meter_start=1000, meter_stop=8000,
            readings=[("2026-03-05T03:00:00Z", 4000)])  # fmt: skip
    assert cdrs(api)[0]["total_cost"]["excl_vat"] == 3.2


def test_a_time_zone_is_an_iana_name_for_one_charger_or_site_of_the_organisation(api, globex, cp):
    bad = set_time_zone(api, "Mars/Olympus_Mons", chargeBoxId="CP-1")
    assert bad.status_code == 400 and bad.json()["error"]["message"].startswith("timeZone:")
    both = set_time_zone(api, "UTC", chargeBoxId="CP-1", siteId=1)
    assert both.status_code == 400 and both.json()["error"]["message"].startswith("chargeBoxId:")
    elsewhere = Site.objects.create(organisation=globex, name="Theirs", capacity_limit=10)
    other = set_time_zone(api, "UTC", siteId=elsewhere.pk)
    assert other.status_code == 400 and other.json()["error"]["message"].startswith("siteId:")
    unknown = api.post(f"{api.base}/tariffs/time-zone", json={"timeZone": "UTC", "chargeBoxId": "CP-1", "x": 1})
    assert unknown.status_code == 400 and unknown.json()["error"]["message"].startswith("x:")


def test_the_most_specific_tariff_prices_a_session(api, acme, cp):
    site = Site.objects.create(organisation=acme, name="Depot", capacity_limit=100)
    Charger.objects.filter(charge_box_id="CP-1").update(site=site)
    IdTag.objects.create(organisation=acme, id_tag="VIP")
    for name, price in (("default", 0.1), ("site", 0.2), ("charger", 0.3), ("tag", 0.4)):
        put_tariff(api, name, price)
    assign(api, "default", organisationDefault=True)
    expected = []
    for kind, target in (("default", None), ("site", {"siteId": site.pk}), ("charger", {"chargeBoxId": "CP-1"}),
                         ("tag", {"idTag": "VIP"})):  # fmt: skip
        if target:
            assign(api, kind, **target)
        day = 10 + len(expected)
        session(cp, id_tag="VIP", start=f"2026-03-{day}T10:00:00Z", stop=f"2026-03-{day}T11:00:00Z", meter_start=0,
                meter_stop=10000)  # fmt: skip
        expected.append(kind)
    priced = SessionTariff.objects.order_by("transaction__start_time")
    assert [p.snapshot["id"] for p in priced] == expected
    assert [p.assigned_by for p in priced] == ["default", "site", "charger", "id tag"]
    assert sorted(c["total_cost"]["excl_vat"] for c in cdrs(api)) == [1.0, 2.0, 3.0, 4.0]
    # Unassigned, the charger's sessions fall back to the site's.
    assign(api, None, idTag="VIP")
    assign(api, None, chargeBoxId="CP-1")
    session(cp, id_tag="VIP", start="2026-03-20T10:00:00Z", stop="2026-03-20T11:00:00Z", meter_start=0,
            meter_stop=10000)  # fmt: skip
    assert cdrs(api)[0]["tariffs"][0]["id"] == "site"


def test_a_tariff_outside_its_validity_does_not_price_a_session(api, cp):
    put_tariff(api, "spring", 0.5, start_date_time="2026-04-01T00:00:00Z")
    assign(api, "spring", chargeBoxId="CP-1")
    session(cp, start="2026-03-02T10:00:00Z", stop="2026-03-02T11:00:00Z", meter_start=0, meter_stop=1000)
    assert not SessionTariff.objects.exists()
    assert_free(cdrs(api)[0])


def test_a_later_edit_never_reprices_a_session(api, cp):
    put_tariff(api, "t", 0.5)
    assign(api, "t", chargeBoxId="CP-1")
    tx = session(cp, start="2026-03-02T10:00:00Z", stop="", meter_start=0, meter_stop=0)
    changed = api.patch(f"{api.base}/tariffs/t", json={"elements": [{"price_components": [
        {"type": "ENERGY", "price": 9, "step_size": 1}]}]})  # fmt: skip
    assert changed.status_code == 200
    cp.call("StopTransaction", {"transactionId": int(tx), "meterStop": 2000, "timestamp": "2026-03-02T11:00:00Z"})
    assert cdrs(api)[0]["total_cost"]["excl_vat"] == 1.0


def test_a_1_6_session_without_a_tariff_gets_a_free_cdr_with_its_energy_and_time(api, cp):
    tx = session(cp, start="2026-03-02T10:00:00Z", stop="2026-03-02T11:30:00Z", meter_start=500, meter_stop=3000,
                 readings=[("2026-03-02T10:30:00Z", 1500)])  # fmt: skip
    [cdr] = cdrs(api)
    assert_free(cdr)
    assert (cdr["total_energy"], cdr["total_time"], cdr["currency"], cdr["session_id"]) == (2.5, 1.5, "EUR", tx)
    assert cdr["charging_periods"] == [{"start_date_time": "2026-03-02T10:00:00Z", "dimensions": [
        {"type": "ENERGY", "volume": 2.5}, {"type": "TIME", "volume": 1.5}]}]  # fmt: skip
    assert api.get(f"{api.base}/transactions/{tx}").json()["cost"] is None  # not priced; its CDR says free
    # One an operator closes gets one too.
    open_tx = session(cp, start="2026-03-03T10:00:00Z", stop="", meter_start=0, meter_stop=0)
    closed = api.post(f"{api.base}/transactions/{open_tx}/close", json={"reason": "lost", "meterStop": 700})
    assert closed.status_code == 200, closed.text
    newest = cdrs(api)[0]
    assert newest["session_id"] == open_tx and newest["total_energy"] == 0.7
    assert_free(newest)


def test_a_2_0_1_session_without_a_tariff_gets_a_free_cdr_and_no_total_cost(api, server, acme):
    charger_register(organisation=acme, charge_box_id="CP-201")
    events = [("Started", "2026-03-02T10:00:00Z", 1000), ("Updated", "2026-03-02T10:20:00Z", 2000),
              ("Ended", "2026-03-02T10:45:00Z", 4000)]  # fmt: skip
    with strict_charger(server.ws, "CP-201", protocol="ocpp2.0.1") as cp201:
        answers = [cp201.call("TransactionEvent", {
            "eventType": kind, "timestamp": at, "seqNo": seq_no, "triggerReason": "MeterValuePeriodic",
            "transactionInfo": {"transactionId": "TX-free", "chargingState": "Charging"},
            "idToken": {"idToken": "DRIVER-2", "type": "ISO14443"}, "evse": {"id": 1, "connectorId": 1},
            "meterValue": [{"timestamp": at, "sampledValue": [
                {"value": wh, "measurand": "Energy.Active.Import.Register"}]}]})
            for seq_no, (kind, at, wh) in enumerate(events)]  # fmt: skip
        assert not cp201.strict_failures
    assert all("totalCost" not in answer for answer in answers)
    [cdr] = cdrs(api, chargeBoxId="CP-201")
    assert_free(cdr)
    assert (cdr["total_energy"], cdr["total_time"], cdr["session_id"]) == (3, 0.75, "TX-free")
    assert cdr["cdr_token"]["uid"] == "DRIVER-2" and cdr["cdr_location"]["evse_uid"] == "CP-201-1"


def test_an_operator_close_then_the_chargers_own_stop_credits_the_first_cdr(api, cp):
    put_tariff(api, "t", 0.5)
    assign(api, "t", chargeBoxId="CP-1")
    tx = session(cp, start="2026-03-02T10:00:00Z", stop="", meter_start=0, meter_stop=0,
                 readings=[("2026-03-02T10:30:00Z", 1000)])  # fmt: skip
    closed = api.post(f"{api.base}/transactions/{tx}/close", json={"reason": "lost", "meterStop": 1000})
    assert closed.status_code == 200, closed.text
    [first] = cdrs(api)
    assert first["total_cost"]["excl_vat"] == 0.5
    cp.call("StopTransaction", {"transactionId": int(tx), "meterStop": 3000, "timestamp": "2026-03-02T11:00:00Z"})
    by_id = {c["id"]: c for c in cdrs(api)}
    assert by_id.pop(first["id"]) == first
    [credit] = [c for c in by_id.values() if c["credit"]]
    [newest] = [c for c in by_id.values() if not c["credit"]]
    assert credit["credit"] and credit["credit_reference_id"] == first["id"]
    assert credit["total_cost"] == {"excl_vat": -0.5, "incl_vat": -0.5} and credit["total_energy"] == 1
    assert newest["total_cost"]["excl_vat"] == 1.5 and not newest["credit"]


def test_a_cdr_is_credited_once_and_never_changed(api, cp):
    put_tariff(api, "t", 0.5)
    assign(api, "t", chargeBoxId="CP-1")
    session(cp, start="2026-03-02T10:00:00Z", stop="2026-03-02T11:00:00Z", meter_start=0, meter_stop=3000)
    [cdr] = cdrs(api)
    credited = api.post(f"{api.base}/cdrs/{cdr['id']}/credit")
    assert credited.status_code == 201, credited.text
    assert credited.json()["credit_reference_id"] == cdr["id"] and credited.json()["total_cost"]["excl_vat"] == -1.5
    assert api.post(f"{api.base}/cdrs/{cdr['id']}/credit").status_code == 409
    assert api.post(f"{api.base}/cdrs/{credited.json()['id']}/credit").status_code == 409
    stored = CDR.objects.get(cdr_id=cdr["id"])
    stored.currency = "USD"
    with pytest.raises(ValueError):
        stored.save()


def test_cdrs_are_filtered_exported_as_csv_and_seen_only_by_their_organisation(api, acme, globex, cp):
    charger_register(organisation=acme, charge_box_id="CP-2")
    put_tariff(api, "t", 0.5)
    assign(api, "t", organisationDefault=True)
    session(cp, start="2026-03-02T10:00:00Z", stop="2026-03-02T11:00:00Z", meter_start=0, meter_stop=1000)
    session(cp, id_tag="DRIVER-2", start="2026-03-03T10:00:00Z", stop="2026-03-03T11:00:00Z", meter_start=0,
            meter_stop=2000)  # fmt: skip
    assert [c["cdr_token"]["uid"] for c in cdrs(api)] == ["DRIVER-2", "DRIVER-1"]
    assert [c["cdr_token"]["uid"] for c in cdrs(api, idTag="DRIVER-1")] == ["DRIVER-1"]
    assert [c["cdr_token"]["uid"] for c in cdrs(api, endedFrom="2026-03-03T00:00:00Z")] == ["DRIVER-2"]
    assert len(cdrs(api, endedBefore="2026-03-03T00:00:00Z", chargeBoxId="CP-1")) == 1
    assert cdrs(api, chargeBoxId="CP-2") == []
    bad = api.get(f"{api.base}/cdrs", params={"endedFrom": "yesterday"})
    assert bad.status_code == 400 and bad.json()["error"]["message"].startswith("endedFrom:")
    assert api.get(f"{api.base}/cdrs", params={"site": "1"}).json()["error"]["message"].startswith("site:")
    answer = api.get(f"{api.base}/cdrs", headers={"Accept": "text/csv"})
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["token_uid"], r["total_cost_excl_vat"], r["location_id"]) for r in rows] == [
        ("DRIVER-2", "1.0", "CP-1"), ("DRIVER-1", "0.5", "CP-1")]  # fmt: skip
    other = ApiKey.generate(organisation=globex, scopes=["read:charge_points"])[1]
    assert api.get(f"{api.base}/cdrs", headers={"X-API-Key": other}).json() == {"cdrs": []}
    assert api.get(f"{api.base}/cdrs/{rows[0]['id']}", headers={"X-API-Key": other}).status_code == 404


def test_export_cdrs_writes_csv_or_json_since_a_time(api, cp):
    put_tariff(api, "t", 0.5)
    assign(api, "t", chargeBoxId="CP-1")
    session(cp, start="2026-03-02T10:00:00Z", stop="2026-03-02T11:00:00Z", meter_start=0, meter_stop=1000)
    session(cp, start="2026-03-04T10:00:00Z", stop="2026-03-04T11:00:00Z", meter_start=0, meter_stop=3000)
    out = io.StringIO()
    call_command("export_cdrs", "--since", "2026-03-03T00:00:00Z", "--format", "json", stdout=out)
    assert [c["total_cost"]["excl_vat"] for c in json.loads(out.getvalue())["cdrs"]] == [1.5]
    out = io.StringIO()
    call_command("export_cdrs", "--org", "Acme", stdout=out)
    assert [r["total_cost_excl_vat"] for r in csv.DictReader(io.StringIO(out.getvalue()))] == ["1.5", "0.5"]


def test_a_cdr_created_webhook_carries_the_cdr(api, cp, server_worker):
    receiver = Receiver("whsec-0123456789abcdef")
    try:
        hook = api.post(f"{api.base}/webhooks", json={"url": receiver.url, "secret": "whsec-0123456789abcdef",
                                                      "events": ["cdr.created"]})  # fmt: skip
        assert hook.status_code == 201, hook.text
        put_tariff(api, "t", 0.5)
        assign(api, "t", chargeBoxId="CP-1")
        session(cp, start="2026-03-02T10:00:00Z", stop="2026-03-02T11:00:00Z", meter_start=0, meter_stop=1000)
        [delivered] = eventually(lambda: receiver.events("cdr.created"))
        assert delivered["valid"] and delivered["json"]["data"] == cdrs(api)[0]
    finally:
        receiver.close()


def test_patch_charger_tariff_id_prices_its_sessions(api, cp, globex):
    put_tariff(api, "t", 0.5)
    unknown = api.patch(f"{api.base}/chargers/CP-1", json={"tariffId": "nope", "name": "Renamed"})
    assert unknown.status_code == 400 and unknown.json()["error"]["message"].startswith("tariffId:")
    assert Charger.objects.get(charge_box_id="CP-1").name == "Bay 1"  # nothing changed
    assert api.patch(f"{api.base}/chargers/CP-1", json={"tariffId": "t"}).status_code == 200
    session(cp, start="2026-03-02T10:00:00Z", stop="2026-03-02T11:00:00Z", meter_start=0, meter_stop=2000)
    assert cdrs(api)[0]["total_cost"]["excl_vat"] == 1.0
    assert api.patch(f"{api.base}/chargers/CP-1", json={"tariffId": None}).status_code == 200
    session(cp, start="2026-03-03T10:00:00Z", stop="2026-03-03T11:00:00Z", meter_start=0, meter_stop=2000)
    assert cdrs(api)[0]["total_cost"] == FREE


def test_parking_after_the_car_stops_drawing_and_the_current_drawn_are_in_the_cdr(api, cp):
    parking = {"type": "PARKING_TIME", "price": 6, "step_size": 60}
    energy = {"type": "ENERGY", "price": 0.5, "step_size": 1}
    body = {"id": "p", "currency": "EUR", "elements": [{"price_components": [energy, parking]}]}
    assert api.post(f"{api.base}/tariffs", json=body).status_code == 201
    assign(api, "p", chargeBoxId="CP-1")
    tx = session(cp, start="2026-03-02T10:00:00Z", stop="", meter_start=0, meter_stop=0)
    cp.call("StatusNotification", {"connectorId": 1, "status": "Charging", "errorCode": "NoError",
                                   "timestamp": "2026-03-02T10:00:00Z"})  # fmt: skip
    cp.call("MeterValues", {"connectorId": 1, "transactionId": int(tx), "meterValue": [{
        "timestamp": "2026-03-02T10:40:00Z", "sampledValue": [
            {"value": "4000", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
            {"value": "16", "measurand": "Current.Import", "unit": "A", "phase": "L1"},
            {"value": "11000", "measurand": "Power.Active.Import", "unit": "W"}]}]})  # fmt: skip
    cp.call("StatusNotification", {"connectorId": 1, "status": "SuspendedEV", "errorCode": "NoError",
                                   "timestamp": "2026-03-02T10:40:00Z"})  # fmt: skip
    cp.call("StopTransaction", {"transactionId": int(tx), "meterStop": 4000, "timestamp": "2026-03-02T11:00:00Z"})
    [cdr] = cdrs(api)
    # 4 kWh at 0.50 while charging (40 min), then 20 min parked at 6.00/h.
    assert cdr["total_energy_cost"]["excl_vat"] == 2.0 and cdr["total_parking_cost"]["excl_vat"] == 2.0
    assert cdr["total_parking_time"] == pytest.approx(1 / 3, abs=1e-6) and cdr["total_time"] == 1
    charging, parked = cdr["charging_periods"]
    assert {"type": "MAX_CURRENT", "volume": 16.0} in charging["dimensions"]
    assert {"type": "MAX_POWER", "volume": 11.0} in charging["dimensions"]
    assert {"type": "TIME", "volume": pytest.approx(2 / 3, abs=1e-6)} in charging["dimensions"]
    assert parked["start_date_time"] == "2026-03-02T10:40:00Z"
    assert [d["type"] for d in parked["dimensions"]] == ["PARKING_TIME"]
