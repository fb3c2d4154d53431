"""The SVM that sits on top of every hand-crafted feature extractor."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.svm import SVC, LinearSVC


class SVM(ClassifierMixin, BaseEstimator):
    """An SVM classifier: `kernel: linear` fits LinearSVC (scales to many samples), others SVC.

    Parameters
    ----------
    C, kernel, gamma, degree : as in `sklearn.svm.SVC`.
    max_iter : int
        Iteration cap of LinearSVC.
    """

    def __init__(
        self,
        C: float = 10.0,
        kernel: str = "rbf",
        gamma: str | float = "scale",
        degree: int = 3,
        max_iter: int = 5000,
    ):
        self.C = C
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.max_iter = max_iter

    def _make(self) -> BaseEstimator:
        if self.kernel == "linear":
            return LinearSVC(C=self.C, max_iter=self.max_iter)
        return SVC(C=self.C, kernel=self.kernel, gamma=self.gamma, degree=self.degree)

    def check(self) -> None:
        """Validate parameters before any work (sklearn's own checks, with its messages)."""
        self._make()._validate_params()

    def fit(self, X, y):
        self.n_features_in_ = np.shape(X)[1]
        self.estimator_ = self._make().fit(X, y)
        self.classes_ = self.estimator_.classes_
        self.solver_ = type(self.estimator_).__name__
        return self

    def predict(self, X) -> np.ndarray:
        return self.estimator_.predict(X)

    def decision_function(self, X) -> np.ndarray:
        return self.estimator_.decision_function(X)
