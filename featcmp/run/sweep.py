"""Running a batch of jobs, resumably: what `featcmp run` and `featcmp sweep` both do.

`plan` skips jobs whose record says ok; the rest go to an executor: in this process, a pool of
local processes (`--jobs N`), or a Dask cluster (`featcmp.run.dask`). Every executor calls the
one job function, `featcmp.run.executor.execute`, and only computes records; this process
writes each one atomically as it arrives, so workers need no shared filesystem and an
interrupted batch leaves only whole records.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from featcmp.files import remove_stale_temps
from featcmp.records import Record, Unreadable, read_one, write_record
from featcmp.run.executor import INTERNAL_FAILURE, execute, preflight
from featcmp.run.jobs import Job


def job_key(job: Job) -> tuple[str, str]:
    """A job as plans tell jobs apart: its config's name and its id."""
    return job.config.name, job.id


@dataclass
class Plan:
    """The runs of a sweep: those to run now and those a previous sweep already finished."""

    todo: list[Job]
    done: list[Job] = field(default_factory=list)
    failed_before: list[Job] = field(default_factory=list)
    done_records: list[Record] = field(default_factory=list)  # of `done`, for the table
    unreadable: list[Unreadable] = field(default_factory=list)  # their jobs are in `todo`

    @property
    def total(self) -> int:
        return len(self.todo) + len(self.done) + len(self.failed_before)

    def keys(self) -> set[tuple[str, str]]:
        return {job_key(j) for j in self.todo + self.done + self.failed_before}

    def new_since(self, earlier: Plan) -> Plan:
        """This plan without the jobs of `earlier`: a later round of `seeds: auto` runs only
        its new seeds (also under --force, which re-runs each job once, not once a round)."""
        seen = earlier.keys()
        done = [
            (j, r)
            for j, r in zip(self.done, self.done_records, strict=True)
            if job_key(j) not in seen
        ]
        return Plan(
            todo=[j for j in self.todo if job_key(j) not in seen],
            done=[j for j, _ in done],
            failed_before=[j for j in self.failed_before if job_key(j) not in seen],
            done_records=[r for _, r in done],
            unreadable=self.unreadable,
        )

    def then(self, later: Plan) -> Plan:
        """This plan and a later round's new jobs (`new_since`), for the summary's table."""
        return Plan(
            self.todo + later.todo,
            self.done + later.done,
            self.failed_before + later.failed_before,
            self.done_records + later.done_records,
            self.unreadable + later.unreadable,
        )


def plan(jobs: list[Job], out_dir: Path, retry_failed: bool = False, force: bool = False) -> Plan:
    """Split jobs by their record: ok ones are done, failed ones wait for --retry-failed; a job
    whose record is unreadable (truncated, a foreign version) runs again and is named."""
    result = Plan(todo=[])
    for job in jobs:
        record = None if force else read_one(job.record_path(out_dir))
        if isinstance(record, Unreadable):
            result.unreadable.append(record)
            record = None
        status = record.status if record else None
        model = job.model_path(out_dir)
        if status == "ok" and model is not None and not model.is_file():
            status = None  # its kept network is gone: run it again to keep one
        if status == "ok":
            result.done.append(job)
            result.done_records.append(record)
        elif status == "failed" and not retry_failed:
            result.failed_before.append(job)
        else:
            result.todo.append(job)
    return result


# --- executors: yield (job, record) as runs finish ----------------------------------------------

Executor = Callable[[list[Job], str | None], Iterator[tuple[Job, Record]]]


def run_here(jobs: list[Job], feature_cache: str | None) -> Iterator[tuple[Job, Record]]:
    for job in jobs:
        yield job, execute(job, feature_cache)


def _pool_init() -> None:
    # The sweep process alone handles Ctrl-C; it terminates the pool, whose SIGTERM becomes
    # SystemExit here so that a cache write in flight removes its temporary file.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_signal)


def _exit_on_signal(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def _execute_indexed(args: tuple[int, Job, str | None]) -> tuple[int, Record]:
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


# --- the sweep ------------------------------------------------------------------------------


@dataclass
class Outcome:
    ran: int = 0
    failed: int = 0
    internal: int = 0  # failed by a bug in featcmp (exit 3), not by the job's own data/settings
    stopped: bool = False  # --fail-fast stopped the batch early
    records: list[Record] = field(default_factory=list)

    def then(self, later: Outcome) -> Outcome:
        """This outcome and a later round's."""
        return Outcome(
            self.ran + later.ran,
            self.failed + later.failed,
            self.internal + later.internal,
            self.stopped or later.stopped,
            self.records + later.records,
        )


@contextlib.contextmanager
def signals_as_interrupt() -> Iterator[Callable[[], None]]:
    """SIGINT and SIGTERM unwind as KeyboardInterrupt, so temporary files are removed on the
    way out; yields a check that raises it again after each record. Python drops an exception
    raised while it runs a callback it guards (a signal landing during an import's lock
    cleanup was seen to vanish, and the batch ran on to exit 0): the check catches that."""
    received: list[int] = []

    def check() -> None:
        if received:
            raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield check
        return

    def handler(signum: int, frame: Any) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    # A SIGINT ignored from the start (a shell's background job) stays ignored.
    caught = [
        sig for sig in (signal.SIGINT, signal.SIGTERM) if signal.getsignal(sig) != signal.SIG_IGN
    ]
    previous = {sig: signal.signal(sig, handler) for sig in caught}
    try:
        yield check
    finally:
        for sig, before in previous.items():
            signal.signal(sig, before)


def run_sweep(
    jobs: list[Job],
    out_dir: Path,
    executor: Executor = run_here,
    feature_cache: Path | None = None,
    fail_fast: bool = False,
    on_record: Callable[[Job, Record], None] | None = None,
) -> Outcome:
    """Run `jobs` (already checked by `executor.preflight`), writing each record under
    `out_dir` as soon as it arrives."""
    outcome = Outcome()
    if not jobs:
        return outcome  # nothing to run: start no pool or cluster
    cache = str(feature_cache) if feature_cache else None
    for name in sorted({job.config.name for job in jobs}):
        remove_stale_temps(out_dir / name)  # left by writes that a kill interrupted earlier
    with signals_as_interrupt() as check_interrupt:
        results = executor(jobs, cache)
        try:
            for job, record in results:
                record = keep_network(job, record, out_dir)
                write_record(job.record_path(out_dir), record)
                outcome.ran += 1
                outcome.failed += record.status != "ok"
                outcome.internal += record.error_kind == INTERNAL_FAILURE
                outcome.records.append(record)
                if on_record is not None:
                    on_record(job, record)
                check_interrupt()  # the record that was running is whole: kept
                if fail_fast and record.status != "ok":
                    outcome.stopped = True
                    break
            check_interrupt()
        finally:
            close = getattr(results, "close", None)
            if close is not None:
                close()  # stops pools and clusters, also on Ctrl-C
    return outcome


def keep_network(job: Job, record: Record, out_dir: Path) -> Record:
    """Write the network a job kept (`save_model`) before its record, which then names it: an
    ok record of such a job means its file is whole."""
    if record.network is None:
        return record
    from featcmp.models.network_file import save_network

    path = job.model_path(out_dir)
    assert path is not None
    save_network(path, record.network)
    return replace(record, network=None, model_file=str(path))


def run_jobs(
    jobs: list[Job],
    out_dir: Path,
    feature_cache: Path | None = None,
    on_record: Callable[[Job, Record], None] | None = None,
) -> list[Record]:
    """Check and run `jobs` in this process, every one (no resuming); return their records.

    The library form of `featcmp run --force`: `preflight` first, so bad input raises before
    anything is fitted or written.
    """
    preflight(jobs)
    return run_sweep(jobs, out_dir, run_here, feature_cache, on_record=on_record).records
