"""Reads of the fleet, scoped to one organisation. Writes live in chargers/services/."""

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.db.models.functions import Coalesce

from accounts.models import Organisation
from chargers.filters import ChargePointStatusFilter, ChargerFilter, filtered
from chargers.models import Charger, Connector, StatusNotification
from csms import statements

STATUS_HISTORY_LENGTH = 5


def charger_list(*, organisation: Organisation, filters=None) -> QuerySet[Charger]:
    """The organisation's chargers; deleted ones too with the filter include_deleted=true."""
    return filtered(ChargerFilter, filters, Charger.everything.filter(organisation=organisation))


def charger_get(*, organisation_id: int, charge_box_id: str, include_deleted: bool = False) -> Charger | None:
    """The organisation's charger with its connectors, or None (also for another organisation's).

    Every API request about one charger runs this: the charger by a prepared statement, not the ORM
    (csms/statements.py), and by the organisation's id, which the API key carries, not its row."""
    where = {"organisation_id": organisation_id, "charge_box_id": charge_box_id}
    charger = statements.instance(Charger, where=where if include_deleted else where | {"deleted_at": None})
    if charger is not None:
        connectors = Connector.objects.order_by("evse_id", "connector_id")
        prefetch_related_objects([charger], Prefetch("connectors", queryset=connectors))
    return charger


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
