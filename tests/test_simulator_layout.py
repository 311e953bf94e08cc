"""The simulator's modules import one another one way. (That it imports no room of the server is
a contract in .importlinter, checked by tests/test_layout.py.)"""

import ast
from graphlib import CycleError, TopologicalSorter

from tests.conftest import ROOT

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


def test_the_simulators_modules_import_one_another_without_a_circle():
    assert FILES
    modules = {module_name(f): f for f in FILES}
    # The package's __init__ only gathers the public names; the modules below it must not need it.
    graph = {name: imported(path) & (modules.keys() - {"simulator"}) for name, path in modules.items()}
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as circle:
        order = circle.args[1]
        raise AssertionError(f"import circle: {' -> '.join(order)}") from None
    assert set(order) == set(modules)
