"""Reads of the fleet, scoped to one organisation. Writes live in chargers/services/."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Organisation
from chargers.filters import (
    ActiveTransactionFilter,
    ChargePointStatusFilter,
    ChargerFilter,
    IdTagFilter,
    TransactionFilter,
    filtered,
)
from chargers.models import Charger, Connector, IdTag, MeterValue, StatusNotification, Transaction
from chargers.services.authorization import id_tag_find
from chargers.services.metering import ENERGY_REGISTER, POWER_ACTIVE_IMPORT, SessionFigures, session_figures

STATUS_HISTORY_LENGTH = 5


def charger_list(*, organisation: Organisation, filters=None) -> QuerySet[Charger]:
    return filtered(ChargerFilter, filters, Charger.objects.filter(organisation=organisation))


def charger_get(*, organisation: Organisation, charge_box_id: str) -> Charger | None:
    """The organisation's charger with its connectors, or None (also for another organisation's)."""
    return (
        Charger.objects.filter(organisation=organisation, charge_box_id=charge_box_id)
        .prefetch_related(Prefetch("connectors", queryset=Connector.objects.order_by("evse_id", "connector_id")))
        .first()
    )


def connector_evses(*, charger: Charger, connector_id: int) -> list[int]:
    """The EVSEs on which the charger has reported a connector with this number (OCPP 2.0.1 numbers
    connectors within each EVSE, so there may be several)."""
    return sorted(
        set(Connector.objects.filter(charger=charger, connector_id=connector_id).values_list("evse_id", flat=True))
    )


def connector_status_history(
    *, charger: Charger, connector_id: int, evse_id: int | None = None, limit: int = STATUS_HISTORY_LENGTH
) -> list[StatusNotification]:
    """The connector's latest StatusNotifications, newest first. `reported_at` is the charger's
    timestamp, or when we received it if the charger gave none. `evse_id` picks the EVSE (2.0.1)."""
    notifications = StatusNotification.objects.filter(charger=charger, connector_id=connector_id)
    if evse_id is not None:
        notifications = notifications.filter(evse_id=evse_id)
    notifications = notifications.annotate(reported_at=Coalesce("timestamp", "received_at"))
    return list(notifications.order_by("-received_at", "-id")[:limit])


def charge_point_statuses(
    *, organisation: Organisation, filters=None, every_connector: bool = False
) -> QuerySet[Charger]:
    """Charge points with their connectors; with `status`, only connectors in that status (every connector of
    the charge points that have one with `every_connector`)."""
    chargers = filtered(ChargePointStatusFilter, filters, Charger.objects.filter(organisation=organisation))
    connectors = Connector.objects.order_by("evse_id", "connector_id")
    status = (filters or {}).get("status")
    if status and not every_connector:
        connectors = connectors.filter(status=status)
    return chargers.prefetch_related(Prefetch("connectors", queryset=connectors))


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

    A stopped session keeps the energy computed when it stopped (the same rule, chargers.services.metering).
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
