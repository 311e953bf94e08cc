"""The Open Charge Alliance's California Pricing for OCPP 1.6: a session's final cost shown on the charger.

Sent as DataTransfer `org.openchargealliance.costmsg` (messageId FinalCost), and only to a charger whose
configuration reports `CustomDisplayCostAndPrice` as true: the latest GetConfiguration answer that lists
the key says so (ask the charger with `POST /api/v1/chargers/{id}/configuration` and it is known).
"""

import json

from django.db import transaction

from billing.models import CDR
from chargers.models import Charger, Transaction
from commands.bus import CommandFailed, Requester
from commands.models import Command
from commands.services import command_enqueue

VENDOR_ID = "org.openchargealliance.costmsg"
COST_KEY = "CustomDisplayCostAndPrice"
# How many of a charger's latest GetConfiguration answers are searched for the key.
ANSWERS_READ = 20


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


def final_cost_send(*, session: Transaction, cdr: CDR) -> None:
    """After the commit, send a 1.6 charger that shows costs the session's FinalCost (VAT included)."""
    charger = Charger.objects.get(pk=session.charger_id)
    if not charger.ocpp_protocol.startswith("ocpp1.6") or not shows_cost(charger):
        return
    text = (cdr.document["tariffs"][0].get("tariff_alt_text") or [{}])[0].get("text", "")
    data = {"transactionId": int(session.ocpp_id), "cost": float(cdr.total_cost_incl_vat),
            "priceText": f"{cdr.total_cost_incl_vat:.2f} {cdr.currency}" + (f" ({text})" if text else "")}  # fmt: skip
    payload = {"vendorId": VENDOR_ID, "messageId": "FinalCost", "data": json.dumps(data)}

    requester = Requester(source=Command.Source.TASK, description="California Pricing: FinalCost")

    def send():
        try:
            command_enqueue(charger=charger, requester=requester, action="DataTransfer", payload=payload)
        except CommandFailed:
            pass  # refused before sending (the payload is checked); nothing a charger's stop should wait for

    transaction.on_commit(send, robust=True)
