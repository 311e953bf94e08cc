"""The Open Charge Alliance's California Pricing for OCPP 1.6: prices and costs shown on the charger.

Sent as DataTransfer `org.openchargealliance.costmsg` (messageId SetUserPrice when the charger authorizes an
id tag, with the text of the tariff that would price its session, or when a session starts that the charger
did not authorize with us just before (its local list, a remote start); RunningCost from
billing.running_costs; FinalCost when it ends), and only to a charger whose
configuration reports `CustomDisplayCostAndPrice` as true: the latest GetConfiguration answer that lists
the key says so (ask the charger with `POST /api/v1/chargers/{id}/configuration/get` and it is known).
"""

import json
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction

from billing.models import CDR
from chargers.models import Charger
from charging.models import Transaction
from commands.bus import CommandFailed, Requester
from commands.models import Command
from commands.services import command_enqueue

VENDOR_ID = "org.openchargealliance.costmsg"
COST_KEY = "CustomDisplayCostAndPrice"
# How many of a charger's latest GetConfiguration answers are searched for the key.
ANSWERS_READ = 20
# A session that starts this soon after its id tag was shown its price at Authorize is not shown it again.
PRICE_SHOWN_FOR = timedelta(minutes=10)


def shows_cost(charger: Charger) -> bool:
    """The charger's latest GetConfiguration answer that lists CustomDisplayCostAndPrice says true."""
    answers = Command.objects.filter(
        charger=charger, action="GetConfiguration", status=Command.Status.ANSWERED
    ).order_by("-created_at").values_list("response", flat=True)[:ANSWERS_READ]  # fmt: skip
    for response in answers:
        for key in (response or {}).get("configurationKey", []):
            if key.get("key") == COST_KEY:
                return str(key.get("value", "")).strip().lower() == "true"
    return False


def shown_on(charger_id: int) -> Charger | None:
    """The charger, if it speaks 1.6 and shows costs."""
    charger = Charger.everything.get(pk=charger_id)
    return charger if charger.ocpp_protocol.startswith("ocpp1.6") and shows_cost(charger) else None


def _send_after_commit(charger: Charger, message_id: str, data: dict, then=None) -> None:
    """After the commit, DataTransfer `message_id` to the charger (`then()` first)."""
    payload = {"vendorId": VENDOR_ID, "messageId": message_id, "data": json.dumps(data)}
    requester = Requester(source=Command.Source.TASK, description=f"California Pricing: {message_id}")

    def send():
        if then is not None:
            then()
        try:
            command_enqueue(charger=charger, requester=requester, action="DataTransfer", payload=payload)
        except CommandFailed:
            pass  # refused before sending (the payload is checked); nothing a charger's message should wait for

    transaction.on_commit(send, robust=True)


def _tariff_text(tariff: dict) -> str:
    return (tariff.get("tariff_alt_text") or [{}])[0].get("text", "")


def user_price_send(*, charger: Charger, id_tag: str, tariff: dict) -> None:
    """SetUserPrice to a charger that shows costs (shown_on): the driver's price, the tariff's text."""
    text = _tariff_text(tariff)
    if text:

        def remember():  # as the commit ends, before the charger is answered and may start the session
            cache.set(_shown_key(charger, id_tag), True, PRICE_SHOWN_FOR.total_seconds())

        _send_after_commit(charger, "SetUserPrice", {"idToken": id_tag, "priceText": text}, then=remember)


def user_price_shown(*, charger: Charger, id_tag: str) -> bool:
    """Whether the charger was sent `id_tag`'s price (SetUserPrice) within PRICE_SHOWN_FOR."""
    return bool(cache.get(_shown_key(charger, id_tag)))


def _shown_key(charger: Charger, id_tag: str) -> str:
    return f"california-price-shown:{charger.pk}:{id_tag.lower()}"  # id tags are case-insensitive


def final_cost_send(*, session: Transaction, cdr: CDR) -> None:
    """FinalCost when a priced session ends: its CDR's total with VAT (a free session was shown no price)."""
    charger = shown_on(session.charger_id) if cdr.document.get("tariffs") else None
    if charger is None:
        return
    text = _tariff_text(cdr.document["tariffs"][0])
    data = {"transactionId": int(session.ocpp_id), "cost": float(cdr.total_cost_incl_vat),
            "priceText": f"{cdr.total_cost_incl_vat:.2f} {cdr.currency}" + (f" ({text})" if text else "")}  # fmt: skip
    _send_after_commit(charger, "FinalCost", data)
