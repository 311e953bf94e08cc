"""OCPI 2.2.1 Tariff and CDR-period objects, validated field by field: a bad one is a 400 naming the field."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal

from rest_framework import serializers

DIMENSION_TYPES = ("ENERGY", "FLAT", "PARKING_TIME", "TIME")
TARIFF_TYPES = ("AD_HOC_PAYMENT", "PROFILE_CHEAPEST", "PROFILE_FASTEST", "PROFILE_GREEN", "REGULAR")
DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
RESERVATION_TYPES = ("RESERVATION", "RESERVATION_EXPIRES")
CDR_DIMENSION_TYPES = ("CURRENT", "ENERGY", "ENERGY_EXPORT", "ENERGY_IMPORT", "MAX_CURRENT", "MIN_CURRENT",
                       "MAX_POWER", "MIN_POWER", "PARKING_TIME", "POWER", "RESERVATION_TIME", "STATE_OF_CHARGE",
                       "TIME")  # fmt: skip
ENERGY_SOURCES = ("NUCLEAR", "GENERAL_FOSSIL", "COAL", "GAS", "GENERAL_GREEN", "SOLAR", "WIND", "WATER")
ENVIRONMENTAL_IMPACTS = ("NUCLEAR_WASTE", "CARBON_DIOXIDE")
NUMBER = {"max_digits": 14, "decimal_places": 6, "coerce_to_string": False}


class Strict(serializers.Serializer):
    """OCPI's objects have a closed set of fields: an unknown one is named, never ignored."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({unknown[0]: "Unknown field in OCPI 2.2.1's object."})
        return super().to_internal_value(data)


def amount(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(min_value=0, **NUMBER, **kwargs)


class Price(Strict):
    excl_vat = amount()
    incl_vat = amount(required=False)


class DisplayText(Strict):
    language = serializers.RegexField(r"^[a-z]{2}$", help_text="ISO 639-1.")
    text = serializers.CharField(max_length=512)


class PriceComponent(Strict):
    type = serializers.ChoiceField(DIMENSION_TYPES)
    price = amount(help_text="Excluding VAT: per kWh, per hour, or once (FLAT).")
    vat = amount(required=False, max_value=100, help_text="Percent; absent means no VAT applies.")
    step_size = serializers.IntegerField(min_value=0, help_text="Wh for ENERGY, seconds for TIME and PARKING_TIME.")


TIME_OF_DAY = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")


class TariffRestrictions(Strict):
    start_time = serializers.RegexField(TIME_OF_DAY, required=False, help_text="HH:MM, local time.")
    end_time = serializers.RegexField(TIME_OF_DAY, required=False, help_text="HH:MM, exclusive.")
    start_date = serializers.DateField(required=False, input_formats=["%Y-%m-%d"])
    end_date = serializers.DateField(required=False, input_formats=["%Y-%m-%d"], help_text="Exclusive.")
    min_kwh = amount(required=False)
    max_kwh = amount(required=False)
    min_current = amount(required=False)
    max_current = amount(required=False)
    min_power = amount(required=False)
    max_power = amount(required=False)
    min_duration = serializers.IntegerField(min_value=0, required=False, help_text="Seconds.")
    max_duration = serializers.IntegerField(min_value=0, required=False, help_text="Seconds.")
    day_of_week = serializers.ListField(child=serializers.ChoiceField(DAYS), required=False, allow_empty=False)
    reservation = serializers.ChoiceField(RESERVATION_TYPES, required=False)

    def validate(self, attrs):
        for low, high in (("start_date", "end_date"), ("min_kwh", "max_kwh"), ("min_current", "max_current"),
                          ("min_power", "max_power"), ("min_duration", "max_duration")):  # fmt: skip
            if low in attrs and high in attrs and attrs[low] > attrs[high]:
                raise serializers.ValidationError({high: f"must not be less than {low}."})
        days = attrs.get("day_of_week", [])
        if len(set(days)) != len(days):
            raise serializers.ValidationError({"day_of_week": "names a day twice."})
        return attrs


class TariffElement(Strict):
    price_components = PriceComponent(many=True, allow_empty=False)
    restrictions = TariffRestrictions(required=False)


class EnergySource(Strict):
    source = serializers.ChoiceField(ENERGY_SOURCES)
    percentage = amount(max_value=100)


class EnvironmentalImpact(Strict):
    category = serializers.ChoiceField(ENVIRONMENTAL_IMPACTS)
    amount = amount(help_text="g/kWh")


class EnergyMix(Strict):
    is_green_energy = serializers.BooleanField()
    energy_sources = EnergySource(many=True, required=False)
    environ_impact = EnvironmentalImpact(many=True, required=False)
    supplier_name = serializers.CharField(max_length=64, required=False)
    energy_product_name = serializers.CharField(max_length=64, required=False)


class Tariff(Strict):
    """OCPI 2.2.1 Tariff. `id` is chosen by the server when absent; `last_updated` is the time of the write
    when absent."""

    country_code = serializers.RegexField(r"^[A-Z]{2}$", required=False)
    party_id = serializers.RegexField(r"^[A-Z0-9]{3}$", required=False)
    id = serializers.RegexField(r"^[A-Za-z0-9._\-]{1,36}$", required=False, help_text="CiString(36).")
    currency = serializers.RegexField(r"^[A-Z]{3}$", help_text="ISO 4217.")
    type = serializers.ChoiceField(TARIFF_TYPES, required=False)
    tariff_alt_text = DisplayText(many=True, required=False)
    tariff_alt_url = serializers.URLField(max_length=2000, required=False)
    min_price = Price(required=False)
    max_price = Price(required=False)
    elements = TariffElement(many=True, allow_empty=False)
    start_date_time = serializers.DateTimeField(required=False)
    end_date_time = serializers.DateTimeField(required=False)
    energy_mix = EnergyMix(required=False)
    last_updated = serializers.DateTimeField(required=False)

    def validate(self, attrs):
        low, high = attrs.get("min_price"), attrs.get("max_price")
        if low and high and low["excl_vat"] > high["excl_vat"]:
            raise serializers.ValidationError({"max_price": "must not be less than min_price."})
        start, end = attrs.get("start_date_time"), attrs.get("end_date_time")
        if start and end and start >= end:
            raise serializers.ValidationError({"end_date_time": "must be after start_date_time."})
        return attrs


class CdrDimension(Strict):
    type = serializers.ChoiceField(CDR_DIMENSION_TYPES)
    volume = serializers.DecimalField(**NUMBER)

    def validate(self, attrs):
        if attrs["volume"] < 0 and attrs["type"] != "ENERGY_EXPORT":
            raise serializers.ValidationError({"volume": "must not be negative."})
        return attrs


class ChargingPeriod(Strict):
    start_date_time = serializers.DateTimeField()
    dimensions = CdrDimension(many=True, allow_empty=False)
    tariff_id = serializers.CharField(max_length=36, required=False)


class SessionPeriods(Strict):
    """The part of an OCPI CDR the engine prices: when, and the charging periods."""

    start_date_time = serializers.DateTimeField()
    end_date_time = serializers.DateTimeField()
    charging_periods = ChargingPeriod(many=True, allow_empty=False)

    def validate(self, attrs):
        start, end = attrs["start_date_time"], attrs["end_date_time"]
        if end < start:
            raise serializers.ValidationError({"end_date_time": "must not be before start_date_time."})
        starts = [p["start_date_time"] for p in attrs["charging_periods"]]
        if starts != sorted(starts) or starts[0] < start or starts[-1] > end:
            raise serializers.ValidationError(
                {"charging_periods": "must follow one another between start_date_time and end_date_time."}
            )
        return attrs


def as_json(value):
    """Validated OCPI data back in JSON's terms: numbers as numbers, times in ISO 8601 (UTC as Z)."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value
