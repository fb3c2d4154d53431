"""`featcmp check` and `featcmp baseline`: the accuracy table against a committed baseline."""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from featcmp.cli import app
from featcmp.records import SCHEMA_VERSION
from featcmp.report.regression import (
    Baseline,
    BaselineRow,
    band,
    binomial_std,
    check_against,
    make_baseline,
    read_baseline,
    write_baseline,
)
from tests.reportdata import write_json

runner = CliRunner()


def record(dataset: str, pipeline: str, seed: int, accuracy: float | None, **kw) -> dict:
    n_train, n_test, path = kw.get("n_train", 100), kw.get("n_test", 400), kw.get("path")
    return {
        "schema": SCHEMA_VERSION,
        "id": f"{dataset}-{pipeline}-{seed}-{n_train}",
        "pipeline": pipeline,
        "status": "ok" if accuracy is not None else "failed",
        "accuracy": accuracy,
        "macro_f1": accuracy,
        "family": "hand-crafted",
        "dataset": {"name": dataset, "n_train": n_train, "n_test": n_test},
        "config": {"dataset": {"source": "idx", "path": path}},
        "seed": seed,
        "feature_dim": 4,
        "learned_params": 4,
        "fit_seconds": 0.1,
        "predict_seconds": 0.1,
    }


def write_runs(folder: Path, table: dict[tuple[str, str], list[float | None]], **kw) -> Path:
    for (dataset, pipeline), accs in table.items():
        for seed, acc in enumerate(accs):
            r = record(dataset, pipeline, seed, acc, **kw)
            write_json(folder / "cfg" / f"{r['id']}.json", r)
    return folder


CALIBRATION = {
    ("scenes", "hog_svm"): [0.84, 0.86, 0.85, 0.83, 0.87],
    ("scenes", "cnn"): [0.80, 0.78, 0.82, 0.79, 0.81],
}


@pytest.fixture
def baseline_file(tmp_path) -> Path:
    runs = write_runs(tmp_path / "calib", CALIBRATION)
    out = tmp_path / "baseline.yaml"
    result = runner.invoke(app, ["baseline", str(runs), "--out", str(out), "--note", "a note"])
    assert result.exit_code == 0, result.output
    return out


def check(directory: Path, baseline: Path, *extra: str):
    return runner.invoke(app, ["check", str(directory), "--baseline", str(baseline), *extra])


def test_baseline_holds_mean_and_calibrated_band(baseline_file):
    text = baseline_file.read_text()
    assert text.startswith("# featcmp accuracy baseline")
    assert "# a note" in text and "tolerance = max(3 * max(std over seeds" in text
    rows = {(r.dataset, r.pipeline): r for r in read_baseline(baseline_file).rows}
    hog = rows[("scenes", "hog_svm")]
    assert hog.accuracy == pytest.approx(0.85)
    assert hog.calibration["runs"] == 5
    assert hog.calibration["min"] == 0.83 and hog.calibration["max"] == 0.87
    std = 0.0158114  # sample std of the five values
    assert hog.calibration["std"] == pytest.approx(std, abs=1e-4)
    # 3 * max(seed std, binomial std on 400 test images = 0.01785) = 0.0536, rounded up
    assert binomial_std(0.85, 400) == pytest.approx(math.sqrt(0.85 * 0.15 / 400))
    assert hog.tolerance == 0.054


def test_band_rules():
    # Seed-to-seed spread dominates.
    assert band([0.5, 0.7, 0.6], n_test=10_000, sigmas=3, floor=0.01) == pytest.approx(0.3)
    # Identical runs on a small test set: the binomial std keeps the band open.
    assert band([0.9] * 5, n_test=100, sigmas=3, floor=0.01) == pytest.approx(0.09)
    # A perfect row: the floor.
    assert band([1.0] * 5, n_test=100, sigmas=3, floor=0.01) == pytest.approx(0.01)


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_baseline_round_trip(tmp_path, suffix):
    runs = write_runs(tmp_path / "calib", CALIBRATION, path="data/x")
    made = make_baseline(runs, sigmas=2.5, floor=0.02, notes=["hello"])
    path = write_baseline(made, tmp_path / f"b{suffix}")
    if suffix == ".json":
        assert json.loads(path.read_text())["about"][-1] == "hello"
    else:
        assert yaml.safe_load(path.read_text())["version"] == 1
    back = read_baseline(path)
    assert back.rows == made.rows
    assert {r.requires for r in back.rows} == {"data/x"}
    assert all(r.tolerance >= 0.02 for r in back.rows)


def test_equal_table_passes_and_prints_every_row(tmp_path, baseline_file):
    result = check(tmp_path / "calib", baseline_file)
    assert result.exit_code == 0, result.output
    for name in ("hog_svm", "cnn", "baseline", "now", "difference", "status"):
        assert name in result.output
    assert "0.850" in result.output and "+0.000" in result.output
    assert result.output.strip().endswith("pass")


def test_drop_within_the_band_passes_beyond_it_fails(tmp_path, baseline_file):
    within = write_runs(tmp_path / "within", {**CALIBRATION, ("scenes", "hog_svm"): [0.80]})
    assert check(within, baseline_file).exit_code == 0  # 0.05 below, band 0.054
    beyond = write_runs(tmp_path / "beyond", {**CALIBRATION, ("scenes", "hog_svm"): [0.79]})
    result = check(beyond, baseline_file)
    assert result.exit_code == 1, result.output
    line = next(ln for ln in result.output.splitlines() if "hog_svm" in ln)
    assert "DROP" in line and "-0.060" in line and "0.790" in line
    assert "FAIL" in result.output.splitlines()[-1]


def test_tolerance_option_overrides_every_band(tmp_path, baseline_file):
    runs = write_runs(tmp_path / "r", {**CALIBRATION, ("scenes", "cnn"): [0.78]})
    assert check(runs, baseline_file).exit_code == 0  # 0.02 below, band > 0.05
    assert check(runs, baseline_file, "--tolerance", "0.01").exit_code == 1
    assert check(write_runs(tmp_path / "s", {**CALIBRATION, ("scenes", "cnn"): [0.70]}),
                 baseline_file, "--tolerance", "0.2").exit_code == 0  # fmt: skip


def test_improvement_passes_with_a_note(tmp_path, baseline_file):
    runs = write_runs(tmp_path / "r", {**CALIBRATION, ("scenes", "cnn"): [0.99]})
    result = check(runs, baseline_file)
    assert result.exit_code == 0 and "improved" in result.output


def test_missing_row_fails(tmp_path, baseline_file):
    runs = write_runs(tmp_path / "r", {("scenes", "hog_svm"): [0.85]})
    result = check(runs, baseline_file)
    assert result.exit_code == 1
    line = next(ln for ln in result.output.splitlines() if " cnn " in ln)
    assert "MISSING" in line


def test_row_whose_data_is_absent_is_skipped_not_missing(tmp_path):
    present = tmp_path / "data"
    present.mkdir()
    write_runs(tmp_path / "calib", {("mnist", "cnn"): [0.9, 0.91]}, path=str(tmp_path / "gone"))
    write_runs(tmp_path / "calib", {("fashion", "cnn"): [0.8, 0.81]}, path=str(present))
    baseline = write_baseline(make_baseline(tmp_path / "calib"), tmp_path / "b.yaml")
    empty = tmp_path / "runs"
    empty.mkdir()
    rows = {r.dataset: r for r in check_against(empty, read_baseline(baseline))}
    assert rows["mnist"].status == "skipped" and not rows["mnist"].failed
    assert rows["fashion"].status == "MISSING" and rows["fashion"].failed  # its data is there
    result = check(empty, baseline)
    assert result.exit_code == 1 and "skipped" in result.output


def test_failed_runs_and_changed_size_fail(tmp_path, baseline_file):
    failed = write_runs(tmp_path / "f", {**CALIBRATION, ("scenes", "cnn"): [None]})
    result = check(failed, baseline_file)
    assert result.exit_code == 1 and "FAILED" in result.output
    resized = write_runs(tmp_path / "n", CALIBRATION, n_train=50)
    result = check(resized, baseline_file)
    assert result.exit_code == 1 and "CHANGED" in result.output and "n_train 50" in result.output


def test_rows_not_in_the_baseline_are_listed_but_pass(tmp_path, baseline_file):
    runs = write_runs(tmp_path / "r", {**CALIBRATION, ("scenes", "mlp"): [0.5]})
    result = check(runs, baseline_file)
    assert result.exit_code == 0 and "not in baseline" in result.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rows: [{dataset: a, pipeline: b}]", "missing key 'rows[0].accuracy'"),
        ("rows: [{dataset: a, pipeline: b, accuracy: 0.5, tolerence: 1}]", "did you mean"),
        ("rows: [{dataset: a, pipeline: b, accuracy: 0.5, tolerance: -1}]", "must be >= 0"),
        ("[1, 2]", "expected a baseline mapping"),
        ("rows: [", "invalid YAML"),
    ],
)
def test_bad_baseline_file_is_one_line_exit_2(tmp_path, text, message):
    bad = tmp_path / "b.yaml"
    bad.write_text(text)
    write_runs(tmp_path / "r", CALIBRATION)
    result = runner.invoke(app, ["check", str(tmp_path / "r"), "--baseline", str(bad)])
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_missing_runs_folder_and_empty_baseline_source_are_user_errors(tmp_path, baseline_file):
    assert check(tmp_path / "nope", baseline_file).exit_code == 2
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["baseline", str(tmp_path / "empty"), "--out", "x.yaml"])
    assert result.exit_code == 2 and "no run records" in result.output


def test_regression_module_imports_neither_sklearn_nor_torch():
    code = (
        "import sys, featcmp.report.regression; "
        "print([m for m in sys.modules if m.split('.')[0] in ('sklearn', 'torch')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_check_baseline_and_report_count_a_duplicated_job_once(tmp_path):
    """The same job saved under two config names is one run for every command."""
    runs = write_runs(tmp_path / "runs", {("scenes", "hog_svm"): [0.84, 0.86, 0.88]})
    first = runs / "cfg" / "scenes-hog_svm-0-100.json"
    (runs / "renamed").mkdir()
    (runs / "renamed" / first.name).write_text(first.read_text())  # seed 0 again
    result = runner.invoke(app, ["report", str(runs), "--format", "csv"])
    assert result.exit_code == 0, result.output
    (row,) = csv.DictReader(io.StringIO(result.stdout))
    assert row["runs"] == "3" and float(row["accuracy_mean"]) == pytest.approx(0.86)
    (made,) = make_baseline(runs).rows
    assert made.calibration["runs"] == 3 and made.accuracy == pytest.approx(0.86)
    (checked,) = check_against(runs, made_baseline(made))
    assert checked.now == pytest.approx(0.86) and checked.status == "ok"


def made_baseline(*rows: BaselineRow) -> Baseline:
    return Baseline(rows=list(rows))
