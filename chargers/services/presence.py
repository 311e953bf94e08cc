"""Who is connected where. A charger is online while `channel_name` names its consumer."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chargers import events
from chargers.models import Charger
from chargers.services.registry import unknown_charger_seen
from csms import statements

# Ids in one UPDATE's IN list: within every backend's limit of parameters.
SEEN_PER_STATEMENT = 500


@dataclass(frozen=True)
class Admission:
    """The outcome of a connection attempt. `charger_id` is None when refused."""

    charger_id: int | None = None
    organisation_id: int | None = None
    protocol: str = ""
    replaced_channel: str = ""
    refusal: str = ""


# The refusals of a password that does not match, and of a chargeBoxId nobody registered (both counted
# against brute force by the OCPP edge).
WRONG_CREDENTIALS = "wrong credentials"
MISSING_CREDENTIALS = "missing or wrong credentials"
CREDENTIAL_REFUSALS = (WRONG_CREDENTIALS, MISSING_CREDENTIALS)
UNKNOWN_CHARGER = "unknown chargeBoxId"


def charger_admit(
    *,
    charge_box_id: str,
    password: str | None,
    channel_name: str,
    remote_address: str,
    protocol: str = "",
    protocols: list[str] = (),
    certificate_authenticated: bool = False,
) -> Admission:
    """Check a connecting charger and, if it may connect, record it as connected here.

    `protocols`: the subprotocols it offers that we speak, preferred first; it gets the first,
    or the one an operator pinned (refused when it does not offer that one).
    `certificate_authenticated`: a verified client certificate named the charger; no password is asked.
    """
    charger = statements.instance(Charger, where={"charge_box_id": charge_box_id})
    if charger is None or charger.deleted_at is not None:  # a deleted charger is as unknown as a stranger
        unknown_charger_seen(charge_box_id=charge_box_id, remote_address=remote_address)
        return Admission(refusal=UNKNOWN_CHARGER)
    if not certificate_authenticated and not charger.password_matches(password):
        return Admission(refusal=MISSING_CREDENTIALS if password is None else WRONG_CREDENTIALS)
    offered = list(protocols) or [protocol]
    if charger.ocpp_version_pinned:
        if charger.ocpp_version_pinned not in offered:
            return Admission(refusal=f"pinned to {charger.ocpp_version_pinned}, which it does not offer")
        offered = [charger.ocpp_version_pinned]
    protocol = offered[0]
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        (previous,) = statements.select_one(Charger, ["channel_name"], where={"id": charger.pk}, for_update=True)
        statements.update(
            Charger,
            {
                "channel_name": channel_name,
                "ocpp_protocol": protocol,
                "remote_address": remote_address,
                "connected_at": now,
                "last_seen_at": now,
            },
            where={"id": charger.pk},
        )
    events.charger_presence_changed(
        charger_id=charger.pk, online=True, organisation_id=charger.organisation_id, charge_box_id=charge_box_id
    )
    return Admission(
        charger_id=charger.pk,
        organisation_id=charger.organisation_id,
        protocol=protocol,
        replaced_channel=previous if previous != channel_name else "",
    )


def charger_disconnected(*, charger_id: int, channel_name: str) -> None:
    """Mark offline, unless a newer connection has already taken over."""
    went_offline = statements.update(
        Charger,
        {"channel_name": "", "disconnected_at": timezone.now()},
        where={"id": charger_id, "channel_name": channel_name},
    )
    if went_offline:
        events.charger_presence_changed(charger_id=charger_id, online=False)


def chargers_seen(*, charger_ids: set[int], at: datetime) -> int:
    """Chargers seen at `at` or later: their last_seen_at, never moved back. How many were written.

    A charger whose row another transaction is writing (its own frame: a Heartbeat writes
    last_seen_at itself; or an operator's edit) is skipped until its next write: waiting for
    that row while holding the others' locks deadlocked with batches of frames that wait for one
    of them (PostgreSQL; SQLite has one writer at a time and ignores the row locks). Rows that
    frames only refer to (a foreign key's KEY SHARE lock) are written.
    """
    ids = sorted(charger_ids)
    stale = Q(last_seen_at__lt=at) | Q(last_seen_at__isnull=True)
    written = 0
    with transaction.atomic():
        for start in range(0, len(ids), SEEN_PER_STATEMENT):
            free = (
                Charger.objects.filter(stale, pk__in=ids[start : start + SEEN_PER_STATEMENT])
                .select_for_update(skip_locked=True, no_key=True)
                .values("pk")
            )
            written += Charger.objects.filter(pk__in=free).update(last_seen_at=at)
    return written


def chargers_offline_sweep(*, now=None) -> int:
    """Mark offline the chargers whose process died without closing their socket.

    A live connection writes last_seen_at about every CSMS_PRESENCE_WRITE_INTERVAL while frames
    come (one skipped or lost waits for the next), and its own watchdog closes it after heartbeat
    interval + grace of silence; a charger still "online" well past that has no process holding
    it. Idempotent: a conditional update per charger, so sweeps running at once in several
    processes mark each charger once.
    """
    now = now or timezone.now()
    silence = settings.CSMS_HEARTBEAT_INTERVAL + settings.CSMS_HEARTBEAT_GRACE + settings.CSMS_PRESENCE_MARGIN
    cutoff = now - timedelta(seconds=silence)
    stale = Charger.objects.exclude(channel_name="").filter(last_seen_at__lt=cutoff)
    count = 0
    for charger_id, channel_name in stale.values_list("pk", "channel_name"):
        if Charger.objects.filter(pk=charger_id, channel_name=channel_name, last_seen_at__lt=cutoff).update(
            channel_name="", disconnected_at=now
        ):
            count += 1
            events.charger_presence_changed(charger_id=charger_id, online=False)
    return count
