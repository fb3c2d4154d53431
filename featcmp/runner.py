"""Runs a config: one dataset split per seed, every pipeline on it, one record per pipeline run.

A job is one pipeline at one seed and one training-set size. Its id is a hash of everything
that decides its result, so equal jobs share a record file and different ones never collide.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import platform
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from featcmp.artifacts import collect_artifacts
from featcmp.cleanup import remove_stale_temps
from featcmp.config import Config, DatasetConfig, PipelineConfig
from featcmp.data.loader import Dataset, load_dataset, subsample_train
from featcmp.errors import FeatcmpError, RunError
from featcmp.models.guards import check_svc_kernel
from featcmp.models.svm import SVM
from featcmp.pipelines import PIPELINES, build_pipeline, feature_dim, learned_params
from featcmp.results import SCHEMA_VERSION, classification_metrics, package_versions, write_record

PACKAGES = ("numpy", "scikit-learn", "scikit-image", "torch", "scipy")


@dataclass(frozen=True)
class Job:
    """One pipeline, one seed, one training-set size (None: the whole training split)."""

    config: Config
    pipeline: PipelineConfig
    seed: int
    train_size: int | float | None = None

    def resolved(self) -> dict[str, Any]:
        """The config as this job ran it: the dataset, this pipeline, this seed and size."""
        return {
            "name": self.config.name,
            "seed": self.seed,
            "train_size": self.train_size,
            "dataset": self.config.dataset.as_dict(),
            "pipeline": self.pipeline.as_dict(),
        }

    @property
    def id(self) -> str:
        identity = self.resolved()
        del identity["name"]  # renaming a config does not change what it computes
        text = json.dumps(identity, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def record_path(self, out_dir: Path) -> Path:
        return out_dir / self.config.name / f"{self.pipeline.row}-{self.id}.json"


def expand_jobs(cfg: Config) -> list[Job]:
    """Every (grid point, seed, train size, pipeline), seeds outermost so a split loads once."""
    from featcmp.grid import expand_grid

    jobs: dict[tuple[str, str], Job] = {}  # a run equal at several grid points runs once
    for point in expand_grid(cfg):
        seeds = point.seeds or [point.seed]
        sizes = point.train_sizes or [None]
        for job in (Job(point, p, s, t) for s in seeds for t in sizes for p in point.pipelines):
            jobs.setdefault((job.pipeline.row, job.id), job)
    return list(jobs.values())


@functools.cache  # package metadata does not change while featcmp runs
def run_versions() -> dict[str, str]:
    return {"python": platform.python_version(), **package_versions(PACKAGES)}


def _params_with_seed(p: PipelineConfig, seed: int) -> dict[str, Any]:
    """Every seeded step (network weights, k-means vocabulary) takes the run's seed unless the
    config sets one: a new seed means a new split and a new initialisation."""
    params = copy.deepcopy(p.params)
    if PIPELINES[p.name].flat:
        params.setdefault("seed", seed)
        return params
    for step_name, step in PIPELINES[p.name].build().steps:
        if "seed" in step.get_params(deep=False):
            params.setdefault(step_name, {}).setdefault("seed", seed)
    return params


def run_job(job: Job, data: Dataset, feature_cache: Path | None = None) -> dict[str, Any]:
    """Fit and evaluate one pipeline on `data`; return its record (raises on failure).

    With `feature_cache`, a hand-crafted pipeline's extracted features are cached there.
    """
    from featcmp.cache import unwrap_feature_step, wrap_feature_step

    where = f"pipelines[{job.config.pipelines.index(job.pipeline)}]"
    pipe = build_pipeline(job.pipeline.name, _params_with_seed(job.pipeline, job.seed), where)
    wrap_feature_step(pipe, feature_cache)
    start = time.perf_counter()
    try:
        pipe.fit(data.X_train, data.y_train)
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        pred = pipe.predict(data.X_test)
        predict_s = time.perf_counter() - start
    except MemoryError:
        raise RunError(
            f"{job.pipeline.row}: ran out of memory; use fewer images (dataset.max_train)"
        ) from None
    except RuntimeError as exc:  # torch reports a failed allocation as a RuntimeError
        if "allocate" not in str(exc):
            raise
        raise RunError(
            f"{job.pipeline.row}: ran out of memory ({str(exc).splitlines()[0][:160]}); "
            "use fewer images, channels or a smaller batch_size"
        ) from None
    unwrap_feature_step(pipe)  # what reads the fitted pipeline sees the extractor itself
    metrics = classification_metrics(data.y_test, pred, len(data.class_names))
    last = pipe.steps[-1][1]
    return {
        **base_record(job, data),
        "status": "ok",
        "error": None,
        **metrics,
        "feature_dim": feature_dim(pipe),
        "learned_params": learned_params(pipe),
        "solver": getattr(last, "solver_", type(last).__name__),
        # The fixed kernels a feature step applied ({name: matrix}; kernels_svm), for the report.
        "kernels": getattr(pipe.steps[0][1], "kernels_", None),
        "fit_seconds": round(fit_s, 4),
        "predict_seconds": round(predict_s, 4),
        "predictions": [int(v) for v in pred],
        "y_true": [int(v) for v in data.y_test],
        "artifacts": collect_artifacts(pipe, data, pred),
    }


def base_record(job: Job, data: Dataset | None) -> dict[str, Any]:
    spec = PIPELINES.get(job.pipeline.name)
    return {
        "schema": SCHEMA_VERSION,
        "id": job.id,
        "config_name": job.config.name,
        "pipeline": job.pipeline.row,
        "registry_name": job.pipeline.name,
        "family": spec.family if spec else None,
        "seed": job.seed,
        "train_size": job.train_size,
        "dataset": data.summary() if data is not None else {"name": job.config.dataset.source},
        "config": job.resolved(),
        "versions": dict(run_versions()),
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "accuracy": None,
    }


def failed_record(job: Job, data: Dataset | None, error: BaseException) -> dict[str, Any]:
    return {**base_record(job, data), "status": "failed", "error": str(error)}


class SplitCache:
    """The last (dataset, seed) split loaded, shared by every run on it: grid points, configs
    and pipelines alike. One split stays in memory; thread-safe for the sweep's workers."""

    def __init__(self) -> None:
        self._key: tuple[str, int] | None = None
        self._data: Dataset | None = None
        self._lock = threading.Lock()

    def get(self, spec: DatasetConfig, seed: int) -> Dataset:
        key = (repr(spec.as_dict()), seed)
        with self._lock:
            if key == self._key and self._data is not None:
                return self._data
        data = load_dataset(spec, seed)
        with self._lock:
            self._key, self._data = key, data
        return data


def check_out_dir(out_dir: Path) -> None:
    """The output folder must be a folder we can write to; say so before any work is done."""
    if out_dir.exists() and not out_dir.is_dir():
        raise FeatcmpError(f"{out_dir}: output path is a file, not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / ".featcmp-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise FeatcmpError(
            f"{out_dir}: cannot write results here ({exc.strerror or exc})"
        ) from None


def check_geometry(cfg: Config, data: Dataset) -> None:
    """Fail before any pipeline runs when one cannot take these images (HOG cells, CNN depth).

    Also when one would not fit in memory (network weights, SVC kernel matrix).
    """
    for i, p in enumerate(cfg.pipelines):
        where = f"pipelines[{i}]"
        for _, step in build_pipeline(p.name, p.params, where).steps:
            try:
                if hasattr(step, "_validate_geometry"):
                    step._validate_geometry(data.image_shape)
                if isinstance(step, SVM) and step.fits_exact_kernel(len(data.y_train)):
                    check_svc_kernel(data.y_train, step.kernel, "svm")  # must fit in memory
            except FeatcmpError as exc:
                raise type(exc)(f"{where} ({p.row}): {exc}") from None


def run_jobs(
    jobs: list[Job],
    out_dir: Path,
    on_record: Callable[[Job, dict[str, Any]], None] | None = None,
    feature_cache: Path | None = None,
) -> Iterator[dict[str, Any]]:
    """Run jobs in order, writing each record atomically as soon as it exists.

    User errors in the data stop everything (every job would hit them); a pipeline's own run-time
    failure (NaN loss, memory) is recorded as a failed run and the others go on.
    """
    splits = SplitCache()
    checked: set[int] = set()
    for job in jobs:
        data = splits.get(job.config.dataset, job.seed)
        if id(job.config) not in checked:
            checked.add(id(job.config))
            # A pipeline that cannot take the images fails now, not after the others have run.
            check_geometry(job.config, data)
            remove_stale_temps(out_dir / job.config.name)
        if job.train_size is not None:
            data = subsample_train(data, job.train_size, job.seed)
        try:
            record = run_job(job, data, feature_cache)
        except RunError as exc:
            record = failed_record(job, data, exc)
        write_record(job.record_path(out_dir), record)
        if on_record is not None:
            on_record(job, record)
        yield record
