"""The command endpoints' bodies and replies. Field names are OCPP's camelCase, which the API shares."""

from datetime import UTC, datetime

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from chargers.api.serializers import StrictSerializer, charger_id_field
from commands.models import Command
from csms.pagination import PaginationSerializer, page_of

TRIGGERABLE = (
    "BootNotification",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "StatusNotification",
)
PROFILE_PURPOSES = ("ChargePointMaxProfile", "TxDefaultProfile", "TxProfile")


class Timestamp(serializers.DateTimeField):
    """An ISO 8601 date-time, passed on as UTC with a `Z`."""

    def to_internal_value(self, value):
        return super().to_internal_value(value).astimezone(UTC).isoformat().replace("+00:00", "Z")


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string", "minLength": 1, "maxLength": 36}]})
class TransactionId(serializers.Field):
    """A session's id: OCPP 1.6 ids are integers (ours), 2.0.1 ids the charger's strings (as in the URLs)."""

    default_error_messages = {"invalid": "an integer (OCPP 1.6) or the charger's id of the session (OCPP 2.0.1)"}

    def to_internal_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and 0 < len(value) <= 36 and value.strip() == value:
            return int(value) if value.isdigit() else value
        self.fail("invalid")

    def to_representation(self, value):
        return value


def connector(required: bool = True, min_value: int = 0, **kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(required=required, min_value=min_value, **kwargs)


# Bodies.


class Empty(StrictSerializer):
    pass


class ResetInput(StrictSerializer):
    type = serializers.ChoiceField(
        ["Soft", "Hard", "OnIdle", "Immediate"],
        help_text="Soft: graceful restart; Hard: full reboot. OCPP 2.0.1's OnIdle and Immediate are the same two "
        "(sent to a 1.6 charger as Soft and Hard).",
    )


class UnlockInput(StrictSerializer):
    connectorId = connector(min_value=1)


class TriggerInput(StrictSerializer):
    requestedMessage = serializers.ChoiceField(TRIGGERABLE)
    connectorId = connector(required=False, min_value=1)


OPERATIONAL_STATUSES = ["Operative", "Inoperative"]


class Evse(StrictSerializer):
    id = serializers.IntegerField(min_value=1)
    connectorId = serializers.IntegerField(required=False, min_value=1, help_text="One connector of the EVSE.")


class AvailabilityInput(StrictSerializer):
    connectorId = connector(required=False, help_text="0 (the default) for the whole charger.")
    type = serializers.ChoiceField(OPERATIONAL_STATUSES, required=False)
    operationalStatus = serializers.ChoiceField(
        OPERATIONAL_STATUSES, required=False, help_text="OCPP 2.0.1's name for type."
    )
    evse = Evse(required=False, help_text="OCPP 2.0.1: the EVSE (and one of its connectors), instead of connectorId.")
    disableTextReason = serializers.CharField(
        required=False, max_length=255,
        help_text="Why, in words. OCPP 2.0.1 only: sent in the ChangeAvailability's customData.",
    )  # fmt: skip

    def validate(self, attrs):
        """2.0.1's names, as the command's own: `type`, `connectorId` (the EVSE) and `evseConnectorId`."""
        if "operationalStatus" in attrs:
            if "type" in attrs:
                raise serializers.ValidationError({"operationalStatus": "give type or operationalStatus, not both"})
            attrs["type"] = attrs.pop("operationalStatus")
        elif "type" not in attrs:
            raise serializers.ValidationError({"type": "This field is required (or operationalStatus)."})
        evse = attrs.pop("evse", None)
        if evse is None:
            return {"connectorId": 0} | attrs
        if "connectorId" in attrs:
            raise serializers.ValidationError({"evse": "give connectorId or evse, not both"})
        attrs["connectorId"] = evse["id"]
        if "connectorId" in evse:
            attrs["evseConnectorId"] = evse["connectorId"]
        return attrs


class ConfigurationGetInput(StrictSerializer):
    key = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, help_text="Keys to read; none: all keys."
    )


class ConfigurationChangeInput(StrictSerializer):
    key = serializers.CharField(max_length=50)
    value = serializers.CharField(max_length=500, allow_blank=True)


def retry_fields() -> tuple[serializers.IntegerField, serializers.IntegerField]:
    """`retries` and `retryInterval`: how often, and how many seconds apart, the charger tries a download or
    an upload again."""
    return (
        serializers.IntegerField(required=False, min_value=0),
        serializers.IntegerField(required=False, min_value=0, help_text="Seconds."),
    )


class FirmwareUpdateInput(StrictSerializer):
    location = serializers.URLField(help_text="Where the charger downloads the firmware (HTTP, HTTPS, FTP).")
    retrieveDate = Timestamp(help_text="When the charger may start the download.")
    retries, retryInterval = retry_fields()


class Location(serializers.URLField):
    """A URL, or "csms" for the CSMS's own upload endpoint."""

    def run_validation(self, data=serializers.empty):
        return "csms" if data == "csms" else super().run_validation(data)


def upload_location(file: str, kept: str) -> Location:
    """Where the charger uploads `file`: a URL, or (omitted or "csms") the CSMS's own endpoint, where it is `kept`."""
    return Location(
        required=False,
        help_text=f'Where the charger uploads its {file}; omitted or "csms": to the CSMS itself (a one-job upload URL '
        f"under CSMS_PUBLIC_HTTP_URL), {kept}.",
    )


class DiagnosticsInput(StrictSerializer):
    location = upload_location("diagnostics", "kept for download in the admin")
    startTime = Timestamp(required=False)
    stopTime = Timestamp(required=False)
    retries, retryInterval = retry_fields()


class DataTransferInput(StrictSerializer):
    vendorId = serializers.CharField(max_length=255)
    messageId = serializers.CharField(max_length=50, required=False)
    data = serializers.CharField(required=False, allow_blank=True, help_text="Free text, often JSON.")


class SchedulePeriod(StrictSerializer):
    startPeriod = serializers.IntegerField(min_value=0, help_text="Seconds from the start of the schedule.")
    limit = serializers.FloatField(min_value=0, help_text="In chargingRateUnit; one decimal at most.")
    numberPhases = serializers.IntegerField(required=False, min_value=1, max_value=3)


class ChargingSchedule(StrictSerializer):
    duration = serializers.IntegerField(required=False, min_value=0)
    startSchedule = Timestamp(required=False)
    chargingRateUnit = serializers.ChoiceField(["A", "W"])
    chargingSchedulePeriod = SchedulePeriod(many=True, allow_empty=False)
    minChargingRate = serializers.FloatField(required=False, min_value=0)


def profile_fields(purposes) -> tuple[serializers.Field, ...]:
    """`stackLevel`, `chargingProfilePurpose`, `chargingProfileKind`, `recurrencyKind`, `validFrom` and `validTo`
    of a charging profile: the same in OCPP 1.6 and 2.0.1 but for the purposes each knows."""
    return (
        serializers.IntegerField(min_value=0),
        serializers.ChoiceField(purposes),
        serializers.ChoiceField(["Absolute", "Recurring", "Relative"]),
        serializers.ChoiceField(["Daily", "Weekly"], required=False),
        Timestamp(required=False),
        Timestamp(required=False),
    )


class ProfileMeta(StrictSerializer):
    """Notes on a profile, kept with it in the list of installed profiles; never sent to the charger."""

    comment = serializers.CharField(required=False, max_length=255, allow_blank=True)
    createdAt = Timestamp(required=False)
    createdBy = serializers.CharField(required=False, max_length=255, allow_blank=True)


class ChargingProfile(StrictSerializer):
    """An OCPP 1.6 ChargingProfile; `meta` is the product's, not sent (see ProfileMeta)."""

    chargingProfileId = serializers.IntegerField()
    transactionId = TransactionId(required=False, help_text="A TxProfile's session.")
    stackLevel, chargingProfilePurpose, chargingProfileKind, recurrencyKind, validFrom, validTo = profile_fields(
        PROFILE_PURPOSES
    )
    chargingSchedule = ChargingSchedule()
    meta = ProfileMeta(required=False, help_text="Kept with the installed profile (GET charging-profiles).")


# OCPP 2.0.1's own shapes, which a 2.0.1 charger is sent as they are (a 1.6 charger cannot take them).
PROFILE_PURPOSES_201 = (
    "ChargingStationMaxProfile",
    "TxDefaultProfile",
    "TxProfile",
    "ChargingStationExternalConstraints",
)
PURPOSES_FROM_201 = {"ChargingStationMaxProfile": "ChargePointMaxProfile"}
CUSTOM_DATA = {"required": False, "help_text": "OCPP 2.0.1 customData {vendorId, ...}, passed on."}


class SchedulePeriod201(StrictSerializer):
    startPeriod = serializers.IntegerField(min_value=0)
    limit = serializers.FloatField(min_value=0)
    numberPhases = serializers.IntegerField(required=False, min_value=1, max_value=3)
    phaseToUse = serializers.IntegerField(required=False, min_value=1, max_value=3)
    customData = serializers.JSONField(**CUSTOM_DATA)


class ChargingSchedule201(StrictSerializer):
    id = serializers.IntegerField()
    startSchedule = Timestamp(required=False)
    duration = serializers.IntegerField(required=False, min_value=0)
    chargingRateUnit = serializers.ChoiceField(["A", "W"])
    chargingSchedulePeriod = SchedulePeriod201(many=True, allow_empty=False, max_length=1024)
    minChargingRate = serializers.FloatField(required=False, min_value=0)
    salesTariff = serializers.JSONField(required=False, help_text="SalesTariffType, checked against OCPP 2.0.1.")
    customData = serializers.JSONField(**CUSTOM_DATA)


class ProfileCondition(StrictSerializer):
    """When the profile applies. OCPP 2.0.1 applies a profile always; a condition it cannot say is a 400."""

    whenNoCloudConnection = serializers.BooleanField(required=False)
    whenSessionNotAuthorized = serializers.BooleanField(required=False)

    def validate(self, attrs):
        for name, value in attrs.items():
            if value:
                raise serializers.ValidationError({name: "OCPP 2.0.1 cannot make a profile depend on this; "
                                                   "only false (the profile always applies) is taken"})  # fmt: skip
        return attrs


class ChargingProfile201(StrictSerializer):
    """An OCPP 2.0.1 ChargingProfileType: `id`, and `chargingSchedule` as a list of up to three; `meta`
    and `condition` are the product's, not sent (see ProfileMeta, ProfileCondition)."""

    id = serializers.IntegerField()
    stackLevel, chargingProfilePurpose, chargingProfileKind, recurrencyKind, validFrom, validTo = profile_fields(
        PROFILE_PURPOSES_201
    )
    transactionId = serializers.CharField(required=False, max_length=36)
    chargingSchedule = ChargingSchedule201(many=True, allow_empty=False, max_length=3)
    customData = serializers.JSONField(**CUSTOM_DATA)
    meta = ProfileMeta(required=False, help_text="Kept with the installed profile (GET charging-profiles).")
    condition = ProfileCondition(required=False)

    def validate(self, attrs):
        attrs.pop("condition", None)  # every flag false: the profile applies always, as the charger does it
        return attrs


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="AnyChargingProfile",
        serializers=[ChargingProfile, ChargingProfile201],
        resource_type_field_name=None,
    )
)
class AnyChargingProfile(ChargingProfile):
    """OCPP 1.6's ChargingProfile (`chargingProfileId`), or for a 2.0.1 charger its own (`id`, a list of schedules).
    The 1.6 fields are the ones the admin's form shows."""

    def to_internal_value(self, data):
        if not (isinstance(data, dict) and "id" in data):
            return super().to_internal_value(data)
        profile = ChargingProfile201(data=data)
        profile.is_valid(raise_exception=True)
        return dict(profile.validated_data)


ID_TOKEN_TYPES = ("Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress", "NoAuthorization")


class IdToken(StrictSerializer):
    idToken = serializers.CharField(max_length=36)
    type = serializers.ChoiceField(ID_TOKEN_TYPES)
    additionalInfo = serializers.JSONField(required=False)


def meta_lifted(attrs: dict) -> dict:
    """The profile's `meta`, beside it: the charger is sent the profile without it, the record keeps it."""
    meta = (attrs.get("chargingProfile") or {}).pop("meta", None)
    return attrs | ({"meta": meta} if meta else {})


# OCPP 2.0.1's start of a session that no one authorizes, as a 2.0.1 charger is asked for one without a token.
NO_ID_TOKEN = {"idToken": "", "type": "NoAuthorization"}


# OCPI's token types (an eMSP's remote start names them) as OCPP 2.0.1 IdTokenTypes: an RFID card's UID is an
# ISO 14443 one (give the idToken object with ISO15693 for the other kind); a token a server or an app issued,
# for good or once, or of another kind, is a Central one (OCPP: generated by the CSMS or another server).
OCPI_TOKEN_TYPES = {"RFID": "ISO14443", "APP_USER": "Central", "AD_HOC_USER": "Central", "OTHER": "Central"}
# What an eMSP's remote start tells of the session beside the token, kept with the command (`session`).
SESSION_FIELDS = ("idTokenType", "idTokenIssuer", "contractId", "emspCountryCode", "emspPartyId",
                  "ocpiConnectionProfileId", "authorizationReference", "vehicle")  # fmt: skip


@extend_schema_field({"oneOf": [
    {"type": "object", "required": ["idToken", "type"], "additionalProperties": False, "properties": {
        "idToken": {"type": "string", "maxLength": 36}, "type": {"enum": list(ID_TOKEN_TYPES)},
        "additionalInfo": {"type": "array", "items": {"type": "object"}}}},
    {"type": "string", "maxLength": 36},
]})  # fmt: skip
class IdTokenOrText(IdToken):
    """OCPP 2.0.1's idToken {idToken, type}, or the token alone as text (its type then from idTokenType)."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            return {"idToken": serializers.CharField(max_length=36).run_validation(data)}
        return super().to_internal_value(data)


class TransactionStartInput(StrictSerializer):
    idTag = serializers.CharField(max_length=20, required=False, help_text="The id tag (OCPP 1.6's word).")
    idToken = IdTokenOrText(
        required=False, allow_null=True,
        help_text="OCPP 2.0.1: the token and its type, or the token as text (type from idTokenType, default "
        'Central); instead of idTag. None (and no contractId): a 2.0.1 charger is sent idToken {idToken: "", '
        "type: NoAuthorization}; a 1.6 charger needs an idTag.",
    )  # fmt: skip
    idTokenType = serializers.ChoiceField(
        list(OCPI_TOKEN_TYPES), required=False,
        help_text="OCPI's type of an idToken given as text: RFID is sent as ISO14443; APP_USER, AD_HOC_USER and "
        "OTHER as Central.",
    )  # fmt: skip
    idTokenIssuer = serializers.CharField(required=False, allow_null=True, max_length=64,
                                          help_text="Who issued the token (OCPI's issuer).")  # fmt: skip
    contractId = serializers.CharField(
        required=False, max_length=36,
        help_text="The driver's contract (eMA ID): sent as the idToken of type eMAID, or beside a token given as "
        "its additionalInfo {additionalIdToken, type: eMAID}.",
    )  # fmt: skip
    emspCountryCode = serializers.CharField(required=False, max_length=2, help_text="The eMSP's OCPI country code.")
    emspPartyId = serializers.CharField(required=False, max_length=3, help_text="The eMSP's OCPI party id.")
    ocpiConnectionProfileId = serializers.CharField(
        required=False, max_length=255, help_text="The OCPI connection the start came through."
    )
    authorizationReference = serializers.CharField(
        required=False, allow_null=True, max_length=36,
        help_text="The eMSP's reference of its authorization, for the session's records (OCPI).",
    )  # fmt: skip
    vehicle = serializers.DictField(required=False, allow_null=True, help_text="The vehicle, as another system "
                                    "identified it (free-form).")  # fmt: skip
    connectorId = connector(required=False, min_value=1)
    chargingProfile = AnyChargingProfile(required=False, help_text="A TxProfile for the session.")

    def validate(self, attrs):
        """The token in OCPP 2.0.1's shape; what the eMSP told beside it kept in `session` (README "Remote start
        for an eMSP"), which a 2.0.1 charger is sent in customData."""
        attrs = {name: value for name, value in attrs.items() if value is not None}  # null: not given
        if "idTag" in attrs and ({"idToken", "contractId"} & set(attrs)):
            raise serializers.ValidationError({"idTag": "give idTag or idToken (OCPP 2.0.1), not both"})
        token, kind = attrs.get("idToken"), attrs.get("idTokenType")
        if kind and (token is None or "type" in token):
            raise serializers.ValidationError({"idTokenType": "the type of an idToken given as text; an idToken "
                                               "object has its own type"})  # fmt: skip
        if token is not None and "type" not in token:
            token["type"] = OCPI_TOKEN_TYPES[kind] if kind else "Central"
        contract = attrs.get("contractId")
        if contract and token is None:
            attrs["idToken"] = {"idToken": contract, "type": "eMAID"}
        elif contract and (token["idToken"], token["type"]) != (contract, "eMAID"):
            info = token.get("additionalInfo") or []
            if not isinstance(info, list):
                raise serializers.ValidationError({"idToken": "additionalInfo: a list of {additionalIdToken, type}"})
            token["additionalInfo"] = [*info, {"additionalIdToken": contract, "type": "eMAID"}]
        session = {name: attrs.pop(name) for name in SESSION_FIELDS if name in attrs}
        if session:
            attrs["session"] = session
        if "idTag" not in attrs:
            attrs.setdefault("idToken", dict(NO_ID_TOKEN))  # its own: the request goes on to be changed
            attrs["idTag"] = attrs["idToken"]["idToken"]  # the session's tag, as sentences and records name it
        return meta_lifted(attrs)


class ReservationInput(StrictSerializer):
    connectorId = connector(help_text="0 reserves any connector, when the charger allows it.")
    expiryDate = Timestamp()
    idTag = serializers.CharField(max_length=20)
    parentIdTag = serializers.CharField(max_length=20, required=False)
    reservationId = serializers.IntegerField(
        required=False, min_value=1, help_text="Chosen by the CSMS when absent, and returned."
    )

    def validate_expiryDate(self, value: str) -> str:
        # A charger would accept a reservation that has already run out and hold nothing.
        if datetime.fromisoformat(value.replace("Z", "+00:00")) <= datetime.now(UTC):
            raise serializers.ValidationError(f"{value} is in the past.")
        return value


class ChargingProfileInput(StrictSerializer):
    connectorId = connector(
        required=False, default=0,
        help_text="0 (the default): a ChargePointMaxProfile, or a TxDefaultProfile for all connectors.",
    )  # fmt: skip
    chargingProfile = AnyChargingProfile()

    def validate(self, attrs):
        return meta_lifted(attrs)


class ClearCriteria201(StrictSerializer):
    chargingProfilePurpose = serializers.ChoiceField(PROFILE_PURPOSES_201, required=False)
    evseId = serializers.IntegerField(required=False, min_value=0)
    stackLevel = serializers.IntegerField(required=False, min_value=0)
    customData = serializers.JSONField(**CUSTOM_DATA)


class ChargingProfileClearInput(StrictSerializer):
    id = serializers.IntegerField(required=False, help_text="The chargingProfileId; criteria given too are sent along.")
    connectorId = connector(required=False)
    chargingProfilePurpose = serializers.ChoiceField(PROFILE_PURPOSES, required=False)
    stackLevel = serializers.IntegerField(required=False, min_value=0)
    chargingProfileId = serializers.IntegerField(required=False, help_text="OCPP 2.0.1's name for id.")
    chargingProfileCriteria = ClearCriteria201(
        required=False, help_text="OCPP 2.0.1's criteria, instead of connectorId, chargingProfilePurpose, stackLevel."
    )

    def validate(self, attrs):
        """2.0.1's names, as the command's own: one way of saying each thing."""
        if "chargingProfileId" in attrs:
            if "id" in attrs:
                raise serializers.ValidationError({"chargingProfileId": "give id or chargingProfileId, not both"})
            attrs["id"] = attrs.pop("chargingProfileId")
        criteria = attrs.pop("chargingProfileCriteria", None)
        if criteria is None:
            return attrs
        if {"connectorId", "chargingProfilePurpose", "stackLevel"} & set(attrs):
            raise serializers.ValidationError({"chargingProfileCriteria": "give the criteria in it or beside it"})
        purpose = criteria.get("chargingProfilePurpose")
        named = {"connectorId": criteria.get("evseId"), "stackLevel": criteria.get("stackLevel"),
                 "chargingProfilePurpose": PURPOSES_FROM_201.get(purpose, purpose),
                 "criteriaCustomData": criteria.get("customData")}  # fmt: skip
        return attrs | {name: value for name, value in named.items() if value is not None}


class CompositeScheduleInput(StrictSerializer):
    connectorId = connector(help_text="0: the whole charger's expected consumption.")
    duration = serializers.IntegerField(min_value=1, help_text="Seconds.")
    chargingRateUnit = serializers.ChoiceField(["A", "W"], required=False)


class PowerLimit(StrictSerializer):
    """Several limits: the charger gets the most restrictive that applies to it (README "Power limits")."""

    acMaxPowerA = serializers.FloatField(required=False, min_value=0, help_text="Amperes per phase.")
    acMaxPowerKw = serializers.FloatField(
        required=False, min_value=0, help_text="Kilowatts, sent as amperes per phase (numberPhases, voltage)."
    )
    acMaxPowerW = serializers.FloatField(
        required=False, min_value=0, help_text="Watts, all phases together; sent as amperes per phase unless in W."
    )
    dcMaxPowerKw = serializers.FloatField(required=False, min_value=0, help_text="Kilowatts, sent in watts.")

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("give one or more of " + ", ".join(self.fields))
        return attrs


class PowerLimitScope(StrictSerializer):
    connectorId = connector(required=False, help_text="A connector's default limit; none: the whole charger.")
    transactionId = TransactionId(required=False, help_text="A limit for this session only.")
    stackLevel = serializers.IntegerField(required=False, min_value=0)
    chargingProfileId = serializers.IntegerField(required=False, help_text="Defaults to one per scope.")


class PowerLimitInput(PowerLimitScope):
    limit = PowerLimit()
    numberPhases = serializers.IntegerField(required=False, min_value=1, max_value=3, help_text="AC; default 3.")
    voltage = serializers.FloatField(required=False, min_value=1, help_text="AC phase voltage; default 230.")
    chargingRateUnit = serializers.ChoiceField(
        ["A", "W"], required=False, help_text="AC: the unit sent to the charger; default: the charger's own."
    )
    comment = serializers.CharField(
        required=False, max_length=255, help_text="Kept with the installed profile (GET charging-profiles: meta)."
    )
    relativeDelay = serializers.IntegerField(
        required=False, min_value=1,
        help_text="Seconds after charging starts before the limit applies: a Relative profile, at the charger's "
        "maximum until then. A connector's or a session's limit only.",
    )  # fmt: skip
    condition = serializers.CharField(
        required=False, help_text="Refused (400): OCPP gives a charger no condition to check for a power limit."
    )

    def validate_condition(self, value):
        raise serializers.ValidationError("OCPP gives a charger no condition to check for a power limit; leave it out")

    def validate(self, attrs):
        if attrs.get("relativeDelay") and not attrs.get("connectorId") and attrs.get("transactionId") is None:
            raise serializers.ValidationError({"relativeDelay": "a limit on the whole charger waits for no session's "
                                               "start: give connectorId or transactionId"})  # fmt: skip
        comment = attrs.pop("comment", None)
        return attrs | ({"meta": {"comment": comment}} if comment else {})


class LocalListEntry(StrictSerializer):
    idTag = serializers.CharField(max_length=20)
    idTagInfo = serializers.JSONField(required=False, help_text="{status, expiryDate, parentIdTag}; none removes.")


class LocalListInput(StrictSerializer):
    listVersion = serializers.IntegerField()
    updateType = serializers.ChoiceField(["Differential", "Full"])
    localAuthorizationList = LocalListEntry(many=True, required=False)


class LocalListSyncInput(StrictSerializer):
    updateType = serializers.ChoiceField(
        ["Differential", "Full"],
        required=False,
        help_text="Force the update type; by default Full when the charger's list is unknown or changed a lot, "
        "else Differential, and nothing when it is up to date.",
    )


class LocalListSyncReply(serializers.Serializer):
    chargeBoxId = serializers.CharField()
    message = serializers.CharField()
    sent = serializers.BooleanField(help_text="false when the charger already holds the current list.")
    listVersion = serializers.IntegerField(allow_null=True)
    updateType = serializers.ChoiceField(["Differential", "Full"], allow_null=True)
    status = serializers.CharField(help_text="As the charger answered (Accepted, Failed, NotSupported, "
                                   "VersionMismatch), or UpToDate when nothing was sent.")  # fmt: skip
    entries = serializers.IntegerField(help_text="Entries in the localAuthorizationList sent.")
    action = serializers.CharField(required=False)
    commandId = serializers.UUIDField(required=False)
    responseTimeMs = serializers.IntegerField(required=False)
    response = serializers.DictField(required=False)


class GenericInput(StrictSerializer):
    action = serializers.CharField(help_text="Any CSMS-initiated action of the charger's OCPP version.")
    payload = serializers.DictField(help_text="The action's payload, as the OCPP schema has it.")


# Replies.


class CommandReply(serializers.Serializer):
    chargeBoxId = serializers.CharField()
    action = serializers.CharField(help_text="The OCPP action sent.")
    commandId = serializers.UUIDField(help_text="The command's id in the command log.")
    responseTimeMs = serializers.IntegerField(help_text="From sending the command to receiving the charger's answer.")
    message = serializers.CharField()
    response = serializers.DictField(help_text="The charger's whole answer.")


def reply_serializer(name: str, **fields) -> type[serializers.Serializer]:
    """A CommandReply with the reply fields of one command, named for the schema."""
    return type(name, (CommandReply,), {**fields, "__module__": __name__})


def status(*choices: str) -> serializers.CharField:
    # Text, not an enum: the charger's word is passed on as it is, and one enum per reply would
    # crowd the schema with near-duplicates.
    return serializers.CharField(help_text="As the charger answered: " + ", ".join(choices) + ".")


class CommandLog(serializers.ModelSerializer):
    commandId = serializers.UUIDField(source="id")
    status = serializers.ChoiceField(
        choices=Command.Status.choices,
        help_text="pending: recorded, no outcome yet; sent: the CALL went out and the charger has not answered "
        "within a second (a prompt answer goes from pending to its outcome at once); answered; error: the "
        "charger answered with a CALLERROR; timeout; offline. sentAt is set whenever the CALL went out.",
    )
    chargeBoxId = charger_id_field()
    errorCode = serializers.CharField(source="error_code")
    errorDescription = serializers.CharField(source="error_description")
    requestedBy = serializers.CharField(source="requested_by")
    createdAt = serializers.DateTimeField(source="created_at")
    sentAt = serializers.DateTimeField(source="sent_at")
    answeredAt = serializers.DateTimeField(source="answered_at")
    latencyMs = serializers.IntegerField(source="latency_ms", help_text="The charger's answer time.")
    lateResponse = serializers.JSONField(source="late_response", help_text="An answer that came after the timeout.")
    lateAt = serializers.DateTimeField(source="late_at")
    session = serializers.JSONField(
        help_text="A remote start's: what the eMSP told of the session beside the token (idTokenType, "
        "contractId, emspCountryCode, emspPartyId, ocpiConnectionProfileId, authorizationReference, vehicle); null "
        "for other commands."
    )

    class Meta:
        model = Command
        fields = [
            "commandId",
            "chargeBoxId",
            "action",
            "status",
            "request",
            "response",
            "errorCode",
            "errorDescription",
            "source",
            "requestedBy",
            "createdAt",
            "sentAt",
            "answeredAt",
            "latencyMs",
            "lateResponse",
            "lateAt",
            "session",
        ]


CommandLogPage = page_of("CommandLogPage", "commands", CommandLog)


class DataTransferRow(serializers.Serializer):
    id = serializers.IntegerField()
    direction = serializers.ChoiceField(["incoming", "outgoing"])
    vendorId = serializers.CharField(source="vendor_id")
    messageId = serializers.CharField(source="message_id")
    data = serializers.CharField()
    responseStatus = serializers.CharField(source="response_status")
    responseData = serializers.CharField(source="response_data")
    createdAt = serializers.DateTimeField(source="created_at")


class DataTransferList(serializers.Serializer):
    chargeBoxId = serializers.CharField()
    dataTransfers = DataTransferRow(many=True)
    count = serializers.IntegerField(help_text="Transfers on this page.")
    pagination = PaginationSerializer()


class DataTransferListParams(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=100, default=20)
    offset = serializers.IntegerField(min_value=0, max_value=2**31 - 1, default=0)


class Queued(serializers.Serializer):
    commandId = serializers.UUIDField(help_text="GET /api/v1/commands/{commandId} tells what came of it.")
