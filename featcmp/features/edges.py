"""Edge-detector features: one hand-coded kernel correlated over every image at once."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from featcmp.config.params import AT_LEAST_ONE, Declared, Param, declare
from featcmp.costs import ExtractionCost
from featcmp.errors import DataError
from featcmp.features.base import ImageTransformer, SizeBound
from featcmp.features.kernels import KERNELS

# Edge responses on offer: one kernel, or the magnitude of the Sobel gradient pair.
EDGE_KERNELS = ("laplacian8", "sobel", "sobel_x", "sobel_y")


def correlate_batch(X: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Correlate a 2-D kernel over each image of (n, H, W[, C]) in one call, per channel.

    Cross-correlation (no kernel flip), as a CNN layer computes it; borders reflect so the
    image frame does not show up as an edge.
    """
    k = kernel[None, :, :, None] if X.ndim == 4 else kernel[None]
    return ndimage.correlate(X, k.astype(X.dtype), mode="reflect")


class EdgeFeatures(Declared, SizeBound, ImageTransformer):
    """Edge map of each image, flattened: `laplacian8` (the lecture's 8/-1), `sobel` (magnitude)."""

    PARAMS = declare(
        kernel=Param(
            str, "laplacian8", "the edge kernel (sobel: the gradient magnitude of the pair)",
            choices=EDGE_KERNELS,
        ),
        pool=Param(
            int, 1, "average-pool the edge map over pool x pool windows (1: none)",
            range=AT_LEAST_ONE,
        ),
    )  # fmt: skip
    label = "edge features"
    # Per pixel extracted and per n^2 * d of its SVC, calibrated with the other designed
    # extractors (featcmp.run.cost's docstring).
    cost = ExtractionCost(1.0e-8, 9.7e-10)

    def check_geometry(self, shape: tuple[int, ...]) -> None:
        f = self.downsample_for(shape)
        if self.pool > min(shape[0] // f, shape[1] // f):
            raise DataError(
                f"edges.pool={self.pool} is larger than the {shape[0]}x{shape[1]} images"
            )

    def _transform_batch(self, X: np.ndarray) -> np.ndarray:
        X = self._bounded(X)
        if self.kernel == "sobel":
            edges = np.hypot(
                correlate_batch(X, KERNELS["sobel_x"]), correlate_batch(X, KERNELS["sobel_y"])
            )
        else:
            edges = correlate_batch(X, KERNELS[self.kernel])
        if self.pool > 1:
            p = self.pool
            h, w = (edges.shape[1] // p) * p, (edges.shape[2] // p) * p
            e = edges[:, :h, :w]
            edges = e.reshape(len(e), h // p, p, w // p, p, *e.shape[3:]).mean(axis=(2, 4))
        return edges.reshape(len(X), -1)
