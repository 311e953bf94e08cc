"""Fleet events: the one place that tells live watchers (the dashboard) what changed.

Domain services call these after they have recorded a change. Events go over the
channel layer to a group per organisation and to one group for the whole fleet;
whoever listens (a dashboard socket in any process) forwards them. Publishing is
best effort: it never raises into the OCPP path, and a full channel drops the event
(the dashboard also refreshes its figures from the database).
"""

import asyncio
import logging
import threading
import time

from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from chargers.models import Charger

log = logging.getLogger(__name__)

FLEET_GROUP = "fleet"
# A charger's organisation and chargeBoxId, kept briefly so that an event costs no query.
IDENTITY_TTL = 60.0
_identities: dict[int, tuple[float, int, str]] = {}
# The event loop of the server process, for threads that do charger frames' database
# work: they hand events to it and go on, instead of waiting for the send.
_delivery = threading.local()


def deliver_on(loop: asyncio.AbstractEventLoop) -> None:
    """Publish this thread's events on `loop` without waiting for them."""
    _delivery.loop = loop


def organisation_group(organisation_id: int) -> str:
    return f"fleet.org.{organisation_id}"


def _identity(charger_id: int) -> tuple[int, str] | None:
    cached = _identities.get(charger_id)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1], cached[2]
    row = Charger.objects.filter(pk=charger_id).values_list("organisation_id", "charge_box_id").first()
    if row is None:
        return None
    _remember(charger_id, *row)
    return row


def _remember(charger_id: int, organisation_id: int, charge_box_id: str) -> None:
    if len(_identities) > 100_000:
        _identities.clear()
    _identities[charger_id] = (time.monotonic() + IDENTITY_TTL, organisation_id, charge_box_id)


def _publish(organisation_id: int, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "fleet.event", "event": event}

    async def send_both():
        for group in (organisation_group(organisation_id), FLEET_GROUP):
            try:
                await layer.group_send(group, message)
            except ChannelFull:
                log.warning("fleet event dropped for %s: channel full", group)

    loop = getattr(_delivery, "loop", None)
    try:
        if loop is not None:
            asyncio.run_coroutine_threadsafe(send_both(), loop)
        else:
            async_to_sync(send_both)()
    except Exception:
        log.exception("could not publish fleet event %s", event.get("kind"))


def _publish_on_commit(organisation_id: int, event: dict) -> None:
    transaction.on_commit(lambda: _publish(organisation_id, event))


def connector_status_changed(
    *, charger_id: int, connector_id: int, status: str, error_code: str, info: str = "", at=None
) -> None:
    try:
        identity = _identity(charger_id)
    except Exception:
        log.exception("could not look up charger %s for a fleet event", charger_id)
        return
    if identity is None:
        return
    organisation_id, charge_box_id = identity
    _publish_on_commit(
        organisation_id,
        {
            "kind": "connector",
            "chargerId": charger_id,
            "chargeBoxId": charge_box_id,
            "connectorId": connector_id,
            "status": status,
            "errorCode": error_code,
            "info": info,
            "at": (at or timezone.now()).isoformat(),
        },
    )


def charger_presence_changed(
    *, charger_id: int, online: bool, organisation_id: int | None = None, charge_box_id: str | None = None
) -> None:
    if organisation_id is not None and charge_box_id is not None:
        _remember(charger_id, organisation_id, charge_box_id)
        identity = (organisation_id, charge_box_id)
    else:
        try:
            identity = _identity(charger_id)
        except Exception:
            log.exception("could not look up charger %s for a fleet event", charger_id)
            return
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
