"""ASGI entry point: `daphne csms.asgi:application` serves HTTP (admin, API) and WebSocket (OCPP)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csms.settings")
django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402  (after Django is set up)
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from ocpp_ws.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Static files (admin, API docs) are served by the product itself.
        "http": ASGIStaticFilesHandler(django_application),
        "websocket": URLRouter(websocket_urlpatterns),
    }
)
