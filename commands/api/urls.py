from django.urls import path, register_converter

from commands.api import jobs, ocpp21, reports, views


class TransactionIdConverter:
    """1.6 transaction ids are integers (ours); 2.0.1 ids are the charger's strings."""

    regex = r"[^/]{1,36}"

    def to_python(self, value: str) -> int | str:
        return int(value) if value.isdigit() else value

    def to_url(self, value) -> str:
        return str(value)


register_converter(TransactionIdConverter, "transaction_id")

CHARGER = "chargers/<str:chargeBoxId>/"

urlpatterns = [
    *(
        path(CHARGER + endpoint.path, views.LISTED.get(endpoint.command, views.command_view(endpoint)).as_view())
        for endpoint in views.ENDPOINTS
        if endpoint is not jobs.DIAGNOSTICS
    ),
    path(CHARGER + "local-list/sync", views.LocalListSyncView.as_view()),
    path(CHARGER + "diagnostics", jobs.DiagnosticsView.as_view()),
    path(CHARGER + "firmware", jobs.FirmwareJobsView.as_view()),
    path("fleet-jobs", jobs.FleetJobCollectionView.as_view()),
    path("fleet-jobs/<int:jobId>", jobs.FleetJobDetailView.as_view()),
    path(CHARGER + "data-transfer", views.DataTransferView.as_view()),
    path(CHARGER + "power-limit", views.PowerLimitView.as_view()),
    path(CHARGER + "commands", views.GenericCommandView.as_view()),
    *(path(CHARGER + route, view.as_view()) for route, view in reports.VIEWS),
    *(path(CHARGER + route, view.as_view()) for route, view in ocpp21.VIEWS),
    path(CHARGER + "device-model", reports.DeviceModelView.as_view()),
    path("commands", views.CommandListView.as_view()),
    path("commands/<uuid:commandId>", views.CommandDetailView.as_view()),
]
