"""Simulated chargers for demos, tests, the benchmark and operators checking an installation.

One module per OCPP version (`v16`); the pieces every version shares (opening the socket,
the energy meter) live beside them.
"""

from ocpp_ws.simulator.connection import ConnectionRefused
from ocpp_ws.simulator.v16 import ChargingSession, Identity, SimulatedCharger

__all__ = ["ChargingSession", "ConnectionRefused", "Identity", "SimulatedCharger"]
