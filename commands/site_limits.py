"""What the CSMS itself sends to chargers' charging profiles: site load balancing and restoring after a boot.

Runs in background tasks (chargers/tasks.py), never on a charger's frame: each send waits for the charger.
"""

import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache

from chargers.models import Charger, Site
from commands import services as commands
from commands.bus import CommandFailed, Requester
from commands.models import Command
from smart_charging.models import InstalledChargingProfile
from smart_charging.services.charging_profiles import TX_PROFILE
from smart_charging.services.load_balancing import Share, site_allocation

log = logging.getLogger(__name__)

LOCK_SECONDS = 120


def task_requester(description: str) -> Requester:
    return Requester(source=Command.Source.TASK, description=description)


@contextmanager
def site_lock(site_id: int) -> Iterator[None]:
    """One rebalancing of a site at a time, across processes (the shared cache): two at once could
    interleave their limits and overshoot the capacity."""
    key, token = f"site-balance:{site_id}", uuid.uuid4().hex
    deadline = time.monotonic() + LOCK_SECONDS
    while not cache.add(key, token, timeout=LOCK_SECONDS):
        if time.monotonic() > deadline:
            break  # a holder that died: its lock has expired anyway
        time.sleep(0.05)
    try:
        yield
    finally:
        if cache.get(key) == token:
            cache.delete(key)


def installed_limit(share: Share) -> float | None:
    """The TxProfile limit the session's charger holds now (as we recorded it), or None."""
    profile = InstalledChargingProfile.objects.filter(transaction=share.transaction, purpose=TX_PROFILE).first()
    if profile is None:
        return None
    periods = profile.schedule.get("chargingSchedulePeriod") or [{}]
    if profile.schedule.get("chargingRateUnit") != share.rate_unit:
        return None
    return periods[0].get("limit")


def site_rebalance(*, site_id: int) -> list[Share]:
    """Share the site's capacity among its sessions and send each changed limit as a TxProfile.

    Lowered limits go first, raised ones after, so that the sum held by the chargers never
    exceeds the capacity on the way.
    """
    with site_lock(site_id):
        site = Site.objects.filter(pk=site_id).first()
        if site is None:
            return []
        shares = site_allocation(site=site)
        changes = []
        for share in shares:
            held = installed_limit(share)
            if held is None or abs(held - share.rate) > 1e-6:
                # A session without a profile yet draws up to its maximum: treat it as a raise.
                changes.append((held is not None and share.rate < held, share))
        requester = task_requester(f"load balancing of site {site.name}")
        for _, share in sorted(changes, key=lambda change: not change[0]):
            limit_send(share=share, requester=requester)
        return shares


def transaction_param(ocpp_id: str) -> int | str:
    """A session's id as the commands take it: 1.6 ids are integers (ours), 2.0.1 ids the charger's strings."""
    return int(ocpp_id) if ocpp_id.isdigit() else ocpp_id


def limit_send(*, share: Share, requester: Requester) -> None:
    """The session's share as a TxProfile; the commands' connectorId is the EVSE (for 1.6 the same)."""
    session = share.transaction
    params = {
        "limit": {"acMaxPowerA": share.amperes},
        "transactionId": transaction_param(session.ocpp_id),
        "connectorId": session.evse_id,
    }
    try:
        commands.command_run(charger=share.charger, command="power_limit_set", params=params, requester=requester)
    except CommandFailed as failure:
        # The Command row keeps the details; the next start or stop on the site tries again.
        log.warning("load balancing: %s", failure)


def charging_profiles_restore(*, charger_id: int) -> int:
    """Send again the profiles a charger held before it rebooted; returns how many it accepted."""
    if not settings.CSMS_RESEND_PROFILES_AFTER_BOOT:
        return 0
    charger = Charger.objects.filter(pk=charger_id).first()
    if charger is None:
        return 0
    requester = task_requester("charging profiles restored after boot")
    accepted = 0
    for profile in InstalledChargingProfile.objects.filter(charger=charger).exclude(purpose=TX_PROFILE):
        try:
            answer = commands.command_run(
                charger=charger,
                command="charging_profile_set",
                params={
                    "connectorId": profile.connector_id,
                    "chargingProfile": profile_params(profile),
                    **({"meta": profile.meta} if profile.meta else {}),
                },  # fmt: skip
                requester=requester,
            )
        except CommandFailed as failure:
            log.warning("restoring charging profile %s: %s", profile, failure)
            continue
        accepted += answer.get("status") == "Accepted"
    return accepted


def profile_params(profile: InstalledChargingProfile) -> dict:
    """The API's (version-neutral) shape of an installed profile."""
    params = {
        "chargingProfileId": profile.profile_id,
        "stackLevel": profile.stack_level,
        "chargingProfilePurpose": profile.purpose,
        "chargingProfileKind": profile.kind,
        "chargingSchedule": profile.schedule,
    }
    if profile.recurrency_kind:
        params["recurrencyKind"] = profile.recurrency_kind
    if profile.valid_from:
        params["validFrom"] = profile.valid_from.isoformat().replace("+00:00", "Z")
    if profile.valid_to:
        params["validTo"] = profile.valid_to.isoformat().replace("+00:00", "Z")
    if profile.transaction_id:
        params["transactionId"] = transaction_param(profile.transaction.ocpp_id)
    return params
