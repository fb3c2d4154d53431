"""The pipeline `block_means_svm`: the mean of each block x block patch, then featcmp's SVM."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from featcmp.config.params import AT_LEAST_ONE, Declared, Param, declare
from featcmp.pipelines import HAND_CRAFTED, register_pipeline, svm_pipeline


class BlockMeans(Declared, BaseEstimator, TransformerMixin):
    """Mean pixel of each block x block patch (colour channels averaged)."""

    PARAMS = declare(block=Param(int, 2, "side of the averaged blocks", range=AT_LEAST_ONE))

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> BlockMeans:
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        X = X.mean(axis=-1) if X.ndim == 4 else X
        b = self.block
        n, h, w = X.shape
        X = X[:, : h - h % b, : w - w % b].reshape(n, h // b, b, w // b, b)
        return X.mean(axis=(2, 4)).reshape(n, -1)


@register_pipeline("block_means_svm", HAND_CRAFTED, "block means -> scaler -> SVM (a plugin)")
def block_means_svm():
    return svm_pipeline("blocks", BlockMeans())
