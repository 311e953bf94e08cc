"""The admin site of the operator console: its index grouped by what an operator is doing, not by app."""

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.urls import reverse

# (heading, models in the order shown); a registered model missing here is shown under "Other".
TASKS = [
    ("Fleet", ["chargers.Charger", "chargers.Site", "chargers.Connector", "chargers.StatusNotification",
               "smart_charging.InstalledChargingProfile", "chargers.FirmwareJob", "chargers.DiagnosticsJob",
               "chargers.FirmwareStatus", "chargers.DiagnosticsStatus", "chargers.DeviceVariable",
               "chargers.ChargerNotification", "chargers.DataTransfer", "chargers.PeriodicEventStream",
               "chargers.PeriodicEventStreamValue", "smart_charging.DEREvent", "pki.SecurityEvent",
               "chargers.UnknownCharger"]),
    ("Sessions", ["charging.Transaction", "charging.IdTag", "charging.Reservation", "charging.ChargerLocalList",
                  "charging.MeterValue", "charging.TransactionEvent", "charging.TransactionNotice",
                  "charging.UnmatchedStop", "billing.Tariff", "billing.LocalTimeZone", "billing.CDR"]),
    ("Commands", ["commands.Command", "commands.FleetJob", "commands.FleetJobTarget", "ocpp_ws.OcppMessage"]),
    ("Integrations", ["webhooks.Webhook", "webhooks.Delivery"]),
    ("Access", ["accounts.Organisation", "accounts.Operator", "auth.User", "auth.Group", "accounts.ApiKey",
                "pki.ChargerSecurity", "pki.IssuedCertificate", "pki.AuthLockout"]),
]  # fmt: skip


class ConsoleAdminSite(AdminSite):
    def get_app_list(self, request, app_label=None):
        """The index and the sidebar by task; an app's own page (/admin/<app>/) lists that app as usual."""
        if app_label is not None:
            return super().get_app_list(request, app_label)
        models = {
            entry["model"]._meta.label: entry
            for app in self._build_app_dict(request).values()
            for entry in app["models"]
        }
        groups = []
        for heading, labels in [*TASKS, ("Other", sorted(set(models) - {label for _, ls in TASKS for label in ls}))]:
            shown = [models[label] for label in labels if label in models]
            if shown:
                groups.append({"name": heading, "app_label": heading.lower(), "models": shown,
                               "app_url": f"{reverse('admin:index', current_app=self.name)}#{heading.lower()}",
                               "has_module_perms": True})  # fmt: skip
        return groups


class ConsoleAdminConfig(AdminConfig):
    """django.contrib.admin with the console's site (in INSTALLED_APPS in its place)."""

    default_site = "console.site.ConsoleAdminSite"
