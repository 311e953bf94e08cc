"""The simulator is a client of the CSMS: it reaches the server over the WebSocket only."""

import ast

from tests.conftest import ROOT

SERVER_APPS = {"accounts", "chargers", "commands", "console", "csms", "ocpp_ws", "webhooks"}


def imported_roots(path) -> set[str]:
    tree = ast.parse(path.read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_simulator_imports_nothing_of_the_server():
    files = sorted((ROOT / "simulator").rglob("*.py"))
    assert files
    leaks = {str(f.relative_to(ROOT)): imported_roots(f) & SERVER_APPS for f in files}
    assert {f: apps for f, apps in leaks.items() if apps} == {}
