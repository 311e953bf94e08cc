"""What billing does when a session starts (keep its tariff) or ends (write its CDR): handlers of
csms.hooks' SESSION_STARTED and SESSION_ENDED, in the transaction that records the moment."""

import logging

from billing import california, services
from chargers.models import Charger
from charging.models import Transaction

log = logging.getLogger(__name__)


def session_started(*, session: Transaction) -> None:
    # A failure is logged and the charger's message still recorded. Not in a savepoint of its own:
    # charger frames are committed in batches without savepoints (ocpp_ws/group_commit.py), where
    # leaving an atomic block with an error would spoil the whole batch.
    try:
        organisation_id = Charger.everything.filter(pk=session.charger_id).values_list("organisation_id", flat=True)
        priced = services.session_price(session=session, organisation_id=organisation_id.get())
        if priced is not None:
            california.user_price_send(session=session, tariff=priced.snapshot)
    except Exception:
        log.exception("could not price session %s", session.pk)


def session_ended(*, session: Transaction) -> None:
    try:
        cdr = services.cdr_issue(session=session)
        if cdr is not None:
            california.final_cost_send(session=session, cdr=cdr)
    except Exception:
        log.exception("could not write the CDR of session %s", session.pk)
