"""Batched HOG against the per-image skimage loop on 28x28 images, on one thread.

Run from the repository root::

    python benchmarks/bench_hog.py [--n 10000] [--baseline-n 1000] [--repeats 3]

Uses MNIST's t10k images when ``../shared/data/mnist/t10k-images-idx3-ubyte.gz`` exists
(relative to the repository root), random uint8 images otherwise.  Speedups are ratios to the
skimage loop measured in the same run, in CPU seconds of this process (robust to other load on
a shared machine; the wall-clock ratio is printed too).  The last lines are machine-readable.
"""

from __future__ import annotations

import argparse
import time

from _common import best_of, describe_machine, load_average, mnist_or_random, one_thread

one_thread()

import numpy as np  # noqa: E402
from skimage.feature import hog  # noqa: E402

from featcmp.features.hog_batch import hog_batch  # noqa: E402

PARAMS = dict(orientations=9, pixels_per_cell=(4, 4), cells_per_block=(2, 2), block_norm="L2-Hys")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000, help="images for the batched path")
    parser.add_argument("--baseline-n", type=int, default=1000, help="images for skimage")
    parser.add_argument("--torch-n", type=int, default=2000, help="images for torch on CPU")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    images, source = mnist_or_random(args.n)
    base = images[: args.baseline_n]
    print(describe_machine("1 thread"))
    print(f"images: {source}; params: {PARAMS}")

    def loop() -> list:
        return [hog(img, **PARAMS) for img in base]

    def batched() -> np.ndarray:
        return hog_batch(images, **PARAMS)

    def torch_cpu() -> np.ndarray:
        return hog_batch(images[: args.torch_n], device="torch:cpu", **PARAMS)

    cpu = time.process_time
    t_sk = best_of(loop, args.repeats, cpu) / len(base)
    t_np = best_of(batched, args.repeats, cpu) / len(images)
    t_th = best_of(torch_cpu, 1, cpu) / min(args.torch_n, len(images))
    w_sk = best_of(loop, 1) / len(base)
    w_np = best_of(batched, args.repeats) / len(images)

    ref = np.stack(loop())
    diff = float(np.abs(hog_batch(base, dtype=np.float64, **PARAMS) - ref).max())
    diff_f32 = float(np.abs(hog_batch(base, **PARAMS) - ref).max())
    diff_th = float(
        np.abs(hog_batch(base, device="torch:cpu", dtype=np.float64, **PARAMS) - ref).max()
    )

    print(f"skimage loop   : {t_sk * 1e6:8.1f} us/image CPU ({len(base)} images)")
    print(f"numpy batched  : {t_np * 1e6:8.1f} us/image CPU  x{t_sk / t_np:.1f}")
    print(f"torch cpu      : {t_th * 1e6:8.1f} us/image CPU  x{t_sk / t_th:.1f}")
    print(f"wall clock     : skimage {w_sk * 1e6:.1f} us, numpy {w_np * 1e6:.1f} us/image")
    print(
        f"max |diff| vs skimage: float64 out {diff:.3g}, float32 out {diff_f32:.3g}, "
        f"torch {diff_th:.3g}"
    )
    print(f"load average after: {load_average()}")
    print(f"hog_speedup_vs_skimage: {t_sk / t_np:.2f}")
    print(f"hog_speedup_vs_skimage_wall: {w_sk / w_np:.2f}")
    print(f"hog_torch_cpu_speedup_vs_skimage: {t_sk / t_th:.2f}")
    print(f"hog_max_abs_diff: {diff:.3g}")
    print(f"hog_max_abs_diff_float32: {diff_f32:.3g}")
    print(f"hog_images_per_s: {1.0 / t_np:.0f}")


if __name__ == "__main__":
    main()
