"""How many chargers a node admits at once, and when the others are told to come back.

Admitting a charger is a database round trip on the frame workers (its lockout, credentials and
presence), queued behind the frames of the chargers already connected. After a node restarts, its
whole fleet connects within seconds: unbounded, that queue grows past daphne's handshake timeout
(5 s), the handshakes are refused anyway, and the work done for them is lost.

So a node admits at most CSMS_HANDSHAKE_BACKLOG chargers at a time. A handshake beyond that is
denied at once with 503 and a Retry-After, and the node's work goes to the chargers it has taken in.
The consumer denies at its door, before it takes a channel or starts a task (`has_room`, `defer`),
and looks again when it admits (`has_room`, then `admission`), for the handshakes that passed the
door together.

The Retry-After is the charger's turn. Turns are handed out one after another, spaced by the rate at
which the node finishes admissions, so that the deferred come back about as fast as the node can
take them in: a crowd of 15,000 at 40 admissions a second is told 5, 5, 5, ..., 375 s, and comes
back at that pace (in the benchmark's storm, about two denials per charger). A Retry-After drawn at
random from a fixed range brings the whole crowd back every few seconds instead, and the denials (a
handshake each) take the processor the admissions need. The rate is Little's law over the gate:
CSMS_HANDSHAKE_BACKLOG admissions in flight divided by how long one takes lately. While the gate is
full that is the node's admission rate; while it is not, admissions are quick and the estimate high,
so a crowd that arrives is booked optimistically and whoever comes back too early is booked again,
behind the others. No turn is sooner than the MIN of CSMS_HANDSHAKE_RETRY_AFTER; beyond its MAX
nobody is booked, and the overflow is spread over MIN to MAX. A charger that ignores Retry-After
retries on its own schedule and meets the same gate.
"""

import logging
import math
import random
import time
from contextlib import contextmanager

from django.conf import settings

from csms import metrics, ws_denial

# How much each finished admission moves the estimate of how long one takes (an exponential mean
# over about the last 50 admissions), and the estimate before the first: optimistic, as above.
DURATION_WEIGHT = 0.02
FIRST_DURATION = 1.0

_in_admission = 0
_duration = FIRST_DURATION
_last_turn = 0.0  # time.monotonic() of the latest turn handed out

log = logging.getLogger(__name__)


async def defer(send, charge_box_id: str, client) -> None:
    """Deny the handshake of a charger that found the backlog full: 503, come back at its turn."""
    log.info("deferred %s from %s: CSMS_HANDSHAKE_BACKLOG chargers in admission", charge_box_id, (client or [""])[0])
    await ws_denial.deny(send, retry_after=retry_after())


def has_room() -> bool:
    """Whether a handshake may go on to its admission; counts a deferral when not."""
    if 0 < settings.CSMS_HANDSHAKE_BACKLOG <= _in_admission:
        metrics.HANDSHAKES_DEFERRED.inc()
        return False
    return True


@contextmanager
def admission():
    """One charger's admission, holding a place in the backlog while it runs."""
    global _in_admission, _duration
    _in_admission += 1
    started = time.monotonic()
    try:
        yield
    finally:
        _in_admission -= 1
        _duration += DURATION_WEIGHT * (time.monotonic() - started - _duration)


def admission_rate() -> float:
    """Admissions a second the node finishes when its backlog is full."""
    return max(settings.CSMS_HANDSHAKE_BACKLOG, 1) / max(_duration, 0.001)


def retry_after() -> int:
    """The seconds until a deferred handshake's turn, which this books."""
    global _last_turn
    low, high = settings.CSMS_HANDSHAKE_RETRY_AFTER
    now = time.monotonic()
    turn = max(now + low, _last_turn + 1 / admission_rate())
    if turn > now + high:
        return random.randint(low, high)
    _last_turn = turn
    return math.ceil(round(turn - now, 3))  # MIN itself, not MIN + a rounding error
