"""Scattering extraction: featcmp's batched transform against Kymatio's torch frontend, same run.

Run from the repository root, with the cores quiet (on a shared machine, under its lock)::

    python benchmarks/bench_scattering.py [--n 3000] [--kymatio-n 1500] [--repeats 3]
    python benchmarks/bench_scattering.py --profile    # + where our transform spends its time
    python benchmarks/bench_scattering.py --gpu-only   # the GPU figures only

Both backends run through `ScatteringFeatures` (NumPy images in, flattened float32
coefficients out, log off, J=2, L=8, order 2), so the figures are the pipeline's extraction
rate: 32x32 RGB images (CIFAR-10's size) and 28x28 gray ones (MNIST's). Speed is images/s of
wall-clock time on `--threads` torch threads (2 by default: the reference machine's cores),
the best of `--repeats`; the speedup is ours over Kymatio's, measured in this run on the same
seeded images (uniform in [0, 1): the work does not depend on the pixels), Kymatio's first.
The max |diff| is over every coefficient of `--kymatio-n` images, ours against Kymatio's.

With CUDA present it also times both on the GPU (images already in host memory, as the
pipeline has them; synchronised, after a warm-up) and their max |diff| to Kymatio on the CPU.
Without CUDA it prints "no GPU". The last lines are ``name: value``, for scripts.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from _common import best_of, describe_machine, print_results

from featcmp.features.scattering import ScatteringFeatures

SHAPES = {"rgb": (32, 32, 3), "gray": (28, 28)}


def extractor(backend: str, device: str) -> ScatteringFeatures:
    return ScatteringFeatures(J=2, L=8, max_order=2, log=False, backend=backend, device=device)


def rate(step: ScatteringFeatures, X: np.ndarray, repeats: int, sync: bool = False) -> float:
    """Images/s of `step.transform(X)`, best of `repeats` after one warm-up call."""

    def run() -> None:
        step.transform(X)
        if sync:
            torch.cuda.synchronize()

    run()
    return len(X) / best_of(run, repeats)


def images(kind: str, n: int) -> np.ndarray:
    return np.random.default_rng(0).random((n, *SHAPES[kind]), dtype=np.float32)


def compare(args: argparse.Namespace) -> dict[str, str]:
    """Both backends on the CPU for each image kind: rates, speedups, max |diff|.

    Kymatio's rates are taken first, before our transform has run in this process (ours
    sets torch's thread count to one while its own threads work, and puts it back)."""
    theirs = {
        kind: rate(extractor("kymatio", "cpu").fit(images(kind, 8)), images(kind, args.kymatio_n),
                   args.repeats)
        for kind in SHAPES
    }  # fmt: skip
    figures = {}
    for kind, shape in SHAPES.items():
        X = images(kind, args.n)
        ours = extractor("featcmp", "cpu").fit(X)
        ours_ips = rate(ours, X, args.repeats)
        few = X[: args.kymatio_n]
        kymatio = extractor("kymatio", "cpu").fit(few).transform(few)
        diff = float(np.abs(ours.transform(few) - kymatio).max())
        speedup = ours_ips / theirs[kind]
        print(
            f"{kind:4s} {'x'.join(map(str, shape))}: featcmp {ours_ips:7.0f} images/s "
            f"({len(X)} images), Kymatio {theirs[kind]:6.0f} images/s ({len(few)}): "
            f"x{speedup:.2f}; max |diff| {diff:.3g} over {kymatio.size:,} coefficients"
        )
        prefix = "scattering" if kind == "rgb" else "scattering_gray"
        figures.update({
            f"{prefix}_speedup_vs_kymatio": f"{speedup:.2f}",
            f"{prefix}_images_per_s": f"{ours_ips:.0f}",
            f"{prefix}_kymatio_images_per_s": f"{theirs[kind]:.0f}",
            f"{prefix}_max_abs_diff": f"{diff:.3g}",
        })  # fmt: skip
    return figures


def gpu_figures(args: argparse.Namespace) -> dict[str, str]:
    """Both backends on the GPU (32x32 RGB), or "no GPU" without CUDA."""
    if not torch.cuda.is_available():
        print("GPU: no GPU (CUDA not available); GPU scattering figures not measured")
        return {"scattering_gpu": "no GPU"}
    name = torch.cuda.get_device_name()
    X = np.random.default_rng(1).random((args.gpu_n, *SHAPES["rgb"]), dtype=np.float32)
    reference = extractor("kymatio", "cpu").fit(X).transform(X[:256])
    figures = {"scattering_gpu": name}
    rates = {}
    for backend in ("featcmp", "kymatio"):
        step = extractor(backend, "cuda").fit(X)
        step.batch_size = args.gpu_batch
        rates[backend] = rate(step, X, args.repeats, sync=True)
        diff = float(np.abs(step.transform(X[:256]) - reference).max())
        print(
            f"GPU {backend:8s}: {rates[backend]:9,.0f} images/s ({len(X)} images, batches of "
            f"{args.gpu_batch}); max |diff| to Kymatio on the CPU {diff:.3g}"
        )
        figures[f"scattering_gpu_{backend}_images_per_s"] = f"{rates[backend]:.0f}"
        figures[f"scattering_gpu_{backend}_max_abs_diff"] = f"{diff:.3g}"
    figures["scattering_gpu_speedup_vs_kymatio"] = f"{rates['featcmp'] / rates['kymatio']:.2f}"
    return figures


def profile(args: argparse.Namespace) -> None:
    """The operations our transform spends its time in (32x32 RGB, one call)."""
    from torch.profiler import profile as torch_profile

    X = np.random.default_rng(2).random((min(args.n, 1024), *SHAPES["rgb"]), dtype=np.float32)
    step = extractor("featcmp", "cpu").fit(X)
    step.transform(X)
    with torch_profile(record_shapes=True) as prof:
        step.transform(X)
    table = prof.key_averages(group_by_input_shape=True)
    print(table.table(sort_by="self_cpu_time_total", row_limit=20, max_name_column_width=30))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="images for featcmp's transform")
    parser.add_argument("--kymatio-n", type=int, default=1500, help="images for Kymatio's")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="torch threads (cores)")
    parser.add_argument("--gpu-n", type=int, default=20000, help="images on the GPU")
    parser.add_argument("--gpu-batch", type=int, default=4096, help="images per GPU call")
    parser.add_argument("--profile", action="store_true", help="print our transform's profile")
    parser.add_argument("--gpu-only", action="store_true", help="skip the CPU comparison")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(describe_machine(f"{torch.get_num_threads()} torch threads"))
    start = time.perf_counter()
    figures = {}
    if not args.gpu_only:
        figures = compare(args)
        figures["scattering_max_abs_diff"] = max(
            figures["scattering_max_abs_diff"], figures["scattering_gray_max_abs_diff"], key=float
        )
    if args.profile:
        profile(args)
    figures.update(gpu_figures(args))
    print(f"took {time.perf_counter() - start:.0f} s")
    print_results(figures)


if __name__ == "__main__":
    main()
