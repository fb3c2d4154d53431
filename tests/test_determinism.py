"""Determinism: the same config and seed twice give identical metrics and predictions on CPU."""

from __future__ import annotations

from pathlib import Path

from featcmp.records import load_records
from tests.robustness_helpers import TINY, invoke, write_config

# Every pipeline of the registry, small enough to fit in about a second each on CPU.
TORCH = {"epochs": 8, "batch_size": 16, "augment": False, "schedule": "constant", "device": "cpu"}
PIPELINES = [
    "raw_svm",
    {"name": "edges_svm", "params": {"edges": {"kernel": "sobel"}}},
    {"name": "hog_svm", "params": {"hog": {"pixels_per_cell": [2, 2]}}},
    {"name": "cnn", "params": {"channels": [4, 8], "hidden": 16, **TORCH}},
    {"name": "mlp", "params": {"hidden": [32], **TORCH}},
]
# What may differ between two identical runs: when and how fast.
VOLATILE = {"timestamp", "fit_seconds", "predict_seconds"}


def run_once(tmp_path: Path, out: str) -> dict[str, dict]:
    config = write_config(
        tmp_path / "c.yaml", {"name": "det", "seed": 3, "dataset": TINY, "pipelines": PIPELINES}
    )
    result = invoke("run", config, "--out", tmp_path / out, "-q")
    assert result.exit_code == 0, result.output
    return {r.pipeline: r for r in load_records(tmp_path / out)}


def test_same_config_and_seed_give_identical_results(tmp_path: Path):
    first, second = run_once(tmp_path, "a"), run_once(tmp_path, "b")
    assert sorted(first) == ["cnn", "edges_svm", "hog_svm", "mlp", "raw_svm"]
    for name, a in first.items():
        b = second[name]
        assert a.status == "ok", a.error
        assert a.predictions == b.predictions, name
        assert a.accuracy == b.accuracy and a.macro_f1 == b.macro_f1, name
        assert a.confusion_matrix == b.confusion_matrix, name
        assert a.dataset.fingerprint == b.dataset.fingerprint
        assert {k: v for k, v in a.to_json().items() if k not in VOLATILE} == {
            k: v for k, v in b.to_json().items() if k not in VOLATILE
        }, name
    # The learned pipelines really learned something (the check is not vacuous).
    assert first["cnn"].accuracy > 0.2 and first["mlp"].accuracy > 0.2
