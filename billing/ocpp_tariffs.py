"""The organisation's (OCPI) tariffs in OCPP 2.1's Tariff shape, for SetDefaultTariff and ChangeTransactionTariff.

OCPI prices energy per kWh, time and parking per hour and a flat fee once, each component with its VAT;
OCPP 2.1 prices energy per kWh, charging and idle time per minute and a fixed fee, each dimension with its
tax rates. An element's restrictions become its prices' conditions, in 2.1's units (Wh, W, seconds); an element
restricted to RESERVATION prices reserved time (TIME) and the reservation's fee (FLAT). What 2.1 cannot say is
refused with a ValueError naming it, never sent approximately: billing steps other than 1 Wh or 1 s, an end date
and time, prices that apply only to an expired reservation, energy or parking priced during a reservation, a
fixed fee restricted by more than time of day, weekday and date, and differing VAT within one dimension.
"""

from decimal import Decimal

from billing.models import Tariff

DIMENSIONS = {  # OCPI component type -> (2.1 dimension, its price field, OCPI's price per 2.1's unit)
    "ENERGY": ("energy", "priceKwh", Decimal(1)),
    "TIME": ("chargingTime", "priceMinute", Decimal(60)),
    "PARKING_TIME": ("idleTime", "priceMinute", Decimal(60)),
    "FLAT": ("fixedFee", "priceFixed", Decimal(1)),
}
# OCPI restriction -> (2.1 condition, factor); fixed fees know only the time-of-day and date conditions.
CONDITIONS = {
    "start_time": ("startTimeOfDay", None), "end_time": ("endTimeOfDay", None),
    "start_date": ("validFromDate", None), "end_date": ("validToDate", None),
    "min_kwh": ("minEnergy", 1000), "max_kwh": ("maxEnergy", 1000),
    "min_current": ("minCurrent", 1), "max_current": ("maxCurrent", 1),
    "min_power": ("minPower", 1000), "max_power": ("maxPower", 1000),
    "min_duration": ("minTime", 1), "max_duration": ("maxTime", 1),
}  # fmt: skip
RESERVATION_DIMENSIONS = {"TIME": "reservationTime", "FLAT": "reservationFixed"}
FIXED_CONDITIONS = {"startTimeOfDay", "endTimeOfDay", "dayOfWeek", "validFromDate", "validToDate"}


def number(value) -> float | int:
    value = Decimal(str(value)).quantize(Decimal("0.000001")).normalize()  # OCPI's precision
    return int(value) if value == value.to_integral_value() else float(value)


def conditions(restrictions: dict, *, fixed: bool) -> dict:
    converted = {}
    for name, value in restrictions.items():
        if name == "day_of_week":
            converted["dayOfWeek"] = [day.capitalize() for day in value]
        elif name in CONDITIONS:
            condition, factor = CONDITIONS[name]
            converted[condition] = str(value) if factor is None else number(Decimal(str(value)) * factor)
    if fixed and set(converted) - FIXED_CONDITIONS:
        raise ValueError(
            f"a fixed fee restricted by {', '.join(sorted(set(converted) - FIXED_CONDITIONS))} cannot be sent "
            "in OCPP 2.1, whose fixed fees know only time of day, weekday and date"
        )
    return converted


def dimension_of(component: dict, restrictions: dict) -> str:
    """The 2.1 dimension that prices `component`; ValueError for one 2.1 has none for."""
    kind, reservation = component["type"], restrictions.get("reservation")
    if reservation == "RESERVATION_EXPIRES":
        raise ValueError("prices for an expired reservation (RESERVATION_EXPIRES) cannot be sent in OCPP 2.1")
    if reservation and kind not in RESERVATION_DIMENSIONS:
        raise ValueError(f"a {kind} price during a reservation cannot be sent in OCPP 2.1")
    if kind != "FLAT" and (component.get("step_size") or 1) != 1:
        raise ValueError(f"a {kind} step_size of {component['step_size']} cannot be sent in OCPP 2.1, which bills "
                         "exact volumes")  # fmt: skip
    return RESERVATION_DIMENSIONS[kind] if reservation else DIMENSIONS[kind][0]


def ocpp_tariff(document: dict, *, tariff_id: str) -> dict:
    """An OCPI Tariff object as OCPP 2.1's TariffType; ValueError saying which part 2.1 cannot express."""
    tariff = {"tariffId": tariff_id[:60], "currency": document["currency"]}
    if document.get("tariff_alt_text"):
        tariff["description"] = [
            {"format": "UTF8", "language": text["language"], "content": text["text"][:512]}
            for text in document["tariff_alt_text"]
        ]
    if document.get("end_date_time"):
        raise ValueError("an end_date_time cannot be sent in OCPP 2.1, whose tariffs have only a start (validFrom)")
    vats: dict[str, set] = {}
    for element in document["elements"]:
        restrictions = element.get("restrictions") or {}
        for component in element["price_components"]:
            dimension = dimension_of(component, restrictions)
            _, price_field, per = DIMENSIONS[component["type"]]
            entry = tariff.setdefault(dimension, {"prices": []})
            price = {price_field: number(Decimal(str(component["price"])) / per)}
            when = conditions(restrictions, fixed=price_field == "priceFixed")
            entry["prices"].append(price | ({"conditions": when} if when else {}))
            vats.setdefault(dimension, set()).add(component.get("vat"))
    for dimension, vat in vats.items():
        if len(vat) > 1:
            raise ValueError(f"differing VAT within {dimension} cannot be sent in OCPP 2.1, whose tax rates are "
                             "one per dimension")  # fmt: skip
        if vat != {None}:
            tariff[dimension]["taxRates"] = [{"type": "VAT", "tax": number(vat.pop())}]
    for ours, theirs in (("min_price", "minCost"), ("max_price", "maxCost")):
        if document.get(ours):
            price = document[ours]
            tariff[theirs] = {"exclTax": number(price["excl_vat"])} | (
                {"inclTax": number(price["incl_vat"])} if price.get("incl_vat") is not None else {}
            )
    if document.get("start_date_time"):
        tariff["validFrom"] = document["start_date_time"]
    return tariff


def organisation_tariff(*, organisation_id: int, tariff_id: str) -> dict:
    """The organisation's tariff `tariff_id` in 2.1's shape; ValueError for one it does not have."""
    tariff = Tariff.objects.filter(organisation_id=organisation_id, tariff_id=tariff_id).first()
    if tariff is None:
        raise ValueError(f"no tariff {tariff_id!r} in this organisation")
    try:
        return ocpp_tariff(tariff.document, tariff_id=tariff.tariff_id)
    except ValueError as unsendable:
        raise ValueError(f"tariff {tariff_id!r}: {unsendable}") from None
