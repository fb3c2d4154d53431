"""Sweeps: many configs (and their grids) as one resumable batch of runs.

The sweep plans every run up front (so a bad config fails before any run starts), skips runs
whose record says ok, and hands the rest to an executor: in this process, a pool of local
processes (`--jobs N`), or a Dask cluster (`--scheduler` / `--workers`). Executors only compute
records; this process writes each one atomically as it arrives, so workers need no shared
filesystem and an interrupted sweep leaves only whole records.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from featcmp.cleanup import remove_stale_temps
from featcmp.config import load_config
from featcmp.errors import FeatcmpError
from featcmp.results import read_record, write_record
from featcmp.runner import Job, SplitCache, expand_jobs, failed_record, run_job


@dataclass
class Plan:
    """The runs of a sweep: those to run now and those a previous sweep already finished."""

    todo: list[Job]
    done: list[Job] = field(default_factory=list)
    failed_before: list[Job] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.todo) + len(self.done) + len(self.failed_before)


def load_jobs(configs: list[Path], overrides: list[str] | None = None) -> list[Job]:
    """Every run of every config (grids expanded), validated; equal runs appear once."""
    jobs: dict[tuple[str, str], Job] = {}
    for path in configs:
        for job in expand_jobs(load_config(path, overrides or [])):
            # Same config name, row and id: the same computation and the same record file.
            jobs.setdefault((job.config.name, job.record_path(Path()).name), job)
    # Runs on the same split side by side, so each worker loads a split once (stable sort).
    return sorted(jobs.values(), key=lambda j: (repr(j.config.dataset.as_dict()), j.seed))


def plan(jobs: list[Job], out_dir: Path, retry_failed: bool = False, force: bool = False) -> Plan:
    """Split jobs by their record: ok ones are done, failed ones wait for --retry-failed."""
    result = Plan(todo=[])
    for job in jobs:
        record = None if force else read_record(job.record_path(out_dir))
        status = record.get("status") if record else None
        if status == "ok":
            result.done.append(job)
        elif status == "failed" and not retry_failed:
            result.failed_before.append(job)
        else:
            result.todo.append(job)
    return result


# --- what a worker does -----------------------------------------------------------------------

_splits = SplitCache()  # per process: the runs of one split load it once


def execute(job: Job, feature_cache: str | None = None) -> dict[str, Any]:
    """Run one job and return its record; every failure becomes a failed record.

    This is what workers run: it writes no record itself (the sweep process does).
    """
    from featcmp.data.loader import subsample_train

    data = None
    try:
        data = _splits.get(job.config.dataset, job.seed)
        if job.train_size is not None:
            data = subsample_train(data, job.train_size, job.seed)
        return run_job(job, data, Path(feature_cache) if feature_cache else None)
    except FeatcmpError as exc:
        return failed_record(job, data, exc)
    except Exception as exc:  # a sweep goes on past one broken run; the record says what broke
        return failed_record(job, data, RuntimeError(f"{type(exc).__name__}: {exc}"))


# --- executors: yield (job, record) as runs finish ----------------------------------------------

Executor = Callable[[list[Job], str | None], Iterator[tuple[Job, dict[str, Any]]]]


def run_here(jobs: list[Job], feature_cache: str | None) -> Iterator[tuple[Job, dict[str, Any]]]:
    for job in jobs:
        yield job, execute(job, feature_cache)


def _pool_init() -> None:
    # The sweep process alone handles Ctrl-C; it terminates the pool, whose SIGTERM becomes
    # SystemExit here so that a cache write in flight removes its temporary file.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_signal)


def _exit_on_signal(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def _execute_indexed(args: tuple[int, Job, str | None]) -> tuple[int, dict[str, Any]]:
    index, job, feature_cache = args
    return index, execute(job, feature_cache)


def run_in_pool(n: int) -> Executor:
    """An executor over `n` local processes (spawned: no forked torch or thread state)."""

    def executor(jobs: list[Job], feature_cache: str | None):
        ctx = multiprocessing.get_context("spawn")
        pool = ctx.Pool(min(n, len(jobs)), initializer=_pool_init)
        try:
            tasks = [(i, job, feature_cache) for i, job in enumerate(jobs)]
            for index, record in pool.imap_unordered(_execute_indexed, tasks):
                yield jobs[index], record
            pool.close()
        finally:
            pool.terminate()
            pool.join()

    return executor


def run_on_dask(scheduler: str | None = None, workers: int | None = None) -> Executor:
    """An executor on a Dask cluster: an existing one at `scheduler`, or `workers` local ones."""
    from featcmp.dask_cluster import dask_executor

    return dask_executor(scheduler, workers)


# --- the sweep ------------------------------------------------------------------------------


@dataclass
class Outcome:
    ran: int = 0
    failed: int = 0
    stopped: bool = False  # --fail-fast stopped the sweep early


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so temporary files are removed on the way out."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_sweep(
    jobs: list[Job],
    out_dir: Path,
    executor: Executor = run_here,
    feature_cache: Path | None = None,
    fail_fast: bool = False,
    on_record: Callable[[Job, dict[str, Any]], None] | None = None,
) -> Outcome:
    """Run `jobs`, writing each record under `out_dir` as soon as it arrives."""
    outcome = Outcome()
    if not jobs:
        return outcome  # nothing to run: start no pool or cluster
    cache = str(feature_cache) if feature_cache else None
    for name in sorted({job.config.name for job in jobs}):
        remove_stale_temps(out_dir / name)  # left by writes that a kill interrupted earlier
    with sigterm_as_interrupt():
        results = executor(jobs, cache)
        try:
            for job, record in results:
                write_record(job.record_path(out_dir), record)
                outcome.ran += 1
                outcome.failed += record["status"] != "ok"
                if on_record is not None:
                    on_record(job, record)
                if fail_fast and record["status"] != "ok":
                    outcome.stopped = True
                    break
        finally:
            close = getattr(results, "close", None)
            if close is not None:
                close()  # stops pools and clusters, also on Ctrl-C
    return outcome
