"""k-means encoding: featcmp's per-image torch encoder against NumPy over 16-image chunks.

Run from the repository root, with the cores quiet (on a shared machine, under its lock)::

    python benchmarks/bench_kmeans.py [--n 512] [--centroids 3200] [--repeats 3]

The baseline is the encoding featcmp used before: the triangle code of a 16-image chunk's
patches as one NumPy array updated in place, then the region sums. Both encode the same
seeded 32x32 RGB images (CIFAR-10's size; the work does not depend on the pixels) with the
same fitted dictionary of 6x6 patches at stride 1 into 3 x 3 region sums, on `--threads`
threads (2 by default: the reference machine's cores). Speed is images/s of wall-clock time,
the best of `--repeats`; the speedup is ours over the baseline, measured in this run. The
max relative difference is over every feature. With CUDA present the encoder's GPU rate is
timed too (images in host memory, as the pipeline has them). The last lines are
``name: value``, for scripts.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from _common import best_of, describe_machine, print_results

from featcmp.features.kmeans import KMeansFeatures, normalise_patches, patch_grid

GRID = 3
CHUNK = 16


def numpy_encoding(feats: KMeansFeatures, X: np.ndarray) -> np.ndarray:
    """The baseline: whole-chunk NumPy passes over the (patches, centroids) codes."""
    C = feats.centroids_
    c_norms = np.einsum("kd,kd->k", C, C)
    out = []
    for start in range(0, len(X), CHUNK):
        windows = patch_grid(X[start : start + CHUNK], feats.patch_size, feats.stride)
        n, ny, nx, d = windows.shape
        white = (normalise_patches(windows.reshape(-1, d)) - feats.mean_) @ feats.whitening_
        z = white @ C.T
        z *= -2
        z += c_norms
        z += np.einsum("md,md->m", white, white)[:, None]
        np.maximum(z, 0, out=z)
        np.sqrt(z, out=z)
        np.subtract(z.mean(axis=1, keepdims=True), z, out=z)
        codes = np.maximum(z, 0, out=z).reshape(n, ny, nx, -1)
        cut = [slice(i * ny // GRID, (i + 1) * ny // GRID) for i in range(GRID)]
        out.append(np.concatenate([codes[:, r, c].sum((1, 2)) for r in cut for c in cut], 1))
    return np.concatenate(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=512, help="images encoded per timing")
    parser.add_argument("--centroids", type=int, default=3200, help="dictionary size")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    except ImportError:
        pass
    print(describe_machine(f"{args.threads} threads"))
    X = np.random.default_rng(0).random((args.n, 32, 32, 3), dtype=np.float32)
    params = dict(n_centroids=args.centroids, n_patches=4 * args.centroids, grid=GRID)
    feats = KMeansFeatures(**params, device="cpu").fit(X)
    print(f"{args.n} images 32x32x3, {args.centroids} centroids, 6x6 patches, 3 x 3 regions")

    ref = numpy_encoding(feats, X)
    ours = feats.transform(X)
    diff = float(np.abs(ours - ref).max() / np.abs(ref).max())
    base = args.n / best_of(lambda: numpy_encoding(feats, X), args.repeats)
    rate = args.n / best_of(lambda: feats.transform(X), args.repeats)
    print(f"numpy, 16-image chunks : {base:8.1f} images/s")
    print(f"featcmp, per image     : {rate:8.1f} images/s  ({rate / base:.2f}x)")
    figures = {
        "kmeans_encode_images_per_s": f"{rate:.1f}",
        "kmeans_encode_speedup_vs_numpy": f"{rate / base:.2f}",
        "kmeans_encode_max_rel_diff": f"{diff:.1e}",
    }
    if torch.cuda.is_available():
        gpu = KMeansFeatures(**params, device="cuda").fit(X)
        gpu.transform(X)  # warm-up
        gpu_rate = args.n / best_of(lambda: gpu.transform(X), args.repeats)
        gpu_diff = float(np.abs(gpu.transform(X) - ours).max() / np.abs(ours).max())
        print(f"featcmp on the GPU     : {gpu_rate:8.1f} images/s  ({gpu_rate / base:.1f}x)")
        figures["kmeans_encode_gpu_images_per_s"] = f"{gpu_rate:.1f}"
        figures["kmeans_encode_gpu_max_rel_diff"] = f"{gpu_diff:.1e}"
    else:
        print("no GPU")
    print_results(figures)


if __name__ == "__main__":
    main()
