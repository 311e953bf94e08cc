"""OCPP 2.1: 2.0.1's command table (ocpp_ws/v201/commands.py) and the commands 2.1 adds.

Every 2.0.1 command reads the same in 2.1. The new ones take OCPP 2.1's own objects (a tariff, a DER
control, a schedule update) as the API's parameters; like every command, the API's `connectorId`
is the EVSE and a session's id is the charger's transaction id.
"""

from chargers.services import event_streams
from charging.services import notices
from commands.neutral import answered, pick, request_id, spelled
from ocpp_ws.translations import Call, answering, echoing, table
from ocpp_ws.v201 import commands as v201
from ocpp_ws.v201 import security_commands as v201_security
from ocpp_ws.v201.commands import id_token


def evse_id(params: dict) -> dict:
    """2.1 tariffs name the EVSE always: 0 for the whole station."""
    return {"evseId": params.get("connectorId") or 0}


def on(params: dict) -> str:
    return f"on EVSE {params['connectorId']}" if params.get("connectorId") else "on the whole charger"


def said(params: dict, fields: dict) -> str:
    status = fields.get("status")
    return f"{spelled(status)} by charger" if isinstance(status, str) else "answered by charger"


def network_profile(params: dict) -> dict:
    """2.0.1's network profile without ocppVersion, which 2.1 no longer requires and ignores (the WebSocket
    handshake chooses the version)."""
    profile = v201_security.network_profile(params)
    del profile["connectionData"]["ocppVersion"]
    return profile


def stream_adjusted(*, charger_id: int, request: dict, response: dict) -> int:
    """The stream's parameters as the charger accepted them."""
    if response.get("status") != "Accepted":
        return 0
    params = {k: v for k, v in request["params"].items() if k != "customData"}
    return event_streams.event_stream_adjust(charger_id=charger_id, stream_id=request["id"], params=params)


def web_payment_started(*, charger_id: int, request: dict, response: dict) -> None:
    """The driver began paying on the web for the EVSE: kept against its session, if one is in progress."""
    notices.transaction_notice_record(
        charger_id=charger_id, action="NotifyWebPaymentStarted", evse_id=request["evseId"], status="Started",
        payload=request,
    )  # fmt: skip


CALLS = v201.CALLS | {
    "security_profile_upgrade": Call("SetNetworkProfile", network_profile, echoing("configurationSlot")),
    "tariff_default_set": Call(
        "SetDefaultTariff",
        lambda p: evse_id(p) | {"tariff": p["tariff"]},
        lambda p, r: {"tariffId": p["tariff"]["tariffId"]} | answering("status")(p, r),
        lambda p, f: f"Default tariff {f['tariffId']} {on(p)} {said(p, f)}",
    ),
    "charger_tariffs_get": Call(
        "GetTariffs",
        evse_id,
        lambda p, r: {"status": r.get("status"), "tariffAssignments": r.get("tariffAssignments", [])},
        lambda p, f: f"{len(f['tariffAssignments'])} tariffs {on(p)}",
    ),
    "charger_tariffs_clear": Call(
        "ClearTariffs",
        lambda p: pick(p, "tariffIds") | ({"evseId": p["connectorId"]} if p.get("connectorId") is not None else {}),
        lambda p, r: {"results": r.get("clearTariffsResult", [])},
        lambda p, f: (
            f"{sum(r.get('status') == 'Accepted' for r in f['results'])} of {len(f['results'])} tariffs cleared"
        ),
    ),
    "transaction_tariff_change": Call(
        "ChangeTransactionTariff",
        lambda p: {"transactionId": str(p["transactionId"]), "tariff": p["tariff"]},
        lambda p, r: (
            {"transactionId": str(p["transactionId"]), "tariffId": p["tariff"]["tariffId"]} | answering("status")(p, r)
        ),
        lambda p, f: f"Tariff {f['tariffId']} for transaction {f['transactionId']} {said(p, f)}",
    ),
    "priority_charging": Call(
        "UsePriorityCharging",
        lambda p: {"transactionId": str(p["transactionId"]), "activate": p["activate"]},
        lambda p, r: {"transactionId": str(p["transactionId"]), "activate": p["activate"]} | answering("status")(p, r),
        lambda p, f: (
            f"Priority charging {'on' if p['activate'] else 'off'} for transaction {f['transactionId']} {said(p, f)}"
        ),
    ),
    "dynamic_schedule_update": Call(
        "UpdateDynamicSchedule",
        lambda p: {"chargingProfileId": p["chargingProfileId"], "scheduleUpdate": p["scheduleUpdate"]},
        lambda p, r: {"chargingProfileId": p["chargingProfileId"]} | answering("status")(p, r),
        lambda p, f: f"Schedule update of charging profile {f['chargingProfileId']} {said(p, f)}",
    ),
    "battery_swap_request": Call(
        "RequestBatterySwap",
        lambda p: {"requestId": request_id(p), "idToken": p.get("idToken") or id_token(p["idTag"])},
        v201.requested,
        lambda p, f: f"Battery swap request {said(p, f)}",
    ),
    "der_control_set": Call(
        "SetDERControl",
        dict,  # the parameters are 2.1's own fields: the control and its settings
        lambda p, r: {
            "controlId": p["controlId"],
            "status": r.get("status"),
            "supersededIds": r.get("supersededIds", []),
        },
        lambda p, f: f"{p['controlType']} control {f['controlId']} {said(p, f)}",
    ),
    "der_control_get": Call(
        "GetDERControl",
        lambda p: {"requestId": request_id(p)} | pick(p, "isDefault", "controlType", "controlId"),
        v201.requested,
        lambda p, f: f"Report of DER controls {said(p, f)}",
    ),
    "der_control_clear": Call(
        "ClearDERControl",
        lambda p: {"isDefault": p["isDefault"]} | pick(p, "controlType", "controlId"),
        message=answered("Clearing of DER controls"),
    ),
}

COMMANDS = table(CALLS, point="EVSE")
ANSWERS = v201.ANSWERS | {"AdjustPeriodicEventStream": stream_adjusted, "NotifyWebPaymentStarted": web_payment_started}
