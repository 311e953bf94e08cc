"""A server process's graceful shutdown on SIGTERM (README, "Operations").

Daphne stops on SIGTERM by cancelling every connection's application at once: API calls in
flight were dropped and every charger's socket ended without a close frame (1006). Here that
cancelling waits for the drain:

1. `/readyz` answers 503 and new requests and sockets are refused (503 with Retry-After, HTTP
   requests and WebSocket handshakes alike), so that the load balancer sends them to another node;
2. HTTP requests in flight (API commands waiting for their charger) finish, up to their timeout;
3. the steps other rooms added with `on_drain` run in order: charger sockets closed with
   CSMS_SHUTDOWN_CLOSE_CODE, spread over CSMS_SHUTDOWN_CLOSE_WINDOW seconds, then the writes
   held behind (message log, last-seen times) flushed;

all within CSMS_SHUTDOWN_GRACE seconds of the signal. Whatever still runs then (a thread waiting
for a charger on the stopped event loop) does not keep the process: it exits at the grace's end.
"""

import asyncio
import json
import logging
import os
import threading
from collections.abc import Awaitable, Callable

from django.conf import settings

from csms import health, ws_denial

log = logging.getLogger(__name__)

# What a client refused while the node drains is told to wait before trying again (another node).
RETRY_AFTER = 5
# Kept for daphne's own cancelling of what is left, and the interpreter's exit.
EXIT_MARGIN = 1.0
# Steps' order: what needs the sockets open (commands in flight) before closing them, flushing last.
CLOSE_SOCKETS, FLUSH_WRITES, LAST = 20, 30, 90

_steps: list[tuple[int, str, Callable[[float], Awaitable[None]]]] = []
_requests_in_flight = 0


def on_drain(order: int, name: str, step: Callable[[float], Awaitable[None]]) -> None:
    """Run `await step(deadline)` when the process drains (deadline: the event loop's time to be done by)."""
    _steps.append((order, name, step))
    _steps.sort(key=lambda entry: entry[0])


class Draining:
    """ASGI wrapper: counts HTTP requests in flight, and while draining refuses new ones and new sockets.

    The probes and /metrics are still served: /readyz says why the node is not ready.
    """

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        global _requests_in_flight
        if health.draining.is_set() and scope["type"] in REFUSALS and scope["path"] not in SERVED_WHILE_DRAINING:
            return await REFUSALS[scope["type"]](receive, send)
        if scope["type"] != "http":
            return await self.application(scope, receive, send)
        _requests_in_flight += 1
        try:
            return await self.application(scope, receive, send)
        finally:
            _requests_in_flight -= 1


async def _refuse_request(receive, send) -> None:
    body = json.dumps(
        {"error": {"code": "unavailable", "message": "This node is shutting down; try again (another node)."}}
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"retry-after", str(RETRY_AFTER).encode())]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _refuse_socket(receive, send) -> None:
    await receive()  # websocket.connect
    await ws_denial.deny(send, retry_after=RETRY_AFTER)


REFUSALS = {"http": _refuse_request, "websocket": _refuse_socket}
SERVED_WHILE_DRAINING = health.PROBES | {"/metrics"}


async def drain() -> None:
    """Steps 1-3 of the module's docstring, each bounded by what is left of the grace period."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    deadline = started + settings.CSMS_SHUTDOWN_GRACE - EXIT_MARGIN
    health.draining.set()
    _exit_at_the_latest(settings.CSMS_SHUTDOWN_GRACE)
    log.info("shutting down: draining for up to %g s", settings.CSMS_SHUTDOWN_GRACE)
    # Requests in flight first, while the sockets their commands went to are still open.
    requests_deadline = deadline - settings.CSMS_SHUTDOWN_CLOSE_WINDOW - EXIT_MARGIN
    while _requests_in_flight and loop.time() < requests_deadline:
        await asyncio.sleep(0.05)
    if _requests_in_flight:
        log.warning("%d HTTP requests still in flight: they are cut", _requests_in_flight)
    for _, name, step in _steps:
        try:
            await asyncio.wait_for(step(deadline), max(deadline - loop.time(), 0.1))
        except TimeoutError:
            log.warning("shutting down: %s did not finish in time", name)
        except Exception:
            log.exception("shutting down: %s failed", name)
    log.info("drained in %.1f s", loop.time() - started)


def _exit_at_the_latest(grace: float) -> None:
    """A process still running `grace` seconds from now exits: a thread waiting on the stopped event loop
    (a background task's command) would otherwise hold the interpreter's exit for ever."""

    def exit_now():
        log.warning("still running %g s after the signal to stop: exiting now", grace)
        logging.shutdown()
        os._exit(1)

    timer = threading.Timer(grace, exit_now)
    timer.daemon = True
    timer.start()


def install() -> None:
    """Daphne's shutdown waits for the drain, and charger sockets may be closed with 1001 or 1012."""
    from daphne.server import Server
    from daphne.ws_protocol import WebSocketProtocol
    from twisted.internet.defer import Deferred

    kill_all_applications = Server.kill_all_applications
    if getattr(kill_all_applications, "drains", False):
        return

    def kill_after_drain(server):
        drained = Deferred.fromFuture(asyncio.ensure_future(drain()))
        drained.addErrback(lambda failure: log.error("shutting down: %s", failure.getErrorMessage()))
        drained.addBoth(lambda _: kill_all_applications(server))
        return drained

    kill_after_drain.drains = True
    Server.kill_all_applications = kill_after_drain

    server_close = WebSocketProtocol.serverClose

    def close(protocol, code=None):
        # Autobahn lets an application send only 1000 and 3000-4999; 1001 and 1012 are the server's own.
        if code in SERVER_CLOSE_CODES:
            protocol.sendCloseFrame(code=code, isReply=False)
        else:
            server_close(protocol, code)

    WebSocketProtocol.serverClose = close


SERVER_CLOSE_CODES = {1001, 1012}  # going away, service restart
