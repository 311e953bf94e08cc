from django.urls import re_path

from ocpp_ws import handshakes
from ocpp_ws.consumer import ChargerConsumer

websocket_urlpatterns = [
    re_path(r"^ocpp/(?P<charge_box_id>[^/]{1,64})/?$", handshakes.gate(ChargerConsumer.as_asgi())),
]
