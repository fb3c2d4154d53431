"""The pipelines' scaler: scikit-learn's StandardScaler, fitted without a copy of the data."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import scipy.sparse
from sklearn.preprocessing import StandardScaler

from featcmp.models import scaler as scaler_module
from featcmp.models.scaler import Standardiser
from featcmp.pipelines import build_pipeline


def features(n: int = 300, d: int = 40, dtype=np.float32) -> np.ndarray:
    rng = np.random.default_rng(0)
    X = (rng.normal(5.0, 3.0, (n, d)) * rng.uniform(0.01, 100, d)).astype(dtype)
    X[:, 3] = 7.0  # a constant feature: left unscaled
    X[:, 5] = 0.0
    return X


def traced_peak(call) -> int:
    """Peak bytes NumPy and Python allocate during `call()`."""
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("with_mean", [True, False])
@pytest.mark.parametrize("with_std", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_it_fits_and_scales_as_standard_scaler_does(monkeypatch, with_mean, with_std, dtype):
    monkeypatch.setattr(scaler_module, "CHUNK_VALUES", 40 * 7)  # 7 rows a chunk: many chunks
    X = features(dtype=dtype)
    ours = Standardiser(with_mean=with_mean, with_std=with_std).fit(X)
    theirs = StandardScaler(with_mean=with_mean, with_std=with_std).fit(X)
    for name in ("mean_", "var_", "scale_"):
        a, b = getattr(ours, name), getattr(theirs, name)
        assert (a is None) == (b is None), name
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-6, err_msg=name)
    assert ours.n_samples_seen_ == theirs.n_samples_seen_ and ours.n_features_in_ == 40
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), rtol=1e-5, atol=1e-5)
    if with_std:
        assert ours.scale_[3] == ours.scale_[5] == 1.0


def test_fitting_allocates_no_copy_of_the_features(monkeypatch):
    monkeypatch.setattr(scaler_module, "CHUNK_VALUES", 500 * 100)  # chunks of 0.4 MB
    X = features(n=4000, d=500)  # 8 MB of float32; scikit-learn's fit takes 16 MB of float64
    assert traced_peak(lambda: Standardiser().fit(X)) < X.nbytes / 2
    theirs = traced_peak(lambda: StandardScaler().fit(X))
    assert theirs > X.nbytes  # what this scaler avoids


def test_sparse_input_and_sample_weights_take_scikit_learns_fit():
    X = features()
    weights = np.random.default_rng(1).uniform(0.5, 2.0, len(X))
    ours = Standardiser().fit(X, sample_weight=weights)
    np.testing.assert_allclose(ours.mean_, StandardScaler().fit(X, sample_weight=weights).mean_)
    sparse = scipy.sparse.csr_matrix(X)
    ours = Standardiser(with_mean=False).fit(sparse)
    np.testing.assert_allclose(ours.var_, StandardScaler(with_mean=False).fit(sparse).var_)


def test_non_finite_features_are_refused():
    X = features()
    X[2, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        Standardiser().fit(X)


def test_every_hand_crafted_pipeline_scales_with_it():
    assert isinstance(build_pipeline("hog_svm").named_steps["scaler"], Standardiser)
