"""Session endpoints: transactions, id tags and the authorization policy, reservations."""

from django.urls import path

from chargers.api.urls import CHARGER
from charging.api import id_tags, reservations, transactions

TRANSACTION = "transactions/<str:transactionId>"

urlpatterns = [
    path(CHARGER + "/transactions", transactions.ActiveTransactionsView.as_view(), name="charger-transactions"),
    path("reservations", reservations.ReservationCollectionView.as_view(), name="reservations"),
    path("id-tags", id_tags.IdTagCollectionView.as_view(), name="id-tags"),
    # <path:>: an id tag may hold any printable ASCII, "/" included (sent as %2F).
    path("id-tags/<path:idTag>", id_tags.IdTagDetailView.as_view(), name="id-tag"),
    path("authorization-policy", id_tags.AuthorizationPolicyView.as_view(), name="authorization-policy"),
    path("transactions", transactions.TransactionCollectionView.as_view(), name="transactions"),
    path("transactions/export.csv", transactions.TransactionExportView.as_view(), name="transactions-export"),
    path(TRANSACTION, transactions.TransactionDetailView.as_view(), name="transaction"),
    path(TRANSACTION + "/close", transactions.TransactionCloseView.as_view(), name="transaction-close"),
]
