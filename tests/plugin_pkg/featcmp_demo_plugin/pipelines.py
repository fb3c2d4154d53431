"""The pipeline `block_means_svm`: the mean of each block x block patch, then featcmp's SVM."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from featcmp.errors import ConfigError
from featcmp.pipelines import HAND_CRAFTED, register_pipeline, svm_pipeline


class BlockMeans(BaseEstimator, TransformerMixin):
    """Mean pixel of each block x block patch (colour channels averaged)."""

    def __init__(self, block: int = 2):
        self.block = block

    def check(self) -> None:
        if self.block < 1:
            raise ConfigError(f"block must be at least 1, got {self.block}")

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
