"""Power limits in every OCPP version: one charging profile whose purpose follows the scope of the limit.

The profile is built in OCPP 1.6's shape, which the API shares; a later version converts it to its own.
"""

from django.utils import timezone

from charging.services.metering import MAX_CHARGING_POWER_W

# Profile ids the power-limit commands use unless told otherwise, so that setting a limit
# again replaces it and clearing removes exactly it.
POWER_LIMIT_PROFILE_IDS = {"ChargePointMaxProfile": 3000, "TxDefaultProfile": 3100, "TxProfile": 3200}
VOLTAGE = 230.0
PHASES = 3


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
        watts = float(limit["acMaxPowerW"]) if "acMaxPowerW" in limit else float(limit["acMaxPowerKw"]) * 1000
        amperes = watts / volts
    if params.get("chargingRateUnit") == "W":
        return "W", round(watts, 1), phases
    return "A", round(amperes, 1), phases


def power_limit_maximum(params: dict, unit: str, phases: int | None) -> float:
    """The charger's maximum (`maxCurrent`, which the service passes) in the unit sent; DC: the most any
    charger delivers."""
    if phases is None:
        return float(MAX_CHARGING_POWER_W)
    amperes = params["maxCurrent"]
    return amperes if unit == "A" else round(amperes * phases * (params.get("voltage") or VOLTAGE), 1)


def power_limit_set(params: dict) -> dict:
    """SetChargingProfile's payload in 1.6: {connectorId, csChargingProfiles}. With a relativeDelay, a Relative
    profile (its time counts from the start of charging) at the charger's maximum until the delay is over."""
    purpose = power_limit_purpose(params)
    unit, limit, phases = power_limit_rate(params)
    phased = {"numberPhases": phases} if phases else {}
    schedule = {"chargingRateUnit": unit, "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit} | phased]}
    delay = params.get("relativeDelay")
    if delay:
        maximum = power_limit_maximum(params, unit, phases)
        schedule["chargingSchedulePeriod"] = [
            {"startPeriod": 0, "limit": maximum} | phased,
            {"startPeriod": delay, "limit": limit} | phased,
        ]
    else:
        now = timezone.now().replace(microsecond=0).isoformat().replace("+00:00", "Z")
        schedule = {"startSchedule": params.get("startSchedule") or now} | schedule
    profile = {
        "chargingProfileId": power_limit_profile_id(params),
        "stackLevel": params.get("stackLevel") or 0,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Relative" if delay else "Absolute",
        "chargingSchedule": schedule,
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
    } | ({"limitApplied": params["limitApplied"]} if params.get("limitApplied") else {})


def power_limit_clear_reply(params: dict, response: dict) -> dict:
    return {"status": response.get("status"), "chargingProfileId": power_limit_profile_id(params)}
