"""JSON shapes of the charger endpoints: OCPP's camelCase outside, the models' names inside."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chargers.services.registry import charge_box_id_problem
from csms.pagination import page_of

PRESENCE = ["online", "offline"]


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, so that a typo ("locaton") is not silently ignored; nested too."""

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        if unknown:
            accepted = f"the fields are {', '.join(self.fields)}" if self.fields else "there are none"
            raise serializers.ValidationError({unknown[0]: f"Unknown field; {accepted}."})
        return super().to_internal_value(data)


def validate_charge_box_id(value: str) -> str:
    problem = charge_box_id_problem(value)
    if problem:
        raise serializers.ValidationError(problem)
    return value


def pinned_version_field() -> serializers.ChoiceField:
    """The OCPP version an operator pins a charger to, on registration and update alike."""
    return serializers.ChoiceField(
        source="ocpp_version_pinned",
        choices=["", "ocpp1.6", "ocpp2.0.1", "ocpp2.1"],
        required=False,
        allow_blank=True,
        help_text='Accept only this subprotocol; "" (the default): the newest the charger offers.',
    )


def password_field(**kwargs) -> serializers.CharField:
    """A charger's Basic auth password, on registration and update alike: write-only, taken as typed (spaces
    count), optional; "" or null for none."""
    return serializers.CharField(
        max_length=128,
        required=False,
        allow_blank=True,
        allow_null=True,
        write_only=True,
        trim_whitespace=False,
        **kwargs,
    )


def charger_id_field() -> serializers.CharField:
    """The chargeBoxId of the charger a row (a session, a reservation, a command...) belongs to."""
    return serializers.CharField(source="charger.charge_box_id")


def session_id_field() -> serializers.CharField:
    """The transactionId of the session a row (a reservation, a charging profile) names; null when none."""
    return serializers.CharField(source="transaction.ocpp_id", allow_null=True, default=None)


class ChargerRegistrationSerializer(StrictSerializer):
    chargeBoxId = serializers.CharField(
        source="charge_box_id",
        max_length=64,
        validators=[validate_charge_box_id],
        help_text="The charger's identity: the last segment of the URL it connects to.",
    )
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    location = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    password = password_field(
        default=None, help_text="HTTP Basic auth password the charger must send (security profile 1/2). Stored hashed."
    )
    ocppVersionPinned = pinned_version_field()


class ChargerUpdateSerializer(StrictSerializer):
    SUPPLY = {
        "site": "site",
        "phases": "phases",
        "voltage": "voltage",
        "chargingRateUnit": "charging_rate_unit",
        "minCurrent": "min_current",
        "maxCurrent": "max_current",
    }

    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    location = serializers.CharField(max_length=200, required=False, allow_blank=True)
    password = password_field(help_text='A new password, applied from the next connection; "" or null removes it.')
    ocppVersionPinned = pinned_version_field()
    site = serializers.IntegerField(required=False, allow_null=True, help_text="The id of its site; null: none.")
    phases = serializers.ChoiceField(choices=[1, 2, 3], required=False)
    voltage = serializers.FloatField(required=False, min_value=1, help_text="Phase voltage (V).")
    chargingRateUnit = serializers.ChoiceField(
        choices=["A", "W", ""], required=False, help_text='Of the profiles it is sent; "": as it reports, else A.'
    )
    minCurrent = serializers.FloatField(required=False, min_value=0, help_text="A per phase.")
    maxCurrent = serializers.FloatField(required=False, min_value=0, help_text="A per phase.")
    tariffId = serializers.CharField(
        max_length=36, required=False, allow_null=True, help_text="The tariff (OCPI id) that prices its sessions "
        "unless the id tag has one; null: none (its site's or the organisation's default then)."
    )  # fmt: skip

    def validate(self, attrs):
        attrs = super().validate(attrs)
        low = attrs.get("minCurrent", self.context.get("min_current"))
        high = attrs.get("maxCurrent", self.context.get("max_current"))
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"minCurrent": "must not exceed maxCurrent"})
        return attrs


class ConnectionInstructionsSerializer(serializers.Serializer):
    message = serializers.CharField()
    url = serializers.CharField()
    protocol = serializers.CharField(
        help_text="The preferred subprotocol (ocpp2.1, ocpp2.0.1 or ocpp1.6): the one a charger offering several gets."
    )
    protocols = serializers.ListField(
        child=serializers.CharField(),
        help_text="Every WebSocket subprotocol it may connect with, preferred first: ocpp2.1, ocpp2.0.1 and ocpp1.6, "
        "or only the pinned one when ocppVersionPinned is set.",
    )


class ChargerPresenceMixin(serializers.Serializer):
    id = serializers.IntegerField()
    chargeBoxId = serializers.CharField(source="charge_box_id")
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=PRESENCE, help_text="online while the charger holds a connection.")
    isOnline = serializers.BooleanField(source="is_online")


class RegisteredChargerSerializer(ChargerPresenceMixin):
    location = serializers.CharField()
    registeredAt = serializers.DateTimeField(source="registered_at")
    connectionUrl = serializers.CharField(source="connection_url")
    instructions = serializers.SerializerMethodField()

    @extend_schema_field(ConnectionInstructionsSerializer)
    def get_instructions(self, charger) -> dict:
        protocols = charger.subprotocols
        auth = " and HTTP Basic auth (user: its chargeBoxId)" if charger.password_digest else ""
        return {
            "message": "Configure the charger to connect to this WebSocket URL with subprotocol "
            f"{' or '.join(protocols)}{auth}.",
            "url": charger.connection_url,
            "protocol": protocols[0],
            "protocols": protocols,
        }


class ChargerSummarySerializer(ChargerPresenceMixin):
    vendor = serializers.CharField()
    model = serializers.CharField()
    lastHeartbeat = serializers.DateTimeField(source="last_heartbeat_at", allow_null=True)
    deletedAt = serializers.DateTimeField(
        source="deleted_at", allow_null=True, help_text="When it was deleted (listed only with include_deleted=true)."
    )


class ConnectorSerializer(serializers.Serializer):
    evseId = serializers.IntegerField(
        source="evse",
        allow_null=True,
        help_text="OCPP 2.0.1: the EVSE the connector belongs to (its connectorId counts within it); "
        "null for OCPP 1.6.",
    )
    connectorId = serializers.IntegerField(
        source="connector_id", help_text="0 is the charger as a whole (1.6); 2.0.1 numbers from 1 in each EVSE."
    )
    status = serializers.CharField(help_text="The OCPP status last reported (Available, Charging, Faulted, ...).")
    errorCode = serializers.CharField(source="error_code")
    info = serializers.CharField()
    vendorErrorCode = serializers.CharField(source="vendor_error_code")
    lastUpdated = serializers.DateTimeField(source="updated_at", allow_null=True, help_text="When it was reported.")


class ChargerDetailSerializer(ChargerSummarySerializer):
    location = serializers.CharField()
    serialNumber = serializers.CharField(source="serial_number")
    chargeBoxSerialNumber = serializers.CharField(source="charge_box_serial_number")
    firmwareVersion = serializers.CharField(source="firmware_version")
    meterType = serializers.CharField(source="meter_type")
    meterSerialNumber = serializers.CharField(source="meter_serial_number")
    iccid = serializers.CharField()
    imsi = serializers.CharField()
    ocppProtocol = serializers.CharField(source="ocpp_protocol", help_text="Of the current or last connection.")
    ocppVersionPinned = serializers.CharField(
        source="ocpp_version_pinned", help_text='The only subprotocol it may use; "": the newest it offers.'
    )
    passwordProtected = serializers.SerializerMethodField()
    connectionUrl = serializers.CharField(source="connection_url")
    registeredAt = serializers.DateTimeField(source="registered_at")
    lastBootAt = serializers.DateTimeField(source="last_boot_at", allow_null=True)
    connectedAt = serializers.DateTimeField(source="connected_at", allow_null=True)
    disconnectedAt = serializers.DateTimeField(source="disconnected_at", allow_null=True)
    lastSeenAt = serializers.DateTimeField(source="last_seen_at", allow_null=True)
    site = serializers.IntegerField(source="site_id", allow_null=True, help_text="The id of its site.")
    phases = serializers.IntegerField()
    voltage = serializers.FloatField()
    chargingRateUnit = serializers.CharField(source="rate_unit", help_text="The unit of the profiles it is sent.")
    minCurrent = serializers.FloatField(source="min_current")
    maxCurrent = serializers.FloatField(source="max_current")
    connectors = ConnectorSerializer(many=True)

    def get_passwordProtected(self, charger) -> bool:
        return bool(charger.password_digest)


ChargerPageSerializer = page_of("ChargerPageSerializer", "chargers", ChargerSummarySerializer)


class ChargerDeletedSerializer(serializers.Serializer):
    message = serializers.CharField()
    chargeBoxId = serializers.CharField()


class StatusNotificationSerializer(serializers.Serializer):
    status = serializers.CharField()
    errorCode = serializers.CharField(source="error_code")
    info = serializers.CharField()
    vendorErrorCode = serializers.CharField(source="vendor_error_code")
    timestamp = serializers.DateTimeField(
        source="reported_at", help_text="The charger's timestamp, or when it was received if it gave none."
    )


class ConnectorStatusHistorySerializer(serializers.Serializer):
    chargeBoxId = serializers.CharField()
    evseId = serializers.IntegerField(allow_null=True, help_text="OCPP 2.0.1: the connector's EVSE; null for 1.6.")
    connectorId = serializers.IntegerField()
    statusNotifications = StatusNotificationSerializer(many=True, help_text="The last 5, newest first.")


class ConnectorStatusQuerySerializer(serializers.Serializer):
    evseId = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text="OCPP 2.0.1: the EVSE of the connector; needed when the charger has a connector with this "
        "number on several EVSEs.",
    )


class ChargePointStatusSerializer(serializers.Serializer):
    chargeBoxId = serializers.CharField(source="charge_box_id")
    name = serializers.CharField()
    online = serializers.BooleanField(source="is_online")
    lastHeartbeatAt = serializers.DateTimeField(source="last_heartbeat_at", allow_null=True)
    connectors = ConnectorSerializer(many=True)


ChargePointStatusPageSerializer = page_of(
    "ChargePointStatusPageSerializer", "chargePoints", ChargePointStatusSerializer
)


class ActiveTransactionSerializer(serializers.Serializer):
    transactionId = serializers.CharField(source="transaction_id", help_text="The id the charger knows it by.")
    evseId = serializers.IntegerField(source="evse_id", allow_null=True, help_text="OCPP 2.0.1's EVSE; null for 1.6.")
    connectorId = serializers.IntegerField(source="connector_id")
    idTag = serializers.CharField(source="id_tag")
    startTime = serializers.DateTimeField(source="start_time")
    meterStart = serializers.IntegerField(source="meter_start", help_text="Wh")
    currentMeterValue = serializers.IntegerField(
        source="current_meter_value",
        help_text="Wh: the latest Energy.Active.Import.Register reading (meterStart until one arrives).",
    )
    energyDeliveredWh = serializers.IntegerField(source="energy_delivered_wh")
    durationSeconds = serializers.IntegerField(source="duration_seconds")


class ActiveTransactionsSerializer(serializers.Serializer):
    chargeBoxId = serializers.CharField()
    activeTransactions = ActiveTransactionSerializer(many=True)
    total = serializers.IntegerField()


# Sites, reservations and installed charging profiles.


class CapacitySerializer(serializers.Serializer):
    limit = serializers.FloatField(min_value=0, help_text="A: amperes per phase; kW: total power.")
    unit = serializers.ChoiceField(choices=["A", "kW"])


class SiteInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    capacity = CapacitySerializer()


class SiteUpdateSerializer(SiteInputSerializer):
    name = serializers.CharField(max_length=100, required=False)
    capacity = CapacitySerializer(required=False)


class SiteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    capacity = serializers.SerializerMethodField()
    chargers = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")

    @extend_schema_field(CapacitySerializer)
    def get_capacity(self, site) -> dict:
        return {"limit": site.capacity_limit, "unit": site.capacity_unit}

    def get_chargers(self, site) -> list[str]:
        return [charger.charge_box_id for charger in site.chargers.all()]


SitePageSerializer = page_of("SitePageSerializer", "sites", SiteSerializer)


class ShareSerializer(serializers.Serializer):
    chargeBoxId = charger_id_field()
    evseId = serializers.IntegerField(
        source="transaction.evse", allow_null=True, help_text="OCPP 2.0.1's EVSE; null for 1.6."
    )
    connectorId = serializers.IntegerField(source="transaction.connector_id")
    transactionId = serializers.CharField(source="transaction.ocpp_id")
    limit = serializers.FloatField(help_text="The session's share, in the site's unit; 0: suspended.")
    unit = serializers.CharField()
    chargingRateUnit = serializers.CharField(source="rate_unit", help_text="The unit the charger is sent.")
    chargingLimit = serializers.FloatField(source="rate", help_text="The TxProfile limit the charger is sent.")


class AllocationSerializer(serializers.Serializer):
    siteId = serializers.IntegerField()
    capacity = CapacitySerializer()
    allocated = serializers.FloatField(help_text="The sum of the shares, never above the capacity.")
    sessions = ShareSerializer(many=True)


class ReservationSerializer(serializers.Serializer):
    reservationId = serializers.IntegerField(source="reservation_id")
    chargeBoxId = charger_id_field()
    connectorId = serializers.IntegerField(source="connector_id")
    idTag = serializers.CharField(source="id_tag")
    parentIdTag = serializers.CharField(source="parent_id_tag")
    expiryDate = serializers.DateTimeField(source="expiry_date")
    status = serializers.ChoiceField(choices=["Active", "Consumed", "Cancelled", "Expired"])
    transactionId = session_id_field()
    createdAt = serializers.DateTimeField(source="created_at")


ReservationPageSerializer = page_of("ReservationPageSerializer", "reservations", ReservationSerializer)


class InstalledChargingProfileSerializer(serializers.Serializer):
    chargingProfileId = serializers.IntegerField(source="profile_id")
    connectorId = serializers.IntegerField(source="connector_id")
    stackLevel = serializers.IntegerField(source="stack_level")
    chargingProfilePurpose = serializers.CharField(source="purpose")
    chargingProfileKind = serializers.CharField(source="kind")
    recurrencyKind = serializers.CharField(source="recurrency_kind")
    validFrom = serializers.DateTimeField(source="valid_from", allow_null=True)
    validTo = serializers.DateTimeField(source="valid_to", allow_null=True)
    chargingSchedule = serializers.JSONField(source="schedule")
    transactionId = session_id_field()
    meta = serializers.DictField(help_text="Notes sent with it, never to the charger: comment, createdAt, createdBy.")
    installedAt = serializers.DateTimeField(source="installed_at")


class InstalledChargingProfilesSerializer(serializers.Serializer):
    chargeBoxId = serializers.CharField()
    chargingProfiles = InstalledChargingProfileSerializer(many=True)
