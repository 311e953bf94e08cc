"""Memory a server process gets back when connections close.

A WebSocket connection leaves two reference cycles behind when it closes, and everything it held
hangs from them (about 70 objects and 20 kB a connection: Twisted's transport and HTTP channel,
the handshake's request and headers, autobahn's frame state, daphne's queue):
- the handshake request and its HTTP channel: the channel lists the request, the request points
  at the channel, and neither is told that the connection was handed to the WebSocket protocol;
- the WebSocket protocol and its `is_closed` Deferred, which fires with the protocol itself.
Only a full garbage collection frees a cycle, and csms/asgi.py makes those rare for their pauses
with thousands of sockets open. So `release` breaks both cycles once the connection is over, and
reference counting frees the connection at once (1,000 chargers connecting and leaving: 20 MB
held until the next full collection before, 6 MB after).

What is left in cycles (an HTTP request's error traceback, Django's request and its messages) is
small; a full collection runs COLLECT_AFTER seconds after a connection closes, one for every
connection closed meanwhile: a process whose chargers stay connected pays nothing, and one whose
chargers come and go gets that memory back within seconds. An HTTP request reports its end as a
close too, and a steady stream of API requests brought a full collection every COLLECT_AFTER
seconds (at 100 API commands a second, 9 % of the time the event loop held the interpreter, with
only 100 chargers connected: a full collection walks every object the process holds); after a
request the next one comes no sooner than REQUESTS_COLLECT_EVERY seconds after the last.

And glibc's malloc gives threads that allocate at the same moment arenas of their own, up to eight
a core; memory freed in one arena is reused only by the threads on it. The request, database and
executor threads of a server process spread its allocations over arenas that each keep their
high-water mark, and RSS crept up wave after wave (1,000 chargers ten times: +4-5 %).
`cap_malloc_arenas` keeps a server process on ARENAS arenas (the same: +1.3-3.7 %, nearly all of it
in the second wave); under the GIL the threads hardly ever allocate at once anyway.
"""

import asyncio
import ctypes
import gc
import math
import os

COLLECT_AFTER = 2.0
REQUESTS_COLLECT_EVERY = 10.0
ARENAS = 2
M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h

_scheduled: asyncio.TimerHandle | None = None
_last_collected = -math.inf  # loop time


def connection_closed(*, request_only: bool = False) -> None:
    """Called for every closed connection (HTTP or WebSocket) and every finished HTTP request
    (`request_only`), on the event loop."""
    global _scheduled
    loop = asyncio.get_running_loop()
    due = loop.time() + COLLECT_AFTER
    if request_only:
        due = max(due, _last_collected + REQUESTS_COLLECT_EVERY)
    if _scheduled is not None:
        if _scheduled.when() <= due:
            return
        _scheduled.cancel()  # a connection closed: sooner than a request's collection was due
    _scheduled = loop.call_at(due, _collect)


def _collect() -> None:
    global _scheduled, _last_collected
    _scheduled = None
    gc.collect()
    _last_collected = asyncio.get_running_loop().time()


def cap_malloc_arenas() -> None:
    """Before the process starts threads. `MALLOC_ARENA_MAX` in the environment, which glibc reads
    itself, wins; a C library without mallopt (musl, macOS) is left as it is."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is not None:
        mallopt(M_ARENA_MAX, ARENAS)


def release(protocol) -> None:
    """Breaks the cycles a closed connection's protocol is part of (see the module); called on the
    event loop once daphne and autobahn are done with the close."""
    from daphne.http_protocol import WebRequest
    from daphne.ws_protocol import WebSocketProtocol

    if isinstance(protocol, WebRequest):
        # Handed over to a WebSocket protocol (daphne then takes its transport), never finished.
        if protocol.transport is None and protocol.channel is not None:
            protocol.channel = None
    elif isinstance(protocol, WebSocketProtocol):
        # A refused handshake reports its close before the socket is gone: `is_closed` fires later,
        # and the close reported then releases it.
        if protocol.is_closed is not None and protocol.is_closed.called:
            protocol.is_closed = None


def install() -> None:
    """Daphne tells us of every connection that closes."""
    from daphne.http_protocol import WebRequest
    from daphne.server import Server

    protocol_disconnected = Server.protocol_disconnected
    if getattr(protocol_disconnected, "collects", False):
        return

    def disconnected(server, protocol):
        protocol_disconnected(server, protocol)
        # A finished HTTP request (its response sent) reports itself as closed, whatever its connection does.
        connection_closed(request_only=isinstance(protocol, WebRequest) and bool(protocol.finished))
        # daphne and autobahn still use the protocol after they report the close.
        asyncio.get_running_loop().call_soon(release, protocol)

    disconnected.collects = True
    Server.protocol_disconnected = disconnected
