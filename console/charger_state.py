"""What a charger's page shows first: its connectors with their sessions, the power limits it holds,
its reservations and its share of the site. A selector: reads only."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from chargers.models import Charger, Connector
from charging.models import Reservation, Transaction
from smart_charging.models import InstalledChargingProfile
from smart_charging.services.load_balancing import Share, site_allocation
from smart_charging.services.schedules import period_kilowatts, schedule_period_now


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
        period = schedule_period_now(profile=profile, now=now) or {}
        kw = period_kilowatts(charger=charger, period=period, unit=unit)
        profiles.append(ProfileState(profile=profile, limit=period.get("limit"), unit=unit, kw=kw))
    reservations = list(charger.reservations.filter(status=Reservation.Status.ACTIVE).order_by("expiry_date"))
    shares = [s for s in site_allocation(site=charger.site) if s.charger.pk == charger.pk] if charger.site else []
    return ChargerState(connectors=connectors, profiles=profiles, reservations=reservations, shares=shares)
