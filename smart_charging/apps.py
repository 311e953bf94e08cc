from django.apps import AppConfig


class SmartChargingConfig(AppConfig):
    name = "smart_charging"
    verbose_name = "Smart charging"
