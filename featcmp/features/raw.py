"""Raw pixels: the lecture's simplest feature, a 20x20 image as a 400-dimensional vector."""

from __future__ import annotations

import numpy as np

from featcmp.config.params import Declared
from featcmp.costs import ExtractionCost
from featcmp.features.base import ImageTransformer, SizeBound


class RawPixels(Declared, SizeBound, ImageTransformer):
    """Flatten each image into one vector of its pixel values (`max_size`: see SizeBound)."""

    label = "raw pixels"
    # Per pixel extracted and per n^2 * d of its SVC, calibrated with the other designed
    # extractors (featcmp.run.cost's docstring).
    cost = ExtractionCost(2.0e-10, 9.3e-10)

    def _transform_batch(self, X: np.ndarray) -> np.ndarray:
        X = self._bounded(X)
        return X.reshape(len(X), -1)
