"""The admin's tariff editor over real HTTP: elements as rows of plain fields, the OCPI Tariff they make,
errors named, a price preview of an example session, and CDRs that can only be credited."""

import re

import pytest
from django.contrib.auth.models import User

from billing.models import CDR, Tariff
from tests.test_admin_id_tags import AdminBrowser


@pytest.fixture
def boss(server, transactional_db):
    User.objects.create_superuser("boss", "boss@example.com", "boss-password")
    return AdminBrowser(server, "boss", "boss-password")


def element_rows(*rows: dict, initial: int = 0) -> dict:
    data = {"elements-TOTAL_FORMS": str(len(rows)), "elements-INITIAL_FORMS": str(initial),
            "elements-MIN_NUM_FORMS": "0", "elements-MAX_NUM_FORMS": "1000"}  # fmt: skip
    for index, row in enumerate(rows):
        data |= {f"elements-{index}-{name}": value for name, value in row.items()}
    return data


def tariff_form(acme, **fields) -> dict:
    return {"organisation": str(acme.pk), "tariff_id": "night", "currency": "EUR", "text": "Cheaper at night",
            "language": "en", **fields}  # fmt: skip


NIGHT = {"energy_price": "0.20", "energy_step": "1", "vat": "20", "start_time": "22:00", "end_time": "06:00"}
DAY = {"energy_price": "0.30", "energy_step": "1", "flat_price": "0.50", "vat": "20",
       "day_of_week": ["MONDAY", "TUESDAY"]}  # fmt: skip


def test_an_operator_writes_a_tariff_as_rows_and_sees_an_example_priced(boss, acme):
    page = boss.get("/admin/billing/tariff/add/")
    assert page.status_code == 200 and "Elements" in page.text and "elements-0-energy_price" in page.text
    answer = boss.post("/admin/billing/tariff/add/", {
        **tariff_form(acme, preview_kwh="10", preview_start="2026-03-02 21:00:00", preview_minutes="120"),
        **element_rows(NIGHT, DAY, {}),
    })  # fmt: skip
    assert answer.status_code == 200 and "errornote" not in answer.text, answer.text[:3000]
    tariff = Tariff.objects.get(tariff_id="night")
    assert tariff.document["elements"] == [
        {"price_components": [{"type": "ENERGY", "price": 0.2, "step_size": 1, "vat": 20}],
         "restrictions": {"start_time": "22:00", "end_time": "06:00"}},
        {"price_components": [{"type": "ENERGY", "price": 0.3, "step_size": 1, "vat": 20},
                              {"type": "FLAT", "price": 0.5, "step_size": 1, "vat": 20}],
         "restrictions": {"day_of_week": ["MONDAY", "TUESDAY"]}},
    ]  # fmt: skip
    assert tariff.document["tariff_alt_text"] == [{"language": "en", "text": "Cheaper at night"}]
    # Monday 2 March 2026, 21:00-23:00, 10 kWh: 5 by day at 0.30, 5 at night at 0.20, 0.50 once: 3.00.
    message = re.search(r"Example: [^<]*", answer.text).group(0)
    assert "costs 3.00 EUR (3.60 with VAT)" in message, message
    edited = boss.get(f"/admin/billing/tariff/{tariff.pk}/change/")
    assert 'value="22:00"' in edited.text and 'name="elements-1-flat_price" value="0.5"' in edited.text


def test_a_bad_element_is_named_and_nothing_is_saved(boss, acme):
    answer = boss.post("/admin/billing/tariff/add/", {
        **tariff_form(acme), **element_rows({"energy_price": "0.3", "min_kwh": "10", "max_kwh": "5"})})  # fmt: skip
    assert "elements.0.restrictions.max_kwh" in answer.text
    answer = boss.post("/admin/billing/tariff/add/", {
        **tariff_form(acme), **element_rows({"energy_price": "-1"})})  # fmt: skip
    assert "errornote" in answer.text and not Tariff.objects.exists()


def test_a_tariff_needs_an_element(boss, acme):
    answer = boss.post("/admin/billing/tariff/add/", {**tariff_form(acme), **element_rows({})})
    assert "elements:" in answer.text and not Tariff.objects.exists()


def test_a_cdr_cannot_be_changed_in_the_admin_only_credited(boss, acme):
    document = {"id": "c1", "start_date_time": "2026-03-02T10:00:00Z", "end_date_time": "2026-03-02T11:00:00Z",
                "cdr_token": {"uid": ""}, "currency": "EUR", "total_cost": {"excl_vat": 1, "incl_vat": 1.2},
                "credit": False}  # fmt: skip
    cdr = CDR.objects.create(organisation=acme, cdr_id="c1", charge_box_id="CP-1", currency="EUR",
                             start_date_time=document["start_date_time"], end_date_time=document["end_date_time"],
                             total_cost_excl_vat=1, total_cost_incl_vat="1.2", document=document)  # fmt: skip
    page = boss.get(f"/admin/billing/cdr/{cdr.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.text
    boss.post("/admin/billing/cdr/", {"action": "credit", "_selected_action": [str(cdr.pk)]})
    credit = CDR.objects.get(credit=True)
    assert credit.credit_reference == cdr and credit.document["total_cost"] == {"excl_vat": -1, "incl_vat": -1.2}


def test_a_chargers_page_and_a_sessions_page_show_its_cost(boss, acme):
    from datetime import UTC, datetime

    from billing.services import tariff_assign, tariff_create
    from chargers.services.registry import charger_register
    from charging.services.metering import Sample, samples_record
    from charging.services.transactions import transaction_start, transaction_stop

    charger = charger_register(organisation=acme, charge_box_id="CP-1")
    tariff = tariff_create(organisation=acme, document={"currency": "EUR", "tariff_alt_text": [
        {"language": "en", "text": "0.50/kWh"}], "elements": [
        {"price_components": [{"type": "ENERGY", "price": 0.5, "vat": 20, "step_size": 1}]}]})  # fmt: skip
    tariff_assign(organisation=acme, tariff=tariff, target=None)
    started = transaction_start(charger_id=charger.pk, organisation_id=acme.pk, connector_id=1, id_tag="T",
                                meter_start=0, timestamp=datetime(2026, 3, 2, 10, tzinfo=UTC)).transaction  # fmt: skip
    reading = Sample(timestamp=datetime(2026, 3, 2, 10, 30, tzinfo=UTC), value="1000", unit="Wh")
    samples_record(charger_id=charger.pk, connector_id=1, transaction_id=started.pk, samples=[reading])
    charger_page = boss.get(f"/admin/chargers/charger/{charger.pk}/change/")
    assert 'data-figure="cost">0.60 EUR</span>' in charger_page.text  # 1 kWh so far at 0.50, with 20 % VAT
    transaction_stop(charger_id=charger.pk, organisation_id=acme.pk, transaction_id=started.ocpp_id, meter_stop=3000,
                     timestamp=datetime(2026, 3, 2, 11, tzinfo=UTC))  # fmt: skip
    page = boss.get(f"/admin/chargers/transaction/{started.pk}/change/")
    assert page.status_code == 200 and "1.50 EUR (1.80 with VAT), final · 0.50/kWh" in page.text


def test_an_operator_gives_a_site_its_time_zone_and_a_bad_one_is_named(boss, acme, globex):
    from billing.models import LocalTimeZone
    from billing.services import time_zone_for
    from chargers.models import Site
    from chargers.services.registry import charger_register

    site = Site.objects.create(organisation=acme, name="Depot", capacity_limit=100)
    charger = charger_register(organisation=acme, charge_box_id="CP-1")
    charger.site = site
    charger.save(update_fields=["site"])
    form = {"organisation": str(acme.pk), "site": str(site.pk), "charger": "", "time_zone": "Mars/Olympus"}
    refused = boss.post("/admin/billing/localtimezone/add/", form)
    assert "is not an IANA time zone" in refused.text and not LocalTimeZone.objects.exists()
    elsewhere = boss.post("/admin/billing/localtimezone/add/", {**form, "organisation": str(globex.pk),
                                                                 "time_zone": "Europe/Berlin"})  # fmt: skip
    assert "belongs to another organisation" in elsewhere.text and not LocalTimeZone.objects.exists()
    boss.post("/admin/billing/localtimezone/add/", {**form, "time_zone": "Europe/Berlin"})
    assert time_zone_for(charger_id=charger.pk) == "Europe/Berlin"
