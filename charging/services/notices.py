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
    evse_id: int | None = None,
    status: str = "",
    amount: Decimal | None = None,
    reference: str = "",
    timestamp: datetime | None = None,
) -> TransactionNotice:
    """Keep the notice, against the session the charger names when we know it, else against the session in
    progress on `evse_id`."""
    sessions = Transaction.objects.filter(charger_id=charger_id).order_by("-start_time")
    if transaction_id:
        session = sessions.filter(ocpp_id=transaction_id).first()
    elif evse_id is not None:
        session = sessions.filter(evse_id=evse_id, stop_time__isnull=True).first()
    else:
        session = None
    return TransactionNotice.objects.create(
        charger_id=charger_id,
        transaction=session,
        ocpp_transaction_id=transaction_id or (session.ocpp_id if session else ""),
        action=action,
        status=status[:30],
        amount=amount,
        reference=reference[:255],
        timestamp=timestamp,
        payload=payload,
    )
