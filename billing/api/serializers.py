"""Request and answer shapes of the billing endpoints that are not OCPI objects themselves."""

from rest_framework import serializers

from billing import ocpi
from billing.models import time_zone_valid
from csms.errors import exactly_one_of
from csms.pagination import page_of


def time_zone_field(**kwargs) -> serializers.CharField:
    return serializers.CharField(max_length=64, validators=[time_zone_valid], **kwargs)


class PriceRequest(ocpi.Strict):
    tariff = serializers.JSONField(required=False, help_text="An OCPI 2.2.1 Tariff object.")
    tariffId = serializers.CharField(required=False, max_length=36, help_text="Or one of the organisation's.")
    cdr = ocpi.SessionPeriods()
    timeZone = time_zone_field(required=False, help_text="IANA zone in which restrictions are read (a site's or "
                               "charger's); absent: CSMS_TARIFF_TIME_ZONE.")  # fmt: skip

    def validate(self, attrs):
        return exactly_one_of(attrs, "tariff", "tariffId")


class PriceAnswer(serializers.Serializer):
    currency = serializers.CharField()
    total_cost = ocpi.Price()
    total_fixed_cost = ocpi.Price()
    total_energy_cost = ocpi.Price()
    total_time_cost = ocpi.Price()
    total_parking_cost = ocpi.Price()
    total_reservation_cost = ocpi.Price()
    total_energy = serializers.FloatField(help_text="kWh")
    total_time = serializers.FloatField(help_text="Hours, charging and not.")
    total_parking_time = serializers.FloatField(help_text="Hours.")
    charging_periods = ocpi.ChargingPeriod(many=True)


class AssignRequest(ocpi.Strict):
    tariffId = serializers.CharField(max_length=36, allow_null=True, help_text="null: remove the assignment.")
    idTag = serializers.CharField(max_length=36, required=False)
    chargeBoxId = serializers.CharField(max_length=64, required=False)
    siteId = serializers.IntegerField(required=False)
    organisationDefault = serializers.BooleanField(required=False)

    def validate(self, attrs):
        exactly_one_of(attrs, "idTag", "chargeBoxId", "siteId", "organisationDefault")
        if attrs.get("organisationDefault") is False:
            raise serializers.ValidationError({"organisationDefault": "must be true (tariffId null removes it)."})
        return attrs


class TimeZoneRequest(ocpi.Strict):
    timeZone = time_zone_field(allow_null=True, help_text="IANA, e.g. Europe/Berlin; null: removes it.")
    chargeBoxId = serializers.CharField(max_length=64, required=False)
    siteId = serializers.IntegerField(required=False)

    def validate(self, attrs):
        return exactly_one_of(attrs, "chargeBoxId", "siteId")


TariffPage = page_of("TariffPage", "tariffs", ocpi.Tariff)


class CdrToken(serializers.Serializer):
    uid = serializers.CharField()
    type = serializers.CharField()
    contract_id = serializers.CharField()


class CdrLocation(serializers.Serializer):
    id = serializers.CharField(help_text="chargeBoxId")
    name = serializers.CharField()
    address = serializers.CharField()
    evse_uid = serializers.CharField()
    evse_id = serializers.CharField()
    connector_id = serializers.CharField()


class Cdr(PriceAnswer):
    """OCPI 2.2.1 CDR."""

    id = serializers.CharField()
    start_date_time = serializers.DateTimeField()
    end_date_time = serializers.DateTimeField()
    session_id = serializers.CharField(help_text="The transaction id.")
    cdr_token = CdrToken()
    auth_method = serializers.ChoiceField(["AUTH_REQUEST", "COMMAND", "WHITELIST"])
    cdr_location = CdrLocation()
    tariffs = ocpi.Tariff(many=True, help_text="The tariff the session was priced with, as it was then.")
    credit = serializers.BooleanField()
    credit_reference_id = serializers.CharField(required=False)
    last_updated = serializers.DateTimeField()


class CdrList(serializers.Serializer):
    cdrs = Cdr(many=True)
