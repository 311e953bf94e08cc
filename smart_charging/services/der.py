"""OCPP 2.1 grid support: what chargers report of their DER (distributed energy resource) controls, and the
dynamic schedule updates chargers pull for their Dynamic charging profiles."""

from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from smart_charging.models import DEREvent, InstalledChargingProfile

# The figures of a schedule period that a dynamic schedule update carries.
UPDATE_FIELDS = (
    "limit", "limit_L2", "limit_L3", "dischargeLimit", "dischargeLimit_L2", "dischargeLimit_L3",
    "setpoint", "setpoint_L2", "setpoint_L3", "setpointReactive", "setpointReactive_L2", "setpointReactive_L3",
)  # fmt: skip


def der_event_record(
    *, charger_id: int, action: str, payload: dict, control: str = "", state: str = "", timestamp: datetime | None
) -> DEREvent:
    return DEREvent.objects.create(
        charger_id=charger_id,
        action=action,
        control=control[:36],
        state=state[:20],
        timestamp=timestamp,
        payload=payload,
    )


def dynamic_schedule_update(*, charger_id: int, profile_id: int, now: datetime | None = None) -> dict | None:
    """The figures of the named profile's period in effect now, or None for a profile the charger does not hold."""
    profile = InstalledChargingProfile.objects.filter(charger_id=charger_id, profile_id=profile_id).first()
    if profile is None:
        return None
    schedule = profile.schedule
    periods = schedule.get("chargingSchedulePeriod") or []
    if not periods:
        return None
    start = parse_datetime(schedule["startSchedule"]) if schedule.get("startSchedule") else profile.installed_at
    elapsed = ((now or timezone.now()) - start).total_seconds()
    current = [p for p in periods if p.get("startPeriod", 0) <= elapsed] or periods[:1]
    return {name: current[-1][name] for name in UPDATE_FIELDS if current[-1].get(name) is not None}
