"""Webhook tasks: thin over webhooks.services."""

from celery import shared_task

from csms.retention import removed_report
from webhooks import services


@shared_task(name="webhooks.tasks.event_fan_out")
def event_fan_out(organisation_id: int, event: str, data: dict, at: str) -> int:
    return services.event_fan_out(organisation_id=organisation_id, event=event, data=data, at=at)


@shared_task(name="webhooks.tasks.webhook_deliver")
def webhook_deliver(webhook_id: int, event_id: str, event: str, body: str, attempt: int) -> bool:
    delivery = services.delivery_attempt(
        webhook_id=webhook_id, event_id=event_id, event=event, body=body, attempt=attempt
    )
    return bool(delivery and delivery.succeeded)


@shared_task(name="webhooks.tasks.deliveries_prune")
def deliveries_prune() -> dict:
    return removed_report(job="webhook deliveries prune", removed={"webhook_deliveries": services.deliveries_prune()})
