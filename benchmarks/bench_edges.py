"""Batched edge features (one correlation over the whole stack) against a per-image loop.

Run from the repository root::

    python benchmarks/bench_edges.py [--n 10000] [--repeats 3]

Baseline: ``scipy.ndimage.correlate`` called once per image, as a loop over the dataset would;
both on one thread, in CPU seconds of this process.  Also checks that both give the same maps.
Ends with ``name: value`` lines.
"""

from __future__ import annotations

import argparse
import time

from _common import best_of, describe_machine, load_average, mnist_or_random, one_thread

one_thread()

import numpy as np  # noqa: E402
from scipy import ndimage  # noqa: E402

from featcmp.features.edges import EdgeFeatures  # noqa: E402
from featcmp.features.kernels import KERNELS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    images, source = mnist_or_random(args.n)
    X = images.astype(np.float32) / 255.0
    print(describe_machine("1 thread"))
    print(f"images: {source}, {len(X)} x 28x28; kernel: laplacian8 (the lecture's 8/-1)")
    kernel = KERNELS["laplacian8"]
    edges = EdgeFeatures(kernel="laplacian8")

    def looped() -> np.ndarray:
        return np.stack([ndimage.correlate(img, kernel, mode="reflect") for img in X])

    def batched() -> np.ndarray:
        return edges.fit_transform(X)

    cpu = time.process_time
    t_loop = best_of(looped, args.repeats, cpu)
    t_batch = best_of(batched, args.repeats, cpu)
    diff = float(np.abs(batched() - looped().reshape(len(X), -1)).max())
    print(f"per-image loop : {t_loop / len(X) * 1e6:7.2f} us/image CPU")
    print(f"batched        : {t_batch / len(X) * 1e6:7.2f} us/image CPU  x{t_loop / t_batch:.1f}")
    print(f"max |diff| batched vs loop: {diff:.3g}")
    print(f"load average after: {load_average()}")
    print(f"edges_speedup_vs_loop: {t_loop / t_batch:.2f}")
    print(f"edges_max_abs_diff: {diff:.3g}")
    print(f"edges_images_per_s: {len(X) / t_batch:.0f}")


if __name__ == "__main__":
    main()
