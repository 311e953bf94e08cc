"""What billing does when a charger authorizes an id tag (show the driver's price), a session starts (keep
its tariff) or ends (write its CDR): handlers of csms.hooks' ID_TAG_AUTHORIZED, SESSION_STARTED and
SESSION_ENDED, in the transaction that records the moment."""

import logging

from django.utils import timezone

from billing import california, services
from chargers.models import Charger
from charging.models import Transaction

log = logging.getLogger(__name__)


# A failure is logged and the charger's message still recorded. Not in a savepoint of its own: charger frames
# are committed in batches without savepoints (ocpp_ws/group_commit.py), where leaving an atomic block with an
# error would spoil the whole batch.


def id_tag_authorized(*, charger_id: int, organisation_id: int, id_tag: str) -> None:
    try:
        charger = california.shown_on(charger_id)
        if charger is None:
            return
        found = services.tariff_for(organisation_id=organisation_id, charger_id=charger_id, id_tag=id_tag,
                                    at=timezone.now())  # fmt: skip
        if found is not None:
            california.user_price_send(charger=charger, id_tag=id_tag, tariff=found[0].document)
    except Exception:
        log.exception("could not show the price to %s at charger %s", id_tag, charger_id)


def session_started(*, session: Transaction) -> None:
    try:
        organisation_id = Charger.everything.filter(pk=session.charger_id).values_list("organisation_id", flat=True)
        priced = services.session_price(session=session, organisation_id=organisation_id.get())
        # A session the charger did not authorize with us just before (its local list, a remote start): its
        # price now.
        charger = california.shown_on(session.charger_id) if priced is not None else None
        if charger is not None and not california.user_price_shown(charger=charger, id_tag=session.id_tag):
            california.user_price_send(charger=charger, id_tag=session.id_tag, tariff=priced.snapshot)
    except Exception:
        log.exception("could not price session %s", session.pk)


def session_ended(*, session: Transaction) -> None:
    try:
        cdr = services.cdr_issue(session=session)
        if cdr is not None:
            california.final_cost_send(session=session, cdr=cdr)
    except Exception:
        log.exception("could not write the CDR of session %s", session.pk)
