"""Raw pixels: the lecture's simplest feature, a 20x20 image as a 400-dimensional vector."""

from __future__ import annotations

import numpy as np

from featcmp.errors import ConfigError
from featcmp.features.base import ImageTransformer, SizeBound


class RawPixels(SizeBound, ImageTransformer):
    """Flatten each image into one vector of its pixel values.

    Parameters
    ----------
    max_size : int
        Images with a side longer than this are averaged down by a whole factor first (0:
        never), so the vector stays bounded on large photos; `downsample_` is the factor.
    """

    label = "raw pixels"

    def __init__(self, max_size: int = 0):
        self.max_size = max_size

    def check(self) -> None:
        if self.max_size < 0:
            raise ConfigError(f"raw.max_size must be 0 (no limit) or positive, got {self.max_size}")

    def _transform_batch(self, X: np.ndarray) -> np.ndarray:
        X = self._bounded(X)
        return X.reshape(len(X), -1)
