"""The OCPP versions the product speaks, newest first. A connection picks one at the handshake."""

from dataclasses import dataclass

from ocpp.v16.enums import Action as Action16

from ocpp_ws.framing import ErrorCodes
from ocpp_ws.v16 import actions as v16_actions
from ocpp_ws.v16 import commands as v16_commands


@dataclass(frozen=True)
class Version:
    subprotocol: str
    schema_version: str
    codes: ErrorCodes
    charger_actions: dict
    all_actions: frozenset
    csms_actions: frozenset
    commands: dict  # version-neutral command name -> commands.neutral.Translation


VERSIONS = {
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
