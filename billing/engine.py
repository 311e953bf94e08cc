"""The cost engine: OCPI 2.2.1's tariff rules applied to a session's charging periods.

Pure: no database, no clock. The same function prices a closed session, a running one and an
operator's preview. The rules, as OCPI 2.2.1 states them:
- a tariff element applies while all of its restrictions hold; for each dimension (ENERGY, TIME,
  PARKING_TIME, FLAT) the first element in the list that applies and prices that dimension is used;
- restrictions are evaluated per period, and a period that crosses a restriction's boundary (a time
  of day, midnight, a duration, an amount of energy) is split there, its volumes shared pro rata;
- FLAT is billed once per session, by the first period in which an element prices it; a period of no
  time and no energy (an instant between two others) decides it only while the session has had no
  other, so that a session just started owes the FLAT of an element that applies at its start;
- the step size of the last element that billed a dimension rounds that dimension's whole volume up;
- VAT per component; `min_price` and `max_price` bound the total.
`Decimal` throughout, in a context wide enough that sums and products are exact, and every division comes
last: a share of a period is kept as part and whole (its volumes are multiplied before they are divided),
and what a dimension costs is summed as volume x price and divided by its unit once. So a result that has a
finite decimal form is computed exactly, and nothing is rounded until the totals, which are rounded once,
half up, to the currency's minor unit.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

ENERGY, TIME, PARKING_TIME, FLAT = "ENERGY", "TIME", "PARKING_TIME", "FLAT"
VOLUME_DIMENSIONS = (ENERGY, TIME, PARKING_TIME)
# What one unit of a price is in the engine's units: per kWh of Wh, per hour of seconds.
UNIT = {ENERGY: 1000, TIME: 3600, PARKING_TIME: 3600}
DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
# ISO 4217 minor units of the currencies that do not have two.
MINOR_UNITS = {"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
               "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
               "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0}  # fmt: skip
VOLUME_PLACES = 6
MICROSECOND = timedelta(microseconds=1)
# Sixty digits: products of meter readings, microseconds and prices stay exact in it.
CONTEXT = Context(prec=60)
ZERO = Decimal(0)


def exact(value) -> Decimal:
    """A JSON number or Decimal as a Decimal (floats through their shortest decimal text)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def microseconds(span: timedelta) -> Decimal:
    return Decimal(span // MICROSECOND)


def seconds(span: timedelta) -> Decimal:
    return microseconds(span).scaleb(-6)


@dataclass(frozen=True)
class Period:
    """A stretch of a session: what was drawn in it, spread evenly over it for any split.

    Energy in Wh and times in seconds; `current` (A) and `power` (kW) are what min/max_current and
    min/max_power are checked against, None when unknown.
    """

    start: datetime
    end: datetime
    energy_wh: Decimal = ZERO
    charging_s: Decimal = ZERO
    parking_s: Decimal = ZERO
    reservation_s: Decimal = ZERO
    current: Decimal | None = None
    power: Decimal | None = None

    def volume(self, dimension: str) -> Decimal:
        """The volume a component of `dimension` prices; in a reservation period TIME prices reserved time."""
        if dimension == ENERGY:
            return self.energy_wh
        if dimension == TIME:
            return self.charging_s + self.reservation_s
        return self.parking_s


@dataclass(frozen=True)
class _Share:
    """How far into a period (0 to 1) a boundary lies, as part / whole, so that `of` multiplies first and
    divides last: exact whenever the answer has a finite decimal form."""

    part: Decimal
    whole: Decimal

    def of(self, volume: Decimal) -> Decimal:
        return volume * self.part / self.whole

    def __eq__(self, other) -> bool:
        return self.part * other.whole == other.part * self.whole

    def __hash__(self) -> int:
        return hash(self.part / self.whole)


NOTHING, ALL = _Share(ZERO, Decimal(1)), _Share(Decimal(1), Decimal(1))


@dataclass(frozen=True)
class _Piece:
    """A period cut at every restriction boundary, with what was drawn before it in the session."""

    period: Period
    start: datetime
    end: datetime
    low: _Share
    high: _Share
    energy_before_wh: Decimal

    def part_of(self, volume: Decimal) -> Decimal:
        """This piece's part of one of its period's volumes."""
        return self.high.of(volume) - self.low.of(volume)

    def volume(self, dimension: str) -> Decimal:
        return self.part_of(self.period.volume(dimension))

    @property
    def energy_wh(self) -> Decimal:
        return self.part_of(self.period.energy_wh)

    @property
    def empty(self) -> bool:
        """No time and no energy: an instant, such as one between two periods."""
        return self.start == self.end and not self.energy_wh


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
    energy_wh: Decimal
    duration_s: Decimal
    current: Decimal | None
    power: Decimal | None
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
    "min_duration": lambda v, m: m.duration_s >= exact(v),
    "max_duration": lambda v, m: m.duration_s < exact(v),
    "day_of_week": lambda v, m: DAYS[m.local.weekday()] in v,
}


def _applies(element: dict, m: _Moment) -> bool:
    r = element.get("restrictions") or {}
    # An element restricted to reservations prices reservation periods only, and the others never them.
    if bool(r.get("reservation")) != m.reservation:
        return False
    return _time_of_day(r, m) and all(check(r[name], m) for name, check in RESTRICTION_CHECKS.items() if name in r)


# --- splitting ----------------------------------------------------------------------------------


def _cuts(period: Period, elements: list[dict], session_start: datetime, energy_before: Decimal, tz) -> list:
    """Where in `period` some restriction's boundary lies, in order."""
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
    cuts = {_Share(microseconds(i - period.start), microseconds(length)) for i in instants
            if period.start < i < period.end}  # fmt: skip
    if period.energy_wh > 0:
        thresholds = {exact(r[k]) * 1000 for r in restrictions for k in ("min_kwh", "max_kwh") if k in r}
        cuts |= {_Share(t - energy_before, period.energy_wh) for t in thresholds
                 if energy_before < t < energy_before + period.energy_wh}  # fmt: skip
    return sorted(cuts, key=lambda c: c.part / c.whole)


def _pieces(periods: list[Period], elements: list[dict], session_start: datetime, tz) -> list[_Piece]:
    pieces, energy_before = [], ZERO
    for period in periods:
        bounds = [NOTHING, *_cuts(period, elements, session_start, energy_before, tz), ALL]
        length = period.end - period.start
        for low, high in zip(bounds, bounds[1:], strict=False):
            piece = _Piece(period, _instant(period.start, length, low), _instant(period.start, length, high),
                           low, high, energy_before)  # fmt: skip
            pieces.append(piece)
            energy_before += piece.energy_wh
    return pieces


def _instant(start: datetime, length: timedelta, share: _Share) -> datetime:
    return start + MICROSECOND * int(share.of(microseconds(length)).to_integral_value())


def _moment(piece: _Piece, session_start: datetime, tz) -> _Moment:
    period = piece.period
    middle = piece.start + (piece.end - piece.start) / 2
    return _Moment(
        local=middle.astimezone(tz),
        energy_wh=piece.energy_before_wh + piece.energy_wh / 2,
        duration_s=seconds(middle - session_start),
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


def _with_vat(amount: Decimal, component: dict) -> tuple[Decimal, Decimal]:
    vat = component.get("vat")
    return amount, amount * (100 + exact(vat)) / 100 if vat is not None else amount


def _rounded(value: Decimal, places: int) -> Decimal:
    """Half up (away from zero), once."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def price_periods(tariff: dict, *, start: datetime, end: datetime, periods: list[Period], tz: tzinfo) -> Costs:
    """Price a session from `start` to `end` whose `periods` follow one another."""
    with localcontext(CONTEXT):
        return _priced(tariff, start, end, periods, tz)


def _priced(tariff: dict, start: datetime, end: datetime, periods: list[Period], tz: tzinfo) -> Costs:
    elements = tariff["elements"]
    pieces = _pieces(periods, elements, start, tz)
    moments = [_moment(p, start, tz) for p in pieces]
    # What each piece bills per dimension: (element index, component, volume).
    billed = [{d: _component(elements, d, m) for d in (*VOLUME_DIMENSIONS, FLAT)} for m in moments]
    volumes = [{d: p.volume(d) for d in VOLUME_DIMENSIONS} for p in pieces]
    for dimension in VOLUME_DIMENSIONS:
        _step(dimension, billed, volumes)
    # Volume x price per dimension (per kWh of Wh, per hour of seconds), divided by the unit once at the end.
    sums = {name: [ZERO, ZERO] for name in (ENERGY, TIME, PARKING_TIME, "RESERVATION")}
    lasting = [b for b, p in zip(billed, pieces, strict=True) if not p.empty] or billed
    flat = next((b[FLAT] for b in lasting if b[FLAT] is not None), None)
    fixed = _with_vat(exact(flat[1]["price"]), flat[1]) if flat is not None else (ZERO, ZERO)
    for piece, bill, volume in zip(pieces, billed, volumes, strict=True):
        for dimension in VOLUME_DIMENSIONS:
            if bill[dimension] is None:
                continue
            component = bill[dimension][1]
            key = "RESERVATION" if piece.period.reservation_s > 0 and dimension == TIME else dimension
            _add(sums[key], _with_vat(volume[dimension] * exact(component["price"]), component))
    hourly = [sums[TIME][i] + sums[PARKING_TIME][i] + sums["RESERVATION"][i] for i in (0, 1)]
    # One division by the hour for all that is priced by it: a total with a finite decimal form stays exact.
    total = [fixed[i] + sums[ENERGY][i] / UNIT[ENERGY] + hourly[i] / UNIT[TIME] for i in (0, 1)]
    total = _bounded(total, tariff)
    places = MINOR_UNITS.get(tariff["currency"], 2)

    def money(pair, unit=1) -> Price:
        return Price(_rounded(pair[0] / unit, places), _rounded(pair[1] / unit, places))

    return Costs(
        currency=tariff["currency"],
        total_cost=money(total),
        total_fixed_cost=money(fixed),
        total_energy_cost=money(sums[ENERGY], UNIT[ENERGY]),
        total_time_cost=money(sums[TIME], UNIT[TIME]),
        total_parking_cost=money(sums[PARKING_TIME], UNIT[PARKING_TIME]),
        total_reservation_cost=money(sums["RESERVATION"], UNIT[TIME]),
        total_energy=_volume(sum((p.energy_wh for p in pieces), ZERO) / 1000),
        total_time=_volume(seconds(end - start) / 3600),
        total_parking_time=_volume(sum((p.volume(PARKING_TIME) for p in pieces), ZERO) / 3600),
        charging_periods=_charging_periods(pieces, billed, tariff.get("id")),
    )


def _add(pair: list, amounts: tuple[Decimal, Decimal]) -> None:
    pair[0] += amounts[0]
    pair[1] += amounts[1]


def _step(dimension: str, billed: list[dict], volumes: list[dict]) -> None:
    """The step size of the last element that billed `dimension` rounds the dimension's whole billed
    volume up; what it adds is billed by that last element."""
    used = [i for i, b in enumerate(billed) if b[dimension] is not None and volumes[i][dimension] > 0]
    if not used:
        return
    step = exact(billed[used[-1]][dimension][1].get("step_size") or 0)
    if step <= 0:
        return
    over = sum(volumes[i][dimension] for i in used) % step
    if over:
        volumes[used[-1]][dimension] += step - over


def _bounded(total: list, tariff: dict) -> list:
    """`min_price` and `max_price` replace a total below or above them (compared without VAT)."""
    for name, outside in (("min_price", lambda t, b: t < b), ("max_price", lambda t, b: t > b)):
        bound = tariff.get(name)
        if bound is not None and outside(total[0], exact(bound["excl_vat"])):
            excl = exact(bound["excl_vat"])
            incl = exact(bound["incl_vat"]) if bound.get("incl_vat") is not None else excl
            total = [excl, incl]
    return total


def _volume(value: Decimal) -> Decimal:
    return _rounded(value, VOLUME_PLACES).normalize() if value else ZERO


def _charging_periods(pieces: list[_Piece], billed: list[dict], tariff_id) -> list[dict]:
    """OCPI charging periods: consecutive pieces priced alike (and alike in current and power) merged."""
    merged: list[tuple[tuple, _Piece, dict]] = []
    for piece, bill in zip(pieces, billed, strict=True):
        key = (tuple(b[0] if b else None for b in bill.values()), piece.period.current, piece.period.power,
               piece.period.reservation_s > 0)  # fmt: skip
        volumes = {
            "ENERGY": piece.energy_wh / 1000,
            "TIME": piece.part_of(piece.period.charging_s) / 3600,
            "PARKING_TIME": piece.part_of(piece.period.parking_s) / 3600,
            "RESERVATION_TIME": piece.part_of(piece.period.reservation_s) / 3600,
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
                energy_wh=dims.get("ENERGY", ZERO) * 1000,
                charging_s=dims.get("TIME", ZERO) * 3600,
                parking_s=dims.get("PARKING_TIME", ZERO) * 3600,
                reservation_s=dims.get("RESERVATION_TIME", ZERO) * 3600,
                current=dims.get("CURRENT", dims.get("MAX_CURRENT")),
                power=dims.get("POWER", dims.get("MAX_POWER")),
            )
        )
    return periods
