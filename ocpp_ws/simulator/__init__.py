"""Simulated chargers for demos, tests, the benchmark and operators checking an installation.

One module per OCPP version (`v16`, `v201`); the pieces every version shares (the charger's
connection and life cycle, the clock, the energy meter, charging profiles) live beside them.
"""

from ocpp_ws.simulator.charger import Identity
from ocpp_ws.simulator.connection import ConnectionRefused
from ocpp_ws.simulator.v16 import ChargingSession, SimulatedCharger

__all__ = ["ChargingSession", "ConnectionRefused", "Identity", "SimulatedCharger"]
