"""What every OCPP version's command table shares: the sentence told of each answer, and the rows
that read the same in every version.

A version's table (`ocpp_ws/<version>/commands.py`) names, for each version-neutral command, only
its `Call`: the OCPP action, the payload and the reply fields. `table()` adds the sentence from
`sentences()`, worded for what the version calls the place a car plugs in (a 1.6 connector, a 2.0.1
EVSE), unless the version words an answer its own way. A later version starts from the table of the
one it extends and replaces the rows that differ.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

from commands.neutral import Translation, pick, same_fields, status_in

Sentence = Callable[[dict, dict], str]

UNLOCK_SENTENCES = {
    "Unlocked": "Connector {connectorId} unlocked",
    "UnlockFailed": "Connector {connectorId} failed to unlock",
    "NotSupported": "The charger cannot unlock connector {connectorId}",
    "OngoingAuthorizedTransaction": "Connector {connectorId} is in a session: not unlocked",
    "UnknownConnector": "The charger knows no connector {connectorId}",
}


@dataclass(frozen=True)
class Call:
    """One command in one version, without its sentence unless the version words the answer its own way;
    `params`: see `Translation`."""

    action: str
    request: Callable[[dict], dict]
    reply: Callable[[dict, dict], dict] = same_fields
    message: Sentence | None = None
    params: Callable[[dict], dict] | None = None


def echoing(*names: str) -> Callable[[dict, dict], dict]:
    """Reply fields: the named parameters as sent, and the charger's status."""
    return lambda p, r: {name: p[name] for name in names} | {"status": r.get("status")}


def transaction_stopped(p: dict, r: dict) -> dict:
    """Reply fields of a remote stop: the transaction's id as text, as every version's ids are shown."""
    return {"transactionId": str(p["transactionId"]), "status": r.get("status")}


def answering(*names: str) -> Callable[[dict, dict], dict]:
    """Reply fields: the named fields of the charger's answer, None where it left one out."""
    return lambda p, r: {name: r.get(name) for name in names}


def text(value) -> str | None:
    """DataTransfer data as text: 2.0.1's may be any JSON, 1.6's is text already."""
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def count(results: list[dict], done: str) -> str:
    return f"{sum(r.get('status') == 'Accepted' for r in results)} of {len(results)} monitors {done}"


def transaction_status(f: dict) -> str:
    queued = "Messages queued" if f["messagesInQueue"] else "No messages queued"
    ongoing = {None: "", True: "; session ongoing", False: "; session over"}[f["ongoingIndicator"]]
    return queued + ongoing


def sentences(*, point: str) -> dict[str, Sentence]:
    """The sentence for each command's answer; `point` is what the version calls a connector."""

    def where(p: dict) -> str:
        connector = p.get("connectorId") or 0
        return f"on {point} {connector}" if connector else "on the whole charger"

    def said(p: dict, f: dict) -> str:
        return f"{status_in(p, f)} by charger"

    return {
        "reset": lambda p, f: f"{p['type']} reset {said(p, f)}",
        "unlock": lambda p, f: UNLOCK_SENTENCES.get(f.get("status"), "Connector {connectorId}: {status}").format(
            connectorId=p["connectorId"], status=f.get("status")
        ),
        "cache_clear": lambda p, f: f"Cache clear {said(p, f)}",
        "trigger": lambda p, f: f"Trigger of {p['requestedMessage']} {said(p, f)}",
        "availability": lambda p, f: f"Change to {p['type']} {where(p)} {said(p, f)}",
        "configuration_get": lambda p, f: (
            f"{len(f['configurationKey'])} configuration keys read"
            + (f", {len(f['unknownKey'])} unknown to the charger" if f["unknownKey"] else "")
        ),
        "configuration_change": lambda p, f: f"Change of {p['key']} {said(p, f)}",
        "firmware_update": lambda p, f: f"Firmware update from {p['location']} for {p['retrieveDate']} {said(p, f)}",
        "diagnostics": lambda p, f: (
            f"Charger will upload {f['fileName']} to {p['location']}"
            if f["fileName"]
            else f"Log upload to {p['location']} {said(p, f)}"
        ),
        "data_transfer": lambda p, f: f"DataTransfer {said(p, f)}",
        "transaction_start": lambda p, f: f"Remote start for {p['idTag'] or 'no id token'} {said(p, f)}",
        "transaction_stop": lambda p, f: f"Remote stop of transaction {p['transactionId']} {said(p, f)}",
        "reservation_create": lambda p, f: f"Reservation {p['reservationId']} {where(p)} {said(p, f)}",
        "reservation_cancel": lambda p, f: f"Cancellation of reservation {p['reservationId']} {said(p, f)}",
        "charging_profile_set": lambda p, f: f"Charging profile {f['chargingProfileId']} {where(p)} {said(p, f)}",
        "charging_profile_clear": lambda p, f: f"Clearing of charging profiles {said(p, f)}",
        "composite_schedule": lambda p, f: f"Composite schedule request {where(p)} {said(p, f)}",
        "power_limit_set": lambda p, f: (
            f"Power limit of {f['limit']:g} {f['chargingRateUnit']} {where(p)} {said(p, f)}"
        ),
        "power_limit_clear": lambda p, f: f"Removal of the power limit {where(p)} {said(p, f)}",
        "local_list_send": lambda p, f: f"Local list version {p['listVersion']} {said(p, f)}",
        "local_list_version": lambda p, f: f"Local list version is {f.get('listVersion')}",
        "report_base_get": lambda p, f: f"{p['reportBase']} report {said(p, f)}",
        "report_get": lambda p, f: f"Report {said(p, f)}",
        "transaction_status": lambda p, f: transaction_status(f),
        "monitoring_set": lambda p, f: count(f["results"], "set"),
        "monitoring_clear": lambda p, f: count(f["results"], "cleared"),
        "charging_profiles_get": lambda p, f: f"Report of charging profiles {said(p, f)}",
        # Security (OCPP 1.6 Security Whitepaper, OCPP 2.0.1 security blocks).
        "password_set": lambda p, f: f"New password {said(p, f)}",
        "security_profile_upgrade": lambda p, f: f"Security profile {p['securityProfile']} {said(p, f)}",
        "certificate_signed": lambda p, f: f"Signed certificate {said(p, f)}",
        "certificate_renew": lambda p, f: f"Request for a new certificate signing request {said(p, f)}",
        "certificate_install": lambda p, f: f"Installation of a {p['certificateType']} {said(p, f)}",
        "certificate_delete": lambda p, f: (
            f"Deletion of certificate {p['certificateHashData']['serialNumber']}: {f.get('status')}"
        ),
        "certificate_ids_get": lambda p, f: f"{len(f['certificates'])} installed {p['certificateType']} certificates",
        "log_get": lambda p, f: (
            f"{p.get('logType') or 'DiagnosticsLog'} upload to {p['location']} {said(p, f)}"
            + (f" as {f['fileName']}" if f.get("fileName") else "")
        ),
        "firmware_update_signed": lambda p, f: f"Signed firmware update from {p['location']} {said(p, f)}",
        "extended_trigger": lambda p, f: f"Trigger of {p['requestedMessage']} {said(p, f)}",
    }


def table(calls: dict[str, Call], *, point: str) -> dict[str, Translation]:
    """A version's command table: each call with its sentence."""
    said = sentences(point=point)
    return {
        name: Translation(
            action=call.action,
            request=call.request,
            reply=call.reply,
            message=call.message or said[name],
            params=call.params,
        )
        for name, call in calls.items()
    }


# Rows that read the same in every version.
CACHE_CLEAR = Call("ClearCache", lambda p: {})
RESERVATION_CANCEL = Call("CancelReservation", lambda p: pick(p, "reservationId"), echoing("reservationId"))
DATA_TRANSFER = Call(
    "DataTransfer",
    lambda p: pick(p, "vendorId", "messageId", "data"),
    lambda p, r: {
        "vendorId": p["vendorId"],
        "messageId": p.get("messageId"),
        "status": r.get("status"),
        "responseData": text(r.get("data")),
    },
)
