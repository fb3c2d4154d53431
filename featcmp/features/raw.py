"""Raw pixels: the lecture's simplest feature, a 20x20 image as a 400-dimensional vector."""

from __future__ import annotations

import numpy as np

from featcmp.config.params import Declared
from featcmp.features.base import ImageTransformer, SizeBound


class RawPixels(Declared, SizeBound, ImageTransformer):
    """Flatten each image into one vector of its pixel values (`max_size`: see SizeBound)."""

    label = "raw pixels"

    def _transform_batch(self, X: np.ndarray) -> np.ndarray:
        X = self._bounded(X)
        return X.reshape(len(X), -1)
