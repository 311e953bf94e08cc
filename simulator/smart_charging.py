"""Smart charging as every simulated charger does it: profiles installed and cleared, and the
composite schedule of a connector (0: the whole charger) over a window.

Mixed into each version's charger, which checks a profile against its own limits and answers in
its own words.
"""

from datetime import datetime

from simulator.clock import now
from simulator.meter import Outlet


class SmartCharging:
    def _install_profile(self, connector_id: int, profile: dict) -> str:
        """Install a profile (in the shape `charging_profiles.py` keeps) and follow it at once."""
        self.profiles.install(connector_id, profile)
        connector = self.connectors.get(connector_id)
        for each in [connector] if connector else self.connectors.values():
            self._follow_limit(each)
        return "Accepted"

    def _clear_profiles(self, **criteria) -> str:
        removed = self.profiles.clear(**criteria)
        for connector in self.connectors.values():
            self._follow_limit(connector)
        return "Accepted" if removed else "Unknown"

    def _composite(self, connector_id: int, duration: int, unit: str) -> tuple[datetime, dict]:
        """The connector's composite schedule from now: (its start, its duration, unit and periods)."""
        start = now().replace(microsecond=0)
        if connector_id == 0:
            outlet = Outlet(max_current_a=sum(c.outlet.max_current_a for c in self.connectors.values()))
            session = None
        else:
            outlet, session = self.connectors[connector_id].outlet, self.connectors[connector_id].session
        if session is not None and session.remote:
            session = None
        periods = self.profiles.composite(
            connector_id=connector_id,
            start=start,
            duration=duration,
            unit=unit,
            outlet=outlet,
            transaction_id=session.transaction_id if session else None,
            transaction_start=session.started_at if session else None,
        )
        return start, {"duration": duration, "charging_rate_unit": unit, "charging_schedule_period": periods}
