"""The SVM that sits on top of every hand-crafted feature extractor.

Kernel SVC fit time grows faster than n^2 in the training-set size (the fits measured are in
BENCHMARKS.md, "Exact kernel SVC fit time"). Past `max_exact` training images the scale guard
warns with the expected cost, switches to a Nystroem kernel approximation followed by a
linear SVM, or refuses, as `scale` says; `solver_` names what ran. A linear kernel has no
kernel matrix to approximate: past `max_exact` with `scale: approximate` it is the same
linear SVM fitted by the scale path's solver instead of liblinear's dual (which ran past
10 minutes on 10k x 6,400 k-means codes at C = 10; BENCHMARKS.md, "The ladder").
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC, LinearSVC

from featcmp.config.params import (
    AT_LEAST_ONE,
    NON_NEGATIVE,
    POSITIVE,
    Declared,
    Param,
    Rule,
    check_own,
    declare,
)
from featcmp.devices import DEVICE, resolve_device
from featcmp.errors import RunError
from featcmp.models.guards import check_svc_kernel

KERNELS = ("rbf", "linear", "poly", "sigmoid")  # SVC's, less 'precomputed'
SCALE_MODES = ("warn", "approximate", "refuse")
# Linear solvers after the kernel approximation: minibatch Adam in torch (BLAS batches, all
# classes at once; CUDA when present), liblinear's exact primal solve, or scikit-learn's
# averaged SGD on the hinge loss.
APPROX_SOLVERS = ("torch", "liblinear", "sgd")
SOLVER_NAMES = {"torch": "TorchLinearSVM", "liblinear": "LinearSVC", "sgd": "SGD"}
# Basis of the cost estimate: one 20k-image RBF SVC fit (BENCHMARKS.md), scaled by n^2. Fits
# grow faster than that, so it is a lower bound.
REFERENCE_N, REFERENCE_S = 20_000, 26.0


class ScaleWarning(UserWarning):
    """A kernel SVM is asked to fit more samples than `max_exact`."""


def expected_fit_seconds(n: int) -> float:
    """Lower-bound estimate of an exact kernel SVC fit on n samples (n^2 model)."""
    return REFERENCE_S * (n / REFERENCE_N) ** 2


def _torch_takes_kernel(scale: str, approx_solver: str, kernel: str) -> bool:
    return not (scale == "approximate" and approx_solver == "torch") or kernel in ("rbf", "linear")


class SVM(Declared, ClassifierMixin, BaseEstimator):
    """An SVM classifier: `kernel: linear` fits LinearSVC (scales to many samples), others SVC.

    Past `max_exact` training images the scale guard acts as `scale` says; the approximation
    is Nystroem then a linear SVM (`approx_solver`), all with the same regularisation:
    `TorchLinearSVM` (squared hinge by minibatch Adam; RBF kernel only), LinearSVC, or
    scikit-learn's averaged SGD on the hinge loss (alpha = 1 / (C n)).
    """

    PARAMS = declare(
        C=Param(float, 10.0, "inverse regularisation, as in SVC", range=POSITIVE),
        kernel=Param(str, "rbf", "SVC's kernel; linear fits LinearSVC", choices=KERNELS),
        gamma=Param(
            str | float, "scale", "RBF/poly/sigmoid width, as in SVC", range=NON_NEGATIVE,
            choices=("scale", "auto"),
        ),
        degree=Param(int, 3, "degree of the poly kernel", range=NON_NEGATIVE),
        max_iter=Param(int, 5000, "iteration cap of LinearSVC", range=AT_LEAST_ONE),
        max_exact=Param(
            int, 20_000, "largest training set fitted by an exact kernel SVC unguarded",
            range=AT_LEAST_ONE,
        ),
        scale=Param(
            str, "warn", "past max_exact: fit exactly with a warning, approximate, or refuse",
            choices=SCALE_MODES,
        ),
        n_components=Param(
            int, 1000, "Nystroem landmarks of the approximation", range=AT_LEAST_ONE
        ),
        approx_solver=Param(
            str, "torch", "the linear SVM after Nystroem", choices=APPROX_SOLVERS
        ),
        approx_epochs=Param(int, 15, "passes of the torch and SGD solvers", range=AT_LEAST_ONE),
        approx_lr=Param(
            float, 0.02, "peak learning rate of the torch solver", range=POSITIVE
        ),
        approx_linear=Param(
            bool, False,
            "the Nystroem map also passes the features on, over sqrt(d): the kernel "
            "x.x'/d + rbf (torch solver)",
        ),
        device=replace(DEVICE, help="where the torch solver of the approximation runs"),
    )  # fmt: skip
    RULES = (
        Rule(
            ("approx_linear", "approx_solver"),
            lambda approx_linear, approx_solver: not approx_linear or approx_solver == "torch",
            "approx_linear: the features are passed on by the torch map only; "
            "use approx_solver: torch",
        ),
        Rule(
            ("scale", "approx_solver", "kernel"),
            _torch_takes_kernel,
            "approx_solver: torch approximates the rbf kernel only, not '{kernel}'; "
            "use approx_solver: liblinear",
        ),
    )

    def _make(self) -> BaseEstimator:
        if self.kernel == "linear":
            return LinearSVC(C=self.C, max_iter=self.max_iter)
        return SVC(C=self.C, kernel=self.kernel, gamma=self.gamma, degree=self.degree)

    def _linear_solver(self, n: int, d: int, device: str = "cpu") -> BaseEstimator:
        """The scale path's linear SVM for n samples of d features (a map's, or the
        features as they are for a linear kernel)."""
        if self.approx_solver == "torch":
            from featcmp.models.linear_svm_torch import TorchLinearSVM  # torch: only here

            return TorchLinearSVM(
                C=self.C, epochs=self.approx_epochs, lr=self.approx_lr, device=device
            )
        if self.approx_solver == "sgd":
            return SGDClassifier(
                loss="hinge",
                alpha=1.0 / (self.C * n),
                average=True,
                max_iter=self.approx_epochs,
                tol=None,
                random_state=0,
                n_jobs=-1,  # one-vs-rest: one class per core at a time
            )
        # liblinear, primal when there are more samples than features; tol as in
        # benchmarks/bench_svm.py.
        return LinearSVC(C=self.C, dual=n <= d, tol=1e-3, max_iter=self.max_iter)

    def _approximate(self, X) -> BaseEstimator:
        """Nystroem features for the same kernel (SVC's gamma rule), then a linear SVM; a
        linear kernel needs no map, only the scale path's solver."""
        n, d = np.shape(X)[0], int(np.prod(np.shape(X)[1:]))
        # Resolved once: one fallback note, not two.
        device = str(resolve_device(self.device)) if self.approx_solver == "torch" else "cpu"
        if self.kernel == "linear":
            return make_pipeline(self._linear_solver(n, d, device))
        gamma = self.gamma
        if gamma == "scale":
            var = float(np.var(X))
            gamma = 1.0 / (d * var) if var > 0 else 1.0
        elif gamma == "auto":
            gamma = 1.0 / d
        if self.approx_solver == "torch":
            from featcmp.models.kernel_map import NystroemMap  # torch: only on the scale path

            kernel_map = NystroemMap(
                gamma=gamma,
                n_components=self.n_components,
                with_linear=self.approx_linear,
                device=device,
            )
        else:
            kernel_map = Nystroem(
                kernel=self.kernel,
                gamma=gamma,
                degree=self.degree,
                n_components=min(self.n_components, n),
                random_state=0,
            )
        m = min(self.n_components, n) + (d if self.approx_linear else 0)
        return make_pipeline(kernel_map, self._linear_solver(n, m, device))

    def takes_scale_path(self, n: int) -> bool:
        """Whether `fit` on n images takes the scale path (Nystroem, or for a linear kernel
        only the scale path's solver)."""
        return n > self.max_exact and self.scale == "approximate"

    def fits_exact_kernel(self, n: int) -> bool:
        """Whether `fit` on n images solves SVC's kernel dual (not LinearSVC, not Nystroem)."""
        return self.kernel != "linear" and not self.takes_scale_path(n)

    def _guard(self, n: int) -> bool:
        """Apply the scale guard; True when the approximation should be fitted."""
        if n <= self.max_exact:
            return False
        if self.kernel == "linear":  # no kernel matrix: only `approximate` changes the solver
            return self.takes_scale_path(n)
        cost = expected_fit_seconds(n)
        basis = f"n^2 model from {REFERENCE_S:.0f} s at {REFERENCE_N} images; likely more"
        if self.scale == "refuse":
            raise RunError(
                f"svm: {n} training images exceed svm.max_exact={self.max_exact} "
                f"(exact fit ~{cost:.1f} s or more); set svm.scale: approximate or raise max_exact"
            )
        if self.scale == "approximate":
            return True
        warnings.warn(
            f"svm: fitting an exact {self.kernel} SVC on {n} images (> svm.max_exact="
            f"{self.max_exact}) is expected to take ~{cost:.1f} s ({basis}); "
            "set svm.scale: approximate for Nystroem + a linear SVM",
            ScaleWarning,
            stacklevel=3,
        )
        return False

    def fit(self, X, y):
        check_own(self)  # an SVM built in Python meets the checks a config's does
        self.n_features_in_ = np.shape(X)[1]
        if self._guard(len(X)):
            self.estimator_ = self._approximate(X).fit(X, y)
            svc = self.estimator_[-1]
            self.n_params_ = int(np.size(svc.coef_) + np.size(svc.intercept_))
            solver = SOLVER_NAMES[self.approx_solver]
            self.solver_ = solver if self.kernel == "linear" else "Nystroem+" + solver
        else:
            check_svc_kernel(y, self.kernel)  # the exact dual's kernel matrix must fit
            self.estimator_ = self._make().fit(X, y)
            self.solver_ = type(self.estimator_).__name__
        self.classes_ = self.estimator_.classes_
        return self

    def predict(self, X) -> np.ndarray:
        return self.estimator_.predict(X)

    def decision_function(self, X) -> np.ndarray:
        return self.estimator_.decision_function(X)
