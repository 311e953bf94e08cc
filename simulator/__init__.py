"""Simulated chargers for demos, tests, the benchmark and operators checking an installation.

One module per OCPP version (`v16`, `v201`); the pieces every version shares (the charger's
connection and life cycle, the clock, the energy meter, charging profiles) live beside them.
"""

from simulator.charger import Identity
from simulator.connection import ConnectionRefused
from simulator.v16 import ChargingSession, SimulatedCharger
from simulator.v201 import SimulatedCharger201

# The simulated charger for each OCPP version, by the name `simulate_charger --ocpp` takes.
SIMULATORS = {"1.6": SimulatedCharger, "2.0.1": SimulatedCharger201}

__all__ = ["SIMULATORS", "ChargingSession", "ConnectionRefused", "Identity", "SimulatedCharger", "SimulatedCharger201"]
