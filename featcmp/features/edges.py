"""Edge-detector features: one hand-coded kernel correlated over every image at once."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from featcmp.errors import ConfigError, DataError, unknown_name
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


class EdgeFeatures(SizeBound, ImageTransformer):
    """Edge map of each image, flattened: `laplacian8` (the lecture's 8/-1), `sobel` (magnitude).

    Parameters
    ----------
    kernel : str
        One of `EDGE_KERNELS`.
    pool : int
        Average-pool the edge map over `pool` x `pool` windows before flattening (1 = none).
    max_size : int
        Images with a side longer than this are averaged down by a whole factor before the
        kernel is applied (0: never), so the edge map stays bounded on large photos.
    """

    label = "edge features"

    def __init__(self, kernel: str = "laplacian8", pool: int = 1, max_size: int = 0):
        self.kernel = kernel
        self.pool = pool
        self.max_size = max_size

    def check(self) -> None:
        if self.kernel not in EDGE_KERNELS:
            raise ConfigError(unknown_name("edge kernel", self.kernel, EDGE_KERNELS))
        if self.pool < 1:
            raise ConfigError(f"edges.pool must be at least 1, got {self.pool}")
        if self.max_size < 0:
            raise ConfigError(f"edges.max_size must be 0 or positive, got {self.max_size}")

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
