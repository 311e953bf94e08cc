"""What every simulated charger is whatever OCPP version it speaks: its identity, its
connectors, its connection (connect, read, reconnect after a reboot), heartbeats, background
follow-ups, DataTransfer and the log an operator reads.

Each version's charger mixes `Charger` in before the `ocpp` library's ChargePoint of that
version and supplies `equip()` (its settings), `flag()`, `boot()`, `report_status()`,
`end_sessions()` and `heartbeat_seconds`; the other shared behaviours (`sessions.py`,
`authorization.py`, `reservations.py`, `smart_charging.py`, `firmware.py`) are mixed in beside it.

Handlers only change state and answer; every message the charger sends because of a
command goes out from a task after the answer, since a handler that awaited a CALL of
its own would block the loop that reads the CSMS's answer.
"""

import asyncio
import functools
import logging
import re
from collections.abc import Coroutine
from dataclasses import dataclass

from ocpp.exceptions import OCPPError
from ocpp.routing import on
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from simulator.charging_profiles import ChargingProfiles
from simulator.connection import open_socket
from simulator.connectors import Connector

log = logging.getLogger("simulator")


@dataclass(frozen=True)
class Identity:
    """What the charger says about itself in its BootNotification."""

    vendor: str = "CSMS Simulator"
    model: str = "SIM-AC22"
    serial_number: str = "SIM-0001"
    firmware_version: str = "1.0.0"
    meter_type: str = "SIM-Meter"
    meter_serial_number: str = "SIM-M-0001"


class _Prefixed(logging.LoggerAdapter):
    def process(self, msg, kwargs):
        return f"{self.extra['prefix']}: {msg}", kwargs


class _Link:
    """What the `ocpp` library sees as its connection; the socket behind it changes on every reboot."""

    socket: ClientConnection | None = None

    async def send(self, message: str) -> None:
        if self.socket is None:
            raise ConnectionError("not connected")
        await self.socket.send(message)

    async def recv(self) -> str:
        raise RuntimeError("a simulated charger reads the socket itself")


def answers(action: str):
    """`@on(action)` that also logs the command and the charger's answer for an operator."""

    def decorator(handler):
        @functools.wraps(handler)
        def logged(self, **request):
            response = handler(self, **request)
            asked = ", ".join(f"{k}={v}" for k, v in request.items() if v is not None and k != "charging_profile")
            answer = getattr(response, "status", None) or _summary(response)
            self.log.info("%s(%s) answered %s", action, asked, answer)
            return response

        return on(action)(logged)

    return decorator


def _summary(response) -> str:
    fields = {k: v for k, v in vars(response).items() if v is not None}
    return str(fields) if fields else "{}"


class Charger:
    """The charger and its connection. Unlike the `ocpp` library's ChargePoint, `start()` connects,
    boots and reports status, and the charger reads its socket itself (reconnecting after a reboot)."""

    subprotocol: str

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
            _Link(),
            response_timeout=response_timeout,
            logger=logging.getLogger("simulator.frames"),
        )
        self.url = url
        self.password = password
        self.identity = identity or Identity(serial_number=f"SIM-{charge_box_id}"[:25])
        self.firmware_version = self.identity.firmware_version
        self.firmware_step = firmware_step
        self.log = _Prefixed(logger or log, {"prefix": charge_box_id})
        self.registration_status = ""
        self.heartbeat_interval = 0
        self.reboots = 0
        self.closed = asyncio.Event()
        self.connectors = {n: Connector(n) for n in range(1, connectors + 1)}
        self.operative = True
        self.profiles = ChargingProfiles()
        self.local_list: dict[str, dict] = {}
        self.local_list_version = 0
        self.authorization_cache: dict[str, dict] = {}
        self._tasks: set[asyncio.Task] = set()
        self._heartbeat: asyncio.Task | None = None
        self._reader: asyncio.Task | None = None
        self._meters: dict[int, asyncio.Task] = {}
        self._expiries: dict[int, asyncio.Task] = {}
        self._rebooting = False
        self._stopping = False
        self.equip(meter_interval=meter_interval)

    # What each version supplies.

    def equip(self, *, meter_interval: int) -> None:
        """The version's own settings (a 1.6 configuration table, a 2.0.1 device model)."""
        raise NotImplementedError

    def flag(self, name: str) -> bool:
        """A setting shared code asks about by its neutral name (see each version's FLAGS)."""
        raise NotImplementedError

    async def boot(self) -> str:
        raise NotImplementedError

    async def report_status(self) -> None:
        raise NotImplementedError

    async def end_sessions(self, reason: str) -> None:
        """Stop every session before a reboot."""
        raise NotImplementedError

    @property
    def heartbeat_seconds(self) -> int:
        raise NotImplementedError

    @heartbeat_seconds.setter
    def heartbeat_seconds(self, seconds: int) -> None:
        raise NotImplementedError

    # Life cycle.

    async def connect(self) -> None:
        """Open the WebSocket (raises ConnectionRefused with an explanation) and start reading it."""
        url = self.connection_url()
        socket = await open_socket(url, self.id, subprotocol=self.subprotocol, password=self.password,
                                   tls=self.tls_context(url))  # fmt: skip
        self._connection.socket = socket
        self._response_queue = asyncio.Queue()
        self._stopping = False
        self.closed.clear()
        self._reader = asyncio.create_task(self._read(socket), name=f"{self.id} reader")
        self.log.info("connected to %s/%s (%s)", url.rstrip("/"), self.id, socket.subprotocol)

    def connection_url(self) -> str:
        """Where the charger connects (its security profile may name another: `security.py`)."""
        return self.url

    def tls_context(self, url: str):
        """The TLS context for a `wss://` url: None, the system's trusted CAs (`security.py` holds its own)."""
        return None

    async def start(self) -> str:
        """Connect, boot until Accepted (retrying at the interval the CSMS asks) and report every connector."""
        await self.connect()
        while (status := await self.boot()) != "Accepted":
            wait = self.heartbeat_interval or 10
            self.log.info("not accepted yet; booting again in %s s", wait)
            await asyncio.sleep(wait)
        await self.report_status()
        return status

    def booted(self, status: str, interval: int) -> None:
        """The CSMS's answer to a BootNotification: on Accepted heartbeat at the interval it gave."""
        self.registration_status = status
        self.heartbeat_interval = interval
        self.log.info("booted: %s, heartbeat every %s s", status, interval)
        if status == "Accepted":
            if interval > 0:
                self.heartbeat_seconds = interval
            self._restart_heartbeat()

    async def stop(self) -> None:
        """Close the connection and end every background task (sessions are left as they are)."""
        self._stopping = True
        for task in [self._heartbeat, *self._tasks]:
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        if self._connection.socket is not None:
            await self._connection.socket.close()
            self.log.info("disconnected")
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
        self.closed.set()

    async def wait_closed(self) -> None:
        """Until stop() is called or the CSMS drops the connection (a Reset reconnects and keeps going)."""
        await self.closed.wait()

    async def __aenter__(self):
        await self.start()
        return self

    async def __aexit__(self, *exc):
        await self.stop()

    async def reboot(self, reason: str) -> None:
        """End sessions, drop the connection, and connect and boot again, as after a Reset."""
        self._rebooting = True
        try:
            await self.end_sessions(reason)
            self._cancel(self._heartbeat)
            self.log.info("rebooting (%s)", reason)
            await self._connection.socket.close()
            await asyncio.gather(self._reader, return_exceptions=True)
            self.reboots += 1
            await self.start()
        finally:
            self._rebooting = False

    async def _read(self, socket: ClientConnection) -> None:
        try:
            async for message in socket:
                await self.route_message(message)
        except ConnectionClosed:
            pass
        if not (self._rebooting or self._stopping):
            self.log.warning("connection closed by the CSMS (code %s)", socket.close_code)
            self._cancel(self._heartbeat)
            self.closed.set()

    def _spawn(self, coroutine: Coroutine) -> asyncio.Task:
        """A follow-up that runs after the answer has gone out; failures are logged, not lost."""
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._settled)
        return task

    def _settled(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.log.error("%s failed: %r", task.get_coro().__qualname__, task.exception())

    @staticmethod
    def _cancel(task: asyncio.Task | None) -> None:
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    # Heartbeats.

    def _restart_heartbeat(self) -> None:
        self._cancel(self._heartbeat)
        interval = self.heartbeat_seconds
        self._heartbeat = self._spawn(self._beat(interval)) if interval > 0 else None

    async def _beat(self, interval: int) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.heartbeat()
            except (TimeoutError, OCPPError) as error:
                self.log.warning("heartbeat failed: %r", error)

    @answers("DataTransfer")
    def on_data_transfer(self, vendor_id: str, message_id: str | None = None, data=None, **_):
        if vendor_id != self.identity.vendor:
            return self._call_result.DataTransfer(status="UnknownVendorId")
        if message_id not in (None, "Echo"):
            return self._call_result.DataTransfer(status="UnknownMessageId")
        return self._call_result.DataTransfer(status="Accepted", data=data)

    async def heartbeat(self) -> str:
        response = await self.call(self._call.Heartbeat(), suppress=False)
        self.log.debug("heartbeat, CSMS time %s", response.current_time)
        return response.current_time


def firmware_version_from(location: str, current: str) -> str:
    """The version named in the firmware's file name (`.../sim-2.1.0.bin` gives 2.1.0), else the next patch."""
    named = re.findall(r"\d+(?:\.\d+)+", location.rsplit("/", 1)[-1])
    if named:
        return named[-1][:50]
    parts = current.split(".")
    if parts[-1].isdigit():
        return ".".join([*parts[:-1], str(int(parts[-1]) + 1)])
    return f"{current}.1"[:50]
