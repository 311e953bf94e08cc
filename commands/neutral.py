"""Version-neutral commands: what the API, the admin and tasks ask of a charger, in the product's words.

Each OCPP version's adapter has one table (`ocpp_ws/<version>/commands.py`) mapping every
command name below to a `Translation`: the OCPP action, how the neutral parameters become
its payload, and how the charger's answer becomes reply fields and a sentence. A command a
version cannot express is simply absent from its table.
"""

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

COMMANDS = (
    "reset",
    "unlock",
    "cache_clear",
    "trigger",
    "availability",
    "configuration_get",
    "configuration_change",
    "firmware_update",
    "diagnostics",
    "data_transfer",
    "transaction_start",
    "transaction_stop",
    "reservation_create",
    "reservation_cancel",
    "charging_profile_set",
    "charging_profile_clear",
    "composite_schedule",
    "power_limit_set",
    "power_limit_clear",
    "local_list_send",
    "local_list_version",
    # OCPP 2.0.1 operations with no 1.6 twin: absent from 1.6's table.
    "report_base_get",
    "report_get",
    "transaction_status",
    "monitoring_set",
    "monitoring_clear",
    "charging_profiles_get",
    # Security (OCPP 1.6 Security Whitepaper, OCPP 2.0.1 security blocks).
    "certificate_signed",
    "certificate_renew",
    "certificate_install",
    "certificate_delete",
    "certificate_ids_get",
    "log_get",
    "firmware_update_signed",
    "extended_trigger",
    "password_set",
    "security_profile_upgrade",
    # OCPP 2.1 operations: absent from 1.6's and 2.0.1's tables.
    "tariff_default_set",
    "charger_tariffs_get",
    "charger_tariffs_clear",
    "transaction_tariff_change",
    "priority_charging",
    "dynamic_schedule_update",
    "battery_swap_request",
    "der_control_set",
    "der_control_get",
    "der_control_clear",
)


class NotExpressible(ValueError):
    """The parameters ask for what the charger's OCPP version cannot say ("field: why"): a 400."""


def pick(params: dict, *names: str) -> dict:
    """The named parameters that were given, in OCPP's spelling (which the API shares)."""
    return {name: params[name] for name in names if params.get(name) is not None}


def spelled(status: str) -> str:
    """The charger's answer in a sentence: a plain word reads as English ("accepted"); OCPP's compound
    words keep OCPP's spelling ("UnknownVendorId"), which integrators search for."""
    return status if re.search(r"[a-z][A-Z]", status) else status.lower()


def request_id(params: dict, name: str = "requestId") -> int:
    """A request id for the charger to quote back; chosen once, so the reply can show it too."""
    return params.setdefault(name, secrets.randbelow(2**31 - 2) + 1)


def status_in(params: dict, fields: dict) -> str:
    """The charger's answer for a sentence: "accepted", "rejected", "UnknownVendorId", ... or "answered"."""
    return spelled(str(fields.get("status", "answered")))


def same_fields(params: dict, response: dict) -> dict:
    return dict(response)


def answered(action: str) -> Callable[[dict, dict], str]:
    """'<action> accepted by charger', from the reply's status when it has one."""

    def message(params: dict, fields: dict) -> str:
        status = fields.get("status")
        return f"{action} {spelled(status)} by charger" if isinstance(status, str) else f"{action} answered by charger"

    return message


@dataclass(frozen=True)
class Translation:
    """One command in one OCPP version.

    request(params) -> the OCPP payload; reply(params, response) -> the reply fields shown
    at the top level of the API's answer; message(params, fields) -> a sentence for people;
    params(payload), where given -> the parameters an OCPP payload sent as it is stands for, so that
    what the product keeps of this command (e.g. the charging profiles a charger holds) follows it too.
    """

    action: str
    request: Callable[[dict], dict]
    message: Callable[[dict, dict], str]
    reply: Callable[[dict, dict], dict] = same_fields
    params: Callable[[dict], dict] | None = None
