"""Probes for a load balancer or Kubernetes: `GET /healthz` (alive) and `GET /readyz` (ready for traffic).

Neither needs auth, and neither writes a log line: a probe every few seconds would drown the log
(Django's own line for a 503, and daphne's access log, which `install` teaches to leave them out).
"""

import asyncio
import threading

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse

PROBES = frozenset({"/healthz", "/readyz"})

# Set when the process begins to shut down (csms/shutdown.py): /readyz answers 503 from then on.
draining = threading.Event()
CHANNEL_LAYER_TIMEOUT = 2.0


def healthz(request):
    """The process answers: no dependency is checked, no database is queried."""
    return _quiet(JsonResponse({"status": "ok"}))


def readyz(request):
    """200 when the database answers, the channel layer round-trips and the process is not draining;
    else 503 naming each part that failed."""
    failed = {name: problem for name, check in CHECKS.items() if (problem := check())}
    if failed:
        return _quiet(JsonResponse({"status": "unavailable", "failed": failed}, status=503))
    return _quiet(JsonResponse({"status": "ok"}))


def _draining() -> str:
    return "the process is shutting down" if draining.is_set() else ""


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:
        return f"{type(error).__name__}: {error}"[:200]
    return ""


def _channel_layer() -> str:
    try:
        async_to_sync(_round_trip)()
    except TimeoutError:
        return f"no message came back within {CHANNEL_LAYER_TIMEOUT:g} s"
    except Exception as error:
        return f"{type(error).__name__}: {error}"[:200]
    return ""


async def _round_trip() -> None:
    """A message sent to a channel of this process and received back, as the command bus's replies travel."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    async with asyncio.timeout(CHANNEL_LAYER_TIMEOUT):
        await layer.send(channel, {"type": "readiness.probe"})
        await layer.receive(channel)


# Draining first: a node shutting down is not ready whatever else answers.
CHECKS = {"draining": _draining, "database": _database, "channelLayer": _channel_layer}


def install() -> None:
    """Daphne's access log (one line per request) without the probes'."""
    from daphne.access import AccessLogGenerator

    write = AccessLogGenerator.__call__
    if getattr(write, "skips_probes", False):
        return

    def call(self, protocol, action, details):
        if protocol != "http" or details.get("path") not in PROBES:
            write(self, protocol, action, details)

    call.skips_probes = True
    AccessLogGenerator.__call__ = call


def _quiet(response):
    # Django logs every 4xx/5xx response ("Service Unavailable: /readyz"); a probe's is not news.
    response._has_been_logged = True
    return response
