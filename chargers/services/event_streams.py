"""OCPP 2.1 periodic event streams: a monitored variable's values, sent in batches a charger opens and closes."""

from datetime import datetime, timedelta

from django.utils import timezone

from chargers.models import PeriodicEventStream, PeriodicEventStreamValue


def event_stream_open(*, charger_id: int, stream_id: int, variable_monitoring_id: int, params: dict) -> None:
    """A charger opened a stream (again, after a reboot: the stream starts over)."""
    PeriodicEventStream.objects.update_or_create(
        charger_id=charger_id,
        stream_id=stream_id,
        defaults={
            "variable_monitoring_id": variable_monitoring_id,
            "params": params,
            "opened_at": timezone.now(),
            "closed_at": None,
        },
    )


def event_stream_values_record(
    *, charger_id: int, stream_id: int, basetime: datetime, values: list[tuple[float, str]]
) -> int:
    """Keep a batch of values, each `(seconds after basetime, value)`. A stream never opened is kept too."""
    stream, _ = PeriodicEventStream.objects.get_or_create(
        charger_id=charger_id, stream_id=stream_id, defaults={"variable_monitoring_id": 0}
    )
    rows = PeriodicEventStreamValue.objects.bulk_create(
        PeriodicEventStreamValue(stream=stream, timestamp=basetime + timedelta(seconds=offset), value=value)
        for offset, value in values
    )
    return len(rows)


def event_stream_close(*, charger_id: int, stream_id: int) -> int:
    return PeriodicEventStream.objects.filter(charger_id=charger_id, stream_id=stream_id, closed_at=None).update(
        closed_at=timezone.now()
    )


def event_stream_adjust(*, charger_id: int, stream_id: int, params: dict) -> int:
    """The charger accepted new parameters for the stream."""
    return PeriodicEventStream.objects.filter(charger_id=charger_id, stream_id=stream_id).update(params=params)
