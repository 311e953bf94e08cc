"""An OCPP 1.6 charger's configuration as a simulated charger keeps it: the keys of Core, Local Auth
List, Reservation and Smart Charging with realistic values (`v16_configuration.csv`), read by
GetConfiguration and written by ChangeConfiguration.

Mixed into `SimulatedCharger`.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

from ocpp.v16 import call_result
from ocpp.v16.enums import Action

from simulator.charger import answers

MEASURANDS = ("Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage")
FACTORY = Path(__file__).with_name("v16_configuration.csv")

# Whether a value fits a key, by the key's kind (anything fits a text key).
ACCEPTS = {
    "int": str.isdigit,
    "bool": lambda value: value.lower() in ("true", "false"),
    "measurands": lambda value: all(m in MEASURANDS for m in value.split(",") if m),
}


@dataclass
class Setting:
    value: str
    readonly: bool = False
    kind: str = "str"  # str | int | bool | measurands
    writeonly: bool = False  # a secret (the whitepaper's AuthorizationKey): GetConfiguration names it only

    def accepts(self, value: str) -> bool:
        return ACCEPTS.get(self.kind, lambda _: True)(value)


def configuration_defaults(connectors: int, meter_interval: int) -> dict[str, Setting]:
    """The factory configuration, with the charger's connectors and meter interval."""
    with FACTORY.open(newline="") as rows:
        return {
            row["key"]: Setting(
                row["value"].format(connectors=connectors, meter_interval=meter_interval),
                readonly=row["access"] == "ReadOnly",
                writeonly=row["access"] == "WriteOnly",
                kind=row["kind"],
            )
            for row in csv.DictReader(rows)
        }


class Configuration:
    """GetConfiguration and ChangeConfiguration over `self.configuration`."""

    def setting_refused(self, key: str, value: str) -> bool:
        """Whether the charger refuses a value its key's kind allows (a security profile it cannot meet)."""
        return False

    def setting_true(self, key: str) -> bool:
        return self.configuration[key].value.lower() == "true"

    def setting_int(self, key: str) -> int:
        return int(self.configuration[key].value)

    def measurands(self, key: str) -> list[str]:
        return [m for m in self.configuration[key].value.split(",") if m] or ["Energy.Active.Import.Register"]

    @answers(Action.get_configuration)
    def on_get_configuration(self, key: list[str] | None = None, **_):
        wanted = key or list(self.configuration)
        known = [
            {"key": k, "readonly": self.configuration[k].readonly}
            | ({} if self.configuration[k].writeonly else {"value": self.configuration[k].value})
            for k in wanted
            if k in self.configuration
        ]
        unknown = [k for k in wanted if k not in self.configuration]
        return call_result.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @answers(Action.change_configuration)
    def on_change_configuration(self, key: str, value: str, **_):
        setting = self.configuration.get(key)
        if setting is None:
            return call_result.ChangeConfiguration(status="NotSupported")
        if setting.readonly or not setting.accepts(value) or self.setting_refused(key, value):
            return call_result.ChangeConfiguration(status="Rejected")
        setting.value = value
        if key == "HeartbeatInterval":
            self._restart_heartbeat()
        return call_result.ChangeConfiguration(status="Accepted")
