"""Hand-coded convolution kernels from the lecture, by name, with their textbook values."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def _k(rows: ArrayLike, scale: float = 1.0) -> np.ndarray:
    return (np.array(rows, dtype=np.float64) * scale).astype(np.float32)


# The binomial row [1, 4, 6, 4, 1]: its outer product is the 5x5 Gaussian approximation.
_BINOMIAL5 = np.array([1, 4, 6, 4, 1], dtype=np.float64)

KERNELS: dict[str, np.ndarray] = {
    # The lecture's edge detector: 8 at the centre, -1 everywhere else (responds to any change).
    "laplacian8": _k([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]),
    # Sobel: horizontal and vertical intensity gradients (x responds to vertical edges).
    "sobel_x": _k([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
    "sobel_y": _k([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]),
    # Blur: every output pixel the (weighted) average of its neighbourhood; weights sum to 1.
    "box3": _k([[1, 1, 1], [1, 1, 1], [1, 1, 1]], 1 / 9),
    "box5": _k(np.ones((5, 5)), 1 / 25),
    "gaussian3": _k([[1, 2, 1], [2, 4, 2], [1, 2, 1]], 1 / 16),
    "gaussian5": _k(np.outer(_BINOMIAL5, _BINOMIAL5), 1 / 256),
    # Sharpen: the pixel plus its difference from the 4-neighbours (identity + Laplacian).
    "sharpen": _k([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
}
