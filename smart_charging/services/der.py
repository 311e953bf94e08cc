"""OCPP 2.1 grid support: what chargers report of their DER (distributed energy resource) controls, and the
dynamic schedule updates chargers pull for their Dynamic charging profiles."""

from datetime import datetime

from smart_charging.models import DEREvent, InstalledChargingProfile
from smart_charging.services.schedules import schedule_period_now

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
    period = schedule_period_now(profile=profile, now=now) if profile is not None else None
    if period is None:
        return None
    return {name: period[name] for name in UPDATE_FIELDS if period.get(name) is not None}
