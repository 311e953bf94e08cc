"""Charger password rotation: a new HTTP Basic password, sent to the charger, ours once it accepts."""

import secrets
import uuid

from chargers.models import Charger
from chargers.services.registry import charger_update
from commands import services as commands
from commands.bus import Requester
from commands.models import Command

HIDDEN = "********"
# 40 hexadecimal characters: within 1.6's AuthorizationKey and 2.0.1's BasicAuthPassword (at most 40).
PASSWORD_BYTES = 20


def charger_password_rotate(*, charger: Charger, requester: Requester) -> dict:
    """Send a new password (ChangeConfiguration AuthorizationKey / SetVariables BasicAuthPassword) and, once the
    charger accepts it, make it the one its next connection must give. The reply shows it, once."""
    password = secrets.token_hex(PASSWORD_BYTES)
    command_id = uuid.uuid4()
    try:
        answer = commands.command_run(
            charger=charger, command="password_set", params={"password": password}, requester=requester,
            command_id=command_id,
        )  # fmt: skip
    finally:
        _hidden_in_command_log(command_id, password)
    accepted = answer.get("status") == "Accepted"
    if accepted:
        charger_update(charger=charger, password=password)
    return {**_without(answer, password), "password": password if accepted else None}


def _hidden_in_command_log(command_id: uuid.UUID, password: str) -> None:
    command = Command.objects.filter(pk=command_id).only("request").first()
    if command is not None:
        Command.objects.filter(pk=command_id).update(request=_without(command.request, password))


def _without(value, password: str):
    """`value` with every occurrence of the password replaced."""
    if isinstance(value, dict):
        return {key: _without(item, password) for key, item in value.items()}
    if isinstance(value, list):
        return [_without(item, password) for item in value]
    return HIDDEN if value == password else value
