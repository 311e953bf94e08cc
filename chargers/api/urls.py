"""Charger endpoints. Patterns are exact, so that the command endpoints under
chargers/<chargeBoxId>/... (commands.api.urls, included after these) are not shadowed."""

from django.urls import path

from chargers.api import views

CHARGER = "chargers/<str:chargeBoxId>"
CONNECTOR = CHARGER + "/connectors/<int:connectorId>"

urlpatterns = [
    path("chargers", views.ChargerCollectionView.as_view(), name="chargers"),
    path(CHARGER, views.ChargerDetailView.as_view(), name="charger"),
    path(CONNECTOR + "/status", views.ConnectorStatusView.as_view(), name="connector-status"),
    path("status", views.ChargePointStatusView.as_view(), name="status"),
]
