"""A simulated OCPP 2.0.1 charging station on the `ocpp` library's client side.

It boots (with a reason), reports each EVSE's connector, heartbeats, runs transactions with
TransactionEvent Started/Updated/Ended and answers the commands a CSMS sends with a
schema-valid payload and the follow-up messages a real station would send. Its settings
live in a device model (`device_model.py`); its charging profiles are kept as 1.6's are
(`charging_profiles.py`). Use it from async code:

    station = SimulatedCharger201("CP-1", url="ws://127.0.0.1:8000/ocpp", connectors=2)
    await station.start()                       # connect, boot, StatusNotification per EVSE
    session = await station.charge("TAG-1", duration=30)
    await station.stop()

`connectors` counts EVSEs, each with one connector (connector 1); `connector_id` arguments,
as in the product's API, name the EVSE.
"""

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from ocpp.routing import after
from ocpp.v201 import ChargePoint, call, call_result
from ocpp.v201.enums import Action

from simulator.charger import Charger, Identity, Reservation, answers, firmware_version_from
from simulator.charging_profiles import TX, ChargingProfiles
from simulator.clock import iso, now, parse_time
from simulator.device_model import DeviceModel, station_variables
from simulator.meter import VOLTAGE_V, Outlet
from simulator.v201_provisioning import Provisioning
from simulator.v201_smart_charging import SmartCharging, as_installed

SUBPROTOCOL = "ocpp2.0.1"
CONNECTOR = 1  # every EVSE has one connector
UNITS = {
    "Energy.Active.Import.Register": "Wh",
    "Power.Active.Import": "W",
    "Current.Import": "A",
    "Voltage": "V",
}
TRIGGERED = {
    "BootNotification",
    "Heartbeat",
    "StatusNotification",
    "MeterValues",
    "TransactionEvent",
    "FirmwareStatusNotification",
    "LogStatusNotification",
}


@dataclass
class ChargingSession:
    """One transaction on one EVSE, numbered by the station."""

    evse_id: int
    id_token: dict
    meter_start: int
    started_at: datetime
    transaction_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    remote_start_id: int | None = None
    reservation_id: int | None = None
    id_tag_status: str = ""
    meter_stop: int | None = None
    stop_reason: str = ""
    charging_state: str = "EVConnected"
    charging: bool = False
    remote: bool = False  # claimed by a RequestStartTransaction, not started yet
    seq_no: int = 0
    stopped: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def id_tag(self) -> str:
        return self.id_token["id_token"]

    @property
    def connector_id(self) -> int:
        return self.evse_id

    @property
    def energy_wh(self) -> int | None:
        return None if self.meter_stop is None else self.meter_stop - self.meter_start

    def next_seq_no(self) -> int:
        self.seq_no += 1
        return self.seq_no - 1


@dataclass
class Evse:
    evse_id: int
    outlet: Outlet = field(default_factory=Outlet)
    operative: bool = True
    scheduled_operative: bool | None = None  # an availability change waiting for the session to end
    reservation: Reservation | None = None
    session: ChargingSession | None = None


def _sampled(measurand: str, value: float, context: str) -> dict:
    return {
        "value": value,
        "context": context,
        "measurand": measurand,
        "location": "Outlet",
        "unit_of_measure": {"unit": UNITS[measurand]},
    }


class SimulatedCharger201(Provisioning, SmartCharging, Charger, ChargePoint):
    """A 2.0.1 charging station: EVSEs 1..N with one connector each, a device model, transactions
    numbered by the station."""

    subprotocol = SUBPROTOCOL

    def __init__(
        self,
        charge_box_id: str,
        *,
        url: str = "ws://127.0.0.1:8000/ocpp",
        password: str | None = None,
        connectors: int = 1,
        meter_interval: int = 60,
        identity: Identity | None = None,
        firmware_step: float = 2.0,
        response_timeout: float = 30,
        logger: logging.Logger | None = None,
    ):
        super().__init__(
            charge_box_id,
            url=url,
            password=password,
            identity=identity,
            firmware_step=firmware_step,
            response_timeout=response_timeout,
            logger=logger,
        )
        self.evses = {n: Evse(n) for n in range(1, connectors + 1)}
        self.device_model = DeviceModel(
            station_variables(
                evses=connectors, meter_interval=meter_interval, identity=self.identity, charge_box_id=charge_box_id
            )
        )
        self.operative = True
        self.boot_reason = "PowerUp"
        self.profiles = ChargingProfiles()
        self.local_list: dict[str, dict] = {}
        self.local_list_version = 0
        self.authorization_cache: dict[str, dict] = {}
        self.firmware_status, self.firmware_request_id = "Idle", None
        self.log_status, self.log_request_id = "Idle", None
        self._reset_when_idle = False
        self._firmware: asyncio.Task | None = None
        self._upload: asyncio.Task | None = None
        self._meters: dict[int, asyncio.Task] = {}
        self._expiries: dict[int, asyncio.Task] = {}
        self._event_ids = 0
        self._wire_device_model()

    def _wire_device_model(self) -> None:
        """Variables that show the station's live state."""
        model = self.device_model
        model["ChargingStation.AvailabilityState"].read = lambda: "Available" if self.operative else "Unavailable"
        model["ChargingStation.Available"].read = lambda: str(self.operative).lower()
        model["ClockCtrlr.DateTime"].read = lambda: iso(now())
        model["LocalAuthListCtrlr.Entries"].read = lambda: str(len(self.local_list))
        profiles = model.find({"name": "SmartChargingCtrlr"}, {"name": "Entries", "instance": "ChargingProfiles"})
        profiles.read = lambda: str(len(self.profiles.installed))
        for n, evse in self.evses.items():
            for component in ("EVSE", "Connector"):
                model.evse_variable(component, "AvailabilityState", n).read = lambda evse=evse: self.status_of(evse)
            model.evse_variable("EVSE", "Available", n).read = lambda evse=evse: str(self._operative(evse)).lower()
            model.evse_variable("EVSE", "Power", n).read = lambda evse=evse: f"{evse.outlet.power_w:.0f}"

    @property
    def heartbeat_seconds(self) -> int:
        return self.device_model.integer("OCPPCommCtrlr.HeartbeatInterval")

    @heartbeat_seconds.setter
    def heartbeat_seconds(self, seconds: int) -> None:
        self.device_model["OCPPCommCtrlr.HeartbeatInterval"].value = str(seconds)

    # Messages the station sends.

    async def boot(self, reason: str | None = None) -> str:
        """Send one BootNotification; on Accepted heartbeat at the interval the CSMS gave. Returns the status."""
        identity = self.identity
        response = await self.call(
            call.BootNotification(
                charging_station={
                    "model": identity.model,
                    "vendor_name": identity.vendor,
                    "serial_number": identity.serial_number,
                    "firmware_version": self.firmware_version,
                },
                reason=reason or self.boot_reason,
            ),
            suppress=False,
        )
        self.booted(response.status, response.interval)
        return response.status

    async def reboot(self, reason: str, *, boot_reason: str = "RemoteReset") -> None:
        self.boot_reason = boot_reason
        await super().reboot(reason)

    async def end_sessions(self, reason: str) -> None:
        for evse in self.evses.values():
            if evse.session is not None and not evse.session.remote:
                await self.stop_session(evse.evse_id, reason=reason, trigger="ResetCommand")

    async def report_status(self, evse_id: int | None = None) -> None:
        """StatusNotification for one EVSE's connector, or for every EVSE's."""
        for n in [evse_id] if evse_id is not None else list(self.evses):
            status = self.status_of(self.evses[n])
            await self.call(
                call.StatusNotification(
                    timestamp=iso(now()), connector_status=status, evse_id=n, connector_id=CONNECTOR
                ),
                suppress=False,
            )
            self.log.info("EVSE %s is %s", n, status)

    def status_of(self, evse: Evse) -> str:
        if evse.session is not None:
            return "Occupied"
        if not self._operative(evse):
            return "Unavailable"
        return "Reserved" if evse.reservation else "Available"

    def _operative(self, evse: Evse) -> bool:
        return self.operative and evse.operative

    async def authorize(self, id_token: dict) -> str:
        """The id token's status: from the local list or cache when pre-authorising locally, else from the CSMS."""
        id_tag = id_token["id_token"]
        if self.device_model.flag("AuthCtrlr.LocalPreAuthorize"):
            known = self.local_list.get(id_tag) or self.authorization_cache.get(id_tag)
            if known and known.get("status") == "Accepted":
                self.log.info("authorised %s locally", id_tag)
                return "Accepted"
        response = await self.call(call.Authorize(id_token=id_token), suppress=False)
        info = response.id_token_info
        if self.device_model.enabled("AuthCacheCtrlr"):
            self.authorization_cache[id_tag] = info
        self.log.info("authorised %s: %s", id_tag, info["status"])
        return info["status"]

    async def transaction_event(
        self, session: ChargingSession, event_type: str, trigger: str, *, meter_value=None, **fields
    ) -> call_result.TransactionEvent:
        info = {"transaction_id": session.transaction_id, "charging_state": session.charging_state}
        info |= fields.pop("info", {})
        if not self.device_model.enabled("SampledDataCtrlr"):
            meter_value = None
        response = await self.call(
            call.TransactionEvent(
                event_type=event_type,
                timestamp=iso(now()),
                trigger_reason=trigger,
                seq_no=session.next_seq_no(),
                transaction_info=info,
                meter_value=meter_value,
                **fields,
            ),
            suppress=False,
        )
        if response.id_token_info:
            session.id_tag_status = response.id_token_info["status"]
        return response

    async def send_meter_values(self, evse_id: int, context: str = "Trigger") -> None:
        evse = self.evses[evse_id]
        self._follow_limit(evse)
        reading = self._reading(evse, self.device_model.members("SampledDataCtrlr.TxUpdatedMeasurands"), context)
        await self.call(call.MeterValues(evse_id=evse_id, meter_value=[reading]), suppress=False)

    async def firmware_status_notification(self, status: str, request_id: int | None) -> None:
        self.firmware_status, self.firmware_request_id = status, request_id
        await self.call(call.FirmwareStatusNotification(status=status, request_id=request_id), suppress=False)
        self.log.info("firmware: %s", status)

    async def log_status_notification(self, status: str, request_id: int | None) -> None:
        self.log_status, self.log_request_id = status, request_id
        await self.call(call.LogStatusNotification(status=status, request_id=request_id), suppress=False)
        self.log.info("log upload: %s", status)

    # Sessions.

    async def charge(
        self, id_tag: str, *, connector_id: int | None = None, duration: float = 60
    ) -> ChargingSession | None:
        """One local session: Authorize, TransactionEvent Started, Updated with meter values, and Ended
        after `duration` s (or sooner if the CSMS stops it). None when the id token is not accepted or
        no EVSE is free."""
        id_token = {"id_token": id_tag, "type": "ISO14443"}
        if self.device_model.enabled("AuthCtrlr") and await self.authorize(id_token) != "Accepted":
            self.log.warning("%s was not accepted; not charging", id_tag)
            return None
        evse_id = connector_id or self._free_evse(id_tag)
        if evse_id is None:
            self.log.warning("no EVSE is available for %s", id_tag)
            return None
        session = await self.start_session(evse_id, id_token, trigger="Authorized")
        try:
            await asyncio.wait_for(session.stopped.wait(), duration)
        except TimeoutError:
            await self.stop_session(evse_id, reason="Local", trigger="StopAuthorized")
        return session

    async def start_session(
        self, evse_id: int, id_token: dict, *, trigger: str, remote_start_id: int | None = None
    ) -> ChargingSession:
        """Occupied, TransactionEvent Started, then Updated as the car charges until stop_session()."""
        evse = self.evses[evse_id]
        reservation = evse.reservation
        if reservation is not None and reservation.admits(id_token["id_token"]):
            self._end_reservation(evse)
        else:
            reservation = None
        session = ChargingSession(
            evse_id=evse_id,
            id_token=id_token,
            meter_start=int(evse.outlet.advance()),
            started_at=now(),
            remote_start_id=remote_start_id,
            reservation_id=reservation.reservation_id if reservation else None,
        )
        evse.session = session
        await self.report_status(evse_id)
        measurands = self.device_model.members("SampledDataCtrlr.TxStartedMeasurands")
        await self.transaction_event(
            session,
            "Started",
            trigger,
            meter_value=[self._reading(evse, measurands, "Transaction.Begin")],
            evse={"id": evse_id, "connector_id": CONNECTOR},
            id_token=id_token,
            reservation_id=session.reservation_id,
            info={"remote_start_id": remote_start_id} if remote_start_id is not None else {},
        )
        self.log.info(
            "transaction %s started on EVSE %s for %s (%s)",
            session.transaction_id,
            evse_id,
            session.id_tag,
            session.id_tag_status,
        )
        for installed in self.profiles.installed:
            if installed.purpose == TX and installed.connector_id == evse_id:
                installed.profile.setdefault("transaction_id", session.transaction_id)
                installed.profile["received"].setdefault("transaction_id", session.transaction_id)
        if session.id_tag_status not in ("", "Accepted") and self.device_model.flag("TxCtrlr.StopTxOnInvalidId"):
            await self.stop_session(evse_id, reason="DeAuthorized", trigger="Deauthorized")
            return session
        session.charging = True
        self._follow_limit(evse)
        session.charging_state = self._charging_state(evse)
        await self.transaction_event(session, "Updated", "ChargingStateChanged")
        self._restart_sampling(evse)
        return session

    async def stop_session(self, evse_id: int, *, reason: str, trigger: str) -> ChargingSession | None:
        """TransactionEvent Ended with the transaction's last readings, then Available."""
        evse = self.evses[evse_id]
        session = evse.session
        if session is None or session.remote:
            return None
        self._cancel(self._meters.pop(evse_id, None))
        session.charging = False
        evse.outlet.draw(0)
        session.meter_stop = int(evse.outlet.advance())
        session.stop_reason = reason
        session.charging_state = "EVConnected"
        measurands = self.device_model.members("SampledDataCtrlr.TxEndedMeasurands")
        await self.transaction_event(
            session,
            "Ended",
            trigger,
            meter_value=[self._reading(evse, measurands, "Transaction.End")],
            id_token=session.id_token if trigger == "StopAuthorized" else None,
            info={"stopped_reason": reason},
        )
        self.log.info("transaction %s stopped (%s): %s Wh", session.transaction_id, reason, session.energy_wh)
        self.profiles.clear(connector_id=evse_id, purpose=TX)
        evse.session = None
        if evse.scheduled_operative is not None:
            evse.operative, evse.scheduled_operative = evse.scheduled_operative, None
        await self.report_status(evse_id)
        session.stopped.set()
        if self._reset_when_idle and not self._rebooting and not any(e.session for e in self.evses.values()):
            self._reset_when_idle = False
            self._spawn(self.reboot("Reboot"))
        return session

    def _restart_sampling(self, evse: Evse) -> None:
        self._cancel(self._meters.pop(evse.evse_id, None))
        if evse.session is not None and evse.session.charging:
            self._meters[evse.evse_id] = self._spawn(self._sample(evse))

    async def _sample(self, evse: Evse) -> None:
        session = evse.session
        while interval := self.device_model.integer("SampledDataCtrlr.TxUpdatedInterval"):
            await asyncio.sleep(interval)
            self._follow_limit(evse)
            state = self._charging_state(evse)
            changed, session.charging_state = state != session.charging_state, state
            measurands = self.device_model.members("SampledDataCtrlr.TxUpdatedMeasurands")
            await self.transaction_event(
                session,
                "Updated",
                "ChargingStateChanged" if changed else "MeterValuePeriodic",
                meter_value=[self._reading(evse, measurands, "Sample.Periodic")],
            )
            self.log.info("EVSE %s: %.0f Wh, %.0f W", evse.evse_id, evse.outlet.register_wh, evse.outlet.power_w)
            await self._watch(evse)

    @staticmethod
    def _charging_state(evse: Evse) -> str:
        """Charging, or SuspendedEVSE while the charging profiles allow nothing."""
        return "Charging" if evse.outlet.current_a > 0 else "SuspendedEVSE"

    def _reading(self, evse: Evse, measurands: list[str], context: str) -> dict:
        outlet = evse.outlet
        values = {
            "Energy.Active.Import.Register": int(outlet.advance()),
            "Power.Active.Import": round(outlet.power_w),
            "Current.Import": round(outlet.current_a, 1),
            "Voltage": VOLTAGE_V,
        }
        return {
            "timestamp": iso(now()),
            "sampled_value": [_sampled(m, values[m], context) for m in measurands or ["Energy.Active.Import.Register"]],
        }

    def _free_evse(self, id_tag: str) -> int | None:
        for evse in self.evses.values():
            if evse.reservation and evse.reservation.admits(id_tag) and evse.session is None:
                return evse.evse_id
        for evse in self.evses.values():
            if self.status_of(evse) == "Available":
                return evse.evse_id
        return None

    def _session(self, transaction_id: str) -> ChargingSession | None:
        for evse in self.evses.values():
            if evse.session and not evse.session.remote and evse.session.transaction_id == transaction_id:
                return evse.session
        return None

    # Commands from the CSMS. Each answers at once; the work it starts follows in `after_*`.

    @answers(Action.reset)
    def on_reset(self, type: str, evse_id: int | None = None, **_):
        if evse_id is not None:
            if evse_id not in self.evses:
                return call_result.Reset(status="Rejected")
            waits = type == "OnIdle" and self.evses[evse_id].session is not None
            return call_result.Reset(status="Scheduled" if waits else "Accepted")
        if type == "OnIdle" and any(e.session for e in self.evses.values()):
            self._reset_when_idle = True
            return call_result.Reset(status="Scheduled")
        return call_result.Reset(status="Accepted")

    @after(Action.reset)
    def after_reset(self, type: str, evse_id: int | None = None, **_):
        if evse_id is not None:
            if evse_id in self.evses and type == "Immediate" and self.evses[evse_id].session:
                self._spawn(self.stop_session(evse_id, reason="ImmediateReset", trigger="ResetCommand"))
        elif type == "Immediate" or not self._reset_when_idle:
            self._reset_when_idle = False
            self._spawn(self.reboot("ImmediateReset" if type == "Immediate" else "Reboot"))

    @answers(Action.request_start_transaction)
    def on_request_start_transaction(
        self, id_token: dict, remote_start_id: int, evse_id: int | None = None, charging_profile=None, **_
    ):
        if evse_id is None:
            evse_id = self._free_evse(id_token["id_token"])
        evse = self.evses.get(evse_id)
        if evse is None or self.status_of(evse) not in ("Available", "Reserved"):
            return call_result.RequestStartTransaction(status="Rejected")
        if evse.reservation is not None and not evse.reservation.admits(id_token["id_token"]):
            return call_result.RequestStartTransaction(status="Rejected")
        if charging_profile is not None:
            if charging_profile["charging_profile_purpose"] != TX:
                return call_result.RequestStartTransaction(status="Rejected")
            self.profiles.install(evse_id, as_installed(charging_profile))
        # Claim the EVSE now so that nothing else takes it before the session starts.
        evse.session = ChargingSession(evse_id, id_token, 0, now(), remote_start_id=remote_start_id, remote=True)
        return call_result.RequestStartTransaction(status="Accepted")

    @after(Action.request_start_transaction)
    def after_request_start_transaction(self, id_token: dict, remote_start_id: int, **_):
        for evse in self.evses.values():
            claim = evse.session
            if claim is not None and claim.remote and claim.remote_start_id == remote_start_id:
                self._spawn(self._remote_session(evse, id_token, remote_start_id))
                return

    async def _remote_session(self, evse: Evse, id_token: dict, remote_start_id: int) -> None:
        if self.device_model.flag("AuthCtrlr.AuthorizeRemoteStart") and await self.authorize(id_token) != "Accepted":
            evse.session = None
            await self.report_status(evse.evse_id)
            return
        evse.session = None
        await self.start_session(evse.evse_id, id_token, trigger="RemoteStart", remote_start_id=remote_start_id)

    @answers(Action.request_stop_transaction)
    def on_request_stop_transaction(self, transaction_id: str, **_):
        known = self._session(transaction_id) is not None
        return call_result.RequestStopTransaction(status="Accepted" if known else "Rejected")

    @after(Action.request_stop_transaction)
    def after_request_stop_transaction(self, transaction_id: str, **_):
        session = self._session(transaction_id)
        if session is not None:
            self._spawn(self.stop_session(session.evse_id, reason="Remote", trigger="RemoteStop"))

    @answers(Action.get_transaction_status)
    def on_get_transaction_status(self, transaction_id: str | None = None, **_):
        # Every event is sent at once and awaited: nothing is ever queued.
        ongoing = None if transaction_id is None else self._session(transaction_id) is not None
        return call_result.GetTransactionStatus(messages_in_queue=False, ongoing_indicator=ongoing)

    @answers(Action.unlock_connector)
    def on_unlock_connector(self, evse_id: int, connector_id: int, **_):
        evse = self.evses.get(evse_id)
        if evse is None or connector_id != CONNECTOR:
            return call_result.UnlockConnector(status="UnknownConnector")
        if evse.session is not None and evse.session.id_tag_status == "Accepted":
            return call_result.UnlockConnector(status="OngoingAuthorizedTransaction")
        return call_result.UnlockConnector(status="Unlocked")

    @answers(Action.change_availability)
    def on_change_availability(self, operational_status: str, evse: dict | None = None, **_):
        evse_id = (evse or {}).get("id", 0)
        if evse_id != 0 and evse_id not in self.evses:
            return call_result.ChangeAvailability(status="Rejected")
        if evse is not None and evse.get("connector_id") not in (None, CONNECTOR):
            return call_result.ChangeAvailability(status="Rejected")
        operative = operational_status == "Operative"
        if evse_id == 0:
            self.operative = operative
        scheduled = False
        for each in list(self.evses.values()) if evse_id == 0 else [self.evses[evse_id]]:
            if each.session is not None and each.operative != operative:
                each.scheduled_operative, scheduled = operative, True
            else:
                each.operative = operative
        return call_result.ChangeAvailability(status="Scheduled" if scheduled else "Accepted")

    @after(Action.change_availability)
    def after_change_availability(self, operational_status: str, evse: dict | None = None, **_):
        evse_id = (evse or {}).get("id", 0)
        if evse_id == 0:
            self._spawn(self.report_status())
        elif evse_id in self.evses:
            self._spawn(self.report_status(evse_id))

    @answers(Action.trigger_message)
    def on_trigger_message(self, requested_message: str, evse: dict | None = None, **_):
        evse_id = (evse or {}).get("id")
        if evse_id is not None and evse_id not in self.evses:
            return call_result.TriggerMessage(status="Rejected")
        if requested_message not in TRIGGERED:
            return call_result.TriggerMessage(status="NotImplemented")
        # A station already accepted does not boot again on request (F06.FR.17).
        if requested_message == "BootNotification" and self.registration_status == "Accepted":
            return call_result.TriggerMessage(status="Rejected")
        if requested_message == "TransactionEvent" and not self._sessions_on(evse_id):
            return call_result.TriggerMessage(status="Rejected")
        return call_result.TriggerMessage(status="Accepted")

    @after(Action.trigger_message)
    def after_trigger_message(self, requested_message: str, evse: dict | None = None, **_):
        evse_id = (evse or {}).get("id")
        if evse_id is not None and evse_id not in self.evses:
            return
        targets = [evse_id] if evse_id is not None else list(self.evses)
        if requested_message == "BootNotification" and self.registration_status != "Accepted":
            self._spawn(self.boot("Triggered"))
        elif requested_message == "Heartbeat":
            self._spawn(self.heartbeat())
        elif requested_message == "StatusNotification":
            self._spawn(self.report_status(evse_id))
        elif requested_message == "MeterValues":
            self._spawn(self._each(self.send_meter_values(n) for n in targets))
        elif requested_message == "TransactionEvent":
            self._spawn(self._each(self._triggered_event(s) for s in self._sessions_on(evse_id)))
        elif requested_message == "FirmwareStatusNotification":
            self._spawn(self.firmware_status_notification(self.firmware_status, self.firmware_request_id))
        elif requested_message == "LogStatusNotification":
            self._spawn(self.log_status_notification(self.log_status, self.log_request_id))

    @staticmethod
    async def _each(coroutines) -> None:
        for coroutine in coroutines:
            await coroutine

    def _sessions_on(self, evse_id: int | None) -> list[ChargingSession]:
        evses = [self.evses[evse_id]] if evse_id is not None else self.evses.values()
        return [e.session for e in evses if e.session is not None and not e.session.remote]

    async def _triggered_event(self, session: ChargingSession) -> None:
        evse = self.evses[session.evse_id]
        measurands = self.device_model.members("SampledDataCtrlr.TxUpdatedMeasurands")
        await self.transaction_event(
            session, "Updated", "Trigger", meter_value=[self._reading(evse, measurands, "Trigger")]
        )

    # Authorization.

    @answers(Action.clear_cache)
    def on_clear_cache(self, **_):
        if not self.device_model.enabled("AuthCacheCtrlr"):
            return call_result.ClearCache(status="Rejected")
        self.authorization_cache.clear()
        return call_result.ClearCache(status="Accepted")

    @answers(Action.send_local_list)
    def on_send_local_list(self, version_number: int, update_type: str, local_authorization_list=None, **_):
        entries = local_authorization_list or []
        if not self.device_model.enabled("LocalAuthListCtrlr"):
            return call_result.SendLocalList(status="Failed")
        if len(entries) > self.device_model.integer("LocalAuthListCtrlr.ItemsPerMessage"):
            return call_result.SendLocalList(status="Failed")
        if update_type == "Differential" and version_number <= self.local_list_version:
            return call_result.SendLocalList(status="VersionMismatch")
        updated = {} if update_type == "Full" else dict(self.local_list)
        for entry in entries:
            if entry.get("id_token_info"):
                updated[entry["id_token"]["id_token"]] = entry["id_token_info"]
            else:
                updated.pop(entry["id_token"]["id_token"], None)
        self.local_list, self.local_list_version = updated, version_number
        return call_result.SendLocalList(status="Accepted")

    @answers(Action.get_local_list_version)
    def on_get_local_list_version(self, **_):
        return call_result.GetLocalListVersion(version_number=self.local_list_version)

    # Reservations.

    @answers(Action.reserve_now)
    def on_reserve_now(self, id: int, expiry_date_time: str, id_token: dict, evse_id=None, group_id_token=None, **_):
        if not self.device_model.enabled("ReservationCtrlr"):
            return call_result.ReserveNow(status="Rejected")
        if evse_id is None:  # any EVSE: hold the first free one
            evse_id = next((n for n, e in self.evses.items() if self.status_of(e) == "Available"), None)
            if evse_id is None:
                return call_result.ReserveNow(status="Occupied")
        evse = self.evses.get(evse_id)
        if evse is None:
            return call_result.ReserveNow(status="Rejected")
        held = evse.reservation
        if evse.session is not None or (held is not None and held.reservation_id != id):
            return call_result.ReserveNow(status="Occupied")
        if not self._operative(evse):
            return call_result.ReserveNow(status="Unavailable")
        if (previous := self._reserved(id)) is not None:
            self._end_reservation(previous)
        expiry = parse_time(expiry_date_time)
        group = (group_id_token or {}).get("id_token")
        evse.reservation = Reservation(id, id_token["id_token"], group, expiry)
        self._expiries[id] = self._spawn(self._expire(evse, expiry))
        return call_result.ReserveNow(status="Accepted")

    @after(Action.reserve_now)
    def after_reserve_now(self, id: int, **_):
        evse = self._reserved(id)
        if evse is not None:
            self._spawn(self.report_status(evse.evse_id))

    async def _expire(self, evse: Evse, expiry: datetime) -> None:
        await asyncio.sleep(max((expiry - now()).total_seconds(), 0))
        reservation_id = evse.reservation.reservation_id
        self.log.info("reservation %s on EVSE %s expired", reservation_id, evse.evse_id)
        self._end_reservation(evse)
        await self.call(
            call.ReservationStatusUpdate(reservation_id=reservation_id, reservation_update_status="Expired"),
            suppress=False,
        )
        await self.report_status(evse.evse_id)

    def _end_reservation(self, evse: Evse) -> None:
        if evse.reservation is not None:
            self._cancel(self._expiries.pop(evse.reservation.reservation_id, None))
            evse.reservation = None

    def _reserved(self, reservation_id: int) -> Evse | None:
        for evse in self.evses.values():
            if evse.reservation and evse.reservation.reservation_id == reservation_id:
                return evse
        return None

    @answers(Action.cancel_reservation)
    def on_cancel_reservation(self, reservation_id: int, **_):
        return call_result.CancelReservation(status="Accepted" if self._reserved(reservation_id) else "Rejected")

    @after(Action.cancel_reservation)
    def after_cancel_reservation(self, reservation_id: int, **_):
        evse = self._reserved(reservation_id)
        if evse is not None:
            self._end_reservation(evse)
            self._spawn(self.report_status(evse.evse_id))

    # Firmware and logs.

    @answers(Action.update_firmware)
    def on_update_firmware(self, request_id: int, firmware: dict, **_):
        replacing = self._firmware is not None and not self._firmware.done()
        return call_result.UpdateFirmware(status="AcceptedCanceled" if replacing else "Accepted")

    @after(Action.update_firmware)
    def after_update_firmware(self, request_id: int, firmware: dict, **_):
        self._cancel(self._firmware)
        retrieve_at = parse_time(firmware["retrieve_date_time"])
        install_at = parse_time(firmware.get("install_date_time"))
        self._firmware = self._spawn(self._update_firmware(request_id, firmware["location"], retrieve_at, install_at))

    async def _update_firmware(
        self, request_id: int, location: str, retrieve_at: datetime, install_at: datetime | None
    ) -> None:
        if retrieve_at > now():
            await self.firmware_status_notification("DownloadScheduled", request_id)
            await asyncio.sleep((retrieve_at - now()).total_seconds())
        for status in ("Downloading", "Downloaded"):
            await self.firmware_status_notification(status, request_id)
            await asyncio.sleep(self.firmware_step)
        if install_at is not None and install_at > now():
            await self.firmware_status_notification("InstallScheduled", request_id)
            await asyncio.sleep((install_at - now()).total_seconds())
        # A station installs only once no car is charging.
        while any(e.session for e in self.evses.values()):
            await asyncio.sleep(self.firmware_step)
        await self.firmware_status_notification("Installing", request_id)
        await asyncio.sleep(self.firmware_step)
        self.firmware_version = firmware_version_from(location, self.firmware_version)
        await self.firmware_status_notification("InstallRebooting", request_id)
        await self.reboot("firmware update", boot_reason="FirmwareUpdate")
        await self.firmware_status_notification("Installed", request_id)
        await self.call(
            call.SecurityEventNotification(
                type="FirmwareUpdated", timestamp=iso(now()), tech_info=self.firmware_version
            ),
            suppress=False,
        )
        self.firmware_status, self.firmware_request_id = "Idle", None

    @answers(Action.get_log)
    def on_get_log(self, log: dict, log_type: str, request_id: int, **_):
        replacing = self._upload is not None and not self._upload.done()
        return call_result.GetLog(
            status="AcceptedCanceled" if replacing else "Accepted",
            filename=f"{log_type}-{self.id}-{now():%Y%m%dT%H%M%SZ}.log"[:255],
        )

    @after(Action.get_log)
    def after_get_log(self, log: dict, log_type: str, request_id: int, **_):
        self._cancel(self._upload)
        self._upload = self._spawn(self._upload_log(request_id))

    async def _upload_log(self, request_id: int) -> None:
        await self.log_status_notification("Uploading", request_id)
        await asyncio.sleep(self.firmware_step)
        await self.log_status_notification("Uploaded", request_id)
        self.log_status, self.log_request_id = "Idle", None

    @answers(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, message_id: str | None = None, data=None, **_):
        if vendor_id != self.identity.vendor:
            return call_result.DataTransfer(status="UnknownVendorId")
        if message_id not in (None, "Echo"):
            return call_result.DataTransfer(status="UnknownMessageId")
        return call_result.DataTransfer(status="Accepted", data=data)
