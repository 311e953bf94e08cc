"""Time as OCPP writes it: UTC, ISO 8601, milliseconds, `Z`."""

import asyncio
from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: str | None) -> datetime | None:
    """An OCPP date-time; one without a zone is taken as UTC."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def until(moment: datetime) -> None:
    """Sleep until `moment`; at once if it has passed."""
    await asyncio.sleep(max((moment - now()).total_seconds(), 0))
