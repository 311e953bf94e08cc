"""The charger's WebSocket: handshake, auth, framing, CALLERRORs and the outgoing CALL slot.

Incoming CALLs are answered in order, each with one database hop (an action that waits on another
service, such as an OCSP responder, is a coroutine awaited on the loop instead). Commands from the
command bus arrive on this consumer's channel and run as tasks, so that frames keep
being read while a CALL to the charger is outstanding.
"""

import asyncio
import base64
import binascii
import functools
import inspect
import logging
import time
import weakref
from datetime import datetime

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone

from chargers.services import presence
from commands import outcomes
from csms import logs, metrics, shutdown
from ocpp_ws import framing, handshakes, message_log
from ocpp_ws.framing import CALL, CALLERROR, CALLRESULT, CALLRESULTERROR, SEND, FrameError
from ocpp_ws.group_commit import frames_db
from ocpp_ws.pacing import FramePacer
from ocpp_ws.session import PayloadValueError, Session
from ocpp_ws.versions import VERSIONS, negotiate, supported
from ocpp_ws.write_behind import WriteBehind
from pki.access import connection_gate
from pki.lockout import auth_failure_record, auth_success_record, lockout_refusal
from pki.profiles import upgrade_confirm

log = logging.getLogger(__name__)

# A command the charger has not answered this many seconds after its CALL went out shows as sent;
# one answered sooner goes from pending to its outcome in one write.
SENT_RECORD_AFTER = 1.0
CLOSE_REPLACED = 4000
CLOSE_SILENT = 4001
CLOSE_REMOVED = 4002
# Applications may close only with 1000 or 3000-4999; 4000 + the RFC's 1008/1009.
CLOSE_FLOODING = 4008
CLOSE_TOO_BIG = 4009
FRAME_TYPES = {CALL: "call", CALLRESULT: "result", CALLERROR: "error", CALLRESULTERROR: "callresulterror", SEND: "send"}


def run_action(*, handler, session: Session, payload: dict) -> dict:
    """A charger action's handler, called as the frame workers call their jobs (by keyword)."""
    return handler(session, payload)


def write_last_seen(*, batch: list[tuple[int, datetime]]) -> int:
    """The chargers of a batch, seen at its earliest time: last_seen_at is behind by at most the flush interval."""
    return presence.chargers_seen(charger_ids={charger_id for charger_id, _ in batch}, at=min(at for _, at in batch))


# A charger's last_seen_at, at most every CSMS_PRESENCE_WRITE_INTERVAL, is not written in its
# frame's own transaction: when every charger of a fleet was due at once (after a quiet spell, or
# a restart) those one-row UPDATEs doubled the frames' database work.
last_seen = WriteBehind(
    write_last_seen, interval=0.5, size=presence.SEEN_PER_STATEMENT, what="chargers' last-seen times"
)


# The chargers' sockets this process holds, to close them when it shuts down.
held: weakref.WeakSet["ChargerConsumer"] = weakref.WeakSet()
# Every consumer object not yet freed, connected or not: with it go all of a charger's state in the
# process (pacing, pending calls); /metrics shows their number (README, "Operations").
alive: weakref.WeakSet["ChargerConsumer"] = weakref.WeakSet()
metrics.read_at_scrape(
    "csms_charger_consumers_alive", "Charger connection objects not yet freed (0 once every charger left).", [],
    lambda: {(): len(alive)},
)  # fmt: skip


async def sockets_closed(deadline: float) -> None:
    """Close every charger's socket, spread over CSMS_SHUTDOWN_CLOSE_WINDOW so that the fleet does not
    reconnect to the other nodes as one wave, and wait for their disconnects to be recorded."""
    consumers = list(held)
    log.info("closing %d charger sockets over %g s", len(consumers), settings.CSMS_SHUTDOWN_CLOSE_WINDOW)
    gap = settings.CSMS_SHUTDOWN_CLOSE_WINDOW / max(len(consumers), 1)
    loop = asyncio.get_running_loop()
    for consumer in consumers:
        loop.create_task(consumer.close(code=settings.CSMS_SHUTDOWN_CLOSE_CODE))
        await asyncio.sleep(gap)
    while held and loop.time() < deadline:
        await asyncio.sleep(0.05)


shutdown.on_drain(shutdown.CLOSE_SOCKETS, "charger sockets", sockets_closed)


# Every frame is counted: the labelled series are looked up once (a few microseconds each), then kept.
_frames = functools.cache(metrics.FRAMES.labels)
_handling_seconds = functools.cache(metrics.FRAME_SECONDS.labels)


def _answered(future: asyncio.Future | None) -> bool:
    """Whether the charger's answer (a frame) settled this CALL's future."""
    return future is not None and future.done() and not future.cancelled() and future.exception() is None


def basic_auth_password(headers: list[tuple[bytes, bytes]], charge_box_id: str) -> str | None:
    """The password of an HTTP Basic header whose user is the chargeBoxId (security profile 1)."""
    for name, value in headers:
        if name.lower() != b"authorization":
            continue
        scheme, _, encoded = value.decode("latin-1").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return password if user == charge_box_id else None
    return None


def charger_admit(*, headers: list[tuple[bytes, bytes]], charge_box_id: str, remote_address: str, **admission):
    """A lockout first (no password looked at), the charger's security profile (TLS, client certificate),
    then its credentials: one database hop."""
    locked = lockout_refusal(charge_box_id=charge_box_id, remote_address=remote_address)
    if locked:
        return presence.Admission(refusal=locked)
    gate = connection_gate(charge_box_id=charge_box_id, remote_address=remote_address, headers=headers)
    if gate.refusal:
        return presence.Admission(refusal=gate.refusal)
    password = None if gate.certificate_authenticated else basic_auth_password(headers, charge_box_id)
    admitted = presence.charger_admit(
        charge_box_id=charge_box_id,
        remote_address=remote_address,
        password=password,
        certificate_authenticated=gate.certificate_authenticated,
        **admission,
    )
    if admitted.refusal in presence.CREDENTIAL_REFUSALS:
        auth_failure_record(charge_box_id=charge_box_id, remote_address=remote_address)
    elif admitted.refusal == presence.UNKNOWN_CHARGER:  # guessing names: the address is counted
        auth_failure_record(charge_box_id=None, remote_address=remote_address)
    elif not admitted.refusal and password is not None:
        auth_success_record(charge_box_id=charge_box_id)
    if not admitted.refusal and gate.upgraded_to is not None:
        upgrade_confirm(charge_box_id=charge_box_id, profile=gate.upgraded_to)
    return admitted


class _ChannelFailed:
    """Put in the socket's queue by the channel pump when receiving from the channel layer failed."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error = error


class ChargerConsumer(AsyncWebsocketConsumer):
    session: Session | None = None

    async def __call__(self, scope, receive, send):
        """Channels' loop waits on the socket and the channel layer with a task for each, renewed by
        asyncio.wait for every message. When the socket's messages come from a queue (daphne's, a test
        communicator's), the channel layer's are put in that same queue by one pump task instead, and
        dispatched one at a time in arrival order as before: a connected charger keeps two tasks, not
        three, and no asyncio.wait (2.6 kB less a connection, measured: bench/README.md)."""
        queue = getattr(receive, "__self__", None)
        if not hasattr(queue, "put_nowait") or getattr(queue, "get", None) != receive:
            return await super().__call__(scope, receive, send)
        if not handshakes.has_room():  # at the door: no channel and no task for a charger told to come back
            await receive()  # websocket.connect, which the denial answers
            await handshakes.defer(send, scope["url_route"]["kwargs"]["charge_box_id"], scope.get("client"))
            return
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.base_send = send
        pump = None
        if self.channel_layer is not None:
            self.channel_name = await self.channel_layer.new_channel()
            self.channel_receive = functools.partial(self.channel_layer.receive, self.channel_name)
            pump = asyncio.ensure_future(self.channel_pump(queue))
        try:
            while True:
                message = await receive()
                if type(message) is _ChannelFailed:
                    raise message.error
                await self.dispatch(message)
        except StopConsumer:
            pass
        finally:
            if pump is not None:
                pump.cancel()
                try:
                    await pump
                except asyncio.CancelledError:
                    pass

    async def channel_pump(self, queue) -> None:
        """The channel layer's messages for this consumer, into the socket's queue."""
        while True:
            try:
                message = await self.channel_receive()
            except Exception as error:
                queue.put_nowait(_ChannelFailed(error))  # raised by the loop, as channels' own would
                return
            queue.put_nowait(message)

    async def dispatch(self, message):
        # Channels closes stale database connections before every message, a thread hop
        # per frame; this consumer's database work runs on frames_db, which keeps its own.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        self.charge_box_id = self.scope["url_route"]["kwargs"]["charge_box_id"]
        logs.charge_box_id.set(self.charge_box_id)
        alive.add(self)
        self.version = negotiate(self.scope.get("subprotocols") or [])
        remote = (self.scope.get("client") or ["", 0])[0] or ""
        if self.version is None:
            log.info("refused %s: no supported subprotocol in %s", self.charge_box_id, self.scope.get("subprotocols"))
            await self.close()
            return
        if not handshakes.has_room():  # filled since this handshake came through the door (__call__)
            await handshakes.defer(self.base_send, self.charge_box_id, self.scope.get("client"))
            return
        with handshakes.admission():
            admission = await frames_db.run(
                charger_admit,
                headers=self.scope.get("headers", []),
                charge_box_id=self.charge_box_id,
                channel_name=self.channel_name,
                protocols=supported(self.scope.get("subprotocols") or []),
                remote_address=remote,
            )
        if admission.refusal:
            log.info("refused %s from %s: %s", self.charge_box_id, remote, admission.refusal)
            await self.close()
            return
        self.version = VERSIONS[admission.protocol]  # an operator may have pinned an older one
        # The headers, read only for the admission, are let go once the socket is open (csms/memory.py).
        self.session = Session(
            charger_id=admission.charger_id,
            organisation_id=admission.organisation_id,
            charge_box_id=self.charge_box_id,
            protocol=self.version.subprotocol,
        )
        self.connected = True
        self.pending: dict[str, asyncio.Future] = {}
        self.call_slot = asyncio.Lock()
        self.loop = asyncio.get_running_loop()
        self.last_frame_at = self.last_presence_write = self.loop.time()
        self.silence_limit = settings.CSMS_HEARTBEAT_INTERVAL + settings.CSMS_HEARTBEAT_GRACE
        self.watchdog = self.loop.call_later(self.silence_limit, self.check_silence)
        self.pacer = FramePacer(
            rate=settings.CSMS_FRAME_RATE,
            burst=settings.CSMS_FRAME_BURST,
            flood_seconds=settings.CSMS_FRAME_FLOOD_SECONDS,
            loop=self.loop,
        )
        await self.accept(self.version.subprotocol)
        metrics.CHARGERS_CONNECTED.labels(self.version.subprotocol).inc()
        held.add(self)
        if admission.replaced_channel:
            await self.channel_layer.send(admission.replaced_channel, {"type": "ocpp.replaced"})
        log.info("connected %s (%s) from %s", self.charge_box_id, self.version.subprotocol, remote)

    async def disconnect(self, code):
        metrics.WEBSOCKET_CLOSES.labels(str(code)).inc()
        if self.session is None:
            return
        metrics.CHARGERS_CONNECTED.labels(self.version.subprotocol).dec()
        self.connected = False
        self.watchdog.cancel()
        for future in self.pending.values():
            if not future.done():
                future.set_exception(ConnectionError("charger disconnected"))
        try:
            await frames_db.run(
                presence.charger_disconnected, charger_id=self.session.charger_id, channel_name=self.channel_name
            )
        finally:
            held.discard(self)  # once its disconnect is recorded: a shutdown waits for that
        log.info("disconnected %s (code %s)", self.charge_box_id, code)

    def check_silence(self):
        idle = self.loop.time() - self.last_frame_at
        if idle >= self.silence_limit:
            log.info("closing %s: silent for %.0f s", self.charge_box_id, idle)
            self.loop.create_task(self.close(code=CLOSE_SILENT))
        else:
            self.watchdog = self.loop.call_later(self.silence_limit - idle, self.check_silence)

    async def send(self, text_data=None, bytes_data=None, close=False):
        message_log.sent(self.session, text_data)
        await super().send(text_data, bytes_data, close)

    # Frames from the charger.

    async def receive(self, text_data=None, bytes_data=None):
        if self.session is None:
            return
        self.last_frame_at = self.loop.time()
        if self.last_frame_at - self.last_presence_write >= settings.CSMS_PRESENCE_WRITE_INTERVAL:
            self.last_presence_write = self.last_frame_at
            last_seen.add((self.session.charger_id, timezone.now()))
        if text_data is None:
            text_data = bytes_data.decode("utf-8", errors="replace")
        limit = settings.CSMS_MAX_FRAME_BYTES
        # Characters first: a frame can hold up to 4 bytes per character, so most need no encoding.
        if len(text_data) > limit // 4 and len(text_data.encode("utf-8", "surrogatepass")) > limit:
            log.warning("closing %s: frame of more than %d bytes", self.charge_box_id, limit)
            await self.close(code=CLOSE_TOO_BIG)
            return
        if not await self.pacer.admit():
            log.warning("closing %s: flooding (over %g frames/s for %g s)", self.charge_box_id,
                        settings.CSMS_FRAME_RATE, settings.CSMS_FRAME_FLOOD_SECONDS)  # fmt: skip
            await self.close(code=CLOSE_FLOODING)
            return
        message_log.received(self.session, text_data)
        try:
            frame = framing.parse_frame(text_data, self.version.codes, self.version.message_types)
        except FrameError as error:
            self.count_frame("in", "invalid", "")
            log.warning("bad frame from %s: %s", self.charge_box_id, error.description)
            if error.unique_id is not None:
                await self.send(framing.call_error(error.unique_id, error.code, error.description))
            return
        logs.message_id.set(frame.unique_id)
        if frame.kind == CALL:
            self.count_frame("in", "call", frame.action)
            started = time.perf_counter()
            await self.send(await self.answer(frame))
            _handling_seconds(self.action_label(frame.action)).observe(time.perf_counter() - started)
        elif frame.kind == SEND:
            self.count_frame("in", FRAME_TYPES[frame.kind], frame.action)
            await self.keep(frame)
        elif frame.kind == CALLRESULTERROR:
            self.count_frame("in", FRAME_TYPES[frame.kind], "")
            log.warning("%s found our answer to %s wrong: %s %s", self.charge_box_id, frame.unique_id,
                        frame.error_code, frame.error_description)  # fmt: skip
        else:
            await self.settle(frame)

    def action_label(self, action: str) -> str:
        # A charger may send any action name: only the version's own become label values.
        return action if action in self.version.all_actions else "unknown"

    def count_frame(self, direction: str, kind: str, action: str) -> None:
        _frames(direction, kind, self.action_label(action), self.version.schema_version).inc()

    async def answer(self, frame: framing.Frame) -> str:
        reply = await self.reply_to(frame)
        self.count_frame("out", "error" if reply.startswith(f"[{CALLERROR},") else "result", frame.action)
        return reply

    async def reply_to(self, frame: framing.Frame) -> str:
        version = self.version
        handler = version.charger_actions.get(frame.action)
        if handler is None:
            if frame.action in version.all_actions:
                return framing.call_error(frame.unique_id, "NotSupported", f"{frame.action} is not sent by a charger")
            unknown = f"{frame.action} is not an OCPP {version.schema_version} action"
            return framing.call_error(frame.unique_id, "NotImplemented", unknown)
        invalid = framing.schema_error(version.schema_version, CALL, frame.action, frame.payload, version.codes)
        if invalid is not None:
            return framing.call_error(frame.unique_id, invalid.code, invalid.description)
        try:
            if inspect.iscoroutinefunction(handler):  # it waits on another service, not on the database
                response = await handler(self.session, frame.payload)
            else:
                response = await frames_db.run(run_action, handler=handler, session=self.session, payload=frame.payload)
        except PayloadValueError as error:
            return framing.call_error(frame.unique_id, "PropertyConstraintViolation", str(error))
        except Exception:
            # The charger must not take this as success: it keeps the message and retries.
            log.exception("%s from %s failed", frame.action, self.charge_box_id)
            return framing.call_error(frame.unique_id, "InternalError", f"{frame.action} could not be processed")
        return framing.call_result(frame.unique_id, response)

    async def keep(self, frame: framing.Frame) -> None:
        """A SEND: kept when valid; never answered, so what is wrong with it is only logged."""
        version = self.version
        if frame.action not in version.sends:
            log.warning("%s from %s is not a message a charger sends unanswered", frame.action, self.charge_box_id)
            return
        invalid = framing.schema_error(version.schema_version, SEND, frame.action, frame.payload, version.codes)
        if invalid is not None:
            log.warning("%s from %s dropped: %s", frame.action, self.charge_box_id, invalid.description)
            return
        try:
            await frames_db.run(
                run_action, handler=version.charger_actions[frame.action], session=self.session, payload=frame.payload
            )
        except Exception:
            log.exception("%s from %s failed", frame.action, self.charge_box_id)

    async def settle(self, frame: framing.Frame) -> None:
        """A CALLRESULT or CALLERROR: the answer to our outstanding CALL, or a late one."""
        future = self.pending.get(frame.unique_id)
        if frame.kind == CALLERROR:
            metrics.CALLERRORS.labels("in", framing.error_code_label(frame.error_code)).inc()
        if future is not None and not future.done():
            future.set_result(frame)
            return
        self.count_frame("in", FRAME_TYPES[frame.kind], "")
        log.info("late or unexpected answer %s from %s", frame.unique_id, self.charge_box_id)
        await frames_db.run(
            outcomes.late_answer,
            command_id=frame.unique_id,
            response=frame.payload if frame.kind == CALLRESULT else None,
            error_code=frame.error_code if frame.kind == CALLERROR else "",
            error_description=frame.error_description,
        )

    # Messages from the channel layer.

    async def ocpp_replaced(self, event):
        log.info("closing %s: replaced by a newer connection", self.charge_box_id)
        await self.close(code=CLOSE_REPLACED)

    async def ocpp_close(self, event):
        log.info("closing %s: %s", self.charge_box_id, event.get("reason", "asked to"))
        await self.close(code=CLOSE_REMOVED)

    async def ocpp_call(self, event):
        self.loop.create_task(self.run_call(event))

    async def run_call(self, event):
        """Send one CALL when the slot is free (one outstanding CALL per charger) and reply to the caller."""
        # This task's log lines name the command, whose id is also its CALL's message id.
        logs.command_id.set(event["command_id"])
        logs.message_id.set(event["command_id"])
        reply = await self.call(event["command_id"], event["action"], event["payload"], event["timeout"])
        await self.channel_layer.send(
            event["reply_to"], {"type": "ocpp.reply", "command_id": event["command_id"], **reply}
        )

    async def call(self, command_id: str, action: str, payload: dict, timeout: float) -> dict:
        """The charger's answer within `timeout` seconds, waiting for the slot included."""
        recording = sent_at = future = None

        def record_sent():
            nonlocal recording
            recording = self.loop.create_task(frames_db.run(outcomes.sent, command_id=command_id, sent_at=sent_at))

        try:
            async with asyncio.timeout(max(timeout, 0)):
                async with self.call_slot:
                    if not self.connected:
                        raise ConnectionError("charger disconnected")
                    future = self.loop.create_future()
                    self.pending[command_id] = future
                    # Recorded only if the charger takes its time; a prompt answer records both at once.
                    slow = self.loop.call_later(SENT_RECORD_AFTER, record_sent)
                    try:
                        sent_at, started = timezone.now(), time.monotonic()
                        await self.send(framing.call(command_id, action, payload))
                        self.count_frame("out", "call", action)
                        await future
                    finally:
                        slow.cancel()
                        self.pending.pop(command_id, None)
        except TimeoutError:
            # An answer settled in the same turn as the deadline is the answer, not a timeout.
            if not _answered(future):
                log.info("%s to %s: no answer within %g s", action, self.charge_box_id, timeout)
                await self.recorded(recording)
                await frames_db.run(outcomes.timed_out, command_id=command_id, sent_at=sent_at)
                return {"outcome": "timeout"}
        except ConnectionError:
            await self.recorded(recording)
            await frames_db.run(outcomes.offline, command_id=command_id, disconnected=True, sent_at=sent_at)
            return {"outcome": "offline"}
        frame = future.result()
        self.count_frame("in", FRAME_TYPES[frame.kind], action)
        latency_ms = int((time.monotonic() - started) * 1000)
        await self.recorded(recording)
        if frame.kind == CALLERROR:
            await frames_db.run(
                outcomes.charger_error,
                command_id=command_id,
                error_code=frame.error_code,
                error_description=frame.error_description,
                latency_ms=latency_ms,
                sent_at=sent_at,
            )
            return {
                "outcome": "error",
                "error_code": frame.error_code,
                "error_description": frame.error_description,
                "latency_ms": latency_ms,
            }
        await frames_db.run(
            outcomes.answered, command_id=command_id, response=frame.payload, latency_ms=latency_ms, sent_at=sent_at
        )
        return {"outcome": "answered", "response": frame.payload, "latency_ms": latency_ms}

    @staticmethod
    async def recorded(recording: asyncio.Task | None) -> None:
        """Let sent_at be written before the outcome: outcomes.sent only touches open commands."""
        if recording is not None:
            await asyncio.shield(recording)
