"""What every image transformer shares: stateless fit, input checks, chunked transform."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from featcmp import progress
from featcmp.errors import DataError


class ImageTransformer(TransformerMixin, BaseEstimator):
    """Base for fixed (not learned) feature extractors over (n, H, W[, C]) float images.

    Subclasses implement `_transform_batch(X) -> (n, d)`; `fit` learns nothing, which is the
    lecture's point: the only learning on this side happens in the classifier.
    """

    chunk_size = 2048
    label = "features"

    def fit(self, X, y=None):
        X = self._prepare(X)
        self.image_shape_ = X.shape[1:]
        return self

    def transform(self, X) -> np.ndarray:
        X = self._prepare(X)
        parts = [
            self._transform_batch(X[s])
            for s in progress.chunks(len(X), self.chunk_size, self.label)
        ]
        return np.concatenate(parts).astype(np.float32, copy=False)

    def check(self) -> None:
        """Validate parameters before any data is seen (raise ConfigError)."""

    def _validate_geometry(self, shape: tuple[int, ...]) -> None:
        """Raise DataError when images of `shape` do not suit this extractor."""

    def _prepare(self, X) -> np.ndarray:
        """Checked float32 images, after the parameter and geometry checks."""
        X = self._check(X)
        self.check()
        self._validate_geometry(X.shape[1:])
        return X

    def _transform_batch(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def _check(X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        if X.ndim not in (3, 4):
            raise DataError(f"expected images of shape (n, H, W) or (n, H, W, C), got {X.shape}")
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags
