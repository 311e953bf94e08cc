"""How many chargers a node admits at once, and what the others are told.

Admitting a charger is a database round trip on the frame workers (its lockout, credentials and
presence), queued behind the frames of the chargers already connected. After a node restarts, its
whole fleet connects within seconds: unbounded, that queue grows past daphne's handshake timeout
(5 s), the handshakes are refused anyway, and the work done for them is lost.

So a node admits at most CSMS_HANDSHAKE_BACKLOG chargers at a time. A handshake beyond that is
denied at once with 503 and a Retry-After drawn from CSMS_HANDSHAKE_RETRY_AFTER (MIN:MAX seconds,
spread so that the refused do not come back together); the node's work goes to the chargers it has
taken in, which reach their BootNotification within the timeout. A charger that reads Retry-After
comes back then; one that does not retries on its own schedule and meets the same gate.
"""

import random

from django.conf import settings

from csms import metrics

_in_admission = 0


def admit() -> bool:
    """Take a place among the handshakes being admitted; False when they are CSMS_HANDSHAKE_BACKLOG already."""
    global _in_admission
    if 0 < settings.CSMS_HANDSHAKE_BACKLOG <= _in_admission:
        metrics.HANDSHAKES_DEFERRED.inc()
        return False
    _in_admission += 1
    return True


def admitted() -> None:
    """Give the place back: the charger is admitted or refused."""
    global _in_admission
    _in_admission -= 1


def retry_after() -> int:
    """The seconds a deferred handshake's Retry-After says."""
    low, high = settings.CSMS_HANDSHAKE_RETRY_AFTER
    return random.randint(low, high)
