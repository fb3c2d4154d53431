"""Raw pixels: the lecture's simplest feature, a 20x20 image as a 400-dimensional vector."""

from __future__ import annotations

import numpy as np

from featcmp.config.params import NON_NEGATIVE, Declared, Param, declare
from featcmp.features.base import ImageTransformer, SizeBound


class RawPixels(Declared, SizeBound, ImageTransformer):
    """Flatten each image into one vector of its pixel values."""

    PARAMS = declare(
        max_size=Param(
            int, 0, "longer sides are averaged down by a whole factor first (0: never)",
            range=NON_NEGATIVE,
        ),
    )  # fmt: skip
    label = "raw pixels"

    def _transform_batch(self, X: np.ndarray) -> np.ndarray:
        X = self._bounded(X)
        return X.reshape(len(X), -1)
