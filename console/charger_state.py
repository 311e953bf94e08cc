"""What a charger's page shows first: its connectors with their sessions, the power limits it holds,
its reservations and its share of the site. A selector: reads only."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from chargers.models import Charger, Connector
from charging.models import Reservation, Transaction
from smart_charging.models import InstalledChargingProfile
from smart_charging.services.load_balancing import Share, site_allocation


@dataclass
class ConnectorState:
    connector: Connector
    api_connector_id: int  # what the command API calls it: 2.0.1's EVSE, 1.6's connector
    session: Transaction | None


@dataclass
class ProfileState:
    profile: InstalledChargingProfile
    limit: float | None  # in effect now, in `unit`
    unit: str
    kw: float | None  # the same in kW


@dataclass
class ChargerState:
    connectors: list[ConnectorState]
    profiles: list[ProfileState]
    reservations: list[Reservation]
    shares: list[Share]  # this charger's sessions' shares of its site

    @property
    def power_limit(self) -> ProfileState | None:
        """The tightest limit in effect now among the profiles it holds."""
        limited = [p for p in self.profiles if p.kw is not None]
        return min(limited, key=lambda p: p.kw) if limited else None


def limit_now(schedule: dict, now: datetime) -> float | None:
    """The limit of the schedule's period in effect at `now` (its first, for a schedule without a start)."""
    periods = sorted(schedule.get("chargingSchedulePeriod") or [], key=lambda p: p.get("startPeriod", 0))
    if not periods:
        return None
    start = parse_datetime(schedule.get("startSchedule") or "")
    offset = (now - start).total_seconds() if start else 0
    begun = [p for p in periods if p.get("startPeriod", 0) <= offset] or periods[:1]
    return begun[-1].get("limit")


def kilowatts(charger: Charger, limit: float, unit: str) -> float:
    watts = limit if unit == "W" else limit * charger.voltage * charger.phases
    return round(watts / 1000, 1)


def charger_state(*, charger: Charger, now: datetime | None = None) -> ChargerState:
    now = now or timezone.now()
    sessions = {(t.evse_id, t.connector_id): t for t in charger.transactions.filter(stop_time__isnull=True)}
    connectors = [
        ConnectorState(connector=c, api_connector_id=c.evse or c.connector_id,
                       session=sessions.get((c.evse_id, c.connector_id)))
        for c in charger.connectors.filter(connector_id__gt=0).order_by("evse_id", "connector_id")
    ]  # fmt: skip
    profiles = []
    for profile in InstalledChargingProfile.objects.filter(charger=charger):
        if profile.valid_to and profile.valid_to < now:
            continue
        unit = profile.schedule.get("chargingRateUnit", "A")
        limit = limit_now(profile.schedule, now)
        kw = kilowatts(charger, limit, unit) if limit is not None else None
        profiles.append(ProfileState(profile=profile, limit=limit, unit=unit, kw=kw))
    reservations = list(charger.reservations.filter(status=Reservation.Status.ACTIVE).order_by("expiry_date"))
    shares = [s for s in site_allocation(site=charger.site) if s.charger.pk == charger.pk] if charger.site else []
    return ChargerState(connectors=connectors, profiles=profiles, reservations=reservations, shares=shares)
