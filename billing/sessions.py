"""A session as the cost engine reads it: its periods between meter readings and charging-state changes."""

import bisect
from datetime import datetime
from decimal import Decimal, localcontext

from django.db.models import Max

from billing.engine import CONTEXT, ZERO, Period, exact, microseconds, seconds
from chargers.models import StatusNotification
from charging.models import MeterValue, Transaction, TransactionEvent
from charging.services.metering import ENERGY_REGISTER, POWER_ACTIVE_IMPORT, energy_register_wh, power_active_w

CURRENT_IMPORT = "Current.Import"
# Charging states (2.0.1 TransactionEvent chargingState, 1.6 StatusNotification status) in which a car
# draws power; the others, while the session lasts, are parking.
CHARGING = {"Charging"}
NOT_CHARGING = {"EVConnected", "SuspendedEV", "SuspendedEVSE", "Idle", "Finishing"}


def _states(session: Transaction, end: datetime) -> list[tuple[datetime, bool]]:
    """When the session started or stopped drawing power: (time, charging)."""
    reported = list(
        TransactionEvent.objects.filter(transaction=session)
        .exclude(charging_state="")
        .order_by("timestamp", "seq_no")
        .values_list("timestamp", "charging_state")
    )
    if not reported:  # OCPP 1.6: the connector's status notifications during the session
        rows = StatusNotification.objects.filter(
            charger_id=session.charger_id, connector_id=session.connector_id, timestamp__gte=session.start_time,
            timestamp__lte=end, status__in=CHARGING | NOT_CHARGING,
        ).order_by("timestamp", "id")  # fmt: skip
        reported = list(rows.values_list("timestamp", "status"))
    return [(at, state in CHARGING) for at, state in reported if session.start_time <= at <= end]


def _registers(session: Transaction, end: datetime) -> list[tuple[datetime, Decimal]]:
    rows = (
        MeterValue.objects.filter(transaction=session, measurand=ENERGY_REGISTER, phase="", numeric__isnull=False)
        .filter(timestamp__gte=session.start_time, timestamp__lte=end)
        .order_by("timestamp", "id")
        .values_list("timestamp", "numeric", "unit")
    )
    return [(at, exact(energy_register_wh(value, unit))) for at, value, unit in rows]


def _readings(session: Transaction, end: datetime, measurand: str) -> list[tuple[datetime, Decimal]]:
    """The session's readings of `measurand` (any phase), in A for currents and kW for power."""
    rows = (
        MeterValue.objects.filter(transaction=session, measurand=measurand, numeric__isnull=False)
        .filter(timestamp__gte=session.start_time, timestamp__lte=end)
        .values_list("timestamp", "numeric", "unit")
    )
    return [(at, exact(power_active_w(value, unit)) / 1000 if measurand == POWER_ACTIVE_IMPORT else exact(value))
            for at, value, unit in rows]  # fmt: skip


def _energy_curve(session: Transaction, end: datetime) -> list[tuple[datetime, Decimal]]:
    """The session's energy (Wh) from its start: meterStart, the register readings, meterStop, never falling."""
    readings = _registers(session, end)
    first = readings[0][1] if readings else None
    start_value = Decimal(session.meter_start)
    if first is not None and start_value > first:  # meterStart on another scale than the register
        start_value = first
    points = [(session.start_time, start_value), *readings]
    if session.meter_stop is not None and session.stop_time is not None and session.meter_stop >= points[-1][1]:
        points.append((session.stop_time, Decimal(session.meter_stop)))
    curve, highest = [], start_value
    for at, value in points:
        highest = max(highest, value)
        curve.append((at, highest - start_value))
    return curve


def _energy_at(curve: list[tuple[datetime, Decimal]], times: list[datetime], at: datetime) -> Decimal:
    """Linear between readings; flat after the last one. `times`: the curve's, for bisecting."""
    after = bisect.bisect_right(times, at)
    if after == len(curve):
        return curve[-1][1]
    (t0, e0), (t1, e1) = curve[after - 1], curve[after]
    return e0 + (e1 - e0) * microseconds(at - t0) / microseconds(t1 - t0)


def session_reported_until(session: Transaction) -> datetime:
    """How far the charger has reported an open session: its latest meter reading or event (not the
    clock: a charger's queued messages arrive late, and a session's cost is what it reported)."""
    latest = [session.start_time]
    for model in (MeterValue, TransactionEvent):
        reported = model.objects.filter(transaction=session).aggregate(latest=Max("timestamp"))["latest"]
        if reported is not None:
            latest.append(reported)
    return max(latest)


def session_periods(session: Transaction, *, end: datetime) -> list[Period]:
    """The engine's periods of `session` up to `end` (its stop, or now for a running one)."""
    with localcontext(CONTEXT):
        return _periods(session, end)


def _periods(session: Transaction, end: datetime) -> list[Period]:
    curve = _energy_curve(session, end)
    times = [at for at, _ in curve]
    states = _states(session, end)
    currents = _readings(session, end, CURRENT_IMPORT)
    powers = _readings(session, end, POWER_ACTIVE_IMPORT)
    bounds = sorted({session.start_time, end} | {at for at, _ in curve if at <= end} | {at for at, _ in states})
    periods = []
    for low, high in zip(bounds, bounds[1:], strict=False):
        charging = next((c for at, c in reversed(states) if at <= low), True)
        span = seconds(high - low)
        drawn = [value for at, value in currents if low < at <= high]
        power = [value for at, value in powers if low < at <= high]
        periods.append(
            Period(
                start=low,
                end=high,
                energy_wh=_energy_at(curve, times, high) - _energy_at(curve, times, low),
                charging_s=span if charging else ZERO,
                parking_s=ZERO if charging else span,
                current=max(drawn) if drawn else None,
                power=max(power) if power else None,
            )
        )
    return periods or [Period(start=session.start_time, end=end)]  # a session that lasted no time still had a start
