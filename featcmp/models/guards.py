"""Size guards of models: refuse, with the figure, a network or SVC that would not fit in memory.

The limit itself, and the check of one array's bytes, are the shared leaf `featcmp.memory`.
"""

from __future__ import annotations

import numpy as np

from featcmp.errors import ConfigError, RunError
from featcmp.memory import LIMIT_ENV, gb, memory_limit_bytes


def svc_problem_size(y: np.ndarray) -> int:
    """Images in SVC's largest one-vs-one problem: its two largest classes together."""
    counts = np.sort(np.unique(np.asarray(y), return_counts=True)[1])[::-1]
    return int(counts[:2].sum())


def svc_kernel_bytes(n: int) -> int:
    """Bytes of the n x n kernel matrix of one dual problem (libsvm stores float32)."""
    return 4 * n * n


def check_svc_kernel(y: np.ndarray, kernel: str, where: str = "svm") -> None:
    """Refuse a kernel SVC whose kernel matrix would not fit in memory, with the figure.

    SVC solves one binary dual problem per pair of classes; each has a kernel matrix over the
    images of its two classes. libsvm caches only some rows of it (200 MB), so it never
    allocates the whole matrix; but once the matrix is larger than memory every row is
    recomputed over and over, and the fit runs for hours. Refusing up front is kinder.
    """
    if kernel == "linear":
        return  # LinearSVC works in the primal: memory grows with n, not n^2
    n = svc_problem_size(y)
    need, limit = svc_kernel_bytes(n), memory_limit_bytes()
    if need > limit:
        pair = "its two largest classes hold" if len(np.unique(y)) > 2 else "it holds"
        raise RunError(
            f"{where}: a {kernel} SVC on {len(y)} training images would not fit in memory: "
            f"{pair} {n} images, a {n}x{n} kernel matrix of {gb(need)}, over the {gb(limit)} "
            f"limit; set dataset.max_train, use svm kernel: linear, or raise {LIMIT_ENV}"
        )


def check_model_bytes(name: str, n_params: int) -> None:
    """Refuse a network whose weights, gradients and two Adam moments exceed the limit."""
    need, limit = 16 * n_params, memory_limit_bytes()
    if need > limit:
        raise ConfigError(
            f"{name}: {n_params:,} weights need about {gb(need)} to train (weights, gradients, "
            f"optimizer state), over the {gb(limit)} limit; use fewer channels or hidden units"
        )
