from django.apps import AppConfig


class SmartChargingConfig(AppConfig):
    name = "smart_charging"
    verbose_name = "Smart charging"

    def ready(self) -> None:
        from csms import hooks
        from smart_charging.services import charging_profiles, sites

        hooks.register(hooks.SESSION_STARTED, charging_profiles.charging_profiles_transaction_started)
        hooks.register(hooks.SESSION_STARTED, sites.session_site_rebalance_after_commit)
        hooks.register(hooks.SESSION_ENDED, charging_profiles.charging_profiles_transaction_ended)
        hooks.register(hooks.SESSION_ENDED, sites.session_site_rebalance_after_commit)
        hooks.register(hooks.SITE_SUPPLY_CHANGED, sites.site_rebalance_after_commit)
        hooks.register(hooks.CHARGER_ACCEPTED_AT_BOOT, charging_profiles.charging_profiles_after_boot_schedule)
