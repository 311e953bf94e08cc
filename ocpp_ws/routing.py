from django.urls import re_path

from ocpp_ws.consumer import ChargerConsumer

websocket_urlpatterns = [
    re_path(r"^ocpp/(?P<charge_box_id>[^/]{1,64})/?$", ChargerConsumer.as_asgi()),
]
