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


# OCPP 2.0.1 connector types (ConnectorEnumType) by the current they carry; others (cTesla, Pan, ...) say neither.
CONNECTOR_CURRENT = {"cCCS1": "DC", "cCCS2": "DC", "cG105": "DC", "cType1": "AC", "cType2": "AC", "sType2": "AC",
                     "sType3": "AC", "s309-1P-16A": "AC", "s309-1P-32A": "AC", "s309-3P-16A": "AC",
                     "s309-3P-32A": "AC", "sBS1361": "AC", "sCEE-7-7": "AC", "Other1PhMax16A": "AC",
                     "Other1PhOver16A": "AC", "Other3Ph": "AC"}  # fmt: skip


def current_type(*, charger_id: int, evse_id: int = 0) -> str | None:
    """What an EVSE (0: every EVSE of the station) delivers, "AC" or "DC", as the device model says: from its and
    its connectors' SupplyPhases (0: DC) and ConnectorType. None when it says nothing, or says both."""
    rows = DeviceVariable.objects.filter(
        charger_id=charger_id, attribute_type="Actual", component__in=("EVSE", "Connector"),
        variable__in=("SupplyPhases", "ConnectorType"),
    )  # fmt: skip
    if evse_id:
        rows = rows.filter(evse_id=evse_id)
    said = set()
    for variable, value in rows.values_list("variable", "value"):
        if variable == "ConnectorType":
            said.add(CONNECTOR_CURRENT.get(value))
        elif value.strip().isdigit():
            said.add("DC" if int(value) == 0 else "AC")
    said.discard(None)
    return said.pop() if len(said) == 1 else None


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
