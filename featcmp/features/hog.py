"""HOG features, with scikit-image's own parameter names."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from featcmp.config.params import AT_LEAST_ONE, Declared, Param, Range, declare
from featcmp.costs import ExtractionCost
from featcmp.devices import DEVICE, resolve_device
from featcmp.features.base import ImageTransformer
from featcmp.features.hog_batch import hog_batch
from featcmp.features.hog_geometry import BLOCK_NORMS, hog_geometry

MAX_ORIENTATIONS = 180  # one bin per degree of unsigned gradient direction
AUTO = "auto"  # pixels_per_cell chosen from the working image size at fit time
# Cells of 4 px up to 63 px, as featcmp has always used on 28-32 px digits and CIFAR; then the
# cell doubles with the image (8 px from 64 px, as in Dalal & Triggs' 64x128 windows, 16 px
# from 128 px, ...), so the grid stays at 8-15 cells along the shorter side and the descriptor
# at most 14 x 14 blocks, however large the photos.
_AUTO_BASE_CELL, _AUTO_BASE_SIZE = 4, 32


def auto_pixels_per_cell(
    image_shape: tuple[int, ...], cells_per_block: tuple[int, int] = (2, 2)
) -> tuple[int, int]:
    """The square cell size `AUTO` picks for (H, W[, C]) images (see `_AUTO_BASE_CELL`).

    Images too small for a block of 4 px cells get smaller cells, down to 1 px, so that at
    least one block fits where one can.
    """
    side = min(int(image_shape[0]), int(image_shape[1]))
    cell = _AUTO_BASE_CELL
    while side >= 2 * cell * _AUTO_BASE_SIZE // _AUTO_BASE_CELL:
        cell *= 2
    while cell > 1 and side // cell < max(cells_per_block):
        cell //= 2
    return cell, cell


class HOGFeatures(Declared, ImageTransformer):
    """Histogram of oriented gradients per image (`skimage.feature.hog`, feature vector).

    ``pixels_per_cell="auto"`` picks the cell size from the images seen by `fit`
    (`auto_pixels_per_cell`) and keeps it as ``pixels_per_cell_``; an explicit pair is used as
    given (and kept as ``pixels_per_cell_`` too).
    """

    PARAMS = declare(
        orientations=Param(
            int, 9, "orientation bins over 0-180 degrees", range=Range(1, MAX_ORIENTATIONS)
        ),
        pixels_per_cell=Param(
            tuple[int, int] | str, (4, 4),
            "cell size [rows, cols] in pixels, or 'auto' from the image size",
            range=AT_LEAST_ONE, choices=(AUTO,),
        ),
        cells_per_block=Param(
            tuple[int, int], (2, 2), "block size [rows, cols] in cells (blocks slide by a cell)",
            range=AT_LEAST_ONE,
        ),
        block_norm=Param(str, "L2-Hys", "block normalisation, as in skimage", choices=BLOCK_NORMS),
        transform_sqrt=Param(bool, False, "square-root the image first (power-law compression)"),
        device=replace(DEVICE, default="cpu", help="where HOG runs: cpu (NumPy), else torch"),
    )  # fmt: skip
    label = "HOG"
    # Per pixel extracted and per n^2 * d of its SVC, calibrated with the other designed
    # extractors (featcmp.run.cost's docstring).
    cost = ExtractionCost(3.0e-8, 1.0e-9)

    # A property, not a fit override: choosing cells learns nothing but the image size.
    @property
    def pixels_per_cell_(self) -> tuple[int, int]:
        """The cell size in use: as given, or for 'auto' chosen from the fitted image size."""
        if self.pixels_per_cell != AUTO:
            return tuple(self.pixels_per_cell)
        shape = getattr(self, "image_shape_", None)
        if shape is None:
            raise AttributeError("pixels_per_cell_: 'auto' cells are chosen by fit")
        return auto_pixels_per_cell(shape, tuple(self.cells_per_block))

    def _cells_for(self, shape: tuple[int, ...]) -> tuple[int, int]:
        """The fitted cell size, else the one for images of ``shape``."""
        try:
            return self.pixels_per_cell_
        except AttributeError:
            return auto_pixels_per_cell(shape, tuple(self.cells_per_block))

    def choices(self, image_shape: tuple[int, ...]) -> dict[str, Any]:
        return {"pixels_per_cell": list(self._cells_for(image_shape))}

    def check_geometry(self, shape: tuple[int, ...]) -> None:
        # 'auto' is checked with the cells these images would get (fit sees them first).
        cells = self.pixels_per_cell
        if cells == AUTO:
            cells = auto_pixels_per_cell(shape, tuple(self.cells_per_block))
        hog_geometry(shape, cells, self.cells_per_block)

    def _begin(self, X: np.ndarray) -> None:
        # Resolved once per call, not per chunk: one torch lookup and at most one fallback note.
        cpu = self.device == "cpu"  # the NumPy path: no torch import
        self.device_ = "cpu" if cpu else str(resolve_device(self.device, "hog device"))
        self._cells = self._cells_for(X.shape[1:])

    def _transform_batch(self, X: np.ndarray) -> np.ndarray:
        # Batched over the whole chunk; equal to skimage.feature.hog per image (see hog_batch).
        return hog_batch(
            X,
            orientations=self.orientations,
            pixels_per_cell=self._cells,
            cells_per_block=tuple(self.cells_per_block),
            block_norm=self.block_norm,
            transform_sqrt=self.transform_sqrt,
            channel_axis=-1 if X.ndim == 4 else None,
            device=self.device_,
        )
