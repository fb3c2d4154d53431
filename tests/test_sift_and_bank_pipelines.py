"""The sift_bovw_svm and kernels_svm pipelines end to end: registered, fit and predict, recorded
by the runner, and their shipped configs valid."""

from __future__ import annotations

import json

import numpy as np
import pytest

from featcmp.data.scenes import generate_scenes
from featcmp.pipelines import HAND_CRAFTED, PIPELINES, build_pipeline
from featcmp.run.jobs import expand_jobs, load_config
from featcmp.run.sweep import run_jobs

SMALL = {
    "sift_bovw_svm": {"sift": {"vocabulary_size": 16, "patch_size": 8, "step": 4}},
    "kernels_svm": {"bank": {"bank": "lecture", "grid": 2}},
}


@pytest.mark.parametrize("name", sorted(SMALL))
def test_fits_and_predicts_on_a_tiny_dataset(name: str) -> None:
    assert PIPELINES[name].family == HAND_CRAFTED
    X, y, _ = generate_scenes(n_per_class=10, size=32, rgb=True, seed=0)
    pipe = build_pipeline(name, SMALL[name])
    pipe.fit(X[::2], y[::2])
    pred = pipe.predict(X[1::2])
    assert pred.shape == (len(X) // 2,) and set(pred) <= set(y)
    assert (pipe.predict(X[::2]) == y[::2]).mean() > 0.5  # it learned something (chance 0.25)


def test_runner_records_dimension_fit_time_and_kernel_bank(tmp_path) -> None:
    config = tmp_path / "tiny.yaml"
    config.write_text(
        "name: tiny\nseed: 0\n"
        "dataset: {source: scenes, n_per_class: 8, test_size: 0.25}\n"
        "pipelines:\n"
        f"  - name: sift_bovw_svm\n    params: {json.dumps(SMALL['sift_bovw_svm'])}\n"
        "  - name: kernels_svm\n    params: {bank: {bank: [blur, sobel_x], grid: 2}}\n"
    )
    records = {r.pipeline: r for r in run_jobs(expand_jobs(load_config(config)), tmp_path)}
    sift, bank = records["sift_bovw_svm"], records["kernels_svm"]
    assert sift.status == bank.status == "ok"
    assert sift.feature_dim == 16 * (1 + 4)  # levels (1, 2)
    assert bank.feature_dim == 5 * 2 * 2 * 2 * 3  # kernels x stats x grid^2 x channels
    assert sift.fit_seconds > 0 and bank.fit_seconds > 0
    assert sift.kernels is None
    assert list(bank.kernels) == ["box3", "box5", "gaussian3", "gaussian5", "sobel_x"]
    np.testing.assert_array_equal(
        bank.kernels["gaussian3"], [[1, 2, 1], [2, 4, 2], [1, 2, 1]] / np.float32(16)
    )


@pytest.mark.parametrize("path", ["configs/sift.yaml", "configs/kernels.yaml"])
def test_shipped_configs_validate(path: str) -> None:
    cfg = load_config(path)
    for p in cfg.pipelines:
        build_pipeline(p.name, p.params)
