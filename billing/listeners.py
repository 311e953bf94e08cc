"""What billing does when a session starts (keep its tariff) or ends (write its CDR), told by chargers.events."""

from billing import california, services
from chargers.models import Charger, Transaction


def _session(charger_id: int, transaction_id: str) -> Transaction | None:
    return Transaction.objects.filter(charger_id=charger_id, ocpp_id=transaction_id).first()


def session_started(*, charger_id: int, transactionId: str, **_) -> None:
    session = _session(charger_id, transactionId)
    organisation_id = Charger.objects.filter(pk=charger_id).values_list("organisation_id", flat=True).first()
    if session is None or organisation_id is None:
        return
    priced = services.session_price(session=session, organisation_id=organisation_id)
    if priced is not None:
        california.user_price_send(session=session, tariff=priced.snapshot)


def session_stopped(*, charger_id: int, transactionId: str, **_) -> None:
    session = _session(charger_id, transactionId)
    if session is None:
        return
    cdr = services.cdr_issue(session=session)
    if cdr is not None:
        california.final_cost_send(session=session, cdr=cdr)
