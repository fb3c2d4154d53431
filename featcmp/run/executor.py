"""The one job executor: what `run`, `sweep`, the local process pool and Dask workers all call.

`preflight` checks every job before any fit (the output folder, each dataset's images against
each pipeline's geometry and memory needs); a failure there is bad input: exit 2, nothing
fitted, nothing written. `execute` runs one job and always returns its record: a job that fails
at run time (NaN loss, out of memory) gives a `failed` record and the other jobs go on.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from featcmp.config.schema import DatasetConfig
from featcmp.data.loader import Dataset, load_dataset, subsample_train
from featcmp.errors import FeatcmpError, RunError
from featcmp.models.guards import check_svc_kernel
from featcmp.models.svm import SVM
from featcmp.pipelines import PIPELINES, feature_dim, learned_params
from featcmp.provenance import run_versions
from featcmp.records import SCHEMA_VERSION, Artifacts, DatasetSummary, Record
from featcmp.run.artifacts import collect_artifacts
from featcmp.run.chosen import chosen
from featcmp.run.cost import Estimate, check_memory, estimate_job
from featcmp.run.jobs import Job
from featcmp.run.metrics import classification_metrics

# A failed record's `error_kind`: the job failed in a way the user can act on, or by a bug.
RUN_FAILURE, INTERNAL_FAILURE = "run", "internal"


class SplitCache:
    """The last (dataset, seed) split loaded, shared by every job on it: grid points, configs
    and pipelines alike. One split stays in memory; thread-safe for Dask's worker threads."""

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


_splits = SplitCache()  # per process: the jobs of one split load it once


# --- before any fit -------------------------------------------------------------------------


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


def check_job_geometry(job: Job, data: Dataset) -> None:
    """Fail when a job's pipeline, or a candidate of its selection (a HOG cell size in
    `select.grid`), cannot take these images (HOG cells, CNN depth) or would not fit in memory
    (network weights, SVC kernel matrix)."""
    for pipe in job.built.every:
        for _, step in pipe.steps:
            try:
                if hasattr(step, "check_geometry"):
                    step.check_geometry(data.image_shape)
                if isinstance(step, SVM) and step.fits_exact_kernel(len(data.y_train)):
                    check_svc_kernel(data.y_train, step.kernel, "svm")  # must fit in memory
            except FeatcmpError as exc:
                raise type(exc)(f"{job.where} ({job.pipeline.row}): {exc}") from None


def preflight(jobs: list[Job]) -> dict[str, Estimate]:
    """Every job's pipeline against its dataset's images, before anything is fitted: a bad
    HOG cell size, or work whose memory would exceed the limit, fails `run` and `sweep`
    alike, with exit 2 and no record. Returns each job's cost estimate by job id.

    The image shape does not depend on the seed, so each dataset loads once (one seed).
    """
    seeds: dict[str, int] = {}  # per dataset: the seed of its first job (loaded once)
    checked: dict[tuple[str, str, str, str], Estimate | None] = {}
    estimates: dict[str, Estimate] = {}
    for job in jobs:
        dataset = repr(job.config.dataset.as_dict())
        seed = seeds.setdefault(dataset, job.seed)
        # The pipeline as configured, select included (its candidates are checked too).
        key = (dataset, job.pipeline.name, repr(job.pipeline.as_dict()), repr(job.train_size))
        if key not in checked:
            data = _splits.get(job.config.dataset, seed)
            check_job_geometry(job, data)
            checked[key] = job_estimate(job, data)
            if checked[key] is not None:
                check_memory(f"{job.where} ({job.pipeline.row})", checked[key])
        if checked[key] is not None:
            estimates[job.id] = checked[key]
    return estimates


def train_count(n: int, n_classes: int, size: int | float | None) -> int:
    """Training images a job fits on: `subsample_train`'s count for its train size."""
    if size is None:
        return n
    want = round(size * n) if isinstance(size, float) else int(size)
    return min(n, max(want, n_classes))


def job_estimate(job: Job, data: Dataset) -> Estimate | None:
    """The cost model's fit time and memory for one job on its (full) split; None where the
    model cannot cost it (a bug there shows in the job's own record, not here)."""
    pipe = job.built.pipe
    n_classes = len(data.class_names)
    n = train_count(len(data.y_train), n_classes, job.train_size)
    try:
        return estimate_job(pipe, n, len(data.y_test), data.X_train, n_classes)
    except FeatcmpError:
        raise
    except Exception:
        return None


# --- one job --------------------------------------------------------------------------------


def run_job(job: Job, data: Dataset, feature_cache: Path | None = None) -> Record:
    """Fit and evaluate one pipeline on `data`; return its record (raises on failure).

    With `feature_cache`, a hand-crafted pipeline's extracted features are cached there.
    """
    from sklearn.base import clone

    from featcmp.run.cache import unwrap_feature_step, wrap_feature_step
    from featcmp.run.selection import select_and_fit

    pipe = wrap_feature_step(clone(job.built.pipe), feature_cache)  # the job's own, to fit
    for _, step in pipe.steps:  # a fine-tuned network keeps its output layer for these classes
        if hasattr(step, "class_names_hint"):
            step.class_names_hint = list(data.class_names)
    selection = None
    start = time.perf_counter()
    try:
        if job.pipeline.select is not None:  # choose on the training split alone, then refit
            pipe, selection = select_and_fit(
                pipe, list(job.built.candidates), job.pipeline.select,
                data.X_train, data.y_train, job.seed,
            )  # fmt: skip
        else:
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
    return replace(
        base_record(job, data, "ok"),
        **metrics,
        feature_dim=feature_dim(pipe),
        learned_params=learned_params(pipe),
        solver=getattr(last, "solver_", type(last).__name__),
        # What the data decided where the config said nothing: working size, colour, layout,
        # split (the source's), HOG cells, network depth and input size (the fitted steps').
        chosen=chosen(pipe, data.image_shape, data.source_info),
        # The fixed kernels a feature step applied ({name: matrix}; kernels_svm), for the report.
        kernels=getattr(pipe.steps[0][1], "kernels_", None),
        fit_seconds=round(fit_s, 4),
        predict_seconds=round(predict_s, 4),
        predictions=[int(v) for v in pred],
        y_true=[int(v) for v in data.y_test],
        artifacts=Artifacts.from_json(collect_artifacts(pipe, data, pred)),
        # Candidates, validation scores and the choice; None when nothing was selected.
        selection=selection,
        network=kept_network(job, last, data),
    )


def kept_network(job: Job, last, data: Dataset) -> dict | None:
    """The trained network's payload when the job saves it (`save_model`), for the writer."""
    if not job.pipeline.save_model:
        return None
    from featcmp.models.saved import network_payload

    return network_payload(last, list(data.class_names), data.fingerprint, job.resolved())


def base_record(job: Job, data: Dataset | None, status: str) -> Record:
    spec = PIPELINES.get(job.pipeline.name)
    summary = data.summary() if data is not None else {"name": job.config.dataset.source}
    return Record(
        schema=SCHEMA_VERSION,
        id=job.id,
        config_name=job.config.name,
        pipeline=job.pipeline.row,
        registry_name=job.pipeline.name,
        family=job.family if spec else None,
        seed=job.seed,
        train_size=job.train_size,
        dataset=DatasetSummary.from_json(summary),
        config=job.resolved(),
        versions=dict(run_versions()),
        timestamp=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        accuracy=None,
        status=status,
    )


def failed_record(
    job: Job, data: Dataset | None, error: BaseException, kind: str = RUN_FAILURE
) -> Record:
    return replace(base_record(job, data, "failed"), error=str(error), error_kind=kind)


def execute(job: Job, feature_cache: str | None = None) -> Record:
    """Run one job and return its record; every failure becomes a failed record.

    The one job function of every executor (here, a process pool, Dask): it writes nothing
    itself; the process that plans the jobs writes each record as it arrives.
    """
    data = None
    try:
        data = _splits.get(job.config.dataset, job.seed)
        # The pre-check again, here where the data is: on a remote Dask cluster it is the first.
        check_job_geometry(job, data)
        if job.train_size is not None:
            data = subsample_train(data, job.train_size, job.seed)
        return run_job(job, data, Path(feature_cache) if feature_cache else None)
    except FeatcmpError as exc:  # NaN loss, memory: the user can act on it
        return failed_record(job, data, exc)
    except Exception as exc:  # a bug: recorded too, so the other jobs go on (exit 3 at the end)
        error = RuntimeError(f"{type(exc).__name__}: {exc}")
        return failed_record(job, data, error, INTERNAL_FAILURE)
