"""OCPP 1.6J: how each version-neutral command (commands/neutral.py) becomes a CALL, and its answer a reply.

One row per command. OCPP 2.0.1 gets its own table beside its adapter with the same
names (e.g. reset Soft -> Reset{type: OnIdle}); nothing outside the tables branches on version.
"""

from django.utils import timezone

from commands.neutral import Translation, pick, status_in
from ocpp_ws.v16 import security_commands

# Profile ids the power-limit commands use unless told otherwise, so that setting a limit
# again replaces it and clearing removes exactly it.
POWER_LIMIT_PROFILE_IDS = {"ChargePointMaxProfile": 3000, "TxDefaultProfile": 3100, "TxProfile": 3200}
VOLTAGE = 230.0
PHASES = 3


# Power limits: one SetChargingProfile whose purpose follows the scope of the limit.


def power_limit_purpose(params: dict) -> str:
    if params.get("transactionId") is not None:
        return "TxProfile"
    if params.get("connectorId"):
        return "TxDefaultProfile"
    return "ChargePointMaxProfile"


def power_limit_profile_id(params: dict) -> int:
    if params.get("chargingProfileId") is not None:
        return params["chargingProfileId"]
    purpose = power_limit_purpose(params)
    return POWER_LIMIT_PROFILE_IDS[purpose] + (0 if purpose == "ChargePointMaxProfile" else params["connectorId"])


def power_limit_rate(params: dict) -> tuple[str, float, int | None]:
    """(chargingRateUnit, limit, numberPhases): AC limits in the charger's unit (`chargingRateUnit`,
    amperes per phase unless W), DC in watts. The service passes the charger's phases and voltage."""
    limit = params["limit"]
    phases = params.get("numberPhases") or PHASES
    volts = (params.get("voltage") or VOLTAGE) * phases
    if "dcMaxPowerKw" in limit:
        return "W", round(float(limit["dcMaxPowerKw"]) * 1000, 1), None
    if "acMaxPowerA" in limit:
        amperes, watts = float(limit["acMaxPowerA"]), float(limit["acMaxPowerA"]) * volts
    else:
        amperes, watts = float(limit["acMaxPowerKw"]) * 1000 / volts, float(limit["acMaxPowerKw"]) * 1000
    if params.get("chargingRateUnit") == "W":
        return "W", round(watts, 1), phases
    return "A", round(amperes, 1), phases


def power_limit_set(params: dict) -> dict:
    purpose = power_limit_purpose(params)
    unit, limit, phases = power_limit_rate(params)
    period = {"startPeriod": 0, "limit": limit} | ({"numberPhases": phases} if phases else {})
    start = params.get("startSchedule") or timezone.now().replace(microsecond=0).isoformat().replace("+00:00", "Z")
    profile = {
        "chargingProfileId": power_limit_profile_id(params),
        "stackLevel": params.get("stackLevel") or 0,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {
            "startSchedule": start,
            "chargingRateUnit": unit,
            "chargingSchedulePeriod": [period],
        },
    }
    if purpose == "TxProfile":
        profile["transactionId"] = params["transactionId"]
    return {"connectorId": params.get("connectorId") or 0, "csChargingProfiles": profile}


def power_limit_set_reply(params: dict, response: dict) -> dict:
    unit, limit, _ = power_limit_rate(params)
    return {
        "status": response.get("status"),
        "chargingProfileId": power_limit_profile_id(params),
        "chargingProfilePurpose": power_limit_purpose(params),
        "connectorId": params.get("connectorId") or 0,
        "chargingRateUnit": unit,
        "limit": limit,
    }


def power_limit_clear(params: dict) -> dict:
    return {
        "id": power_limit_profile_id(params),
        "connectorId": params.get("connectorId") or 0,
        "chargingProfilePurpose": power_limit_purpose(params),
    } | pick(params, "stackLevel")


def power_limit_clear_reply(params: dict, response: dict) -> dict:
    return {"status": response.get("status"), "chargingProfileId": power_limit_profile_id(params)}


def where(params: dict) -> str:
    connector = params.get("connectorId") or 0
    return f"on connector {connector}" if connector else "on the whole charger"


UNLOCK_MESSAGES = {
    "Unlocked": "Connector {connectorId} unlocked",
    "UnlockFailed": "Connector {connectorId} failed to unlock",
    "NotSupported": "The charger cannot unlock connector {connectorId}",
}

COMMANDS = {
    "reset": Translation(
        action="Reset",
        request=lambda p: pick(p, "type"),
        message=lambda p, f: f"{p['type']} reset {status_in(p, f)} by charger",
    ),
    "unlock": Translation(
        action="UnlockConnector",
        request=lambda p: pick(p, "connectorId"),
        message=lambda p, f: UNLOCK_MESSAGES.get(f.get("status"), "Connector {connectorId}: {status}").format(
            connectorId=p["connectorId"], status=f.get("status")
        ),
    ),
    "cache_clear": Translation(
        action="ClearCache",
        request=lambda p: {},
        message=lambda p, f: f"Cache clear {status_in(p, f)} by charger",
    ),
    "trigger": Translation(
        action="TriggerMessage",
        request=lambda p: pick(p, "requestedMessage", "connectorId"),
        message=lambda p, f: f"Trigger of {p['requestedMessage']} {status_in(p, f)} by charger",
    ),
    "availability": Translation(
        action="ChangeAvailability",
        request=lambda p: pick(p, "connectorId", "type"),
        message=lambda p, f: f"Change to {p['type']} {where(p)} {status_in(p, f)} by charger",
    ),
    "configuration_get": Translation(
        action="GetConfiguration",
        request=lambda p: {"key": p["key"]} if p.get("key") else {},
        reply=lambda p, r: {"configurationKey": r.get("configurationKey", []), "unknownKey": r.get("unknownKey", [])},
        message=lambda p, f: (
            f"{len(f['configurationKey'])} configuration keys read"
            + (f", {len(f['unknownKey'])} unknown to the charger" if f["unknownKey"] else "")
        ),
    ),
    "configuration_change": Translation(
        action="ChangeConfiguration",
        request=lambda p: pick(p, "key", "value"),
        reply=lambda p, r: {"key": p["key"], "value": p["value"], "status": r.get("status")},
        message=lambda p, f: f"Change of {p['key']} {status_in(p, f)} by charger",
    ),
    "firmware_update": Translation(
        action="UpdateFirmware",
        request=lambda p: pick(p, "location", "retrieveDate", "retries", "retryInterval"),
        reply=lambda p, r: {"location": p["location"], "retrieveDate": p["retrieveDate"]},
        message=lambda p, f: f"Firmware update from {p['location']} scheduled for {p['retrieveDate']}",
    ),
    "diagnostics": Translation(
        action="GetDiagnostics",
        request=lambda p: pick(p, "location", "startTime", "stopTime", "retries", "retryInterval"),
        reply=lambda p, r: {"fileName": r.get("fileName")},
        message=lambda p, f: (
            f"Charger will upload {f['fileName']} to {p['location']}"
            if f["fileName"]
            else "Charger has no diagnostics to upload"
        ),
    ),
    "data_transfer": Translation(
        action="DataTransfer",
        request=lambda p: pick(p, "vendorId", "messageId", "data"),
        reply=lambda p, r: {
            "vendorId": p["vendorId"],
            "messageId": p.get("messageId"),
            "status": r.get("status"),
            "responseData": r.get("data"),
        },
        message=lambda p, f: f"DataTransfer {status_in(p, f)} by charger",
    ),
    "transaction_start": Translation(
        action="RemoteStartTransaction",
        request=lambda p: pick(p, "connectorId", "idTag", "chargingProfile"),
        message=lambda p, f: f"Remote start for {p['idTag']} {status_in(p, f)} by charger",
    ),
    "transaction_stop": Translation(
        action="RemoteStopTransaction",
        request=lambda p: pick(p, "transactionId"),
        reply=lambda p, r: {"transactionId": p["transactionId"], "status": r.get("status")},
        message=lambda p, f: f"Remote stop of transaction {p['transactionId']} {status_in(p, f)} by charger",
    ),
    "reservation_create": Translation(
        action="ReserveNow",
        request=lambda p: pick(p, "connectorId", "expiryDate", "idTag", "parentIdTag", "reservationId"),
        reply=lambda p, r: {"reservationId": p["reservationId"], "status": r.get("status")},
        message=lambda p, f: f"Reservation {p['reservationId']} {where(p)} {status_in(p, f)} by charger",
    ),
    "reservation_cancel": Translation(
        action="CancelReservation",
        request=lambda p: pick(p, "reservationId"),
        reply=lambda p, r: {"reservationId": p["reservationId"], "status": r.get("status")},
        message=lambda p, f: f"Cancellation of reservation {p['reservationId']} {status_in(p, f)} by charger",
    ),
    "charging_profile_set": Translation(
        action="SetChargingProfile",
        request=lambda p: {"connectorId": p["connectorId"], "csChargingProfiles": p["chargingProfile"]},
        reply=lambda p, r: {"chargingProfileId": p["chargingProfile"]["chargingProfileId"], "status": r.get("status")},
        message=lambda p, f: f"Charging profile {f['chargingProfileId']} {where(p)} {status_in(p, f)} by charger",
    ),
    "charging_profile_clear": Translation(
        action="ClearChargingProfile",
        request=lambda p: pick(p, "id", "connectorId", "chargingProfilePurpose", "stackLevel"),
        message=lambda p, f: f"Clearing of charging profiles {status_in(p, f)} by charger",
    ),
    "composite_schedule": Translation(
        action="GetCompositeSchedule",
        request=lambda p: pick(p, "connectorId", "duration", "chargingRateUnit"),
        reply=lambda p, r: {
            "status": r.get("status"),
            "connectorId": r.get("connectorId"),
            "scheduleStart": r.get("scheduleStart"),
            "chargingSchedule": r.get("chargingSchedule"),
        },
        message=lambda p, f: f"Composite schedule request {where(p)} {status_in(p, f)} by charger",
    ),
    "power_limit_set": Translation(
        action="SetChargingProfile",
        request=power_limit_set,
        reply=power_limit_set_reply,
        message=lambda p, f: (
            f"Power limit of {f['limit']:g} {f['chargingRateUnit']} {where(p)} {status_in(p, f)} by charger"
        ),
    ),
    "power_limit_clear": Translation(
        action="ClearChargingProfile",
        request=power_limit_clear,
        reply=power_limit_clear_reply,
        message=lambda p, f: f"Removal of the power limit {where(p)} {status_in(p, f)} by charger",
    ),
    "local_list_send": Translation(
        action="SendLocalList",
        request=lambda p: pick(p, "listVersion", "updateType", "localAuthorizationList"),
        reply=lambda p, r: {"listVersion": p["listVersion"], "status": r.get("status")},
        message=lambda p, f: f"Local list version {p['listVersion']} {status_in(p, f)} by charger",
    ),
    "local_list_version": Translation(
        action="GetLocalListVersion",
        request=lambda p: {},
        message=lambda p, f: f"Local list version is {f.get('listVersion')}",
    ),
    **security_commands.COMMANDS,
}
