"""One engine: `run` and `sweep` share one job path, and the packages keep their layers.

The same config gives the same exit status and the same records under both commands: bad
input exits 2 before any fit with nothing written, a job failing at run time exits 1 with a
`failed` record while the others go on, a bug exits 3, and finished jobs are resumed.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from featcmp.records import load_records, read_record
from tests.robustness_helpers import (
    ROOT,
    TINY,
    assert_no_output,
    assert_one_line_error,
    invoke,
    write_config,
)

PACKAGE = ROOT / "featcmp"
NAN_CNN = {  # lr 1e30: the first step throws the weights to ~1e30 and the next loss overflows
    "name": "cnn",
    "params": {"lr": 1.0e30, "epochs": 1, "batch_size": 16, "schedule": "constant"},
}
COMMANDS = ("run", "sweep")


# --- the import graph -----------------------------------------------------------------------


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """featcmp module -> the featcmp modules it imports (at the top or inside a function)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from featcmp.run import sweep` imports the module featcmp.run.sweep.
                targets = [
                    f"{node.module}.{a.name}"
                    if f"{node.module}.{a.name}" in modules
                    else node.module
                    for a in node.names
                ]
            else:
                continue
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


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


def test_the_import_graph_sees_the_packages():
    graph = import_graph()
    assert {"featcmp.config.schema", "featcmp.run.executor", "featcmp.cli.app"} <= set(graph)
    assert "featcmp.run.executor" in graph["featcmp.run.sweep"]


def test_no_import_cycles_between_modules():
    assert find_cycle(import_graph()) is None


def test_config_is_a_leaf():
    above = ("run", "report", "models", "features", "data", "pipelines", "cli")
    forbidden = tuple(f"featcmp.{name}" for name in above)
    for module, targets in import_graph().items():
        if module.startswith("featcmp.config"):
            assert not [t for t in targets if t.startswith(forbidden)], module


def test_report_and_records_import_nothing_of_the_run_side():
    forbidden = ("featcmp.run", "featcmp.models", "featcmp.features", "featcmp.pipelines")
    for module, targets in import_graph().items():
        if module.startswith(("featcmp.report", "featcmp.records", "featcmp.files")):
            assert not [t for t in targets if t.startswith(forbidden)], module


# --- the same behaviour under run and sweep -------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_bad_geometry_is_bad_input_under_both(tmp_path: Path, command: str):
    # 8x8 digits cannot take 3x3 blocks of 8x8 cells: caught before raw_svm is fitted.
    hog = {"name": "hog_svm", "params": {"hog": {"pixels_per_cell": [8, 8]}}}
    data = {"name": "geo", "dataset": TINY, "pipelines": ["raw_svm", hog]}
    config = write_config(tmp_path / "c.yaml", data)
    out = tmp_path / "runs"
    result = invoke(command, config, "--out", out)
    line = assert_one_line_error(result, out, "pipelines[1] (hog_svm)", "too small for HOG")
    assert "images of 8x8" in line
    assert_no_output(out)


@pytest.mark.parametrize("command", COMMANDS)
def test_nan_loss_is_a_failed_job_under_both(tmp_path: Path, command: str):
    data = {"name": "nan", "dataset": TINY, "pipelines": [NAN_CNN, "raw_svm"]}
    config = write_config(tmp_path / "c.yaml", data)
    out = tmp_path / "runs"
    result = invoke(command, config, "--out", out, "-q")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    records = {r.pipeline: r for r in load_records(out)}
    assert records["cnn"].status == "failed" and records["cnn"].error_kind == "run"
    assert "training loss became nan" in records["cnn"].error
    assert records["raw_svm"].status == "ok" and records["raw_svm"].accuracy > 0.5


@pytest.mark.parametrize("command", COMMANDS)
def test_a_bug_in_one_job_exits_3_and_the_others_go_on(tmp_path: Path, command, monkeypatch):
    from featcmp.features.edges import EdgeFeatures

    def broken(self, X):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(EdgeFeatures, "transform", broken)
    data = {"name": "bug", "dataset": TINY, "pipelines": ["edges_svm", "raw_svm"]}
    out = tmp_path / "runs"
    result = invoke(command, write_config(tmp_path / "c.yaml", data), "--out", out, "-q")
    assert result.exit_code == 3, result.output
    records = {r.pipeline: r for r in load_records(out)}
    assert records["edges_svm"].status == "failed"
    assert records["edges_svm"].error_kind == "internal"
    assert "ZeroDivisionError" in records["edges_svm"].error
    assert records["raw_svm"].status == "ok"


@pytest.mark.parametrize("command", COMMANDS)
def test_a_second_run_resumes_every_job_and_force_reruns(tmp_path: Path, command: str):
    data = {"name": "again", "dataset": TINY, "pipelines": ["raw_svm", "edges_svm"]}
    config = write_config(tmp_path / "c.yaml", data)
    out = tmp_path / "runs"
    first = invoke(command, config, "--out", out)
    assert first.exit_code == 0, first.output
    assert "raw_svm" in first.stdout and "edges_svm" in first.stdout  # the table
    files = sorted((out / "again").glob("*.json"))
    before = {p: p.read_bytes() for p in files}

    second = invoke(command, config, "--out", out)
    assert second.exit_code == 0, second.output
    assert "2 runs, 0 to run, 2 already ok" in second.stderr
    assert "ran 0" in second.stderr
    assert "raw_svm" in second.stdout  # the table still shows every job
    assert {p: p.read_bytes() for p in files} == before  # untouched

    forced = invoke(command, config, "--out", out, "--force", "-q")
    assert forced.exit_code == 0, forced.output
    assert "2 runs, 2 to run" in forced.stderr and "ran 2" in forced.stderr
    assert forced.stdout == ""  # --quiet: no table
    assert sorted((out / "again").glob("*.json")) == files
    stamps = [json.loads(p.read_text())["timestamp"] for p in files]
    assert all(stamps)


# --- records ------------------------------------------------------------------------------


def test_version_1_records_stay_readable(tmp_path: Path):
    old = {
        "schema": 1,
        "id": "abc",
        "pipeline": "cnn",
        "status": "failed",
        "accuracy": None,
        "dataset": {"name": "digits"},
        "config": {},
        "seed": 0,
        "error": "training loss became nan",
    }
    path = tmp_path / "cnn-abc.json"
    path.write_text(json.dumps(old))
    record = read_record(path)
    assert record is not None and record.error_kind == "run"
