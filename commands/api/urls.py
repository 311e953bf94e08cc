from django.urls import path

from commands.api import jobs, views

CHARGER = "chargers/<str:chargeBoxId>/"

urlpatterns = [
    *(
        path(CHARGER + endpoint.path, views.command_view(endpoint).as_view())
        for endpoint in views.ENDPOINTS
        if endpoint is not jobs.DIAGNOSTICS
    ),
    path(CHARGER + "diagnostics", jobs.DiagnosticsView.as_view()),
    path(CHARGER + "firmware", jobs.FirmwareJobsView.as_view()),
    path("fleet-jobs", jobs.FleetJobCollectionView.as_view()),
    path("fleet-jobs/<int:jobId>", jobs.FleetJobDetailView.as_view()),
    path(CHARGER + "data-transfer", views.DataTransferView.as_view()),
    path(CHARGER + "power-limit", views.PowerLimitView.as_view()),
    path(CHARGER + "commands", views.GenericCommandView.as_view()),
    path("commands", views.CommandListView.as_view()),
    path("commands/<uuid:commandId>", views.CommandDetailView.as_view()),
]
