"""The architecture stays as the folders show it: no module imports one on a higher floor.

compiler/ is built in floors, lowest first; a module may import its own floor and those below,
never one above, and the import graph (lazy imports inside functions included) has no cycle.
`python -m tests.test_layering` prints the graph as floors, to see it whole.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "compiler"

# Lowest first. A module's floor is that of its top-level folder (or of itself, at the top).
FLOORS = [
    {"__init__", "escape", "exits", "problems"},  # what every part may use
    {"sandbox"},  # an in-memory Graph; below graph, so the client never grades its own homework
    {"catalog"},  # the Graph keys and the kinds of application
    {"schema"},  # attribute mappings as data: expressions, the overlay, the comparison (pure)
    {"profile"},  # reading one profile: files, values, references, layers, extends
    {"body"},  # pairs, canonical bytes, diffs
    {"run"},  # a compile run: finding, writing, the git guard
    {"graph"},  # talking to Microsoft Graph
    {"keyvault"},  # reading Key Vault secrets (with graph's credentials and retry policy)
    {"authoring"},  # writing profiles: import, schema, TOML
    {"reports"},  # printing results
    {"commands"},  # one function per command
    {"guard", "cli", "__main__"},  # the command line
]
FLOOR = {name: number for number, names in enumerate(FLOORS) for name in names}


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Modules of compiler/ that `name` imports anywhere in its body (lazy imports too)."""
    package = name.split(".")[:-1]  # a module's package; __init__ is its own package's module
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
            elif node.module and node.module.split(".")[0] == "compiler":
                base, node_module = [], node.module.split(".", 1)[1:] or [""]
                node = ast.ImportFrom(module=node_module[0] or None, names=node.names, level=0)
            else:
                continue
            target = [*base, *(node.module.split(".") if node.module else [])]
            for alias in node.names:
                candidate = ".".join([*target, alias.name])
                module = candidate if candidate in known else ".".join(target) or "__init__"
                if module not in known and f"{module}.__init__" in known:
                    module = f"{module}.__init__"
                found.add(module)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "compiler":
                    found.add(alias.name.split(".", 1)[1] if "." in alias.name else "__init__")
    found.discard(name)
    return {module for module in found if module in known}


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports_of(name, path, set(found)) for name, path in found.items()}


def floor_of(module: str) -> int:
    return FLOOR[module.split(".")[0]]


def test_every_module_has_a_floor() -> None:
    unplaced = sorted({name.split(".")[0] for name in modules()} - FLOOR.keys())
    assert not unplaced, f"add these to FLOORS in tests/test_layering.py: {unplaced}"


def test_no_module_imports_a_higher_floor() -> None:
    upward = [
        f"{module} (floor {floor_of(module)}) imports {target} (floor {floor_of(target)})"
        for module, targets in graph().items()
        for target in sorted(targets)
        if floor_of(target) > floor_of(module)
    ]
    assert not upward, "\n".join(upward)


def test_the_import_graph_has_no_cycle() -> None:
    edges = graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[module] = 2
        return None

    for module in sorted(edges):
        if module not in state and (cycle := visit(module)):
            pytest.fail(" -> ".join(cycle))


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("reports", "run.build"),  # reporters read results, not the orchestrator
    ],
)
def test_named_edges_stay_absent(module: str, forbidden: str) -> None:
    offenders = [name for name, targets in graph().items() if name.startswith(module) and forbidden in targets]
    assert not offenders


def main() -> None:
    edges = graph()
    for number, names in enumerate(FLOORS):
        members = sorted(module for module in edges if floor_of(module) == number)
        sys.stdout.write(f"floor {number} ({', '.join(sorted(names))}):\n")
        for module in members:
            sys.stdout.write(f"  {module} -> {', '.join(sorted(edges[module])) or '-'}\n")


if __name__ == "__main__":
    main()
