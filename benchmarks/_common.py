"""Helpers shared by the benchmarks: the machine line, timers, the datasets they run on.

Every benchmark prints speed as a ratio to a baseline measured in the same run, and ends with
``name: value`` lines that scripts parse.  The machine may be shared: each benchmark prints the
load average before and after, so a reader can tell a quiet run from a crowded one.
"""

from __future__ import annotations

import gzip
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MNIST_T10K = ROOT / ".." / "shared" / "data" / "mnist" / "t10k-images-idx3-ubyte.gz"
FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


def one_thread() -> None:
    """Pin numpy's BLAS and torch to one thread (call before heavy imports when possible)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "n/a"
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def describe_machine(threads: str) -> str:
    """One line: OS, CPU model and count, library versions, threads used, load average."""
    import numpy as np  # here, not at import: one_thread() must run before numpy loads

    from featcmp.provenance import cpu_model

    cpu = cpu_model()
    versions = [f"python {platform.python_version()}", f"numpy {np.__version__}"]
    for mod in ("torch", "sklearn", "skimage", "scipy"):
        module = sys.modules.get(mod)
        if module is not None:
            versions.append(f"{mod} {module.__version__}")
    return (
        f"machine: {platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPUs; "
        f"{', '.join(versions)}; {threads}; load average {load_average()}"
    )


def best_of(fn: Callable[[], object], repeats: int, clock=time.perf_counter) -> float:
    """Fastest of ``repeats`` calls of ``fn``, in seconds of ``clock``."""
    best = float("inf")
    for _ in range(repeats):
        start = clock()
        fn()
        best = min(best, clock() - start)
    return best


def mnist_or_random(n: int) -> tuple[np.ndarray, str]:
    """Up to ``n`` 28x28 uint8 images: MNIST t10k (repeated) if present, else seeded noise."""
    import numpy as np

    if MNIST_T10K.exists():
        with gzip.open(MNIST_T10K, "rb") as fh:
            raw = fh.read()
        count, rows, cols = (int.from_bytes(raw[i : i + 4], "big") for i in (4, 8, 12))
        images = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(count, rows, cols)
        reps = -(-n // count)
        return np.concatenate([images] * reps)[:n], f"MNIST t10k ({MNIST_T10K.resolve()})"
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (n, 28, 28)).astype(np.uint8), "random uint8 28x28"


def fashion_mnist():
    """Fashion-MNIST with its own 60k/10k split as a featcmp Dataset, or None if absent."""
    if not FASHION_MNIST.exists():
        return None
    from featcmp.config import DatasetConfig
    from featcmp.data.loader import load_dataset

    return load_dataset(DatasetConfig(source="idx", path=str(FASHION_MNIST)), seed=0)


def print_results(lines: dict[str, str]) -> None:
    """The closing load average, then one ``name: value`` line per figure, for scripts."""
    print(f"load average after: {load_average()}")
    for key, value in lines.items():
        print(f"{key}: {value}")
