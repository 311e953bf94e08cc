"""What a session costs, as the room that prices sessions tells it (billing registers in its AppConfig.ready()).

Lower rooms (the API's transactions, the OCPP adapters) ask here and never import that room; with
nothing registered, no session has a cost.
"""

from collections.abc import Callable

from chargers.models import Transaction

# (session) -> {"currency", "excl_vat", "incl_vat", "text"} or None for a session no tariff prices.
_pricer: Callable[[Transaction], dict | None] | None = None


def pricer_register(pricer: Callable[[Transaction], dict | None]) -> None:
    global _pricer
    _pricer = pricer


def session_cost(session: Transaction) -> dict | None:
    """The session's cost so far (final once it stopped), or None."""
    return _pricer(session) if _pricer is not None else None


def transaction_cost(*, charger_id: int, transaction_id: str) -> dict | None:
    """`session_cost` of the charger's session `transaction_id` (its own id), for the OCPP adapters."""
    if _pricer is None:
        return None
    session = Transaction.objects.filter(charger_id=charger_id, ocpp_id=transaction_id).first()
    return _pricer(session) if session is not None else None
