"""The simulator is a client of the CSMS: it reaches the server over the WebSocket only, and its
modules import one another one way."""

import ast
from graphlib import CycleError, TopologicalSorter

from tests.conftest import ROOT

SERVER_APPS = {"accounts", "chargers", "commands", "console", "csms", "ocpp_ws", "webhooks"}
FILES = sorted((ROOT / "simulator").rglob("*.py"))


def imported(path) -> set[str]:
    """Every module the file imports, by its dotted name (`from a import b` counts `a` and `a.b`)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def module_name(path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_simulator_imports_nothing_of_the_server():
    assert FILES
    leaks = {module_name(f): {n.split(".")[0] for n in imported(f)} & SERVER_APPS for f in FILES}
    assert {module: apps for module, apps in leaks.items() if apps} == {}


def test_the_simulators_modules_import_one_another_without_a_circle():
    modules = {module_name(f): f for f in FILES}
    # The package's __init__ only gathers the public names; the modules below it must not need it.
    graph = {name: imported(path) & (modules.keys() - {"simulator"}) for name, path in modules.items()}
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as circle:
        order = circle.args[1]
        raise AssertionError(f"import circle: {' -> '.join(order)}") from None
    assert set(order) == set(modules)
