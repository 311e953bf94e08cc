"""One decision for every place a charger asks whether an id tag may charge."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from chargers.models import IdTag, Transaction


@dataclass(frozen=True)
class IdTagDecision:
    status: str
    expiry_date: datetime | None = None
    parent_id_tag: str | None = None


def id_tag_find(*, organisation_id: int, id_tag: str) -> IdTag | None:
    """The organisation's tag. OCPP id tags are case-insensitive (CiString20); an exact match wins a tie."""
    candidates = list(
        IdTag.objects.select_related("parent").filter(organisation_id=organisation_id, id_tag__iexact=id_tag)
    )
    return next((t for t in candidates if t.id_tag == id_tag), candidates[0] if candidates else None)


def id_tag_decide(*, organisation_id: int, id_tag: str, starting: bool = True) -> IdTagDecision:
    """Accepted, Blocked, Expired, Invalid (unknown) or ConcurrentTx (at its active-session limit).

    ConcurrentTx only answers a charger about to start (Authorize, StartTransaction): a
    StopTransaction's idTagInfo describes the tag itself, so `starting=False` skips it.
    """
    tag = id_tag_find(organisation_id=organisation_id, id_tag=id_tag)
    if tag is None:
        return IdTagDecision(status="Invalid")
    parent = tag.parent.id_tag if tag.parent else None
    if tag.status != IdTag.Status.ACCEPTED:
        return IdTagDecision(status=tag.status, expiry_date=tag.expiry_date, parent_id_tag=parent)
    if tag.expiry_date and tag.expiry_date <= timezone.now():
        return IdTagDecision(status="Expired", expiry_date=tag.expiry_date, parent_id_tag=parent)
    if starting:
        active = Transaction.objects.filter(
            charger__organisation_id=organisation_id, id_tag__iexact=id_tag, stop_time__isnull=True
        ).count()
        if active >= tag.max_active_transactions:
            return IdTagDecision(status="ConcurrentTx", expiry_date=tag.expiry_date, parent_id_tag=parent)
    return IdTagDecision(status="Accepted", expiry_date=tag.expiry_date, parent_id_tag=parent)
