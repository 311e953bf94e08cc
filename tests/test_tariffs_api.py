"""/api/v1/tariffs over real HTTP: OCPI Tariff objects in and out, validated field by field, priced by
/tariffs/price, and seen only by their organisation."""

import pytest

from accounts.models import ApiKey

TARIFF = {
    "id": "standard-ac",
    "currency": "EUR",
    "tariff_alt_text": [{"language": "en", "text": "0.30/kWh, 1.00/h, 0.50 per session; 0.20/kWh at night"}],
    "elements": [
        {"price_components": [{"type": "FLAT", "price": 0.5, "vat": 20, "step_size": 1}]},
        {
            "price_components": [{"type": "ENERGY", "price": 0.2, "vat": 20, "step_size": 1}],
            "restrictions": {"start_time": "22:00", "end_time": "06:00"},
        },
        {
            "price_components": [
                {"type": "ENERGY", "price": 0.3, "vat": 20, "step_size": 1},
                {"type": "TIME", "price": 1, "vat": 20, "step_size": 300},
            ]
        },
    ],
    "max_price": {"excl_vat": 40, "incl_vat": 48},
}
ACROSS_22 = {
    "start_date_time": "2026-03-02T21:00:00Z",
    "end_date_time": "2026-03-02T23:00:00Z",
    "charging_periods": [
        {
            "start_date_time": "2026-03-02T21:00:00Z",
            "dimensions": [{"type": "ENERGY", "volume": 10}, {"type": "TIME", "volume": 2}],
        },
    ],
}


def create(api, body: dict) -> dict:
    answer = api.post(f"{api.base}/tariffs", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_it_keeps_an_ocpi_tariff_as_it_was_given(api):
    created = create(api, TARIFF)
    assert created == {**TARIFF, "last_updated": created["last_updated"]}
    assert api.get(f"{api.base}/tariffs/standard-ac").json() == created
    assert api.get(f"{api.base}/tariffs").json()["tariffs"] == [created]


def test_it_chooses_an_id_when_none_is_given_and_refuses_a_taken_one(api):
    created = create(api, {k: v for k, v in TARIFF.items() if k != "id"})
    assert len(created["id"]) == 32
    create(api, TARIFF)
    again = api.post(f"{api.base}/tariffs", json=TARIFF)
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"


def test_patch_changes_the_fields_sent_and_delete_removes_it(api):
    create(api, TARIFF)
    changed = api.patch(f"{api.base}/tariffs/standard-ac", json={"currency": "CHF", "max_price": None})
    assert changed.status_code == 400 and "max_price" in changed.json()["error"]["message"]
    changed = api.patch(f"{api.base}/tariffs/standard-ac", json={"currency": "CHF"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["currency"] == "CHF" and changed.json()["elements"] == TARIFF["elements"]
    renamed = api.patch(f"{api.base}/tariffs/standard-ac", json={"id": "renamed"})
    assert renamed.status_code == 400 and renamed.json()["error"]["message"].startswith("id:")
    assert api.delete(f"{api.base}/tariffs/standard-ac").status_code == 204
    assert api.get(f"{api.base}/tariffs/standard-ac").status_code == 404


def element(**restrictions) -> dict:
    return {"price_components": [{"type": "ENERGY", "price": 0.3, "step_size": 1}], "restrictions": restrictions}


@pytest.mark.parametrize(
    "change, field",
    [
        ({"currency": "euro"}, "currency"),
        ({"elements": []}, "elements"),
        ({"elements": [{"price_components": [{"type": "KWH", "price": 1, "step_size": 1}]}]},
         "elements.0.price_components.0.type"),
        ({"elements": [{"price_components": [{"type": "ENERGY", "price": -0.1, "step_size": 1}]}]},
         "elements.0.price_components.0.price"),
        ({"elements": [{"price_components": [{"type": "ENERGY", "price": 0.1, "step_size": 1, "vat": 120}]}]},
         "elements.0.price_components.0.vat"),
        ({"elements": [{"price_components": [{"type": "ENERGY", "price": 0.1}]}]},
         "elements.0.price_components.0.step_size"),
        ({"elements": [element(start_time="25:00")]}, "elements.0.restrictions.start_time"),
        ({"elements": [element(start_date="2026-13-01")]}, "elements.0.restrictions.start_date"),
        ({"elements": [element(day_of_week=["FUNDAY"])]}, "elements.0.restrictions.day_of_week.0"),
        ({"elements": [element(min_kwh=10, max_kwh=5)]}, "elements.0.restrictions.max_kwh"),
        ({"elements": [element(min_duration=-1)]}, "elements.0.restrictions.min_duration"),
        ({"elements": [element(reservation="ALWAYS")]}, "elements.0.restrictions.reservation"),
        ({"elements": [element(max_speed=3)]}, "elements.0.restrictions.max_speed"),
        ({"min_price": {"excl_vat": 5}, "max_price": {"excl_vat": 1}}, "max_price"),
        ({"tariff_alt_text": [{"language": "english", "text": "x"}]}, "tariff_alt_text.0.language"),
        ({"colour": "green"}, "colour"),
        ({"id": "price"}, "id"),
    ],
)  # fmt: skip
def test_a_bad_tariff_is_a_400_naming_the_field(api, change, field):
    answer = api.post(f"{api.base}/tariffs", json={**TARIFF, **change})
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "validation_error" and error["message"].startswith(f"{field}:"), error


def test_price_preview_splits_a_session_across_a_time_of_day_boundary(api):
    answer = api.post(f"{api.base}/tariffs/price", json={"tariff": TARIFF, "cdr": ACROSS_22})
    assert answer.status_code == 200, answer.text
    priced = answer.json()
    # 5 kWh by day at 0.30 and 5 by night at 0.20, 2 h at 1.00, 0.50 once; 20 % VAT on everything.
    assert priced["total_energy_cost"] == {"excl_vat": 2.5, "incl_vat": 3.0}
    assert priced["total_time_cost"] == {"excl_vat": 2.0, "incl_vat": 2.4}
    assert priced["total_fixed_cost"] == {"excl_vat": 0.5, "incl_vat": 0.6}
    assert priced["total_cost"] == {"excl_vat": 5.0, "incl_vat": 6.0}
    assert (priced["total_energy"], priced["total_time"], priced["total_parking_time"]) == (10, 2, 0)
    assert len(priced["charging_periods"]) == 2 and priced["currency"] == "EUR"


def test_price_preview_reads_restrictions_in_the_time_zone_given(api):
    # 21:00-23:00 UTC is 07:00-09:00 in Tokyo: all by day (0.30).
    answer = api.post(f"{api.base}/tariffs/price", json={"tariff": TARIFF, "cdr": ACROSS_22, "timeZone": "Asia/Tokyo"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["total_energy_cost"] == {"excl_vat": 3.0, "incl_vat": 3.6}
    assert len(answer.json()["charging_periods"]) == 1


def test_price_preview_takes_a_stored_tariff_and_needs_only_the_read_scope(api, acme):
    create(api, TARIFF)
    reader = ApiKey.generate(organisation=acme, scopes=["read:charge_points"])[1]
    answer = api.post(f"{api.base}/tariffs/price", json={"tariffId": "standard-ac", "cdr": ACROSS_22},
                      headers={"X-API-Key": reader})  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["total_cost"]["excl_vat"] == 5.0
    refused = api.post(f"{api.base}/tariffs", json={**TARIFF, "id": "x"}, headers={"X-API-Key": reader})
    assert refused.status_code == 403


@pytest.mark.parametrize(
    "body, field",
    [
        ({"cdr": ACROSS_22}, "tariff"),
        ({"tariff": TARIFF, "tariffId": "standard-ac", "cdr": ACROSS_22}, "tariff"),
        ({"tariff": {**TARIFF, "currency": "E"}, "cdr": ACROSS_22}, "currency"),
        ({"tariff": TARIFF, "cdr": {**ACROSS_22, "end_date_time": "2026-03-02T20:00:00Z"}}, "cdr.end_date_time"),
        ({"tariff": TARIFF, "cdr": {**ACROSS_22, "charging_periods": [
            {"start_date_time": "2026-03-02T21:00:00Z", "dimensions": [{"type": "LITRES", "volume": 1}]}]}},
         "cdr.charging_periods.0.dimensions.0.type"),
        ({"tariff": TARIFF, "cdr": ACROSS_22, "discount": 5}, "discount"),
        ({"tariff": TARIFF, "cdr": ACROSS_22, "timeZone": "Europe/Nowhere"}, "timeZone"),
    ],
)  # fmt: skip
def test_a_bad_price_request_is_a_400_naming_the_field(api, body, field):
    answer = api.post(f"{api.base}/tariffs/price", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["message"].startswith(f"{field}:"), answer.json()


def test_another_organisations_tariff_is_not_found(api, globex):
    create(api, TARIFF)
    other = ApiKey.generate(organisation=globex, scopes=["read:charge_points", "write:charge_points"])[1]
    headers = {"X-API-Key": other}
    assert api.get(f"{api.base}/tariffs/standard-ac", headers=headers).status_code == 404
    assert api.get(f"{api.base}/tariffs", headers=headers).json()["tariffs"] == []
    assert api.delete(f"{api.base}/tariffs/standard-ac", headers=headers).status_code == 404
    priced = api.post(f"{api.base}/tariffs/price", json={"tariffId": "standard-ac", "cdr": ACROSS_22}, headers=headers)
    assert priced.status_code == 404
    # Its own tariff may have the same id.
    assert api.post(f"{api.base}/tariffs", json=TARIFF, headers=headers).status_code == 201
