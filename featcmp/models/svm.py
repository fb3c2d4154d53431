"""The SVM that sits on top of every hand-crafted feature extractor.

Kernel SVC fit time grows faster than n^2 in the training-set size (measured on Fashion-MNIST
HOG features: 3.3 s at 10k images, 26 s at 20k). Past `max_exact` training images the scale
guard warns with the expected cost, switches to a Nystroem kernel approximation followed by a
linear SVM, or refuses, as `scale` says; `solver_` names what ran.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC, LinearSVC

from featcmp.devices import check_device, resolve_device
from featcmp.errors import ConfigError, RunError
from featcmp.models.guards import check_svc_kernel

SCALE_MODES = ("warn", "approximate", "refuse")
# Linear solvers after the kernel approximation: minibatch Adam in torch (BLAS batches, all
# classes at once; CUDA when present), liblinear's exact primal solve, or scikit-learn's
# averaged SGD on the hinge loss.
APPROX_SOLVERS = ("torch", "liblinear", "sgd")
SOLVER_NAMES = {"torch": "TorchLinearSVM", "liblinear": "LinearSVC", "sgd": "SGD"}
# Basis of the cost estimate: 26 s for a 20k-image RBF SVC fit (Fashion-MNIST HOG, 2-core
# reference machine), scaled by n^2. Fits grow faster than that, so it is a lower bound.
REFERENCE_N, REFERENCE_S = 20_000, 26.0


class ScaleWarning(UserWarning):
    """A kernel SVM is asked to fit more samples than `max_exact`."""


def expected_fit_seconds(n: int) -> float:
    """Lower-bound estimate of an exact kernel SVC fit on n samples (n^2 model)."""
    return REFERENCE_S * (n / REFERENCE_N) ** 2


class SVM(ClassifierMixin, BaseEstimator):
    """An SVM classifier: `kernel: linear` fits LinearSVC (scales to many samples), others SVC.

    Parameters
    ----------
    C, kernel, gamma, degree : as in `sklearn.svm.SVC`.
    max_iter : int
        Iteration cap of LinearSVC.
    max_exact : int
        Largest training set fitted with an exact kernel SVC without the scale guard acting.
    scale : {'warn', 'approximate', 'refuse'}
        Past `max_exact`: fit exactly with a warning, fit Nystroem + a linear SVM, or fail the run.
    n_components : int
        Nystroem landmarks of the approximation.
    approx_solver : {'torch', 'liblinear', 'sgd'}
        The linear SVM after Nystroem, all with the same regularisation: `TorchLinearSVM`
        (squared hinge by minibatch Adam; RBF kernel only), LinearSVC, or scikit-learn's
        averaged SGD on the hinge loss (alpha = 1 / (C n)).
    approx_epochs : int
        Passes of the torch and SGD solvers.
    device : str
        Where the torch solver runs: 'auto' (CUDA when present), 'cpu' or 'cuda[:N]'.
    """

    def __init__(
        self,
        C: float = 10.0,
        kernel: str = "rbf",
        gamma: str | float = "scale",
        degree: int = 3,
        max_iter: int = 5000,
        max_exact: int = 20_000,
        scale: str = "warn",
        n_components: int = 1000,
        approx_solver: str = "torch",
        approx_epochs: int = 15,
        device: str = "auto",
    ):
        self.C = C
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.max_iter = max_iter
        self.max_exact = max_exact
        self.scale = scale
        self.n_components = n_components
        self.approx_solver = approx_solver
        self.approx_epochs = approx_epochs
        self.device = device

    def _make(self) -> BaseEstimator:
        if self.kernel == "linear":
            return LinearSVC(C=self.C, max_iter=self.max_iter)
        return SVC(C=self.C, kernel=self.kernel, gamma=self.gamma, degree=self.degree)

    def _approximate(self, X) -> BaseEstimator:
        """Nystroem features for the same kernel (SVC's gamma rule), then a linear SVM."""
        gamma = self.gamma
        if gamma == "scale":
            var = float(np.var(X))
            gamma = 1.0 / (X.shape[1] * var) if var > 0 else 1.0
        elif gamma == "auto":
            gamma = 1.0 / X.shape[1]
        if self.approx_solver == "torch":
            from featcmp.models.kernel_map import NystroemMap  # torch: only on the scale path
            from featcmp.models.linear_svm_torch import TorchLinearSVM

            device = str(resolve_device(self.device))  # once: one fallback note, not two
            kernel_map = NystroemMap(gamma=gamma, n_components=self.n_components, device=device)
            solver = TorchLinearSVM(C=self.C, epochs=self.approx_epochs, device=device)
            return make_pipeline(kernel_map, solver)
        features = Nystroem(
            kernel=self.kernel,
            gamma=gamma,
            degree=self.degree,
            n_components=min(self.n_components, len(X)),
            random_state=0,
        )
        if self.approx_solver == "sgd":
            linear = SGDClassifier(
                loss="hinge",
                alpha=1.0 / (self.C * len(X)),
                average=True,
                max_iter=self.approx_epochs,
                tol=None,
                random_state=0,
                n_jobs=-1,  # one-vs-rest: one class per core at a time
            )
            return make_pipeline(features, linear)
        # Primal liblinear (more samples than components), tol as in benchmarks/bench_svm.py.
        linear = LinearSVC(C=self.C, dual=len(X) <= features.n_components, tol=1e-3)
        return make_pipeline(features, linear.set_params(max_iter=self.max_iter))

    def check(self) -> None:
        """Validate parameters before any work (sklearn's own checks, with its messages)."""
        if self.scale not in SCALE_MODES:
            choices = ", ".join(SCALE_MODES)
            raise ConfigError(f"scale: unknown '{self.scale}'; choose from {choices}")
        if self.approx_solver not in APPROX_SOLVERS:
            choices = ", ".join(APPROX_SOLVERS)
            raise ConfigError(
                f"approx_solver: unknown '{self.approx_solver}'; choose from {choices}"
            )
        if self.max_exact < 1 or self.n_components < 1 or self.approx_epochs < 1:
            raise ConfigError("max_exact, n_components and approx_epochs must be at least 1")
        approximating = self.scale == "approximate" and self.approx_solver == "torch"
        if approximating and self.kernel not in ("rbf", "linear"):
            raise ConfigError(
                f"approx_solver: torch approximates the rbf kernel only, not '{self.kernel}'; "
                "use approx_solver: liblinear"
            )
        if approximating:
            check_device(self.device, "svm.device")
        self._make()._validate_params()

    def fits_exact_kernel(self, n: int) -> bool:
        """Whether `fit` on n images solves SVC's kernel dual (not LinearSVC, not Nystroem)."""
        return self.kernel != "linear" and not (n > self.max_exact and self.scale == "approximate")

    def _guard(self, n: int) -> bool:
        """Apply the scale guard; True when the approximation should be fitted."""
        if self.kernel == "linear" or n <= self.max_exact:
            return False
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
        self.n_features_in_ = np.shape(X)[1]
        if self._guard(len(X)):
            self.estimator_ = self._approximate(X).fit(X, y)
            svc = self.estimator_[-1]
            self.n_params_ = int(np.size(svc.coef_) + np.size(svc.intercept_))
            self.solver_ = "Nystroem+" + SOLVER_NAMES[self.approx_solver]
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
