"""A running session's cost, sent to chargers that show it, every CSMS_COST_UPDATE_INTERVAL seconds:
OCPP 2.0.1 CostUpdated, and for OCPP 1.6 chargers that report the cost keys California Pricing's RunningCost."""

import json
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from billing import california, services
from billing.models import SessionTariff
from commands.bus import CommandFailed, Requester
from commands.models import Command
from commands.services import command_enqueue

REQUESTER = Requester(source=Command.Source.TASK, description="running cost")


def _cost_updated(session, cost) -> tuple[str, dict]:
    return "CostUpdated", {"totalCost": float(cost.total_cost.incl_vat), "transactionId": session.ocpp_id}


def _running_cost(session, cost) -> tuple[str, dict]:
    data = {"transactionId": int(session.ocpp_id), "timestamp": timezone.now().isoformat(),
            "meterValue": int(session.meter_start + cost.total_energy * 1000), "cost": float(cost.total_cost.incl_vat),
            "state": "Charging"}  # fmt: skip
    return "DataTransfer", {"vendorId": california.VENDOR_ID, "messageId": "RunningCost", "data": json.dumps(data)}


# OCPP version -> the message that carries a running cost.
MESSAGES = {"ocpp2.1": _cost_updated, "ocpp2.0.1": _cost_updated, "ocpp1.6": _running_cost}


def running_costs_send(*, now=None) -> int:
    """Send each open, priced session on a connected charger its cost, once per interval. Returns how many."""
    interval = settings.CSMS_COST_UPDATE_INTERVAL
    if interval <= 0:
        return 0
    now = now or timezone.now()
    due = (
        SessionTariff.objects.filter(transaction__stop_time__isnull=True, transaction__charger__channel_name__gt="")
        .exclude(last_cost_sent_at__gt=now - timedelta(seconds=interval))
        .select_related("transaction__charger")
    )
    sent = 0
    for priced in due:
        session, charger = priced.transaction, priced.transaction.charger
        message = MESSAGES.get(charger.ocpp_protocol)
        if message is None or (charger.ocpp_protocol == "ocpp1.6" and not california.shows_cost(charger)):
            continue
        action, payload = message(session, services.session_costs(session=session, priced=priced))
        try:
            command_enqueue(charger=charger, requester=REQUESTER, action=action, payload=payload)
        except CommandFailed:
            continue
        SessionTariff.objects.filter(pk=priced.pk).update(last_cost_sent_at=now)
        sent += 1
    return sent
