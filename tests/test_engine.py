"""One engine: `run` and `sweep` share one job path (the layers: tests/test_layers.py).

The same config gives the same exit status and the same records under both commands: bad
input exits 2 before any fit with nothing written, a job failing at run time exits 1 with a
`failed` record while the others go on, a bug exits 3, and finished jobs are resumed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from featcmp.records import load_records, read_record
from tests.robustness_helpers import (
    TINY,
    assert_no_output,
    assert_one_line_error,
    invoke,
    write_config,
)

NAN_CNN = {  # lr 1e30: the first step throws the weights to ~1e30 and the next loss overflows
    "name": "cnn",
    "params": {"lr": 1.0e30, "epochs": 1, "batch_size": 16, "schedule": "constant"},
}
COMMANDS = ("run", "sweep")


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


# --- one build per job ----------------------------------------------------------------------


def test_a_job_builds_its_pipeline_once(tmp_path: Path, monkeypatch):
    # The pre-check, the cost estimate, the run and the selection share one build of a job's
    # pipeline and of each candidate of its `select.grid`.
    import sys

    import featcmp.run.executor  # noqa: F401  (every run module that may build, loaded)
    from featcmp import pipelines
    from featcmp.run.executor import execute, preflight
    from featcmp.run.jobs import load_jobs

    select = {"grid": {"svm.C": [0.1, 10]}, "cv": 2}
    hog = {"name": "hog_svm", "params": {"hog": {"pixels_per_cell": [4, 4]}}, "select": select}
    data = {"name": "once", "dataset": TINY, "seeds": [0, 1], "pipelines": ["raw_svm", hog]}
    jobs = load_jobs([write_config(tmp_path / "c.yaml", data)])
    builds: list[str] = []

    def counting(name, params=None, where="pipeline"):
        builds.append(name)
        return pipelines.build_pipeline(name, params, where)

    for module in [m for name, m in sys.modules.items() if name.startswith("featcmp.run")]:
        if hasattr(module, "build_pipeline"):
            monkeypatch.setattr(module, "build_pipeline", counting)
    preflight(jobs)
    assert all(execute(job).status == "ok" for job in jobs)
    # Per seed: raw_svm once; hog_svm once and its two candidates once each.
    assert sorted(builds) == sorted(["raw_svm"] * 2 + ["hog_svm"] * 6)
