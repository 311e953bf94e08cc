"""The OCPP 2.0.1 device model: components and variables as the charger reports them (NotifyReport,
GetVariables), one row per attribute, the last report winning."""

from dataclasses import dataclass, field

from django.utils import timezone

from chargers.models import DEVICE_VARIABLE_KEY, DeviceVariable

CHARACTERISTICS = ("minLimit", "maxLimit", "valuesList", "supportsMonitoring")


@dataclass(frozen=True)
class Attribute:
    component: str
    variable: str
    component_instance: str = ""
    evse_id: int = 0
    connector_id: int = 0
    variable_instance: str = ""
    attribute_type: str = "Actual"
    value: str | None = None
    mutability: str = ""
    persistent: bool | None = None
    constant: bool | None = None
    data_type: str = ""
    unit: str = ""
    characteristics: dict = field(default_factory=dict)


def device_variables_record(*, charger_id: int, attributes: list[Attribute], request_id: int | None = None) -> int:
    """Store reported attributes (one part of a report, or values read); returns how many."""
    now = timezone.now()
    for a in attributes:
        key = {name: getattr(a, name) for name in DEVICE_VARIABLE_KEY}
        described = {
            name: getattr(a, name)
            for name in ("mutability", "persistent", "constant", "data_type", "unit", "characteristics")
            if getattr(a, name) not in ("", None, {})
        }
        if a.value is not None:
            described["value"] = a.value
        DeviceVariable.objects.update_or_create(
            charger_id=charger_id,
            **key,
            defaults={**described, "report_request_id": request_id, "updated_at": now},
        )
    return len(attributes)
