"""Benchmark batched HOG against the per-image skimage loop on 28x28 images, on one thread.

Run from the repository root::

    python benchmarks/bench_hog.py [--n 10000] [--baseline-n 2000] [--repeats 3]

Uses MNIST's t10k images when ``../shared/data/mnist/t10k-images-idx3-ubyte.gz`` exists
(relative to the repository root), random uint8 images otherwise.  Speedups are ratios to the
skimage loop measured in the same run; the last lines are machine-readable.
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import sys
import time
from pathlib import Path

# One thread everywhere, set before numpy / torch load their thread pools.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
from skimage.feature import hog  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from featcmp.features.hog_batch import hog_batch  # noqa: E402

MNIST = ROOT / ".." / "shared" / "data" / "mnist" / "t10k-images-idx3-ubyte.gz"
PARAMS = dict(orientations=9, pixels_per_cell=(4, 4), cells_per_block=(2, 2), block_norm="L2-Hys")


def load_images(n: int) -> tuple[np.ndarray, str]:
    """Up to ``n`` 28x28 uint8 images: MNIST t10k if present, else seeded random ones."""
    if MNIST.exists():
        with gzip.open(MNIST, "rb") as fh:
            raw = fh.read()
        count, rows, cols = (int.from_bytes(raw[i : i + 4], "big") for i in (4, 8, 12))
        images = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(count, rows, cols)
        reps = -(-n // count)
        return np.concatenate([images] * reps)[:n], f"MNIST t10k ({MNIST.resolve()})"
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (n, 28, 28)).astype(np.uint8), "random uint8 28x28"


def best_time(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000, help="images for the batched paths")
    parser.add_argument("--baseline-n", type=int, default=2000, help="images for skimage")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass
    import torch

    torch.set_num_threads(1)

    images, source = load_images(args.n)
    base = images[: args.baseline_n]
    print(
        f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs; python {platform.python_version()}, numpy {np.__version__}, "
        f"torch {torch.__version__}; 1 thread"
    )
    print(f"images: {source}; params: {PARAMS}")

    t_sk = best_time(lambda: [hog(img, **PARAMS) for img in base], args.repeats) / len(base)
    t_np = best_time(lambda: hog_batch(images, **PARAMS), args.repeats) / len(images)
    t_th = best_time(lambda: hog_batch(images, device="torch:cpu", **PARAMS), 1) / len(images)

    ref = np.stack([hog(img, **PARAMS) for img in base])
    diff = float(np.abs(hog_batch(base, dtype=np.float64, **PARAMS) - ref).max())
    diff_f32 = float(np.abs(hog_batch(base, **PARAMS) - ref).max())
    diff_th = float(
        np.abs(hog_batch(base, device="torch:cpu", dtype=np.float64, **PARAMS) - ref).max()
    )

    print(f"skimage loop   : {t_sk * 1e6:8.1f} us/image ({len(base)} images)")
    print(f"numpy batched  : {t_np * 1e6:8.1f} us/image  x{t_sk / t_np:.1f}")
    print(f"torch cpu      : {t_th * 1e6:8.1f} us/image  x{t_sk / t_th:.1f}")
    print(
        f"max |diff| vs skimage: float64 out {diff:.3g}, float32 out {diff_f32:.3g}, "
        f"torch {diff_th:.3g}"
    )
    print(f"hog_speedup_vs_skimage: {t_sk / t_np:.2f}")
    print(f"hog_torch_speedup_vs_skimage: {t_sk / t_th:.2f}")
    print(f"hog_max_abs_diff: {diff:.3g}")
    print(f"hog_images_per_s: {1.0 / t_np:.0f}")


if __name__ == "__main__":
    main()
