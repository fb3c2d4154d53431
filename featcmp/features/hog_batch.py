"""Batched HOG features, numerically equal to ``skimage.feature.hog`` (scikit-image 0.26).

``skimage.feature.hog`` works one image at a time and spends most of its time in Python loops
(about 440 us per 28x28 image).  This module computes the same descriptor for a whole stack of
images with a handful of vectorised NumPy passes (or torch ops on a GPU).

Semantics reproduced from ``skimage/feature/_hog.py`` and ``_hoghistogram.pyx``:

* the image is cast to float64 (float32 for float16/float32 input), optionally square-rooted,
  and differentiated with central differences ``I[r+1] - I[r-1]``; the first and last row
  (column) of the *whole* image get a zero gradient;
* for multichannel images the gradient of the channel with the largest magnitude is kept per
  pixel (first channel on ties);
* orientation is ``rad2deg(arctan2(g_row, g_col)) % 180`` and pixel ``p`` votes for bin ``i``
  when ``w * i <= o < w * (i + 1)`` with ``w = 180 / orientations``; an angle that rounds to
  exactly 180 from below votes nowhere;
* a cell sums the magnitudes ``hypot(g_col, g_row)`` of its pixels in row-major order into a
  **float32** accumulator and divides by the cell area in float32 (``cdef float total`` in the
  Cython source).  We replay that accumulation exactly, so the histograms are bit-identical;
* only the top-left ``n_cells * pixels_per_cell`` pixels are binned when the image size is not
  a multiple of the cell size (their gradients still see the pixels beyond);
* odd cell sizes cover the whole cell in 0.26 (older releases dropped a row and a column);
* blocks of ``cells_per_block`` cells slide with a stride of one cell and are normalised with
  ``eps = 1e-5`` (L1 norms add ``eps``, L2 norms add ``eps**2`` under the root; L2-Hys clips at
  0.2 and renormalises).

The one deliberate deviation: the magnitude is ``sqrt(g_row**2 + g_col**2)`` instead of
``np.hypot`` (which costs ~16 ns per pixel, more than the whole rest of the pipeline).  The two
differ by at most one float64 ulp (on ~17% of random float pixels, ~0.5% of integer ones),
which only matters in the rare case it flips a float32 rounding of a cell sum (then one entry
moves by ~6e-8 relative).  Measured on the tests and on 2000 28x28 images: max |diff| <= 2e-16
with float64 output.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from featcmp.errors import ConfigError, DataError, unknown_name

BLOCK_NORMS: tuple[str, ...] = ("L1", "L1-sqrt", "L2", "L2-Hys")
_EPS = 1e-5
# Pixels per internal NumPy chunk: 2**16 pixels keeps each float64 scratch array at 512 KB, so
# the dozen passes over a chunk mostly hit the caches, while the ~80 NumPy calls per chunk stay
# cheap per image (measured best of 2**15 .. 2**19).  ``batch_size`` can only lower this.
_CHUNK_PIXELS = 1 << 16


def _pair(value: int | Sequence[int], name: str) -> tuple[int, int]:
    pair = (int(value), int(value)) if np.isscalar(value) else tuple(int(v) for v in value)
    if len(pair) != 2 or min(pair) < 1:
        raise DataError(f"HOG {name} must be two positive integers, got {value!r}")
    return pair[0], pair[1]


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
    ppc = _pair(pixels_per_cell, "pixels_per_cell")
    cpb = _pair(cells_per_block, "cells_per_block")
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
    by, bx = _pair(cells_per_block, "cells_per_block")
    return n_blocks_row * n_blocks_col * by * bx * int(orientations)


def _work_dtype(dtype: np.dtype) -> type[np.floating]:
    """skimage's ``_supported_float_type``: float16/float32 stay float32, the rest go float64."""
    return np.float32 if dtype in (np.float16, np.float32) else np.float64


def _as_channels_last(images: np.ndarray, channel_axis: int | None) -> np.ndarray:
    """Validate the stack's rank and move a per-image channel axis to the end."""
    if channel_axis is None:
        if images.ndim != 3:
            raise DataError(
                f"HOG expects gray images as an (n, H, W) array, got shape {images.shape}; "
                "pass channel_axis for colour images"
            )
        return images
    if images.ndim != 4:
        raise DataError(
            f"HOG with channel_axis={channel_axis} expects an (n, H, W, C) array, "
            f"got shape {images.shape}"
        )
    if not -3 <= channel_axis <= 2:
        raise DataError(f"channel_axis={channel_axis} is out of range for (H, W, C) images")
    # channel_axis counts the axes of one image (as in skimage); +1 skips the batch axis.
    return np.moveaxis(images, channel_axis % 3 + 1, -1)


def _check_block_norm(block_norm: str) -> None:
    if block_norm not in BLOCK_NORMS:
        raise DataError(unknown_name("block_norm", block_norm, BLOCK_NORMS))


def hog_batch(
    images: np.ndarray,
    orientations: int = 9,
    pixels_per_cell: int | Sequence[int] = (8, 8),
    cells_per_block: int | Sequence[int] = (3, 3),
    block_norm: str = "L2-Hys",
    transform_sqrt: bool = False,
    channel_axis: int | None = None,
    device: str = "cpu",
    batch_size: int = 4096,
    dtype: type[np.floating] | np.dtype = np.float32,
) -> np.ndarray:
    """HOG descriptors of a stack of images, equal to ``skimage.feature.hog`` image by image.

    Parameters
    ----------
    images : (n, H, W) or (n, H, W, C) array_like
        Gray images, or multichannel images with ``channel_axis`` set.  Any real dtype; like
        skimage, float16/float32 images are processed in float32 up to the gradient, everything
        else in float64.
    orientations : int
        Number of orientation bins over [0, 180) degrees.
    pixels_per_cell : (int, int)
        Cell size in pixels (rows, cols).
    cells_per_block : (int, int)
        Block size in cells (rows, cols); blocks slide by one cell.
    block_norm : {'L1', 'L1-sqrt', 'L2', 'L2-Hys'}
        Block normalisation, as in skimage.
    transform_sqrt : bool
        Take the square root of the image first (power-law compression).
    channel_axis : int or None
        Channel axis *of one image* (skimage convention, e.g. ``-1`` or ``2``); None for gray.
    device : str
        ``'cpu'``: the NumPy implementation.  ``'cuda'``, ``'cuda:N'``: the torch implementation
        on that GPU.  ``'torch'`` / ``'torch:cpu'``: the torch implementation on the CPU (mainly
        for checking it against the NumPy path).
    batch_size : int
        At most this many images are processed at once, which bounds the working memory
        (torch uses roughly ``15 * 8`` bytes per pixel of a chunk; NumPy also caps its chunks
        at 64 K pixels, which is faster because the scratch arrays stay in cache).
    dtype : numpy float dtype
        Output dtype.  float32 by default: it halves the memory of large feature matrices and
        is what the classifiers downstream consume; the rounding error (< 3e-8 for values in
        [0, 1]) is far below what matters.  Pass ``np.float64`` for the full precision (and
        for parity checks at the 1e-12 level).

    Returns
    -------
    features : (n, n_features) ndarray of ``dtype``
        ``n_features = n_blocks_row * n_blocks_col * cells_per_block[0] * cells_per_block[1]
        * orientations``, flattened in skimage's order
        ``(block_row, block_col, cell_row, cell_col, orientation)``.

    Raises
    ------
    DataError
        If the images are too small for the cell/block geometry, the array has the wrong rank,
        or ``block_norm`` / the geometry parameters are invalid.
    ConfigError
        If ``device`` is unknown or CUDA is requested but not available.
    """
    images = _as_channels_last(np.asarray(images), channel_axis)
    _check_block_norm(block_norm)
    orientations = int(orientations)
    if orientations < 1:
        raise DataError(f"HOG orientations must be a positive integer, got {orientations}")
    if int(batch_size) < 1:
        raise DataError(f"HOG batch_size must be a positive integer, got {batch_size}")
    ppc = _pair(pixels_per_cell, "pixels_per_cell")
    cpb = _pair(cells_per_block, "cells_per_block")
    n_feat = hog_n_features(images.shape[1:3], orientations, ppc, cpb)
    params = dict(
        orientations=orientations,
        pixels_per_cell=ppc,
        cells_per_block=cpb,
        block_norm=block_norm,
        transform_sqrt=bool(transform_sqrt),
    )

    if device.startswith(("cuda", "torch")):
        from featcmp.features.hog_torch import hog_batch_torch

        torch_device = "cpu" if device in ("torch", "torch:cpu") else device
        return hog_batch_torch(
            images, device=torch_device, batch_size=int(batch_size), dtype=dtype, **params
        )
    if device != "cpu":
        raise ConfigError(
            f"unknown HOG device '{device}'; choose from: cpu, cuda, cuda:N, torch, torch:cpu"
        )

    out = np.empty((images.shape[0], n_feat), dtype=dtype)
    pixels = images.shape[1] * images.shape[2] * (images.shape[3] if images.ndim == 4 else 1)
    step = max(1, min(int(batch_size), _CHUNK_PIXELS // max(pixels, 1)))
    workspace = _Workspace()  # scratch arrays shared by all chunks of this call
    for start in range(0, images.shape[0], step):
        stop = min(start + step, images.shape[0])
        _hog_chunk(images[start:stop], out[start:stop], workspace, **params)
    return out


def _gradients(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Central differences of a C-contiguous ``img`` (n, H, W[, C]), zero on the image border.

    Done on the flat buffer so every subtraction is one contiguous pass: a shift by one row
    (column) is a shift by ``W * C`` (``C``) elements; the values that wrap across a row or an
    image land exactly on the border, which skimage sets to zero anyway.
    """
    height, width = img.shape[1:3]
    step_col = int(np.prod(img.shape[3:], dtype=np.intp))
    step_row = width * step_col
    flat = img.reshape(-1)
    g_row = np.empty_like(img)
    g_col = np.empty_like(img)
    g_row_flat, g_col_flat = g_row.reshape(-1), g_col.reshape(-1)
    if flat.size > 2 * step_row:
        np.subtract(flat[2 * step_row :], flat[: -2 * step_row], out=g_row_flat[step_row:-step_row])
    if flat.size > 2 * step_col:
        np.subtract(flat[2 * step_col :], flat[: -2 * step_col], out=g_col_flat[step_col:-step_col])
    g_row[:, 0] = 0
    g_row[:, height - 1] = 0
    g_col[:, :, 0] = 0
    g_col[:, :, width - 1] = 0
    return g_row, g_col


class _Workspace:
    """Scratch arrays reused from chunk to chunk.

    Fresh multi-MB temporaries cost more than the arithmetic on them: glibc serves them with
    mmap and every first touch of a page is a fault (measured: ~4 us per 28x28 image per array).
    Every pass below therefore writes into one of these buffers with ``out=``.
    """

    def __init__(self) -> None:
        self._flat: dict[str, np.ndarray] = {}

    def __call__(self, name: str, shape: tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
        size = int(np.prod(shape, dtype=np.intp))
        flat = self._flat.get(name)
        if flat is None or flat.size < size or flat.dtype != dtype:
            flat = self._flat[name] = np.empty(size, dtype=dtype)
        return flat[:size].reshape(shape)


def _gradients(img: np.ndarray, ws: _Workspace) -> tuple[np.ndarray, np.ndarray]:
    """Central differences of a C-contiguous ``img`` (n, H, W[, C]), zero on the image border.

    Done on the flat buffer so every subtraction is one contiguous pass: a shift by one row
    (column) is a shift by ``W * C`` (``C``) elements; the values that wrap across a row or an
    image land exactly on the border, which skimage sets to zero anyway.
    """
    height, width = img.shape[1:3]
    step_col = int(np.prod(img.shape[3:], dtype=np.intp))
    step_row = width * step_col
    flat = img.reshape(-1)
    g_row = ws("g_row", img.shape, img.dtype.type)
    g_col = ws("g_col", img.shape, img.dtype.type)
    g_row_flat, g_col_flat = g_row.reshape(-1), g_col.reshape(-1)
    if flat.size > 2 * step_row:
        np.subtract(flat[2 * step_row :], flat[: -2 * step_row], out=g_row_flat[step_row:-step_row])
    if flat.size > 2 * step_col:
        np.subtract(flat[2 * step_col :], flat[: -2 * step_col], out=g_col_flat[step_col:-step_col])
    g_row[:, 0] = 0
    g_row[:, height - 1] = 0
    g_col[:, :, 0] = 0
    g_col[:, :, width - 1] = 0
    return g_row, g_col


def _hog_chunk(
    images: np.ndarray,
    out: np.ndarray,
    ws: _Workspace,
    orientations: int,
    pixels_per_cell: tuple[int, int],
    cells_per_block: tuple[int, int],
    block_norm: str,
    transform_sqrt: bool,
) -> None:
    """HOG of one chunk of images (n, H, W[, C]) with NumPy, written into ``out`` (n, n_feat)."""
    n = images.shape[0]
    py, px = pixels_per_cell
    n_cy, n_cx, _, _ = hog_geometry(images.shape[1:3], pixels_per_cell, cells_per_block)

    img = ws("img", images.shape, _work_dtype(images.dtype))
    np.copyto(img, images, casting="unsafe")
    if transform_sqrt:
        np.sqrt(img, out=img)
    g_row, g_col = _gradients(img, ws)

    if img.ndim == 4:
        # Per pixel keep the channel with the largest gradient magnitude; argmax takes the first
        # channel on ties like skimage.  Comparing squared magnitudes avoids the slow hypot;
        # sqrt is monotonic so the winner is the same except at float64 near-ties.
        sq = g_row * g_row
        sq += g_col * g_col
        best = sq.argmax(axis=-1)[..., None]
        g_row = np.take_along_axis(g_row, best, axis=-1)[..., 0]
        g_col = np.take_along_axis(g_col, best, axis=-1)[..., 0]

    # Crop to the pixels the cells cover and lay them out cell-major, (py, px, n, n_cy, n_cx):
    # step (dy, dx) of every cell's row-major walk is then one contiguous row.  The same copy
    # casts to float64, which is what skimage bins whatever the image dtype.
    cm_shape = (py, px, n, n_cy, n_cx)

    def cell_major(g: np.ndarray, name: str) -> np.ndarray:
        g = g[:, : n_cy * py, : n_cx * px].reshape(n, n_cy, py, n_cx, px)
        buf = ws(name, cm_shape)
        np.copyto(buf, g.transpose(2, 4, 0, 1, 3))
        return buf

    g_row, g_col = cell_major(g_row, "gr_cm"), cell_major(g_col, "gc_cm")
    tmp = ws("tmp", cm_shape)
    magnitude = ws("magnitude", cm_shape)
    np.multiply(g_row, g_row, out=magnitude)
    np.multiply(g_col, g_col, out=tmp)
    magnitude += tmp
    np.sqrt(magnitude, out=magnitude)
    bins = _orientation_bins(g_row, g_col, orientations, magnitude, ws)
    hist = _cell_histograms(magnitude, bins, py * px, orientations, ws)
    hist = hist.reshape(n, n_cy, n_cx, orientations)
    _normalize_blocks(hist, cells_per_block, block_norm, out.reshape(n, -1), ws)


def _orientation_bins(
    g_row: np.ndarray,
    g_col: np.ndarray,
    orientations: int,
    magnitude: np.ndarray,
    ws: _Workspace,
) -> np.ndarray:
    """Orientation bin of every pixel as float64 integers, exactly as skimage decides it.

    skimage computes ``o = rad2deg(arctan2(g_row, g_col)) % 180`` and puts a pixel in bin i
    when ``w*i <= o < w*(i+1)``, ``w = 180 / orientations``.  We use the same NumPy ufuncs on
    C-contiguous float64 arrays (so the same SIMD arctan2 loop as skimage's contiguous arrays)
    and the same float64 edges ``fl(w * i)``, so even angles on an edge land where skimage puts
    them.  A pixel whose angle rounds to exactly 180 gets no bin in skimage: its magnitude is
    zeroed (and it is parked in bin 0).
    """
    angle = ws("angle", g_row.shape)
    tmp = ws("tmp", g_row.shape)
    mask = ws("mask", g_row.shape, np.bool_)
    np.arctan2(g_row, g_col, out=angle)
    # np.rad2deg is ``x * (180.0 / NPY_PI)`` but runs a scalar loop; the multiply is SIMD.
    angle *= 180.0 / np.pi
    # Python's float modulo maps 180 to 0 and a negative a to fl(a + 180), which may round to
    # 180 (and then falls outside every bin); the order of these two fixes matters.
    np.equal(angle, 180.0, out=mask)
    if mask.any():
        angle[mask] = 0.0
    np.less(angle, 0.0, out=mask)
    np.multiply(mask, 180.0, out=tmp)
    angle += tmp
    # floor(angle / w) can be off by one within an ulp of an edge: correct it against the exact
    # edges, recomputed as fl(w * i) (float ops on small integers, no table lookups).
    width = 180.0 / orientations
    bins = ws("bins", g_row.shape)
    np.multiply(angle, orientations / 180.0, out=bins)
    np.floor(bins, out=bins)
    np.minimum(bins, orientations, out=bins)
    np.multiply(bins, width, out=tmp)
    np.less(angle, tmp, out=mask)
    bins -= mask
    np.add(bins, 1.0, out=tmp)
    tmp *= width
    np.greater_equal(angle, tmp, out=mask)
    bins += mask
    np.equal(bins, orientations, out=mask)
    if mask.any():
        magnitude[mask] = 0.0  # adding 0.0 leaves a float32 sum unchanged
        bins[mask] = 0.0
    return bins


def _cell_histograms(
    magnitude: np.ndarray,
    bins: np.ndarray,
    cell_area: int,
    orientations: int,
    ws: _Workspace,
) -> np.ndarray:
    """Orientation histograms of all cells, (n_cells, orientations) float64.

    ``magnitude`` and ``bins`` are cell-major (cell_area, n_cells) (see `_hog_chunk`).  skimage
    walks each cell's pixels in row-major order doing ``total = float32(total + magnitude)``
    per bin (``cdef float total``) and then divides by the cell area in float32.  Step k of that
    walk touches one bin of every cell, so a gather / float64 add / rounding scatter over the
    row ``k`` replays it exactly, vectorised across cells and images.
    """
    n_cells = magnitude.size // cell_area
    mag = magnitude.reshape(cell_area, n_cells)
    # Flat (cell, bin) index of every pixel; bins are small float integers, so adding the cell
    # offset in float64 is exact and one cast gives the index array.
    flat = bins.reshape(cell_area, n_cells)
    flat += np.arange(0, n_cells * orientations, orientations, dtype=np.float64)
    index = ws("index", flat.shape, np.intp)
    np.copyto(index, flat, casting="unsafe")
    acc = ws("acc", (n_cells * orientations,), np.float32)
    acc.fill(0.0)
    gathered = ws("gathered", (n_cells,), np.float32)
    summed = ws("summed", (n_cells,))
    for k in range(cell_area):
        np.take(acc, index[k], out=gathered)
        np.add(gathered, mag[k], out=summed)  # float64 sum, as C promotes float + double ...
        np.copyto(gathered, summed, casting="same_kind")  # ... rounded to float32
        acc[index[k]] = gathered  # (a same-dtype scatter is ~2x faster than a casting one)
    acc /= np.float32(cell_area)
    hist = ws("hist", acc.shape)
    np.copyto(hist, acc)
    return hist


def _normalize_blocks(
    hist: np.ndarray,
    cells_per_block: tuple[int, int],
    method: str,
    out: np.ndarray,
    ws: _Workspace,
) -> None:
    """Normalise every block of ``hist`` (n, n_cy, n_cx, n_or) into ``out`` (n, n_feat).

    ``out`` is filled in skimage's order (n, block_row, block_col, by, bx, n_or).
    """
    by, bx = cells_per_block
    n, n_cy, n_cx, _ = hist.shape
    n_bry, n_brx = n_cy - by + 1, n_cx - bx + 1
    # (n, bry, brx, n_or, by, bx) sliding view -> skimage's (n, bry, brx, by, bx, n_or) order.
    windows = sliding_window_view(hist, (by, bx), axis=(1, 2)).transpose(0, 1, 2, 4, 5, 3)

    # The first norm only needs per-cell sums added over each block's cells.  Histograms are
    # sums of magnitudes, hence >= 0, so the L1 norm is a plain sum.
    l1 = method in ("L1", "L1-sqrt")
    per_cell = ws("per_cell", (n, n_cy, n_cx))
    if l1:
        np.sum(hist, axis=-1, out=per_cell)
    else:
        np.einsum("...i,...i->...", hist, hist, out=per_cell)
    scale = ws("scale", (n, n_bry, n_brx))
    scale.fill(0.0)
    for dy in range(by):
        for dx in range(bx):
            scale += per_cell[:, dy : dy + n_bry, dx : dx + n_brx]
    if l1:
        scale += _EPS
    else:
        scale += _EPS**2
        np.sqrt(scale, out=scale)
    np.reciprocal(scale, out=scale)

    blocks = ws("blocks", windows.shape)
    np.multiply(windows, scale[..., None, None, None], out=blocks)
    blocks = blocks.reshape(n, n_bry, n_brx, -1)
    if method == "L1-sqrt":
        np.sqrt(blocks, out=blocks)
    elif method == "L2-Hys":
        np.minimum(blocks, 0.2, out=blocks)
        np.einsum("...i,...i->...", blocks, blocks, out=scale)
        scale += _EPS**2
        np.sqrt(scale, out=scale)
        np.reciprocal(scale, out=scale)
        blocks *= scale[..., None]
    np.copyto(out, blocks.reshape(n, -1), casting="same_kind")


__all__ = ["BLOCK_NORMS", "hog_batch", "hog_geometry", "hog_n_features"]
