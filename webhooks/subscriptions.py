"""Which events each organisation's active webhooks want, remembered per server process.

Charger frames raise fleet events all the time and most organisations subscribe to few of
them, if any; asking the database, or enqueueing a task that would, for every event would
cost more than the frame itself. A change made in this process applies at once (the signals
in webhooks/apps.py call `forget`); one made in another process within TTL seconds.
"""

import time

from django.db import transaction

from webhooks.models import Webhook

TTL = 1.0
_subscribed: dict[int, tuple[float, frozenset[str]]] = {}


def subscribed(*, organisation_id: int, event: str) -> bool:
    """Whether some active webhook of the organisation receives `event`."""
    remembered = _subscribed.get(organisation_id)
    if remembered is None or remembered[0] <= time.monotonic():
        events = frozenset(
            name
            for names in Webhook.objects.filter(organisation_id=organisation_id, active=True).values_list(
                "events", flat=True
            )
            for name in names
        )
        remembered = (time.monotonic() + TTL, events)
        _subscribed[organisation_id] = remembered
    return event in remembered[1]


def forget(**_) -> None:
    """Drop what is remembered now, and again once the change commits (a frame may read meanwhile)."""
    _subscribed.clear()
    transaction.on_commit(_subscribed.clear)
