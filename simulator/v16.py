"""A simulated OCPP 1.6J charger on the `ocpp` library's client side.

It boots, reports its connectors, heartbeats, runs charging sessions with meter values
and answers every command a CSMS may send with a schema-valid payload and the follow-up
messages a real charger would send. Use it from async code:

    charger = SimulatedCharger("CP-1", url="ws://127.0.0.1:8000/ocpp", connectors=2)
    await charger.start()                       # connect, boot, StatusNotification 0..N
    session = await charger.charge("TAG-1", duration=30)
    await charger.stop()

What every version does is shared (`charger`, `sessions`, `authorization`, `reservations`,
`smart_charging`, `firmware`); this module says it in 1.6's messages.
"""

import asyncio
from dataclasses import dataclass

from ocpp.routing import after
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action

from simulator.authorization import Authorization
from simulator.charger import Charger, answers
from simulator.charging_profiles import CHARGE_POINT_MAX, TX
from simulator.clock import iso, now, parse_time, until
from simulator.connectors import Connector, Session
from simulator.firmware import Firmware
from simulator.reservations import Reservations
from simulator.sessions import Sessions, remote_stop
from simulator.smart_charging import SmartCharging
from simulator.v16_configuration import Configuration, configuration_defaults
from simulator.v16_security import Security16

SUBPROTOCOL = "ocpp1.6"

# The configuration keys behind the settings shared code asks about (`flag`); 1.6 always authorises.
FLAGS = {
    "local_pre_authorize": "LocalPreAuthorize",
    "authorization_cache": "AuthorizationCacheEnabled",
    "authorize_remote_start": "AuthorizeRemoteTxRequests",
    "stop_on_invalid_id": "StopTransactionOnInvalidId",
}


@dataclass(kw_only=True)
class ChargingSession(Session):
    """One session on one connector, numbered by the CSMS."""

    connector_id: int
    id_tag: str
    transaction_id: int | None = None


class SimulatedCharger(
    Security16, Configuration, Authorization, Sessions, Reservations, SmartCharging, Firmware, Charger, ChargePoint
):
    """A 1.6J charger: connectors 1..N (0 is the charger as a whole), a configuration table,
    sessions numbered by the CSMS."""

    subprotocol = SUBPROTOCOL

    def equip(self, *, meter_interval: int) -> None:
        self.configuration = configuration_defaults(len(self.connectors), meter_interval)
        self.firmware_status = "Idle"
        self.diagnostics_status = "Idle"

    def flag(self, name: str) -> bool:
        return name not in FLAGS or self.setting_true(FLAGS[name])

    @property
    def heartbeat_seconds(self) -> int:
        return self.setting_int("HeartbeatInterval")

    @heartbeat_seconds.setter
    def heartbeat_seconds(self, seconds: int) -> None:
        self.configuration["HeartbeatInterval"].value = str(seconds)

    # How 1.6 names things.

    @staticmethod
    def id_token(id_tag: str) -> str:
        return id_tag

    @staticmethod
    def id_tag_of(token: str) -> str:
        return token

    @staticmethod
    def as_installed(profile: dict) -> dict:
        return profile

    @staticmethod
    def new_session(connector: Connector, id_tag: str, **fields) -> ChargingSession:
        return ChargingSession(connector_id=connector.id, id_tag=id_tag, started_at=now(), **fields)

    @staticmethod
    def sampled_value(measurand: str, value, unit: str, context: str) -> dict:
        return {"value": str(value), "context": context, "measurand": measurand, "location": "Outlet", "unit": unit}

    # Messages the charger sends.

    async def boot(self) -> str:
        """Send one BootNotification; on Accepted heartbeat at the interval the CSMS gave. Returns the status."""
        identity = self.identity
        response = await self.call(
            call.BootNotification(
                charge_point_vendor=identity.vendor,
                charge_point_model=identity.model,
                charge_point_serial_number=identity.serial_number,
                charge_box_serial_number=identity.serial_number,
                firmware_version=self.firmware_version,
                meter_type=identity.meter_type,
                meter_serial_number=identity.meter_serial_number,
            ),
            suppress=False,
        )
        self.booted(response.status, response.interval)
        return response.status

    async def end_sessions(self, reason: str) -> None:
        for connector in self.connectors.values():
            if connector.session is not None:
                await self.stop_session(connector.id, reason=reason)

    async def report_status(self, connector_id: int | None = None) -> None:
        """StatusNotification for one connector, or for 0..N."""
        for n in [connector_id] if connector_id is not None else [0, *self.connectors]:
            status = self.status_of(self.connectors[n]) if n else ("Available" if self.operative else "Unavailable")
            await self._send_status(n, status)

    async def _send_status(self, connector_id: int, status: str) -> None:
        if connector_id in self.connectors:
            self.connectors[connector_id].reported_status = status
        await self.call(
            call.StatusNotification(
                connector_id=connector_id, error_code="NoError", status=status, timestamp=iso(now())
            ),
            suppress=False,
        )
        self.log.info("connector %s is %s", connector_id, status)

    def status_of(self, connector: Connector) -> str:
        if connector.session is not None:
            if not connector.session.charging:
                return "Preparing"
            return "Charging" if connector.outlet.current_a > 0 else "SuspendedEVSE"
        if not connector.operative:
            return "Unavailable"
        return "Reserved" if connector.reservation else "Available"

    async def ask_authorization(self, id_tag: str) -> dict:
        return (await self.call(call.Authorize(id_tag=id_tag), suppress=False)).id_tag_info

    async def send_meter_values(self, connector_id: int, context: str = "Sample.Periodic") -> None:
        connector = self.connectors[connector_id]
        session = connector.session
        self._follow_limit(connector)
        await self.call(
            call.MeterValues(
                connector_id=connector_id,
                transaction_id=session.transaction_id if session else None,
                meter_value=[self._reading(connector, self.measurands("MeterValuesSampledData"), context)],
            ),
            suppress=False,
        )
        self.log.info(
            "connector %s: %.0f Wh, %.0f W", connector_id, connector.outlet.register_wh, connector.outlet.power_w
        )

    async def firmware_status_notification(self, status: str) -> None:
        self.firmware_status = status
        await self.call(call.FirmwareStatusNotification(status=status), suppress=False)
        self.log.info("firmware: %s", status)

    async def diagnostics_status_notification(self, status: str) -> None:
        self.diagnostics_status = status
        await self.call(call.DiagnosticsStatusNotification(status=status), suppress=False)
        self.log.info("diagnostics: %s", status)

    # Sessions.

    async def start_session(self, connector_id: int, id_tag: str, *, trigger: str = "") -> ChargingSession:
        """Preparing, StartTransaction, Charging and periodic meter values until stop_session().
        (`trigger` is 2.0.1's reason for a transaction event; 1.6 has none.)"""
        connector = self.connectors[connector_id]
        reservation = self._take_reservation(connector, id_tag)
        session = self.new_session(
            connector,
            id_tag,
            meter_start=int(connector.outlet.advance()),
            reservation_id=reservation.reservation_id if reservation else None,
        )
        connector.session = session
        await self.report_status(connector_id)
        response = await self.call(
            call.StartTransaction(
                connector_id=connector_id,
                id_tag=id_tag,
                meter_start=session.meter_start,
                timestamp=iso(session.started_at),
                reservation_id=session.reservation_id,
            ),
            suppress=False,
        )
        session.transaction_id = response.transaction_id
        session.id_tag_status = response.id_tag_info["status"]
        self._started(connector, session)
        if session.id_tag_status != "Accepted" and self.flag("stop_on_invalid_id"):
            await self.stop_session(connector_id, reason="DeAuthorized")
            return session
        session.charging = True
        self._follow_limit(connector)
        await self.report_status(connector_id)
        self._meters[connector_id] = self._spawn(self._sample(connector_id))
        return session

    async def stop_session(self, connector_id: int, *, reason: str = "Local", trigger: str = "") -> Session | None:
        """StopTransaction with the transaction's meter readings, then Finishing and Available."""
        connector = self.connectors[connector_id]
        session = connector.session
        if session is None:
            return None
        self._cancel(self._meters.pop(connector_id, None))
        connector.outlet.draw(0)
        session.meter_stop = int(connector.outlet.advance())
        session.stop_reason = reason
        stopped_at = now()
        begin = {
            "timestamp": iso(session.started_at),
            "sampled_value": [
                self.sampled_value("Energy.Active.Import.Register", session.meter_start, "Wh", "Transaction.Begin")
            ],
        }
        end = self._reading(connector, self.measurands("StopTxnSampledData"), "Transaction.End", stopped_at)
        await self.call(
            call.StopTransaction(
                meter_stop=session.meter_stop,
                timestamp=iso(stopped_at),
                transaction_id=session.transaction_id,
                reason=reason,
                id_tag=session.id_tag if reason == "Local" else None,
                transaction_data=[begin, end],
            ),
            suppress=False,
        )
        self.log.info("transaction %s stopped (%s): %s Wh", session.transaction_id, reason, session.energy_wh)
        await self._ended(connector, session)
        return session

    async def session_ended(self, connector: Connector) -> None:
        await self._send_status(connector.id, "Finishing")

    async def _sample(self, connector_id: int) -> None:
        connector = self.connectors[connector_id]
        while interval := self.setting_int("MeterValueSampleInterval"):
            await asyncio.sleep(interval)
            await self.send_meter_values(connector_id)
            if self.status_of(connector) != connector.reported_status:  # a profile paused or resumed the car
                await self.report_status(connector_id)

    # Commands from the CSMS. Each answers at once; the work it starts follows in `after_*`.

    @answers(Action.reset)
    def on_reset(self, type: str, **_):
        return call_result.Reset(status="Accepted")

    @after(Action.reset)
    def after_reset(self, type: str, **_):
        self._spawn(self.reboot("HardReset" if type == "Hard" else "SoftReset"))

    @answers(Action.remote_start_transaction)
    def on_remote_start_transaction(self, id_tag: str, connector_id: int | None = None, charging_profile=None, **_):
        return call_result.RemoteStartTransaction(status=self._claim(connector_id, id_tag, charging_profile))

    @after(Action.remote_start_transaction)
    def after_remote_start_transaction(self, id_tag: str, **_):
        connector = self._claimed(id_tag=id_tag)
        if connector is not None:
            connector.session.remote = False
            self._spawn(self._remote_session(connector, id_tag))

    on_remote_stop_transaction, after_remote_stop_transaction = remote_stop(Action.remote_stop_transaction)

    @answers(Action.unlock_connector)
    def on_unlock_connector(self, connector_id: int, **_):
        if connector_id not in self.connectors:
            return call_result.UnlockConnector(status="NotSupported")
        return call_result.UnlockConnector(status="Unlocked")

    @after(Action.unlock_connector)
    def after_unlock_connector(self, connector_id: int, **_):
        connector = self.connectors.get(connector_id)
        if connector is not None and connector.session is not None:
            self._spawn(self.stop_session(connector_id, reason="UnlockCommand"))

    @answers(Action.change_availability)
    def on_change_availability(self, connector_id: int, type: str, **_):
        if connector_id != 0 and connector_id not in self.connectors:
            return call_result.ChangeAvailability(status="Rejected")
        return call_result.ChangeAvailability(status=self._change_availability(connector_id, type == "Operative"))

    @after(Action.change_availability)
    def after_change_availability(self, connector_id: int, **_):
        self._report_availability(connector_id)

    @answers(Action.trigger_message)
    def on_trigger_message(self, requested_message: str, connector_id: int | None = None, **_):
        return call_result.TriggerMessage(
            status=self._trigger_status(requested_message, connector_id, self._triggers())
        )

    @after(Action.trigger_message)
    def after_trigger_message(self, requested_message: str, connector_id: int | None = None, **_):
        if self._triggerable(connector_id):
            self._send_triggered(requested_message, connector_id)

    def _trigger_status(self, requested_message: str, connector_id: int | None, triggers: dict) -> str:
        """A TriggerMessage's (or the whitepaper's ExtendedTriggerMessage's) answer, from what it may send."""
        if not self._triggerable(connector_id):
            return "Rejected"
        return "Accepted" if requested_message in triggers else "NotImplemented"

    def _triggerable(self, connector_id: int | None) -> bool:
        """The charger as a whole (none or 0) or one of its connectors."""
        return connector_id in (None, 0) or connector_id in self.connectors

    def _triggers(self) -> dict:
        return super()._triggers() | {
            "BootNotification": lambda _: self.boot(),
            "FirmwareStatusNotification": lambda _: self.firmware_status_notification(self.firmware_status),
            "DiagnosticsStatusNotification": lambda _: self.diagnostics_status_notification(self.diagnostics_status),
        }

    @answers(Action.reserve_now)
    def on_reserve_now(
        self, connector_id: int, expiry_date: str, id_tag: str, reservation_id: int, parent_id_tag=None, **_
    ):
        connector = self.connectors.get(connector_id)
        if connector is None:  # connector 0 too: ReserveConnectorZeroSupported is false
            return call_result.ReserveNow(status="Rejected")
        status = self._reserve(connector, reservation_id, id_tag, parent_id_tag, parse_time(expiry_date))
        return call_result.ReserveNow(status=status)

    @after(Action.reserve_now)
    def after_reserve_now(self, reservation_id: int, **_):
        self._report_reserved(reservation_id)

    @answers(Action.set_charging_profile)
    def on_set_charging_profile(self, connector_id: int, cs_charging_profiles: dict, **_):
        profile = cs_charging_profiles
        purpose = profile["charging_profile_purpose"]
        connector = self.connectors.get(connector_id)
        if (
            (connector_id != 0 and connector is None)
            or (purpose == CHARGE_POINT_MAX and connector_id != 0)
            or profile["stack_level"] > self.setting_int("ChargeProfileMaxStackLevel")
            or len(profile["charging_schedule"]["charging_schedule_period"])
            > self.setting_int("ChargingScheduleMaxPeriods")
        ):
            return call_result.SetChargingProfile(status="Rejected")
        if purpose == TX:
            session = connector.session if connector else None
            wanted = profile.get("transaction_id")
            if session is None or (wanted is not None and wanted != session.transaction_id):
                return call_result.SetChargingProfile(status="Rejected")
        return call_result.SetChargingProfile(status=self._install_profile(connector_id, profile))

    @answers(Action.clear_charging_profile)
    def on_clear_charging_profile(
        self, id=None, connector_id=None, charging_profile_purpose=None, stack_level=None, **_
    ):
        status = self._clear_profiles(
            id=id, connector_id=connector_id, purpose=charging_profile_purpose, stack_level=stack_level
        )
        return call_result.ClearChargingProfile(status=status)

    @answers(Action.get_composite_schedule)
    def on_get_composite_schedule(self, connector_id: int, duration: int, charging_rate_unit: str | None = None, **_):
        if connector_id != 0 and connector_id not in self.connectors:
            return call_result.GetCompositeSchedule(status="Rejected")
        start, schedule = self._composite(connector_id, duration, charging_rate_unit or "A")
        return call_result.GetCompositeSchedule(
            status="Accepted",
            connector_id=connector_id,
            schedule_start=iso(start),
            charging_schedule=schedule | {"start_schedule": iso(start)},
        )

    @answers(Action.send_local_list)
    def on_send_local_list(self, list_version: int, update_type: str, local_authorization_list=None, **_):
        if not self.setting_true("LocalAuthListEnabled"):
            return call_result.SendLocalList(status="NotSupported")
        entries = local_authorization_list or []
        if len(entries) > self.setting_int("SendLocalListMaxLength"):
            return call_result.SendLocalList(status="Failed")
        status = self._update_local_list(
            list_version,
            update_type,
            [(entry["id_tag"], entry.get("id_tag_info")) for entry in entries],
            capacity=self.setting_int("LocalAuthListMaxLength"),
        )
        return call_result.SendLocalList(status=status)

    @answers(Action.get_local_list_version)
    def on_get_local_list_version(self, **_):
        return call_result.GetLocalListVersion(list_version=self.local_list_version)

    @answers(Action.update_firmware)
    def on_update_firmware(self, location: str, retrieve_date: str, **_):
        return call_result.UpdateFirmware()

    @after(Action.update_firmware)
    def after_update_firmware(self, location: str, retrieve_date: str, **_):
        self._spawn(self._update_firmware(location, parse_time(retrieve_date)))

    async def _update_firmware(self, location: str, retrieve_at) -> None:
        await until(retrieve_at)
        await self._download(self.firmware_status_notification)
        await self._install_firmware(self.firmware_status_notification, location)
        await self.firmware_status_notification("Installed")
        self.firmware_status = "Idle"
        await self.reboot("firmware update")

    @answers(Action.get_diagnostics)
    def on_get_diagnostics(self, location: str, **_):
        return call_result.GetDiagnostics(file_name=f"diagnostics-{self.id}-{now():%Y%m%dT%H%M%SZ}.log"[:255])

    @after(Action.get_diagnostics)
    def after_get_diagnostics(self, location: str, **_):
        self._spawn(self._upload_diagnostics())

    async def _upload_diagnostics(self) -> None:
        await self._upload(self.diagnostics_status_notification)
        self.diagnostics_status = "Idle"
