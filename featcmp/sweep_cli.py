"""The `featcmp sweep` and `featcmp cache` commands (registered on the app in featcmp.cli).

Heavy imports stay inside the functions so `featcmp --help` and `featcmp report` stay fast.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path
from typing import Annotated

import typer

from featcmp.errors import FeatcmpError

EXIT_RUNS_FAILED = 1  # the sweep completed but some runs failed (bad input exits 2)

CacheOption = Annotated[
    Path | None,
    typer.Option(
        "--cache",
        help="Feature cache folder (default: $FEATCMP_CACHE, else OUT/.cache/features).",
    ),
]


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    typer.echo(f"warning: {message}", err=True)


def sweep(
    configs: Annotated[list[Path], typer.Argument(help="YAML configs, e.g. configs/*.yaml.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the run records.")] = Path("runs"),
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Local worker processes.")] = 1,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Re-run runs whose record says failed.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Re-run every run, even ok ones.")] = False,
    fail_fast: Annotated[
        bool, typer.Option("--fail-fast", help="Stop at the first failed run.")
    ] = False,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Run on a Dask cluster: tcp://HOST:PORT."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Start a local Dask cluster of N workers.")
    ] = None,
    cache: CacheOption = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not cache features.")] = False,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a field in every config: --set seed=3."),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only failures and the summary.")
    ] = False,
) -> None:
    """Run every run of CONFIG... (grids expanded), skipping those already finished.

    Exit status: 0 all ran ok, 1 some runs failed, 2 bad input, 130 interrupted.
    """
    from featcmp import cache as feature_cache
    from featcmp import sweep as sw
    from featcmp.runner import check_out_dir
    from featcmp.sweep_progress import SweepProgress, clock, run_line

    if jobs < 1 or (workers is not None and workers < 1):
        raise FeatcmpError("--jobs and --workers must be at least 1")
    if scheduler and workers:
        raise FeatcmpError("give --scheduler (an existing cluster) or --workers, not both")
    if (scheduler or workers) and jobs > 1:
        raise FeatcmpError("--jobs is for local processes; on Dask the cluster sets parallelism")
    check_out_dir(out)
    all_jobs = sw.load_jobs(configs, set_)  # every config and grid point checked before any run
    plan = sw.plan(all_jobs, out, retry_failed=retry_failed, force=force)
    note = f", {len(plan.done)} already ok" if plan.done else ""
    if plan.failed_before:
        note += f", {len(plan.failed_before)} failed before (skipped; --retry-failed re-runs them)"
    typer.echo(f"sweep: {plan.total} runs, {len(plan.todo)} to run{note}", err=True)
    cache_dir = feature_cache.resolve_cache_dir(cache, out, enabled=not no_cache)
    if scheduler or workers:
        executor = sw.run_on_dask(scheduler, workers)
    elif jobs > 1:
        executor = sw.run_in_pool(jobs)
    else:
        executor = sw.run_here

    progress = SweepProgress(len(plan.todo), rich=None if not quiet else False)

    def on_record(job, record) -> None:
        if not quiet:
            progress.update(record)
        elif record["status"] != "ok":
            typer.echo(run_line(record), err=True)

    with warnings.catch_warnings(), progress:
        warnings.showwarning = _show_warning
        outcome = sw.run_sweep(
            plan.todo, out, executor, cache_dir, fail_fast=fail_fast, on_record=on_record
        )
    feature_cache.prune(cache_dir)
    took = clock(time.monotonic() - progress.start)
    stop = " (stopped at the first failure: --fail-fast)" if outcome.stopped else ""
    typer.echo(
        f"sweep: ran {outcome.ran} in {took}, {outcome.failed} failed{stop}; records in {out}",
        err=True,
    )
    if outcome.failed:
        raise typer.Exit(EXIT_RUNS_FAILED)


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
    from featcmp import cache as feature_cache

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
