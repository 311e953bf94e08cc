from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self):
        from billing import listeners, ocpp_tariffs, services
        from chargers import costs
        from csms import hooks

        # Hooks, not events: the tariff's snapshot and the CDR are written with the session's start and end.
        hooks.register(hooks.ID_TAG_AUTHORIZED, listeners.id_tag_authorized)
        hooks.register(hooks.SESSION_STARTED, listeners.session_started)
        hooks.register(hooks.SESSION_ENDED, listeners.session_ended)
        costs.pricer_register(
            pricer=services.session_cost_shown,
            pricer_by_id=services.transaction_cost_shown,
            charger_tariff=services.charger_tariff_set,
        )
        costs.ocpp_tariff_register(ocpp_tariffs.organisation_tariff)
