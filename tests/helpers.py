"""Plain helpers shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# One torch thread: the suite runs on shared cores, where spinning OpenMP threads cost 10-100x.
os.environ.setdefault("OMP_NUM_THREADS", "1")


def shared_data(*parts: str) -> Path | None:
    """`../shared/data/...` beside the project root (or beside a parent, for worktrees).

    FEATCMP_SHARED_DATA, when set, is the only place looked at (set it to '' to check skipping).
    """
    env = os.environ.get("FEATCMP_SHARED_DATA")
    roots = [Path(env)] if env else [p / "shared" / "data" for p in ROOT.parents]
    if env == "":
        return None
    for root in roots:
        if (root.joinpath(*parts)).exists():
            return root.joinpath(*parts)
    return None


def pattern_images(
    n_per_class: int, size: int = 12, n_classes: int = 4, seed: int = 0, rgb: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Easily separable uint8 images: class k is a bright bar at a class-specific place, plus noise.

    Returns images (n, size, size[, 3]) shuffled, and int64 labels 0..n_classes-1.
    """
    rng = np.random.default_rng(seed)
    n = n_per_class * n_classes
    y = np.repeat(np.arange(n_classes), n_per_class)
    X = rng.integers(0, 60, size=(n, size, size), dtype=np.uint8)
    third = max(1, size // 4)
    for i, k in enumerate(y):
        kind, pos = divmod(int(k), 2)
        lo = third if pos == 0 else size - 2 * third
        if kind % 2 == 0:
            X[i, lo : lo + third, :] = 230  # horizontal bar, top or bottom
        else:
            X[i, :, lo : lo + third] = 230  # vertical bar, left or right
    if rgb:
        X = np.stack([X, X[:, ::-1], 255 - X], axis=-1)
    order = rng.permutation(n)
    return X[order], y[order].astype(np.int64)
