"""What an OCPP 2.1 charger reports about a session beyond its transaction events."""

from datetime import datetime
from decimal import Decimal

from charging.models import Transaction, TransactionNotice


def transaction_notice_record(
    *,
    charger_id: int,
    action: str,
    payload: dict,
    transaction_id: str = "",
    status: str = "",
    amount: Decimal | None = None,
    reference: str = "",
    timestamp: datetime | None = None,
) -> TransactionNotice:
    """Keep the notice, against the session the charger names when we know it."""
    session = (
        Transaction.objects.filter(charger_id=charger_id, ocpp_id=transaction_id).order_by("-start_time").first()
        if transaction_id
        else None
    )
    return TransactionNotice.objects.create(
        charger_id=charger_id,
        transaction=session,
        ocpp_transaction_id=transaction_id,
        action=action,
        status=status[:30],
        amount=amount,
        reference=reference[:255],
        timestamp=timestamp,
        payload=payload,
    )
