"""Smart charging as a charger keeps it: installed charging profiles, the limit they set at any
moment, and the composite schedule over a window.

Profiles are kept in OCPP 1.6's shape as the `ocpp` library hands them over (snake_case dicts);
the 2.0.1 simulator converts its profiles to that shape. Limits are worked out in amps per
phase and converted at the edges.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from simulator.clock import parse_time
from simulator.meter import Outlet

CHARGE_POINT_MAX = "ChargePointMaxProfile"
TX_DEFAULT = "TxDefaultProfile"
TX = "TxProfile"


def _kept(name: str) -> property:
    return property(lambda installed: installed.profile[name])


@dataclass
class Installed:
    connector_id: int
    profile: dict

    id = _kept("charging_profile_id")
    purpose = _kept("charging_profile_purpose")
    stack_level = _kept("stack_level")
    schedule = _kept("charging_schedule")


class ChargingProfiles:
    def __init__(self) -> None:
        self.installed: list[Installed] = []

    def install(self, connector_id: int, profile: dict) -> None:
        """A profile replaces one with the same id, or with the same stack level and purpose on the connector."""
        self.installed = [
            p
            for p in self.installed
            if p.id != profile["charging_profile_id"]
            and not (
                p.connector_id == connector_id
                and p.stack_level == profile["stack_level"]
                and p.purpose == profile["charging_profile_purpose"]
            )
        ]
        self.installed.append(Installed(connector_id, profile))

    def clear(
        self,
        *,
        id: int | None = None,
        connector_id: int | None = None,
        purpose: str | None = None,
        stack_level: int | None = None,
    ) -> int:
        """Remove the profile with `id`, or else every profile matching the criteria given; returns how many."""

        def matches(p: Installed) -> bool:
            if id is not None:
                return p.id == id
            return (
                (connector_id is None or p.connector_id == connector_id)
                and (purpose is None or p.purpose == purpose)
                and (stack_level is None or p.stack_level == stack_level)
            )

        kept = [p for p in self.installed if not matches(p)]
        removed = len(self.installed) - len(kept)
        self.installed = kept
        return removed

    def limit_at(
        self,
        when: datetime,
        *,
        connector_id: int,
        outlet: Outlet,
        transaction_id: int | str | None = None,
        transaction_start: datetime | None = None,
    ) -> float:
        """The current (A per phase) the connector may draw at `when`; connector 0 means the whole charger."""
        start = transaction_start or when

        def best(purpose: str, connectors: set[int]) -> float | None:
            candidates = [p for p in self.installed if p.purpose == purpose and p.connector_id in connectors]
            if purpose == TX:
                tx_id = transaction_id
                candidates = [p for p in candidates if p.profile.get("transaction_id") in (None, tx_id)]
            # The highest stack level wins; a connector's own profile beats the charger-wide one.
            candidates.sort(key=lambda p: (p.stack_level, p.connector_id != 0), reverse=True)
            for candidate in candidates:
                amps = _profile_limit(candidate, when, start, outlet)
                if amps is not None:
                    return amps
            return None

        limits = [best(CHARGE_POINT_MAX, {0})]
        if connector_id > 0:
            tx = best(TX, {connector_id}) if transaction_id is not None else None
            limits.append(tx if tx is not None else best(TX_DEFAULT, {0, connector_id}))
        limits.append(outlet.max_current_a)
        return min(limit for limit in limits if limit is not None)

    def composite(
        self,
        *,
        connector_id: int,
        start: datetime,
        duration: int,
        unit: str,
        outlet: Outlet,
        transaction_id: int | str | None = None,
        transaction_start: datetime | None = None,
    ) -> list[dict]:
        """The periods (snake_case, as the `ocpp` library sends them) the connector will follow from `start`."""
        periods: list[dict] = []
        # Without a session, a Relative schedule is reported as if one started now.
        transaction_start = transaction_start or start
        for moment in sorted(self.breakpoints(start, start + timedelta(seconds=duration), transaction_start)):
            amps = self.limit_at(
                moment,
                connector_id=connector_id,
                outlet=outlet,
                transaction_id=transaction_id,
                transaction_start=transaction_start,
            )
            period = {
                "start_period": int((moment - start).total_seconds()),
                "limit": round(outlet.in_unit(amps, unit), 1),
            }
            if periods and periods[-1]["start_period"] == period["start_period"]:
                periods.pop()
            if not periods or periods[-1]["limit"] != period["limit"]:
                periods.append(period)
        return periods

    def breakpoints(self, window_start: datetime, window_end: datetime, transaction_start: datetime | None) -> set:
        """Every moment in the window at which some profile's limit may change."""
        moments = {window_start}
        for installed in self.installed:
            profile, schedule = installed.profile, installed.schedule
            for edge in (parse_time(profile.get("valid_from")), parse_time(profile.get("valid_to"))):
                if edge:
                    moments.add(edge)
            for start in _schedule_starts(installed, window_start, window_end, transaction_start or window_start):
                moments.update(
                    start + timedelta(seconds=p["start_period"]) for p in schedule["charging_schedule_period"]
                )
                if schedule.get("duration") is not None:
                    moments.add(start + timedelta(seconds=schedule["duration"]))
        return {m for m in moments if window_start <= m < window_end}


def _schedule_starts(installed: Installed, window_start: datetime, window_end: datetime, transaction_start: datetime):
    kind = installed.profile["charging_profile_kind"]
    if kind == "Relative":
        return [transaction_start]
    start = parse_time(installed.schedule.get("start_schedule")) or transaction_start
    if kind != "Recurring":
        return [start]
    step = timedelta(days=7 if installed.profile.get("recurrency_kind") == "Weekly" else 1)
    if start < window_start:
        start += step * ((window_start - start) // step)
    starts = []
    while start < window_end:
        starts.append(start)
        start += step
    return starts


def _profile_limit(installed: Installed, when: datetime, transaction_start: datetime, outlet: Outlet) -> float | None:
    profile, schedule = installed.profile, installed.schedule
    valid_from, valid_to = parse_time(profile.get("valid_from")), parse_time(profile.get("valid_to"))
    if (valid_from and when < valid_from) or (valid_to and when >= valid_to):
        return None
    starts = [s for s in _schedule_starts(installed, when, when + timedelta(seconds=1), transaction_start) if s <= when]
    if not starts:
        return None
    offset = (when - starts[-1]).total_seconds()
    duration = schedule.get("duration")
    if duration is not None and offset >= duration:
        return None
    current = None
    for period in sorted(schedule["charging_schedule_period"], key=lambda p: p["start_period"]):
        if period["start_period"] <= offset:
            current = period
    if current is None:
        return None
    return outlet.amps(float(current["limit"]), schedule["charging_rate_unit"], current.get("number_phases"))
