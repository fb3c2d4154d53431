"""Hand-coded convolution kernels from the lecture, by name."""

from __future__ import annotations

import numpy as np

KERNELS: dict[str, np.ndarray] = {
    # The lecture's edge detector: 8 at the centre, -1 everywhere else (responds to any change).
    "laplacian8": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=np.float32),
    # Sobel: horizontal and vertical intensity gradients (x responds to vertical edges).
    "sobel_x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32),
    "sobel_y": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float32),
}


def get_kernel(name: str) -> np.ndarray:
    return KERNELS[name].copy()
