"""Background work of the protocol edge (scheduled by beat where configured)."""

from celery import shared_task

from csms.retention import removed_report
from ocpp_ws import message_log


@shared_task(name="ocpp_ws.tasks.messages_prune")
def messages_prune() -> dict:
    return removed_report(job="message log prune", removed={"ocpp_messages": message_log.messages_prune()})
