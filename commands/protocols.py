"""The OCPP versions the command bus can speak, handed to it by the protocol edge.

`ocpp_ws` registers its version table when the app is ready (OcppWsConfig.ready), so that the bus
translates and validates commands without importing the edge that sits above it.
"""

from typing import Protocol

DEFAULT = "ocpp1.6"  # a charger that never connected is addressed as 1.6


class OcppVersion(Protocol):
    subprotocol: str
    schema_version: str
    csms_actions: frozenset
    commands: dict  # version-neutral command name -> commands.neutral.Translation
    answers: dict  # OCPP action -> f(*, charger_id, request, response)
    trigger_names: dict  # the API's TriggerMessage names -> this version's, where they differ

    def request_error(self, action: str, payload: dict) -> str | None:
        """Why `payload` is no valid `action` CALL of this version, or None."""


_versions: dict[str, OcppVersion] = {}
_csms_actions: frozenset = frozenset()


def versions_register(versions: dict[str, OcppVersion]) -> None:
    global _csms_actions
    _versions.update(versions)
    _csms_actions = frozenset().union(*(version.csms_actions for version in _versions.values()))


def csms_actions() -> frozenset:
    """Every action the CSMS may send, whatever the version."""
    return _csms_actions


def version_of(protocol: str) -> OcppVersion:
    """The OCPP version a charger last spoke (1.6 for one that never connected)."""
    return _versions.get(protocol) or _versions[DEFAULT]
