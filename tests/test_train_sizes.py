"""train_sizes subsample the training split only; seeds give new splits."""

from __future__ import annotations

import numpy as np
import pytest

from featcmp.config import DatasetConfig
from featcmp.data.loader import load_dataset, subsample_train
from featcmp.run.jobs import expand_jobs, parse_config


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DatasetConfig(source="digits", test_size=0.3), seed=0)


@pytest.mark.parametrize(
    ("size", "expected"),
    [(100, 100), (0.5, 629), (1.0, 1258), (5000, 1258), (3, 10)],  # 10 classes: at least 10
)
def test_counts_and_fractions(digits, size, expected):
    assert len(digits.y_train) == 1258
    sub = subsample_train(digits, size, seed=0)
    assert len(sub.y_train) == expected
    assert set(np.unique(sub.y_train)) == set(range(10))  # stratified: every class kept
    np.testing.assert_array_equal(sub.X_test, digits.X_test)
    assert sub.test_fingerprint == digits.test_fingerprint
    assert sub.summary()["test_fingerprint"] == digits.test_fingerprint
    if expected < 1258:
        assert sub.fingerprint != digits.fingerprint


def test_subsets_grow_with_size(digits):
    # Different sizes are different subsets; the same size and seed is the same subset.
    a = subsample_train(digits, 100, seed=0)
    b = subsample_train(digits, 100, seed=0)
    assert a.fingerprint == b.fingerprint
    assert subsample_train(digits, 100, seed=1).fingerprint != a.fingerprint


def test_seeds_give_new_splits():
    spec = DatasetConfig(source="digits", test_size=0.3)
    assert load_dataset(spec, 0).test_fingerprint != load_dataset(spec, 1).test_fingerprint


def test_jobs_cover_seeds_sizes_and_pipelines():
    cfg = parse_config(
        {"seeds": [0, 1, 2], "train_sizes": [50, 0.5], "pipelines": ["raw_svm", "hog_svm"]}
    )
    jobs = expand_jobs(cfg)
    assert len(jobs) == 12
    assert {(j.seed, j.train_size, j.pipeline.name) for j in jobs} == {
        (s, t, p) for s in (0, 1, 2) for t in (50, 0.5) for p in ("raw_svm", "hog_svm")
    }
    assert len({j.id for j in jobs}) == 12
