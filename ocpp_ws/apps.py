from django.apps import AppConfig


class OcppWsConfig(AppConfig):
    name = "ocpp_ws"
    verbose_name = "OCPP WebSocket"

    def ready(self) -> None:
        from commands.protocols import versions_register
        from ocpp_ws.versions import VERSIONS

        versions_register(VERSIONS)
