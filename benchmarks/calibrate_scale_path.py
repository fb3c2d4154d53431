"""Time the SVM scale path's parts, for its cost coefficients (`NYSTROEM_S`, featcmp/run/cost.py).

Run from the repository root, with the cores quiet::

    python benchmarks/calibrate_scale_path.py [--n 10000] [--threads 2]

On seeded random rows: the torch Nystroem map's fit (the landmarks' eigendecomposition, per
m^3) and transform (per multiply-add of n * m * (d + m): the kernel's product with the
landmarks, then with the m x m normalisation) for d of 784, 3,072 and 15,552 (MNIST's pixels,
CIFAR-10's, CIFAR-10's scattering) and m of 2,000 and 5,000; then the torch linear SVM per
epoch * n * width. Prints seconds per unit for each point; the cost model takes the upper end.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from featcmp.models.kernel_map import NystroemMap
from featcmp.models.linear_svm_torch import TorchLinearSVM


def timed(method, *args) -> float:
    start = time.perf_counter()
    method(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="rows")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    n = args.n
    for d in (784, 3072, 15_552):
        X = rng.standard_normal((n, d), dtype=np.float32)
        for m in (2000, 5000):
            kernel_map = NystroemMap(gamma=1.0 / d, n_components=m)
            eig = timed(kernel_map.fit, X)
            mapped = timed(kernel_map.transform, X)
            print(
                f"map d={d:6d} m={m}: {mapped / (n * m * (d + m)):.2e} s per multiply-add, "
                f"eigendecomposition {eig / m**3:.2e} s per m^3"
            )
    y = rng.integers(0, 10, n)
    TorchLinearSVM(epochs=1).fit(rng.standard_normal((n, 100), dtype=np.float32), y)  # warm-up
    for width in (2000, 5000, 20_000):
        F = rng.standard_normal((n, width), dtype=np.float32)
        solver = timed(TorchLinearSVM(epochs=3).fit, F, y)
        print(f"solver width={width:6d}: {solver / (3 * n * width):.2e} s per epoch * n * width")


if __name__ == "__main__":
    main()
