"""OCPP 2.0.1: how each version-neutral command (commands/neutral.py) becomes a CALL, and its answer a reply.

The same names, parameters, reply fields and sentences (ocpp_ws/translations.py) as OCPP 1.6's
table (ocpp_ws/v16/commands.py): the API's `connectorId` is the EVSE (for 1.6 the two are one), id
tags travel as Central id tokens, configuration keys name a device-model variable as
`Component.Variable` or `Component[instance].Variable[instance]`.
"""

import re

from chargers.models import DEVICE_VARIABLE_KEY
from chargers.services import device_model
from commands.neutral import pick, request_id
from ocpp_ws import power_limits, translations
from ocpp_ws.power_limits import power_limit_clear_reply, power_limit_profile_id
from ocpp_ws.translations import CACHE_CLEAR, DATA_TRANSFER, RESERVATION_CANCEL, Call, answering, echoing, table
from ocpp_ws.v201 import security_commands

# Profile purposes by their 1.6 names, which the API shares.
PURPOSES = {"ChargePointMaxProfile": "ChargingStationMaxProfile"}
PURPOSES_BACK = {ours: theirs for theirs, ours in PURPOSES.items()}
TRIGGERS = {"DiagnosticsStatusNotification": "LogStatusNotification"}
RESET_TYPES = {"Soft": "OnIdle", "Hard": "Immediate", "OnIdle": "OnIdle", "Immediate": "Immediate"}
# The vendorId of what the API passes on in a message's customData (OCPP 2.0.1's extension point).
CUSTOM_DATA_VENDOR = "csms"
_KEY = re.compile(r"^([^.\[\]]+)(?:\[([^\]]*)\])?\.([^.\[\]]+)(?:\[([^\]]*)\])?$")


def id_token(id_tag: str) -> dict:
    return {"idToken": id_tag, "type": "Central"}


def evse(params: dict) -> dict:
    """`evseId` for the EVSE the API calls a connector, absent for the whole station."""
    return {"evseId": params["connectorId"]} if params.get("connectorId") else {}


def evse_object(params: dict) -> dict:
    """`evse: {id}` for the EVSE the API calls a connector, absent for the whole station."""
    return {"evse": {"id": params["connectorId"]}} if params.get("connectorId") else {}


def availability(params: dict) -> dict:
    """ChangeAvailability: the EVSE (and a connector of it) or the whole station; the reason in customData."""
    request = {"operationalStatus": params["type"]} | evse_object(params)
    if params.get("evseConnectorId"):
        request["evse"]["connectorId"] = params["evseConnectorId"]
    if params.get("disableTextReason"):
        request["customData"] = {"vendorId": CUSTOM_DATA_VENDOR, "disableTextReason": params["disableTextReason"]}
    return request


# Device-model keys.


def invalid(message: str) -> Exception:
    from commands.bus import CommandInvalid  # the bus imports this table: import when needed

    return CommandInvalid(message)


def component_variable(key) -> dict:
    """{component, variable} from `Component[instance].Variable[instance]` or native objects."""
    if isinstance(key, dict) and "component" in key and "variable" in key:
        return {"component": key["component"], "variable": key["variable"]}
    match = _KEY.match(str(key))
    if match is None:
        raise invalid(f"key: {key!r} names no variable: use Component.Variable or Component[instance].Variable")
    component, component_instance, variable, variable_instance = match.groups()
    return {
        "component": {"name": component} | ({"instance": component_instance} if component_instance else {}),
        "variable": {"name": variable} | ({"instance": variable_instance} if variable_instance else {}),
    }


def key_of(result: dict) -> str:
    component, variable = result["component"], result["variable"]
    name = component["name"] + (f"[{component['instance']}]" if component.get("instance") else "")
    return name + "." + variable["name"] + (f"[{variable['instance']}]" if variable.get("instance") else "")


def variables_get(params: dict) -> dict:
    if not params.get("key"):
        raise invalid("key: name the variables to read (Component.Variable, ...); a report reads them all")
    return {"getVariableData": [component_variable(key) for key in params["key"]]}


def variables_get_reply(params: dict, response: dict) -> dict:
    results = response.get("getVariableResult", [])
    return {
        "configurationKey": [
            {"key": key_of(r), "value": r.get("attributeValue")} | pick(r, "attributeType")
            for r in results
            if r.get("attributeStatus") == "Accepted"
        ],
        "unknownKey": [key_of(r) for r in results if r.get("attributeStatus") != "Accepted"],
    }


def variable_set(params: dict) -> dict:
    return {"setVariableData": [{"attributeValue": params["value"], **component_variable(params["key"])}]}


def variable_set_reply(params: dict, response: dict) -> dict:
    results = response.get("setVariableResult") or [{}]
    return {"key": params["key"], "value": params["value"], "status": results[0].get("attributeStatus")}


# What the device model keeps of the charger's answers: values read (GetVariables) and set (SetVariables),
# the same rows NotifyReport fills. The functions take the CALL's payload and the answer.


def attribute_of(entry: dict, value: str | None) -> device_model.Attribute:
    """The attribute a Get/SetVariables entry (data or result) names, with its value."""
    component, variable = entry["component"], entry["variable"]
    evse = component.get("evse") or {}
    return device_model.Attribute(
        component=component["name"],
        component_instance=component.get("instance", ""),
        evse_id=evse.get("id", 0),
        connector_id=evse.get("connectorId", 0),
        variable=variable["name"],
        variable_instance=variable.get("instance", ""),
        attribute_type=entry.get("attributeType") or "Actual",
        value=value,
    )


def identity(entry: dict) -> tuple:
    a = attribute_of(entry, None)
    return tuple(getattr(a, name) for name in DEVICE_VARIABLE_KEY)


def variables_read(*, charger_id: int, request: dict, response: dict) -> int:
    attributes = [
        attribute_of(result, str(result["attributeValue"]))
        for result in response.get("getVariableResult", [])
        if result.get("attributeStatus") == "Accepted" and result.get("attributeValue") is not None
    ]
    return device_model.device_variables_record(charger_id=charger_id, attributes=attributes)


def variables_set(*, charger_id: int, request: dict, response: dict) -> int:
    """Only what the charger accepted: a value it rejected, or takes only after a reboot, is not its value now.
    A password (write-only in the station too) is never kept."""
    sent = {
        identity(data): str(data["attributeValue"])
        for data in request.get("setVariableData", [])
        if data["variable"]["name"] not in security_commands.SECRET_VARIABLES
    }
    attributes = [
        attribute_of(result, sent[identity(result)])
        for result in response.get("setVariableResult", [])
        if result.get("attributeStatus") == "Accepted" and identity(result) in sent
    ]
    return device_model.device_variables_record(charger_id=charger_id, attributes=attributes)


ANSWERS = {"GetVariables": variables_read, "SetVariables": variables_set}


# Charging profiles: the API's (1.6-shaped) profile in 2.0.1's shape.


def charging_profile(profile: dict) -> dict:
    if "id" in profile:
        return profile  # already in 2.0.1's shape
    schedule = profile["chargingSchedule"]
    converted = {
        "id": profile["chargingProfileId"],
        "stackLevel": profile["stackLevel"],
        "chargingProfilePurpose": PURPOSES.get(profile["chargingProfilePurpose"], profile["chargingProfilePurpose"]),
        "chargingProfileKind": profile["chargingProfileKind"],
        "chargingSchedule": [
            {"id": profile["chargingProfileId"]}
            | pick(schedule, "startSchedule", "duration", "chargingRateUnit", "minChargingRate")
            | {"chargingSchedulePeriod": [dict(period) for period in schedule["chargingSchedulePeriod"]]}
        ],
    } | pick(profile, "recurrencyKind", "validFrom", "validTo")
    if profile.get("transactionId") is not None:
        converted["transactionId"] = str(profile["transactionId"])
    return converted


def charging_profile_params(payload: dict) -> dict:
    """A 2.0.1 SetChargingProfile payload as the API's (1.6-shaped) parameters: its first schedule."""
    profile = payload["chargingProfile"]
    schedule = profile["chargingSchedule"][0]
    return {
        "connectorId": payload["evseId"],
        "chargingProfile": {
            "chargingProfileId": profile["id"],
            "stackLevel": profile["stackLevel"],
            "chargingProfilePurpose": PURPOSES_BACK.get(profile["chargingProfilePurpose"],
                                                        profile["chargingProfilePurpose"]),
            "chargingProfileKind": profile["chargingProfileKind"],
            "chargingSchedule": {name: value for name, value in schedule.items() if name != "id"},
        } | pick(profile, "recurrencyKind", "validFrom", "validTo", "transactionId"),
    }  # fmt: skip


def transaction_start_params(payload: dict) -> dict:
    """A RequestStartTransaction payload as the API's parameters: its TxProfile read back as a charging-profiles
    command's (1.6-shaped), on the EVSE asked for (none: the charger chooses one)."""
    token = payload["idToken"]
    params = {"idToken": token, "idTag": token["idToken"], "remoteStartId": payload["remoteStartId"]}
    if "evseId" in payload:
        params["connectorId"] = payload["evseId"]
    if payload.get("chargingProfile"):
        read = charging_profile_params({"evseId": payload.get("evseId", 0)} | pick(payload, "chargingProfile"))
        params["chargingProfile"] = read["chargingProfile"]
    return params


def profiles_clear_params(payload: dict) -> dict:
    criteria = payload.get("chargingProfileCriteria") or {}
    params = {"connectorId": criteria["evseId"]} if criteria.get("evseId") is not None else {}
    if payload.get("chargingProfileId") is not None:
        params["id"] = payload["chargingProfileId"]
    if criteria.get("chargingProfilePurpose"):
        purpose = criteria["chargingProfilePurpose"]
        params["chargingProfilePurpose"] = PURPOSES_BACK.get(purpose, purpose)
    return params | pick(criteria, "stackLevel")


def charging_profiles_get_params(payload: dict) -> dict:
    """A GetChargingProfiles payload as the API's parameters, so that the charger's report settles the list."""
    criteria = payload["chargingProfile"]
    params = {"requestId": payload["requestId"]} | pick(criteria, "stackLevel", "chargingLimitSource")
    if payload.get("evseId") is not None:
        params["connectorId"] = payload["evseId"]
    if criteria.get("chargingProfileId"):
        params["chargingProfileId"] = criteria["chargingProfileId"]
    if criteria.get("chargingProfilePurpose"):
        params["chargingProfilePurpose"] = PURPOSES_BACK.get(
            criteria["chargingProfilePurpose"], criteria["chargingProfilePurpose"]
        )
    return params


def power_limit_set(params: dict) -> dict:
    request = power_limits.power_limit_set(params)
    profile = charging_profile(request["csChargingProfiles"])
    return {"evseId": request["connectorId"], "chargingProfile": profile}


def power_limit_set_reply(params: dict, response: dict) -> dict:
    fields = power_limits.power_limit_set_reply(params, response)
    return fields | {
        "chargingProfilePurpose": PURPOSES.get(fields["chargingProfilePurpose"], fields["chargingProfilePurpose"])
    }


def profiles_clear(params: dict) -> dict:
    """By id, by criteria, or both (OCPP 2.0.1 takes both)."""
    by_id = {"chargingProfileId": params["id"]} if params.get("id") is not None else {}
    criteria = {"evseId": params["connectorId"]} if params.get("connectorId") is not None else {}
    if params.get("chargingProfilePurpose"):
        criteria["chargingProfilePurpose"] = PURPOSES.get(
            params["chargingProfilePurpose"], params["chargingProfilePurpose"]
        )
    criteria |= pick(params, "stackLevel") | ({"customData": params["criteriaCustomData"]}
                                              if params.get("criteriaCustomData") else {})  # fmt: skip
    return by_id | ({"chargingProfileCriteria": criteria} if criteria else {})


def composite_schedule_reply(params: dict, response: dict) -> dict:
    schedule = response.get("schedule") or {}
    return {
        "status": response.get("status"),
        "connectorId": schedule.get("evseId"),
        "scheduleStart": schedule.get("scheduleStart"),
        "chargingSchedule": pick(schedule, "duration", "chargingRateUnit", "chargingSchedulePeriod") or None,
    }


def local_list_entry(entry: dict) -> dict:
    converted = {"idToken": id_token(entry["idTag"])}
    info = entry.get("idTagInfo")
    if info:
        converted["idTokenInfo"] = (
            {"status": info["status"]}
            | ({"cacheExpiryDateTime": info["expiryDate"]} if info.get("expiryDate") else {})
            | ({"groupIdToken": id_token(info["parentIdTag"])} if info.get("parentIdTag") else {})
        )
    return converted


def monitor(entry: dict) -> dict:
    return (
        {"value": entry["value"], "type": entry["type"], "severity": entry["severity"]}
        | pick(entry, "id", "transaction")
        | component_variable(entry["key"])
    )


def requested(p: dict, r: dict) -> dict:
    return {"requestId": p["requestId"], "status": r.get("status")}


def monitoring_results(p: dict, r: dict) -> dict:
    return {
        "results": [
            {"key": key_of(m), "status": m.get("status")} | pick(m, "id", "type", "severity")
            for m in r.get("setMonitoringResult", [])
        ]
    }


CALLS = {
    "reset": Call("Reset", lambda p: {"type": RESET_TYPES[p["type"]]}),
    # The API's connector is the EVSE; its first connector is the one with the cable.
    "unlock": Call(
        "UnlockConnector", lambda p: {"evseId": p["connectorId"], "connectorId": p.get("evseConnectorId") or 1}
    ),
    "cache_clear": CACHE_CLEAR,
    "trigger": Call(
        "TriggerMessage",
        lambda p: {"requestedMessage": TRIGGERS.get(p["requestedMessage"], p["requestedMessage"])} | evse_object(p),
    ),
    "availability": Call("ChangeAvailability", availability),
    "configuration_get": Call("GetVariables", variables_get, variables_get_reply),
    "configuration_change": Call("SetVariables", variable_set, variable_set_reply),
    "firmware_update": Call(
        "UpdateFirmware",
        lambda p: (
            {
                "requestId": request_id(p),
                "firmware": {"location": p["location"], "retrieveDateTime": p["retrieveDate"]},
            }
            | pick(p, "retries", "retryInterval")
        ),
        lambda p, r: {
            "location": p["location"],
            "retrieveDate": p["retrieveDate"],
            "requestId": p["requestId"],
            "status": r.get("status"),
        },
    ),
    "diagnostics": Call(
        "GetLog",
        lambda p: (
            {
                "logType": "DiagnosticsLog",
                "requestId": request_id(p),
                "log": {"remoteLocation": p["location"]}
                | ({"oldestTimestamp": p["startTime"]} if p.get("startTime") else {})
                | ({"latestTimestamp": p["stopTime"]} if p.get("stopTime") else {}),
            }
            | pick(p, "retries", "retryInterval")
        ),
        lambda p, r: {"fileName": r.get("filename"), "requestId": p["requestId"], "status": r.get("status")},
    ),
    "data_transfer": DATA_TRANSFER,
    "transaction_start": Call(
        "RequestStartTransaction",
        lambda p: (
            {"idToken": p.get("idToken") or id_token(p["idTag"]), "remoteStartId": request_id(p, "remoteStartId")}
            | evse(p)
            | ({"chargingProfile": charging_profile(p["chargingProfile"])} if p.get("chargingProfile") else {})
            | ({"customData": {"vendorId": CUSTOM_DATA_VENDOR, **p["session"]}} if p.get("session") else {})
        ),
        lambda p, r: {"status": r.get("status"), "remoteStartId": p["remoteStartId"]} | pick(r, "transactionId"),
        params=transaction_start_params,
    ),
    "transaction_stop": Call(
        "RequestStopTransaction", lambda p: {"transactionId": str(p["transactionId"])}, translations.transaction_stopped
    ),
    "reservation_create": Call(
        "ReserveNow",
        lambda p: (
            {"id": p["reservationId"], "expiryDateTime": p["expiryDate"], "idToken": id_token(p["idTag"])}
            | evse(p)
            | ({"groupIdToken": id_token(p["parentIdTag"])} if p.get("parentIdTag") else {})
        ),
        echoing("reservationId"),
    ),
    "reservation_cancel": RESERVATION_CANCEL,
    "charging_profile_set": Call(
        "SetChargingProfile",
        lambda p: {"evseId": p["connectorId"], "chargingProfile": charging_profile(p["chargingProfile"])},
        lambda p, r: {"chargingProfileId": charging_profile(p["chargingProfile"])["id"]} | pick(r, "status"),
        params=charging_profile_params,
    ),
    "charging_profile_clear": Call("ClearChargingProfile", profiles_clear, params=profiles_clear_params),
    "composite_schedule": Call(
        "GetCompositeSchedule",
        lambda p: {"evseId": p["connectorId"], "duration": p["duration"]} | pick(p, "chargingRateUnit"),
        composite_schedule_reply,
    ),
    "power_limit_set": Call(
        "SetChargingProfile", power_limit_set, power_limit_set_reply, params=charging_profile_params
    ),
    "power_limit_clear": Call(
        "ClearChargingProfile", lambda p: {"chargingProfileId": power_limit_profile_id(p)}, power_limit_clear_reply
    ),
    "local_list_send": Call(
        "SendLocalList",
        lambda p: (
            {"versionNumber": p["listVersion"], "updateType": p["updateType"]}
            | (
                {"localAuthorizationList": [local_list_entry(e) for e in p["localAuthorizationList"]]}
                if p.get("localAuthorizationList")
                else {}
            )
        ),
        echoing("listVersion"),
    ),
    "local_list_version": Call(
        "GetLocalListVersion", lambda p: {}, lambda p, r: {"listVersion": r.get("versionNumber")}
    ),
    "report_base_get": Call(
        "GetBaseReport", lambda p: {"requestId": request_id(p), "reportBase": p["reportBase"]}, requested
    ),
    "report_get": Call(
        "GetReport",
        lambda p: (
            {"requestId": request_id(p)}
            | pick(p, "componentCriteria")
            | ({"componentVariable": [component_variable(k) for k in p["key"]]} if p.get("key") else {})
        ),
        requested,
    ),
    "transaction_status": Call(
        "GetTransactionStatus",
        lambda p: {"transactionId": str(p["transactionId"])} if p.get("transactionId") else {},
        answering("messagesInQueue", "ongoingIndicator"),
    ),
    "monitoring_set": Call(
        "SetVariableMonitoring",
        lambda p: {"setMonitoringData": [monitor(m) for m in p["monitors"]]},
        monitoring_results,
    ),
    "monitoring_clear": Call(
        "ClearVariableMonitoring",
        lambda p: {"id": list(p["ids"])},
        lambda p, r: {"results": r.get("clearMonitoringResult", [])},
    ),
    "charging_profiles_get": Call(
        "GetChargingProfiles",
        lambda p: (
            {"requestId": request_id(p)}
            | evse(p)
            | {
                "chargingProfile": pick(p, "stackLevel", "chargingLimitSource")
                | ({"chargingProfileId": p["chargingProfileId"]} if p.get("chargingProfileId") else {})
                | (
                    {"chargingProfilePurpose": PURPOSES.get(p["chargingProfilePurpose"], p["chargingProfilePurpose"])}
                    if p.get("chargingProfilePurpose")
                    else {}
                )
            }
        ),
        requested,
        params=charging_profiles_get_params,
    ),
    **security_commands.CALLS,
}

COMMANDS = table(CALLS, point="EVSE")
