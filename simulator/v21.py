"""A simulated OCPP 2.1 charging station: the 2.0.1 station (`v201`) speaking 2.1, with what 2.1 adds.

Everything 2.0.1 does it does alike, its messages checked against 2.1's schemas. It also keeps the
tariffs and DER controls a CSMS sets, answers priority charging, dynamic schedule updates and battery
swap requests (with the NotifyPriorityCharging, BatterySwap and ReportDERControl that follow), and can
send every message 2.1 adds: periodic event streams (SEND frames), DER alarms, settlements, VAT number
checks and dynamic schedule pulls.
"""

import json
import uuid

from ocpp.messages import Call, MessageType, get_validator, validate_payload
from ocpp.routing import after
from ocpp.v21 import call, call_result
from ocpp.v21.enums import Action

from simulator.charger import answers
from simulator.clock import iso, now
from simulator.v201 import SimulatedCharger201

SUBPROTOCOL = "ocpp2.1"
SEND = 6  # OCPP 2.1's unanswered message
# How a DER control of each type is reported (ReportDERControl), in 2.1's spelling: the report's field, the
# field of its settings, and whether it says if it is a default; every other type is a curve.
DER_REPORTS = {
    "EnterService": ("enterService", "enterService", False),
    "FixedPFAbsorb": ("fixedPFAbsorb", "fixedPF", True),
    "FixedPFInject": ("fixedPFInject", "fixedPF", True),
    "FixedVar": ("fixedVar", "fixedVar", True),
    "FreqDroop": ("freqDroop", "freqDroop", True),
    "Gradients": ("gradient", "gradient", False),
    "LimitMaxDischarge": ("limitMaxDischarge", "limitMaxDischarge", True),
}
DER_SETTINGS = {"enter_service", "fixed_pf_absorb", "fixed_pf_inject", "fixed_var", "freq_droop", "gradient",
                "limit_max_discharge", "curve"}  # fmt: skip


class SimulatedCharger21(SimulatedCharger201):
    """A 2.1 charging station: the 2.0.1 station, its frames checked against 2.1's schemas."""

    subprotocol = SUBPROTOCOL
    _call = call
    _call_result = call_result
    _ocpp_version = "2.1"

    def equip(self, *, meter_interval: int) -> None:
        super().equip(meter_interval=meter_interval)
        self.tariffs: dict[str, dict] = {}  # tariffId -> {"tariff", "evse_ids", "kind"}
        self.der_controls: dict[str, dict] = {}  # controlId -> {"is_default", "control_type", "settings"}
        self.priority_charging: set[str] = set()  # transaction ids

    async def call_as_is(self, action: str, payload: dict) -> dict:
        """A CALL with a payload in OCPP's own spelling, checked against 2.1's schemas: for the names the
        `ocpp` library's snake_case round trip cannot spell (fixedPFAbsorb)."""
        message = Call(unique_id=str(uuid.uuid4()), action=action, payload=payload)
        await validate_payload(message, self._ocpp_version)
        async with self._call_lock:
            await self._send(message.to_json())
            response = await self._get_specific_response(message.unique_id, self._response_timeout)
        if response.message_type_id == MessageType.CallError:
            raise response.to_exception()
        response.action = action
        await validate_payload(response, self._ocpp_version)
        return response.payload

    # Messages the station sends.

    async def open_event_stream(self, stream_id: int, *, monitor_id: int, interval: int, values: int) -> str:
        response = await self.call(
            call.OpenPeriodicEventStream(
                constant_stream_data={
                    "id": stream_id,
                    "variable_monitoring_id": monitor_id,
                    "params": {"interval": interval, "values": values},
                }  # fmt: skip
            ),
            suppress=False,
        )
        return response.status

    async def stream_values(self, stream_id: int, values: list[tuple[float, str]], *, pending: int = 0) -> None:
        """A batch of a stream's values, `(seconds after now, value)`, as a SEND frame: nothing comes back."""
        payload = {"id": stream_id, "pending": pending, "basetime": iso(now()),
                   "data": [{"t": offset, "v": value} for offset, value in values]}  # fmt: skip
        get_validator(SEND, "NotifyPeriodicEventStream", self._ocpp_version).validate(payload)  # its own schema
        await self._send(json.dumps([SEND, str(uuid.uuid4()), "NotifyPeriodicEventStream", payload]))

    async def close_event_stream(self, stream_id: int) -> None:
        await self.call(call.ClosePeriodicEventStream(id=stream_id), suppress=False)

    async def der_alarm(self, control_type: str, *, fault: str | None = None, ended: bool = False) -> None:
        await self.call(
            call.NotifyDERAlarm(
                control_type=control_type, timestamp=iso(now()), grid_event_fault=fault, alarm_ended=ended or None
            ),
            suppress=False,
        )

    async def der_started(self, control_id: str, *, started: bool = True) -> None:
        await self.call(call.NotifyDERStartStop(control_id=control_id, started=started, timestamp=iso(now())))

    async def settle(self, transaction_id: str, *, amount: float, psp_ref: str, status: str = "Settled") -> None:
        """The payment terminal settled a session's payment."""
        await self.call(
            call.NotifySettlement(
                transaction_id=transaction_id,
                psp_ref=psp_ref,
                status=status,
                settlement_amount=amount,
                settlement_time=iso(now()),
            ),  # fmt: skip
            suppress=False,
        )

    async def vat_number_check(self, vat_number: str, *, evse_id: int | None = None) -> str:
        response = await self.call(call.VatNumberValidation(vat_number=vat_number, evse_id=evse_id), suppress=False)
        return response.status

    async def pull_dynamic_schedule(self, profile_id: int) -> dict | None:
        """The figures the CSMS gives for a Dynamic profile now, or None when it refuses."""
        response = await self.call(call.PullDynamicScheduleUpdate(charging_profile_id=profile_id), suppress=False)
        return response.schedule_update if response.status == "Accepted" else None

    # Commands 2.1 adds.

    @answers(Action.set_default_tariff)
    def on_set_default_tariff(self, evse_id: int, tariff: dict, **_):
        self.tariffs[tariff["tariff_id"]] = {"tariff": tariff, "evse_ids": [evse_id], "kind": "DefaultTariff"}
        return call_result.SetDefaultTariff(status="Accepted")

    @answers(Action.get_tariffs)
    def on_get_tariffs(self, evse_id: int, **_):
        held = [
            {"tariff_id": tariff_id, "tariff_kind": kept["kind"], "evse_ids": kept["evse_ids"]}
            for tariff_id, kept in self.tariffs.items()
            if not evse_id or evse_id in kept["evse_ids"] or 0 in kept["evse_ids"]
        ]
        if not held:
            return call_result.GetTariffs(status="NoTariff")
        return call_result.GetTariffs(status="Accepted", tariff_assignments=held)

    @answers(Action.clear_tariffs)
    def on_clear_tariffs(self, tariff_ids: list[str] | None = None, evse_id: int | None = None, **_):
        cleared = [t for t in tariff_ids or list(self.tariffs) if self.tariffs.pop(t, None) is not None]
        results = [{"tariff_id": t, "status": "Accepted"} for t in cleared]
        results += [{"tariff_id": t, "status": "NoTariff"} for t in tariff_ids or [] if t not in cleared]
        return call_result.ClearTariffs(clear_tariffs_result=results or [{"status": "NoTariff"}])

    @answers(Action.change_transaction_tariff)
    def on_change_transaction_tariff(self, transaction_id: str, tariff: dict, **_):
        if self._session(transaction_id) is None:
            return call_result.ChangeTransactionTariff(status="TxNotFound")
        self.tariffs[tariff["tariff_id"]] = {"tariff": tariff, "evse_ids": [0], "kind": "DriverTariff"}
        return call_result.ChangeTransactionTariff(status="Accepted")

    @answers(Action.use_priority_charging)
    def on_use_priority_charging(self, transaction_id: str, activate: bool, **_):
        if self._session(transaction_id) is None:
            return call_result.UsePriorityCharging(status="Rejected")
        (self.priority_charging.add if activate else self.priority_charging.discard)(transaction_id)
        return call_result.UsePriorityCharging(status="Accepted")

    @after(Action.use_priority_charging)
    def after_use_priority_charging(self, transaction_id: str, activate: bool, **_):
        if self._session(transaction_id) is not None:
            self._spawn(self.call(call.NotifyPriorityCharging(transaction_id=transaction_id, activated=activate)))

    @answers(Action.update_dynamic_schedule)
    def on_update_dynamic_schedule(self, charging_profile_id: int, schedule_update: dict, **_):
        return call_result.UpdateDynamicSchedule(status="Accepted")

    @answers(Action.request_battery_swap)
    def on_request_battery_swap(self, request_id: int, id_token: dict, **_):
        return call_result.RequestBatterySwap(status="Accepted")

    @after(Action.request_battery_swap)
    def after_request_battery_swap(self, request_id: int, id_token: dict, **_):
        self._spawn(self._swap_battery(request_id, id_token))

    async def _swap_battery(self, request_id: int, id_token: dict) -> None:
        """The driver puts the empty battery in and takes a full one out."""
        for event, soc in (("BatteryIn", 12), ("BatteryOut", 98)):
            battery = {"evse_id": 1, "serial_number": f"BAT-{request_id}-{event}", "so_c": soc, "so_h": 95}
            await self.call(
                call.BatterySwap(event_type=event, request_id=request_id, id_token=id_token, battery_data=[battery])
            )

    @answers(Action.set_der_control)
    def on_set_der_control(self, is_default: bool, control_id: str, control_type: str, **settings):
        given = {name: value for name, value in settings.items() if name in DER_SETTINGS}
        if len(given) != 1 or (control_type not in DER_REPORTS) != ("curve" in given):
            return call_result.SetDERControl(status="NotSupported")
        self.der_controls[control_id] = {"is_default": is_default, "control_type": control_type, "settings": given}
        return call_result.SetDERControl(status="Accepted")

    @answers(Action.get_der_control)
    def on_get_der_control(self, request_id: int, **criteria):
        return call_result.GetDERControl(status="Accepted" if self._der_matching(criteria) else "NotFound")

    @after(Action.get_der_control)
    def after_get_der_control(self, request_id: int, **criteria):
        if self._der_matching(criteria):
            self._spawn(self.call_as_is("ReportDERControl", self._der_report(request_id, criteria)))

    @answers(Action.clear_der_control)
    def on_clear_der_control(self, is_default: bool, **criteria):
        matching = self._der_matching({"is_default": is_default, **criteria})
        for control_id in matching:
            del self.der_controls[control_id]
        return call_result.ClearDERControl(status="Accepted" if matching else "NotFound")

    def _der_matching(self, criteria: dict) -> list[str]:
        return [
            control_id
            for control_id, control in self.der_controls.items()
            if criteria.get("control_id") in (None, control_id)
            and criteria.get("control_type") in (None, control["control_type"])
            and criteria.get("is_default") in (None, control["is_default"])
        ]

    def _der_report(self, request_id: int, criteria: dict) -> dict:
        """ReportDERControl in 2.1's spelling: each control under its type's field."""
        report: dict = {"requestId": request_id}
        for control_id in self._der_matching(criteria):
            control = self.der_controls[control_id]
            [settings] = control["settings"].values()
            kind = control["control_type"]
            field, inner, flagged = DER_REPORTS.get(kind, ("curve", "curve", True))
            entry = {"id": control_id, inner: _camel(settings)}
            if flagged:
                entry |= {"isDefault": control["is_default"], "isSuperseded": False}
            if field == "curve":
                entry["curveType"] = kind
            report.setdefault(field, []).append(entry)
        return report

    @answers(Action.adjust_periodic_event_stream)
    def on_adjust_periodic_event_stream(self, id: int, params: dict, **_):
        return call_result.AdjustPeriodicEventStream(status="Accepted")

    @answers(Action.get_periodic_event_stream)
    def on_get_periodic_event_stream(self, **_):
        return call_result.GetPeriodicEventStream()

    @answers(Action.notify_allowed_energy_transfer)
    def on_notify_allowed_energy_transfer(self, transaction_id: str, allowed_energy_transfer: list, **_):
        return call_result.NotifyAllowedEnergyTransfer(status="Accepted")

    @answers(Action.notify_web_payment_started)
    def on_notify_web_payment_started(self, evse_id: int, timeout: int, **_):
        return call_result.NotifyWebPaymentStarted()

    @answers(Action.afrr_signal)
    def on_afrr_signal(self, timestamp: str, signal: int, **_):
        return call_result.AFRRSignal(status="Accepted")


def _camel(value):
    """A payload the `ocpp` library handed over in snake_case, back in OCPP's camelCase."""
    if isinstance(value, list):
        return [_camel(v) for v in value]
    if not isinstance(value, dict):
        return value
    return {_camel_key(k): _camel(v) for k, v in value.items()}


def _camel_key(key: str) -> str:
    first, *rest = key.split("_")
    return first + "".join(part.capitalize() for part in rest)
