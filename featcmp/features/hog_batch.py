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
* a cell sums the magnitudes ``hypot(g_col, g_row)`` of its pixels into a float32 accumulator
  and divides by the cell area;
* only the top-left ``n_cells * pixels_per_cell`` pixels are binned when the image size is not
  a multiple of the cell size (their gradients still see the pixels beyond);
* odd cell sizes: 0.26 bins every pixel of the cell (older releases looped over
  ``range(-c // 2, c // 2)`` and dropped a row and a column of odd cells); so do we, and
  ``tests/test_hog_batch.py`` pins it;
* blocks of ``cells_per_block`` cells slide with a stride of one cell and are normalised with
  ``eps = 1e-5`` (L1 norms add ``eps``, L2 norms add ``eps**2`` under the root; L2-Hys clips at
  0.2 and renormalises).

Where we differ, on purpose and within the 1e-6 parity bar (measured: ~5e-8 on MNIST):

* magnitudes are ``sqrt(g_row**2 + g_col**2)`` in float32 when that is safe (see
  `_angle_dtype`), not float64 ``np.hypot`` (~16 ns per pixel, more than this whole module);
* cell sums are one float64 ``np.bincount`` instead of skimage's float32 accumulation;
* block features are computed in the output dtype (float32 by default);
* the orientation bin comes from a float32 ``arctan2`` (4x cheaper than float64); the pixels
  within `_TOLERANCE` of a bin edge, where that estimate could disagree with skimage, are
  re-binned with skimage's own float64 arithmetic, so every pixel lands in skimage's bin.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from featcmp.errors import DataError
from featcmp.features.hog_geometry import (
    BLOCK_NORMS,
    EPS,
    HOGSpec,
    exact_bins,
    hog_geometry,
    hog_n_features,
    pair,
    work_dtype,
)

# Pixels per internal NumPy chunk: 2**16 pixels keeps each float64 scratch array at 512 KB, so
# the dozen passes over a chunk mostly hit the caches, while the ~80 NumPy calls per chunk stay
# cheap per image (measured best of 2**15 .. 2**19).  ``batch_size`` can only lower this.
_CHUNK_PIXELS = 1 << 16
# Half-width, in bins, of the band around each bin edge where the float32 orientation estimate
# is not trusted and the pixel is re-binned in float64: float32 atan2 is good to a few ulp
# (~1e-6 bins at most), so 1e-4 leaves two orders of magnitude of margin.
_TOLERANCE = 1e-4


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
        is what the classifiers downstream consume.  Either way the features are within 1e-6
        of skimage's (typically ~5e-8); float64 output only removes the final rounding.

    Returns
    -------
    features : (n, n_features) ndarray of ``dtype``
        ``n_features = n_blocks_row * n_blocks_col * cells_per_block[0] * cells_per_block[1]
        * orientations``, flattened in skimage's order
        ``(block_row, block_col, cell_row, cell_col, orientation)``.

    The parameters are trusted: `HOGFeatures` declares and checks them (featcmp.config.params).

    Raises
    ------
    DataError
        If the images are too small for the cell/block geometry (`hog_geometry`, the one
        geometry check) or the array has the wrong rank.
    ConfigError
        If CUDA is requested but not available.
    """
    images = _as_channels_last(np.asarray(images), channel_axis)
    ppc, cpb = pair(pixels_per_cell), pair(cells_per_block)
    spec = HOGSpec(int(orientations), ppc, cpb, block_norm, bool(transform_sqrt))
    n_feat = hog_n_features(images.shape[1:3], spec.orientations, ppc, cpb)
    if device != "cpu":
        from featcmp.features.hog_torch import hog_batch_torch

        torch_device = "cpu" if device in ("torch", "torch:cpu") else device
        return hog_batch_torch(images, spec, torch_device, int(batch_size), dtype)

    out = np.empty((images.shape[0], n_feat), dtype=dtype)
    plan = _Plan(images, spec)
    step = max(1, min(int(batch_size), _CHUNK_PIXELS // max(plan.pixels, 1)))
    for start in range(0, images.shape[0], step):
        stop = min(start + step, images.shape[0])
        _hog_chunk(images[start:stop], out[start:stop], plan)
    return out


def _gradient_dtype(images: np.ndarray, transform_sqrt: bool) -> type[np.floating]:
    """dtype in which the image and its gradient are held.

    skimage's (`work_dtype`), except for integer images up to 16 bits without
    ``transform_sqrt``: their differences are integers below 2**17, exact in float32 too.
    """
    work = work_dtype(images.dtype)
    small_ints = images.dtype.kind in "biu" and images.dtype.itemsize <= 2
    return np.float32 if small_ints and not transform_sqrt else work


def _angle_dtype(images: np.ndarray, grad_dtype: type[np.floating]) -> type[np.floating]:
    """dtype of the orientation estimate and the magnitudes.

    float32 (twice the SIMD width, and ``arctan2`` is 4x cheaper) whenever rounding the
    gradient to float32 cannot flush it to zero or overflow it: float32 gradients, and any
    integer image.  Float64 images (tiny or huge values are possible) stay float64.
    """
    if grad_dtype == np.float32:
        finite = images.size == 0 or float(np.abs(images).max()) < 1e15
        return np.float32 if finite else np.float64
    return np.float32 if images.dtype.kind in "biu" else np.float64


class _Plan:
    """Per-call constants: dtypes, geometry, histogram slots and the block gather index.

    Scratch arrays are kept here too and reused by every chunk: fresh multi-MB temporaries
    cost more than the arithmetic on them (glibc serves them with mmap and every first touch
    of a page faults), so every pass writes into one of these buffers with ``out=``.
    """

    def __init__(self, images: np.ndarray, spec: HOGSpec) -> None:
        self.orientations, transform_sqrt = spec.orientations, spec.transform_sqrt
        pixels_per_cell, cells_per_block = spec.pixels_per_cell, spec.cells_per_block
        self.cells_per_block = cells_per_block
        self.block_norm = spec.block_norm
        self.transform_sqrt = transform_sqrt
        self.image_shape = images.shape[1:]
        self.pixels = int(np.prod(self.image_shape, dtype=np.intp))
        self.grad_dtype = _gradient_dtype(images, transform_sqrt)
        self.angle_dtype = _angle_dtype(images, self.grad_dtype)
        self.bits_dtype = np.uint32 if self.angle_dtype == np.float32 else np.uint64
        self.sign_bit = self.bits_dtype(1 << (8 * np.dtype(self.bits_dtype).itemsize - 1))
        height, width = images.shape[1:3]
        py, px = pixels_per_cell
        self.cell_area = py * px
        n_cy, n_cx, n_bry, n_brx = hog_geometry((height, width), pixels_per_cell, cells_per_block)
        self.cells = (n_cy, n_cx)
        self.blocks = (n_bry, n_brx)
        # Histogram slots per image: orientations + 1 per cell (see `_hog_chunk`) for every
        # cell plus one dump cell for the pixels right of / below the last full cell.
        self.n_cells = n_cy * n_cx
        self.slots = spec.orientations + 1
        cell = np.full((height, width), self.n_cells, dtype=np.intp)
        rows, cols = np.arange(n_cy * py) // py, np.arange(n_cx * px) // px
        cell[: n_cy * py, : n_cx * px] = rows[:, None] * n_cx + cols[None, :]
        self.cell_slot = cell * self.slots  # first slot of each pixel's cell, (H, W)
        self.image_slots = (self.n_cells + 1) * self.slots
        self._buffers: dict[str, np.ndarray] = {}
        self._bases: np.ndarray | None = None

    def buffer(self, name: str, shape: tuple[int, ...], dtype: type) -> np.ndarray:
        """A reusable scratch array of ``shape`` and ``dtype`` (contents undefined)."""
        size = math.prod(shape)
        flat = self._buffers.get(name)
        if flat is None or flat.size < size or flat.dtype != dtype:
            flat = self._buffers[name] = np.empty(size, dtype=dtype)
        return flat[:size].reshape(shape)

    def filled(self, name: str, shape: tuple[int, ...], dtype: type, value: float) -> np.ndarray:
        """A read-only array of ``shape`` holding ``value``, filled once per plan."""
        key = f"{name}={value}"
        flat = self._buffers.get(key)
        size = math.prod(shape)
        if flat is None or flat.size < size or flat.dtype != dtype:
            flat = self._buffers[key] = np.full(size, value, dtype=dtype)
        return flat[:size].reshape(shape)

    def slot_base(self, n: int) -> np.ndarray:
        """(n, H, W) index of slot 0 of every pixel's cell in the chunk's flat histogram."""
        if self._bases is None or len(self._bases) < n:
            offsets = np.arange(n, dtype=np.intp)[:, None, None] * self.image_slots
            self._bases = (offsets + self.cell_slot).astype(np.int32)
        return self._bases[:n]


def _gradients(img: np.ndarray, plan: _Plan) -> tuple[np.ndarray, np.ndarray]:
    """Central differences of a C-contiguous ``img`` (n, H, W[, C]), zero on the image border.

    Done on the flat buffer so every subtraction is one contiguous pass: a shift by one row
    (column) is a shift by ``W * C`` (``C``) elements; the values that wrap across a row or an
    image land exactly on the border, which skimage sets to zero anyway.
    """
    height, width = img.shape[1:3]
    step_col = int(np.prod(img.shape[3:], dtype=np.intp))
    step_row = width * step_col
    flat = img.reshape(-1)
    g_row = plan.buffer("g_row", img.shape, img.dtype.type)
    g_col = plan.buffer("g_col", img.shape, img.dtype.type)
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


def _strongest_channel(g_row: np.ndarray, g_col: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pixel, the gradient of the channel with the largest magnitude (first on ties).

    Squared magnitudes instead of skimage's hypot: sqrt is monotonic, so the winner is the
    same except at float near-ties, where both gradients are equally strong anyway.
    """
    sq = g_row * g_row
    sq += g_col * g_col
    best = sq.argmax(axis=-1)[..., None]
    g_row = np.take_along_axis(g_row, best, axis=-1)[..., 0]
    g_col = np.take_along_axis(g_col, best, axis=-1)[..., 0]
    return np.ascontiguousarray(g_row), np.ascontiguousarray(g_col)


def _hog_chunk(images: np.ndarray, out: np.ndarray, plan: _Plan) -> None:
    """HOG of one chunk of images (n, H, W[, C]), written into ``out`` (n, n_feat).

    Orientation binning without a float64 ``arctan2`` per pixel: ``p = O/pi * arctan2(g_row,
    g_col)`` in float32 lies in [-O, O], and ``p + O`` for ``p < 0`` (skimage's ``% 180``) lies
    in [0, O]; away from integers its integer part is the bin (``O`` itself is an angle of
    exactly 180, which ``% 180`` maps to bin 0).  So every pixel votes into slot ``floor(p)``
    of its cell's ``O + 1`` slots, one ``np.bincount`` sums the magnitudes and slot ``O`` is
    added to bin 0.  Pixels whose ``p`` lies within ``_TOLERANCE`` of an integer - where
    float32 rounding might put them on the other side of a bin edge than skimage's float64 -
    are re-binned exactly the skimage way (`exact_bins`); ``g_row == 0`` always means bin 0
    (angle 0 or 180) and needs no check.
    """
    n = images.shape[0]
    img = plan.buffer("img", images.shape, plan.grad_dtype)
    np.copyto(img, images, casting="unsafe")
    if plan.transform_sqrt:
        np.sqrt(img, out=img)
    g_row, g_col = _gradients(img, plan)
    if img.ndim == 4:
        g_row, g_col = _strongest_channel(g_row, g_col)

    shape = g_row.shape  # (n, H, W)
    adt = plan.angle_dtype
    if g_row.dtype != adt:
        g_row_a, g_col_a = plan.buffer("g_row_a", shape, adt), plan.buffer("g_col_a", shape, adt)
        np.copyto(g_row_a, g_row, casting="same_kind")
        np.copyto(g_col_a, g_col, casting="same_kind")
    else:
        g_row_a, g_col_a = g_row, g_col
    n_bins = plan.orientations
    # Fold every gradient into the upper half plane (g_row >= 0) by moving the sign of g_row
    # onto g_col - a sign-bit XOR, exact - so arctan2 lands in [0, pi] which is skimage's
    # ``% 180``; g_row == +-0 gives 0 or pi, both bin 0 in skimage and here (slot O).
    sign_bits = plan.buffer("sign_bits", shape, plan.bits_dtype)
    row_up = plan.buffer("row_up", shape, adt)
    col_up = plan.buffer("col_up", shape, adt)
    np.bitwise_and(g_row_a.view(plan.bits_dtype), plan.sign_bit, out=sign_bits)
    np.bitwise_xor(g_col_a.view(plan.bits_dtype), sign_bits, out=col_up.view(plan.bits_dtype))
    np.abs(g_row_a, out=row_up)
    pos = plan.buffer("pos", shape, adt)
    np.arctan2(row_up, col_up, out=pos)
    pos *= adt(n_bins / np.pi)

    # Magnitudes go to np.bincount as float64 weights: it converts any other dtype through a
    # slow generic cast (7x the cost of the whole sum), so the sqrt writes float64 directly.
    squares = plan.buffer("squares", shape, adt)
    tmp = plan.buffer("tmp", shape, adt)
    np.multiply(g_row_a, g_row_a, out=squares)
    np.multiply(g_col_a, g_col_a, out=tmp)
    squares += tmp
    np.sqrt(squares, out=squares)
    magnitude = plan.buffer("magnitude", shape, np.float64)
    np.copyto(magnitude, squares)

    # Slot = truncation (== floor, pos >= 0) + the slot base of the pixel's cell.  The
    # float32 -> int32 cast is the cheap SIMD one; bincount then wants intp.
    bin32 = plan.buffer("bin32", shape, np.int32)
    np.copyto(bin32, pos, casting="unsafe")
    base = plan.slot_base(n)
    np.add(bin32, base, out=bin32)
    slot = plan.buffer("slot", shape, np.intp)
    np.copyto(slot, bin32)

    # Pixels near a bin edge: |pos - round(pos)| < tolerance, g_row != 0.
    np.rint(pos, out=tmp)
    tmp -= pos
    np.abs(tmp, out=tmp)
    nonzero = plan.buffer("nonzero", shape, np.bool_)
    np.not_equal(g_row_a, 0, out=nonzero)
    mask = plan.buffer("mask", shape, np.bool_)
    np.less(tmp, adt(_TOLERANCE), out=mask)
    mask &= nonzero
    fix = np.flatnonzero(mask)
    if fix.size:
        bins = exact_bins(g_row.reshape(-1)[fix], g_col.reshape(-1)[fix], n_bins)
        nobin = bins < 0
        slot.reshape(-1)[fix] = base.reshape(-1)[fix] + np.where(nobin, 0, bins)
        magnitude.reshape(-1)[fix[nobin]] = 0.0

    votes = np.bincount(
        slot.reshape(-1), weights=magnitude.reshape(-1), minlength=n * plan.image_slots
    ).reshape(n, plan.n_cells + 1, plan.slots)[:, : plan.n_cells]
    votes[..., 0] += votes[..., n_bins]
    _normalize_blocks(votes.reshape(n, *plan.cells, plan.slots)[..., :n_bins], plan, out)


def _normalize_blocks(sums: np.ndarray, plan: _Plan, out: np.ndarray) -> None:
    """Normalise every block of the cell sums (n, n_cy, n_cx, O) into ``out`` (n, n_feat).

    skimage divides each cell sum by the cell area ``a`` first; the normalised features are
    the same when ``eps`` is scaled by ``a`` instead (``(v/a) / sqrt(sum (v/a)**2 + eps**2)
    == v / sqrt(sum v**2 + (a*eps)**2)``, likewise for L1), which saves a pass.  One copy lays
    the blocks out in skimage's feature order (n, blocks, by * bx * O), straight into ``out``
    when it is float32/float64, and every later pass is contiguous.  Histograms are sums of
    magnitudes, hence >= 0, so the L1 norm is a plain sum.
    """
    n = sums.shape[0]
    by, bx = plan.cells_per_block
    n_blocks = plan.blocks[0] * plan.blocks[1]
    direct = out.dtype in (np.float32, np.float64)
    blocks = out if direct else plan.buffer("blocks", out.shape, np.float64)
    dt = blocks.dtype.type
    view = blocks.reshape(n, *plan.blocks, by, bx, sums.shape[-1])
    np.copyto(view, _block_windows(sums, (by, bx)), casting="same_kind")
    blocks = blocks.reshape(n, n_blocks, -1)
    norm = plan.buffer("norm", (n, n_blocks, 1), dt)
    eps = EPS * plan.cell_area
    method = plan.block_norm
    if method in ("L1", "L1-sqrt"):
        np.sum(blocks, axis=-1, out=norm[..., 0])
        norm += dt(eps)
        np.reciprocal(norm, out=norm)
        blocks *= norm
        if method == "L1-sqrt":
            np.sqrt(blocks, out=blocks)
    else:
        _scale_by_l2(blocks, norm, eps)
        if method == "L2-Hys":
            # np.minimum has no fast path for a scalar operand: an array of 0.2 is 3x faster.
            np.minimum(blocks, plan.filled("clip", blocks.shape, dt, 0.2), out=blocks)
            _scale_by_l2(blocks, norm, EPS)
    if not direct:
        np.copyto(out, blocks.reshape(n, -1), casting="unsafe")


def _scale_by_l2(blocks: np.ndarray, norm: np.ndarray, eps: float) -> None:
    """``blocks /= sqrt(sum(blocks**2) + eps**2)`` per block (last axis), in place."""
    np.einsum("...i,...i->...", blocks, blocks, out=norm[..., 0])
    norm += norm.dtype.type(eps * eps)
    np.sqrt(norm, out=norm)
    np.reciprocal(norm, out=norm)
    blocks *= norm


def _block_windows(cells: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(n, bry, brx, by, bx, O) view of every block of ``cells`` (n, n_cy, n_cx, O).

    Strides by hand: `sliding_window_view` costs ~40 us per call, as much as the copy.
    """
    n, n_cy, n_cx, n_bins = cells.shape
    by, bx = size
    s_img, s_row, s_col, s_bin = cells.strides
    return np.lib.stride_tricks.as_strided(
        cells,
        shape=(n, n_cy - by + 1, n_cx - bx + 1, by, bx, n_bins),
        strides=(s_img, s_row, s_col, s_row, s_col, s_bin),
        writeable=False,
    )


__all__ = ["BLOCK_NORMS", "hog_batch", "hog_geometry", "hog_n_features"]
