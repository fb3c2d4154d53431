"""Hand-made run records for reporter tests: fixed numbers, no training."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from featcmp.files import atomic_write_text
from featcmp.records import SCHEMA_VERSION, Record
from featcmp.run.artifacts import png_base64
from featcmp.run.metrics import classification_metrics

CLASSES = ["car", "bus", "monument", "flower"]


def make_record(*args: Any, **kw: Any) -> Record:
    """A record as the runner writes it, with accuracy and confusion matrix from the lists
    (arguments as `record_json`'s)."""
    return Record.from_json(record_json(*args, **kw))


def record_json(
    pipeline: str,
    seed: int,
    y_true: list[int],
    predictions: list[int],
    n_train: int = 100,
    family: str = "hand-crafted",
    test_fingerprint: str | None = None,
    params: dict | None = None,
    artifacts: dict | None = None,
) -> dict[str, Any]:
    """A record's file as the runner writes it: accuracy and confusion matrix from the lists."""
    metrics = classification_metrics(np.array(y_true), np.array(predictions), len(CLASSES))
    config = {
        "name": "fixed",
        "seed": seed,
        "train_size": n_train,
        "dataset": {"source": "scenes", "path": None, "test_size": 0.25},
        "pipeline": {"name": pipeline, "params": params or {}},
    }
    return {
        "schema": SCHEMA_VERSION,
        "id": f"{pipeline}-{seed}-{n_train}",
        "config_name": "fixed",
        "pipeline": pipeline,
        "registry_name": pipeline,
        "family": family,
        "seed": seed,
        "train_size": n_train,
        "dataset": {
            "name": "scenes",
            "fingerprint": f"split-{seed}-{n_train}",
            "test_fingerprint": test_fingerprint or f"test-{seed}",
            "n_train": n_train,
            "n_test": len(y_true),
            "image_shape": [8, 8],
            "class_names": CLASSES,
            "own_test_split": False,
        },
        "config": config,
        "versions": {"featcmp": "0.1.0", "numpy": "2.0"},
        "timestamp": "2025-01-01T00:00:00+00:00",
        "status": "ok",
        "error": None,
        **metrics,
        "feature_dim": 64,
        "learned_params": 100,
        "solver": "SVC",
        "fit_seconds": 0.1,
        "predict_seconds": 0.01,
        "predictions": list(predictions),
        "y_true": list(y_true),
        "artifacts": artifacts if artifacts is not None else {},
    }


def image(seed: int, rgb: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.random((8, 8, 3) if rgb else (8, 8))


def full_artifacts(pipeline: str, y_true: list[int], predictions: list[int]) -> dict[str, Any]:
    """Artifacts of the kinds the runner stores: misclassified always, kernels or HOG by type."""
    out: dict[str, Any] = {
        "misclassified": [
            {"index": i, "true": t, "pred": p, "image": png_base64(image(i, rgb=True))}
            for i, (t, p) in enumerate(zip(y_true, predictions, strict=True))
            if t != p
        ][:8]
    }
    if pipeline == "cnn":
        rng = np.random.default_rng(0)
        out["first_layer_kernels"] = {
            "shape": [6, 3, 3, 3],
            "weights": rng.normal(size=(6, 3, 3, 3)).round(4).tolist(),
            "reference": {
                "name": "laplacian8",
                "weights": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
            },
        }
    if pipeline == "hog_svm":
        out["hog_samples"] = [
            {"index": k, "label": k, "image": png_base64(image(k)), "hog": png_base64(image(k + 9))}
            for k in range(3)
        ]
    return out


def write_json(path: Path, data: Any) -> None:
    """A file of JSON as given: a record of a hand-made (or broken) shape."""
    atomic_write_text(path, json.dumps(data, indent=1) + "\n")


def learning_curve_records() -> list[Record]:
    """Three pipelines x two seeds x two training sizes on one 40-image test set per seed."""
    records = []
    for seed in (0, 1):
        rng = np.random.default_rng(seed)
        y = rng.integers(0, 4, 40).tolist()
        for n_train, error_rate in ((50, 0.4), (200, 0.2)):
            for pipeline, family, skill in (
                ("cnn", "learned", 1.0),
                ("hog_svm", "hand-crafted", 1.2),
                ("raw_svm", "hand-crafted", 1.6),
            ):
                wrong = rng.random(40) < error_rate * skill
                pred = [(t + 1) % 4 if w else t for t, w in zip(y, wrong, strict=True)]
                records.append(
                    make_record(
                        pipeline,
                        seed,
                        y,
                        pred,
                        n_train=n_train,
                        family=family,
                        params={"epochs": 3} if pipeline == "cnn" else {},
                        artifacts=full_artifacts(pipeline, y, pred),
                    )
                )
    return records


def several_datasets_records(count: int = 4) -> list[Record]:
    """`learning_curve_records` on `count` datasets with long names, as a suite's report has."""
    return [
        replace(
            r,
            id=f"{r.id}-{k}",
            dataset=replace(r.dataset, name=f"folder:holiday-photos-from-the-{k}-summer-trip"),
        )
        for k in range(count)
        for r in learning_curve_records()
    ]
