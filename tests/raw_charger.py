"""A bare OCPP-J peer over a real WebSocket, for frames no well-behaved charger would send."""

import asyncio
import base64
import itertools
import json

import websockets


class RawCharger:
    def __init__(self, ws):
        self.ws = ws
        self.ids = itertools.count(1)
        self.calls_received: list = []

    @classmethod
    async def connect(cls, base: str, charge_box_id: str, *, password: str | None = None, subprotocols=("ocpp1.6",)):
        headers = {}
        if password is not None:
            token = base64.b64encode(f"{charge_box_id}:{password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        ws = await websockets.connect(
            f"{base}/{charge_box_id}", subprotocols=list(subprotocols), additional_headers=headers
        )
        return cls(ws)

    async def send_raw(self, text: str) -> None:
        await self.ws.send(text)

    async def recv(self, timeout: float = 5) -> list:
        return json.loads(await asyncio.wait_for(self.ws.recv(), timeout))

    async def call(self, action: str, payload: dict) -> list:
        """Send a CALL and return the frame that answers it."""
        unique_id = str(next(self.ids))
        await self.ws.send(json.dumps([2, unique_id, action, payload]))
        while True:
            frame = await self.recv()
            if frame[0] == 2:
                self.calls_received.append(frame)
                continue
            assert frame[1] == unique_id, frame
            return frame

    async def close(self) -> None:
        await self.ws.close()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()
