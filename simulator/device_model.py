"""An OCPP 2.0.1 charging station's device model, kept in memory: components and their variables,
read and written by Get/SetVariables, reported by NotifyReport and watched by monitors.

Components and variables travel as the `ocpp` library hands them over (snake_case dicts):
`{"name": "EVSE", "instance": ..., "evse": {"id": 1, "connector_id": 1}}` and
`{"name": "Power", "instance": ...}`. Only the Actual attribute is kept.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

MEASURANDS = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage"
SAMPLED = "Energy.Active.Import.Register,Power.Active.Import,Current.Import"
AVAILABILITY = "Available,Occupied,Reserved,Unavailable,Faulted"
SUMMARY = {"AvailabilityState", "Available", "Problem"}  # what a SummaryInventory reports
MONITOR_TYPES = {"UpperThreshold", "LowerThreshold", "Delta"}


@dataclass
class Variable:
    component: str
    name: str
    value: str = ""
    data_type: str = (
        "string"  # string | decimal | integer | dateTime | boolean | OptionList | SequenceList | MemberList
    )
    mutability: str = "ReadOnly"
    evse: int | None = None
    connector: int | None = None
    component_instance: str | None = None
    instance: str | None = None
    unit: str | None = None
    values_list: str | None = None
    min_limit: float | None = None
    max_limit: float | None = None
    supports_monitoring: bool = False
    read: Callable[[], str] | None = field(default=None, repr=False)  # a live value (power, availability)

    @property
    def actual(self) -> str:
        return self.read() if self.read else self.value

    @property
    def key(self) -> str:
        """`Component[instance].Variable[instance]`, with `@evse/connector` for an EVSE's component."""
        where = "" if self.evse is None else f"@{self.evse}" + ("" if self.connector is None else f"/{self.connector}")
        return (
            self.component
            + (f"[{self.component_instance}]" if self.component_instance else "")
            + where
            + f".{self.name}"
            + (f"[{self.instance}]" if self.instance else "")
        )

    def component_dict(self) -> dict:
        component = {"name": self.component}
        if self.component_instance:
            component["instance"] = self.component_instance
        if self.evse is not None:
            component["evse"] = {"id": self.evse} | ({} if self.connector is None else {"connector_id": self.connector})
        return component

    def variable_dict(self) -> dict:
        return {"name": self.name} | ({"instance": self.instance} if self.instance else {})

    def report(self) -> dict:
        """ReportDataType for NotifyReport."""
        attribute = {"type": "Actual", "mutability": self.mutability, "persistent": True, "constant": False}
        if self.mutability != "WriteOnly":
            attribute["value"] = self.actual
        characteristics = {"data_type": self.data_type, "supports_monitoring": self.supports_monitoring}
        for name in ("unit", "values_list", "min_limit", "max_limit"):
            if getattr(self, name) is not None:
                characteristics[name] = getattr(self, name)
        return {
            "component": self.component_dict(),
            "variable": self.variable_dict(),
            "variable_attribute": [attribute],
            "variable_characteristics": characteristics,
        }

    def accepts(self, value: str) -> bool:
        """Whether `value` is a valid Actual value for this variable's data type and limits."""
        if self.data_type in ("integer", "decimal"):
            if not re.fullmatch(r"-?\d+" if self.data_type == "integer" else r"-?\d+(\.\d+)?", value):
                return False
            number = float(value)
            return (self.min_limit is None or number >= self.min_limit) and (
                self.max_limit is None or number <= self.max_limit
            )
        if self.data_type == "boolean":
            return value in ("true", "false")
        if self.data_type == "dateTime":
            try:
                datetime.fromisoformat(value)
            except ValueError:
                return False
            return True
        allowed = (self.values_list or "").split(",")
        if self.data_type == "OptionList":
            return value in allowed
        if self.data_type in ("MemberList", "SequenceList"):
            members = [m for m in value.split(",") if m]
            return len(members) == len(set(members)) and all(m in allowed for m in members)
        return len(value) <= (self.max_limit or 1000)


@dataclass
class Monitor:
    id: int
    variable: Variable
    type: str
    value: float
    severity: int
    transaction: bool = False
    tripped: bool = False
    last: float | None = None  # the value a Delta monitor measures from

    def crosses(self, actual: float) -> bool | None:
        """True when the monitor trips on `actual`, False when it clears, None when nothing changes."""
        if self.type == "Delta":
            if self.last is None:
                self.last = actual
                return None
            if abs(actual - self.last) < self.value:
                return None
            self.last = actual
            return True
        beyond = actual > self.value if self.type == "UpperThreshold" else actual < self.value
        if beyond == self.tripped:
            return None
        self.tripped = beyond
        return beyond


class DeviceModel:
    def __init__(self, variables: list[Variable]):
        self.variables = variables
        self.monitors: dict[int, Monitor] = {}
        self._next_monitor_id = 1

    def __getitem__(self, key: str) -> Variable:
        """A station-level variable by `Component.Variable`."""
        component, name = key.split(".")
        found = self.find({"name": component}, {"name": name})
        if isinstance(found, str):
            raise KeyError(key)
        return found

    def flag(self, key: str) -> bool:
        return self[key].actual == "true"

    def enabled(self, component: str) -> bool:
        return self.flag(f"{component}.Enabled")

    def integer(self, key: str) -> int:
        return int(self[key].actual)

    def members(self, key: str) -> list[str]:
        return [m for m in self[key].actual.split(",") if m]

    def items_per_message(self, action: str) -> int:
        return int(self.find({"name": "DeviceDataCtrlr"}, {"name": "ItemsPerMessage", "instance": action}).actual)

    def evse_variable(self, component: str, name: str, evse: int) -> Variable | None:
        for variable in self.variables:
            if (variable.component, variable.name, variable.evse) == (component, name, evse):
                return variable
        return None

    # Finding variables as the CSMS names them.

    def find(self, component: dict, variable: dict) -> Variable | str:
        """The variable, or the attribute status saying why there is none (UnknownComponent/UnknownVariable)."""
        evse = component.get("evse") or {}
        same_component = [
            v
            for v in self.variables
            if v.component == component["name"]
            and v.component_instance == component.get("instance")
            and v.evse == evse.get("id")
            and v.connector == evse.get("connector_id")
        ]
        if not same_component:
            return "UnknownComponent"
        for candidate in same_component:
            if candidate.name == variable["name"] and candidate.instance == variable.get("instance"):
                return candidate
        return "UnknownVariable"

    def select(self, component_variables: list[dict] | None, criteria: list[str] | None) -> list[Variable]:
        """The variables a GetReport asks for: a component without `evse` means all its instances,
        one without `variable` all its variables; criteria keep the components Active, Available,
        Enabled or with a Problem."""
        chosen = self.variables
        if component_variables:
            chosen = [v for v in chosen if any(_wanted(v, cv) for cv in component_variables)]
        if criteria:
            passing = {
                (v.component, v.component_instance, v.evse, v.connector)
                for v in self.variables
                if v.name in criteria and v.actual == "true"
            }
            chosen = [v for v in chosen if (v.component, v.component_instance, v.evse, v.connector) in passing]
        return chosen

    def inventory(self, report_base: str) -> list[Variable]:
        if report_base == "ConfigurationInventory":
            return [v for v in self.variables if v.mutability != "ReadOnly"]
        if report_base == "SummaryInventory":
            return [v for v in self.variables if v.name in SUMMARY]
        return list(self.variables)

    # GetVariables / SetVariables.

    def get(self, request: dict) -> dict:
        """GetVariableResultType for one GetVariableDataType."""
        result = {"component": request["component"], "variable": request["variable"]}
        found = self.find(request["component"], request["variable"])
        attribute_type = request.get("attribute_type", "Actual")
        if isinstance(found, str):
            return result | {"attribute_status": found}
        if attribute_type != "Actual":
            return result | {"attribute_status": "NotSupportedAttributeType", "attribute_type": attribute_type}
        if found.mutability == "WriteOnly":
            return result | {"attribute_status": "Rejected"}
        return result | {"attribute_status": "Accepted", "attribute_type": "Actual", "attribute_value": found.actual}

    def set(self, request: dict) -> tuple[dict, Variable | None]:
        """SetVariableResultType for one SetVariableDataType, and the variable it changed."""
        result = {"component": request["component"], "variable": request["variable"]}
        found = self.find(request["component"], request["variable"])
        attribute_type = request.get("attribute_type", "Actual")
        if isinstance(found, str):
            return result | {"attribute_status": found}, None
        if attribute_type != "Actual":
            return result | {"attribute_status": "NotSupportedAttributeType", "attribute_type": attribute_type}, None
        value = request["attribute_value"]
        if found.mutability == "ReadOnly" or found.read is not None or not found.accepts(value):
            return result | {"attribute_status": "Rejected", "attribute_type": "Actual"}, None
        found.value = value
        return result | {"attribute_status": "Accepted", "attribute_type": "Actual"}, found

    # Monitoring.

    def monitor_set(self, request: dict) -> dict:
        """SetMonitoringResultType for one SetMonitoringDataType."""
        result = {
            "type": request["type"],
            "severity": request["severity"],
            "component": request["component"],
            "variable": request["variable"],
        }
        found = self.find(request["component"], request["variable"])
        if isinstance(found, str):
            return result | {"status": found}
        if request["type"] not in MONITOR_TYPES:
            return result | {"status": "UnsupportedMonitorType"}
        if not found.supports_monitoring or (request.get("id") is not None and request["id"] not in self.monitors):
            return result | {"status": "Rejected"}
        for monitor in self.monitors.values():
            same = (monitor.variable, monitor.type, monitor.severity) == (found, request["type"], request["severity"])
            if same and monitor.id != request.get("id"):
                return result | {"status": "Duplicate", "id": monitor.id}
        monitor_id = request.get("id")
        if monitor_id is None:
            monitor_id, self._next_monitor_id = self._next_monitor_id, self._next_monitor_id + 1
        self.monitors[monitor_id] = Monitor(
            monitor_id,
            found,
            request["type"],
            float(request["value"]),
            request["severity"],
            bool(request.get("transaction")),
        )
        return result | {"status": "Accepted", "id": monitor_id}

    def monitor_clear(self, monitor_id: int) -> dict:
        return {"id": monitor_id, "status": "Accepted" if self.monitors.pop(monitor_id, None) else "NotFound"}

    def monitor_events(self, variable: Variable) -> list[tuple[Monitor, bool]]:
        """The monitors on `variable` that trip (True) or clear (False) at its present value."""
        changes = []
        for monitor in self.monitors.values():
            if monitor.variable is variable:
                crossed = monitor.crosses(float(variable.actual))
                if crossed is not None:
                    changes.append((monitor, crossed))
        return changes


def _wanted(variable: Variable, asked: dict) -> bool:
    component = asked["component"]
    evse = component.get("evse")
    if variable.component != component["name"] or variable.component_instance != component.get("instance"):
        return False
    if evse is not None and (variable.evse, variable.connector) != (evse["id"], evse.get("connector_id")):
        return False
    wanted = asked.get("variable")
    return wanted is None or (variable.name, variable.instance) == (wanted["name"], wanted.get("instance"))


def station_variables(*, evses: int, meter_interval: int, identity, charge_box_id: str) -> list[Variable]:
    """A realistic 2.0.1 device model for a station with EVSEs 1..N, one connector each."""

    def rw(component, name, value, data_type, **more):
        return Variable(component, name, value, data_type, "ReadWrite", **more)

    def ro(component, name, value, data_type="string", **more):
        return Variable(component, name, value, data_type, "ReadOnly", **more)

    variables = [
        ro("ChargingStation", "AvailabilityState", "Available", "OptionList", values_list=AVAILABILITY),
        ro("ChargingStation", "Available", "true", "boolean"),
        ro("ChargingStation", "Model", identity.model),
        ro("ChargingStation", "VendorName", identity.vendor),
        ro("ChargingStation", "SupplyPhases", "3", "integer"),
        rw("OCPPCommCtrlr", "HeartbeatInterval", "300", "integer", unit="s", min_limit=0),
        ro("OCPPCommCtrlr", "MessageTimeout", "30", "integer", instance="Default", unit="s"),
        rw("OCPPCommCtrlr", "OfflineThreshold", "60", "integer", unit="s", min_limit=0),
        rw("OCPPCommCtrlr", "ResetRetries", "2", "integer", min_limit=0),
        ro("DeviceDataCtrlr", "ItemsPerMessage", "20", "integer", instance="GetReport"),
        ro("DeviceDataCtrlr", "ItemsPerMessage", "50", "integer", instance="GetVariables"),
        ro("DeviceDataCtrlr", "ItemsPerMessage", "50", "integer", instance="SetVariables"),
        ro("ClockCtrlr", "DateTime", "", "dateTime"),
        rw("ClockCtrlr", "TimeSource", "Heartbeat", "SequenceList", values_list="Heartbeat,NTP,RealTimeClock"),
        ro("SecurityCtrlr", "Identity", charge_box_id),
        ro("SecurityCtrlr", "SecurityProfile", "1", "integer"),
        Variable("SecurityCtrlr", "BasicAuthPassword", "", "string", "WriteOnly"),
        rw("SecurityCtrlr", "OrganizationName", "", "string"),
        rw("OCPPCommCtrlr", "NetworkConfigurationPriority", "1", "string"),
        rw("AuthCtrlr", "Enabled", "true", "boolean"),
        rw("AuthCtrlr", "AuthorizeRemoteStart", "false", "boolean"),
        rw("AuthCtrlr", "LocalAuthorizeOffline", "true", "boolean"),
        rw("AuthCtrlr", "LocalPreAuthorize", "false", "boolean"),
        rw("AuthCacheCtrlr", "Enabled", "true", "boolean"),
        rw("LocalAuthListCtrlr", "Enabled", "true", "boolean"),
        ro("LocalAuthListCtrlr", "Entries", "0", "integer"),
        ro("LocalAuthListCtrlr", "ItemsPerMessage", "100", "integer"),
        ro("TxCtrlr", "TxStartPoint", "Authorized,EVConnected", "MemberList", values_list="Authorized,EVConnected"),
        ro("TxCtrlr", "TxStopPoint", "Authorized,EVConnected", "MemberList", values_list="Authorized,EVConnected"),
        rw("TxCtrlr", "StopTxOnInvalidId", "true", "boolean"),
        rw("TxCtrlr", "EVConnectionTimeOut", "60", "integer", unit="s", min_limit=0),
        rw("SampledDataCtrlr", "Enabled", "true", "boolean"),
        rw("SampledDataCtrlr", "TxStartedMeasurands", "Energy.Active.Import.Register", "MemberList",
           values_list=MEASURANDS),
        rw("SampledDataCtrlr", "TxUpdatedMeasurands", SAMPLED, "MemberList", values_list=MEASURANDS),
        rw("SampledDataCtrlr", "TxUpdatedInterval", str(meter_interval), "integer", unit="s", min_limit=0),
        rw("SampledDataCtrlr", "TxEndedMeasurands", "Energy.Active.Import.Register", "MemberList",
           values_list=MEASURANDS),
        rw("SmartChargingCtrlr", "Enabled", "true", "boolean"),
        ro("SmartChargingCtrlr", "Entries", "0", "integer", instance="ChargingProfiles"),
        ro("SmartChargingCtrlr", "PeriodsPerSchedule", "24", "integer"),
        ro("SmartChargingCtrlr", "ProfileStackLevel", "10", "integer"),
        ro("SmartChargingCtrlr", "RateUnit", "A,W", "MemberList", values_list="A,W"),
        rw("ReservationCtrlr", "Enabled", "true", "boolean"),
        ro("ReservationCtrlr", "NonEvseSpecific", "true", "boolean"),
        rw("MonitoringCtrlr", "Enabled", "true", "boolean"),
    ]  # fmt: skip
    for evse in range(1, evses + 1):
        variables += [
            ro("EVSE", "AvailabilityState", "Available", "OptionList", evse=evse, values_list=AVAILABILITY),
            ro("EVSE", "Available", "true", "boolean", evse=evse),
            ro("EVSE", "Power", "0", "decimal", evse=evse, unit="W", max_limit=22080, supports_monitoring=True),
            ro("EVSE", "SupplyPhases", "3", "integer", evse=evse),
            ro("Connector", "AvailabilityState", "Available", "OptionList", evse=evse, connector=1,
               values_list=AVAILABILITY),
            ro("Connector", "ConnectorType", "cType2", evse=evse, connector=1),
        ]  # fmt: skip
    return variables
