"""Meter values as the charger sampled them, and the energy figures derived from them."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from chargers import costs
from charging.models import MeterValue, Transaction
from csms import statements

# A session's last_message_at only has to be fresh to within far less than
# CSMS_TRANSACTION_SUSPECT_AFTER (hours; at most a tenth of it): writing it on every meter value
# would add a row update to the most frequent frame of a busy fleet.
SESSION_SEEN_WRITE_INTERVAL = 60.0

ENERGY_REGISTER = "Energy.Active.Import.Register"


@dataclass(frozen=True)
class Sample:
    timestamp: datetime
    value: str
    measurand: str = ENERGY_REGISTER
    unit: str = ""
    phase: str = ""
    context: str = ""
    location: str = ""
    format: str = ""


def _numeric(value: str) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def samples_record(
    *,
    charger_id: int,
    connector_id: int,
    samples: list[Sample],
    transaction_id: int | None,
    reported_transaction_id: str = "",
    evse_id: int | None = None,
) -> int:
    """Store sampled values as reported; `transaction_id` is our Transaction's id, if known."""
    statements.insert(
        MeterValue,
        [
            {
                "charger_id": charger_id,
                "evse_id": connector_id if evse_id is None else evse_id,
                "connector_id": connector_id,
                "transaction_id": transaction_id,
                "reported_transaction_id": reported_transaction_id,
                "timestamp": s.timestamp,
                "value": s.value,
                "numeric": _numeric(s.value),
                "measurand": s.measurand or ENERGY_REGISTER,
                "unit": s.unit,
                "phase": s.phase,
                "context": s.context,
                "location": s.location,
                "format": s.format,
            }
            for s in samples
        ],
    )
    return len(samples)


def energy_register_wh(sample_value: float, unit: str) -> float:
    """Energy.Active.Import.Register in Wh, whatever unit the charger used."""
    return sample_value * 1000 if unit == "kWh" else sample_value


POWER_ACTIVE_IMPORT = "Power.Active.Import"
# The most power any charger delivers (W). Energy between meterStart and the first register
# reading beyond this over the elapsed time means meterStart is on another scale or meter.
MAX_CHARGING_POWER_W = 400_000
# Slack for clocks and rounding when comparing meterStart with the first register reading.
METER_START_SLACK_WH = 1000


def power_active_w(sample_value: float, unit: str) -> float:
    """Power.Active.Import in W, whatever unit the charger used."""
    return sample_value * 1000 if unit == "kW" else sample_value


# What session_figures reads of a MeterValue.
READING_FIELDS = ("measurand", "numeric", "unit", "phase", "timestamp")


@dataclass(frozen=True)
class SessionFigures:
    """The numbers shown for a session, computed in one place for the API, the admin and the dashboard."""

    energy_wh: int | None
    current_meter_wh: int | None
    current_power_w: float | None
    duration_seconds: int | None


def _totals(readings: list) -> list:
    """Phase-less totals when the charger sent any; per-phase values only say the same thing in parts."""
    totals = [r for r in readings if not r.phase]
    return totals


def _latest_power_w(readings: list) -> float | None:
    if not readings:
        return None
    latest = max(r.timestamp for r in readings)
    at_latest = [r for r in readings if r.timestamp == latest]
    totals = _totals(at_latest)
    if totals:
        return power_active_w(totals[-1].numeric, totals[-1].unit)
    # Only per-phase values (L1, L2, L3): their sum is the total.
    return sum(power_active_w(r.numeric, r.unit) for r in at_latest if r.phase.startswith("L") and "-" not in r.phase)


def session_figures(session: Transaction, *, readings: list | None = None, now=None) -> SessionFigures:
    """Energy (Wh), current meter (Wh), current power (W) and duration (s) of one session.

    Energy comes from Energy.Active.Import.Register: the last reading minus meterStart when
    meterStart is on the register's scale (it is at most the first reading, and no more below it
    than any charger could have delivered in between), else minus the first reading; likewise
    meterStop stands for the last reading when it is on the same scale. With no
    register reading it is meterStop - meterStart (None while open). `readings` are the session's
    MeterValue rows ordered by time (instances, or anything with READING_FIELDS), when the caller has
    them already.
    """
    if readings is None:
        readings = list(
            session.meter_values.filter(measurand__in=[ENERGY_REGISTER, POWER_ACTIVE_IMPORT], numeric__isnull=False)
            .order_by("timestamp", "id")
            .values_list(*READING_FIELDS, named=True)  # rows, not model instances: a long session has many
        )
    registers = _totals([r for r in readings if r.measurand == ENERGY_REGISTER and r.numeric is not None])
    power = [r for r in readings if r.measurand == POWER_ACTIVE_IMPORT and r.numeric is not None]
    energy = current = None
    if registers:
        first = energy_register_wh(registers[0].numeric, registers[0].unit)
        last = energy_register_wh(registers[-1].numeric, registers[-1].unit)
        start = first
        if _same_scale(session.meter_start, first, session.start_time, registers[0].timestamp):
            start = session.meter_start
        end = last
        if session.meter_stop is not None and _same_scale(
            last, session.meter_stop, registers[-1].timestamp, session.stop_time
        ):
            end = session.meter_stop
        energy = round(max(end - start, 0))
        current = round(end)
    elif session.meter_stop is not None:
        energy = max(session.meter_stop - session.meter_start, 0)
    if current is None:
        current = session.meter_stop if session.meter_stop is not None else session.meter_start
    end = session.stop_time or now or timezone.now()
    duration = max(0, int((end - session.start_time).total_seconds()))
    open_power = _latest_power_w(power) if session.stop_time is None else None
    return SessionFigures(
        energy_wh=energy, current_meter_wh=current, current_power_w=open_power, duration_seconds=duration
    )


def _same_scale(earlier_wh: float, later_wh: float, earlier_at, later_at) -> bool:
    """Whether two meter figures can be readings of one register: it only grows, and no faster than a charger can."""
    hours = max((later_at - earlier_at).total_seconds(), 0) / 3600 if earlier_at and later_at else 0
    return 0 <= later_wh - earlier_wh <= MAX_CHARGING_POWER_W * hours + METER_START_SLACK_WH


def meter_values_record(
    *,
    charger_id: int,
    connector_id: int,
    samples: list[Sample],
    transaction_id: str | None = None,
    evse_id: int | None = None,
) -> int:
    """Store every sampled value, linked to its session when the charger names one we know."""
    session = None
    if transaction_id is not None:
        session = statements.instance(
            Transaction,
            where={"charger_id": charger_id, "ocpp_id": transaction_id},
            only=("id", "last_message_at", "suspect"),
        )
        now = timezone.now()
        interval = min(SESSION_SEEN_WRITE_INTERVAL, settings.CSMS_TRANSACTION_SUSPECT_AFTER / 10)
        # abs(): a time written by a node whose clock is ahead is rewritten, not kept until this clock passes it.
        if session is not None and (
            session.suspect or abs((now - session.last_message_at).total_seconds()) >= interval
        ):
            # A message about the session means it is not lost after all.
            statements.update(Transaction, {"last_message_at": now, "suspect": False}, where={"id": session.pk})
    return samples_record(
        charger_id=charger_id,
        connector_id=connector_id,
        evse_id=evse_id,
        samples=samples,
        transaction_id=session.pk if session is not None else None,
        reported_transaction_id=transaction_id or "",
    )


# How the console writes a session's figures: one unit for energy (kWh), one for power (kW).


def kwh_text(wh: float | None) -> str:
    return "–" if wh is None else f"{wh / 1000:.2f}"


def elapsed_text(seconds: int | None) -> str:
    if seconds is None:
        return "–"
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def session_shown(session: Transaction, *, now=None) -> dict:
    """A session's figures as the console shows them, so far while it is open: energy, power now, elapsed, cost."""
    figures = session_figures(session, now=now)
    cost = costs.session_cost(session)
    power = figures.current_power_w
    return {
        "energy": kwh_text(figures.energy_wh),
        "power": "–" if power is None else f"{power / 1000:.1f}",
        "elapsed": elapsed_text(figures.duration_seconds),
        "elapsedSeconds": figures.duration_seconds,
        "cost": "" if cost is None else f"{cost['incl_vat']:.2f} {cost['currency']}",
        "open": session.stop_time is None,
    }
