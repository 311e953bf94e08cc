"""Which period of an installed profile's charging schedule is in effect now. A selector: reads only.

An Absolute (or Dynamic) schedule counts from its startSchedule; a Recurring one from its startSchedule, again
every day (Daily) or week (Weekly); a Relative one, and one without a startSchedule, from the start of the
session it governs. Without such a session it has not begun: its first period is the one that will apply.
"""

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from chargers.models import Charger
from charging.models import Transaction
from smart_charging.models import InstalledChargingProfile

RECURRENCE = {"Daily": timedelta(days=1), "Weekly": timedelta(weeks=1)}


def _session_start(profile: InstalledChargingProfile) -> datetime | None:
    """The start of the session the profile governs: its own, else the only one in progress on its connector
    (on the charger, for connector 0)."""
    if profile.transaction_id:
        return profile.transaction.start_time
    sessions = Transaction.objects.filter(charger_id=profile.charger_id, stop_time__isnull=True)
    if profile.connector_id:  # an EVSE of 2.0.1 and 2.1 (evse_id), a 1.6 connector (evse_id 0)
        sessions = sessions.filter(Q(evse_id=profile.connector_id) | Q(evse_id=0, connector_id=profile.connector_id))
    starts = list(sessions.values_list("start_time", flat=True)[:2])
    return starts[0] if len(starts) == 1 else None


def _elapsed(profile: InstalledChargingProfile, now: datetime) -> float:
    """Seconds into the schedule at `now` (0 for one that has not begun)."""
    start = parse_datetime(profile.schedule.get("startSchedule") or "")
    if profile.kind == "Relative" or start is None:
        start = _session_start(profile)
    if start is None:
        return 0
    cycle = RECURRENCE.get(profile.recurrency_kind) if profile.kind == "Recurring" else None
    elapsed = now - start
    return (elapsed % cycle if cycle else elapsed).total_seconds()


def schedule_period_now(*, profile: InstalledChargingProfile, now: datetime | None = None) -> dict | None:
    """The profile's schedule period (as sent) in effect at `now`, or None for a schedule without periods."""
    periods = sorted(profile.schedule.get("chargingSchedulePeriod") or [], key=lambda p: p.get("startPeriod", 0))
    if not periods:
        return None
    elapsed = _elapsed(profile, now or timezone.now())
    return ([p for p in periods if p.get("startPeriod", 0) <= elapsed] or periods[:1])[-1]


def period_kilowatts(*, charger: Charger, period: dict, unit: str) -> float | None:
    """The period's limit in kW: amperes per phase times the charger's voltage and the period's phases (the
    charger's when the period names none)."""
    limit = period.get("limit")
    if limit is None:
        return None
    watts = limit if unit == "W" else limit * charger.voltage * (period.get("numberPhases") or charger.phases)
    return round(watts / 1000, 1)
