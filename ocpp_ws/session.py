from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_naive, make_aware


@dataclass(frozen=True)
class Session:
    """The charger behind one socket, as the adapters need it."""

    charger_id: int
    organisation_id: int
    charge_box_id: str
    protocol: str


class PayloadValueError(ValueError):
    """A value the schema allows but the product cannot read (an unparseable timestamp)."""


def timestamp(value: str) -> datetime:
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well formed but impossible, such as February 30th
        parsed = None
    if parsed is None:
        raise PayloadValueError(f"{value!r} is not an ISO 8601 date-time")
    return make_aware(parsed, UTC) if is_naive(parsed) else parsed
