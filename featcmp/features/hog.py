"""HOG features, with scikit-image's own parameter names."""

from __future__ import annotations

import numpy as np

from featcmp.devices import check_device, resolve_device
from featcmp.errors import ConfigError
from featcmp.features.base import ImageTransformer
from featcmp.features.hog_batch import BLOCK_NORMS, hog_batch, hog_geometry

MAX_ORIENTATIONS = 180  # one bin per degree of unsigned gradient direction


class HOGFeatures(ImageTransformer):
    """Histogram of oriented gradients per image (`skimage.feature.hog`, feature vector)."""

    label = "HOG"

    def __init__(
        self,
        orientations: int = 9,
        pixels_per_cell: tuple[int, int] = (4, 4),
        cells_per_block: tuple[int, int] = (2, 2),
        block_norm: str = "L2-Hys",
        transform_sqrt: bool = False,
        device: str = "cpu",
    ):
        self.orientations = orientations
        self.pixels_per_cell = pixels_per_cell
        self.cells_per_block = cells_per_block
        self.block_norm = block_norm
        self.transform_sqrt = transform_sqrt
        self.device = device

    def check(self) -> None:
        if self.block_norm not in BLOCK_NORMS:
            raise ConfigError(
                f"hog.block_norm: unknown '{self.block_norm}'; choose from {', '.join(BLOCK_NORMS)}"
            )
        check_device(self.device, "hog.device")
        if not 1 <= self.orientations <= MAX_ORIENTATIONS:
            raise ConfigError(
                f"hog.orientations must be 1..{MAX_ORIENTATIONS}, got {self.orientations}"
            )
        if len(self.pixels_per_cell) != 2 or len(self.cells_per_block) != 2:
            raise ConfigError(
                "hog.pixels_per_cell and hog.cells_per_block take two numbers, [rows, cols]"
            )
        cy, cx = self.pixels_per_cell
        by, bx = self.cells_per_block
        if min(cy, cx, by, bx) < 1:
            raise ConfigError("hog.pixels_per_cell and hog.cells_per_block must be positive")

    def _validate_geometry(self, shape: tuple[int, ...]) -> None:
        hog_geometry(shape, self.pixels_per_cell, self.cells_per_block)

    def transform(self, X) -> np.ndarray:
        # Resolved once per call, not per chunk: one torch lookup and at most one fallback note.
        cpu = self.device == "cpu"  # the NumPy path: no torch import
        self.device_ = "cpu" if cpu else str(resolve_device(self.device, "hog device"))
        return super().transform(X)

    def _transform_batch(self, X: np.ndarray) -> np.ndarray:
        # Batched over the whole chunk; equal to skimage.feature.hog per image (see hog_batch).
        return hog_batch(
            X,
            orientations=self.orientations,
            pixels_per_cell=tuple(self.pixels_per_cell),
            cells_per_block=tuple(self.cells_per_block),
            block_norm=self.block_norm,
            transform_sqrt=self.transform_sqrt,
            channel_axis=-1 if X.ndim == 4 else None,
            device=self.device_,
        )
