"""The memory limit (`featcmp.memory`) and the size guards of models (`models/guards.py`):
work that would not fit is refused with the figure, before any fit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from featcmp.errors import RunError
from featcmp.models.guards import check_svc_kernel, svc_problem_size
from featcmp.models.svm import SVM
from tests.robustness_helpers import TINY, assert_one_line_error, invoke, write_config


def test_bad_memory_limit_setting(tmp_path: Path):
    config = write_config(tmp_path / "c.yaml", {"dataset": TINY, "pipelines": ["raw_svm"]})
    result = invoke("run", config, "--out", tmp_path / "runs", env={"FEATCMP_MEMORY_LIMIT_GB": "x"})
    assert_one_line_error(result, tmp_path / "runs", "FEATCMP_MEMORY_LIMIT_GB='x'")


def test_network_too_big_for_memory_is_refused_before_any_fit(tmp_path: Path):
    """Within the per-key bounds but together too big: the weight count decides, up front."""
    config = write_config(
        tmp_path / "big.yaml",
        {
            "dataset": TINY,
            "pipelines": ["raw_svm", {"name": "mlp", "params": {"hidden": [65536] * 3}}],
        },
    )
    out = tmp_path / "runs"
    result = invoke("run", config, "--out", out, env={"FEATCMP_MEMORY_LIMIT_GB": "8"})
    assert_one_line_error(
        result, out, "pipelines[1] (mlp)", "weights need about 128.1 GiB", "over the 8.0 GiB limit"
    )


def test_svc_kernel_over_memory_is_refused_with_the_figure(tmp_path: Path):
    config = write_config(
        tmp_path / "c.yaml", {"dataset": {"source": "digits"}, "pipelines": ["raw_svm"]}
    )
    out = tmp_path / "runs"
    # 0.0001 GiB = 0.102 MiB: digits' two largest classes (274 training images) need 300 kB.
    result = invoke("run", config, "--out", out, env={"FEATCMP_MEMORY_LIMIT_GB": "0.0001"})
    line = assert_one_line_error(result, out, "pipelines[0] (raw_svm)")
    assert "a rbf SVC on 1348 training images would not fit in memory" in line
    assert "274x274 kernel matrix of 0.286 MiB, over the 0.102 MiB limit" in line


def test_linear_svm_is_not_refused(monkeypatch):
    monkeypatch.setenv("FEATCMP_MEMORY_LIMIT_GB", "0.0000001")
    check_svc_kernel(np.arange(10_000) % 2, "linear")  # primal: no n x n matrix


def test_svc_kernel_estimate_follows_one_vs_one(monkeypatch):
    """MNIST's 60000 images in 10 classes: the largest pair holds 12000, 549 MiB (fits 1 GiB)."""
    y = np.repeat(np.arange(10), 6000)
    assert svc_problem_size(y) == 12_000
    monkeypatch.setenv("FEATCMP_MEMORY_LIMIT_GB", "1")
    check_svc_kernel(y, "rbf")
    monkeypatch.setenv("FEATCMP_MEMORY_LIMIT_GB", "0.5")
    with pytest.raises(
        RunError, match=r"12000x12000 kernel matrix of 549 MiB, over the 512 MiB limit"
    ):
        check_svc_kernel(y, "rbf")


def test_svm_fit_itself_refuses(monkeypatch):
    monkeypatch.setenv("FEATCMP_MEMORY_LIMIT_GB", "0.00001")
    X, y = np.random.default_rng(0).random((200, 4)), np.arange(200) % 2
    with pytest.raises(RunError, match="would not fit in memory"):
        SVM().fit(X, y)
