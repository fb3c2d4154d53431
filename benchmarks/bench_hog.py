"""Batched HOG against the per-image skimage loop on 28x28 images, on one thread; GPU too.

Run from the repository root::

    python benchmarks/bench_hog.py [--n 10000] [--baseline-n 1000] [--repeats 3]
    python benchmarks/bench_hog.py --gpu-only   # the NumPy baseline and the GPU figures only

With CUDA present it also times the torch path on the GPU at batches of 4,096 and 60,000
images: on-device images/s (the images already on the GPU, synchronised, after a warm-up),
the host->device copy on its own, and end to end from NumPy to NumPy (``hog_batch(device=
'cuda')``), each as a ratio to the NumPy path's images/s measured in this run; and the GPU's
max |diff| to skimage.  Without CUDA it prints "no GPU".

Uses MNIST's t10k images when ``../shared/data/mnist/t10k-images-idx3-ubyte.gz`` exists
(relative to the repository root), random uint8 images otherwise.  Speedups are ratios to the
skimage loop measured in the same run, in CPU seconds of this process (robust to other load on
a shared machine; the wall-clock ratio is printed too).  The last lines are machine-readable.
"""

from __future__ import annotations

import argparse
import time

from _common import best_of, describe_machine, mnist_or_random, one_thread, print_results

one_thread()

import numpy as np  # noqa: E402
from skimage.feature import hog  # noqa: E402

from featcmp.features.hog_batch import hog_batch  # noqa: E402
from featcmp.features.hog_geometry import HOGSpec  # noqa: E402

PARAMS = dict(orientations=9, pixels_per_cell=(4, 4), cells_per_block=(2, 2), block_norm="L2-Hys")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000, help="images for the batched path")
    parser.add_argument("--baseline-n", type=int, default=1000, help="images for skimage")
    parser.add_argument("--torch-n", type=int, default=2000, help="images for torch on CPU")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--gpu-only", action="store_true", help="skip the skimage/torch-CPU runs")
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
    t_np = best_of(batched, args.repeats, cpu) / len(images)
    ref = np.stack(loop())
    if args.gpu_only:
        print(f"numpy batched  : {t_np * 1e6:8.1f} us/image CPU  ({1 / t_np:.0f} images/s)")
        figures = {"hog_images_per_s": f"{1.0 / t_np:.0f}"}
        print_results({**figures, **gpu_figures(base, ref, 1.0 / t_np)})
        return
    t_sk = best_of(loop, args.repeats, cpu) / len(base)
    t_th = best_of(torch_cpu, args.repeats, cpu) / min(args.torch_n, len(images))
    w_sk = best_of(loop, 1) / len(base)
    w_np = best_of(batched, args.repeats) / len(images)

    diff = float(np.abs(hog_batch(base, dtype=np.float64, **PARAMS) - ref).max())
    diff_f32 = float(np.abs(hog_batch(base, **PARAMS) - ref).max())
    th64 = hog_batch(base, device="torch:cpu", dtype=np.float64, **PARAMS)
    diff_th = float(np.abs(th64 - ref).max())
    diff_th_np = float(np.abs(th64 - hog_batch(base, dtype=np.float64, **PARAMS)).max())

    print(f"skimage loop   : {t_sk * 1e6:8.1f} us/image CPU ({len(base)} images)")
    print(f"numpy batched  : {t_np * 1e6:8.1f} us/image CPU  x{t_sk / t_np:.1f}")
    print(f"torch cpu      : {t_th * 1e6:8.1f} us/image CPU  x{t_sk / t_th:.1f}")
    print(f"wall clock     : skimage {w_sk * 1e6:.1f} us, numpy {w_np * 1e6:.1f} us/image")
    print(
        f"max |diff| vs skimage: float64 out {diff:.3g}, float32 out {diff_f32:.3g}, "
        f"torch {diff_th:.3g} (torch vs numpy {diff_th_np:.3g})"
    )
    figures = {
        "hog_speedup_vs_skimage": f"{t_sk / t_np:.2f}",
        "hog_speedup_vs_skimage_wall": f"{w_sk / w_np:.2f}",
        "hog_torch_cpu_speedup_vs_skimage": f"{t_sk / t_th:.2f}",
        "hog_torch_cpu_ratio_to_numpy": f"{t_np / t_th:.2f}",
        "hog_max_abs_diff": f"{diff:.3g}",
        "hog_max_abs_diff_float32": f"{diff_f32:.3g}",
        "hog_torch_max_abs_diff": f"{diff_th:.3g}",
        "hog_images_per_s": f"{1.0 / t_np:.0f}",
    }
    print_results({**figures, **gpu_figures(base, ref, 1.0 / t_np)})


def gpu_figures(base: np.ndarray, ref: np.ndarray, numpy_ips: float) -> dict[str, str]:
    """GPU images/s at batches of 4,096 and 60,000 (28x28), or "no GPU" without CUDA."""
    import torch

    if not torch.cuda.is_available():
        print("GPU: no GPU (CUDA not available); GPU HOG figures not measured")
        return {"hog_gpu": "no GPU"}
    from featcmp.features.hog_torch import hog_torch

    name = torch.cuda.get_device_name()
    print(f"GPU: {name}; torch {torch.__version__}; float64 arithmetic throughout")
    spec = HOGSpec(
        PARAMS["orientations"], PARAMS["pixels_per_cell"], PARAMS["cells_per_block"],
        PARAMS["block_norm"], False,
    )  # fmt: skip
    figures = {"hog_gpu": name}
    images, _ = mnist_or_random(60000)
    for batch in (4096, 60000):
        host = torch.from_numpy(images[:batch])

        def upload(host=host) -> torch.Tensor:
            dev = host.cuda()
            torch.cuda.synchronize()
            return dev

        upload()  # the CUDA context starts on the first copy: not part of the figure
        h2d = best_of(upload, 3)
        dev = upload()

        def run(dev=dev) -> torch.Tensor:
            return hog_torch(dev, spec, torch.float64)

        reps = max(3, 240000 // batch)
        run(), run()  # warm-up: CUDA context, kernels, the caching allocator
        torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(reps):
            run()
        torch.cuda.synchronize()
        ips = batch * reps / (time.perf_counter() - start)

        def end_to_end(host=images[:batch]) -> np.ndarray:
            return hog_batch(host, device="cuda", batch_size=len(host), **PARAMS)

        end_to_end()
        e2e = len(host) / best_of(end_to_end, 3)
        print(
            f"GPU batch {batch:6d}: {ips:12,.0f} images/s on device (x{ips / numpy_ips:.1f} "
            f"numpy); host->device copy {h2d * 1e3:.2f} ms; NumPy to NumPy {e2e:,.0f} images/s "
            f"(x{e2e / numpy_ips:.1f})"
        )
        figures[f"hog_gpu_images_per_s_{batch}"] = f"{ips:.0f}"
        figures[f"hog_gpu_ratio_to_numpy_{batch}"] = f"{ips / numpy_ips:.1f}"
        figures[f"hog_gpu_h2d_ms_{batch}"] = f"{h2d * 1e3:.2f}"
        figures[f"hog_gpu_end_to_end_images_per_s_{batch}"] = f"{e2e:.0f}"
        del dev
    gpu = hog_batch(base, device="cuda", dtype=np.float64, **PARAMS)
    numpy64 = hog_batch(base, dtype=np.float64, **PARAMS)
    diff = float(np.abs(gpu - ref).max())
    diff_np = float(np.abs(gpu - numpy64).max())
    print(f"GPU max |diff|: vs skimage {diff:.3g}, vs numpy {diff_np:.3g} ({len(base)} images)")
    figures["hog_gpu_max_abs_diff"] = f"{diff:.3g}"
    figures["hog_gpu_max_abs_diff_vs_numpy"] = f"{diff_np:.3g}"
    return figures


if __name__ == "__main__":
    main()
