"""The cost engine: OCPI 2.2.1's tariff rules applied to a session's charging periods.

Pure: no database, no clock. The same function prices a closed session, a running one and an
operator's preview. The rules, as OCPI 2.2.1 states them:
- a tariff element applies while all of its restrictions hold; for each dimension (ENERGY, TIME,
  PARKING_TIME, FLAT) the first element in the list that applies and prices that dimension is used;
- restrictions are evaluated per period, and a period that crosses a restriction's boundary (a time
  of day, midnight, a duration, an amount of energy) is split there, its volumes shared pro rata;
- FLAT is billed once per session, by the first period in which an element prices it;
- the step size of the last element that billed a dimension rounds that dimension's whole volume up;
- VAT per component; `min_price` and `max_price` bound the total.
Money is `Decimal` at the edges; inside, volumes and costs are exact fractions, so nothing is rounded
until the totals, which are rounded once, half up, to the currency's minor unit.
"""

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from fractions import Fraction

ENERGY, TIME, PARKING_TIME, FLAT = "ENERGY", "TIME", "PARKING_TIME", "FLAT"
VOLUME_DIMENSIONS = (ENERGY, TIME, PARKING_TIME)
# What one unit of a price is in the engine's units: per kWh of Wh, per hour of seconds.
UNIT = {ENERGY: 1000, TIME: 3600, PARKING_TIME: 3600}
DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
# ISO 4217 minor units of the currencies that do not have two.
MINOR_UNITS = {"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
               "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
               "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0}  # fmt: skip
VOLUME_PLACES = Decimal("0.000001")
MICROSECOND = timedelta(microseconds=1)


def exact(value) -> Fraction:
    """A JSON number or Decimal as an exact fraction (floats through their shortest decimal text)."""
    return Fraction(Decimal(str(value)))


@dataclass(frozen=True)
class Period:
    """A stretch of a session: what was drawn in it, spread evenly over it for any split.

    Energy in Wh and times in seconds; `current` (A) and `power` (kW) are what min/max_current and
    min/max_power are checked against, None when unknown.
    """

    start: datetime
    end: datetime
    energy_wh: Fraction = Fraction(0)
    charging_s: Fraction = Fraction(0)
    parking_s: Fraction = Fraction(0)
    reservation_s: Fraction = Fraction(0)
    current: Fraction | None = None
    power: Fraction | None = None

    def volume(self, dimension: str) -> Fraction:
        """The volume a component of `dimension` prices; in a reservation period TIME prices reserved time."""
        if dimension == ENERGY:
            return self.energy_wh
        if dimension == TIME:
            return self.charging_s + self.reservation_s
        return self.parking_s


@dataclass(frozen=True)
class _Piece:
    """A period cut at every restriction boundary, with what was drawn before it in the session."""

    period: Period
    start: datetime
    end: datetime
    share: Fraction  # of the period's volumes
    energy_before_wh: Fraction

    def volume(self, dimension: str) -> Fraction:
        return self.period.volume(dimension) * self.share

    @property
    def energy_wh(self) -> Fraction:
        return self.period.energy_wh * self.share


@dataclass(frozen=True)
class Price:
    excl_vat: Decimal
    incl_vat: Decimal

    def as_ocpi(self) -> dict:
        return {"excl_vat": float(self.excl_vat), "incl_vat": float(self.incl_vat)}


@dataclass(frozen=True)
class Costs:
    """The engine's answer: OCPI's CDR totals, rounded, and the charging periods as priced."""

    currency: str
    total_cost: Price
    total_fixed_cost: Price
    total_energy_cost: Price
    total_time_cost: Price
    total_parking_cost: Price
    total_reservation_cost: Price
    total_energy: Decimal  # kWh
    total_time: Decimal  # hours, charging and not charging
    total_parking_time: Decimal  # hours
    charging_periods: list[dict] = field(default_factory=list)

    def as_ocpi(self) -> dict:
        prices = ("total_cost", "total_fixed_cost", "total_energy_cost", "total_time_cost", "total_parking_cost",
                  "total_reservation_cost")  # fmt: skip
        return {
            **{name: getattr(self, name).as_ocpi() for name in prices},
            "total_energy": float(self.total_energy),
            "total_time": float(self.total_time),
            "total_parking_time": float(self.total_parking_time),
            "charging_periods": self.charging_periods,
        }


# --- restrictions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Moment:
    """What restrictions are checked against: the middle of a piece (each piece lies wholly on one side of
    every boundary, so its middle answers for all of it, and no boundary instant is ever rounded)."""

    local: datetime
    energy_wh: Fraction
    duration_s: Fraction
    current: Fraction | None
    power: Fraction | None
    reservation: bool


def _time_of_day(r: dict, m: _Moment) -> bool:
    start, end = r.get("start_time"), r.get("end_time")
    if start is None and end is None:
        return True
    now = m.local.strftime("%H:%M:%S.%f")
    start, end = (f"{t}:00.000000" if t is not None else None for t in (start, end))
    if start is not None and end is not None and end <= start:  # across midnight (or all day when equal)
        return now >= start or now < end or start == end
    return (start is None or now >= start) and (end is None or now < end)


def _at_least(value, limit) -> bool:
    return value is not None and value >= exact(limit)


def _below(value, limit) -> bool:
    return value is not None and value < exact(limit)


# One check per restriction field; start_time/end_time are checked together.
RESTRICTION_CHECKS = {
    "start_date": lambda v, m: m.local.date() >= date.fromisoformat(v),
    "end_date": lambda v, m: m.local.date() < date.fromisoformat(v),
    "min_kwh": lambda v, m: m.energy_wh >= exact(v) * 1000,
    "max_kwh": lambda v, m: m.energy_wh < exact(v) * 1000,
    "min_current": lambda v, m: _at_least(m.current, v),
    "max_current": lambda v, m: _below(m.current, v),
    "min_power": lambda v, m: _at_least(m.power, v),
    "max_power": lambda v, m: _below(m.power, v),
    "min_duration": lambda v, m: m.duration_s >= v,
    "max_duration": lambda v, m: m.duration_s < v,
    "day_of_week": lambda v, m: DAYS[m.local.weekday()] in v,
}


def _applies(element: dict, m: _Moment) -> bool:
    r = element.get("restrictions") or {}
    # An element restricted to reservations prices reservation periods only, and the others never them.
    if bool(r.get("reservation")) != m.reservation:
        return False
    return _time_of_day(r, m) and all(check(r[name], m) for name, check in RESTRICTION_CHECKS.items() if name in r)


# --- splitting ----------------------------------------------------------------------------------


def _fraction_of(part: timedelta, whole: timedelta) -> Fraction:
    return Fraction(part // MICROSECOND, whole // MICROSECOND)


def _cuts(period: Period, elements: list[dict], session_start: datetime, energy_before: Fraction, tz) -> list:
    """Where in `period` (as fractions of it) some restriction's boundary lies."""
    length = period.end - period.start
    if length <= timedelta(0):
        return []
    restrictions = [e.get("restrictions") or {} for e in elements]
    instants = []
    # Midnight too: dates and days of the week change there.
    times = {time(0, 0)} | {time.fromisoformat(r[k]) for r in restrictions for k in ("start_time", "end_time")
                            if k in r}  # fmt: skip
    first, last = period.start.astimezone(tz).date(), period.end.astimezone(tz).date()
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        instants += [datetime.combine(day, t, tzinfo=tz) for t in times]
    durations = {r[k] for r in restrictions for k in ("min_duration", "max_duration") if k in r}
    instants += [session_start + timedelta(seconds=d) for d in durations]
    cuts = {_fraction_of(i - period.start, length) for i in instants if period.start < i < period.end}
    if period.energy_wh > 0:
        thresholds = {exact(r[k]) * 1000 for r in restrictions for k in ("min_kwh", "max_kwh") if k in r}
        cuts |= {(t - energy_before) / period.energy_wh for t in thresholds
                 if energy_before < t < energy_before + period.energy_wh}  # fmt: skip
    return sorted(c for c in cuts if 0 < c < 1)


def _pieces(periods: list[Period], elements: list[dict], session_start: datetime, tz) -> list[_Piece]:
    pieces, energy_before = [], Fraction(0)
    for period in periods:
        bounds = [Fraction(0), *_cuts(period, elements, session_start, energy_before, tz), Fraction(1)]
        length = period.end - period.start
        for low, high in zip(bounds, bounds[1:], strict=False):
            piece = _Piece(period, _instant(period.start, length, low), _instant(period.start, length, high),
                           high - low, energy_before)  # fmt: skip
            pieces.append(piece)
            energy_before += piece.energy_wh
    return pieces


def _instant(start: datetime, length: timedelta, share: Fraction) -> datetime:
    return start + MICROSECOND * round(share * (length // MICROSECOND))


def _moment(piece: _Piece, session_start: datetime, tz) -> _Moment:
    period = piece.period
    middle = piece.start + (piece.end - piece.start) / 2
    return _Moment(
        local=middle.astimezone(tz),
        energy_wh=piece.energy_before_wh + piece.energy_wh / 2,
        duration_s=Fraction((middle - session_start) // MICROSECOND, 1_000_000),
        current=period.current,
        power=period.power,
        reservation=period.reservation_s > 0,
    )


# --- pricing ------------------------------------------------------------------------------------


def _component(elements: list[dict], dimension: str, m: _Moment) -> tuple[int, dict] | None:
    """The first element that applies and prices `dimension`, and its component."""
    for index, element in enumerate(elements):
        if not _applies(element, m):
            continue
        for component in element["price_components"]:
            if component["type"] == dimension:
                return index, component
    return None


def _with_vat(amount: Fraction, component: dict) -> tuple[Fraction, Fraction]:
    vat = component.get("vat")
    return amount, amount * (1 + exact(vat) / 100) if vat is not None else amount


def _rounded(value: Fraction, places: int) -> Decimal:
    """Half up (away from zero), exactly: no intermediate decimal rounding can tip a half."""
    scaled = value * 10**places
    units = math.floor(abs(scaled) + Fraction(1, 2))
    return Decimal(units if scaled >= 0 else -units).scaleb(-places)


def price_periods(tariff: dict, *, start: datetime, end: datetime, periods: list[Period], tz: tzinfo) -> Costs:
    """Price a session from `start` to `end` whose `periods` follow one another."""
    elements = tariff["elements"]
    pieces = _pieces(periods, elements, start, tz)
    moments = [_moment(p, start, tz) for p in pieces]
    # What each piece bills per dimension: (element index, component, volume).
    billed = [{d: _component(elements, d, m) for d in (*VOLUME_DIMENSIONS, FLAT)} for m in moments]
    volumes = [{d: p.volume(d) for d in VOLUME_DIMENSIONS} for p in pieces]
    for dimension in VOLUME_DIMENSIONS:
        _step(dimension, billed, volumes)
    costs = {name: [Fraction(0), Fraction(0)] for name in (FLAT, ENERGY, TIME, PARKING_TIME, "RESERVATION")}
    flat = next((b[FLAT] for b in billed if b[FLAT] is not None), None)
    if flat is not None:
        _add(costs[FLAT], _with_vat(exact(flat[1]["price"]), flat[1]))
    for piece, bill, volume in zip(pieces, billed, volumes, strict=True):
        for dimension in VOLUME_DIMENSIONS:
            if bill[dimension] is None:
                continue
            component = bill[dimension][1]
            amount = volume[dimension] * exact(component["price"]) / UNIT[dimension]
            key = "RESERVATION" if piece.period.reservation_s > 0 and dimension == TIME else dimension
            _add(costs[key], _with_vat(amount, component))
    total = [sum(c[0] for c in costs.values()), sum(c[1] for c in costs.values())]
    total = _bounded(total, tariff)
    places = MINOR_UNITS.get(tariff["currency"], 2)

    def money(pair) -> Price:
        return Price(_rounded(pair[0], places), _rounded(pair[1], places))

    seconds = Fraction((end - start) // MICROSECOND, 1_000_000)
    return Costs(
        currency=tariff["currency"],
        total_cost=money(total),
        total_fixed_cost=money(costs[FLAT]),
        total_energy_cost=money(costs[ENERGY]),
        total_time_cost=money(costs[TIME]),
        total_parking_cost=money(costs[PARKING_TIME]),
        total_reservation_cost=money(costs["RESERVATION"]),
        total_energy=_volume(sum((p.energy_wh for p in pieces), Fraction(0)) / 1000),
        total_time=_volume(seconds / 3600),
        total_parking_time=_volume(sum((p.volume(PARKING_TIME) for p in pieces), Fraction(0)) / 3600),
        charging_periods=_charging_periods(pieces, billed, tariff.get("id")),
    )


def _add(pair: list, amounts: tuple[Fraction, Fraction]) -> None:
    pair[0] += amounts[0]
    pair[1] += amounts[1]


def _step(dimension: str, billed: list[dict], volumes: list[dict]) -> None:
    """The step size of the last element that billed `dimension` rounds the dimension's whole billed
    volume up; what it adds is billed by that last element."""
    used = [i for i, b in enumerate(billed) if b[dimension] is not None and volumes[i][dimension] > 0]
    if not used:
        return
    step = billed[used[-1]][dimension][1].get("step_size") or 0
    if step <= 0:
        return
    total = sum(volumes[i][dimension] for i in used)
    volumes[used[-1]][dimension] += math.ceil(total / step) * step - total


def _bounded(total: list, tariff: dict) -> list:
    """`min_price` and `max_price` replace a total below or above them (compared without VAT)."""
    for name, outside in (("min_price", lambda t, b: t < b), ("max_price", lambda t, b: t > b)):
        bound = tariff.get(name)
        if bound is not None and outside(total[0], exact(bound["excl_vat"])):
            excl = exact(bound["excl_vat"])
            incl = exact(bound["incl_vat"]) if bound.get("incl_vat") is not None else excl
            total = [excl, incl]
    return total


def _volume(value: Fraction) -> Decimal:
    return _rounded(value, 6).normalize() if value else Decimal(0)


def _charging_periods(pieces: list[_Piece], billed: list[dict], tariff_id) -> list[dict]:
    """OCPI charging periods: consecutive pieces priced alike (and alike in current and power) merged."""
    merged: list[tuple[tuple, _Piece, dict]] = []
    for piece, bill in zip(pieces, billed, strict=True):
        key = (tuple(b[0] if b else None for b in bill.values()), piece.period.current, piece.period.power,
               piece.period.reservation_s > 0)  # fmt: skip
        volumes = {
            "ENERGY": piece.energy_wh / 1000,
            "TIME": piece.period.charging_s * piece.share / 3600,
            "PARKING_TIME": piece.period.parking_s * piece.share / 3600,
            "RESERVATION_TIME": piece.period.reservation_s * piece.share / 3600,
        }
        if merged and merged[-1][0] == key:
            for name, value in volumes.items():
                merged[-1][2][name] += value
        else:
            merged.append((key, piece, volumes))
    out = []
    for _, first, volumes in merged:
        dimensions = [{"type": name, "volume": float(_volume(v))} for name, v in volumes.items() if v]
        if first.period.current is not None:
            dimensions.append({"type": "MAX_CURRENT", "volume": float(first.period.current)})
        if first.period.power is not None:
            dimensions.append({"type": "MAX_POWER", "volume": float(first.period.power)})
        period = {"start_date_time": first.start.isoformat().replace("+00:00", "Z"), "dimensions": dimensions}
        if tariff_id is not None:
            period["tariff_id"] = str(tariff_id)
        out.append(period)
    return out


# --- OCPI's CDR shape in ----------------------------------------------------------------------


def periods_from_ocpi(charging_periods: list[dict], end: datetime) -> list[Period]:
    """Validated OCPI ChargingPeriods (kWh, hours, A, kW) as the engine's periods; each ends where the next
    begins."""
    starts = [p["start_date_time"] for p in charging_periods]
    ends = [*starts[1:], end]
    periods = []
    for p, period_start, period_end in zip(charging_periods, starts, ends, strict=True):
        dims = {d["type"]: exact(d["volume"]) for d in p["dimensions"]}
        periods.append(
            Period(
                start=period_start,
                end=period_end,
                energy_wh=dims.get("ENERGY", Fraction(0)) * 1000,
                charging_s=dims.get("TIME", Fraction(0)) * 3600,
                parking_s=dims.get("PARKING_TIME", Fraction(0)) * 3600,
                reservation_s=dims.get("RESERVATION_TIME", Fraction(0)) * 3600,
                current=dims.get("CURRENT", dims.get("MAX_CURRENT")),
                power=dims.get("POWER", dims.get("MAX_POWER")),
            )
        )
    return periods
