"""Torch implementation of `featcmp.features.hog_batch.hog_batch`, for GPUs.

Same algorithm as the NumPy path (see that module's docstring for the skimage semantics), but
where that path sums cells with one float64 ``bincount``, this one replays skimage's own float32
cell sums.  The one place where two libraries could disagree is ``atan2``, which is not
correctly rounded: an ulp of difference matters only for an angle on a bin edge.  So pixels of
``g_row == 0`` go to bin 0 (skimage's angle for all of them), and the few pixels whose angle
lies within 1e-7 bin widths of an edge are re-binned on the host by the NumPy path's own
`_exact_bins`, which makes the binning identical.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from featcmp.errors import ConfigError
from featcmp.features.hog_geometry import EPS as _EPS
from featcmp.features.hog_geometry import exact_bins as _exact_bins
from featcmp.features.hog_geometry import hog_geometry, hog_n_features
from featcmp.features.hog_geometry import work_dtype as _work_dtype


def hog_batch_torch(
    images: np.ndarray,
    orientations: int,
    pixels_per_cell: tuple[int, int],
    cells_per_block: tuple[int, int],
    block_norm: str,
    transform_sqrt: bool,
    device: str = "cuda",
    batch_size: int = 4096,
    dtype: type[np.floating] | np.dtype = np.float32,
) -> np.ndarray:
    """HOG of (n, H, W[, C]) channels-last images with torch on ``device``; see `hog_batch`.

    Arguments are already validated by `hog_batch`, which is the public entry point.

    Returns
    -------
    features : (n, n_features) ndarray of ``dtype`` (on the host)
    """
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"HOG device '{device}' requested but CUDA is not available; use cpu")
    try:
        dev = torch.device(device)
    except RuntimeError as exc:
        raise ConfigError(f"unknown HOG device '{device}': {exc}") from None
    n_feat = hog_n_features(images.shape[1:3], orientations, pixels_per_cell, cells_per_block)
    out = np.empty((images.shape[0], n_feat), dtype=dtype)
    work = _work_dtype(images.dtype)
    for start in range(0, images.shape[0], batch_size):
        chunk = np.ascontiguousarray(images[start : start + batch_size], dtype=work)
        feats = _hog_chunk_torch(
            torch.from_numpy(chunk).to(dev),
            orientations,
            pixels_per_cell,
            cells_per_block,
            block_norm,
            transform_sqrt,
        )
        out[start : start + len(chunk)] = feats.cpu().numpy()
    return out


def _hog_chunk_torch(
    img: torch.Tensor,
    orientations: int,
    pixels_per_cell: tuple[int, int],
    cells_per_block: tuple[int, int],
    block_norm: str,
    transform_sqrt: bool,
) -> torch.Tensor:
    """HOG of (n, H, W[, C]) float images on their device; returns (n, n_feat) float64."""
    n = img.shape[0]
    py, px = pixels_per_cell
    n_cy, n_cx, _, _ = hog_geometry(img.shape[1:3], pixels_per_cell, cells_per_block)
    if transform_sqrt:
        img = img.sqrt()

    # Central differences in the image dtype, zero on the border of the whole image.
    g_row = torch.zeros_like(img)
    g_col = torch.zeros_like(img)
    g_row[:, 1:-1] = img[:, 2:] - img[:, :-2]
    g_col[:, :, 1:-1] = img[:, :, 2:] - img[:, :, :-2]
    if img.ndim == 4:
        # Channel with the largest gradient magnitude per pixel (first one on ties).
        best = (g_row * g_row + g_col * g_col).argmax(dim=-1, keepdim=True)
        g_row = g_row.gather(-1, best)[..., 0]
        g_col = g_col.gather(-1, best)[..., 0]

    # Crop to the cells and go cell-major (py, px, n, n_cy, n_cx) in float64, as in NumPy.
    def cell_major(g: torch.Tensor) -> torch.Tensor:
        g = g[:, : n_cy * py, : n_cx * px].reshape(n, n_cy, py, n_cx, px)
        return g.permute(2, 4, 0, 1, 3).to(torch.float64).contiguous()

    g_row, g_col = cell_major(g_row), cell_major(g_col)
    magnitude = torch.sqrt(g_row * g_row + g_col * g_col)

    angle = torch.atan2(g_row, g_col) * (180.0 / math.pi)
    angle = angle + (angle < 0) * 180.0
    q = angle * (orientations / 180.0)
    bins = torch.floor(q)
    near = ((q - q.round()).abs() < 1e-7) & (g_row != 0)
    bins = torch.where(g_row == 0, torch.zeros_like(bins), bins)
    if bool(near.any()):
        bins[near] = torch.from_numpy(
            _exact_bins(g_row[near].cpu().numpy(), g_col[near].cpu().numpy(), orientations)
        ).to(bins)
    outside = bins < 0
    magnitude = torch.where(outside, torch.zeros_like(magnitude), magnitude)
    bins = torch.where(outside, torch.zeros_like(bins), bins)

    # skimage's per-cell float32 accumulation in row-major pixel order, replayed step by step.
    cell_area = py * px
    n_cells = n * n_cy * n_cx
    index = bins.reshape(cell_area, n_cells).long()
    index += torch.arange(n_cells, device=img.device).mul_(orientations)
    mag = magnitude.reshape(cell_area, n_cells)
    acc = torch.zeros(n_cells * orientations, dtype=torch.float32, device=img.device)
    for k in range(cell_area):
        acc[index[k]] = (acc[index[k]].to(torch.float64) + mag[k]).to(torch.float32)
    acc /= torch.tensor(float(cell_area), dtype=torch.float32)
    hist = acc.to(torch.float64).reshape(n, n_cy, n_cx, orientations)

    by, bx = cells_per_block
    # (n, bry, brx, n_or, by, bx) -> skimage's (n, bry, brx, by, bx, n_or), flattened per block.
    blocks = hist.unfold(1, by, 1).unfold(2, bx, 1).permute(0, 1, 2, 4, 5, 3)
    blocks = blocks.reshape(n, blocks.shape[1], blocks.shape[2], -1)
    if block_norm in ("L1", "L1-sqrt"):
        blocks = blocks / (blocks.sum(dim=-1, keepdim=True) + _EPS)
        if block_norm == "L1-sqrt":
            blocks = blocks.sqrt()
    else:
        blocks = blocks / torch.sqrt((blocks * blocks).sum(dim=-1, keepdim=True) + _EPS**2)
        if block_norm == "L2-Hys":
            blocks = blocks.clamp(max=0.2)
            blocks = blocks / torch.sqrt((blocks * blocks).sum(dim=-1, keepdim=True) + _EPS**2)
    return blocks.reshape(n, -1)


__all__ = ["hog_batch_torch"]
