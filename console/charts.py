"""A transaction's power and energy over time, from its meter values, as a small SVG chart (no library)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from charging.models import MeterValue, Transaction
from charging.services.metering import ENERGY_REGISTER, energy_register_wh

POWER = "Power.Active.Import"
# Watts per unit the charger may use for power.
POWER_UNITS = {"W": 1.0, "kW": 1000.0, "": 1.0}

WIDTH, HEIGHT = 900, 320
LEFT, RIGHT, TOP, BOTTOM = 60, 60, 20, 40


@dataclass
class Point:
    at: datetime
    value: float  # kW for power, kWh for energy
    x: float = 0.0
    y: float = 0.0


@dataclass
class Series:
    name: str
    unit: str
    points: list[Point] = field(default_factory=list)
    derived: bool = False  # power computed from the energy register, none being reported

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def top(self) -> float:
        return max((p.value for p in self.points), default=0.0)


@dataclass
class Chart:
    power: Series
    energy: Series
    width: int = WIDTH
    height: int = HEIGHT
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    power_ticks: list[tuple[float, str]] = field(default_factory=list)
    energy_ticks: list[tuple[float, str]] = field(default_factory=list)
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM

    @property
    def empty(self) -> bool:
        return not self.power.points and not self.energy.points


def _by_timestamp(rows) -> dict[datetime, dict[str, tuple[float, str]]]:
    """{timestamp: {phase: (value, unit)}}; the phase-less total is under ''."""
    grouped: dict[datetime, dict[str, tuple[float, str]]] = defaultdict(dict)
    for timestamp, phase, numeric, unit in rows:
        grouped[timestamp].setdefault(phase, (numeric, unit))
    return grouped


def _total(phases: dict[str, tuple[float, str]], scale) -> float:
    """The phase-less value when reported; otherwise the sum of the phases."""
    if "" in phases:
        value, unit = phases[""]
        return scale(value, unit)
    return sum(scale(value, unit) for value, unit in phases.values())


def transaction_series(transaction: Transaction) -> tuple[Series, Series]:
    """Power (kW) and energy delivered (kWh) over the session."""
    rows = (
        MeterValue.objects.filter(
            transaction=transaction, measurand__in=[POWER, ENERGY_REGISTER], numeric__isnull=False
        )
        .order_by("timestamp", "id")
        .values_list("measurand", "timestamp", "phase", "numeric", "unit")
    )
    power_rows = [(t, phase, n, unit) for measurand, t, phase, n, unit in rows if measurand == POWER]
    energy_rows = [(t, phase, n, unit) for measurand, t, phase, n, unit in rows if measurand == ENERGY_REGISTER]

    energy = Series("energy", "kWh")
    start_wh = transaction.meter_start
    energy.points.append(Point(transaction.start_time, 0.0))
    for at, phases in sorted(_by_timestamp(energy_rows).items()):
        if at >= transaction.start_time:
            wh = _total(phases, energy_register_wh)
            energy.points.append(Point(at, max(0.0, (wh - start_wh) / 1000)))
    if transaction.stop_time is not None and transaction.meter_stop is not None:
        if energy.points[-1].at < transaction.stop_time:
            energy.points.append(Point(transaction.stop_time, max(0.0, (transaction.meter_stop - start_wh) / 1000)))
    if len(energy.points) == 1:
        energy.points = []

    power = Series("power", "kW")
    for at, phases in sorted(_by_timestamp(power_rows).items()):
        power.points.append(Point(at, _total(phases, lambda v, u: v * POWER_UNITS.get(u, 1.0)) / 1000))
    if not power.points and len(energy.points) > 1:
        # No power reported: the mean power between two register readings.
        power.derived = True
        for before, after in zip(energy.points, energy.points[1:], strict=False):
            hours = (after.at - before.at).total_seconds() / 3600
            if hours > 0:
                power.points.append(Point(after.at, max(0.0, (after.value - before.value) / hours)))
    return power, energy


def _nice_top(value: float) -> float:
    """A round axis maximum at or above `value`."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** len(str(int(value))) / 10 if value >= 1 else 1.0
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return value


def transaction_chart(transaction: Transaction) -> Chart:
    power, energy = transaction_series(transaction)
    chart = Chart(power=power, energy=energy)
    moments = [p.at for p in power.points + energy.points]
    if not moments:
        return chart
    first, last = min(moments), max(moments)
    span = max((last - first).total_seconds(), 1.0)
    plot_width, plot_height = chart.right - chart.left, chart.bottom - chart.top

    def x(at: datetime) -> float:
        return chart.left + (at - first).total_seconds() / span * plot_width

    for series in (power, energy):
        top = _nice_top(series.top)
        for point in series.points:
            point.x = x(point.at)
            point.y = chart.bottom - point.value / top * plot_height
        ticks = [(chart.bottom - i / 4 * plot_height, f"{top * i / 4:g}") for i in range(5)]
        if series is power:
            chart.power_ticks = ticks
        else:
            chart.energy_ticks = ticks
    for i in range(5):
        at = first + (last - first) * i / 4
        chart.x_ticks.append((x(at), timezone.localtime(at).strftime("%H:%M:%S")))
    return chart
