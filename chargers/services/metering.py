"""Meter values as the charger sampled them, and the energy figures derived from them."""

from dataclasses import dataclass
from datetime import datetime

from chargers import statements
from chargers.models import MeterValue

ENERGY_REGISTER = "Energy.Active.Import.Register"


@dataclass(frozen=True)
class Sample:
    timestamp: datetime
    value: str
    measurand: str = ENERGY_REGISTER
    unit: str = ""
    phase: str = ""
    context: str = ""
    location: str = ""
    format: str = ""


def _numeric(value: str) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def samples_record(
    *,
    charger_id: int,
    connector_id: int,
    samples: list[Sample],
    transaction_id: int | None,
    reported_transaction_id: str = "",
    evse_id: int | None = None,
) -> int:
    """Store sampled values as reported; `transaction_id` is our Transaction's id, if known."""
    statements.insert(
        MeterValue,
        [
            {
                "charger_id": charger_id,
                "evse_id": connector_id if evse_id is None else evse_id,
                "connector_id": connector_id,
                "transaction_id": transaction_id,
                "reported_transaction_id": reported_transaction_id,
                "timestamp": s.timestamp,
                "value": s.value,
                "numeric": _numeric(s.value),
                "measurand": s.measurand or ENERGY_REGISTER,
                "unit": s.unit,
                "phase": s.phase,
                "context": s.context,
                "location": s.location,
                "format": s.format,
            }
            for s in samples
        ],
    )
    return len(samples)


def energy_register_wh(sample_value: float, unit: str) -> float:
    """Energy.Active.Import.Register in Wh, whatever unit the charger used."""
    return sample_value * 1000 if unit == "kWh" else sample_value
