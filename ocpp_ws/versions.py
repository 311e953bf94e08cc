"""The OCPP versions the product speaks, newest first. A connection picks one at the handshake."""

from dataclasses import dataclass, field

from ocpp.v16.enums import Action as Action16
from ocpp.v201.enums import Action as Action201

from ocpp_ws.framing import CALL, ErrorCodes, schema_error
from ocpp_ws.v16 import actions as v16_actions
from ocpp_ws.v16 import commands as v16_commands
from ocpp_ws.v201 import actions as v201_actions
from ocpp_ws.v201 import commands as v201_commands


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

    def request_error(self, action: str, payload: dict) -> str | None:
        error = schema_error(self.schema_version, CALL, action, payload, self.codes)
        return error.description if error else None


VERSIONS = {
    "ocpp2.0.1": Version(
        subprotocol="ocpp2.0.1",
        schema_version="2.0.1",
        codes=ErrorCodes(
            formation="FormatViolation",
            occurrence="OccurrenceConstraintViolation",
            message_type="MessageTypeNotSupported",
        ),
        charger_actions=v201_actions.ACTIONS,
        all_actions=frozenset(a.value for a in Action201),
        csms_actions=frozenset(
            {
                "CancelReservation",
                "CertificateSigned",
                "ChangeAvailability",
                "ClearCache",
                "ClearChargingProfile",
                "ClearDisplayMessage",
                "ClearVariableMonitoring",
                "CostUpdated",
                "CustomerInformation",
                "DataTransfer",
                "DeleteCertificate",
                "GetBaseReport",
                "GetChargingProfiles",
                "GetCompositeSchedule",
                "GetDisplayMessages",
                "GetInstalledCertificateIds",
                "GetLocalListVersion",
                "GetLog",
                "GetMonitoringReport",
                "GetReport",
                "GetTransactionStatus",
                "GetVariables",
                "InstallCertificate",
                "PublishFirmware",
                "RequestStartTransaction",
                "RequestStopTransaction",
                "ReserveNow",
                "Reset",
                "SendLocalList",
                "SetChargingProfile",
                "SetDisplayMessage",
                "SetMonitoringBase",
                "SetMonitoringLevel",
                "SetNetworkProfile",
                "SetVariableMonitoring",
                "SetVariables",
                "TriggerMessage",
                "UnlockConnector",
                "UnpublishFirmware",
                "UpdateFirmware",
            }
        ),  # fmt: skip
        commands=v201_commands.COMMANDS,
        answers=v201_commands.ANSWERS,
    ),
    "ocpp1.6": Version(
        subprotocol="ocpp1.6",
        schema_version="1.6",
        codes=ErrorCodes(formation="FormationViolation", occurrence="OccurenceConstraintViolation"),
        charger_actions=v16_actions.ACTIONS,
        all_actions=frozenset(a.value for a in Action16),
        csms_actions=frozenset(
            {
                "CancelReservation",
                "CertificateSigned",
                "ChangeAvailability",
                "ChangeConfiguration",
                "ClearCache",
                "ClearChargingProfile",
                "DataTransfer",
                "DeleteCertificate",
                "ExtendedTriggerMessage",
                "GetCompositeSchedule",
                "GetConfiguration",
                "GetDiagnostics",
                "GetInstalledCertificateIds",
                "GetLocalListVersion",
                "GetLog",
                "InstallCertificate",
                "RemoteStartTransaction",
                "RemoteStopTransaction",
                "ReserveNow",
                "Reset",
                "SendLocalList",
                "SetChargingProfile",
                "SignedUpdateFirmware",
                "TriggerMessage",
                "UnlockConnector",
                "UpdateFirmware",
            }
        ),  # fmt: skip
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
