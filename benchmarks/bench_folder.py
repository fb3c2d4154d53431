"""Reading a folder of photos: the folder source against a plain sequential PIL loop.

Run from the repository root::

    python benchmarks/bench_folder.py [--n 10000] [--classes 4] [--repeats 1]

Writes ``--n`` generated 400x300 JPEG photos (smooth shading, edges and grain, quality 90) into
class folders in a temporary directory, then reads them to the folder source's default working
size (shorter side to 96, centre crop, RGB) three ways, all in the same run:

- baseline: a sequential loop of ``Image.open``, ``convert('RGB')``, ``resize`` (full decode);
- the folder source on one process (JPEG draft decoding, no pool);
- the folder source as a user gets it (draft decoding on every core for large folders).

Wall seconds (the pool's workers are other processes), and CPU seconds of this process for the
two one-process readers, which a crowded machine does not skew; the files are in the page cache
for all three (the generation just wrote them).  Ends with ``name: value`` lines.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import best_of, describe_machine, one_thread, print_results

one_thread()

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from featcmp.data.folder import cpu_count, read_folder  # noqa: E402
from featcmp.data.size_policy import MAX_SIDE  # noqa: E402


def photo(rng: np.random.Generator, h: int = 300, w: int = 400) -> np.ndarray:
    """A photo-like RGB image: a lit gradient, a few coloured discs, sensor grain."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = rng.uniform(0.2, 0.8, 3) + 0.3 * np.stack([xx / w, yy / h, (xx + yy) / (w + h)], -1)
    img = np.broadcast_to(base, (h, w, 3)).copy()
    for _ in range(4):
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(20, 90)
        img[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = rng.uniform(0, 1, 3)
    img += rng.normal(0, 0.03, img.shape)
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


def write_photos(root: Path, n: int, classes: int) -> list[Path]:
    rng = np.random.default_rng(0)
    bases = [photo(rng) for _ in range(min(n, 40))]
    files = []
    for i in range(n):
        folder = root / f"class{i % classes}"
        folder.mkdir(parents=True, exist_ok=True)
        # Distinct files from a few base photos: shifted, so no two encode the same.
        pixels = np.roll(bases[i % len(bases)], (i // len(bases)) % 300, axis=1)
        Image.fromarray(pixels).save(folder / f"{i:05d}.jpg", quality=90)
        files.append(folder / f"{i:05d}.jpg")
    return sorted(files)


def pil_loop(files: list[Path], side: int) -> np.ndarray:
    """What a user would write: open, convert, centre-crop-resize, one file after another."""
    out = np.empty((len(files), side, side, 3), dtype=np.float32)
    for i, file in enumerate(files):
        with Image.open(file) as img:
            img = img.convert("RGB")
            m = min(img.size)
            left, top = (img.width - m) / 2, (img.height - m) / 2
            small = img.resize(
                (side, side), Image.Resampling.BILINEAR, (left, top, left + m, top + m)
            )
            out[i] = np.asarray(small, dtype=np.float32) / 255
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--classes", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_folder_") as tmp:
        root = Path(tmp) / "photos"
        start = time.perf_counter()
        files = write_photos(root, args.n, args.classes)
        print(describe_machine(f"{cpu_count()} cores for the pool"))
        print(
            f"photos: {len(files)} generated 400x300 JPEGs in {args.classes} classes "
            f"(written in {time.perf_counter() - start:.1f} s); target {MAX_SIDE}x{MAX_SIDE} RGB"
        )
        results: dict[str, np.ndarray] = {}
        cpu: dict[str, float] = {}

        def timed(name: str, fn) -> float:
            start = time.process_time()
            wall = best_of(lambda: results.__setitem__(name, fn()), args.repeats)
            cpu[name] = (time.process_time() - start) / args.repeats
            return wall

        t_loop = timed("loop", lambda: pil_loop(files, MAX_SIDE))
        t_one = timed("one", lambda: read_folder(root, "auto", None, "fail", len(files) + 1).X)
        t_all = timed("all", lambda: read_folder(root, "auto", None, "fail").X)
    n = len(files)
    diff = float(np.abs(results["all"] - results["loop"]).mean())
    assert np.array_equal(results["one"], results["all"]), "pool and one process differ"
    cores = cpu_count()
    print("wall clock (what a user waits; shares the CPUs with whatever else runs):")
    print(f"  sequential PIL loop        : {n / t_loop:7.0f} images/s")
    print(f"  folder source, one process : {n / t_one:7.0f} images/s  x{t_loop / t_one:.1f}")
    print(f"  folder source, {cores} cores     : {n / t_all:7.0f} images/s  x{t_loop / t_all:.1f}")
    print("CPU time of this process (independent of other load):")
    print(f"  sequential PIL loop        : {n / cpu['loop']:7.0f} images per CPU second")
    print(
        f"  folder source, one process : {n / cpu['one']:7.0f} images per CPU second  "
        f"x{cpu['loop'] / cpu['one']:.1f}"
    )
    print(f"mean |diff| vs the loop (draft decoding): {diff:.4f} of the pixel range")
    print_results(
        {
            "folder_images_per_s": f"{n / t_all:.0f}",
            "folder_one_process_images_per_s": f"{n / t_one:.0f}",
            "pil_loop_images_per_s": f"{n / t_loop:.0f}",
            "folder_speedup_vs_loop": f"{t_loop / t_all:.2f}",
            "folder_one_process_images_per_cpu_s": f"{n / cpu['one']:.0f}",
            "pil_loop_images_per_cpu_s": f"{n / cpu['loop']:.0f}",
            "folder_mean_abs_diff": f"{diff:.4f}",
        }
    )


if __name__ == "__main__":
    main()
