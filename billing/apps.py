from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self):
        from billing import listeners, services
        from chargers import costs, events

        events.subscribe("transaction.started", listeners.session_started)
        events.subscribe("transaction.stopped", listeners.session_stopped)
        costs.pricer_register(
            pricer=services.session_cost_shown,
            pricer_by_id=services.transaction_cost_shown,
            charger_tariff=services.charger_tariff_set,
        )
