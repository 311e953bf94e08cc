from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self):
        from billing import listeners
        from chargers import events

        events.subscribe("transaction.started", listeners.session_started)
        events.subscribe("transaction.stopped", listeners.session_stopped)
