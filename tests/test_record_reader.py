"""One record reader: "not a record" and "unreadable record" told apart by report, check and
the resume logic of run and sweep."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from featcmp.cli import app
from featcmp.records import SCHEMA_VERSION, Unreadable, read_one, read_records
from featcmp.report.regression import Baseline, BaselineRow, check_against, current_rows
from featcmp.run import sweep as sw
from featcmp.run.jobs import load_jobs
from tests.reportdata import write_json

runner = CliRunner()


def record(pipeline: str, seed: int, accuracy: float, **config) -> dict:
    return {
        "schema": SCHEMA_VERSION,
        "id": f"{pipeline}-{seed}-{json.dumps(config, sort_keys=True)}",
        "pipeline": pipeline,
        "status": "ok",
        "accuracy": accuracy,
        "macro_f1": accuracy,
        "family": "hand-crafted",
        "dataset": {"name": "digits", "n_train": 100, "n_test": 400},
        "config": {"dataset": {"source": "digits"}, "pipeline": {"name": pipeline, **config}},
        "seed": seed,
    }


def test_read_one_tells_not_a_record_from_unreadable(tmp_path):
    good = tmp_path / "good.json"
    write_json(good, record("hog_svm", 0, 0.9))
    truncated = tmp_path / "truncated.json"
    truncated.write_text(good.read_text()[:40])
    other = tmp_path / "other.json"
    other.write_text('{"anything": 1}')
    future = tmp_path / "future.json"
    future.write_text(json.dumps({**record("hog_svm", 0, 0.9), "schema": 99}))
    assert read_one(good).accuracy == 0.9
    assert read_one(other) is None and read_one(tmp_path / "absent.json") is None
    for path in (truncated, future):
        got = read_one(path)
        assert isinstance(got, Unreadable) and got.path == path
    records, unreadable = read_records(tmp_path)
    assert len(records) == 1
    assert sorted(u.path.name for u in unreadable) == ["future.json", "truncated.json"]
    assert "invalid JSON" in next(u for u in unreadable if u.path == truncated).reason


def test_check_names_an_unreadable_record_and_counts_it_missing(tmp_path):
    runs = tmp_path / "runs"
    for seed, acc in enumerate([0.90, 0.91]):
        write_json(runs / "cfg" / f"hog_svm-{seed}.json", record("hog_svm", seed, acc))
    (runs / "cfg" / "cnn-0.json").write_text('{"schema": 2, "id": "x", "pipe')
    baseline = Baseline(rows=[BaselineRow("digits", "hog_svm", 0.905, 0.02)])
    rows = check_against(runs, baseline)
    (bad,) = [r for r in rows if r.status == "MISSING"]
    assert bad.pipeline == str(Path("cfg") / "cnn-0.json") and "unreadable" in bad.note
    assert any(r.failed for r in rows)
    base = tmp_path / "baseline.yaml"
    base.write_text(yaml.safe_dump({"version": 1, "rows": [vars(baseline.rows[0])]}))
    result = runner.invoke(app, ["check", str(runs), "--baseline", str(base)])
    assert result.exit_code == 1
    assert "cnn-0.json" in result.output and "FAIL" in result.output


def test_check_keeps_two_settings_of_a_pipeline_apart(tmp_path):
    runs = tmp_path / "runs"
    for C, acc in ((10, 0.95), (0.01, 0.40)):
        r = record("hog_svm", 0, acc, params={"svm": {"C": C}})
        write_json(runs / "cfg" / f"hog_svm-{C}.json", r)
    rows = current_rows(runs)
    assert sorted(p for _, p in rows) == ["hog_svm [C=0.01]", "hog_svm [C=10]"]
    assert sorted(r.mean for r in rows.values()) == [0.40, 0.95]


def test_resume_reruns_a_job_whose_record_is_unreadable(tmp_path):
    config = tmp_path / "a.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "name": "a",
                "dataset": {"source": "digits", "max_train": 200, "max_test": 100},
                "pipelines": ["raw_svm"],
            }
        )
    )
    out = tmp_path / "runs"
    jobs = load_jobs([config])
    sw.run_sweep(sw.plan(jobs, out).todo, out)
    (path,) = (out / "a").glob("*.json")
    assert len(sw.plan(jobs, out).done) == 1
    path.write_text(path.read_text()[:100])  # a truncated record is not a finished job
    plan = sw.plan(jobs, out)
    assert plan.done == [] and [j.record_path(out) for j in plan.todo] == [path]
    assert [u.path for u in plan.unreadable] == [path]
    result = runner.invoke(app, ["run", str(config), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "unreadable record" in result.output and read_one(path).status == "ok"


def test_run_table_shows_two_settings_of_a_pipeline_as_two_rows(tmp_path):
    configs = []
    for C in (0.01, 10):
        path = tmp_path / f"c{C}.yaml"
        raw = {
            "name": f"c{C}".replace(".", "_"),
            "dataset": {"source": "digits", "max_train": 200, "max_test": 100},
            "pipelines": [{"name": "raw_svm", "params": {"svm": {"C": C}}}],
        }
        path.write_text(yaml.safe_dump(raw))
        configs.append(str(path))
    result = runner.invoke(app, ["sweep", *configs, "--out", str(tmp_path / "runs")])
    assert result.exit_code == 0, result.output
    assert "raw_svm [C=0.01]" in result.output and "raw_svm [C=10]" in result.output


GOOD = {**record("hog_svm", 0, 0.5), "y_true": [0, 1, 1, 0], "predictions": [0, 1, 0, 1]}
GOOD["dataset"] = {**GOOD["dataset"], "n_test": 4}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"accuracy": True}, "accuracy: expected a number, got a boolean"),
        ({"accuracy": 1.5}, "accuracy 1.5 is not in [0, 1]"),
        ({"accuracy": float("nan")}, "accuracy nan is not in [0, 1]"),
        ({"accuracy": 0.75}, "accuracy 0.75, but 0.5 of its predictions are right"),
        ({"predictions": [0, 1]}, "2 predictions for 4 test labels (y_true)"),
        ({"predictions": None}, "predictions missing beside the other"),
        ({"dataset": {"name": "digits", "n_test": 5}}, "4 test labels (y_true), but n_test is 5"),
        ({"status": "done"}, "status 'done', expected one of ok, failed"),
        ({"seed": "0"}, "seed: expected an integer, got a string '0'"),
        ({"dataset": {"n_test": 4}}, "missing key 'dataset.name'"),
        ({"y_true": [0, 1, "1", 0]}, "y_true[2]: expected an integer"),
    ],
)
def test_a_record_is_read_only_when_its_fields_agree(tmp_path, changes, reason):
    path = tmp_path / "r.json"
    write_json(path, GOOD)
    assert read_one(path).accuracy == 0.5
    write_json(path, {**GOOD, **changes})
    got = read_one(path)
    assert isinstance(got, Unreadable) and reason in got.reason, got


def test_check_counts_a_record_that_fails_its_checks_as_missing(tmp_path):
    runs = tmp_path / "runs"
    write_json(runs / "cfg" / "good.json", GOOD)
    write_json(runs / "cfg" / "bad.json", {**GOOD, "id": "other", "accuracy": "x"})
    rows = check_against(runs, Baseline(rows=[]))
    (missing,) = [r for r in rows if r.status == "MISSING"]
    assert missing.pipeline == "cfg/bad.json" and "accuracy: expected a number" in missing.note
