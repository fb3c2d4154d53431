"""The packages keep their layers: read from the import graph of every featcmp module.

No import cycles; `config/` a leaf; `data/` below features, models, pipelines, run and report;
the reporter and records never reach the run side; the shared leaves import no layer but
`config/`; and no module imports another module's `_`-prefixed (private) name: modules talk
through public names only.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.robustness_helpers import ROOT

PACKAGE = ROOT / "featcmp"
LAYERS = ("cli", "run", "report", "pipelines", "models", "features", "data", "config")
SHARED_LEAVES = (
    "featcmp.errors",
    "featcmp.files",
    "featcmp.memory",
    "featcmp.progress",
    "featcmp.plugins",
    "featcmp.devices",
    "featcmp.provenance",
    "featcmp.families",
    "featcmp.costs",
)


@dataclass(frozen=True)
class Import:
    """`module` imports `target` (a featcmp module), or the name `name` from it."""

    module: str
    target: str
    name: str | None = None


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_paths() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(module: str, tree: ast.AST, modules: dict[str, Path]) -> Iterator[Import]:
    """Every featcmp import in `tree`, at the top or inside a function."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    yield Import(module, alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                # `from featcmp.run import sweep` imports the module featcmp.run.sweep.
                submodule = f"{node.module}.{alias.name}"
                if submodule in modules:
                    yield Import(module, submodule)
                elif node.module in modules:
                    yield Import(module, node.module, alias.name)


def all_imports() -> list[Import]:
    modules = module_paths()
    found = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found.extend(i for i in imports_of(name, tree, modules) if i.target != name)
    return found


def import_graph() -> dict[str, set[str]]:
    """featcmp module -> the featcmp modules it imports (at the top or inside a function)."""
    graph: dict[str, set[str]] = {name: set() for name in module_paths()}
    for i in all_imports():
        graph[i.module].add(i.target)
    return graph


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def bound_modules(tree: ast.AST, modules: dict[str, Path]) -> dict[str, str]:
    """Local name -> the featcmp module bound to it (`from featcmp.run import cache as c`)."""
    bound: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            bound |= {a.asname: a.name for a in node.names if a.asname and a.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                if f"{node.module}.{a.name}" in modules:
                    bound[a.asname or a.name] = f"{node.module}.{a.name}"
    return bound


def private_names_in(module: str, tree: ast.AST, modules: dict[str, Path]) -> set[str]:
    """The private names `module` takes from other featcmp modules: imported by name, or read
    as an attribute of a module it imported (`cache._path`)."""
    found = {
        f"{i.target}.{i.name}"
        for i in imports_of(module, tree, modules)
        if i.name is not None and is_private(i.name) and i.target != module
    }
    bound = bound_modules(tree, modules)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in bound
            and is_private(node.attr)
        ):
            found.add(f"{bound[node.value.id]}.{node.attr}")
    return found


def private_crossings() -> set[tuple[str, str]]:
    """(module, target.name) for every private name a featcmp module takes from another."""
    modules = module_paths()
    return {
        (name, crossing)
        for name, path in modules.items()
        for crossing in private_names_in(name, ast.parse(path.read_text("utf-8")), modules)
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def reaches(module: str, layers: tuple[str, ...]) -> list[str]:
    """The modules of `layers` that `module` imports directly."""
    forbidden = tuple(f"featcmp.{layer}" for layer in layers)
    return sorted(t for t in import_graph()[module] if t.startswith(forbidden))


def modules_of(prefix: str) -> list[str]:
    return sorted(m for m in module_paths() if m == prefix or m.startswith(prefix + "."))


def test_the_import_graph_sees_the_packages():
    graph = import_graph()
    assert {"featcmp.config.schema", "featcmp.run.executor", "featcmp.cli.app"} <= set(graph)
    assert "featcmp.run.executor" in graph["featcmp.run.sweep"]
    assert "featcmp.memory" in graph["featcmp.data.folder"]


def test_no_import_cycles_between_modules():
    assert find_cycle(import_graph()) is None


def test_config_is_a_leaf():
    above = tuple(layer for layer in LAYERS if layer != "config")
    for module in modules_of("featcmp.config"):
        assert not reaches(module, above), module


def test_data_imports_nothing_of_the_layers_above_it():
    # Drawing a dataset is the report's (report/montage.py), sizing it against memory a
    # shared leaf's (featcmp.memory); neither pulls models or matplotlib into the data layer.
    above = ("models", "report", "features", "pipelines", "run", "cli")
    for module in modules_of("featcmp.data"):
        assert not reaches(module, above), module


def test_report_and_records_import_nothing_of_the_run_side():
    run_side = ("run", "models", "features", "pipelines")
    for module in [*modules_of("featcmp.report"), "featcmp.records", "featcmp.files"]:
        assert not reaches(module, run_side), module


def test_shared_leaves_import_no_layer_but_config():
    # config is the bottom layer (a leaf itself): a leaf may declare its parameters with it.
    above = tuple(layer for layer in LAYERS if layer != "config")
    for module in SHARED_LEAVES:
        assert not reaches(module, above), module


def test_the_private_name_walk_sees_both_forms():
    source = (
        "from featcmp.run.cache import _path, __doc__\n"
        "from featcmp.run import cache as c\n"
        "c._unlink(c.prune)\n"
    )
    modules = {"featcmp.run.cache": Path(), "featcmp.x": Path()}
    found = private_names_in("featcmp.x", ast.parse(source), modules)
    assert found == {"featcmp.run.cache._path", "featcmp.run.cache._unlink"}


def test_no_private_name_crosses_a_module():
    found = sorted(private_crossings())
    assert not found, f"private names taken from another module (make them public): {found}"
