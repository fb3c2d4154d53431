"""Torch implementation of `featcmp.features.hog_batch.hog_batch`, for GPUs.

Same descriptor as the NumPy path (see that module's docstring for the skimage semantics),
written as a fixed handful of dense batched tensor ops with no Python loop over pixels, cells
or blocks, and no data round trip to the host:

* images travel to the device in their own dtype (uint8 is 1 byte a pixel, not 8) and are
  cast there, in skimage's working dtype;
* orientation bins come from a float64 ``atan2`` and skimage's own edge tests
  (``fl(w*i) <= angle < fl(w*(i+1))``); the only thing two libraries can disagree on is
  ``atan2``'s last ulp, so the exact ties integer images produce (``g_row == 0``, ``g_col ==
  0``, ``|g_row| == |g_col|``) take the bin NumPy's float64 arithmetic gives them, and the rare
  other pixel within 1e-9 bins of an edge is re-binned on the host the NumPy path's way (one
  ``any()`` sync per call; for random float images it is essentially never taken);
* cell histograms are a dense one-hot of (pixel, orientation) votes summed over each cell's
  pixels in float64 (deterministic, no atomics), where skimage sums in float32 (~1e-8 apart);
* blocks are an ``unfold`` view, normalised in float64.

`hog_torch` keeps tensors on their device (the GPU entry point for data already there);
`hog_batch_torch` is the NumPy-in, NumPy-out wrapper behind ``hog_batch(device='cuda')``.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from featcmp.errors import ConfigError
from featcmp.features.hog_geometry import (
    EPS,
    HOGSpec,
    exact_bins,
    hog_geometry,
    hog_n_features,
    work_dtype,
)

# Half-width, in bins, of the band around a bin edge where a device atan2 (a few ulp, i.e.
# ~1e-13 bins for up to 180 orientations) might disagree with NumPy's: far wider than that
# error, far too narrow for float images to land in it in practice.
_EDGE_BAND = 1e-9
# Elements of the one-hot vote tensor (pixels x orientations) per chunk on the CPU, where a
# cache-sized working set is faster; on a GPU a chunk is one ``batch_size``.
_CPU_CHUNK_VOTES = 1 << 21


def hog_batch_torch(
    images: np.ndarray,
    spec: HOGSpec,
    device: str = "cuda",
    batch_size: int = 4096,
    dtype: type[np.floating] | np.dtype = np.float32,
) -> np.ndarray:
    """HOG of (n, H, W[, C]) channels-last images with torch on ``device``; see `hog_batch`.

    Arguments are already validated by `hog_batch`, which is the public entry point.  Each
    chunk goes to the device in the images' own dtype, and its features come back in
    ``dtype`` (cast on the device, so float32 output halves the copy back).

    Returns
    -------
    features : (n, n_features) ndarray of ``dtype`` (on the host)
    """
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"HOG device '{device}' requested but CUDA is not available; use cpu")
    dev = torch.device(device)
    n_feat = hog_n_features(
        images.shape[1:3], spec.orientations, spec.pixels_per_cell, spec.cells_per_block
    )
    out = np.empty((images.shape[0], n_feat), dtype=dtype)
    out_dtype = torch.float64 if out.dtype == np.float64 else torch.float32
    step = int(batch_size)
    if dev.type == "cpu":
        votes = int(np.prod(images.shape[1:3])) * spec.orientations
        step = max(1, min(step, _CPU_CHUNK_VOTES // max(votes, 1)))
    for start in range(0, images.shape[0], step):
        chunk = torch.from_numpy(_torch_ready(images[start : start + step])).to(dev)
        feats = hog_torch(chunk, spec, out_dtype=out_dtype)
        torch.from_numpy(out[start : start + len(chunk)]).copy_(feats)
    return out


def _torch_ready(chunk: np.ndarray) -> np.ndarray:
    """The chunk in a dtype torch takes as it is (uint16/32/64 and float16 are widened)."""
    if chunk.dtype in (np.uint8, np.int8, np.int16, np.int32, np.int64, np.float32, np.float64):
        return np.ascontiguousarray(chunk)
    if chunk.dtype == np.bool_:
        return np.ascontiguousarray(chunk, dtype=np.uint8)
    return np.ascontiguousarray(chunk, dtype=work_dtype(chunk.dtype))


def hog_torch(
    images: torch.Tensor, spec: HOGSpec, out_dtype: torch.dtype = torch.float64
) -> torch.Tensor:
    """HOG of (n, H, W[, C]) channels-last images on their device; (n, n_feat) ``out_dtype``.

    Equal to ``skimage.feature.hog`` per image within 1e-6 (float64 output); arguments as in
    `hog_batch`, already validated.  Integer images are processed in float64, float32 ones in
    float32 up to the gradient, like skimage.
    """
    orientations, pixels_per_cell, cells_per_block = (
        spec.orientations, spec.pixels_per_cell, spec.cells_per_block
    )  # fmt: skip
    n = images.shape[0]
    py, px = pixels_per_cell
    n_cy, n_cx, _, _ = hog_geometry(images.shape[1:3], pixels_per_cell, cells_per_block)
    work = torch.float32 if images.dtype in (torch.float16, torch.float32) else torch.float64
    img = images.to(work)
    if spec.transform_sqrt:
        img = img.sqrt()
    if n == 0:
        n_feat = hog_n_features(images.shape[1:3], orientations, pixels_per_cell, cells_per_block)
        return torch.empty((0, n_feat), dtype=out_dtype, device=images.device)

    g_row, g_col = _gradients(img)
    if img.ndim == 4:
        # Channel with the largest gradient magnitude per pixel (first one on ties).
        best = (g_row * g_row + g_col * g_col).argmax(dim=-1, keepdim=True)
        g_row = g_row.gather(-1, best)[..., 0]
        g_col = g_col.gather(-1, best)[..., 0]
    # Only the pixels of whole cells are binned (their gradients saw the pixels beyond); go
    # cell-major, (n, n_cy, n_cx, py * px), so each cell sums one contiguous run of pixels.
    g_row, g_col = _cell_major(g_row, n_cy, n_cx, py, px), _cell_major(g_col, n_cy, n_cx, py, px)

    magnitude = torch.sqrt(g_row * g_row + g_col * g_col)
    bins = _orientation_bins(g_row, g_col, orientations)
    hist = _cell_sums(bins, magnitude, orientations, dense=img.device.type != "cpu")
    hist = hist / (py * px)  # skimage averages over the cell

    by, bx = cells_per_block
    # (n, bry, brx, O, by, bx) -> skimage's (n, bry, brx, by, bx, O), flattened per block.
    blocks = hist.unfold(1, by, 1).unfold(2, bx, 1).permute(0, 1, 2, 4, 5, 3)
    blocks = blocks.reshape(n, blocks.shape[1] * blocks.shape[2], -1)
    return _normalize(blocks, spec.block_norm).reshape(n, -1).to(out_dtype)


def _cell_major(g: torch.Tensor, n_cy: int, n_cx: int, py: int, px: int) -> torch.Tensor:
    """(n, H, W) -> float64 (n, n_cy, n_cx, py * px), dropping pixels beyond the last cell."""
    g = g[:, : n_cy * py, : n_cx * px].reshape(g.shape[0], n_cy, py, n_cx, px)
    return g.permute(0, 1, 3, 2, 4).to(torch.float64).reshape(g.shape[0], n_cy, n_cx, py * px)


def _cell_sums(
    bins: torch.Tensor, magnitude: torch.Tensor, orientations: int, dense: bool
) -> torch.Tensor:
    """Per cell and orientation, the sum of the magnitudes voting there: (..., P) -> (..., O).

    ``bins`` of -1 (the angle rounded to 180) vote nowhere.  ``dense``: a one-hot (..., P, O)
    of votes written by ``scatter_`` (each slot once) and summed over the pixels - a fixed
    reduction order, so deterministic on a GPU, where ``scatter_add_`` uses atomics.  Otherwise
    ``scatter_add_`` straight into the histogram, which is sequential (deterministic) and ~10x
    cheaper on a CPU.  Both sum the same float64 values.
    """
    magnitude = magnitude.masked_fill(bins < 0, 0.0)
    bins = bins.clamp(min=0)
    shape = (*bins.shape[:-1], orientations)
    hist = magnitude.new_zeros(shape)
    if not dense:
        return hist.scatter_add_(-1, bins, magnitude)
    votes = magnitude.new_zeros((*bins.shape, orientations))
    votes.scatter_(-1, bins.unsqueeze(-1), magnitude.unsqueeze(-1))
    return votes.sum(dim=-2)


def _gradients(img: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Central differences along rows and columns, zero on the border of the whole image."""
    zero_row = img.new_zeros((img.shape[0], 1, *img.shape[2:]))
    zero_col = img.new_zeros((*img.shape[:2], 1, *img.shape[3:]))
    g_row = torch.cat((zero_row, img[:, 2:] - img[:, :-2], zero_row), dim=1)
    g_col = torch.cat((zero_col, img[:, :, 2:] - img[:, :, :-2], zero_col), dim=2)
    return g_row, g_col


def _orientation_bins(g_row: torch.Tensor, g_col: torch.Tensor, orientations: int) -> torch.Tensor:
    """skimage's bin of every float64 gradient (int64; -1 for an angle that rounds to 180).

    ``angle = rad2deg(atan2(g_row, g_col)) % 180`` and bin ``i`` when ``fl(w*i) <= angle <
    fl(w*(i+1))``, ``w = 180 / O``: the same float64 operations as NumPy's, so only atan2's
    last ulp can differ, which matters on a bin edge alone (see the module docstring).
    """
    width = 180.0 / orientations
    angle = torch.atan2(g_row, g_col) * (180.0 / math.pi)  # NumPy's rad2deg constant
    # NumPy's % 180 on [-180, 180]: 180 itself (from atan2 = pi) is 0, and a negative angle
    # gains 180 (which may round to 180 again: no bin, as in skimage).
    angle = angle.masked_fill_(angle == 180.0, 0.0)
    angle = torch.where(angle < 0, angle + 180.0, angle)
    q = angle * (orientations / 180.0)
    bins = torch.floor(q).clamp_(max=orientations)
    bins -= (angle < bins * width).to(bins.dtype)
    bins += (angle >= (bins + 1.0) * width).to(bins.dtype)
    bins = bins.long().masked_fill_(bins >= orientations, -1)

    # Exact ties that integer images produce: g_row == 0 is bin 0 (angle 0 or 180) whatever
    # atan2 says; |g_row| == |g_col| and g_col == 0 (45, 135, 90 degrees) take NumPy's bins
    # when they sit on a bin edge (O divisible by 4 or 2), where atan2's last ulp decides.
    settled = g_row == 0
    table, on_edge = _tie_bins(orientations)
    if on_edge[:4].any():
        diagonal = g_row.abs() == g_col.abs()
        quadrant = (g_row < 0).long() * 2 + (g_col < 0).long()
        bins = torch.where(diagonal, table.to(bins.device)[quadrant], bins)
        settled |= diagonal
    if on_edge[4:].any():
        vertical = g_col == 0
        bins = torch.where(vertical, table.to(bins.device)[4 + (g_row < 0).long()], bins)
        settled |= vertical
    bins = bins.masked_fill_(g_row == 0, 0)

    near = ((q - q.round()).abs() < _EDGE_BAND) & ~settled
    if bool(near.any()):  # the one host sync; moves a handful of pixels at most
        idx = near.nonzero(as_tuple=True)
        exact = exact_bins(g_row[idx].cpu().numpy(), g_col[idx].cpu().numpy(), orientations)
        bins[idx] = torch.from_numpy(exact).to(bins)
    return bins


def _tie_bins(orientations: int) -> tuple[torch.Tensor, np.ndarray]:
    """NumPy's bins for ``|g_row| == |g_col|`` by quadrant (4), then ``g_col == 0`` (2), and
    which of these angles lie within `_EDGE_BAND` of a bin edge."""
    g_row = np.array([1.0, 1.0, -1.0, -1.0, 1.0, -1.0])
    g_col = np.array([1.0, -1.0, 1.0, -1.0, 0.0, 0.0])
    q = (np.rad2deg(np.arctan2(g_row, g_col)) % 180) * (orientations / 180.0)
    on_edge = np.abs(q - np.rint(q)) < _EDGE_BAND
    return torch.from_numpy(exact_bins(g_row, g_col, orientations).astype(np.int64)), on_edge


def _normalize(blocks: torch.Tensor, block_norm: str) -> torch.Tensor:
    """skimage's block normalisation of (n, blocks, by*bx*O) float64 histograms."""
    if block_norm in ("L1", "L1-sqrt"):
        blocks = blocks / (blocks.sum(dim=-1, keepdim=True) + EPS)
        return blocks.sqrt() if block_norm == "L1-sqrt" else blocks
    blocks = blocks / torch.sqrt((blocks * blocks).sum(dim=-1, keepdim=True) + EPS**2)
    if block_norm == "L2-Hys":
        blocks = blocks.clamp(max=0.2)
        blocks = blocks / torch.sqrt((blocks * blocks).sum(dim=-1, keepdim=True) + EPS**2)
    return blocks


__all__ = ["hog_batch_torch", "hog_torch"]
