"""OCPP 1.6J: how each version-neutral command (commands/neutral.py) becomes a CALL, and its answer a reply.

One row per command; the sentence told of each answer is every version's (ocpp_ws/translations.py)
but where 1.6 words it its own way. OCPP 2.0.1 gets its own table beside its adapter with the same
names (e.g. reset Soft -> Reset{type: OnIdle}); nothing outside the tables branches on version.
"""

from commands.neutral import NotExpressible, pick
from ocpp_ws import translations
from ocpp_ws.power_limits import (
    power_limit_clear_reply,
    power_limit_profile_id,
    power_limit_purpose,
    power_limit_set,
    power_limit_set_reply,
)
from ocpp_ws.translations import CACHE_CLEAR, DATA_TRANSFER, RESERVATION_CANCEL, Call, answering, echoing, table
from ocpp_ws.v16 import security_commands

# OCPP 2.0.1's reset types, as 1.6 says them.
RESET_TYPES = {"OnIdle": "Soft", "Immediate": "Hard"}


def power_limit_clear(params: dict) -> dict:
    return {
        "id": power_limit_profile_id(params),
        "connectorId": params.get("connectorId") or 0,
        "chargingProfilePurpose": power_limit_purpose(params),
    } | pick(params, "stackLevel")


def profile_params(payload: dict) -> dict:
    """A SetChargingProfile payload as the API's parameters, as a charging-profiles command has them."""
    return {"connectorId": payload["connectorId"], "chargingProfile": payload["csChargingProfiles"]}


def ocpp16_only(params: dict) -> dict:
    """The parameters, unless they use OCPP 2.0.1's own shapes, which a 1.6 charger cannot be sent."""
    if "idToken" in params:
        raise NotExpressible("idToken: an OCPP 1.6 charger takes an idTag" if params["idTag"] else
                             "idTag: an OCPP 1.6 charger starts a session for an id tag: give one")  # fmt: skip
    if "evseConnectorId" in params:
        raise NotExpressible("evse: an OCPP 1.6 charger has connectors, not EVSEs: give connectorId")
    if "criteriaCustomData" in params:
        raise NotExpressible("chargingProfileCriteria.customData: OCPP 1.6 has no customData")
    if "disableTextReason" in params:
        raise NotExpressible("disableTextReason: an OCPP 1.6 charger cannot be told why")
    if "id" in (params.get("chargingProfile") or {}):
        raise NotExpressible(
            "chargingProfile: the OCPP 2.0.1 shape (id, chargingSchedule as a list) needs an OCPP 2.0.1 charger"
        )
    return params


CALLS = {
    "reset": Call("Reset", lambda p: {"type": RESET_TYPES.get(p["type"], p["type"])}),
    "unlock": Call("UnlockConnector", lambda p: pick(p, "connectorId")),
    "cache_clear": CACHE_CLEAR,
    "trigger": Call("TriggerMessage", lambda p: pick(p, "requestedMessage", "connectorId")),
    "availability": Call("ChangeAvailability", lambda p: pick(ocpp16_only(p), "connectorId", "type")),
    "configuration_get": Call(
        "GetConfiguration",
        lambda p: {"key": p["key"]} if p.get("key") else {},
        lambda p, r: {"configurationKey": r.get("configurationKey", []), "unknownKey": r.get("unknownKey", [])},
    ),
    "configuration_change": Call("ChangeConfiguration", lambda p: pick(p, "key", "value"), echoing("key", "value")),
    "firmware_update": Call(
        "UpdateFirmware",
        lambda p: pick(p, "location", "retrieveDate", "retries", "retryInterval"),
        lambda p, r: {"location": p["location"], "retrieveDate": p["retrieveDate"]},
        # 1.6's UpdateFirmware has no status to tell.
        message=lambda p, f: f"Firmware update from {p['location']} scheduled for {p['retrieveDate']}",
    ),
    "diagnostics": Call(
        "GetDiagnostics",
        lambda p: pick(p, "location", "startTime", "stopTime", "retries", "retryInterval"),
        lambda p, r: {"fileName": r.get("fileName")},
        message=lambda p, f: (
            f"Charger will upload {f['fileName']} to {p['location']}"
            if f["fileName"]
            else "Charger has no diagnostics to upload"
        ),
    ),
    "data_transfer": DATA_TRANSFER,
    "transaction_start": Call(
        "RemoteStartTransaction",
        lambda p: pick(ocpp16_only(p), "connectorId", "idTag", "chargingProfile"),
        params=lambda body: pick(body, "connectorId", "idTag", "chargingProfile"),
    ),
    "transaction_stop": Call(
        "RemoteStopTransaction", lambda p: pick(p, "transactionId"), translations.transaction_stopped
    ),
    "reservation_create": Call(
        "ReserveNow",
        lambda p: pick(p, "connectorId", "expiryDate", "idTag", "parentIdTag", "reservationId"),
        echoing("reservationId"),
    ),
    "reservation_cancel": RESERVATION_CANCEL,
    "charging_profile_set": Call(
        "SetChargingProfile",
        lambda p: {"connectorId": p["connectorId"], "csChargingProfiles": ocpp16_only(p)["chargingProfile"]},
        lambda p, r: {"chargingProfileId": p["chargingProfile"]["chargingProfileId"], "status": r.get("status")},
        params=profile_params,
    ),
    "charging_profile_clear": Call(
        "ClearChargingProfile",
        lambda p: pick(ocpp16_only(p), "id", "connectorId", "chargingProfilePurpose", "stackLevel"),
        params=lambda body: pick(body, "id", "connectorId", "chargingProfilePurpose", "stackLevel"),
    ),
    "composite_schedule": Call(
        "GetCompositeSchedule",
        lambda p: pick(p, "connectorId", "duration", "chargingRateUnit"),
        answering("status", "connectorId", "scheduleStart", "chargingSchedule"),
    ),
    "power_limit_set": Call("SetChargingProfile", power_limit_set, power_limit_set_reply, params=profile_params),
    "power_limit_clear": Call("ClearChargingProfile", power_limit_clear, power_limit_clear_reply),
    "local_list_send": Call(
        "SendLocalList",
        lambda p: pick(p, "listVersion", "updateType", "localAuthorizationList"),
        echoing("listVersion"),
    ),
    "local_list_version": Call("GetLocalListVersion", lambda p: {}),
    **security_commands.CALLS,
}

COMMANDS = table(CALLS, point="connector")
