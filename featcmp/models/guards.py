"""Size guards: refuse, with the figure, work whose memory would not fit before any is done.

The limit is the machine's physical memory, or `FEATCMP_MEMORY_LIMIT_GB` when set (lower it
on a shared machine, raise it where swap is acceptable).
"""

from __future__ import annotations

import os

import numpy as np

from featcmp.errors import ConfigError, FeatcmpError, RunError

LIMIT_ENV = "FEATCMP_MEMORY_LIMIT_GB"
GB = 1024**3  # limits and figures are in binary units (GiB)


def memory_limit_bytes() -> int:
    """Bytes one array or model may take: `FEATCMP_MEMORY_LIMIT_GB` GiB, else physical memory."""
    text = os.environ.get(LIMIT_ENV)
    if text:
        try:
            value = float(text)
        except ValueError:
            raise ConfigError(f"{LIMIT_ENV}={text!r}: expected a number of GiB") from None
        if not value > 0:
            raise ConfigError(f"{LIMIT_ENV}={text!r}: must be positive")
        return int(value * GB)
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX: assume a modest machine
        return 8 * GB


def gb(nbytes: float) -> str:
    """Bytes in GiB (MiB below 1 GiB), for messages."""
    if nbytes < GB:
        return f"{nbytes / 1024**2:.3g} MiB"
    return f"{nbytes / GB:,.1f} GiB"


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


def check_array_bytes(
    what: str, nbytes: int, hint: str, error: type[FeatcmpError] = ConfigError
) -> None:
    """Refuse to allocate an array of `nbytes` over the memory limit (raise `error`)."""
    limit = memory_limit_bytes()
    if nbytes > limit:
        raise error(f"{what} would take {gb(nbytes)}, over the {gb(limit)} limit; {hint}")


def check_model_bytes(name: str, n_params: int) -> None:
    """Refuse a network whose weights, gradients and two Adam moments exceed the limit."""
    need, limit = 16 * n_params, memory_limit_bytes()
    if need > limit:
        raise ConfigError(
            f"{name}: {n_params:,} weights need about {gb(need)} to train (weights, gradients, "
            f"optimizer state), over the {gb(limit)} limit; use fewer channels or hidden units"
        )
