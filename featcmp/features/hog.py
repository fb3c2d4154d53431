"""HOG features, with scikit-image's own parameter names."""

from __future__ import annotations

from typing import Any

import numpy as np

from featcmp.devices import check_device, resolve_device
from featcmp.errors import ConfigError
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


class HOGFeatures(ImageTransformer):
    """Histogram of oriented gradients per image (`skimage.feature.hog`, feature vector).

    ``pixels_per_cell="auto"`` picks the cell size from the images seen by `fit`
    (`auto_pixels_per_cell`) and keeps it as ``pixels_per_cell_``; an explicit pair is used as
    given (and kept as ``pixels_per_cell_`` too).
    """

    label = "HOG"

    def __init__(
        self,
        orientations: int = 9,
        pixels_per_cell: tuple[int, int] | str = (4, 4),
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
        if isinstance(self.pixels_per_cell, str):
            if self.pixels_per_cell != AUTO:
                raise ConfigError(
                    f"hog.pixels_per_cell: expected '{AUTO}' or two numbers [rows, cols], "
                    f"got '{self.pixels_per_cell}'"
                )
            cells: tuple[int, ...] = (1, 1)
        elif isinstance(self.pixels_per_cell, list | tuple):
            cells = tuple(self.pixels_per_cell)
        else:
            raise ConfigError(
                f"hog.pixels_per_cell: expected '{AUTO}' or two numbers [rows, cols], "
                f"got {self.pixels_per_cell!r}"
            )
        if len(cells) != 2 or len(self.cells_per_block) != 2:
            raise ConfigError(
                "hog.pixels_per_cell and hog.cells_per_block take two numbers, [rows, cols]"
            )
        cy, cx = cells
        by, bx = self.cells_per_block
        if min(cy, cx, by, bx) < 1:
            raise ConfigError("hog.pixels_per_cell and hog.cells_per_block must be positive")

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

    def transform(self, X) -> np.ndarray:
        # Resolved once per call, not per chunk: one torch lookup and at most one fallback note.
        cpu = self.device == "cpu"  # the NumPy path: no torch import
        self.device_ = "cpu" if cpu else str(resolve_device(self.device, "hog device"))
        self._cells = self._cells_for(np.shape(X)[1:])
        return super().transform(X)

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
