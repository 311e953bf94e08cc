"""What a session costs, and which tariff a charger's sessions get, as the room that prices sessions tells
it (billing registers in its AppConfig.ready()).

Lower rooms (the API's chargers and transactions, the OCPP adapters) ask here and never import that
room; with nothing registered, no session has a cost and no charger a tariff. A registry, not a
csms.hooks moment: its callers need an answer back (a cost, a refused tariff), which hooks do not give.
A session is a charging.models.Transaction, a room above this one: hence `object`.
"""

from collections.abc import Callable

from chargers.models import Charger

# (session) -> {"currency", "excl_vat", "incl_vat", "text", "language"} or None for a session no tariff
# prices; and the same by the charger's id and its transaction id (one query for an unpriced session).
_pricer: Callable[[object], dict | None] | None = None
_pricer_by_id: Callable[..., dict | None] | None = None
# (charger=, tariff_id=) -> None; raises ValueError, its message for the API, for an unknown tariff.
_charger_tariff: Callable[..., None] | None = None
# (organisation_id=, tariff_id=) -> the tariff as OCPP 2.1's Tariff object; ValueError for an unknown one.
_ocpp_tariff: Callable[..., dict] | None = None


def pricer_register(
    *, pricer: Callable[[object], dict | None], pricer_by_id: Callable[..., dict | None],
    charger_tariff: Callable[..., None],
) -> None:  # fmt: skip
    global _pricer, _pricer_by_id, _charger_tariff
    _pricer, _pricer_by_id, _charger_tariff = pricer, pricer_by_id, charger_tariff


def ocpp_tariff_register(converter: Callable[..., dict]) -> None:
    global _ocpp_tariff
    _ocpp_tariff = converter


def ocpp_tariff(*, organisation_id: int, tariff_id: str) -> dict:
    """The organisation's tariff `tariff_id` as OCPP 2.1's Tariff object (SetDefaultTariff, ChangeTransactionTariff).

    Raises ValueError for a tariff the organisation does not have, or where no tariffs are kept.
    """
    if _ocpp_tariff is None:
        raise ValueError("no tariffs are kept here")
    return _ocpp_tariff(organisation_id=organisation_id, tariff_id=tariff_id)


def charger_tariff_set(*, charger: Charger, tariff_id: str | None) -> None:
    """Price the charger's sessions with the organisation's tariff `tariff_id` (None: no longer).

    Raises ValueError for a tariff the organisation does not have, or where nothing prices sessions.
    """
    if _charger_tariff is None:
        raise ValueError("no tariffs are kept here")
    _charger_tariff(charger=charger, tariff_id=tariff_id)


def session_cost(session: object) -> dict | None:
    """The session's cost so far (final once it stopped), or None."""
    return _pricer(session) if _pricer is not None else None


def transaction_cost(*, charger_id: int, transaction_id: str) -> dict | None:
    """`session_cost` of the charger's session `transaction_id` (its own id), for the OCPP adapters."""
    return _pricer_by_id(charger_id=charger_id, transaction_id=transaction_id) if _pricer_by_id else None
