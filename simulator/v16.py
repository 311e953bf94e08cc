"""A simulated OCPP 1.6J charger on the `ocpp` library's client side.

It boots, reports its connectors, heartbeats, runs charging sessions with meter values
and answers every command a CSMS may send with a schema-valid payload and the follow-up
messages a real charger would send. Use it from async code:

    charger = SimulatedCharger("CP-1", url="ws://127.0.0.1:8000/ocpp", connectors=2)
    await charger.start()                       # connect, boot, StatusNotification 0..N
    session = await charger.charge("TAG-1", duration=30)
    await charger.stop()

The connection, heartbeats and follow-up tasks are every version's (`charger.Charger`).
"""

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime

from ocpp.routing import after
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action

from simulator.charger import Charger, Identity, Reservation, answers, firmware_version_from
from simulator.charging_profiles import CHARGE_POINT_MAX, TX, ChargingProfiles
from simulator.clock import iso, now, parse_time
from simulator.meter import Outlet

SUBPROTOCOL = "ocpp1.6"
MEASURANDS = ("Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage")


@dataclass
class Setting:
    value: str
    readonly: bool = False
    kind: str = "str"  # str | int | bool | measurands


def configuration_defaults(connectors: int, meter_interval: int) -> dict[str, Setting]:
    """A realistic 1.6 configuration table (Core, Local Auth List, Reservation, Smart Charging)."""
    return {
        "AllowOfflineTxForUnknownId": Setting("false", kind="bool"),
        "AuthorizationCacheEnabled": Setting("true", kind="bool"),
        "AuthorizeRemoteTxRequests": Setting("false", kind="bool"),
        "ClockAlignedDataInterval": Setting("0", kind="int"),
        "ConnectionTimeOut": Setting("60", kind="int"),
        "GetConfigurationMaxKeys": Setting("50", readonly=True, kind="int"),
        "HeartbeatInterval": Setting("300", kind="int"),
        "LocalAuthorizeOffline": Setting("true", kind="bool"),
        "LocalPreAuthorize": Setting("false", kind="bool"),
        "MeterValuesAlignedData": Setting("Energy.Active.Import.Register", kind="measurands"),
        "MeterValuesSampledData": Setting(
            "Energy.Active.Import.Register,Power.Active.Import,Current.Import", kind="measurands"
        ),
        "MeterValueSampleInterval": Setting(str(meter_interval), kind="int"),
        "NumberOfConnectors": Setting(str(connectors), readonly=True, kind="int"),
        "ResetRetries": Setting("3", kind="int"),
        "StopTransactionOnEVSideDisconnect": Setting("true", kind="bool"),
        "StopTransactionOnInvalidId": Setting("true", kind="bool"),
        "StopTxnAlignedData": Setting("", kind="measurands"),
        "StopTxnSampledData": Setting("Energy.Active.Import.Register", kind="measurands"),
        "SupportedFeatureProfiles": Setting(
            "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger", readonly=True
        ),
        "TransactionMessageAttempts": Setting("3", kind="int"),
        "TransactionMessageRetryInterval": Setting("60", kind="int"),
        "UnlockConnectorOnEVSideDisconnect": Setting("true", kind="bool"),
        "WebSocketPingInterval": Setting("20", kind="int"),
        "LocalAuthListEnabled": Setting("true", kind="bool"),
        "LocalAuthListMaxLength": Setting("100", readonly=True, kind="int"),
        "SendLocalListMaxLength": Setting("100", readonly=True, kind="int"),
        "ReserveConnectorZeroSupported": Setting("false", readonly=True, kind="bool"),
        "ChargeProfileMaxStackLevel": Setting("10", readonly=True, kind="int"),
        "ChargingScheduleAllowedChargingRateUnit": Setting("Current,Power", readonly=True),
        "ChargingScheduleMaxPeriods": Setting("24", readonly=True, kind="int"),
        "MaxChargingProfilesInstalled": Setting("10", readonly=True, kind="int"),
    }


def acceptable(setting: Setting, value: str) -> bool:
    if setting.kind == "int":
        return value.isdigit()
    if setting.kind == "bool":
        return value.lower() in ("true", "false")
    if setting.kind == "measurands":
        return all(m in MEASURANDS for m in value.split(",") if m)
    return True


@dataclass
class ChargingSession:
    """One session on one connector, as the charger knows it."""

    connector_id: int
    id_tag: str
    meter_start: int
    started_at: datetime
    reservation_id: int | None = None
    transaction_id: int | None = None
    id_tag_status: str = ""
    meter_stop: int | None = None
    stop_reason: str = ""
    charging: bool = False
    remote: bool = False  # claimed by a RemoteStartTransaction, not started yet
    stopped: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def energy_wh(self) -> int | None:
        return None if self.meter_stop is None else self.meter_stop - self.meter_start


@dataclass
class Connector:
    connector_id: int
    outlet: Outlet = field(default_factory=Outlet)
    operative: bool = True
    scheduled_operative: bool | None = None  # an availability change waiting for the session to end
    reservation: Reservation | None = None
    session: ChargingSession | None = None
    reported_status: str = ""

    @property
    def status(self) -> str:
        if self.session is not None:
            if not self.session.charging:
                return "Preparing"
            return "Charging" if self.outlet.current_a > 0 else "SuspendedEVSE"
        if not self.operative:
            return "Unavailable"
        return "Reserved" if self.reservation else "Available"


class SimulatedCharger(Charger, ChargePoint):
    """A 1.6J charger: connectors 1..N (0 is the charger as a whole), a configuration table,
    sessions numbered by the CSMS."""

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
        self.configuration = configuration_defaults(connectors, meter_interval)
        self.connectors = {n: Connector(n) for n in range(1, connectors + 1)}
        self.charger_operative = True
        self.profiles = ChargingProfiles()
        self.local_list: dict[str, dict] = {}
        self.local_list_version = 0
        self.authorization_cache: dict[str, dict] = {}
        self.firmware_status = "Idle"
        self.diagnostics_status = "Idle"
        self._meters: dict[int, asyncio.Task] = {}
        self._expiries: dict[int, asyncio.Task] = {}

    @property
    def heartbeat_seconds(self) -> int:
        return int(self.configuration["HeartbeatInterval"].value)

    @heartbeat_seconds.setter
    def heartbeat_seconds(self, seconds: int) -> None:
        self.configuration["HeartbeatInterval"].value = str(seconds)

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
                await self.stop_session(connector.connector_id, reason=reason)

    async def report_status(self, connector_id: int | None = None) -> None:
        """StatusNotification for one connector, or for 0..N."""
        for n in [connector_id] if connector_id is not None else [0, *self.connectors]:
            await self._send_status(n, self.status_of(n))

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

    def status_of(self, connector_id: int) -> str:
        if connector_id == 0:
            return "Available" if self.charger_operative else "Unavailable"
        return self.connectors[connector_id].status

    async def authorize(self, id_tag: str) -> str:
        """The id tag's status: from the local list or cache when pre-authorising locally, else from the CSMS."""
        if self._setting_true("LocalPreAuthorize"):
            known = self.local_list.get(id_tag) or self.authorization_cache.get(id_tag)
            if known and known.get("status") == "Accepted":
                self.log.info("authorised %s locally", id_tag)
                return "Accepted"
        response = await self.call(call.Authorize(id_tag=id_tag), suppress=False)
        info = response.id_tag_info
        if self._setting_true("AuthorizationCacheEnabled"):
            self.authorization_cache[id_tag] = info
        self.log.info("authorised %s: %s", id_tag, info["status"])
        return info["status"]

    async def send_meter_values(self, connector_id: int, context: str = "Sample.Periodic") -> None:
        connector = self.connectors[connector_id]
        session = connector.session
        self._follow_limit(connector)
        await self.call(
            call.MeterValues(
                connector_id=connector_id,
                transaction_id=session.transaction_id if session else None,
                meter_value=[self._reading(connector, self._measurands("MeterValuesSampledData"), context)],
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

    async def charge(
        self, id_tag: str, *, connector_id: int | None = None, duration: float = 60
    ) -> ChargingSession | None:
        """One local session: Authorize, StartTransaction, meter values, StopTransaction after `duration` s
        (or sooner if the CSMS stops it). None when the id tag is not accepted or no connector is free."""
        if await self.authorize(id_tag) != "Accepted":
            self.log.warning("%s was not accepted; not charging", id_tag)
            return None
        connector_id = connector_id or self._free_connector(id_tag)
        if connector_id is None:
            self.log.warning("no connector is available for %s", id_tag)
            return None
        session = await self.start_session(connector_id, id_tag)
        try:
            await asyncio.wait_for(session.stopped.wait(), duration)
        except TimeoutError:
            await self.stop_session(connector_id, reason="Local")
        return session

    async def start_session(self, connector_id: int, id_tag: str) -> ChargingSession:
        """Preparing, StartTransaction, Charging and periodic meter values until stop_session()."""
        connector = self.connectors[connector_id]
        reservation = connector.reservation
        if reservation is not None and id_tag in (reservation.id_tag, reservation.parent_id_tag):
            self._end_reservation(connector)
        else:
            reservation = None
        meter_start = int(connector.outlet.advance())
        session = ChargingSession(
            connector_id=connector_id,
            id_tag=id_tag,
            meter_start=meter_start,
            started_at=now(),
            reservation_id=reservation.reservation_id if reservation else None,
        )
        connector.session = session
        await self.report_status(connector_id)
        response = await self.call(
            call.StartTransaction(
                connector_id=connector_id,
                id_tag=id_tag,
                meter_start=meter_start,
                timestamp=iso(session.started_at),
                reservation_id=session.reservation_id,
            ),
            suppress=False,
        )
        session.transaction_id = response.transaction_id
        session.id_tag_status = response.id_tag_info["status"]
        self.log.info(
            "transaction %s started on connector %s for %s (%s)",
            session.transaction_id,
            connector_id,
            id_tag,
            session.id_tag_status,
        )
        for installed in self.profiles.installed:
            if installed.purpose == TX and installed.connector_id == connector_id:
                installed.profile.setdefault("transaction_id", session.transaction_id)
        if session.id_tag_status != "Accepted" and self._setting_true("StopTransactionOnInvalidId"):
            await self.stop_session(connector_id, reason="DeAuthorized")
            return session
        session.charging = True
        self._follow_limit(connector)
        await self.report_status(connector_id)
        self._meters[connector_id] = self._spawn(self._sample(connector_id))
        return session

    async def stop_session(self, connector_id: int, *, reason: str = "Local") -> ChargingSession | None:
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
        measurands = self._measurands("StopTxnSampledData")
        begin = {
            "timestamp": iso(session.started_at),
            "sampled_value": [_sampled("Energy.Active.Import.Register", session.meter_start, "Transaction.Begin")],
        }
        await self.call(
            call.StopTransaction(
                meter_stop=session.meter_stop,
                timestamp=iso(stopped_at),
                transaction_id=session.transaction_id,
                reason=reason,
                id_tag=session.id_tag if reason == "Local" else None,
                transaction_data=[begin, self._reading(connector, measurands, "Transaction.End", stopped_at)],
            ),
            suppress=False,
        )
        self.log.info(
            "transaction %s stopped (%s): %s Wh",
            session.transaction_id,
            reason,
            session.meter_stop - session.meter_start,
        )
        self.profiles.clear(connector_id=connector_id, purpose=TX)
        connector.session = None
        await self._send_status(connector_id, "Finishing")
        if connector.scheduled_operative is not None:
            connector.operative, connector.scheduled_operative = connector.scheduled_operative, None
        await self.report_status(connector_id)
        session.stopped.set()
        return session

    async def _sample(self, connector_id: int) -> None:
        connector = self.connectors[connector_id]
        while interval := int(self.configuration["MeterValueSampleInterval"].value):
            await asyncio.sleep(interval)
            await self.send_meter_values(connector_id)
            if connector.status != connector.reported_status:  # a charging profile paused or resumed the car
                await self.report_status(connector_id)

    def _follow_limit(self, connector: Connector) -> None:
        """The car draws what the charging profiles allow now (nothing outside a session)."""
        session = connector.session
        if session is None or not session.charging:
            connector.outlet.draw(0)
            return
        connector.outlet.draw(
            self.profiles.limit_at(
                now(),
                connector_id=connector.connector_id,
                outlet=connector.outlet,
                transaction_id=session.transaction_id,
                transaction_start=session.started_at,
            )
        )

    def _reading(self, connector: Connector, measurands: list[str], context: str, when: datetime | None = None):
        outlet = connector.outlet
        values = {
            "Energy.Active.Import.Register": (int(outlet.advance()), "Wh"),
            "Power.Active.Import": (round(outlet.power_w), "W"),
            "Current.Import": (round(outlet.current_a, 1), "A"),
            "Voltage": (230.0, "V"),
        }
        return {
            "timestamp": iso(when or now()),
            "sampled_value": [_sampled(m, values[m][0], context, values[m][1]) for m in measurands],
        }

    def _free_connector(self, id_tag: str) -> int | None:
        for connector in self.connectors.values():
            if connector.reservation and id_tag in (connector.reservation.id_tag, connector.reservation.parent_id_tag):
                return connector.connector_id
        for connector in self.connectors.values():
            if connector.status == "Available":
                return connector.connector_id
        return None

    def _setting_true(self, key: str) -> bool:
        return self.configuration[key].value.lower() == "true"

    def _measurands(self, key: str) -> list[str]:
        return [m for m in self.configuration[key].value.split(",") if m] or ["Energy.Active.Import.Register"]

    # Commands from the CSMS. Each answers at once; the work it starts follows in `after_*`.

    @answers(Action.reset)
    def on_reset(self, type: str, **_):
        return call_result.Reset(status="Accepted")

    @after(Action.reset)
    def after_reset(self, type: str, **_):
        self._spawn(self.reboot("HardReset" if type == "Hard" else "SoftReset"))

    @answers(Action.remote_start_transaction)
    def on_remote_start_transaction(self, id_tag: str, connector_id: int | None = None, charging_profile=None, **_):
        if connector_id is None:
            connector_id = self._free_connector(id_tag)
        connector = self.connectors.get(connector_id)
        if connector is None or connector.status not in ("Available", "Reserved"):
            return call_result.RemoteStartTransaction(status="Rejected")
        reservation = connector.reservation
        if reservation is not None and id_tag not in (reservation.id_tag, reservation.parent_id_tag):
            return call_result.RemoteStartTransaction(status="Rejected")
        if charging_profile is not None:
            if charging_profile["charging_profile_purpose"] != TX:
                return call_result.RemoteStartTransaction(status="Rejected")
            self.profiles.install(connector_id, charging_profile)
        # Claim the connector now (it shows Preparing) so that nothing else takes it before the session starts.
        connector.session = ChargingSession(connector_id, id_tag, 0, now(), remote=True)
        return call_result.RemoteStartTransaction(status="Accepted")

    @after(Action.remote_start_transaction)
    def after_remote_start_transaction(self, id_tag: str, **_):
        for connector in self.connectors.values():
            claim = connector.session
            if claim is not None and claim.remote and claim.id_tag == id_tag:
                claim.remote = False
                self._spawn(self._remote_session(connector, id_tag))
                return

    async def _remote_session(self, connector: Connector, id_tag: str) -> None:
        if self._setting_true("AuthorizeRemoteTxRequests") and await self.authorize(id_tag) != "Accepted":
            connector.session = None
            await self.report_status(connector.connector_id)
            return
        connector.session = None
        await self.start_session(connector.connector_id, id_tag)

    @answers(Action.remote_stop_transaction)
    def on_remote_stop_transaction(self, transaction_id: int, **_):
        known = any(c.session and c.session.transaction_id == transaction_id for c in self.connectors.values())
        return call_result.RemoteStopTransaction(status="Accepted" if known else "Rejected")

    @after(Action.remote_stop_transaction)
    def after_remote_stop_transaction(self, transaction_id: int, **_):
        for connector in self.connectors.values():
            if connector.session and connector.session.transaction_id == transaction_id:
                self._spawn(self.stop_session(connector.connector_id, reason="Remote"))

    @answers(Action.get_configuration)
    def on_get_configuration(self, key: list[str] | None = None, **_):
        wanted = key or list(self.configuration)
        known = [
            {"key": k, "readonly": self.configuration[k].readonly, "value": self.configuration[k].value}
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
        if setting.readonly or not acceptable(setting, value):
            return call_result.ChangeConfiguration(status="Rejected")
        setting.value = value
        if key == "HeartbeatInterval":
            self._restart_heartbeat()
        return call_result.ChangeConfiguration(status="Accepted")

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
        operative = type == "Operative"
        targets = list(self.connectors.values()) if connector_id == 0 else [self.connectors[connector_id]]
        if connector_id == 0:
            self.charger_operative = operative
        scheduled = False
        for connector in targets:
            if connector.session is not None and connector.operative != operative:
                connector.scheduled_operative = operative
                scheduled = True
            else:
                connector.operative = operative
        return call_result.ChangeAvailability(status="Scheduled" if scheduled else "Accepted")

    @after(Action.change_availability)
    def after_change_availability(self, connector_id: int, **_):
        if connector_id == 0:
            self._spawn(self.report_status())
        elif connector_id in self.connectors:
            self._spawn(self.report_status(connector_id))

    @answers(Action.trigger_message)
    def on_trigger_message(self, requested_message: str, connector_id: int | None = None, **_):
        if connector_id is not None and connector_id != 0 and connector_id not in self.connectors:
            return call_result.TriggerMessage(status="Rejected")
        if requested_message not in self._triggers():
            return call_result.TriggerMessage(status="NotImplemented")
        return call_result.TriggerMessage(status="Accepted")

    @after(Action.trigger_message)
    def after_trigger_message(self, requested_message: str, connector_id: int | None = None, **_):
        if connector_id is not None and connector_id != 0 and connector_id not in self.connectors:
            return
        send = self._triggers().get(requested_message)
        if send is not None:
            self._spawn(send(connector_id))

    def _triggers(self) -> dict:
        async def meter_values(connector_id):
            for n in [connector_id] if connector_id else list(self.connectors):
                await self.send_meter_values(n, context="Trigger")

        return {
            "BootNotification": lambda _: self.boot(),
            "Heartbeat": lambda _: self.heartbeat(),
            "StatusNotification": self.report_status,
            "MeterValues": meter_values,
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
        held = connector.reservation
        if connector.session is not None or (held is not None and held.reservation_id != reservation_id):
            return call_result.ReserveNow(status="Occupied")
        if not connector.operative:
            return call_result.ReserveNow(status="Unavailable")
        if (previous := self._reserved(reservation_id)) is not None:
            self._end_reservation(previous)
        expiry = parse_time(expiry_date)
        connector.reservation = Reservation(reservation_id, id_tag, parent_id_tag, expiry)
        self._expiries[reservation_id] = self._spawn(self._expire(connector, expiry))
        return call_result.ReserveNow(status="Accepted")

    @after(Action.reserve_now)
    def after_reserve_now(self, connector_id: int, reservation_id: int, **_):
        connector = self.connectors.get(connector_id)
        if connector is not None and connector.reservation and connector.reservation.reservation_id == reservation_id:
            self._spawn(self.report_status(connector_id))

    async def _expire(self, connector: Connector, expiry: datetime) -> None:
        await asyncio.sleep(max((expiry - now()).total_seconds(), 0))
        self.log.info("reservation on connector %s expired", connector.connector_id)
        self._end_reservation(connector)
        await self.report_status(connector.connector_id)

    def _end_reservation(self, connector: Connector) -> None:
        if connector.reservation is not None:
            self._cancel(self._expiries.pop(connector.reservation.reservation_id, None))
            connector.reservation = None

    def _reserved(self, reservation_id: int) -> Connector | None:
        for connector in self.connectors.values():
            if connector.reservation and connector.reservation.reservation_id == reservation_id:
                return connector
        return None

    @answers(Action.cancel_reservation)
    def on_cancel_reservation(self, reservation_id: int, **_):
        return call_result.CancelReservation(status="Accepted" if self._reserved(reservation_id) else "Rejected")

    @after(Action.cancel_reservation)
    def after_cancel_reservation(self, reservation_id: int, **_):
        connector = self._reserved(reservation_id)
        if connector is not None:
            self._end_reservation(connector)
            self._spawn(self.report_status(connector.connector_id))

    @answers(Action.set_charging_profile)
    def on_set_charging_profile(self, connector_id: int, cs_charging_profiles: dict, **_):
        profile = cs_charging_profiles
        purpose = profile["charging_profile_purpose"]
        connector = self.connectors.get(connector_id)
        max_level = int(self.configuration["ChargeProfileMaxStackLevel"].value)
        max_periods = int(self.configuration["ChargingScheduleMaxPeriods"].value)
        if (
            (connector_id != 0 and connector is None)
            or (purpose == CHARGE_POINT_MAX and connector_id != 0)
            or profile["stack_level"] > max_level
            or len(profile["charging_schedule"]["charging_schedule_period"]) > max_periods
        ):
            return call_result.SetChargingProfile(status="Rejected")
        if purpose == TX:
            session = connector.session if connector else None
            wanted = profile.get("transaction_id")
            if session is None or (wanted is not None and wanted != session.transaction_id):
                return call_result.SetChargingProfile(status="Rejected")
        self.profiles.install(connector_id, profile)
        if connector is not None:
            self._follow_limit(connector)
        else:
            for each in self.connectors.values():
                self._follow_limit(each)
        return call_result.SetChargingProfile(status="Accepted")

    @answers(Action.clear_charging_profile)
    def on_clear_charging_profile(
        self, id=None, connector_id=None, charging_profile_purpose=None, stack_level=None, **_
    ):
        removed = self.profiles.clear(
            id=id, connector_id=connector_id, purpose=charging_profile_purpose, stack_level=stack_level
        )
        for connector in self.connectors.values():
            self._follow_limit(connector)
        return call_result.ClearChargingProfile(status="Accepted" if removed else "Unknown")

    @answers(Action.get_composite_schedule)
    def on_get_composite_schedule(self, connector_id: int, duration: int, charging_rate_unit: str | None = None, **_):
        if connector_id != 0 and connector_id not in self.connectors:
            return call_result.GetCompositeSchedule(status="Rejected")
        unit = charging_rate_unit or "A"
        start = now().replace(microsecond=0)
        if connector_id == 0:
            outlet = Outlet(max_current_a=sum(c.outlet.max_current_a for c in self.connectors.values()))
            session = None
        else:
            outlet, session = self.connectors[connector_id].outlet, self.connectors[connector_id].session
        periods = self.profiles.composite(
            connector_id=connector_id,
            start=start,
            duration=duration,
            unit=unit,
            outlet=outlet,
            transaction_id=session.transaction_id if session else None,
            transaction_start=session.started_at if session else None,
        )
        schedule = {
            "duration": duration,
            "start_schedule": iso(start),
            "charging_rate_unit": unit,
            "charging_schedule_period": periods,
        }
        return call_result.GetCompositeSchedule(
            status="Accepted", connector_id=connector_id, schedule_start=iso(start), charging_schedule=schedule
        )

    @answers(Action.send_local_list)
    def on_send_local_list(self, list_version: int, update_type: str, local_authorization_list=None, **_):
        if not self._setting_true("LocalAuthListEnabled"):
            return call_result.SendLocalList(status="NotSupported")
        entries = local_authorization_list or []
        if len(entries) > int(self.configuration["SendLocalListMaxLength"].value):
            return call_result.SendLocalList(status="Failed")
        if update_type == "Differential" and list_version <= self.local_list_version:
            return call_result.SendLocalList(status="VersionMismatch")
        updated = {} if update_type == "Full" else dict(self.local_list)
        for entry in entries:
            if entry.get("id_tag_info"):
                updated[entry["id_tag"]] = entry["id_tag_info"]
            else:
                updated.pop(entry["id_tag"], None)
        if len(updated) > int(self.configuration["LocalAuthListMaxLength"].value):
            return call_result.SendLocalList(status="Failed")
        self.local_list, self.local_list_version = updated, list_version
        return call_result.SendLocalList(status="Accepted")

    @answers(Action.get_local_list_version)
    def on_get_local_list_version(self, **_):
        return call_result.GetLocalListVersion(list_version=self.local_list_version)

    @answers(Action.update_firmware)
    def on_update_firmware(self, location: str, retrieve_date: str, **_):
        return call_result.UpdateFirmware()

    @after(Action.update_firmware)
    def after_update_firmware(self, location: str, retrieve_date: str, **_):
        self._spawn(self._update_firmware(location, parse_time(retrieve_date)))

    async def _update_firmware(self, location: str, retrieve_at: datetime) -> None:
        await asyncio.sleep(max((retrieve_at - now()).total_seconds(), 0))
        for status in ("Downloading", "Downloaded"):
            await self.firmware_status_notification(status)
            await asyncio.sleep(self.firmware_step)
        # A charger installs only once no car is charging.
        while any(c.session for c in self.connectors.values()):
            await asyncio.sleep(self.firmware_step)
        await self.firmware_status_notification("Installing")
        await asyncio.sleep(self.firmware_step)
        self.firmware_version = firmware_version_from(location, self.firmware_version)
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
        await self.diagnostics_status_notification("Uploading")
        await asyncio.sleep(self.firmware_step)
        await self.diagnostics_status_notification("Uploaded")
        self.diagnostics_status = "Idle"

    @answers(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, message_id: str | None = None, data: str | None = None, **_):
        if vendor_id != self.identity.vendor:
            return call_result.DataTransfer(status="UnknownVendorId")
        if message_id not in (None, "Echo"):
            return call_result.DataTransfer(status="UnknownMessageId")
        return call_result.DataTransfer(status="Accepted", data=data)

    @answers(Action.clear_cache)
    def on_clear_cache(self, **_):
        if not self._setting_true("AuthorizationCacheEnabled"):
            return call_result.ClearCache(status="Rejected")
        self.authorization_cache.clear()
        return call_result.ClearCache(status="Accepted")


def _sampled(measurand: str, value, context: str, unit: str = "Wh") -> dict:
    return {"value": str(value), "context": context, "measurand": measurand, "location": "Outlet", "unit": unit}
