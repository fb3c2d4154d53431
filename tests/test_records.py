"""Result records: schema, metrics equal to scikit-learn's, atomic writes."""

from __future__ import annotations

import json
import os
from datetime import datetime

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from featcmp.files import atomic_write_bytes, atomic_write_text
from featcmp.records import load_records, read_record, write_record
from featcmp.run.jobs import expand_jobs, parse_config
from featcmp.run.metrics import classification_metrics
from featcmp.run.sweep import run_jobs

TOP_KEYS = {
    "pipeline",
    "accuracy",
    "macro_f1",
    "per_class_accuracy",
    "confusion_matrix",
    "feature_dim",
    "learned_params",
    "fit_seconds",
    "predict_seconds",
    "seed",
    "versions",
    "timestamp",
    "dataset",
    "config",
}
DATASET_KEYS = {"name", "fingerprint", "n_train", "n_test", "image_shape", "class_names"}


@pytest.fixture(scope="module")
def run_records(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    cfg = parse_config(
        {
            "name": "schema",
            "seed": 2,
            "dataset": {"source": "digits", "max_train": 120, "max_test": 60},
            "pipelines": [
                "raw_svm",
                {"name": "mlp", "params": {"hidden": [16], "epochs": 2}},
            ],
        }
    )
    return out, list(run_jobs(expand_jobs(cfg), out))


def test_record_schema(run_records):
    records = [r.to_json() for r in run_records[1]]  # as the files hold them
    assert [r["pipeline"] for r in records] == ["raw_svm", "mlp"]
    for record in records:
        assert record.keys() >= TOP_KEYS
        assert record["dataset"].keys() >= DATASET_KEYS
        ds = record["dataset"]
        assert ds["name"] == "digits"
        assert (ds["n_train"], ds["n_test"]) == (120, 60)
        assert ds["image_shape"] == [8, 8]
        assert ds["class_names"] == [str(i) for i in range(10)]
        assert record["seed"] == 2
        assert record["status"] == "ok"
        cm = np.array(record["confusion_matrix"])
        assert cm.shape == (10, 10) and cm.sum() == 60
        assert record["accuracy"] == pytest.approx(np.trace(cm) / 60)
        assert len(record["per_class_accuracy"]) == 10
        assert record["feature_dim"] > 0 and record["learned_params"] > 0
        assert record["fit_seconds"] >= 0 and record["predict_seconds"] >= 0
        assert {"featcmp", "numpy", "scikit-learn", "torch"} <= record["versions"].keys()
        assert datetime.fromisoformat(record["timestamp"]).tzinfo is not None
        assert record["config"]["dataset"]["source"] == "digits"
        assert record["config"]["pipeline"]["name"] == record["pipeline"]
        assert record["config"]["seed"] == 2
    raw, mlp = records
    assert raw["feature_dim"] == 64
    assert mlp["feature_dim"] == 16  # the last hidden layer feeds the output
    assert mlp["learned_params"] == 64 * 16 + 16 + 16 * 10 + 10


def test_records_on_disk_equal_returned(run_records):
    out, records = run_records
    files = sorted((out / "schema").glob("*.json"))
    assert len(files) == 2
    on_disk = {r["id"]: r for r in (json.loads(f.read_text()) for f in files)}
    for record in records:
        assert on_disk[record.id] == json.loads(json.dumps(record.to_json()))
        assert (out / "schema" / f"{record.pipeline}-{record.id}.json").exists()
    by_id = {r.id: r for r in records}
    assert {r.id: r for r in load_records(out)} == by_id  # read back as they were returned


def test_failed_run_is_recorded_and_others_go_on(tmp_path):
    cfg = parse_config(
        {
            "name": "nan",
            "dataset": {"source": "digits", "max_train": 64, "max_test": 30},
            "pipelines": [
                {
                    "name": "mlp",
                    "params": {"lr": 1e30, "epochs": 3, "optimizer": "sgd", "hidden": [8]},
                },
                "raw_svm",
            ],
        }
    )
    failed, ok = run_jobs(expand_jobs(cfg), tmp_path)
    assert failed.status == "failed" and failed.accuracy is None
    assert "training loss became nan" in failed.error
    assert ok.status == "ok"
    assert len(load_records(tmp_path)) == 2


@pytest.mark.parametrize("seed", range(8))
def test_metrics_equal_sklearn(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 7))
    n = int(rng.integers(5, 60))
    y_true = rng.integers(0, k, n)
    # Mostly right, sometimes a class that never occurs in y_true.
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, k, n))
    m = classification_metrics(y_true, y_pred, k)
    assert m["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert m["macro_f1"] == pytest.approx(
        f1_score(y_true, y_pred, average="macro", zero_division=0)
    )
    cm = confusion_matrix(y_true, y_pred, labels=range(k))
    assert m["confusion_matrix"] == cm.tolist()
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.nan_to_num(np.diag(cm) / cm.sum(axis=1))
    np.testing.assert_allclose(m["per_class_accuracy"], recall)


def test_macro_f1_counts_a_class_only_predicted():
    y_true, y_pred = np.array([0, 0, 1, 1]), np.array([0, 2, 1, 1])
    m = classification_metrics(y_true, y_pred, 3)
    assert m["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))
    assert m["macro_f1"] == pytest.approx((2 / 3 + 1 + 0) / 3)


def test_metrics_are_plain_json():
    m = classification_metrics(np.array([0, 1, 1]), np.array([0, 1, 0]), 2)
    assert json.loads(json.dumps(m)) == m


def test_atomic_write_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "deep" / "r.json"
    atomic_write_text(target, "one\n")
    atomic_write_text(target, "two\n")
    atomic_write_bytes(tmp_path / "deep" / "b.bin", b"\x00\x01")
    assert target.read_text() == "two\n"
    assert (tmp_path / "deep" / "b.bin").read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in (tmp_path / "deep").iterdir()) == ["b.bin", "r.json"]


def test_failed_write_keeps_the_old_file_and_no_temporary(run_records, tmp_path, monkeypatch):
    target = tmp_path / "r.json"
    first, second = run_records[1]
    write_record(target, first)

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_record(target, second)
    monkeypatch.undo()
    assert read_record(target) == first
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_reader_ignores_temporaries_and_foreign_json(run_records, tmp_path):
    _, records = run_records
    good = tmp_path / "good.json"
    write_record(good, records[0])
    (tmp_path / ".good.json.abc.tmp").write_text("{half")
    (tmp_path / ".hidden.json").write_text(json.dumps(records[1].to_json()))
    (tmp_path / "other.json").write_text('{"hello": 1}')
    (tmp_path / "broken.json").write_text("{not json")
    assert read_record(tmp_path / "other.json") is None
    assert [r.id for r in load_records(tmp_path)] == [records[0].id]
