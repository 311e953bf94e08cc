"""Reads of the fleet, scoped to one organisation. Writes live in chargers/services/."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Organisation
from chargers.filters import ActiveTransactionFilter, ChargePointStatusFilter, ChargerFilter, filtered
from chargers.models import Charger, Connector, MeterValue, StatusNotification, Transaction
from chargers.services.metering import ENERGY_REGISTER, energy_register_wh

STATUS_HISTORY_LENGTH = 5


def charger_list(*, organisation: Organisation, filters=None) -> QuerySet[Charger]:
    return filtered(ChargerFilter, filters, Charger.objects.filter(organisation=organisation))


def charger_get(*, organisation: Organisation, charge_box_id: str) -> Charger | None:
    """The organisation's charger with its connectors, or None (also for another organisation's)."""
    return (
        Charger.objects.filter(organisation=organisation, charge_box_id=charge_box_id)
        .prefetch_related(Prefetch("connectors", queryset=Connector.objects.order_by("connector_id")))
        .first()
    )


def connector_status_history(
    *, charger: Charger, connector_id: int, limit: int = STATUS_HISTORY_LENGTH
) -> list[StatusNotification]:
    """The connector's latest StatusNotifications, newest first. `reported_at` is the charger's
    timestamp, or when we received it if the charger gave none."""
    return list(
        StatusNotification.objects.filter(charger=charger, connector_id=connector_id)
        .annotate(reported_at=Coalesce("timestamp", "received_at"))
        .order_by("-received_at", "-id")[:limit]
    )


def charge_point_statuses(*, organisation: Organisation, filters=None) -> QuerySet[Charger]:
    """Charge points with their connectors; with `status`, only connectors in that status."""
    chargers = filtered(ChargePointStatusFilter, filters, Charger.objects.filter(organisation=organisation))
    connectors = Connector.objects.order_by("connector_id")
    status = (filters or {}).get("status")
    if status:
        connectors = connectors.filter(status=status)
    return chargers.prefetch_related(Prefetch("connectors", queryset=connectors))


@dataclass(frozen=True)
class ActiveTransaction:
    transaction_id: str
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
    latest = MeterValue.objects.filter(
        transaction=OuterRef("pk"), measurand=ENERGY_REGISTER, numeric__isnull=False
    ).order_by("-timestamp", "phase", "-id")  # the phase-less total before per-phase values
    sessions = filtered(
        ActiveTransactionFilter, filters, Transaction.objects.filter(charger=charger, stop_time__isnull=True)
    ).annotate(
        latest_energy=Subquery(latest.values("numeric")[:1]),
        latest_energy_unit=Subquery(latest.values("unit")[:1]),
    )
    now = timezone.now()
    result = []
    for session in sessions.order_by("connector_id", "start_time"):
        if session.latest_energy is None:
            current = session.meter_start
        else:
            current = round(energy_register_wh(session.latest_energy, session.latest_energy_unit))
        result.append(
            ActiveTransaction(
                transaction_id=session.ocpp_id,
                connector_id=session.connector_id,
                id_tag=session.id_tag,
                start_time=session.start_time,
                meter_start=session.meter_start,
                current_meter_value=current,
                energy_delivered_wh=current - session.meter_start,
                duration_seconds=max(0, int((now - session.start_time).total_seconds())),
            )
        )
    return result
