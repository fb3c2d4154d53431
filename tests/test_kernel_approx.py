"""The scale path's own parts: the eigenbasis Nystroem map and the torch linear SVM."""

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_classification
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.svm import LinearSVC

from featcmp.config.params import check_own
from featcmp.errors import ConfigError
from featcmp.models.kernel_map import NystroemMap
from featcmp.models.linear_svm_torch import TorchLinearSVM
from featcmp.models.svm import SVM


def test_all_points_as_landmarks_reproduce_the_kernel():
    X = np.random.default_rng(0).normal(size=(120, 7)).astype(np.float32)
    phi = NystroemMap(gamma=0.1, n_components=500).fit_transform(X)
    assert np.abs(phi @ phi.T - rbf_kernel(X, gamma=0.1)).max() < 1e-3


def test_fewer_landmarks_approximate_the_kernel_and_drop_flat_directions():
    X = np.random.default_rng(1).normal(size=(400, 5)).astype(np.float32)
    near = NystroemMap(gamma=0.2, n_components=300).fit(X)
    far = NystroemMap(gamma=0.2, n_components=30).fit(X)
    K = rbf_kernel(X, gamma=0.2)
    err = [np.abs(m.transform(X) @ m.transform(X).T - K).mean() for m in (near, far)]
    assert err[0] < 0.01 < err[1]
    assert near.n_components_ <= 300 and near.transform(X[:3]).shape == (3, near.n_components_)


def test_map_is_deterministic_for_a_seed():
    X = np.random.default_rng(2).normal(size=(200, 4))
    a = NystroemMap(n_components=50, random_state=3).fit_transform(X)
    b = NystroemMap(n_components=50, random_state=3).fit_transform(X)
    np.testing.assert_array_equal(a, b)


def squared_hinge_objective(model, X, y, C):
    """LinearSVC's primal: |W|^2 / 2 + C * sum of one-vs-rest squared hinges."""
    targets = np.where(y[:, None] == model.classes_, 1.0, -1.0)
    slack = np.maximum(0.0, 1.0 - targets * (X @ model.coef_.T + model.intercept_))
    return 0.5 * np.sum(model.coef_**2) + C * np.sum(slack**2)


def test_torch_linear_svm_reaches_liblinears_optimum():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    train, test = slice(0, 1400), slice(1400, None)
    ours = TorchLinearSVM(C=0.1, epochs=60, lr=0.05, batch_size=128).fit(X[train], y[train])
    ref = LinearSVC(C=0.1, max_iter=50_000, tol=1e-6).fit(X[train], y[train])
    ratio = squared_hinge_objective(ours, X[train], y[train], 0.1) / squared_hinge_objective(
        ref, X[train], y[train], 0.1
    )
    assert ratio < 1.05  # liblinear's is the optimum, up to its regularised intercept
    assert ours.score(X[test], y[test]) > ref.score(X[test], y[test]) - 0.02
    assert ours.coef_.shape == ref.coef_.shape


def test_torch_linear_svm_binary_labels_and_determinism():
    X, y = make_classification(n_samples=300, n_features=6, class_sep=2.0, random_state=0)
    labels = np.where(y == 1, "yes", "no")
    a = TorchLinearSVM(epochs=30).fit(X, labels)
    b = TorchLinearSVM(epochs=30).fit(X, labels)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert set(a.predict(X)) <= {"yes", "no"} and a.score(X, labels) > 0.9
    assert a.decision_function(X).shape == (300,)


def test_torch_solver_refuses_kernels_it_cannot_map():
    with pytest.raises(ConfigError, match="rbf kernel only"):
        check_own(SVM(kernel="poly", scale="approximate"))
    check_own(SVM(kernel="poly"))  # exact fits are unaffected
    check_own(SVM(kernel="poly", scale="approximate", approx_solver="liblinear"))


def test_a_linear_kernel_past_max_exact_takes_the_scale_paths_solver():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    train, test = slice(0, 1400), slice(1400, None)
    fast = SVM(kernel="linear", C=0.1, max_exact=500, scale="approximate", approx_epochs=60)
    fast.fit(X[train], y[train])
    assert fast.solver_ == "TorchLinearSVM" and fast.takes_scale_path(1400)
    assert fast.n_params_ == 10 * 64 + 10  # the linear SVM on the features, no map
    exact = SVM(kernel="linear", C=0.1, max_exact=500, scale="warn").fit(X[train], y[train])
    assert exact.solver_ == "LinearSVC"  # a linear kernel has no n^2 dual to warn about
    assert fast.score(X[test], y[test]) > exact.score(X[test], y[test]) - 0.03
    primal = SVM(
        kernel="linear", C=0.1, max_exact=500, scale="approximate", approx_solver="liblinear"
    )
    assert primal.fit(X[train], y[train]).solver_ == "LinearSVC"
    assert primal.estimator_[-1].dual is False  # more samples than features


def test_the_map_can_pass_the_features_on_for_a_linear_plus_rbf_kernel():
    X = np.random.default_rng(4).normal(size=(150, 6)).astype(np.float32)
    phi = NystroemMap(gamma=0.1, n_components=500, with_linear=True).fit(X)
    Z = phi.transform(X)
    assert Z.shape == (150, phi.n_components_) and phi.n_components_ > 6
    expected = X @ X.T / 6 + rbf_kernel(X, gamma=0.1)
    assert np.abs(Z @ Z.T - expected).max() < 1e-3
    svm = SVM(max_exact=100, scale="approximate", approx_linear=True, n_components=50)
    svm.fit(X, (X[:, 0] > 0).astype(int))
    assert svm.estimator_[-1].coef_.shape[1] == svm.estimator_[0].n_components_ > 50


def test_passing_the_features_on_needs_the_torch_map():
    with pytest.raises(ConfigError, match="approx_linear"):
        check_own(SVM(approx_linear=True, approx_solver="liblinear"))


def test_the_cost_model_prices_the_linear_scale_path_by_its_solver():
    from featcmp.pipelines import build_pipeline
    from featcmp.run.cost import estimate_hand_crafted

    def fit_s(svm: dict, n: int = 50_000, dim: int = 6400) -> float:
        pipe = build_pipeline("raw_svm", {"svm": svm})
        return estimate_hand_crafted(pipe, n, 10_000, (32, 32, 3), dim).fit_s

    liblinear = fit_s({"kernel": "linear"})
    solver = fit_s({"kernel": "linear", "scale": "approximate", "approx_epochs": 15})
    twice = fit_s({"kernel": "linear", "scale": "approximate", "approx_epochs": 30})
    assert solver != liblinear  # the torch solver's epochs over n x d, not LinearSVC's model
    extraction = fit_s({"kernel": "linear", "scale": "approximate"}, dim=0)
    assert twice - extraction == pytest.approx(2 * (solver - extraction))
    assert fit_s({"kernel": "linear", "max_exact": 60_000, "scale": "approximate"}) == liblinear
    plain = fit_s({"scale": "approximate", "n_components": 1000})
    wider = fit_s({"scale": "approximate", "n_components": 1000, "approx_linear": True})
    assert wider > plain  # the features passed on widen the solver's input
