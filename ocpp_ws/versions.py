"""The OCPP versions the product speaks, newest first. A connection picks one at the handshake."""

from dataclasses import dataclass, field

from ocpp.v16.enums import Action as Action16
from ocpp.v21.enums import Action as Action21
from ocpp.v201.enums import Action as Action201

from ocpp_ws.framing import CALL, CALLERROR, CALLRESULT, CALLRESULTERROR, SEND, ErrorCodes, schema_error
from ocpp_ws.v16 import actions as v16_actions
from ocpp_ws.v16 import commands as v16_commands
from ocpp_ws.v21 import actions as v21_actions
from ocpp_ws.v21 import commands as v21_commands
from ocpp_ws.v201 import actions as v201_actions
from ocpp_ws.v201 import commands as v201_commands
from ocpp_ws.v201 import security_commands as v201_security_commands


@dataclass(frozen=True)
class Version:
    subprotocol: str
    schema_version: str
    codes: ErrorCodes
    charger_actions: dict
    all_actions: frozenset
    csms_actions: frozenset
    commands: dict  # version-neutral command name -> commands.neutral.Translation
    # OCPP action -> f(*, charger_id, request, response): what the product keeps of a charger's answer
    # beyond the Command row, however the CALL was sent (a named command or the generic endpoint).
    answers: dict = field(default_factory=dict)
    # The API's TriggerMessage names (1.6's) -> this version's own, where it differs: for the console's forms.
    trigger_names: dict = field(default_factory=dict)
    # Actions a charger sends as SEND frames (2.1): kept, never answered.
    sends: frozenset = frozenset()
    message_types: frozenset = frozenset({CALL, CALLRESULT, CALLERROR})

    def request_error(self, action: str, payload: dict) -> str | None:
        error = schema_error(self.schema_version, CALL, action, payload, self.codes)
        return error.description if error else None


# What the CSMS may send: what every version has, and each version's own.
# fmt: off
CSMS_ACTIONS = frozenset({
    "CancelReservation", "CertificateSigned", "ChangeAvailability", "ClearCache", "ClearChargingProfile",
    "DataTransfer", "DeleteCertificate", "GetCompositeSchedule", "GetInstalledCertificateIds",
    "GetLocalListVersion", "GetLog", "InstallCertificate", "ReserveNow", "Reset", "SendLocalList",
    "SetChargingProfile", "TriggerMessage", "UnlockConnector", "UpdateFirmware",
})
CSMS_ACTIONS_201 = frozenset({
    "ClearDisplayMessage", "ClearVariableMonitoring", "CostUpdated", "CustomerInformation", "GetBaseReport",
    "GetChargingProfiles", "GetDisplayMessages", "GetMonitoringReport", "GetReport", "GetTransactionStatus",
    "GetVariables", "PublishFirmware", "RequestStartTransaction", "RequestStopTransaction", "SetDisplayMessage",
    "SetMonitoringBase", "SetMonitoringLevel", "SetNetworkProfile", "SetVariableMonitoring", "SetVariables",
    "UnpublishFirmware",
})
# 2.1 sends everything 2.0.1 does, and these.
CSMS_ACTIONS_21 = frozenset({
    "AdjustPeriodicEventStream", "AFRRSignal", "ChangeTransactionTariff", "ClearDERControl", "ClearTariffs",
    "GetDERControl", "GetPeriodicEventStream", "GetTariffs", "NotifyAllowedEnergyTransfer",
    "NotifyWebPaymentStarted", "RequestBatterySwap", "SetDefaultTariff", "SetDERControl", "UpdateDynamicSchedule",
    "UsePriorityCharging",
})
CSMS_ACTIONS_16 = frozenset({
    "ChangeConfiguration", "ExtendedTriggerMessage", "GetConfiguration", "GetDiagnostics",
    "RemoteStartTransaction", "RemoteStopTransaction", "SignedUpdateFirmware",
})
# fmt: on


CODES_201 = ErrorCodes(
    formation="FormatViolation", occurrence="OccurrenceConstraintViolation", message_type="MessageTypeNotSupported"
)

# The API's trigger names (1.6's) that 2.0.1 and 2.1 spell their own way, for the console's forms.
TRIGGER_NAMES_201 = v201_commands.TRIGGERS | v201_security_commands.TRIGGERS

VERSIONS = {
    # 2.0.1's tables and 2.1's differences: the new messages (no 2.0.1 message changed beyond optional fields).
    "ocpp2.1": Version(
        subprotocol="ocpp2.1",
        schema_version="2.1",
        codes=CODES_201,
        charger_actions=v21_actions.ACTIONS,
        all_actions=frozenset(a.value for a in Action21) | v21_actions.SENDS,  # the library's list lacks SENDs
        csms_actions=CSMS_ACTIONS | CSMS_ACTIONS_201 | CSMS_ACTIONS_21,
        commands=v21_commands.COMMANDS,
        answers=v21_commands.ANSWERS,
        trigger_names=TRIGGER_NAMES_201,
        sends=v21_actions.SENDS,
        message_types=frozenset({CALL, CALLRESULT, CALLERROR, CALLRESULTERROR, SEND}),
    ),
    "ocpp2.0.1": Version(
        subprotocol="ocpp2.0.1",
        schema_version="2.0.1",
        codes=CODES_201,
        charger_actions=v201_actions.ACTIONS,
        all_actions=frozenset(a.value for a in Action201),
        csms_actions=CSMS_ACTIONS | CSMS_ACTIONS_201,
        commands=v201_commands.COMMANDS,
        answers=v201_commands.ANSWERS,
        trigger_names=TRIGGER_NAMES_201,
    ),
    "ocpp1.6": Version(
        subprotocol="ocpp1.6",
        schema_version="1.6",
        codes=ErrorCodes(formation="FormationViolation", occurrence="OccurenceConstraintViolation"),
        charger_actions=v16_actions.ACTIONS,
        all_actions=frozenset(a.value for a in Action16),
        csms_actions=CSMS_ACTIONS | CSMS_ACTIONS_16,
        commands=v16_commands.COMMANDS,
    ),
}


def negotiate(offered: list[str]) -> Version | None:
    """The newest version the charger offers that we speak."""
    for subprotocol in VERSIONS:
        if subprotocol in offered:
            return VERSIONS[subprotocol]
    return None


def supported(offered: list[str]) -> list[str]:
    """The subprotocols the charger offers that we speak, newest first."""
    return [subprotocol for subprotocol in VERSIONS if subprotocol in offered]
