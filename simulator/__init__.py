"""Simulated chargers for demos, tests, the benchmark and operators checking an installation.

What a charger does whatever OCPP version it speaks lives once, by concept: its connection and
life cycle (`charger`), connectors and sessions (`connectors`, `sessions`), `authorization`,
`reservations`, `smart_charging` with the profile arithmetic (`charging_profiles`), `firmware`,
the clock and the energy meter. Each version's module (`v16`, `v201` and its `v201_*` parts)
says it in that version's messages; `v21` is the 2.0.1 station with what 2.1 adds. A client of the
CSMS: it imports nothing of the server.
"""

from simulator.charger import Identity
from simulator.connection import ConnectionRefused
from simulator.v16 import ChargingSession, SimulatedCharger
from simulator.v21 import SimulatedCharger21
from simulator.v201 import SimulatedCharger201

# The simulated charger for each OCPP version, by the name `simulate_charger --ocpp` takes.
SIMULATORS = {"1.6": SimulatedCharger, "2.0.1": SimulatedCharger201, "2.1": SimulatedCharger21}

__all__ = [
    "SIMULATORS", "ChargingSession", "ConnectionRefused", "Identity", "SimulatedCharger", "SimulatedCharger201",
    "SimulatedCharger21",
]  # fmt: skip
