"""Opening a charger's WebSocket the way a real charger does: `<url>/<chargeBoxId>`, one
subprotocol, and HTTP Basic auth when it has a password (security profile 1)."""

import base64
from urllib.parse import quote

import websockets
from websockets.asyncio.client import ClientConnection


class ConnectionRefused(Exception):
    """The CSMS could not be reached or refused the charger; the message tells an operator what to check."""


async def open_socket(url: str, charge_box_id: str, *, subprotocol: str, password: str | None) -> ClientConnection:
    address = f"{url.rstrip('/')}/{quote(charge_box_id, safe='')}"
    headers = {}
    if password:
        token = base64.b64encode(f"{charge_box_id}:{password}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    try:
        socket = await websockets.connect(
            address, subprotocols=[subprotocol], additional_headers=headers, open_timeout=10, max_size=2**20
        )
    except websockets.InvalidStatus as error:
        raise ConnectionRefused(
            f"{address} refused the connection with HTTP {error.response.status_code}: check that {charge_box_id} "
            f"is registered, that the CSMS speaks {subprotocol} and, if the charger has a password, that it matches"
        )
    except (OSError, TimeoutError, websockets.InvalidHandshake, websockets.InvalidURI) as error:
        raise ConnectionRefused(f"cannot open {address}: {error}")
    if socket.subprotocol != subprotocol:
        await socket.close()
        raise ConnectionRefused(f"{address} did not agree to speak {subprotocol}")
    return socket
