"""A repeated sweep, relative to the first one, in one process.

Run as ``python benchmarks/bench_sweep_cache.py``. Sweeps the HOG and edge pipelines over a
grid of SVM C values on generated scenes: without a feature cache (the baseline), then with an
empty cache (the C values after the first reuse the features), then resumed (every record ok:
nothing runs), then forced (every run re-fitted, features from the warm cache). Ends with
``name: value`` lines.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import yaml
from _common import describe_machine

from featcmp.run import sweep as sw
from featcmp.run.jobs import load_jobs

CONFIG = {
    "name": "bench_cache",
    "dataset": {"source": "scenes", "n_per_class": 300, "difficulty": "medium"},
    "pipelines": [
        {"name": "hog_svm", "params": {"hog": {"pixels_per_cell": [4, 4]}}},
        {"name": "edges_svm", "params": {"edges": {"kernel": "sobel"}}},
    ],
}
C_VALUES = [1, 10, 100]


def timed(
    configs: list[Path], out: Path, cache: Path | None, force: bool = False
) -> tuple[float, int]:
    start = time.perf_counter()
    plan = sw.plan(load_jobs(configs), out, force=force)
    outcome = sw.run_sweep(plan.todo, out, feature_cache=cache)
    return time.perf_counter() - start, outcome.ran


def main() -> None:
    config_data = dict(CONFIG)
    config_data["grid"] = {
        f"pipelines.{p}.params.svm.C": C_VALUES for p in ("hog_svm", "edges_svm")
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = root / "bench_cache.yaml"
        config.write_text(yaml.safe_dump(config_data))
        out, cache = root / "runs", root / "cache"
        timed([config], root / "warmup", None, force=True)  # imports, first scene generation
        baseline, ran = timed([config], root / "nocache", None)
        cold, _ = timed([config], out, cache)
        resumed, _ = timed([config], out, cache)
        forced, _ = timed([config], out, cache, force=True)
    print(describe_machine("1 process"))
    print(f"runs: {ran}")
    print(f"no_cache_seconds: {baseline:.2f}")
    print(f"empty_cache_over_no_cache: {cold / baseline:.3f}")
    print(f"resumed_over_no_cache: {resumed / baseline:.4f}")
    print(f"forced_warm_cache_over_no_cache: {forced / baseline:.3f}")


if __name__ == "__main__":
    main()
