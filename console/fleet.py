"""Selectors for the dashboard: the fleet's current state as one JSON-ready snapshot."""

from collections import Counter, namedtuple
from datetime import datetime, time

from django.db.models import OuterRef, Q, Subquery, Sum
from django.utils import timezone

from chargers.models import Charger, Connector, StatusNotification
from charging.models import MeterValue, Transaction, TransactionEvent
from charging.services.metering import ENERGY_REGISTER, POWER_ACTIVE_IMPORT, READING_FIELDS, session_figures

RECENT_FAULTS = 10


def _scoped(queryset, organisation_id: int | None, lookup: str):
    return queryset if organisation_id is None else queryset.filter(**{lookup: organisation_id})


# The readings session_figures needs of an open session: its first and last energy register and its latest
# total power (the dashboard reads these three, not every sample of every session).
READINGS = {
    "first_register": (ENERGY_REGISTER, ("timestamp", "id")),
    "last_register": (ENERGY_REGISTER, ("-timestamp", "-id")),
    "last_power": (POWER_ACTIVE_IMPORT, ("-timestamp", "-id")),
}
Reading = namedtuple("Reading", READING_FIELDS)


def _sessions_in_progress(organisation_id: int | None):
    """Open sessions with their last charging state (OCPP 2.0.1; empty for 1.6)."""
    state = TransactionEvent.objects.filter(transaction=OuterRef("pk")).exclude(charging_state="")
    sessions = _scoped(Transaction.objects.filter(stop_time__isnull=True), organisation_id, "charger__organisation_id")
    return sessions.annotate(charging_state=Subquery(state.order_by("-seq_no", "-id").values("charging_state")[:1]))


def chargers_charging_by_session():
    """Ids of chargers whose session says it is charging (OCPP 2.0.1, whose connector is just Occupied)."""
    return _sessions_in_progress(None).filter(charging_state="Charging").values("charger_id")


def _open_session_rows(organisation_id: int | None) -> list[dict]:
    """The sessions in progress with their last charging state (OCPP 2.0.1) and live figures."""
    annotations = {}
    for name, (measurand, order) in READINGS.items():
        samples = MeterValue.objects.filter(transaction=OuterRef("pk"), measurand=measurand, numeric__isnull=False,
                                            phase="").order_by(*order)  # fmt: skip
        for field in ("numeric", "unit", "timestamp"):
            annotations[f"{name}_{field}"] = Subquery(samples.values(field)[:1])
    rows = []
    fields = ["charger_id", "evse_id", "connector_id", "ocpp_id", "id_tag", "start_time", "meter_start",
              "charging_state", *annotations]  # fmt: skip
    sessions = _sessions_in_progress(organisation_id).annotate(**annotations)
    for row in sessions.order_by("start_time", "id").values(*fields):
        readings = [
            Reading(measurand, row[f"{name}_numeric"], row[f"{name}_unit"], "", row[f"{name}_timestamp"])
            for name, (measurand, _) in READINGS.items()
            if row[f"{name}_numeric"] is not None
        ]
        session = Transaction(meter_start=row["meter_start"], start_time=row["start_time"])
        rows.append({**row, "figures": session_figures(session, readings=readings)})
    return rows


def energy_today_by_charger(*, organisation_id: int | None, sessions: list[dict]) -> dict[int, int]:
    """Per charger, sessions that ended today (UTC) plus what the open `sessions` have delivered so far."""
    now = timezone.now()
    midnight = datetime.combine(now.date(), time.min, tzinfo=now.tzinfo)
    finished = _scoped(Transaction.objects.filter(stop_time__gte=midnight), organisation_id, "charger__organisation_id")
    totals = Counter(
        {row["charger_id"]: row["total"] or 0
         for row in finished.values("charger_id").annotate(total=Sum("energy_wh")).order_by()}
    )  # fmt: skip
    for session in sessions:
        totals[session["charger_id"]] += session["figures"].energy_wh or 0
    return {charger_id: int(wh) for charger_id, wh in totals.items()}


def open_sessions(rows: list[dict]) -> dict[tuple[int, int, int], dict]:
    """The sessions in progress by (charger, EVSE, connector), as the dashboard shows them."""
    return {
        (t["charger_id"], t["evse_id"], t["connector_id"]): {
            "transactionId": t["ocpp_id"],
            "idTag": t["id_tag"],
            "startTime": t["start_time"].isoformat(),
            "chargingState": t["charging_state"] or "",
            "energyWh": t["figures"].energy_wh,
            "powerW": t["figures"].current_power_w,
        }
        for t in rows
    }


def is_charging(connector: dict) -> bool:
    """OCPP 1.6 says so in the connector's status; 2.0.1 (whose connector is just Occupied) in its session's."""
    session = connector.get("session") or {}
    return connector["status"] == "Charging" or session.get("chargingState") == "Charging"


def fleet_snapshot(*, organisation_id: int | None) -> dict:
    chargers = _scoped(Charger.objects.all(), organisation_id, "organisation_id").only(
        "id", "charge_box_id", "name", "location", "channel_name", "ocpp_protocol", "site__id", "site__name"
    )
    chargers = list(chargers.select_related("site").order_by("charge_box_id"))
    with_evses = {c.pk for c in chargers if c.has_evses}
    rows = _open_session_rows(organisation_id)
    sessions = open_sessions(rows)
    energy_today = energy_today_by_charger(organisation_id=organisation_id, sessions=rows)
    connectors = _scoped(Connector.objects.filter(connector_id__gt=0), organisation_id, "charger__organisation_id")
    by_charger: dict[int, list] = {}
    for c in connectors.order_by("charger_id", "evse_id", "connector_id").values(
        "charger_id", "evse_id", "connector_id", "status", "error_code", "info", "vendor_error_code", "updated_at"
    ):
        by_charger.setdefault(c["charger_id"], []).append(
            {
                "evseId": c["evse_id"] if c["charger_id"] in with_evses else None,
                "connectorId": c["connector_id"],
                "status": c["status"],
                "errorCode": c["error_code"],
                "info": c["info"],
                "vendorErrorCode": c["vendor_error_code"],
                "since": c["updated_at"].isoformat() if c["updated_at"] else None,
                "session": sessions.pop((c["charger_id"], c["evse_id"], c["connector_id"]), None),
            }
        )
    # A session on a connector that has not reported a status yet still shows.
    for (charger_id, evse_id, connector_id), session in sessions.items():
        by_charger.setdefault(charger_id, []).append(
            {"evseId": evse_id if charger_id in with_evses else None, "connectorId": connector_id, "status": "",
             "errorCode": "", "info": "", "vendorErrorCode": "", "since": None, "session": session}
        )  # fmt: skip
    fleet = [
        {
            "id": c.pk,
            "chargeBoxId": c.charge_box_id,
            "name": c.name,
            "location": c.location,
            "online": c.is_online,
            "site": {"id": c.site.pk, "name": c.site.name} if c.site else None,
            "energyTodayWh": energy_today.get(c.pk, 0),
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
        "energyTodayWh": sum(energy_today.values()),
        "powerW": round(sum(row["figures"].current_power_w or 0 for row in rows)),
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
