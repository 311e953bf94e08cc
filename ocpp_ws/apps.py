from django.apps import AppConfig


class OcppWsConfig(AppConfig):
    name = "ocpp_ws"
    verbose_name = "OCPP WebSocket"
