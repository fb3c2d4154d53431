"""A repeated sweep with the feature cache, relative to the first one, in one process.

Run as ``python benchmarks/bench_sweep_cache.py``. Sweeps the HOG and edge pipelines over a
grid of SVM C values on generated scenes three times: cold (no records, empty cache), resumed
(every record ok: nothing runs), and forced (every run re-fitted, features from the cache).
The baseline is the cold sweep measured in the same run. Ends with ``name: value`` lines.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml

from featcmp import sweep as sw

CONFIG = {
    "name": "bench_cache",
    "dataset": {"source": "scenes", "n_per_class": 150, "difficulty": "medium"},
    "pipelines": [
        {"name": "hog_svm", "params": {"hog": {"pixels_per_cell": [4, 4]}}},
        {"name": "edges_svm", "params": {"edges": {"kernel": "sobel"}}},
    ],
    "grid": {
        "pipelines.hog_svm.params.svm.C": [1, 10],
        "pipelines.edges_svm.params.svm.C": [1, 10],
    },
}


def timed(configs: list[Path], out: Path, cache: Path, force: bool = False) -> tuple[float, int]:
    start = time.perf_counter()
    plan = sw.plan(sw.load_jobs(configs), out, force=force)
    outcome = sw.run_sweep(plan.todo, out, feature_cache=cache)
    return time.perf_counter() - start, outcome.ran


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = root / "bench_cache.yaml"
        config.write_text(yaml.safe_dump(CONFIG))
        out, cache = root / "runs", root / "cache"
        cold, ran = timed([config], out, cache)
        resumed, _ = timed([config], out, cache)
        forced, _ = timed([config], out, cache, force=True)
    print(f"runs: {ran}")
    print(f"cold_seconds: {cold:.2f}")
    print(f"resumed_over_cold: {resumed / cold:.3f}")
    print(f"forced_cached_over_cold: {forced / cold:.3f}")


if __name__ == "__main__":
    main()
