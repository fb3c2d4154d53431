"""CNN training on CPU is reproducible: a fixed seed gives identical weights and predictions."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from featcmp.models.nets import CNNClassifier  # noqa: E402


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, 192)
    X = rng.random((192, 12, 12)).astype(np.float32) * 0.5
    X[np.arange(192), 2 + 3 * y, :] += 0.5  # a class-dependent bright row
    return X, y


def _fit(seed: int, **kw) -> CNNClassifier:
    X, y = _data()
    params = dict(channels=(4, 8), hidden=16, epochs=2, batch_size=32, device="cpu", flip=True)
    return CNNClassifier(seed=seed, **{**params, **kw}).fit(X, y)


def _weights(model: CNNClassifier) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().copy() for k, v in model.module_.state_dict().items()}


def test_two_fits_with_the_same_seed_are_identical() -> None:
    first, second = _fit(seed=7), _fit(seed=7)
    w1, w2 = _weights(first), _weights(second)
    assert w1.keys() == w2.keys()
    for name in w1:
        np.testing.assert_array_equal(w1[name], w2[name], err_msg=name)
    X, _ = _data(1)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    assert first.loss_curve_ == second.loss_curve_


def test_another_seed_trains_another_network() -> None:
    # Guards the test above against passing because nothing random happens at all.
    w1, w2 = _weights(_fit(seed=7)), _weights(_fit(seed=8))
    assert any(not np.array_equal(w1[k], w2[k]) for k in w1)
