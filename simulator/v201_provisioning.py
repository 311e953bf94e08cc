"""OCPP 2.0.1 provisioning and monitoring as a simulated station does them: the commands that
read, write and report its device model (`device_model.py`), and the monitors that raise
NotifyEvents.

Mixed into `SimulatedCharger201`, whose `device_model` and EVSEs it uses.
"""

from ocpp.exceptions import OccurrenceConstraintViolationError
from ocpp.routing import after
from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

from simulator.charger import answers
from simulator.clock import iso, now
from simulator.connectors import Connector
from simulator.device_model import Variable


class Provisioning:
    """Get/SetVariables, GetBaseReport/GetReport with NotifyReport, Set/ClearVariableMonitoring."""

    async def notify_report(self, request_id: int, variables: list[Variable]) -> None:
        """NotifyReport in parts of ItemsPerMessage[GetReport], every part but the last with tbc."""
        size = self.device_model.items_per_message("GetReport")
        parts = [variables[i : i + size] for i in range(0, len(variables), size)] or [[]]
        for seq_no, part in enumerate(parts):
            await self.call(
                call.NotifyReport(
                    request_id=request_id,
                    generated_at=iso(now()),
                    seq_no=seq_no,
                    report_data=[v.report() for v in part] or None,
                    tbc=seq_no < len(parts) - 1,
                ),
                suppress=False,
            )
        self.log.info("reported %s variables in %s parts (request %s)", len(variables), len(parts), request_id)

    async def _watch(self, evse: Connector) -> None:
        """NotifyEvent for every monitor on the EVSE's power that trips or clears."""
        if not self.device_model.enabled("MonitoringCtrlr"):
            return
        power = self.device_model.evse_variable("EVSE", "Power", evse.id)
        events = []
        for monitor, tripped in self.device_model.monitor_events(power):
            self._event_ids += 1
            events.append(
                {
                    "event_id": self._event_ids,
                    "timestamp": iso(now()),
                    "trigger": "Delta" if monitor.type == "Delta" else "Alerting",
                    "actual_value": power.actual,
                    "cleared": not tripped or None,
                    "event_notification_type": "CustomMonitor",
                    "variable_monitoring_id": monitor.id,
                    "transaction_id": evse.session.transaction_id if evse.session else None,
                    "component": power.component_dict(),
                    "variable": power.variable_dict(),
                }
            )
        if events:
            await self.call(call.NotifyEvent(generated_at=iso(now()), seq_no=0, event_data=events), suppress=False)

    @answers(Action.get_variables)
    def on_get_variables(self, get_variable_data: list[dict], **_):
        self._within_items_per_message("GetVariables", get_variable_data)
        return call_result.GetVariables(get_variable_result=[self.device_model.get(d) for d in get_variable_data])

    @answers(Action.set_variables)
    def on_set_variables(self, set_variable_data: list[dict], **_):
        self._within_items_per_message("SetVariables", set_variable_data)
        results = []
        for data in set_variable_data:
            result, changed = self.device_model.set(data)
            results.append(result)
            if changed is not None:
                self._variable_changed(changed)
        return call_result.SetVariables(set_variable_result=results)

    def _within_items_per_message(self, action: str, items: list) -> None:
        limit = self.device_model.items_per_message(action)
        if len(items) > limit:
            raise OccurrenceConstraintViolationError(description=f"more than {limit} items in {action}")

    def _variable_changed(self, variable: Variable) -> None:
        if variable.key == "OCPPCommCtrlr.HeartbeatInterval":
            self._restart_heartbeat()
        elif variable.key == "SampledDataCtrlr.TxUpdatedInterval":
            for evse in self.evses.values():
                self._restart_sampling(evse)

    @answers(Action.get_base_report)
    def on_get_base_report(self, request_id: int, report_base: str, **_):
        return call_result.GetBaseReport(status="Accepted")

    @after(Action.get_base_report)
    def after_get_base_report(self, request_id: int, report_base: str, **_):
        self._spawn(self.notify_report(request_id, self.device_model.inventory(report_base)))

    @answers(Action.get_report)
    def on_get_report(self, request_id: int, component_variable=None, component_criteria=None, **_):
        chosen = self.device_model.select(component_variable, component_criteria)
        return call_result.GetReport(status="Accepted" if chosen else "EmptyResultSet")

    @after(Action.get_report)
    def after_get_report(self, request_id: int, component_variable=None, component_criteria=None, **_):
        chosen = self.device_model.select(component_variable, component_criteria)
        if chosen:
            self._spawn(self.notify_report(request_id, chosen))

    @answers(Action.set_variable_monitoring)
    def on_set_variable_monitoring(self, set_monitoring_data: list[dict], **_):
        if not self.device_model.enabled("MonitoringCtrlr"):
            results = [
                {k: d[k] for k in ("type", "severity", "component", "variable")} | {"status": "Rejected"}
                for d in set_monitoring_data
            ]
        else:
            results = [self.device_model.monitor_set(d) for d in set_monitoring_data]
        return call_result.SetVariableMonitoring(set_monitoring_result=results)

    @answers(Action.clear_variable_monitoring)
    def on_clear_variable_monitoring(self, id: list[int], **_):
        return call_result.ClearVariableMonitoring(
            clear_monitoring_result=[self.device_model.monitor_clear(n) for n in id]
        )
