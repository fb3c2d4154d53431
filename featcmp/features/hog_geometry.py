"""HOG geometry and the numerics every HOG implementation shares (NumPy and torch alike).

`hog_batch` (NumPy) and `hog_torch` (torch) both import from here, so neither imports the
other's internals: the cells and blocks of an image, the vector length, the working dtype and
skimage's exact orientation bins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from featcmp.errors import DataError

BLOCK_NORMS: tuple[str, ...] = ("L1", "L1-sqrt", "L2", "L2-Hys")
# skimage's block-normalisation epsilon (L1 norms add it, L2 norms add its square).
EPS = 1e-5


@dataclass(frozen=True)
class HOGSpec:
    """What a HOG descriptor is computed with, as `hog_batch` takes it (sizes as pairs)."""

    orientations: int
    pixels_per_cell: tuple[int, int]
    cells_per_block: tuple[int, int]
    block_norm: str
    transform_sqrt: bool


def pair(value: int | Sequence[int]) -> tuple[int, int]:
    """(rows, cols) of a size given as one number or two (checked where it is declared)."""
    rows, cols = (value, value) if np.isscalar(value) else value
    return int(rows), int(cols)


def hog_geometry(
    image_shape: Sequence[int],
    pixels_per_cell: int | Sequence[int] = (8, 8),
    cells_per_block: int | Sequence[int] = (3, 3),
) -> tuple[int, int, int, int]:
    """Cells and blocks of one image, raising `DataError` when the image is too small.

    Parameters
    ----------
    image_shape : sequence of int
        ``(H, W)`` (a trailing channel axis, if any, is ignored).
    pixels_per_cell, cells_per_block : (int, int)
        As in `hog_batch`.

    Returns
    -------
    n_cells_row, n_cells_col, n_blocks_row, n_blocks_col : int
    """
    height, width = int(image_shape[0]), int(image_shape[1])
    ppc = pair(pixels_per_cell)
    cpb = pair(cells_per_block)
    n_cells_row, n_cells_col = height // ppc[0], width // ppc[1]
    n_blocks_row, n_blocks_col = n_cells_row - cpb[0] + 1, n_cells_col - cpb[1] + 1
    if n_blocks_row <= 0 or n_blocks_col <= 0:
        need = f"{ppc[0] * cpb[0]}x{ppc[1] * cpb[1]}"
        raise DataError(
            f"images of {height}x{width} are too small for HOG with pixels_per_cell={ppc} and "
            f"cells_per_block={cpb}: need at least {need}; use smaller cells or blocks"
        )
    return n_cells_row, n_cells_col, n_blocks_row, n_blocks_col


def hog_n_features(
    image_shape: Sequence[int],
    orientations: int = 9,
    pixels_per_cell: int | Sequence[int] = (8, 8),
    cells_per_block: int | Sequence[int] = (3, 3),
) -> int:
    """Length of the HOG vector: ``n_blocks_row * n_blocks_col * by * bx * orientations``."""
    _, _, n_blocks_row, n_blocks_col = hog_geometry(image_shape, pixels_per_cell, cells_per_block)
    by, bx = pair(cells_per_block)
    return n_blocks_row * n_blocks_col * by * bx * int(orientations)


def work_dtype(dtype: np.dtype) -> type[np.floating]:
    """skimage's ``_supported_float_type``: float16/float32 stay float32, the rest go float64."""
    return np.float32 if dtype in (np.float16, np.float32) else np.float64


def exact_bins(g_row: np.ndarray, g_col: np.ndarray, orientations: int) -> np.ndarray:
    """skimage's bin of each gradient (float64 arithmetic, its exact edges); -1 for none.

    skimage computes ``o = rad2deg(arctan2(g_row, g_col)) % 180`` and puts a pixel in bin i
    when ``w*i <= o < w*(i+1)``, ``w = 180 / orientations`` (the edges rounded as ``fl(w*i)``);
    an angle that rounds to exactly 180 (``-tiny % 180``) falls in no bin.  Same ufuncs here,
    on contiguous float64 arrays like skimage's.
    """
    g_row = np.ascontiguousarray(g_row, dtype=np.float64)
    g_col = np.ascontiguousarray(g_col, dtype=np.float64)
    angle = np.rad2deg(np.arctan2(g_row, g_col)) % 180
    width = 180.0 / orientations
    # floor(angle / w) can be off by one within an ulp of an edge: correct it against fl(w*i).
    bins = np.minimum(np.floor(angle * (orientations / 180.0)), orientations)
    bins -= angle < bins * width
    bins += angle >= (bins + 1.0) * width
    bins[bins >= orientations] = -1
    return bins.astype(np.intp)
