"""Opening a charger's WebSocket the way a real charger does: `<url>/<chargeBoxId>`, one
subprotocol, HTTP Basic auth when it has a password (security profiles 1 and 2), and over `wss://` the
TLS context it holds: the CAs it trusts and, on profile 3, its client certificate."""

import base64
import ssl
from urllib.parse import quote

import websockets
from websockets.asyncio.client import ClientConnection


class ConnectionRefused(Exception):
    """The CSMS could not be reached or refused the charger; the message tells an operator what to check."""


async def open_socket(
    url: str, charge_box_id: str, *, subprotocol: str, password: str | None, tls: ssl.SSLContext | None = None
) -> ClientConnection:
    address = f"{url.rstrip('/')}/{quote(charge_box_id, safe='')}"
    headers = {}
    if password:
        token = base64.b64encode(f"{charge_box_id}:{password}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    try:
        socket = await websockets.connect(
            address, subprotocols=[subprotocol], additional_headers=headers, open_timeout=10, max_size=2**20,
            **({"ssl": tls} if tls is not None else {}),
        )  # fmt: skip
    except websockets.InvalidStatus as error:
        raise ConnectionRefused(
            f"{address} refused the connection with HTTP {error.response.status_code}: check that {charge_box_id} "
            f"is registered, that the CSMS speaks {subprotocol} and, if the charger has a password, that it matches"
        )
    except (OSError, TimeoutError, ssl.SSLError, websockets.InvalidHandshake, websockets.InvalidURI) as error:
        raise ConnectionRefused(f"cannot open {address}: {error}")
    if socket.subprotocol != subprotocol:
        await socket.close()
        raise ConnectionRefused(f"{address} did not agree to speak {subprotocol}")
    return socket
