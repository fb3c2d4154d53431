"""Where a result came from: package versions and the machine.

Recorded with every run and keyed into the feature cache; imports neither torch nor sklearn.
"""

from __future__ import annotations

import functools
import os
import platform
from pathlib import Path

# The packages whose versions a record carries.
RUN_PACKAGES = ("numpy", "scikit-learn", "scikit-image", "torch", "scipy")


def package_versions(names: tuple[str, ...]) -> dict[str, str]:
    """featcmp's version and each installed package's ('absent' when not installed)."""
    from importlib import metadata

    from featcmp import __version__

    versions = {"featcmp": __version__}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


@functools.cache  # package metadata does not change while featcmp runs
def run_versions() -> dict[str, str]:
    """Python's and every run package's version, as a record stores them."""
    return {"python": platform.python_version(), **package_versions(RUN_PACKAGES)}


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    """CPU model, cores, memory and OS of this machine, with its current load."""
    cpu = cpu_model()
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages * size / 1024**3:.0f} GiB RAM"
    except (ValueError, OSError, AttributeError):
        memory = ""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:  # shared machines: other jobs stretch the times measured here
        load = f"; 5-min load average {os.getloadavg()[1]:.1f} when this page was written"
    except (OSError, AttributeError):
        load = ""
    return f"{cpu}, {cores} cores{memory}; {platform.system()} {platform.release()}{load}"
