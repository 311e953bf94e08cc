"""One decision for every place a charger asks whether an id tag may charge."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from accounts.models import Organisation
from chargers.models import Charger
from charging.models import IdTag, Transaction
from csms import hooks, statements


@dataclass(frozen=True)
class IdTagDecision:
    status: str
    expiry_date: datetime | None = None
    parent_id_tag: str | None = None


def id_tag_find(*, organisation_id: int, id_tag: str) -> IdTag | None:
    """The organisation's tag. OCPP id tags are case-insensitive (CiString20), and so is their uniqueness.

    Every Authorize and StartTransaction asks, so the lookup is a prepared statement, not an ORM query.
    """
    return statements.instance(IdTag, where={"organisation_id": organisation_id}, ignore_case={"id_tag": id_tag})


def id_tag_decide(*, organisation_id: int, id_tag: str, starting: bool = True) -> IdTagDecision:
    """Accepted, Blocked, Expired, Invalid (unknown) or ConcurrentTx (at its active-session limit).

    An unknown tag is Invalid, unless the organisation accepts unknown tags (free vend): then it
    is recorded as an auto-created IdTag and decided like any other. ConcurrentTx only answers a
    charger about to start (Authorize, StartTransaction): a StopTransaction's idTagInfo describes
    the tag itself, so `starting=False` skips it. A `maxActiveTransactions` of 0 is no limit.
    """
    tag = id_tag_find(organisation_id=organisation_id, id_tag=id_tag)
    if tag is None:
        if not _accepts_unknown(organisation_id):
            return IdTagDecision(status="Invalid")
        if not starting:
            return IdTagDecision(status="Accepted")
        from charging.services.id_tags import id_tag_record_unknown  # id_tags builds on this module

        tag = id_tag_record_unknown(organisation_id=organisation_id, id_tag=id_tag)
    parent = tag.parent.id_tag if tag.parent else None
    if tag.status != IdTag.Status.ACCEPTED:
        return IdTagDecision(status=tag.status, expiry_date=tag.expiry_date, parent_id_tag=parent)
    if tag.expiry_date and tag.expiry_date <= timezone.now():
        return IdTagDecision(status="Expired", expiry_date=tag.expiry_date, parent_id_tag=parent)
    if starting and tag.max_active_transactions:
        active = statements.count(
            Transaction,
            where={"stop_time": None},
            ignore_case={"id_tag": id_tag},
            within=("charger_id", Charger, {"organisation_id": organisation_id}),
        )
        if active >= tag.max_active_transactions:
            return IdTagDecision(status="ConcurrentTx", expiry_date=tag.expiry_date, parent_id_tag=parent)
    return IdTagDecision(status="Accepted", expiry_date=tag.expiry_date, parent_id_tag=parent)


def id_tag_authorize(*, charger_id: int, organisation_id: int, id_tag: str) -> IdTagDecision:
    """A charger's Authorize: the decision, and for an accepted tag the ID_TAG_AUTHORIZED moment (billing
    shows the driver's price on chargers that can show it)."""
    decision = id_tag_decide(organisation_id=organisation_id, id_tag=id_tag)
    if decision.status == "Accepted":
        hooks.run(hooks.ID_TAG_AUTHORIZED, charger_id=charger_id, organisation_id=organisation_id, id_tag=id_tag)
    return decision


def _accepts_unknown(organisation_id: int) -> bool:
    row = statements.select_one(Organisation, ["unknown_id_tag_policy"], where={"id": organisation_id})
    return row is not None and row[0] == Organisation.UnknownIdTagPolicy.ACCEPT
