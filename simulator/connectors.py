"""Where a car plugs in, as every simulated charger keeps it: the connector (a 2.0.1 EVSE, with one
connector), its electrics, its availability, its reservation and the session on it."""

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from simulator.meter import Outlet


@dataclass
class Reservation:
    reservation_id: int
    id_tag: str
    parent_id_tag: str | None
    expiry: datetime

    def admits(self, id_tag: str) -> bool:
        return id_tag in (self.id_tag, self.parent_id_tag)


@dataclass(kw_only=True)
class Session:
    """What every version's session knows; each version adds how it names the session and its id tag."""

    meter_start: int
    started_at: datetime
    reservation_id: int | None = None
    id_tag_status: str = ""
    meter_stop: int | None = None
    stop_reason: str = ""
    charging: bool = False
    remote: bool = False  # claimed by a remote start, not started yet
    stopped: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def energy_wh(self) -> int | None:
        return None if self.meter_stop is None else self.meter_stop - self.meter_start


@dataclass
class Connector:
    id: int
    outlet: Outlet = field(default_factory=Outlet)
    operative: bool = True
    scheduled_operative: bool | None = None  # an availability change waiting for the session to end
    reservation: Reservation | None = None
    session: Session | None = None
    reported_status: str = ""

    def settle_availability(self) -> None:
        """Once the session is over, the availability change it held back."""
        if self.scheduled_operative is not None:
            self.operative, self.scheduled_operative = self.scheduled_operative, None

    def change_availability(self, operative: bool) -> bool:
        """Whether the change waits for the session to end."""
        if self.session is not None and self.operative != operative:
            self.scheduled_operative = operative
            return True
        self.operative = operative
        return False
