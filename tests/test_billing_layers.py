"""Billing sits on top: the rooms below it (chargers, commands, ocpp_ws) never import it; they reach it
through chargers.events.subscribe and the chargers.costs registry, which billing fills when it starts."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("room", ["chargers", "commands", "ocpp_ws"])
def test_a_lower_room_never_imports_billing(room):
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / room).rglob("*.py"))
        if any(name.split(".")[0] == "billing" for name in imported_modules(path))
    ]
    assert offenders == []


def test_billing_fills_the_registry_the_lower_rooms_ask(transactional_db):
    from chargers import costs, events

    assert costs._pricer is not None
    assert events._listeners["transaction.started"] and events._listeners["transaction.stopped"]
