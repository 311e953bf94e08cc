"""Sharing a site's capacity among its sessions: a fair share within each connector's minimum and maximum.

Everything here computes; nothing sends (commands/site_limits.py does). The share is
computed in the site's unit (A per phase, or kW), in whole tenths, rounded down, so that the limits
sent never add up to more than the capacity. When the minimums do not all fit, the sessions that
started first keep theirs and the later ones get 0 (suspended) until capacity frees up.
"""

import math
from dataclasses import dataclass

from chargers.models import Charger, Site
from charging.models import Transaction

# Rates are sent with one decimal (OCPP allows one); shares are rounded down to it.
STEP = 0.1
LEVEL_ITERATIONS = 60


@dataclass(frozen=True)
class Demand:
    """One active session, with what its connector can take, in the site's unit."""

    transaction: Transaction
    charger: Charger
    minimum: float
    maximum: float


@dataclass(frozen=True)
class Share:
    """What one session is given: `limit` in the site's unit; `amperes` per phase; `rate`/`rate_unit`
    as the charger is sent it."""

    transaction: Transaction
    charger: Charger
    limit: float
    unit: str
    amperes: float
    rate: float
    rate_unit: str


def per_ampere(charger: Charger, unit: str) -> float:
    """How much of a site's unit one ampere per phase on this charger is."""
    return 1.0 if unit == Site.Unit.AMPERES else charger.voltage * charger.phases / 1000


def down(value: float) -> float:
    return math.floor(round(value / STEP, 6)) * STEP


def fair_shares(*, capacity: float, demands: list[tuple[float, float]]) -> list[float]:
    """Shares of `capacity` for demands (minimum, maximum) in order of priority.

    Each admitted demand gets max(minimum, min(level, maximum)) for the highest common level
    that fits; a demand whose minimum no longer fits after those before it gets 0.
    """
    admitted, room = [], capacity
    for minimum, _ in demands:
        fits = minimum <= room + 1e-9
        admitted.append(fits)
        room -= minimum if fits else 0
    bounds = [demand for demand, fits in zip(demands, admitted, strict=True) if fits]

    def used(level: float) -> float:
        return sum(max(minimum, min(level, maximum)) for minimum, maximum in bounds)

    low, high = 0.0, max((maximum for _, maximum in bounds), default=0.0)
    if used(high) <= capacity:
        low = high
    else:
        for _ in range(LEVEL_ITERATIONS):
            middle = (low + high) / 2
            low, high = (middle, high) if used(middle) <= capacity else (low, middle)
    given = iter(max(minimum, min(low, maximum)) for minimum, maximum in bounds)
    return [next(given) if fits else 0.0 for fits in admitted]


def site_demands(*, site: Site) -> list[Demand]:
    """The site's sessions in progress, first started first."""
    sessions = (
        Transaction.objects.filter(charger__site=site, stop_time__isnull=True)
        .select_related("charger")
        .order_by("start_time", "id")
    )
    demands = []
    for session in sessions:
        charger = session.charger
        scale = per_ampere(charger, site.capacity_unit)
        minimum, maximum = charger.min_current * scale, max(charger.max_current, charger.min_current) * scale
        demands.append(Demand(transaction=session, charger=charger, minimum=minimum, maximum=maximum))
    return demands


def site_allocation(*, site: Site) -> list[Share]:
    """How the site's capacity is split among its sessions now."""
    demands = site_demands(site=site)
    limits = fair_shares(capacity=site.capacity_limit, demands=[(d.minimum, d.maximum) for d in demands])
    shares = []
    for demand, limit in zip(demands, limits, strict=True):
        charger = demand.charger
        amperes = down(limit / per_ampere(charger, site.capacity_unit))
        # What the charger is sent, and that again in the site's unit: rounded down both ways.
        rate = amperes if charger.rate_unit == "A" else amperes * charger.voltage * charger.phases
        shares.append(
            Share(
                transaction=demand.transaction,
                charger=charger,
                limit=down(amperes * per_ampere(charger, site.capacity_unit)),
                unit=site.capacity_unit,
                amperes=round(amperes, 1),
                rate=round(rate, 1),
                rate_unit=charger.rate_unit,
            )
        )
    return shares
