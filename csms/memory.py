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

What is left in cycles is small: a Django request's own objects leave none
(csms/request_threads.py); a REST API request's view and serializers do (about 190 objects for a
page of chargers). A full collection runs COLLECT_AFTER seconds after a connection closes, one for
every connection closed meanwhile: a process whose chargers stay connected pays nothing, and one
whose chargers come and go gets that memory back within seconds. An HTTP request reports its end as
a close too, and a steady stream of API requests brought a full collection every COLLECT_AFTER
seconds (at 100 API commands a second, 9 % of the time the event loop held the interpreter, with
only 100 chargers connected: a full collection walks every object the process holds); after a
request the next one comes no sooner than REQUESTS_COLLECT_EVERY seconds after the last. And a full
collection's pause grows with what the process holds: in a reconnect storm, with thousands of
chargers connected and the crowd at the door closing connections every moment, a collection every
COLLECT_AFTER seconds took 23 % of a node's time (`py-spy`, bench/README.md). However many
connections close, collections are kept to GC_TIME_SHARE of the process's time: the next comes no
sooner than the last one's pause divided by that share after it.

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
import time
from functools import partial

COLLECT_AFTER = 2.0
REQUESTS_COLLECT_EVERY = 10.0
GC_TIME_SHARE = 0.05
ARENAS = 2
M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h

_scheduled: asyncio.TimerHandle | None = None
_last_collected = -math.inf  # loop time
_gap = 0.0  # the least time between two collections: the last one's pause / GC_TIME_SHARE


def connection_closed(*, request_only: bool = False) -> None:
    """Called for every closed connection (HTTP or WebSocket) and every finished HTTP request
    (`request_only`), on the event loop."""
    global _scheduled
    loop = asyncio.get_running_loop()
    due = max(loop.time() + COLLECT_AFTER, _last_collected + _gap)
    if request_only:
        due = max(due, _last_collected + REQUESTS_COLLECT_EVERY)
    if _scheduled is not None:
        if _scheduled.when() <= due:
            return
        _scheduled.cancel()  # a connection closed: sooner than a request's collection was due
    _scheduled = loop.call_at(due, _collect)


def _collect() -> None:
    global _scheduled, _last_collected, _gap
    _scheduled = None
    started = time.thread_time()  # the collection's own processor time: on a busy machine, not its wait
    gc.collect()
    _gap = (time.thread_time() - started) / GC_TIME_SHARE
    _last_collected = asyncio.get_running_loop().time()


def cap_malloc_arenas() -> None:
    """Before the process starts threads. `MALLOC_ARENA_MAX` in the environment, which glibc reads
    itself, wins; a C library without mallopt (musl, macOS) is left as it is."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is not None:
        mallopt(M_ARENA_MAX, ARENAS)


class ConnectionQueue:
    """The asyncio.Queue a connection's messages wait in (daphne's, a channel's), with only what they use.

    asyncio.Queue makes four deques and an Event up front (putters, getters, items, the Event's
    waiters: about 3 kB, with daphne's queue and the in-memory channel layer's two a connection);
    nothing ever waits to put or joins these. Same interface, same order, same wake-up of getters.
    """

    __slots__ = ("maxsize", "_queue", "_getters")

    def __init__(self, maxsize: int = 0):
        self.maxsize = maxsize
        self._queue = []  # nearly always empty or one message: a list is smaller than a deque
        self._getters = []

    def qsize(self) -> int:
        return len(self._queue)

    def empty(self) -> bool:
        return not self._queue

    def full(self) -> bool:
        return 0 < self.maxsize <= len(self._queue)

    def put_nowait(self, item) -> None:
        if self.full():
            raise asyncio.QueueFull
        self._queue.append(item)
        self._wake_next()

    def get_nowait(self):
        if not self._queue:
            raise asyncio.QueueEmpty
        return self._queue.pop(0)

    async def get(self):
        while not self._queue:
            getter = asyncio.get_running_loop().create_future()
            self._getters.append(getter)
            try:
                await getter
            except BaseException:
                getter.cancel()  # in case it was not done yet
                try:
                    self._getters.remove(getter)
                except ValueError:
                    pass
                if self._queue and not getter.cancelled():
                    self._wake_next()  # woken, then cancelled: the item goes to the next getter
                raise
        return self._queue.pop(0)

    def _wake_next(self) -> None:
        while self._getters:
            getter = self._getters.pop(0)
            if not getter.done():
                getter.set_result(None)
                return


def _create_application(server, protocol, scope):
    """daphne's Server.create_application (daphne 4), with a ConnectionQueue for the application's input."""
    assert "application_instance" not in server.connections[protocol]
    input_queue = ConnectionQueue()
    scope.setdefault("asgi", {"version": "3.0"})
    application_instance = server.application(
        scope=scope, receive=input_queue.get, send=partial(server.handle_reply, protocol)
    )
    if protocol not in server.connections:
        return None
    server.connections[protocol]["application_instance"] = asyncio.ensure_future(application_instance)
    return input_queue


def _build_protocol(factory, addr):
    """daphne's WebSocketFactory.buildProtocol, the protocol of a class that holds the factory's options.

    autobahn copies each of its 29 options from the factory into every protocol unless the protocol's
    class has it: with them the instance's dict held 108 attributes, more than a 128-slot dict takes,
    3.3 kB; without, 79 and 1.5 kB. The class is made again whenever the factory's options change.
    """
    options = [getattr(factory, name) for name in factory.protocol.CONFIG_ATTRS]
    shared = factory.__dict__.get("_shared_options")
    if shared is None or shared[0] != options:
        # staticmethod: an option that is a function (perMessageCompressionAccept) must not become a method.
        attributes = {
            name: staticmethod(value) if callable(value) else value
            for name, value in zip(factory.protocol.CONFIG_ATTRS, options, strict=True)
        }
        cls = type(factory.protocol.__name__, (factory.protocol,), attributes)
        shared = factory._shared_options = (options, cls)
    protocol = _daphne_build_protocol(factory, addr)
    if protocol is not None and type(protocol) is factory.protocol:
        protocol.__class__ = shared[1]
    return protocol


_daphne_build_protocol = None


def _opened(protocol) -> None:
    """daphne's WebSocketProtocol.onOpen, then what only the handshake read is let go (about 3 kB a
    connection: the raw request, autobahn's header dict, daphne's cleaned headers). daphne reads only
    the request's path after this, autobahn none of it, and the application read the headers before
    it accepted: the cleaned headers are emptied in place, as the application's scope, and the
    routers' copies of it that live as long as the socket, share that list."""
    _daphne_on_open(protocol)
    protocol.http_request_data = b""
    protocol.http_headers = {}
    protocol.clean_headers.clear()
    if getattr(protocol, "request", None) is not None:
        protocol.request.headers = {}


_daphne_on_open = None


def release(protocol) -> None:
    """Breaks the cycles a closed connection's protocol is part of (see the module); called on the
    event loop once daphne and autobahn are done with the close."""
    from daphne.http_protocol import WebRequest
    from daphne.ws_protocol import WebSocketProtocol

    if isinstance(protocol, WebRequest):
        # Handed over to a WebSocket protocol (daphne then takes its transport), never finished.
        if protocol.transport is None and getattr(protocol, "channel", None) is not None:
            # The HTTP channel stayed the socket's producer for as long as the WebSocket was open, with
            # the handshake request it lists (about 4 kB). As the producer it does nothing: it pauses
            # and resumes the socket only between requests, and this request never ends.
            channel, protocol.channel = protocol.channel, None
            if getattr(channel.transport, "producer", None) is channel:  # TLS wraps it: left as it is
                channel.transport.unregisterProducer()
            if protocol in channel.requests:
                channel.requests.remove(protocol)
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
    Server.create_application = _create_application
    global _daphne_build_protocol, _daphne_on_open
    from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol

    _daphne_build_protocol = WebSocketFactory.buildProtocol
    WebSocketFactory.buildProtocol = _build_protocol
    _daphne_on_open = WebSocketProtocol.onOpen
    WebSocketProtocol.onOpen = _opened
