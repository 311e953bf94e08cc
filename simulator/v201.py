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
as in the product's API, name the EVSE. What every version does is shared (`charger`,
`sessions`, `authorization`, `reservations`, `smart_charging`, `firmware`); this module and
`v201_*.py` say it in 2.0.1's messages.
"""

import asyncio
import uuid
from dataclasses import dataclass, field

from ocpp.routing import after
from ocpp.v201 import ChargePoint, call, call_result
from ocpp.v201.enums import Action

from simulator.authorization import Authorization
from simulator.charger import Charger, answers
from simulator.clock import iso, now, parse_time
from simulator.connectors import Connector, Session
from simulator.device_model import DeviceModel, station_variables
from simulator.reservations import Reservations
from simulator.sessions import Sessions, remote_stop
from simulator.v201_firmware import Firmware201
from simulator.v201_provisioning import Provisioning
from simulator.v201_security import Security201
from simulator.v201_smart_charging import SmartCharging201, as_installed

SUBPROTOCOL = "ocpp2.0.1"
CONNECTOR = 1  # every EVSE has one connector

# The device-model variables behind the settings shared code asks about (`flag`).
FLAGS = {
    "authorize": "AuthCtrlr.Enabled",
    "local_pre_authorize": "AuthCtrlr.LocalPreAuthorize",
    "authorization_cache": "AuthCacheCtrlr.Enabled",
    "authorize_remote_start": "AuthCtrlr.AuthorizeRemoteStart",
    "stop_on_invalid_id": "TxCtrlr.StopTxOnInvalidId",
}


@dataclass(kw_only=True)
class ChargingSession(Session):
    """One transaction on one EVSE, numbered by the station."""

    evse_id: int
    id_token: dict
    transaction_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    remote_start_id: int | None = None
    charging_state: str = "EVConnected"
    seq_no: int = 0

    @property
    def id_tag(self) -> str:
        return self.id_token["id_token"]

    @property
    def connector_id(self) -> int:
        return self.evse_id

    def next_seq_no(self) -> int:
        self.seq_no += 1
        return self.seq_no - 1


class SimulatedCharger201(
    Security201, Provisioning, SmartCharging201, Firmware201, Authorization, Sessions, Reservations, Charger,
    ChargePoint,
):  # fmt: skip
    """A 2.0.1 charging station: EVSEs 1..N with one connector each, a device model, transactions
    numbered by the station."""

    subprotocol = SUBPROTOCOL
    point = "EVSE"

    def equip(self, *, meter_interval: int) -> None:
        self.device_model = DeviceModel(
            station_variables(
                evses=len(self.connectors),
                meter_interval=meter_interval,
                identity=self.identity,
                charge_box_id=self.id,
            )
        )
        self.boot_reason = "PowerUp"
        self.firmware_status, self.firmware_request_id = "Idle", None
        self.log_status, self.log_request_id = "Idle", None
        self._reset_when_idle = False
        self._firmware: asyncio.Task | None = None
        self._upload_task: asyncio.Task | None = None
        self._event_ids = 0
        self._wire_device_model()

    @property
    def evses(self) -> dict[int, Connector]:
        """The EVSEs, which the product's API calls connectors."""
        return self.connectors

    def flag(self, name: str) -> bool:
        return self.device_model.flag(FLAGS[name])

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

    # How 2.0.1 names things.

    @staticmethod
    def id_token(id_tag: str) -> dict:
        return {"id_token": id_tag, "type": "ISO14443"}

    @staticmethod
    def id_tag_of(token: dict) -> str:
        return token["id_token"]

    @staticmethod
    def as_installed(profile: dict) -> dict:
        return as_installed(profile)

    @staticmethod
    def new_session(evse: Connector, id_token: dict, **fields) -> ChargingSession:
        return ChargingSession(evse_id=evse.id, id_token=id_token, started_at=now(), **fields)

    @staticmethod
    def sampled_value(measurand: str, value: float, unit: str, context: str) -> dict:
        return {
            "value": value,
            "context": context,
            "measurand": measurand,
            "location": "Outlet",
            "unit_of_measure": {"unit": unit},
        }

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
                await self.stop_session(evse.id, reason=reason, trigger="ResetCommand")

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

    def status_of(self, evse: Connector) -> str:
        if evse.session is not None:
            return "Occupied"
        if not self._operative(evse):
            return "Unavailable"
        return "Reserved" if evse.reservation else "Available"

    async def ask_authorization(self, id_token: dict) -> dict:
        return (await self.call(call.Authorize(id_token=id_token), suppress=False)).id_token_info

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

    def _measured(self, evse: Connector, measurands_key: str, context: str) -> list[dict]:
        return [self._reading(evse, self.device_model.members(f"SampledDataCtrlr.{measurands_key}"), context)]

    async def send_meter_values(self, evse_id: int, context: str = "Trigger") -> None:
        evse = self.evses[evse_id]
        self._follow_limit(evse)
        reading = self._measured(evse, "TxUpdatedMeasurands", context)
        await self.call(call.MeterValues(evse_id=evse_id, meter_value=reading), suppress=False)

    # Sessions.

    async def start_session(
        self, evse_id: int, id_token: dict, *, trigger: str, remote_start_id: int | None = None
    ) -> ChargingSession:
        """Occupied, TransactionEvent Started, then Updated as the car charges until stop_session()."""
        evse = self.evses[evse_id]
        reservation = self._take_reservation(evse, id_token["id_token"])
        session = self.new_session(
            evse,
            id_token,
            meter_start=int(evse.outlet.advance()),
            remote_start_id=remote_start_id,
            reservation_id=reservation.reservation_id if reservation else None,
        )
        evse.session = session
        await self.report_status(evse_id)
        await self.transaction_event(
            session,
            "Started",
            trigger,
            meter_value=self._measured(evse, "TxStartedMeasurands", "Transaction.Begin"),
            evse={"id": evse_id, "connector_id": CONNECTOR},
            id_token=id_token,
            reservation_id=session.reservation_id,
            info={"remote_start_id": remote_start_id} if remote_start_id is not None else {},
        )
        self._started(evse, session)
        if session.id_tag_status not in ("", "Accepted") and self.flag("stop_on_invalid_id"):
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
        await self.transaction_event(
            session,
            "Ended",
            trigger,
            meter_value=self._measured(evse, "TxEndedMeasurands", "Transaction.End"),
            id_token=session.id_token if trigger == "StopAuthorized" else None,
            info={"stopped_reason": reason},
        )
        self.log.info("transaction %s stopped (%s): %s Wh", session.transaction_id, reason, session.energy_wh)
        await self._ended(evse, session)
        if self._reset_when_idle and not self._rebooting and not any(e.session for e in self.evses.values()):
            self._reset_when_idle = False
            self._spawn(self.reboot("Reboot"))
        return session

    async def session_ended(self, evse: Connector) -> None:
        """2.0.1 has no Finishing: the connector goes from Occupied to Available."""

    def _restart_sampling(self, evse: Connector) -> None:
        self._cancel(self._meters.pop(evse.id, None))
        if evse.session is not None and evse.session.charging:
            self._meters[evse.id] = self._spawn(self._sample(evse))

    async def _sample(self, evse: Connector) -> None:
        session = evse.session
        while interval := self.device_model.integer("SampledDataCtrlr.TxUpdatedInterval"):
            await asyncio.sleep(interval)
            self._follow_limit(evse)
            state = self._charging_state(evse)
            changed, session.charging_state = state != session.charging_state, state
            await self.transaction_event(
                session,
                "Updated",
                "ChargingStateChanged" if changed else "MeterValuePeriodic",
                meter_value=self._measured(evse, "TxUpdatedMeasurands", "Sample.Periodic"),
            )
            self.log.info("EVSE %s: %.0f Wh, %.0f W", evse.id, evse.outlet.register_wh, evse.outlet.power_w)
            await self._watch(evse)

    @staticmethod
    def _charging_state(evse: Connector) -> str:
        """Charging, or SuspendedEVSE while the charging profiles allow nothing."""
        return "Charging" if evse.outlet.current_a > 0 else "SuspendedEVSE"

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
        status = self._claim(evse_id, id_token, charging_profile, remote_start_id=remote_start_id)
        return call_result.RequestStartTransaction(status=status)

    @after(Action.request_start_transaction)
    def after_request_start_transaction(self, id_token: dict, remote_start_id: int, **_):
        evse = self._claimed(remote_start_id=remote_start_id)
        if evse is not None:
            self._spawn(self._remote_session(evse, id_token, remote_start_id=remote_start_id))

    on_request_stop_transaction, after_request_stop_transaction = remote_stop(Action.request_stop_transaction)

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
        status = self._change_availability(evse_id, operational_status == "Operative")
        return call_result.ChangeAvailability(status=status)

    @after(Action.change_availability)
    def after_change_availability(self, operational_status: str, evse: dict | None = None, **_):
        self._report_availability((evse or {}).get("id", 0))

    @answers(Action.trigger_message)
    def on_trigger_message(self, requested_message: str, evse: dict | None = None, **_):
        evse_id = (evse or {}).get("id")
        if evse_id is not None and evse_id not in self.evses:
            return call_result.TriggerMessage(status="Rejected")
        if requested_message not in self._triggers():
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
        self._send_triggered(requested_message, evse_id)

    def _triggers(self) -> dict:
        return super()._triggers() | {
            "BootNotification": self._triggered_boot,
            "TransactionEvent": self._triggered_events,
            "FirmwareStatusNotification": lambda _: self.firmware_status_notification(
                self.firmware_status, self.firmware_request_id
            ),
            "LogStatusNotification": lambda _: self.log_status_notification(self.log_status, self.log_request_id),
        }

    async def _triggered_boot(self, _) -> None:
        if self.registration_status != "Accepted":
            await self.boot("Triggered")

    async def _triggered_events(self, evse_id: int | None) -> None:
        for session in self._sessions_on(evse_id):
            evse = self.evses[session.evse_id]
            reading = self._measured(evse, "TxUpdatedMeasurands", "Trigger")
            await self.transaction_event(session, "Updated", "Trigger", meter_value=reading)

    def _sessions_on(self, evse_id: int | None) -> list[ChargingSession]:
        evses = [self.evses[evse_id]] if evse_id is not None else self.evses.values()
        return [e.session for e in evses if e.session is not None and not e.session.remote]

    # Authorization.

    @answers(Action.send_local_list)
    def on_send_local_list(self, version_number: int, update_type: str, local_authorization_list=None, **_):
        entries = local_authorization_list or []
        if not self.device_model.enabled("LocalAuthListCtrlr"):
            return call_result.SendLocalList(status="Failed")
        if len(entries) > self.device_model.integer("LocalAuthListCtrlr.ItemsPerMessage"):
            return call_result.SendLocalList(status="Failed")
        status = self._update_local_list(
            version_number,
            update_type,
            [(entry["id_token"]["id_token"], entry.get("id_token_info")) for entry in entries],
        )
        return call_result.SendLocalList(status=status)

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
        group = (group_id_token or {}).get("id_token")
        status = self._reserve(evse, id, id_token["id_token"], group, parse_time(expiry_date_time))
        return call_result.ReserveNow(status=status)

    @after(Action.reserve_now)
    def after_reserve_now(self, id: int, **_):
        self._report_reserved(id)

    async def reservation_expired(self, reservation_id: int) -> None:
        await self.call(
            call.ReservationStatusUpdate(reservation_id=reservation_id, reservation_update_status="Expired"),
            suppress=False,
        )
