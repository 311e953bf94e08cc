"""Charger endpoints. Patterns are exact, so that the command endpoints under
chargers/<chargeBoxId>/... (commands.api.urls, included after these) are not shadowed."""

from django.urls import path

from chargers.api import id_tags, transactions, views

urlpatterns = [
    path("chargers", views.ChargerCollectionView.as_view(), name="chargers"),
    path("chargers/<str:chargeBoxId>", views.ChargerDetailView.as_view(), name="charger"),
    path(
        "chargers/<str:chargeBoxId>/connectors/<int:connectorId>/status",
        views.ConnectorStatusView.as_view(),
        name="connector-status",
    ),
    path(
        "chargers/<str:chargeBoxId>/transactions", views.ActiveTransactionsView.as_view(), name="charger-transactions"
    ),
    path("status", views.ChargePointStatusView.as_view(), name="status"),
    path("sites", views.SiteCollectionView.as_view(), name="sites"),
    path("sites/<int:id>", views.SiteDetailView.as_view(), name="site"),
    path("sites/<int:id>/allocation", views.SiteAllocationView.as_view(), name="site-allocation"),
    path("reservations", views.ReservationCollectionView.as_view(), name="reservations"),
    path("id-tags", id_tags.IdTagCollectionView.as_view(), name="id-tags"),
    # <path:>: an id tag may hold any printable ASCII, "/" included (sent as %2F).
    path("id-tags/<path:idTag>", id_tags.IdTagDetailView.as_view(), name="id-tag"),
    path("authorization-policy", id_tags.AuthorizationPolicyView.as_view(), name="authorization-policy"),
    path("transactions", transactions.TransactionCollectionView.as_view(), name="transactions"),
    path("transactions/export.csv", transactions.TransactionExportView.as_view(), name="transactions-export"),
    path("transactions/<str:transactionId>", transactions.TransactionDetailView.as_view(), name="transaction"),
    path(
        "transactions/<str:transactionId>/close",
        transactions.TransactionCloseView.as_view(),
        name="transaction-close",
    ),
]
