"""Selectors for the dashboard: the fleet's current state as one JSON-ready snapshot."""

from datetime import datetime, time

from django.db.models import OuterRef, Q, Subquery, Sum
from django.utils import timezone

from chargers.models import Charger, Connector, MeterValue, StatusNotification, Transaction
from chargers.services.metering import ENERGY_REGISTER, energy_register_wh

RECENT_FAULTS = 10


def _scoped(queryset, organisation_id: int | None, lookup: str):
    return queryset if organisation_id is None else queryset.filter(**{lookup: organisation_id})


def energy_today_wh(*, organisation_id: int | None, now: datetime | None = None) -> int:
    """Sessions that ended today (UTC) plus what the open sessions have delivered so far."""
    now = now or timezone.now()
    midnight = datetime.combine(now.date(), time.min, tzinfo=now.tzinfo)
    sessions = _scoped(Transaction.objects.all(), organisation_id, "charger__organisation_id")
    finished = sessions.filter(stop_time__gte=midnight).aggregate(total=Sum("energy_wh"))["total"] or 0
    latest = MeterValue.objects.filter(
        transaction=OuterRef("pk"), measurand=ENERGY_REGISTER, numeric__isnull=False
    ).order_by("-timestamp", "-id")
    open_sessions = sessions.filter(stop_time__isnull=True).annotate(
        register=Subquery(latest.values("numeric")[:1]), register_unit=Subquery(latest.values("unit")[:1])
    )
    ongoing = 0
    for session in open_sessions.values("meter_start", "register", "register_unit"):
        if session["register"] is not None:
            ongoing += max(
                energy_register_wh(session["register"], session["register_unit"]) - session["meter_start"], 0
            )
    return int(finished + ongoing)


def fleet_snapshot(*, organisation_id: int | None) -> dict:
    chargers = _scoped(Charger.objects.all(), organisation_id, "organisation_id").values(
        "id", "charge_box_id", "name", "location", "channel_name"
    )
    connectors = _scoped(Connector.objects.filter(connector_id__gt=0), organisation_id, "charger__organisation_id")
    by_charger: dict[int, list] = {}
    for c in connectors.order_by("charger_id", "connector_id").values(
        "charger_id", "connector_id", "status", "error_code", "info", "updated_at"
    ):
        by_charger.setdefault(c["charger_id"], []).append(
            {
                "connectorId": c["connector_id"],
                "status": c["status"],
                "errorCode": c["error_code"],
                "info": c["info"],
                "since": c["updated_at"].isoformat() if c["updated_at"] else None,
            }
        )
    fleet = [
        {
            "id": c["id"],
            "chargeBoxId": c["charge_box_id"],
            "name": c["name"],
            "location": c["location"],
            "online": bool(c["channel_name"]),
            "connectors": by_charger.get(c["id"], []),
        }
        for c in chargers.order_by("charge_box_id")
    ]
    faults = _scoped(StatusNotification.objects.all(), organisation_id, "charger__organisation_id")
    faults = faults.filter(Q(status="Faulted") | ~Q(error_code__in=["", "NoError"])).select_related("charger")
    online = sum(1 for c in fleet if c["online"])
    statuses = [k["status"] for c in fleet for k in c["connectors"]]
    return {
        "generatedAt": timezone.now().isoformat(),
        "counts": {
            "chargersOnline": online,
            "chargersOffline": len(fleet) - online,
            "connectorsCharging": statuses.count("Charging"),
            "connectorsFaulted": statuses.count("Faulted"),
        },
        "energyTodayWh": energy_today_wh(organisation_id=organisation_id),
        "chargers": fleet,
        "recentFaults": [
            {
                "chargerId": f.charger_id,
                "chargeBoxId": f.charger.charge_box_id,
                "connectorId": f.connector_id,
                "status": f.status,
                "errorCode": f.error_code,
                "info": f.info,
                "vendorErrorCode": f.vendor_error_code,
                "at": f.received_at.isoformat(),
            }
            for f in faults[:RECENT_FAULTS]
        ],
    }
