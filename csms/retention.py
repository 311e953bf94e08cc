"""What the retention jobs share: deleting in short batches, and telling what they removed.

A DELETE of a month of message log in one statement holds its locks (and, on SQLite, the one
writer's lock that every charger frame waits for) until it ends. In batches of BATCH_SIZE rows,
each in its own transaction, the frames' writes go on between them.
"""

import logging

from django.db.models import QuerySet

from csms import metrics

log = logging.getLogger(__name__)

BATCH_SIZE = 5000


def batched_delete(queryset: QuerySet, *, batch_size: int = BATCH_SIZE) -> int:
    """Delete `queryset`'s rows, oldest primary key first, `batch_size` at a time; rows removed."""
    model = queryset.model
    removed = 0
    while True:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if ids:
            removed += model._base_manager.filter(pk__in=ids).delete()[0]
        if len(ids) < batch_size:
            return removed


def removed_report(*, job: str, removed: dict[str, int]) -> dict[str, int]:
    """Log and count what a retention job removed, per table; returns `removed`."""
    for table, count in removed.items():
        metrics.PRUNED.labels(table).inc(count)
    log.info("%s removed %s", job, ", ".join(f"{count} {table}" for table, count in removed.items()) or "nothing")
    return removed
