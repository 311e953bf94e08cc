"""Memory a server process gets back when connections close.

Each connection leaves a few dozen objects in reference cycles (Twisted's transport and protocol,
their Deferreds, the WebSocket handshake's headers), which only a full garbage collection frees.
csms/asgi.py makes full collections rare, for their pauses with thousands of sockets open: so
chargers that came and went left their connections' objects behind, and every reconnect wave
grew the process (300 chargers connecting ten times: +10 % RSS). Here a full collection runs
COLLECT_AFTER seconds after a connection closes, one for every connection closed meanwhile: a
process whose chargers stay connected pays nothing, and one whose chargers come and go gets its
memory back within seconds (300 chargers ten times: +0.3 %).
"""

import asyncio
import gc

COLLECT_AFTER = 2.0

_scheduled = False


def connection_closed() -> None:
    """Called for every closed connection (HTTP or WebSocket), on the event loop."""
    global _scheduled
    if not _scheduled:
        _scheduled = True
        asyncio.get_running_loop().call_later(COLLECT_AFTER, _collect)


def _collect() -> None:
    global _scheduled
    _scheduled = False
    gc.collect()


def install() -> None:
    """Daphne tells us of every connection that closes."""
    from daphne.server import Server

    protocol_disconnected = Server.protocol_disconnected
    if getattr(protocol_disconnected, "collects", False):
        return

    def disconnected(server, protocol):
        protocol_disconnected(server, protocol)
        connection_closed()

    disconnected.collects = True
    Server.protocol_disconnected = disconnected
