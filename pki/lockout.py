"""Brute force: failed passwords counted per chargeBoxId and per source address, in the shared cache.

After CSMS_AUTH_FAILURE_LIMIT failures within CSMS_AUTH_FAILURE_WINDOW seconds, the chargeBoxId (from
any address) is refused for CSMS_AUTH_LOCKOUT_SECONDS, before any password is looked at. A locked-out
address refuses the chargeBoxIds that failed from it: the names it guessed cost no hashing and no
database, while a different charger behind the same address (a site's NAT, a TLS proxy) is never
blocked by another's failures; a name nobody registered is refused as unknown anyway. On Redis the counts
hold across nodes; a lockout is also written down (AuthLockout) for the admin.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from commands.channel_layers import REDIS_DOWN
from pki.models import AuthLockout

log = logging.getLogger(__name__)


def _subjects(charge_box_id: str | None, remote_address: str) -> list[tuple[str, str]]:
    subjects = [(AuthLockout.Kind.CHARGE_BOX_ID, charge_box_id)] if charge_box_id else []
    return subjects + [(AuthLockout.Kind.ADDRESS, remote_address)] if remote_address else subjects


def _locked_key(kind: str, value: str) -> str:
    return f"auth-locked:{kind}:{value}"


def _failures_key(kind: str, value: str) -> str:
    return f"auth-failures:{kind}:{value}"


def lockout_refusal(*, charge_box_id: str, remote_address: str) -> str | None:
    """Why this attempt is refused unheard (a lockout in force), or None."""
    keys = {_locked_key(kind, value): (kind, value) for kind, value in _subjects(charge_box_id, remote_address)}
    own_failures = _failures_key(AuthLockout.Kind.CHARGE_BOX_ID, charge_box_id)
    try:
        found = cache.get_many([*keys, own_failures])
    except REDIS_DOWN as error:
        log.warning("lockouts not checked: %s", error)
        return None
    for key in keys:
        kind, value = keys[key]
        if key in found and (kind == AuthLockout.Kind.CHARGE_BOX_ID or own_failures in found):
            return f"{kind} {value} locked out after {settings.CSMS_AUTH_FAILURE_LIMIT} failed passwords"
    return None


def _counted(key: str) -> int:
    if cache.add(key, 1, timeout=settings.CSMS_AUTH_FAILURE_WINDOW):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # the window ended between add and incr
        cache.add(key, 1, timeout=settings.CSMS_AUTH_FAILURE_WINDOW)
        return 1


def auth_failure_record(*, charge_box_id: str | None, remote_address: str) -> None:
    """A wrong or missing password: counted for the chargeBoxId and the address; the limit starts a lockout.
    `charge_box_id` None: a chargeBoxId nobody registered, counted for the address only."""
    try:
        for kind, value in _subjects(charge_box_id, remote_address):
            failures = _counted(_failures_key(kind, value))
            if failures < settings.CSMS_AUTH_FAILURE_LIMIT:
                continue
            cache.set(_locked_key(kind, value), 1, timeout=settings.CSMS_AUTH_LOCKOUT_SECONDS)
            cache.delete(_failures_key(kind, value))  # counting starts afresh after the cool-down
            until = timezone.now() + timedelta(seconds=settings.CSMS_AUTH_LOCKOUT_SECONDS)
            AuthLockout.objects.create(kind=kind, value=value[:64], failures=failures, locked_until=until)
            log.warning("%s %s locked out until %s after %d failed passwords", kind, value, until, failures)
    except REDIS_DOWN as error:
        log.warning("failed password not counted: %s", error)


def auth_success_record(*, charge_box_id: str) -> None:
    """The right password: the chargeBoxId's failures are forgotten (an address may serve an attacker too)."""
    try:
        cache.delete(_failures_key(AuthLockout.Kind.CHARGE_BOX_ID, charge_box_id))
    except REDIS_DOWN as error:
        log.warning("failures not reset: %s", error)
