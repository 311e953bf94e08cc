"""Fleet events: the one place that tells the world what changed: live watchers and webhooks.

Domain services call these after they have recorded a change. Events go over the
channel layer to a group per organisation and to one group for the whole fleet;
whoever listens (a dashboard socket in any process) forwards them. Publishing is
best effort: it never raises into the OCPP path, and a full channel drops the event
(the dashboard also refreshes its figures from the database).

Each event is also offered to the subscribers that upper rooms register (`subscribe`: the
webhooks, with `webhooks.services.event_emit`), which enqueue their work after the commit,
never in the charger's frame.
"""

import asyncio
import collections
import logging
import threading
import time
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from chargers.models import Charger
from csms import statements

log = logging.getLogger(__name__)

FLEET_GROUP = "fleet"
# Publishing to a group nobody listens to still costs a round trip to Redis per event, so events
# go only to groups a watcher announced (watching_announce) within WATCH_TTL seconds; the
# dashboard announces on connecting and with its pings, every 60 s. Each process remembers the
# answer for WATCH_REMEMBER seconds (a watcher in this process is seen at once).
WATCHED_KEY = "fleet-watched:{}"
WATCH_TTL = 150
WATCH_REMEMBER = 0.5
_watched: dict[str, tuple[float, bool]] = {}
# A charger's organisation and chargeBoxId, kept briefly so that an event costs no query.
IDENTITY_TTL = 60.0
_identities: dict[int, tuple[float, int, str]] = {}
# The event loop of the server process, for threads that do charger frames' database
# work: they hand events to it and go on, instead of waiting for the send.
_delivery = threading.local()
_subscribers: list[Callable[..., None]] = []


class _Outbox:
    """Events handed from worker threads to the event loop, many per wakeup of the loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.events: collections.deque = collections.deque()
        self.lock = threading.Lock()
        self.scheduled = False

    def put(self, groups: list[str], message: dict) -> None:
        self.events.append((groups, message))
        with self.lock:
            if self.scheduled:
                return
            self.scheduled = True
        self.loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        with self.lock:
            self.scheduled = False
        batch = []
        while self.events:
            batch.append(self.events.popleft())
        self.loop.create_task(_send(batch))


_outboxes: dict[asyncio.AbstractEventLoop, _Outbox] = {}


def deliver_on(loop: asyncio.AbstractEventLoop) -> None:
    """Publish this thread's events on `loop` without waiting for them."""
    _delivery.outbox = _outboxes.setdefault(loop, _Outbox(loop))


def organisation_group(organisation_id: int) -> str:
    return f"fleet.org.{organisation_id}"


def _identity(charger_id: int) -> tuple[int, str] | None:
    """The charger's organisation and chargeBoxId; None for a charger deleted meanwhile, or if the
    lookup fails (logged: an event must never fail the frame that raised it)."""
    cached = _identities.get(charger_id)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1], cached[2]
    try:
        row = statements.select_one(Charger, ["organisation_id", "charge_box_id"], where={"id": charger_id})
    except Exception:
        log.exception("could not look up charger %s for a fleet event", charger_id)
        return None
    if row is None:
        return None
    _remember(charger_id, *row)
    return tuple(row)


def _remember(charger_id: int, organisation_id: int, charge_box_id: str) -> None:
    if len(_identities) > 100_000:
        _identities.clear()
    _identities[charger_id] = (time.monotonic() + IDENTITY_TTL, organisation_id, charge_box_id)


def watching_announce(group: str) -> None:
    """A live watcher (a dashboard socket, in any process) listens to `group`, for WATCH_TTL seconds."""
    cache.set(WATCHED_KEY.format(group), True, timeout=WATCH_TTL)
    _watched.pop(group, None)


def _is_watched(group: str) -> bool:
    now = time.monotonic()
    remembered = _watched.get(group)
    if remembered is None or remembered[0] <= now:
        remembered = (now + WATCH_REMEMBER, bool(cache.get(WATCHED_KEY.format(group))))
        _watched[group] = remembered
    return remembered[1]


async def _send(events: list[tuple[list[str], dict]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for groups, message in events:
        for group in groups:
            try:
                await layer.group_send(group, message)
            except ChannelFull:
                log.warning("fleet event dropped for %s: channel full", group)
            except Exception:
                log.exception("could not publish fleet event %s", message["event"].get("kind"))


def _publish(organisation_id: int, event: dict) -> None:
    message = {"type": "fleet.event", "event": event}
    outbox = getattr(_delivery, "outbox", None)
    try:
        groups = [g for g in (organisation_group(organisation_id), FLEET_GROUP) if _is_watched(g)]
        if not groups:
            return
        if outbox is not None:
            outbox.put(groups, message)
        else:
            async_to_sync(_send)([(groups, message)])
    except Exception:
        log.exception("could not publish fleet event %s", event.get("kind"))


def _publish_on_commit(organisation_id: int, event: dict) -> None:
    transaction.on_commit(lambda: _publish(organisation_id, event))


def subscribe(subscriber: Callable[..., None]) -> None:
    """Offer every event to `subscriber(*, organisation_id, event, data)`, from an upper room's ready()."""
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)


def _to_subscribers(organisation_id: int, event: str, data: dict) -> None:
    for subscriber in _subscribers:
        try:
            subscriber(organisation_id=organisation_id, event=event, data=data)
        except Exception:
            log.exception("could not emit event %s", event)


def _charger_event(charger_id: int, event: str, data: dict) -> None:
    """A webhook-only event about a charger: its chargeBoxId first, then what happened."""
    identity = _identity(charger_id)
    if identity is not None:
        _to_subscribers(identity[0], event, {"chargeBoxId": identity[1], **data})


def connector_status_changed(*, charger_id: int, connector_id: int, status: str, error_code: str, info: str = "",
                             at=None, evse_id: int | None = None) -> None:  # fmt: skip
    """`evse_id`: OCPP 2.0.1's EVSE of the connector, None for 1.6 (as the API shows connectors)."""
    identity = _identity(charger_id)
    if identity is None:
        return
    organisation_id, charge_box_id = identity
    _publish_on_commit(
        organisation_id,
        {
            "kind": "connector",
            "chargerId": charger_id,
            "chargeBoxId": charge_box_id,
            "evseId": evse_id,
            "connectorId": connector_id,
            "status": status,
            "errorCode": error_code,
            "info": info,
            "at": (at or timezone.now()).isoformat(),
        },
    )
    _to_subscribers(
        organisation_id,
        "connector.status",
        {"chargeBoxId": charge_box_id, "evseId": evse_id, "connectorId": connector_id, "status": status,
         "errorCode": error_code, "info": info},
    )  # fmt: skip


def charger_presence_changed(
    *, charger_id: int, online: bool, organisation_id: int | None = None, charge_box_id: str | None = None
) -> None:
    if organisation_id is not None and charge_box_id is not None:
        _remember(charger_id, organisation_id, charge_box_id)
        identity = (organisation_id, charge_box_id)
    else:
        identity = _identity(charger_id)
    if identity is None:
        return
    _publish_on_commit(
        identity[0],
        {
            "kind": "presence",
            "chargerId": charger_id,
            "chargeBoxId": identity[1],
            "online": online,
            "at": timezone.now().isoformat(),
        },
    )
    _to_subscribers(
        identity[0], "charger.connected" if online else "charger.disconnected", {"chargeBoxId": identity[1]}
    )


def charger_booted(*, charger_id: int, vendor: str, model: str, firmware_version: str, registration_status: str):
    _charger_event(
        charger_id,
        "charger.boot",
        {"vendor": vendor, "model": model, "firmwareVersion": firmware_version, "status": registration_status},
    )


def cdr_created(*, organisation_id: int, cdr: dict) -> None:
    """A session's charge detail record (the OCPI CDR, a credit too) was written: for the webhooks."""
    _to_subscribers(organisation_id, "cdr.created", cdr)


def _session_shown(charger_id: int, event: str, transaction_id: str, evse_id: int | None, connector_id: int,
                   **details) -> None:  # fmt: skip
    """Tell the dashboards that a session started, changed its charging state or ended."""
    identity = _identity(charger_id)
    if identity is not None:
        _publish_on_commit(identity[0], {
            "kind": "transaction", "event": event, "chargerId": charger_id, "chargeBoxId": identity[1],
            "evseId": evse_id, "connectorId": connector_id, "transactionId": transaction_id, **details,
            "at": timezone.now().isoformat()})  # fmt: skip


def transaction_started(*, charger_id: int, transaction_id: str, connector_id: int, id_tag: str, meter_start: int,
                        start_time, evse_id: int | None = None) -> None:  # fmt: skip
    """`evse_id`: OCPP 2.0.1's EVSE of the session, None for 1.6."""
    _charger_event(
        charger_id,
        "transaction.started",
        {"transactionId": transaction_id, "evseId": evse_id, "connectorId": connector_id, "idTag": id_tag,
         "meterStart": meter_start, "startTime": start_time.isoformat()},
    )  # fmt: skip
    _session_shown(charger_id, "started", transaction_id, evse_id, connector_id, idTag=id_tag,
                   startTime=start_time.isoformat())  # fmt: skip


def transaction_charging_state_changed(*, charger_id: int, transaction_id: str, evse_id: int | None,
                                       connector_id: int, charging_state: str) -> None:  # fmt: skip
    """OCPP 2.0.1: the session's charging state (Charging, SuspendedEV, EVConnected, ...), for the dashboards."""
    _session_shown(charger_id, "updated", transaction_id, evse_id, connector_id, chargingState=charging_state)


def transaction_stopped(*, charger_id: int, transaction_id: str, connector_id: int, meter_stop: int, stop_time,
                        energy_wh: int | None, reason: str, evse_id: int | None = None) -> None:  # fmt: skip
    _charger_event(
        charger_id,
        "transaction.stopped",
        {"transactionId": transaction_id, "evseId": evse_id, "connectorId": connector_id, "meterStop": meter_stop,
         "stopTime": stop_time.isoformat(), "energyWh": energy_wh, "reason": reason},
    )  # fmt: skip
    _session_shown(charger_id, "ended", transaction_id, evse_id, connector_id, energyWh=energy_wh)


def command_completed(*, charger_id: int, data: dict) -> None:
    """A command came to an end (answered, charger error, timeout, offline), whoever asked."""
    _charger_event(charger_id, "command.completed", data)


def fleet_job_progressed(*, organisation_id: int, job_id: int, status: str, total: int, done: int,
                         failed: int) -> None:  # fmt: skip
    """A fleet job (commands.fleet) moved on: for the job's page, whose progress bar follows it live."""
    _publish_on_commit(organisation_id, {"kind": "fleetJob", "jobId": job_id, "status": status, "total": total,
                                         "done": done, "failed": failed, "at": timezone.now().isoformat()})  # fmt: skip


def firmware_status_changed(*, charger_id: int, job_id: int | None, status: str, **details) -> None:
    _charger_event(charger_id, "firmware.status", {"jobId": job_id, "status": status, **details})


def diagnostics_status_changed(*, charger_id: int, job_id: int | None, status: str, **details) -> None:
    _charger_event(charger_id, "diagnostics.status", {"jobId": job_id, "status": status, **details})


def security_event_raised(*, charger_id: int, type: str, timestamp: str, tech_info: str) -> None:
    """A charger reported a critical security event (OCPP 1.6 Security Whitepaper, 2.0.1 appendix 1)."""
    _charger_event(
        charger_id,
        "charger.security_event",
        {"type": type, "timestamp": timestamp, "techInfo": tech_info, "critical": True},
    )


def reservation_status_changed(*, charger_id: int, reservation_id: int, status: str, **details) -> None:
    """For the reservation services: a reservation was made, used, cancelled or expired."""
    _charger_event(charger_id, "reservation.status", {"reservationId": reservation_id, "status": status, **details})
