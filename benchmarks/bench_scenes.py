"""Throughput of the procedural scene generator at 32x32 RGB on one thread.

Run as ``python benchmarks/bench_scenes.py``. The baseline is the 2,000 images/s bar the
generator must clear; the ratio is measured images/s over that bar. Ends with ``name: value``
lines.
"""

from __future__ import annotations

import time

from _common import describe_machine, one_thread

one_thread()

from featcmp.data.scenes import generate_scenes  # noqa: E402

BAR = 2000.0  # images per second
N_PER_CLASS = 1000
REPEATS = 3


def images_per_second(difficulty: str) -> float:
    """Best of REPEATS timings of generating 4 * N_PER_CLASS images."""
    generate_scenes(20, difficulty=difficulty)  # warm up imports and caches
    best = float("inf")
    for seed in range(REPEATS):
        start = time.perf_counter()
        generate_scenes(N_PER_CLASS, size=32, rgb=True, difficulty=difficulty, seed=seed)
        best = min(best, time.perf_counter() - start)
    return 4 * N_PER_CLASS / best


def main() -> None:
    rates = {d: images_per_second(d) for d in ("easy", "medium", "hard")}
    print(describe_machine("1 thread"))
    for d, rate in rates.items():
        print(f"scenes_{d}_images_per_s: {rate:.0f}")
    print(f"scenes_images_per_s: {rates['medium']:.0f}")
    print(f"scenes_ratio_to_2000_bar: {rates['medium'] / BAR:.2f}")


if __name__ == "__main__":
    main()
