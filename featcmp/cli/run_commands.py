"""`featcmp run`, `featcmp sweep` and `featcmp cache`: one path from configs to records.

`run` is a sweep of one config in this process. Both check every config, grid point and
pipeline against its images before any fit (exit 2, nothing written), skip jobs whose record
says ok unless --force, write one record per job, and print the table unless --quiet.
Heavy imports stay inside the functions so `featcmp --help` and `featcmp report` stay fast.
"""

from __future__ import annotations

import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from featcmp import progress as bars
from featcmp.cli.errors import INTERNAL_ERROR, JOB_FAILED
from featcmp.errors import FeatcmpError
from featcmp.records import Record

if TYPE_CHECKING:  # heavy: imported by the functions that run a batch
    from featcmp.run.cost import Estimate
    from featcmp.run.sweep import Executor, Outcome, Plan

SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a config field: --set seed=3 --set dataset.source=faces"),
]
OutOption = Annotated[Path, typer.Option("--out", help="Folder for the run records.")]
CacheOption = Annotated[
    Path | None,
    typer.Option(
        "--cache",
        help="Feature cache folder (default: $FEATCMP_CACHE, else OUT/.cache/features).",
    ),
]
ForceOption = Annotated[bool, typer.Option("--force", help="Re-run every job, even ok ones.")]
RetryOption = Annotated[
    bool, typer.Option("--retry-failed", help="Re-run jobs whose record says failed.")
]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="Only failures and the summary; no table.")
]
NoCacheOption = Annotated[bool, typer.Option("--no-cache", help="Do not cache features.")]
DryRunOption = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        help="Print the resolved config, the jobs and their cost; fit and write nothing.",
    ),
]


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    typer.echo(f"warning: {message}", err=True)


@dataclass(frozen=True)
class BatchOptions:
    """How `run` and `sweep` treat a batch: which jobs run again, the feature cache, output."""

    label: str = "run"  # the command, at the start of its summary lines
    force: bool = False  # re-run ok jobs too
    retry_failed: bool = False  # re-run jobs whose record says failed
    fail_fast: bool = False
    cache: Path | None = None  # --cache
    no_cache: bool = False
    quiet: bool = False


def plan_batch(
    configs: list[Path],
    out: Path,
    overrides: list[str],
    options: BatchOptions,
    *,
    remote: bool = False,
    writes: bool = True,
    auto_counts: dict[str, int] | None = None,
) -> tuple[Plan, dict[str, Estimate]]:
    """Every job of the configs, checked against its images before any fit (bad input raises,
    nothing written), split by what its record says; and each job's cost estimate.
    `auto_counts`: the seeds `seeds: auto` configs have reached (default: the first round)."""
    from featcmp.run import sweep as sw
    from featcmp.run.executor import check_out_dir, preflight
    from featcmp.run.jobs import load_jobs

    jobs = load_jobs(configs, overrides, auto_counts)  # every config and grid point checked
    if writes:
        check_out_dir(out)
    plan = sw.plan(jobs, out, retry_failed=options.retry_failed, force=options.force)
    # A remote cluster may hold data this host lacks: its workers check there.
    estimates = {} if remote else preflight(plan.todo)
    return plan, estimates


def announce(plan: Plan, estimates: dict[str, Estimate], options: BatchOptions) -> None:
    """Before the first fit: unreadable records, each pipeline's estimate, what will run."""
    from featcmp.run import dryrun

    for bad in plan.unreadable:
        typer.echo(bad.line("its job runs again"), err=True)
    for line in dryrun.estimate_lines(plan.todo, estimates):
        typer.echo(line, err=True)
    note = f", {len(plan.done)} already ok" if plan.done else ""
    if plan.failed_before:
        note += f", {len(plan.failed_before)} failed before (skipped; --retry-failed re-runs them)"
    typer.echo(f"{options.label}: {plan.total} runs, {len(plan.todo)} to run{note}", err=True)


def execute_batch(
    plan: Plan, out: Path, options: BatchOptions, executor: Executor | None = None
) -> tuple[Outcome, float]:
    """Run the plan's jobs (here, or on `executor`), writing each record as it arrives and
    showing progress; return the outcome and the seconds it took."""
    from featcmp.run import cache as feature_cache
    from featcmp.run import sweep as sw
    from featcmp.run.progress import SweepProgress, run_line

    cache_dir = feature_cache.resolve_cache_dir(options.cache, out, enabled=not options.no_cache)
    rich = not options.quiet and sys.stderr.isatty()
    # One live rich display at a time: in this process the bars of feature extraction and
    # training epochs; with workers the batch's own bar.
    bars.enable(rich and executor is None)
    progress = SweepProgress(len(plan.todo), options.label, rich=rich and executor is not None)

    def on_record(job, record) -> None:
        if not options.quiet:
            progress.update(record)
        elif record.status != "ok":
            typer.echo(run_line(record), err=True)

    with warnings.catch_warnings(), progress:
        warnings.showwarning = _show_warning
        outcome = sw.run_sweep(
            plan.todo, out, executor or sw.run_here, cache_dir, options.fail_fast, on_record
        )
    feature_cache.prune(cache_dir)
    return outcome, time.monotonic() - progress.start


def summarise(
    plan: Plan,
    outcome: Outcome,
    took_s: float,
    out: Path,
    options: BatchOptions,
) -> None:
    """The table of every job (resumed ones too) unless quiet, one line, the exit status."""
    from featcmp.run.progress import clock

    if not options.quiet:
        print_run_table(plan.done_records + outcome.records)
    stop = " (stopped at the first failure: --fail-fast)" if outcome.stopped else ""
    typer.echo(
        f"{options.label}: ran {outcome.ran} in {clock(took_s)}, {outcome.failed} failed{stop}; "
        f"records in {out}",
        err=True,
    )
    if outcome.internal:
        raise typer.Exit(INTERNAL_ERROR)
    if outcome.failed:
        raise typer.Exit(JOB_FAILED)


def run_batch(
    configs: list[Path],
    out: Path,
    overrides: list[str],
    options: BatchOptions,
    *,
    executor: Executor | None = None,
    remote: bool = False,
) -> None:
    """The whole of `run` and `sweep`: plan (every check before any fit), execute, summarise.
    With `seeds: auto` configs, rounds: after each, their verdicts decide whether the next
    adds seeds (`featcmp.run.rounds`); each round is planned, checked and run the same way."""
    from featcmp.run.rounds import Rounds

    plan, estimates = plan_batch(configs, out, overrides, options, remote=remote)
    rounds = Rounds.of(configs, overrides)  # the configs read and checked by the plan first
    announce(plan, estimates, options)
    outcome, took_s = execute_batch(plan, out, options, executor)
    while not outcome.stopped and rounds.after_round(out):
        more, estimates = plan_batch(
            configs, out, overrides, options, remote=remote, auto_counts=rounds.counts
        )
        more = more.new_since(plan)
        if more.todo:
            announce(more, estimates, options)
        extra, extra_s = execute_batch(more, out, options, executor)
        plan, outcome, took_s = plan.then(more), outcome.then(extra), took_s + extra_s
    summarise(plan, outcome, took_s, out, options)


def dry_run_batch(
    configs: list[Path],
    out: Path,
    overrides: list[str],
    options: BatchOptions,
    *,
    remote: bool = False,
) -> None:
    """`--dry-run`: the plan and its checks and estimates, printed; nothing fitted or written
    (not even the output folder), no pool or cluster started."""
    from featcmp.run import dryrun

    plan, estimates = plan_batch(configs, out, overrides, options, remote=remote, writes=False)
    dryrun.print_dry_run(configs, overrides, plan, estimates, out)


def print_run_table(records: list[Record]) -> None:
    """The console table of these records, one row per pipeline and setting."""
    from featcmp.report.console import print_rows
    from featcmp.report.names import named_for_people
    from featcmp.report.settings import label_settings
    from featcmp.report.table import build_rows

    if not records:
        return
    names = sorted({r.config_name for r in records})
    records = named_for_people(records)
    datasets = sorted({r.dataset.name for r in records})
    # Two settings of one pipeline (a grid, two configs) are two rows, as in the report.
    rows = build_rows(label_settings(records))
    print_rows(rows, title=f"{', '.join(names)} on {', '.join(datasets)}")


def run(
    config: Annotated[
        Path, typer.Argument(help="A YAML config, or a bundled one by name: featcmp configs.")
    ],
    out: OutOption = Path("runs"),
    set_: SetOption = None,
    force: ForceOption = False,
    retry_failed: RetryOption = False,
    cache: CacheOption = None,
    no_cache: NoCacheOption = False,
    quiet: QuietOption = False,
    dry_run: DryRunOption = False,
) -> None:
    """Run every pipeline of CONFIG on the same split; one record each; print the table.

    Jobs whose record says ok are kept (--force re-runs them). Exit status: 0 all ok, 1 some
    jobs failed, 2 bad input, 3 internal error, 130 interrupted.
    """
    options = BatchOptions(
        "run", force=force, retry_failed=retry_failed, cache=cache, no_cache=no_cache, quiet=quiet
    )
    batch = dry_run_batch if dry_run else run_batch
    batch([config], out, set_ or [], options)


def sweep(
    configs: Annotated[list[Path], typer.Argument(help="YAML configs, e.g. configs/*.yaml.")],
    out: OutOption = Path("runs"),
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Local worker processes.")] = 1,
    retry_failed: RetryOption = False,
    force: ForceOption = False,
    fail_fast: Annotated[
        bool, typer.Option("--fail-fast", help="Stop at the first failed job.")
    ] = False,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Run on a Dask cluster: tcp://HOST:PORT."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Start a local Dask cluster of N workers.")
    ] = None,
    cache: CacheOption = None,
    no_cache: NoCacheOption = False,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a field in every config: --set seed=3."),
    ] = None,
    quiet: QuietOption = False,
    dry_run: DryRunOption = False,
) -> None:
    """Run every job of CONFIG... (grids expanded), skipping those already finished.

    Exit status: 0 all ran ok, 1 some jobs failed, 2 bad input, 3 internal error,
    130 interrupted.
    """
    check_parallelism(jobs, scheduler, workers)
    options = BatchOptions(
        "sweep",
        force=force,
        retry_failed=retry_failed,
        fail_fast=fail_fast,
        cache=cache,
        no_cache=no_cache,
        quiet=quiet,
    )
    if dry_run:
        dry_run_batch(configs, out, set_ or [], options, remote=bool(scheduler))
        return
    executor = parallel_executor(jobs, scheduler, workers)
    run_batch(configs, out, set_ or [], options, executor=executor, remote=bool(scheduler))


def check_parallelism(jobs: int, scheduler: str | None, workers: int | None) -> None:
    if jobs < 1 or (workers is not None and workers < 1):
        raise FeatcmpError("--jobs and --workers must be at least 1")
    if scheduler and workers:
        raise FeatcmpError("give --scheduler (an existing cluster) or --workers, not both")
    if (scheduler or workers) and jobs > 1:
        raise FeatcmpError("--jobs is for local processes; on Dask the cluster sets parallelism")


def parallel_executor(jobs: int, scheduler: str | None, workers: int | None) -> Executor | None:
    """A Dask cluster's executor, a pool of `jobs` local processes, or None (this process)."""
    from featcmp.run import sweep as sw

    if scheduler or workers:
        from featcmp.run.dask import run_on_dask

        return run_on_dask(scheduler, workers)
    return sw.run_in_pool(jobs) if jobs > 1 else None


def cache(
    out: Annotated[Path, typer.Option("--out", help="The runs folder of the cache.")] = Path(
        "runs"
    ),
    cache: CacheOption = None,
    clear: Annotated[bool, typer.Option("--clear", help="Delete every cached file.")] = False,
    max_size: Annotated[
        str | None,
        typer.Option("--max-size", help="Drop least recently used files beyond this (2G)."),
    ] = None,
) -> None:
    """Show the feature cache's size; prune it to --max-size, or --clear it."""
    from featcmp.run import cache as feature_cache

    path = feature_cache.resolve_cache_dir(cache, out)
    if path is None:
        raise FeatcmpError("the feature cache is off (FEATCMP_CACHE=off)")
    if clear:
        typer.echo(f"removed {feature_cache.clear(path)} files from {path}", err=True)
    elif max_size is not None:
        freed = feature_cache.prune(path, feature_cache.parse_size(max_size))
        typer.echo(f"freed {freed / 2**20:.1f} MiB in {path}", err=True)
    files, size = feature_cache.usage(path)
    sys.stdout.write(f"{path}: {files} files, {size / 2**20:.1f} MiB\n")
