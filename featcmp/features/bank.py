"""A bank of fixed, hand-coded kernels: each response pooled over a coarse grid, concatenated.

The lecture's pre-2012 recipe with several kernels instead of one: blur, sharpen and edge
responses summarised per region, so the SVM sees where in the image each kind of structure is.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from featcmp.config.params import AT_LEAST_ONE, Declared, Param, declare
from featcmp.errors import DataError
from featcmp.features.base import ImageTransformer
from featcmp.features.edges import correlate_batch
from featcmp.features.kernels import KERNELS

# Named banks; a config may also list kernel names (and bank names) explicitly.
BANKS: dict[str, tuple[str, ...]] = {
    "blur": ("box3", "box5", "gaussian3", "gaussian5"),
    "sharpen": ("sharpen",),
    "edges": ("laplacian8", "sobel_x", "sobel_y"),
}
BANKS["lecture"] = BANKS["blur"] + BANKS["sharpen"] + BANKS["edges"]

# Statistics a grid region can be summarised by.
POOL_STATS = ("mean", "mean_abs", "max_abs")


def resolve_bank(bank: str | Sequence[str] | None) -> tuple[str, ...]:
    """Kernel names of a bank given by name, or by a list of kernel and bank names (expanded
    in order, duplicates dropped); None is the whole lecture bank. The names are checked where
    `KernelBankFeatures` declares them."""
    names = ["lecture"] if bank is None else [bank] if isinstance(bank, str) else list(bank)
    out: list[str] = []
    for name in names:
        out += BANKS.get(name, (name,))
    return tuple(dict.fromkeys(out))


def grid_pool(R: np.ndarray, grid: int, stats: Sequence[str]) -> np.ndarray:
    """Summarise (n, H, W, ...) responses over g x g regions: (n, len(stats), g, g, ...).

    Region borders are spread evenly (sizes differ by at most one pixel when `grid` does not
    divide the image), so every pixel counts in exactly one region.
    """
    h, w = R.shape[1:3]
    rows = np.linspace(0, h, grid + 1).round().astype(int)
    cols = np.linspace(0, w, grid + 1).round().astype(int)
    area = np.outer(np.diff(rows), np.diff(cols)).reshape(1, grid, grid, *([1] * (R.ndim - 3)))
    magnitude = np.abs(R) if {"max_abs", "mean_abs"} & set(stats) else None  # once, not per stat
    out = []
    for stat in stats:
        if stat == "max_abs":
            A = np.maximum.reduceat(magnitude, rows[:-1], axis=1)
            out.append(np.maximum.reduceat(A, cols[:-1], axis=2))
        else:
            A = magnitude if stat == "mean_abs" else R
            S = np.add.reduceat(np.add.reduceat(A, rows[:-1], axis=1), cols[:-1], axis=2)
            out.append(S / area)
    return np.stack(out, axis=1)


class KernelBankFeatures(Declared, ImageTransformer):
    """Responses of a bank of fixed kernels, each pooled over a grid, concatenated.

    Attributes
    ----------
    kernels_ : dict of str to list of list of float
        The kernels applied, by name, as plain lists (set by `fit`; JSON-ready for the record).
    """

    PARAMS = declare(
        bank=Param(
            str | tuple[str, ...] | None, None,
            "a bank name, a kernel name, or a list of them; null: lecture (every kernel)",
            choices=tuple(dict.fromkeys([*sorted(BANKS), *sorted(KERNELS)])), min_items=1,
        ),
        grid=Param(int, 4, "pool each response over grid x grid regions", range=AT_LEAST_ONE),
        stats=Param(
            tuple[str, ...], ("mean_abs", "max_abs"), "statistics per region",
            choices=POOL_STATS, min_items=1,
        ),
    )  # fmt: skip
    label = "kernel bank"

    def check_geometry(self, shape: tuple[int, ...]) -> None:
        if self.grid > min(shape[:2]):
            raise DataError(
                f"bank.grid={self.grid} is larger than the {shape[0]}x{shape[1]} images"
            )

    learns_from_data = False  # fit only records which fixed kernels it applies

    def fit(self, X, y=None):
        super().fit(X, y)
        self.kernels_ = {name: KERNELS[name].tolist() for name in resolve_bank(self.bank)}
        return self

    def _transform_batch(self, X: np.ndarray) -> np.ndarray:
        stats = tuple(self.stats)
        parts = [
            grid_pool(correlate_batch(X, KERNELS[name]), self.grid, stats).reshape(len(X), -1)
            for name in resolve_bank(self.bank)
        ]
        return np.concatenate(parts, axis=1)
