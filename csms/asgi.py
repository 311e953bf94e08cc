"""ASGI entry point: `daphne csms.asgi:application` serves HTTP and WebSocket (OCPP, the dashboard)."""

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csms.settings")
from csms import memory  # noqa: E402

memory.cap_malloc_arenas()  # before any thread allocates: see the module
django.setup(set_prefix=False)

from csms import autobahn_debug, content_type, health, shutdown, socket_writes, ws_closing, ws_denial  # noqa: E402
from csms.request_threads import OneHopASGIHandler, RequestThreads  # noqa: E402  (after Django is set up)

socket_writes.install()  # before the first connection: see the module
content_type.install()
health.install()
shutdown.install()  # SIGTERM drains the node before daphne cancels what is left
ws_denial.install()  # a handshake may be denied with 503 and Retry-After, not only 403
ws_closing.install()  # a frame to a connection that is closing is dropped, not raised into the consumer
memory.install()  # closed connections' objects are collected soon after
autobahn_debug.install()  # a connection's debug line costs nothing while debug is off

django_application = OneHopASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from django.urls import re_path  # noqa: E402

from console.consumers import DashboardConsumer  # noqa: E402
from csms.celery import embedded_start  # noqa: E402
from ocpp_ws.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Static files (admin, dashboard, API docs) are served by the product itself.
        "http": RequestThreads(ASGIStaticFilesHandler(django_application), kept=settings.CSMS_HTTP_THREADS),
        "websocket": URLRouter(
            [
                *websocket_urlpatterns,
                # Only the dashboard's socket needs the session user (and a same-origin browser);
                # chargers' sockets skip that lookup.
                re_path(
                    r"^ws/dashboard/?$",
                    AllowedHostsOriginValidator(AuthMiddlewareStack(DashboardConsumer.as_asgi())),
                ),
            ]
        ),
    }
)
if not settings.REDIS_URL:
    # No worker and no beat: this process runs the periodic sweeps and the background tasks itself.
    application = embedded_start(application)
application = shutdown.Draining(application)

# A server process keeps every connection's objects alive for hours, and each full collection
# walks all of them while no socket is served: 200-400 ms pauses with a few thousand chargers.
# What start-up built is frozen out of collection, and full collections come 100 times rarer.
gc.collect()
gc.freeze()
gc.set_threshold(2000, 20, 1000)
