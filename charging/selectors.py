"""Reads of sessions and id tags, scoped to one organisation. Writes live in charging/services/."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Organisation
from chargers.filters import filtered
from chargers.models import Charger
from charging.filters import ActiveTransactionFilter, IdTagFilter, TransactionFilter
from charging.models import IdTag, MeterValue, Transaction
from charging.services.authorization import id_tag_find
from charging.services.metering import ENERGY_REGISTER, POWER_ACTIVE_IMPORT, SessionFigures, session_figures


@dataclass(frozen=True)
class ActiveTransaction:
    transaction_id: str
    evse_id: int | None
    connector_id: int
    id_tag: str
    start_time: datetime
    meter_start: int
    current_meter_value: int
    energy_delivered_wh: int
    duration_seconds: int


def transactions_active(*, charger: Charger, filters=None) -> list[ActiveTransaction]:
    """Sessions in progress on the charger, with the latest energy register reading of each.

    With no reading yet, the current meter value is the meter at start.
    """
    sessions = list(
        filtered(
            ActiveTransactionFilter, filters, Transaction.objects.filter(charger=charger, stop_time__isnull=True)
        ).order_by("connector_id", "start_time")
    )
    figures = transaction_figures(sessions=sessions)
    return [
        ActiveTransaction(
            transaction_id=session.ocpp_id,
            evse_id=session.evse_id if charger.has_evses else None,
            connector_id=session.connector_id,
            id_tag=session.id_tag,
            start_time=session.start_time,
            meter_start=session.meter_start,
            current_meter_value=figures[session.pk].current_meter_wh,
            energy_delivered_wh=figures[session.pk].energy_wh or 0,
            duration_seconds=figures[session.pk].duration_seconds,
        )
        for session in sessions
    ]


def transaction_figures(*, sessions: list[Transaction]) -> dict[int, SessionFigures]:
    """Energy, current power and duration of each session, keyed by pk, in one query for the readings.

    A stopped session keeps the energy computed when it stopped (the same rule, charging.services.metering).
    """
    readings: dict[int, list[MeterValue]] = {s.pk: [] for s in sessions}
    open_ids = [s.pk for s in sessions if s.stop_time is None]
    if open_ids:
        rows = MeterValue.objects.filter(
            transaction_id__in=open_ids, measurand__in=[ENERGY_REGISTER, POWER_ACTIVE_IMPORT], numeric__isnull=False
        ).order_by("timestamp", "id")
        for row in rows:
            readings[row.transaction_id].append(row)
    now = timezone.now()
    figures = {}
    for session in sessions:
        if session.stop_time is None:
            figures[session.pk] = session_figures(session, readings=readings[session.pk], now=now)
        else:
            end = session.meter_stop if session.meter_stop is not None else session.meter_start
            figures[session.pk] = SessionFigures(
                energy_wh=session.energy_wh,
                current_meter_wh=end,
                current_power_w=None,
                duration_seconds=max(0, int((session.stop_time - session.start_time).total_seconds())),
            )
    return figures


def transaction_list(*, organisation: Organisation, filters=None) -> QuerySet[Transaction]:
    """The organisation's sessions, newest first."""
    sessions = Transaction.objects.filter(charger__organisation=organisation).select_related("charger")
    return filtered(TransactionFilter, filters, sessions).order_by("-start_time", "-id")


def transaction_get(
    *, organisation: Organisation, transaction_id: str, charge_box_id: str | None = None
) -> Transaction | None:
    """The organisation's session with this id. Ids are unique per charger only: when two of the
    organisation's chargers used the same id, `charge_box_id` picks one, else the newest wins."""
    sessions = Transaction.objects.filter(charger__organisation=organisation, ocpp_id=transaction_id)
    if charge_box_id:
        sessions = sessions.filter(charger__charge_box_id=charge_box_id)
    return sessions.select_related("charger").order_by("-start_time", "-id").first()


def transaction_meter_values(*, session: Transaction) -> list[MeterValue]:
    return list(session.meter_values.order_by("timestamp", "id"))


def id_tag_list(*, organisation: Organisation, filters=None) -> QuerySet[IdTag]:
    tags = IdTag.objects.filter(organisation=organisation).select_related("parent")
    return filtered(IdTagFilter, filters, tags).order_by("id_tag", "id")


def id_tag_get(*, organisation: Organisation, id_tag: str) -> IdTag | None:
    """The organisation's tag, in any case; another organisation's is None."""
    return id_tag_find(organisation_id=organisation.pk, id_tag=id_tag)
