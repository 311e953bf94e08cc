"""A small OCPP 1.6J central system on the `ocpp` library's server side, for testing chargers
without the product in the way: it answers what a charger sends, records it, and sends commands.
The library validates every answer a charger gives against the OCPP schemas."""

import asyncio
import itertools
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action
from websockets.exceptions import ConnectionClosed

transaction_ids = itertools.count(1001)


class CentralSystemPeer(ChargePoint):
    """One charger's connection, seen from the central system."""

    def __init__(self, charge_box_id: str, connection, *, heartbeat_interval: int = 300):
        super().__init__(charge_box_id, connection, response_timeout=10)
        self.heartbeat_interval = heartbeat_interval
        self.received: list[tuple[str, dict]] = []
        self._arrived = asyncio.Condition()

    async def _record(self, action: str, payload: dict) -> None:
        async with self._arrived:
            self.received.append((action, payload))
            self._arrived.notify_all()

    async def expect(self, action: str, timeout: float = 5, **fields) -> dict:
        """The first message of `action` whose fields match, taken off the record; waits for it to arrive."""
        async with asyncio.timeout(timeout):
            async with self._arrived:
                while (payload := self._take(action, fields)) is None:
                    await self._arrived.wait()
        return payload

    def _take(self, action: str, fields: dict) -> dict | None:
        for index, (name, payload) in enumerate(self.received):
            if name == action and all(payload.get(k) == v for k, v in fields.items()):
                return self.received.pop(index)[1]
        return None

    def seen(self, action: str) -> list[dict]:
        return [payload for name, payload in self.received if name == action]

    @on(Action.boot_notification)
    async def on_boot_notification(self, **payload):
        await self._record("BootNotification", payload)
        return call_result.BootNotification(current_time=_now(), interval=self.heartbeat_interval, status="Accepted")

    @on(Action.heartbeat)
    async def on_heartbeat(self, **payload):
        await self._record("Heartbeat", payload)
        return call_result.Heartbeat(current_time=_now())

    @on(Action.status_notification)
    async def on_status_notification(self, **payload):
        await self._record("StatusNotification", payload)
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, **payload):
        await self._record("Authorize", payload)
        return call_result.Authorize(id_tag_info={"status": "Accepted"})

    @on(Action.start_transaction)
    async def on_start_transaction(self, **payload):
        await self._record("StartTransaction", payload)
        return call_result.StartTransaction(transaction_id=next(transaction_ids), id_tag_info={"status": "Accepted"})

    @on(Action.stop_transaction)
    async def on_stop_transaction(self, **payload):
        await self._record("StopTransaction", payload)
        return call_result.StopTransaction()

    @on(Action.meter_values)
    async def on_meter_values(self, **payload):
        await self._record("MeterValues", payload)
        return call_result.MeterValues()

    @on(Action.firmware_status_notification)
    async def on_firmware_status_notification(self, **payload):
        await self._record("FirmwareStatusNotification", payload)
        return call_result.FirmwareStatusNotification()

    @on(Action.diagnostics_status_notification)
    async def on_diagnostics_status_notification(self, **payload):
        await self._record("DiagnosticsStatusNotification", payload)
        return call_result.DiagnosticsStatusNotification()


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class CentralSystem:
    url: str
    connections: asyncio.Queue

    async def next_connection(self, timeout: float = 5) -> CentralSystemPeer:
        return await asyncio.wait_for(self.connections.get(), timeout)


@asynccontextmanager
async def central_system(*, heartbeat_interval: int = 300):
    """Serve on 127.0.0.1, a free port; `url` is the base chargers append their chargeBoxId to."""
    connections: asyncio.Queue = asyncio.Queue()

    async def serve(connection):
        peer = CentralSystemPeer(
            connection.request.path.rsplit("/", 1)[-1], connection, heartbeat_interval=heartbeat_interval
        )
        await connections.put(peer)
        try:
            await peer.start()
        except ConnectionClosed:
            pass

    async with websockets.serve(serve, "127.0.0.1", 0, subprotocols=["ocpp1.6"]) as server:
        port = server.sockets[0].getsockname()[1]
        yield CentralSystem(f"ws://127.0.0.1:{port}/ocpp", connections)
