"""The cost engine: OCPI's public reference cases, the rules one by one, and random tariffs and sessions
priced by a second, naive implementation (minute by minute, exact fractions) that must agree to the cent."""

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import engine, ocpi


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def price(tariff: dict, cdr: dict, tz=UTC) -> dict:
    """As POST /tariffs/price does it: OCPI in, validated, priced."""
    valid_tariff = ocpi.Tariff(data=tariff)
    assert valid_tariff.is_valid(), valid_tariff.errors
    periods = ocpi.SessionPeriods(data=cdr)
    assert periods.is_valid(), periods.errors
    data = periods.validated_data
    costs = engine.price_periods(
        ocpi.as_json(dict(valid_tariff.validated_data)),
        start=data["start_date_time"],
        end=data["end_date_time"],
        periods=engine.periods_from_ocpi(data["charging_periods"], data["end_date_time"]),
        tz=tz,
    )
    return costs.as_ocpi()


def period(at: str, **volumes) -> dict:
    return {"start_date_time": at, "dimensions": [{"type": k, "volume": v} for k, v in volumes.items()]}


def element(*components: dict, **restrictions) -> dict:
    return {"price_components": list(components), **({"restrictions": restrictions} if restrictions else {})}


def component(type_: str, price_: float, step: int = 1, vat: float | None = None) -> dict:
    c = {"type": type_, "price": price_, "step_size": step}
    return c if vat is None else {**c, "vat": vat}


# --- OCPI's public reference cases (the ocpi-tariffs calculator's test data) ---------------------


def test_step_sizes_across_elements_the_last_elements_step_rounds_the_whole_volume():
    tariff = {"currency": "EUR", "elements": [
        element(component("ENERGY", 2, 8000), start_time="00:00", end_time="17:00"),
        element(component("ENERGY", 2, 5000), start_time="17:00", end_time="20:00"),
        element(component("ENERGY", 4, 2000), start_time="20:00", end_time="00:00"),
    ]}  # fmt: skip
    cdr = {"start_date_time": "2022-01-13T16:55:00Z", "end_date_time": "2022-01-13T17:07:00Z", "charging_periods": [
        period("2022-01-13T16:55:00Z", ENERGY=5), period("2022-01-13T17:00:00Z", ENERGY=2),
        period("2022-01-13T17:02:00Z", ENERGY=5)]}  # fmt: skip
    answer = price(tariff, cdr)
    # 12 kWh billed in steps of 5 kWh (the 17:00 element's) is 15: 5 x 2 + 10 x 2.
    assert answer["total_cost"] == {"excl_vat": 30, "incl_vat": 30}
    assert answer["total_energy_cost"] == {"excl_vat": 30, "incl_vat": 30}
    assert answer["total_energy"] == 12 and answer["total_time"] == 0.2


def test_parking_time_after_a_grace_period_and_vat_on_energy():
    tariff = {"currency": "EUR", "elements": [
        element(component("PARKING_TIME", 0.0, 1, 0.0), min_duration=0, max_duration=1800),
        element(component("PARKING_TIME", 3.0, 1, 0.0), min_duration=1800),
        {"price_components": [component("ENERGY", 0.25, 1, 10.0)]},
    ]}  # fmt: skip
    cdr = {"start_date_time": "2015-06-29T15:00:00Z", "end_date_time": "2015-06-29T16:15:00Z", "charging_periods": [
        period("2015-06-29T15:00:00Z", PARKING_TIME=0.5), period("2015-06-29T15:30:00Z", PARKING_TIME=0.25),
        period("2015-06-29T15:45:00Z", ENERGY=10)]}  # fmt: skip
    answer = price(tariff, cdr)
    assert answer["total_parking_cost"] == {"excl_vat": 0.75, "incl_vat": 0.75}
    assert answer["total_energy_cost"] == {"excl_vat": 2.5, "incl_vat": 2.75}
    assert answer["total_cost"] == {"excl_vat": 3.25, "incl_vat": 3.5}
    assert answer["total_time"] == 1.25 and answer["total_parking_time"] == 0.75


def test_a_flat_fee_is_billed_once_however_many_periods_it_applies_to():
    tariff = {"currency": "EUR", "elements": [{"price_components": [component("FLAT", 1.0, 0, 0.0)]}]}
    cdr = {"start_date_time": "2015-06-29T15:00:00Z", "end_date_time": "2015-06-29T16:30:00Z", "charging_periods": [
        period("2015-06-29T15:00:00Z", TIME=0.5), period("2015-06-29T15:30:00Z", TIME=0.5),
        period("2015-06-29T16:00:00Z", TIME=0.5)]}  # fmt: skip
    answer = price(tariff, cdr)
    assert answer["total_fixed_cost"] == {"excl_vat": 1, "incl_vat": 1} and answer["total_cost"]["excl_vat"] == 1
    assert answer["total_time"] == 1.5


def test_a_flat_fee_is_not_billed_for_an_instant_between_two_periods():
    # Found by the minute-by-minute comparison below: the first period lasts no time, and only it had a
    # current under the element's max_current; the engine billed the FLAT for that instant. (A session
    # of no time at all still owes the FLAT that applies at its start: tests/test_running_costs.py.)
    start = when("2026-01-05T00:00:00Z")
    periods = [engine.Period(start=start, end=start, energy_wh=Decimal(0), charging_s=Decimal(0),
                             parking_s=Decimal(0), current=Decimal(6)),
               engine.Period(start=start, end=start + timedelta(minutes=1), energy_wh=Decimal(0),
                             charging_s=Decimal(0), parking_s=Decimal(60), current=None)]  # fmt: skip
    tariff = {"currency": "EUR", "elements": [element(component("FLAT", 1.0, 0), max_current=10)]}
    costs = engine.price_periods(tariff, start=start, end=start + timedelta(minutes=1), periods=periods, tz=UTC)
    assert costs.total_fixed_cost.excl_vat == 0 and costs.total_cost.excl_vat == 0


def test_time_and_parking_with_their_own_vat_and_a_parking_step():
    # The reference case's figures (7.50 for 2.5 h, 3.75 for 0.7 h parked) with its tariff reconstructed:
    # 3.00/h at 10 % VAT, parking 5.00/h at 20 % VAT in steps of 15 minutes.
    tariff = {"currency": "EUR", "elements": [
        {"price_components": [component("TIME", 3.0, 1, 10.0)]},
        {"price_components": [component("PARKING_TIME", 5.0, 900, 20.0)]},
    ]}  # fmt: skip
    cdr = {"start_date_time": "2022-01-13T16:00:00Z", "end_date_time": "2022-01-13T19:12:00Z", "charging_periods": [
        period("2022-01-13T16:00:00Z", TIME=2.5), period("2022-01-13T18:30:00Z", PARKING_TIME=0.7)]}  # fmt: skip
    answer = price(tariff, cdr)
    assert answer["total_time_cost"] == {"excl_vat": 7.5, "incl_vat": 8.25}
    assert answer["total_parking_cost"] == {"excl_vat": 3.75, "incl_vat": 4.5}
    assert answer["total_cost"] == {"excl_vat": 11.25, "incl_vat": 12.75} and answer["total_time"] == 3.2


# --- the rules one by one -------------------------------------------------------------------------

NIGHT_AND_DAY = {"currency": "EUR", "elements": [
    element(component("ENERGY", 0.20, 1, 20), start_time="22:00", end_time="06:00"),
    {"price_components": [component("ENERGY", 0.40, 1, 20)]},
]}  # fmt: skip


def test_a_period_across_a_time_of_day_boundary_is_split_pro_rata():
    # 10 kWh evenly over 21:00-23:00: 5 kWh by day (0.40), 5 by night (0.20).
    cdr = {"start_date_time": "2026-03-02T21:00:00Z", "end_date_time": "2026-03-02T23:00:00Z",
           "charging_periods": [period("2026-03-02T21:00:00Z", ENERGY=10, TIME=2)]}  # fmt: skip
    answer = price(NIGHT_AND_DAY, cdr)
    assert answer["total_energy_cost"] == {"excl_vat": 3.0, "incl_vat": 3.6}
    starts = [p["start_date_time"] for p in answer["charging_periods"]]
    assert starts == ["2026-03-02T21:00:00Z", "2026-03-02T22:00:00Z"]
    assert [p["dimensions"][0] for p in answer["charging_periods"]] == [{"type": "ENERGY", "volume": 5.0}] * 2


def test_time_of_day_is_read_in_the_tariff_time_zone():
    cdr = {"start_date_time": "2026-03-02T21:00:00Z", "end_date_time": "2026-03-02T22:00:00Z",
           "charging_periods": [period("2026-03-02T21:00:00Z", ENERGY=10)]}  # fmt: skip
    assert price(NIGHT_AND_DAY, cdr)["total_energy_cost"]["excl_vat"] == 4.0
    # 21:00 UTC is 22:00 in Berlin (winter): night.
    assert price(NIGHT_AND_DAY, cdr, tz=ZoneInfo("Europe/Berlin"))["total_energy_cost"]["excl_vat"] == 2.0


def test_min_and_max_price_bound_the_total():
    base = {"currency": "EUR", "elements": [{"price_components": [component("ENERGY", 0.5, 1, 20)]}]}
    cdr = {"start_date_time": "2026-03-02T10:00:00Z", "end_date_time": "2026-03-02T11:00:00Z",
           "charging_periods": [period("2026-03-02T10:00:00Z", ENERGY=2)]}  # fmt: skip
    assert price(base, cdr)["total_cost"] == {"excl_vat": 1.0, "incl_vat": 1.2}
    minimum = {**base, "min_price": {"excl_vat": 2.5, "incl_vat": 3.0}}
    assert price(minimum, cdr)["total_cost"] == {"excl_vat": 2.5, "incl_vat": 3.0}
    maximum = {**base, "max_price": {"excl_vat": 0.75, "incl_vat": 0.9}}
    assert price(maximum, cdr)["total_cost"] == {"excl_vat": 0.75, "incl_vat": 0.9}
    assert price(maximum, cdr)["total_energy_cost"] == {"excl_vat": 1.0, "incl_vat": 1.2}


def test_the_first_element_that_applies_prices_each_dimension_and_flat_comes_once():
    tariff = {"currency": "EUR", "elements": [
        {"price_components": [component("FLAT", 0.5), component("TIME", 2.0)], "restrictions": {"min_kwh": 5}},
        {"price_components": [component("FLAT", 1.0), component("ENERGY", 0.3), component("TIME", 1.0)]},
    ]}  # fmt: skip
    # 10 kWh in 2 h: the first 5 kWh (1 h) before min_kwh holds, then the first element's TIME.
    cdr = {"start_date_time": "2026-03-02T10:00:00Z", "end_date_time": "2026-03-02T12:00:00Z",
           "charging_periods": [period("2026-03-02T10:00:00Z", ENERGY=10, TIME=2)]}  # fmt: skip
    answer = price(tariff, cdr)
    assert answer["total_fixed_cost"]["excl_vat"] == 1.0  # the FLAT that applied first
    assert answer["total_time_cost"]["excl_vat"] == 3.0 and answer["total_energy_cost"]["excl_vat"] == 3.0


def test_rounding_is_once_at_the_end_and_to_the_currencys_minor_unit():
    # 3 periods of 0.001 kWh at 1.5: each 0.0015 would round to 0.002 (0.006 in all); once: 0.0045 -> 0.005.
    tariff = {"currency": "KWD", "elements": [{"price_components": [component("ENERGY", 1.5)]}]}
    cdr = {"start_date_time": "2026-03-02T10:00:00Z", "end_date_time": "2026-03-02T10:03:00Z", "charging_periods": [
        period("2026-03-02T10:00:00Z", ENERGY=0.001), period("2026-03-02T10:01:00Z", ENERGY=0.001),
        period("2026-03-02T10:02:00Z", ENERGY=0.001)]}  # fmt: skip
    assert price(tariff, cdr)["total_cost"]["excl_vat"] == 0.005
    yen = {"currency": "JPY", "elements": [{"price_components": [component("ENERGY", 45.5)]}]}
    assert price(yen, cdr)["total_cost"]["excl_vat"] == 0  # 0.1365 yen


def test_a_total_with_a_finite_decimal_form_is_computed_exactly_though_its_parts_have_none():
    # 1 s charging and 17 s parked at 1.00/h: 1/3600 and 17/3600 have no finite decimal form, their sum 0.005
    # has; summed before the division it rounds (half up) to 0.01, where rounded parts would give 0.00.
    tariff = {
        "currency": "EUR",
        "elements": [{"price_components": [component("TIME", 1), component("PARKING_TIME", 1)]}],
    }
    start, second = datetime(2026, 3, 2, 10, tzinfo=UTC), timedelta(seconds=1)
    periods = [engine.Period(start=start, end=start + second, charging_s=Decimal(1)),
               engine.Period(start=start + second, end=start + 18 * second, parking_s=Decimal(17))]  # fmt: skip
    costs = engine.price_periods(tariff, start=start, end=start + 18 * second, periods=periods, tz=UTC)
    assert (costs.total_time_cost.excl_vat, costs.total_parking_cost.excl_vat) == (0, 0)
    assert costs.total_cost.excl_vat == Decimal("0.01")


def test_a_split_into_thirds_keeps_the_volumes_exact():
    # 3 kWh over 21:40-22:10 split at 22:00: 2 kWh by day, 1 by night, exactly (2/3 of 3 multiplied first).
    cdr = {"start_date_time": "2026-03-02T21:40:00Z", "end_date_time": "2026-03-02T22:10:00Z",
           "charging_periods": [period("2026-03-02T21:40:00Z", ENERGY=3)]}  # fmt: skip
    answer = price(NIGHT_AND_DAY, cdr)
    assert [p["dimensions"] for p in answer["charging_periods"]] == [
        [{"type": "ENERGY", "volume": 2.0}],
        [{"type": "ENERGY", "volume": 1.0}],
    ]
    assert answer["total_energy_cost"] == {"excl_vat": 1.0, "incl_vat": 1.2}


def test_a_reservation_element_prices_only_reservation_time():
    tariff = {"currency": "EUR", "elements": [
        {"price_components": [component("TIME", 6.0)], "restrictions": {"reservation": "RESERVATION"}},
        {"price_components": [component("TIME", 1.0)]},
    ]}  # fmt: skip
    cdr = {"start_date_time": "2026-03-02T10:00:00Z", "end_date_time": "2026-03-02T11:30:00Z", "charging_periods": [
        period("2026-03-02T10:00:00Z", RESERVATION_TIME=0.5), period("2026-03-02T10:30:00Z", TIME=1)]}  # fmt: skip
    answer = price(tariff, cdr)
    assert answer["total_reservation_cost"]["excl_vat"] == 3.0 and answer["total_time_cost"]["excl_vat"] == 1.0
    assert answer["total_cost"]["excl_vat"] == 4.0


# --- random tariffs and sessions against a naive implementation ---------------------------------

BERLIN = ZoneInfo("Europe/Berlin")
DAY_NAMES = engine.DAYS


@st.composite
def sessions(draw):
    """A session on whole minutes: segments of (minutes, charging, Wh per minute, current). At least one minute:
    the minute-by-minute pricing has no minute at which to read a zero-length session's restrictions (it billed
    nothing where the engine bills the flat fee of an element that applies at the start)."""
    start = datetime(2026, 1, 5, tzinfo=UTC) + timedelta(minutes=draw(st.integers(0, 60 * 24 * 40)))
    segments = draw(st.lists(st.tuples(st.integers(0, 150), st.booleans(), st.integers(0, 400),
                                       st.sampled_from([None, 6, 16, 32])), min_size=1, max_size=6)
                    .filter(lambda segments: sum(minutes for minutes, *_ in segments) > 0))  # fmt: skip
    return start, segments


def cumulative_wh(segments) -> list[int]:
    totals, energy = [0], 0
    for minutes, charging, wh, _ in segments:
        for _ in range(minutes):
            energy += wh if charging else 0
            totals.append(energy)
    return totals


@st.composite
def tariffs(draw, reachable_wh: list[int]):
    def money():
        return draw(st.decimals(0, 5, places=draw(st.integers(0, 3))).map(lambda d: float(d)))

    def hh_mm():
        return f"{draw(st.integers(0, 23)):02d}:{draw(st.sampled_from([0, 15, 30, 45])):02d}"

    elements = []
    for _ in range(draw(st.integers(1, 4))):
        types = draw(st.lists(st.sampled_from(["ENERGY", "TIME", "PARKING_TIME", "FLAT"]), min_size=1, max_size=4,
                              unique=True))  # fmt: skip
        components = [
            {"type": t, "price": money(), "step_size": draw(st.sampled_from([0, 1, 60, 300, 900, 1000, 5000])),
             **({"vat": v} if (v := draw(st.sampled_from([None, 0, 7, 19, 20.5]))) is not None else {})}
            for t in types
        ]  # fmt: skip
        restrictions = {}
        if draw(st.booleans()):
            restrictions["start_time"] = hh_mm()
        if draw(st.booleans()):
            restrictions["end_time"] = hh_mm()
        if draw(st.integers(0, 3)) == 0:
            restrictions["day_of_week"] = draw(st.lists(st.sampled_from(DAY_NAMES), min_size=1, unique=True))
        for name in ("min_duration", "max_duration"):
            if draw(st.integers(0, 2)) == 0:
                restrictions[name] = 300 * draw(st.integers(0, 60))
        # Amounts of energy the session reaches at a minute's end, so the naive minutes see them exactly.
        for name in ("min_kwh", "max_kwh"):
            if draw(st.integers(0, 2)) == 0:
                restrictions[name] = draw(st.sampled_from(reachable_wh)) / 1000
        if draw(st.integers(0, 3)) == 0:
            restrictions[draw(st.sampled_from(["min_current", "max_current"]))] = draw(st.sampled_from([10, 20]))
        elements.append(element(*components, **restrictions))
    tariff = {"currency": "EUR", "elements": elements}
    bounds = sorted(money() for _ in range(2))
    if draw(st.booleans()):
        tariff["min_price"] = {"excl_vat": bounds[0], "incl_vat": round(bounds[0] * 1.2, 2)}
    if draw(st.booleans()):
        tariff["max_price"] = {"excl_vat": round(bounds[1] + 5, 3), "incl_vat": round((bounds[1] + 5) * 1.2, 2)}
    return tariff


def naive_applies(element: dict, at_local: datetime, energy_wh: int, duration_s: int, current) -> bool:
    r = element.get("restrictions", {})
    minute = at_local.hour * 60 + at_local.minute

    def minutes(text):
        return int(text[:2]) * 60 + int(text[3:])

    start = minutes(r["start_time"]) if "start_time" in r else None
    end = minutes(r["end_time"]) if "end_time" in r else None
    if start is not None and end is not None:
        if start < end and not start <= minute < end:
            return False
        if start > end and not (minute >= start or minute < end):
            return False
    elif start is not None and minute < start:
        return False
    elif end is not None and minute >= end:
        return False
    checks = [
        ("day_of_week", lambda v: DAY_NAMES[at_local.weekday()] in v),
        ("min_duration", lambda v: duration_s >= v),
        ("max_duration", lambda v: duration_s < v),
        ("min_kwh", lambda v: Fraction(energy_wh, 1000) >= Fraction(str(v))),
        ("max_kwh", lambda v: Fraction(energy_wh, 1000) < Fraction(str(v))),
        ("min_current", lambda v: current is not None and current >= v),
        ("max_current", lambda v: current is not None and current < v),
    ]
    return all(check(r[name]) for name, check in checks if name in r)


def to_cents(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def naive_price(tariff: dict, start: datetime, segments) -> dict:
    """Minute by minute: which component bills each dimension, then the last one's step, VAT, bounds."""
    lines = {"ENERGY": [], "TIME": [], "PARKING_TIME": []}
    flat = None
    energy, minute_index = 0, 0
    for minutes, charging, wh, current in segments:
        for _ in range(minutes):
            local = (start + timedelta(minutes=minute_index)).astimezone(BERLIN)
            drawn = {"ENERGY": wh * charging, "TIME": 60 * charging, "PARKING_TIME": 60 * (not charging)}
            for dimension in ("FLAT", *lines):
                for element in tariff["elements"]:
                    if not naive_applies(element, local, energy, minute_index * 60, current):
                        continue
                    found = [c for c in element["price_components"] if c["type"] == dimension]
                    if found:
                        if dimension == "FLAT":
                            flat = flat or found[0]
                        elif drawn[dimension]:
                            lines[dimension].append([found[0], Fraction(drawn[dimension])])
                        break
            energy += drawn["ENERGY"]
            minute_index += 1
    totals = {"FLAT": [0, 0], "ENERGY": [0, 0], "TIME": [0, 0], "PARKING_TIME": [0, 0]}
    if flat:
        vat = Fraction(str(flat.get("vat", 0)))
        totals["FLAT"] = [Fraction(str(flat["price"])), Fraction(str(flat["price"])) * (1 + vat / 100)]
    for dimension, billed in lines.items():
        if billed and billed[-1][0]["step_size"]:
            step, volume = billed[-1][0]["step_size"], sum(line[1] for line in billed)
            billed[-1][1] += -(-volume // step) * step - volume
        for comp, volume in billed:
            excl = volume * Fraction(str(comp["price"])) / (1000 if dimension == "ENERGY" else 3600)
            totals[dimension][0] += excl
            totals[dimension][1] += excl * (1 + Fraction(str(comp.get("vat", 0))) / 100)
    total = [sum(t[0] for t in totals.values()), sum(t[1] for t in totals.values())]
    if "min_price" in tariff and total[0] < Fraction(str(tariff["min_price"]["excl_vat"])):
        total = [Fraction(str(tariff["min_price"][k])) for k in ("excl_vat", "incl_vat")]
    if "max_price" in tariff and total[0] > Fraction(str(tariff["max_price"]["excl_vat"])):
        total = [Fraction(str(tariff["max_price"][k])) for k in ("excl_vat", "incl_vat")]
    named = {"total_cost": total, "total_fixed_cost": totals["FLAT"], "total_energy_cost": totals["ENERGY"],
             "total_time_cost": totals["TIME"], "total_parking_cost": totals["PARKING_TIME"]}  # fmt: skip
    return {name: (to_cents(Fraction(v[0])), to_cents(Fraction(v[1]))) for name, v in named.items()}


def engine_periods(start: datetime, segments) -> list[engine.Period]:
    periods, at = [], start
    for minutes, charging, wh, current in segments:
        end = at + timedelta(minutes=minutes)
        seconds = Decimal(minutes * 60)
        periods.append(engine.Period(
            start=at, end=end, energy_wh=Decimal(wh * minutes if charging else 0),
            charging_s=seconds if charging else Decimal(0), parking_s=Decimal(0) if charging else seconds,
            current=Decimal(current) if current is not None else None))  # fmt: skip
        at = end
    return periods


@st.composite
def priced_sessions(draw):
    start, segments = draw(sessions())
    return start, segments, draw(tariffs(sorted(set(cumulative_wh(segments)))))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(priced_sessions())
def test_the_engine_agrees_with_a_naive_minute_by_minute_pricing_to_the_cent(case):
    start, segments, tariff = case
    valid = ocpi.Tariff(data=tariff)
    assert valid.is_valid() or "must not be less than" in str(valid.errors), valid.errors
    end = start + timedelta(minutes=sum(s[0] for s in segments))
    costs = engine.price_periods(tariff, start=start, end=end, periods=engine_periods(start, segments), tz=BERLIN)
    expected = naive_price(tariff, start, segments)
    for name, (excl, incl) in expected.items():
        got = getattr(costs, name)
        assert (got.excl_vat, got.incl_vat) == (excl, incl), name
