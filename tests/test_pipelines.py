"""The pipeline registry: every entry fits and predicts; params are validated by name and type."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from featcmp.config import DatasetConfig, PipelineConfig
from featcmp.data.loader import load_dataset
from featcmp.errors import ConfigError
from featcmp.features.edges import EdgeFeatures
from featcmp.features.kernels import KERNELS
from featcmp.pipelines import (
    LEARNED,
    PIPELINES,
    build_pipeline,
    feature_dim,
    learned_params,
)
from featcmp.run.executor import run_job
from featcmp.run.jobs import Job, parse_config
from tests.helpers import tiny_backbone

# Tiny settings for learned pipelines so the suite stays fast on two shared cores.
TINY = {
    "cnn": {"channels": [4, 8], "hidden": 16, "epochs": 2, "batch_size": 16, "device": "cpu"},
    "mlp": {"hidden": [16], "epochs": 2, "batch_size": 16, "device": "cpu"},
}


def tiny_params(name: str) -> dict:
    """Known tiny settings; for a new learned entry, at least few epochs on the CPU."""
    if name in TINY:
        return TINY[name]
    if name == "transfer_svm":  # a frozen backbone: a tiny saved network (tests.helpers)
        return {"backbone": {"model": str(tiny_backbone())}}
    spec = PIPELINES[name]
    if spec.family != LEARNED:
        return {}
    defaults = spec.build().steps[0][1].get_params(deep=False)
    return {k: v for k, v in (("epochs", 2), ("device", "cpu")) if k in defaults}


def split(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    return X[::2], y[::2], X[1::2], y[1::2]


@pytest.mark.parametrize("name", sorted(PIPELINES))
@pytest.mark.parametrize("rgb", [False, True], ids=["gray", "rgb"])
def test_every_pipeline_fits_and_predicts(name, rgb, tiny_float):
    X, y = tiny_float
    if rgb:
        X = np.stack([X, 0.5 * X, 1 - X], axis=-1)  # consistent channels
    X_tr, y_tr, X_te, y_te = split(X, y)
    pipe = build_pipeline(name, tiny_params(name))
    pipe.fit(X_tr, y_tr)
    pred = pipe.predict(X_te)
    assert pred.shape == y_te.shape
    assert set(pred.tolist()) <= set(y_tr.tolist())
    assert feature_dim(pipe) > 0
    assert learned_params(pipe) > 0
    if PIPELINES[name].family != LEARNED:
        # Bars at four places are trivially separable for any hand-crafted feature + SVM.
        assert (pred == y_te).mean() >= 0.9
    # Predicting twice gives the same answer (no state changes at predict time).
    np.testing.assert_array_equal(pipe.predict(X_te), pred)


@pytest.mark.parametrize("name", sorted(n for n in PIPELINES if PIPELINES[n].family == LEARNED))
def test_learned_pipelines_learn(name, tiny_float):
    X, y = tiny_float
    params = {**tiny_params(name), "epochs": 15, "augment": False}
    pipe = build_pipeline(name, params)
    pipe.fit(X, y)
    net = pipe.steps[-1][1]
    assert len(net.loss_curve_) == 15
    assert net.loss_curve_[-1] < 0.5 * net.loss_curve_[0]
    assert (pipe.predict(X) == y).mean() >= 0.9  # fits its own training set
    proba = net.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(n for n in PIPELINES if PIPELINES[n].family == LEARNED))
def test_learned_pipelines_are_reproducible_from_seed(name, tiny_float):
    X, y = tiny_float
    a = build_pipeline(name, {**tiny_params(name), "seed": 3}).fit(X, y)
    b = build_pipeline(name, {**tiny_params(name), "seed": 3}).fit(X, y)
    np.testing.assert_array_equal(a.steps[-1][1].loss_curve_, b.steps[-1][1].loss_curve_)


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_misspelt_param_names_closest(name):
    pipe = PIPELINES[name].build()
    step, est = next((s, e) for s, e in pipe.steps if e.get_params(deep=False))
    real = max(est.get_params(deep=False), key=len)  # a long name: its typo stays close
    typo = real[:-2] + real[-1]
    params = {typo: 1} if PIPELINES[name].flat else {step: {typo: 1}}
    with pytest.raises(ConfigError) as info:
        build_pipeline(name, params, "pipelines[0]")
    message = str(info.value)
    prefix = "pipelines[0].params" + ("" if PIPELINES[name].flat else f".{step}")
    assert f"unknown key '{prefix}.{typo}'" in message
    assert f"(did you mean '{real}'?)" in message
    assert "\n" not in message


def test_misspelt_step_name():
    with pytest.raises(
        ConfigError, match=r"unknown key 'p\.params\.hogg' \(did you mean 'hog'\?\)"
    ):
        build_pipeline("hog_svm", {"hogg": {"orientations": 9}}, "p")


def test_unknown_pipeline_names_closest():
    with pytest.raises(
        ConfigError, match=r"unknown pipeline 'hog_svn' \(did you mean 'hog_svm'\?\)"
    ):
        build_pipeline("hog_svn")


@pytest.mark.parametrize(
    ("name", "params", "where"),
    [
        ("raw_svm", {"svm": {"C": "big"}}, "svm.C"),
        ("hog_svm", {"hog": {"orientations": 9.5}}, "hog.orientations"),
        ("hog_svm", {"hog": {"pixels_per_cell": 4}}, "hog.pixels_per_cell"),
        ("hog_svm", {"hog": {"pixels_per_cell": [4.5, 4]}}, "hog.pixels_per_cell"),
        ("edges_svm", {"edges": {"pool": True}}, "edges.pool"),
        ("cnn", {"channels": 8}, "channels"),
        ("cnn", {"epochs": 1.5}, "epochs"),
        ("mlp", {"hidden": "wide"}, "hidden"),
        ("raw_svm", {"svm": 10}, "svm"),
    ],
)
def test_wrong_type_names_the_key(name, params, where):
    with pytest.raises(ConfigError) as info:
        build_pipeline(name, params, "pipelines[2]")
    assert f"pipelines[2].params.{where}" in str(info.value)


@pytest.mark.parametrize(
    ("name", "params", "fragment"),
    [
        ("raw_svm", {"svm": {"kernel": "rbff"}}, "kernel"),
        ("edges_svm", {"edges": {"kernel": "laplacian"}}, "did you mean 'laplacian8'"),
        ("hog_svm", {"hog": {"block_norm": "L3"}}, "block_norm"),
        ("cnn", {"optimizer": "sgdd"}, "optimizer"),
        ("mlp", {"lr": -1.0}, "lr"),
    ],
)
def test_invalid_values_are_config_errors(name, params, fragment):
    with pytest.raises(ConfigError, match=fragment):
        build_pipeline(name, params)


def test_linear_kernel_uses_linear_svc(tiny_float):
    X, y = tiny_float
    pipe = build_pipeline("raw_svm", {"svm": {"kernel": "linear", "C": 1.0}}).fit(X, y)
    assert pipe.named_steps["svm"].solver_ == "LinearSVC"
    assert learned_params(pipe) == 4 * 256 + 4  # one weight vector and bias per class (OvR)
    rbf = build_pipeline("raw_svm").fit(X, y)
    assert rbf.named_steps["svm"].solver_ == "SVC"


def test_linear_kernel_solver_is_recorded():
    cfg = parse_config(
        {
            "name": "lin",
            "dataset": {"source": "digits", "max_train": 100, "max_test": 50},
            "pipelines": [{"name": "raw_svm", "params": {"svm": {"kernel": "linear"}}}],
        }
    )
    record = run_job(Job(cfg, cfg.pipelines[0], 0), load_dataset(cfg.dataset, 0))
    assert record.solver == "LinearSVC"


def test_lecture_edge_kernel_is_eight_and_minus_one():
    expected = np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=np.float32)
    np.testing.assert_array_equal(KERNELS["laplacian8"], expected)
    assert KERNELS["laplacian8"].sum() == 0


def test_edge_response_to_one_bright_pixel_is_the_kernel():
    img = np.zeros((1, 7, 7), np.float32)
    img[0, 3, 3] = 1.0
    response = EdgeFeatures(kernel="laplacian8").fit_transform(img).reshape(7, 7)
    np.testing.assert_array_equal(response[2:5, 2:5], KERNELS["laplacian8"])
    assert np.count_nonzero(response) == 9


def test_edge_response_matches_direct_correlation():
    rng = np.random.default_rng(0)
    img = rng.random((2, 6, 5)).astype(np.float32)
    k = KERNELS["laplacian8"]
    got = EdgeFeatures().fit_transform(img).reshape(2, 6, 5)
    for n in range(2):
        for i in range(1, 5):
            for j in range(1, 4):
                direct = (img[n, i - 1 : i + 2, j - 1 : j + 2] * k).sum()
                assert got[n, i, j] == pytest.approx(direct, abs=1e-5)


@pytest.mark.parametrize("kernel", ["laplacian8", "sobel", "sobel_x", "sobel_y"])
@pytest.mark.parametrize("shape", [(3, 9, 9), (2, 8, 6, 3)], ids=["gray", "rgb"])
def test_constant_image_has_no_edges(kernel, shape):
    X = np.full(shape, 0.6, np.float32)
    out = EdgeFeatures(kernel=kernel).fit_transform(X)
    assert out.shape == (shape[0], int(np.prod(shape[1:])))
    np.testing.assert_allclose(out, 0.0, atol=1e-6)


def test_sobel_finds_a_vertical_step():
    X = np.zeros((1, 6, 6), np.float32)
    X[0, :, 3:] = 1.0
    mag = EdgeFeatures(kernel="sobel").fit_transform(X).reshape(6, 6)
    assert mag[:, 2:4].min() == pytest.approx(4.0)  # |[-1 0 1; -2 0 2; -1 0 1]| on a unit step
    np.testing.assert_allclose(mag[:, [0, 5]], 0.0)


def test_edge_pooling_shrinks_the_map():
    X = np.random.default_rng(1).random((2, 8, 8)).astype(np.float32)
    assert EdgeFeatures(pool=2).fit_transform(X).shape == (2, 16)


def test_pipelines_clone_with_params():
    pipe = build_pipeline("hog_svm", {"hog": {"pixels_per_cell": [2, 2]}, "svm": {"C": 3}})
    copy = clone(pipe)
    assert copy.get_params()["hog__pixels_per_cell"] == (2, 2)
    assert copy.get_params()["svm__C"] == 3


def test_registry_names_are_valid_config_entries():
    for name in PIPELINES:
        cfg = parse_config({"pipelines": [{"name": name, "params": tiny_params(name)}]})
        assert cfg.pipelines == [PipelineConfig(name=name, params=tiny_params(name))]
        assert cfg.dataset == DatasetConfig()
