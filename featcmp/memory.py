"""The memory limit: refuse, with the figure, an allocation that would not fit before any work.

The limit is the machine's physical memory, or `FEATCMP_MEMORY_LIMIT_GB` when set (lower it
on a shared machine, raise it where swap is acceptable). A shared leaf: the data layer sizes
the arrays it reads with it, `models/guards.py` the models and SVC kernels, `run/cost.py`
whole jobs.
"""

from __future__ import annotations

import os

from featcmp.errors import ConfigError, FeatcmpError

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


def check_array_bytes(
    what: str, nbytes: int, hint: str, error: type[FeatcmpError] = ConfigError
) -> None:
    """Refuse to allocate an array of `nbytes` over the memory limit (raise `error`)."""
    limit = memory_limit_bytes()
    if nbytes > limit:
        raise error(f"{what} would take {gb(nbytes)}, over the {gb(limit)} limit; {hint}")
