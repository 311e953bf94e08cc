"""Selectors for the dashboard: the fleet's current state as one JSON-ready snapshot."""

from datetime import datetime, time

from django.db.models import OuterRef, Q, Subquery, Sum
from django.utils import timezone

from chargers.models import Charger, Connector, StatusNotification
from charging.models import MeterValue, Transaction, TransactionEvent
from charging.services.metering import ENERGY_REGISTER, energy_register_wh

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


def _sessions_in_progress(organisation_id: int | None):
    """Open sessions with their last charging state (OCPP 2.0.1; empty for 1.6)."""
    state = TransactionEvent.objects.filter(transaction=OuterRef("pk")).exclude(charging_state="")
    sessions = _scoped(Transaction.objects.filter(stop_time__isnull=True), organisation_id, "charger__organisation_id")
    return sessions.annotate(charging_state=Subquery(state.order_by("-seq_no", "-id").values("charging_state")[:1]))


def chargers_charging_by_session():
    """Ids of chargers whose session says it is charging (OCPP 2.0.1, whose connector is just Occupied)."""
    return _sessions_in_progress(None).filter(charging_state="Charging").values("charger_id")


def open_sessions(*, organisation_id: int | None) -> dict[tuple[int, int, int], dict]:
    """The sessions in progress by (charger, EVSE, connector), with their last charging state (OCPP 2.0.1)."""
    sessions = _sessions_in_progress(organisation_id)
    found = {}
    for t in sessions.order_by("start_time", "id").values(
        "charger_id", "evse_id", "connector_id", "ocpp_id", "id_tag", "start_time", "charging_state"
    ):
        found[(t["charger_id"], t["evse_id"], t["connector_id"])] = {
            "transactionId": t["ocpp_id"],
            "idTag": t["id_tag"],
            "startTime": t["start_time"].isoformat(),
            "chargingState": t["charging_state"] or "",
        }
    return found


def is_charging(connector: dict) -> bool:
    """OCPP 1.6 says so in the connector's status; 2.0.1 (whose connector is just Occupied) in its session's."""
    session = connector.get("session") or {}
    return connector["status"] == "Charging" or session.get("chargingState") == "Charging"


def fleet_snapshot(*, organisation_id: int | None) -> dict:
    chargers = _scoped(Charger.objects.all(), organisation_id, "organisation_id").only(
        "id", "charge_box_id", "name", "location", "channel_name", "ocpp_protocol"
    )
    chargers = list(chargers.order_by("charge_box_id"))
    with_evses = {c.pk for c in chargers if c.has_evses}
    sessions = open_sessions(organisation_id=organisation_id)
    connectors = _scoped(Connector.objects.filter(connector_id__gt=0), organisation_id, "charger__organisation_id")
    by_charger: dict[int, list] = {}
    for c in connectors.order_by("charger_id", "evse_id", "connector_id").values(
        "charger_id", "evse_id", "connector_id", "status", "error_code", "info", "updated_at"
    ):
        by_charger.setdefault(c["charger_id"], []).append(
            {
                "evseId": c["evse_id"] if c["charger_id"] in with_evses else None,
                "connectorId": c["connector_id"],
                "status": c["status"],
                "errorCode": c["error_code"],
                "info": c["info"],
                "since": c["updated_at"].isoformat() if c["updated_at"] else None,
                "session": sessions.pop((c["charger_id"], c["evse_id"], c["connector_id"]), None),
            }
        )
    # A session on a connector that has not reported a status yet still shows.
    for (charger_id, evse_id, connector_id), session in sessions.items():
        by_charger.setdefault(charger_id, []).append(
            {"evseId": evse_id if charger_id in with_evses else None, "connectorId": connector_id, "status": "",
             "errorCode": "", "info": "", "since": None, "session": session}
        )  # fmt: skip
    fleet = [
        {
            "id": c.pk,
            "chargeBoxId": c.charge_box_id,
            "name": c.name,
            "location": c.location,
            "online": c.is_online,
            "connectors": by_charger.get(c.pk, []),
        }
        for c in chargers
    ]
    faults = _scoped(StatusNotification.objects.all(), organisation_id, "charger__organisation_id")
    faults = faults.filter(Q(status="Faulted") | ~Q(error_code__in=["", "NoError"])).select_related("charger")
    online = sum(1 for c in fleet if c["online"])
    connectors = [k for c in fleet for k in c["connectors"]]
    return {
        "generatedAt": timezone.now().isoformat(),
        "counts": {
            "chargersOnline": online,
            "chargersOffline": len(fleet) - online,
            "connectorsCharging": sum(1 for k in connectors if is_charging(k)),
            "connectorsFaulted": sum(1 for k in connectors if k["status"] == "Faulted"),
        },
        "energyTodayWh": energy_today_wh(organisation_id=organisation_id),
        "chargers": fleet,
        "recentFaults": [
            {
                "chargerId": f.charger_id,
                "chargeBoxId": f.charger.charge_box_id,
                "evseId": f.evse_id if f.charger.has_evses else None,
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
