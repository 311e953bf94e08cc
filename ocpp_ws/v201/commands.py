"""OCPP 2.0.1: how each version-neutral command (commands/neutral.py) becomes a CALL, and its answer a reply.

The same names, parameters and reply fields as OCPP 1.6's table (ocpp_ws/v16/commands.py): the
API's `connectorId` is the EVSE (for 1.6 the two are one), id tags travel as Central id tokens,
configuration keys name a device-model variable as `Component.Variable` or
`Component[instance].Variable[instance]`.
"""

import json
import re

from chargers.services import device_model
from commands.neutral import Translation, pick, request_id, status_in
from ocpp_ws.v16 import commands as v16
from ocpp_ws.v201 import security_commands

# Profile purposes by their 1.6 names, which the API shares.
PURPOSES = {"ChargePointMaxProfile": "ChargingStationMaxProfile"}
TRIGGERS = {"DiagnosticsStatusNotification": "LogStatusNotification"}
RESET_TYPES = {"Soft": "OnIdle", "Hard": "Immediate"}
_KEY = re.compile(r"^([^.\[\]]+)(?:\[([^\]]*)\])?\.([^.\[\]]+)(?:\[([^\]]*)\])?$")


def id_token(id_tag: str) -> dict:
    return {"idToken": id_tag, "type": "Central"}


def evse(params: dict) -> dict:
    """`evseId` for the EVSE the API calls a connector, absent for the whole station."""
    return {"evseId": params["connectorId"]} if params.get("connectorId") else {}


def where(params: dict) -> str:
    connector = params.get("connectorId") or 0
    return f"on EVSE {connector}" if connector else "on the whole charger"


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
    return tuple(getattr(a, name) for name in device_model.KEY_FIELDS)


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


def power_limit_set(params: dict) -> dict:
    request = v16.power_limit_set(params)
    profile = charging_profile(request["csChargingProfiles"])
    return {"evseId": request["connectorId"], "chargingProfile": profile}


def power_limit_set_reply(params: dict, response: dict) -> dict:
    fields = v16.power_limit_set_reply(params, response)
    return fields | {
        "chargingProfilePurpose": PURPOSES.get(fields["chargingProfilePurpose"], fields["chargingProfilePurpose"])
    }


def profiles_clear(params: dict) -> dict:
    if params.get("id") is not None:
        return {"chargingProfileId": params["id"]}
    criteria = {"evseId": params["connectorId"]} if params.get("connectorId") is not None else {}
    if params.get("chargingProfilePurpose"):
        criteria["chargingProfilePurpose"] = PURPOSES.get(
            params["chargingProfilePurpose"], params["chargingProfilePurpose"]
        )
    criteria |= pick(params, "stackLevel")
    return {"chargingProfileCriteria": criteria} if criteria else {}


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


def text(value) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


UNLOCK_MESSAGES = {
    "Unlocked": "Connector {connectorId} unlocked",
    "UnlockFailed": "Connector {connectorId} failed to unlock",
    "OngoingAuthorizedTransaction": "Connector {connectorId} is in a session: not unlocked",
    "UnknownConnector": "The charger knows no connector {connectorId}",
}


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


COMMANDS = {
    "reset": Translation(
        action="Reset",
        request=lambda p: {"type": RESET_TYPES[p["type"]]},
        message=lambda p, f: f"{p['type']} reset {status_in(p, f)} by charger",
    ),
    "unlock": Translation(
        action="UnlockConnector",
        # The API's connector is the EVSE; its first connector is the one with the cable.
        request=lambda p: {"evseId": p["connectorId"], "connectorId": p.get("evseConnectorId") or 1},
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
        request=lambda p: (
            {"requestedMessage": TRIGGERS.get(p["requestedMessage"], p["requestedMessage"])}
            | ({"evse": {"id": p["connectorId"]}} if p.get("connectorId") else {})
        ),
        message=lambda p, f: f"Trigger of {p['requestedMessage']} {status_in(p, f)} by charger",
    ),
    "availability": Translation(
        action="ChangeAvailability",
        request=lambda p: (
            {"operationalStatus": p["type"]} | ({"evse": {"id": p["connectorId"]}} if p.get("connectorId") else {})
        ),
        message=lambda p, f: f"Change to {p['type']} {where(p)} {status_in(p, f)} by charger",
    ),
    "configuration_get": Translation(
        action="GetVariables",
        request=variables_get,
        reply=variables_get_reply,
        message=lambda p, f: (
            f"{len(f['configurationKey'])} configuration keys read"
            + (f", {len(f['unknownKey'])} unknown to the charger" if f["unknownKey"] else "")
        ),
    ),
    "configuration_change": Translation(
        action="SetVariables",
        request=variable_set,
        reply=variable_set_reply,
        message=lambda p, f: f"Change of {p['key']} {status_in(p, f)} by charger",
    ),
    "firmware_update": Translation(
        action="UpdateFirmware",
        request=lambda p: (
            {
                "requestId": request_id(p),
                "firmware": {"location": p["location"], "retrieveDateTime": p["retrieveDate"]},
            }
            | pick(p, "retries", "retryInterval")
        ),
        reply=lambda p, r: {
            "location": p["location"],
            "retrieveDate": p["retrieveDate"],
            "requestId": p["requestId"],
            "status": r.get("status"),
        },
        message=lambda p, f: (
            f"Firmware update from {p['location']} for {p['retrieveDate']} {status_in(p, f)} by charger"
        ),
    ),
    "diagnostics": Translation(
        action="GetLog",
        request=lambda p: (
            {
                "logType": "DiagnosticsLog",
                "requestId": request_id(p),
                "log": {"remoteLocation": p["location"]}
                | ({"oldestTimestamp": p["startTime"]} if p.get("startTime") else {})
                | ({"latestTimestamp": p["stopTime"]} if p.get("stopTime") else {}),
            }
            | pick(p, "retries", "retryInterval")
        ),
        reply=lambda p, r: {"fileName": r.get("filename"), "requestId": p["requestId"], "status": r.get("status")},
        message=lambda p, f: (
            f"Charger will upload {f['fileName']} to {p['location']}"
            if f["fileName"]
            else f"Log upload to {p['location']} {status_in(p, f)} by charger"
        ),
    ),
    "data_transfer": Translation(
        action="DataTransfer",
        request=lambda p: pick(p, "vendorId", "messageId", "data"),
        reply=lambda p, r: {
            "vendorId": p["vendorId"],
            "messageId": p.get("messageId"),
            "status": r.get("status"),
            "responseData": text(r.get("data")),
        },
        message=lambda p, f: f"DataTransfer {status_in(p, f)} by charger",
    ),
    "transaction_start": Translation(
        action="RequestStartTransaction",
        request=lambda p: (
            {"idToken": id_token(p["idTag"]), "remoteStartId": request_id(p, "remoteStartId")}
            | evse(p)
            | ({"chargingProfile": charging_profile(p["chargingProfile"])} if p.get("chargingProfile") else {})
        ),
        reply=lambda p, r: {"status": r.get("status"), "remoteStartId": p["remoteStartId"]} | pick(r, "transactionId"),
        message=lambda p, f: f"Remote start for {p['idTag']} {status_in(p, f)} by charger",
    ),
    "transaction_stop": Translation(
        action="RequestStopTransaction",
        request=lambda p: {"transactionId": str(p["transactionId"])},
        reply=lambda p, r: {"transactionId": p["transactionId"], "status": r.get("status")},
        message=lambda p, f: f"Remote stop of transaction {p['transactionId']} {status_in(p, f)} by charger",
    ),
    "reservation_create": Translation(
        action="ReserveNow",
        request=lambda p: (
            {"id": p["reservationId"], "expiryDateTime": p["expiryDate"], "idToken": id_token(p["idTag"])}
            | evse(p)
            | ({"groupIdToken": id_token(p["parentIdTag"])} if p.get("parentIdTag") else {})
        ),
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
        request=lambda p: {"evseId": p["connectorId"], "chargingProfile": charging_profile(p["chargingProfile"])},
        reply=lambda p, r: {"chargingProfileId": p["chargingProfile"]["chargingProfileId"], "status": r.get("status")},
        message=lambda p, f: f"Charging profile {f['chargingProfileId']} {where(p)} {status_in(p, f)} by charger",
    ),
    "charging_profile_clear": Translation(
        action="ClearChargingProfile",
        request=profiles_clear,
        message=lambda p, f: f"Clearing of charging profiles {status_in(p, f)} by charger",
    ),
    "composite_schedule": Translation(
        action="GetCompositeSchedule",
        request=lambda p: {"evseId": p["connectorId"], "duration": p["duration"]} | pick(p, "chargingRateUnit"),
        reply=composite_schedule_reply,
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
        request=lambda p: {"chargingProfileId": v16.power_limit_profile_id(p)},
        reply=v16.power_limit_clear_reply,
        message=lambda p, f: f"Removal of the power limit {where(p)} {status_in(p, f)} by charger",
    ),
    "local_list_send": Translation(
        action="SendLocalList",
        request=lambda p: (
            {"versionNumber": p["listVersion"], "updateType": p["updateType"]}
            | (
                {"localAuthorizationList": [local_list_entry(e) for e in p["localAuthorizationList"]]}
                if p.get("localAuthorizationList")
                else {}
            )
        ),
        reply=lambda p, r: {"listVersion": p["listVersion"], "status": r.get("status")},
        message=lambda p, f: f"Local list version {p['listVersion']} {status_in(p, f)} by charger",
    ),
    "local_list_version": Translation(
        action="GetLocalListVersion",
        request=lambda p: {},
        reply=lambda p, r: {"listVersion": r.get("versionNumber")},
        message=lambda p, f: f"Local list version is {f.get('listVersion')}",
    ),
    "report_base_get": Translation(
        action="GetBaseReport",
        request=lambda p: {"requestId": request_id(p), "reportBase": p["reportBase"]},
        reply=requested,
        message=lambda p, f: f"{p['reportBase']} report {status_in(p, f)} by charger",
    ),
    "report_get": Translation(
        action="GetReport",
        request=lambda p: (
            {"requestId": request_id(p)}
            | pick(p, "componentCriteria")
            | ({"componentVariable": [component_variable(k) for k in p["key"]]} if p.get("key") else {})
        ),
        reply=requested,
        message=lambda p, f: f"Report {status_in(p, f)} by charger",
    ),
    "transaction_status": Translation(
        action="GetTransactionStatus",
        request=lambda p: {"transactionId": str(p["transactionId"])} if p.get("transactionId") else {},
        reply=lambda p, r: {"messagesInQueue": r.get("messagesInQueue"), "ongoingIndicator": r.get("ongoingIndicator")},
        message=lambda p, f: (
            ("Messages queued" if f["messagesInQueue"] else "No messages queued")
            + (
                ""
                if f["ongoingIndicator"] is None
                else ("; session ongoing" if f["ongoingIndicator"] else "; session over")
            )
        ),
    ),
    "monitoring_set": Translation(
        action="SetVariableMonitoring",
        request=lambda p: {"setMonitoringData": [monitor(m) for m in p["monitors"]]},
        reply=monitoring_results,
        message=lambda p, f: (
            f"{sum(r['status'] == 'Accepted' for r in f['results'])} of {len(f['results'])} monitors set"
        ),
    ),
    "monitoring_clear": Translation(
        action="ClearVariableMonitoring",
        request=lambda p: {"id": list(p["ids"])},
        reply=lambda p, r: {"results": r.get("clearMonitoringResult", [])},
        message=lambda p, f: (
            f"{sum(r.get('status') == 'Accepted' for r in f['results'])} of {len(f['results'])} monitors cleared"
        ),
    ),
    "charging_profiles_get": Translation(
        action="GetChargingProfiles",
        request=lambda p: (
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
        reply=requested,
        message=lambda p, f: f"Report of charging profiles {status_in(p, f)} by charger",
    ),
    **security_commands.COMMANDS,
}
