"""A connector's electrics: the current the car draws and the energy register it turns."""

import time
from dataclasses import dataclass, field

VOLTAGE_V = 230.0


@dataclass
class Outlet:
    max_current_a: float = 32.0
    phases: int = 3
    register_wh: float = 0.0
    current_a: float = 0.0
    _since: float = field(default_factory=time.monotonic, repr=False)

    @property
    def power_w(self) -> float:
        return self.current_a * VOLTAGE_V * self.phases

    def advance(self) -> float:
        """Add the energy drawn since the last reading to the register; returns the register in Wh."""
        now = time.monotonic()
        self.register_wh += self.power_w * (now - self._since) / 3600
        self._since = now
        return self.register_wh

    def readings(self) -> dict[str, tuple[float, str]]:
        """Each measurand's value now, with its unit."""
        return {
            "Energy.Active.Import.Register": (int(self.advance()), "Wh"),
            "Power.Active.Import": (round(self.power_w), "W"),
            "Current.Import": (round(self.current_a, 1), "A"),
            "Voltage": (VOLTAGE_V, "V"),
        }

    def draw(self, current_a: float) -> None:
        self.advance()
        self.current_a = max(0.0, min(current_a, self.max_current_a))

    def amps(self, limit: float, unit: str, phases: int | None = None) -> float:
        """A charging-schedule limit (A or W) in amps per phase on this outlet."""
        if unit == "W":
            return limit / (VOLTAGE_V * (phases or self.phases))
        return limit

    def in_unit(self, amps: float, unit: str) -> float:
        return amps * VOLTAGE_V * self.phases if unit == "W" else amps
