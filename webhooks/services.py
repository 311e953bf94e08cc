"""Webhooks: register them, emit events to them, deliver with signatures and retries.

`event_emit` is what domain code calls (through chargers/events.py). It only enqueues, after
the transaction commits: delivery runs on a worker (or a background thread of the server
process), so a slow or failing receiver never slows a charger's frames.
"""

import hashlib
import hmac
import http.client
import json
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from accounts.models import Organisation
from csms import metrics
from csms.celery import enqueue
from webhooks import subscriptions
from webhooks.models import EVENTS, Delivery, Webhook
from webhooks.secrets import secret_decrypt, secret_encrypt

USER_AGENT = "CSMS-Webhooks/1"


def webhook_create(*, organisation: Organisation, url: str, secret: str, events: list[str]) -> Webhook:
    return Webhook.objects.create(
        organisation=organisation, url=url, secret_encrypted=secret_encrypt(secret), events=sorted(set(events))
    )


def webhook_update(
    *,
    webhook: Webhook,
    url: str | None = None,
    secret: str | None = None,
    events: list[str] | None = None,
    active: bool | None = None,
) -> Webhook:
    if url is not None:
        webhook.url = url
    if secret is not None:
        webhook.secret_encrypted = secret_encrypt(secret)
    if events is not None:
        webhook.events = sorted(set(events))
    if active is not None:
        webhook.active = active
    webhook.save()
    return webhook


def signature(*, secret: str, timestamp: int, body: str) -> str:
    """X-CSMS-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"sha256={mac}"


def event_emit(*, organisation_id: int, event: str, data: dict) -> None:
    """Announce `event` to the organisation's webhooks once the current transaction commits.

    Nothing is enqueued when no active webhook of the organisation receives `event`.
    """
    assert event in EVENTS, event
    if not subscriptions.subscribed(organisation_id=organisation_id, event=event):
        return
    at = timezone.now()

    def fan_out():
        from webhooks import tasks

        enqueue(tasks.event_fan_out, organisation_id, event, data, at.isoformat())

    transaction.on_commit(fan_out, robust=True)  # a broker that is down loses this event (logged), nothing else


def event_fan_out(*, organisation_id: int, event: str, data: dict, at: str) -> int:
    """One delivery per subscribed webhook, each enqueued on its own so that one slow receiver delays no other."""
    from webhooks import tasks

    body = json.dumps({"event": event, "timestamp": at, "data": data}, separators=(",", ":"), default=str)
    count = 0
    for webhook_id, events in Webhook.objects.filter(organisation_id=organisation_id, active=True).values_list(
        "id", "events"
    ):
        if event in events:
            enqueue(tasks.webhook_deliver, webhook_id, str(uuid.uuid4()), event, body, 1)
            count += 1
    return count


def delivery_attempt(*, webhook_id: int, event_id: str, event: str, body: str, attempt: int) -> Delivery | None:
    """POST the event once and record the attempt; on failure, schedule the next (delay doubles each time)."""
    from webhooks import tasks

    webhook = Webhook.objects.filter(pk=webhook_id, active=True).first()
    if webhook is None:
        return None
    if attempt > 1 and webhook.deliveries.filter(event_id=event_id, succeeded=True).exists():
        return None  # delivered meanwhile (an operator's resend): not again
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-CSMS-Event": event,
        "X-CSMS-Delivery": event_id,
        "X-CSMS-Timestamp": str(timestamp),
        "X-CSMS-Signature": signature(secret=secret_decrypt(webhook.secret_encrypted), timestamp=timestamp, body=body),
    }
    started = time.monotonic()
    status, error = _post(webhook.url, body.encode(), headers)
    succeeded = status is not None and 200 <= status < 300
    metrics.WEBHOOK_DELIVERIES.labels("delivered" if succeeded else "failed" if status is None else "refused").inc()
    retry_in = None
    if not succeeded and attempt < settings.CSMS_WEBHOOK_MAX_ATTEMPTS:
        retry_in = settings.CSMS_WEBHOOK_RETRY_DELAY * 2 ** (attempt - 1)
    delivery = Delivery.objects.create(
        webhook=webhook,
        event_id=event_id,
        event=event,
        attempt=attempt,
        body=body,
        timestamp=timestamp,
        response_status=status,
        error=error,
        succeeded=succeeded,
        duration_ms=int((time.monotonic() - started) * 1000),
        next_attempt_at=timezone.now() + timedelta(seconds=retry_in) if retry_in is not None else None,
    )
    if retry_in is not None:
        enqueue(tasks.webhook_deliver, webhook_id, event_id, event, body, attempt + 1, countdown=retry_in)
    return delivery


def delivery_resend(*, delivery: Delivery) -> bool:
    """One more attempt at a failed delivery's event, now, with the same body and event id.

    False (nothing sent) for a delivery that succeeded or a webhook that is no longer active."""
    from webhooks import tasks

    webhook = delivery.webhook
    if delivery.succeeded or not webhook.active:
        return False
    last = webhook.deliveries.filter(event_id=delivery.event_id).aggregate(last=models.Max("attempt"))["last"]
    enqueue(tasks.webhook_deliver, webhook.pk, str(delivery.event_id), delivery.event, delivery.body, last + 1)
    return True


def _post(url: str, body: bytes, headers: dict) -> tuple[int | None, str]:
    """POST once (no redirects followed); the status, or why there is none. Header names go as written."""
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=settings.CSMS_WEBHOOK_TIMEOUT)
    try:
        connection.request("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), body, headers)
        status = connection.getresponse().status
        return status, "" if 200 <= status < 300 else f"HTTP {status}"
    except (OSError, http.client.HTTPException) as failure:
        return None, (str(failure) or type(failure).__name__)[:255]
    finally:
        connection.close()


def deliveries_prune(*, now=None) -> int:
    """Forget delivery attempts older than CSMS_HISTORY_RETENTION_DAYS (0 keeps them)."""
    days = settings.CSMS_HISTORY_RETENTION_DAYS
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    return Delivery.objects.filter(created_at__lt=cutoff).delete()[0]
