from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    """A client of the CSMS, not part of it: it speaks to the server only over the WebSocket."""

    name = "simulator"
    verbose_name = "Charger simulator"
