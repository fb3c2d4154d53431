"""Raw pixels: the lecture's simplest feature, a 20x20 image as a 400-dimensional vector."""

from __future__ import annotations

import numpy as np

from featcmp.features.base import ImageTransformer


class RawPixels(ImageTransformer):
    """Flatten each image into one vector of its pixel values."""

    label = "raw pixels"

    def _transform_batch(self, X: np.ndarray) -> np.ndarray:
        return X.reshape(len(X), -1)
