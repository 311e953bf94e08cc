"""Work an upper room adds to a moment a lower room records, in the same database transaction.

The lower room names the moment (`run("session_ended", session=...)`); upper rooms register
their handlers in AppConfig.ready(). The arrows keep pointing down: the room that records the
moment never imports the rooms that act on it. Events (chargers.events) tell watchers after the
commit; hooks are for what must be written with the moment itself.
"""

from collections import defaultdict
from collections.abc import Callable

SESSION_STARTED = "session_started"  # session: charging.models.Transaction
SESSION_ENDED = "session_ended"  # session: charging.models.Transaction
ID_TAG_AUTHORIZED = "id_tag_authorized"  # charger_id, organisation_id, id_tag: a charger's Authorize, accepted
CHARGER_ACCEPTED_AT_BOOT = "charger_accepted_at_boot"  # charger_id
SITE_SUPPLY_CHANGED = "site_supply_changed"  # site_id: a charger joined, left or was rewired

_handlers: dict[str, list[Callable[..., None]]] = defaultdict(list)


def register(moment: str, handler: Callable[..., None]) -> None:
    if handler not in _handlers[moment]:
        _handlers[moment].append(handler)


def run(moment: str, **details) -> None:
    for handler in _handlers[moment]:
        handler(**details)
