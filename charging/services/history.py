"""History retention: what chargers reported, kept for CSMS_HISTORY_RETENTION_DAYS (0: for ever)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from chargers.models import DataTransfer, StatusNotification
from charging.models import MeterValue


def history_cutoff(*, now: datetime | None = None) -> datetime | None:
    """The oldest time kept, or None when history is kept for ever."""
    days = settings.CSMS_HISTORY_RETENTION_DAYS
    return None if days <= 0 else (now or timezone.now()) - timedelta(days=days)


def history_prune(*, now: datetime | None = None) -> dict[str, int]:
    """Delete old status notifications, meter values of sessions closed before the cutoff, and data transfers.

    Meter values no session claims go with the same cutoff.
    Meter values of open sessions are kept whatever their age: the session's energy is still being told.
    """
    cutoff = history_cutoff(now=now)
    if cutoff is None:
        return {}
    return {
        "statusNotifications": StatusNotification.objects.filter(received_at__lt=cutoff).delete()[0],
        "meterValues": MeterValue.objects.filter(
            Q(transaction__stop_time__lt=cutoff) | Q(transaction__isnull=True), timestamp__lt=cutoff
        ).delete()[0],
        "dataTransfers": DataTransfer.objects.filter(created_at__lt=cutoff).delete()[0],
    }
