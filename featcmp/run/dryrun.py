"""What `featcmp run --dry-run` and `featcmp sweep --dry-run` print: the batch, fitted never.

The resolved config of each file (overrides applied, defaults filled in), then every job with
what the batch would do with it (run it, keep its ok record, skip it as failed before) and the
preflight's cost estimate. Also the preflight's one line per pipeline, which a real run prints
before its first fit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from featcmp.run.cost import Estimate, megabytes, seconds
from featcmp.run.jobs import Job


def estimate_lines(jobs: list[Job], estimates: dict[str, Estimate]) -> list[str]:
    """One line per pipeline (and training size) of the jobs to run: expected fit time and
    peak memory of one of its jobs, and how many jobs (seeds, grid points) share it."""
    groups: dict[tuple[str, str, Any], list[Job]] = {}
    for job in jobs:
        if job.id in estimates:
            groups.setdefault((job.config.name, job.pipeline.row, job.train_size), []).append(job)
    lines = []
    for (name, row, size), group in groups.items():
        costs = [estimates[j.id] for j in group]
        fit = max(c.fit_s for c in costs)
        peak = max(c.peak_bytes for c in costs)
        where = f"{name}/{row}" + ("" if size is None else f" (train size {size})")
        count = f", {len(group)} jobs" if len(group) > 1 else ""
        basis = costs[0].basis_note
        lines.append(
            f"estimate: {where}: fit ~{seconds(fit)}{basis}, peak memory ~{megabytes(peak)}{count}"
        )
    return lines


def resolved_configs(configs: list[Path], overrides: list[str]) -> str:
    """Each config file as the batch reads it, as YAML (overrides applied, defaults shown)."""
    from featcmp.config.load import read_config

    parts = []
    for path in configs:
        cfg = read_config(path, overrides)
        data = cfg.as_dict()
        if cfg.grid:
            data["grid"] = cfg.grid
        text = yaml.safe_dump(_plain(data), sort_keys=False, default_flow_style=None)
        if cfg.auto is not None:  # the jobs below are its first round
            text += f"# {cfg.auto.plan_text()}; the jobs below are the first round\n"
        parts.append(f"# {path} (resolved)\n{text}")
    return "\n".join(parts)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def job_lines(plan: Any, estimates: dict[str, Estimate], out: Path) -> list[str]:
    """Every job, marked: `run` (with its estimate), `ok` (resumed: its record is kept) or
    `skip` (failed before; --retry-failed re-runs it)."""
    marks = [(job, "run") for job in plan.todo]
    marks += [(job, "ok, resumed") for job in plan.done]
    marks += [(job, "failed before, skipped") for job in plan.failed_before]
    lines = []
    for job, mark in marks:
        size = "all" if job.train_size is None else str(job.train_size)
        cost = f"  {estimates[job.id].line()}" if job.id in estimates else ""
        model = job.model_path(out)
        keeps = f"  keeps its network in {model}" if model is not None else ""
        lines.append(
            f"{mark:<23} {job.config.name}/{job.pipeline.row}  seed {job.seed}  "
            f"train size {size}  id {job.id}{cost}{keeps}"
        )
    total = sum(estimates[j.id].fit_s for j in plan.todo if j.id in estimates)
    lines.append(
        f"{len(plan.todo)} to run (fit ~{seconds(total)} in all, one after another), "
        f"{len(plan.done)} ok and kept, {len(plan.failed_before)} failed before; "
        f"records would go to {out}; nothing was fitted or written (--dry-run)"
    )
    return lines


def print_dry_run(
    configs: list[Path], overrides: list[str], plan: Any, estimates: dict[str, Estimate], out: Path
) -> None:
    """The dry run's report: configs and jobs on stdout, the preflight lines on stderr."""
    import sys

    for line in estimate_lines(plan.todo, estimates):
        print(line, file=sys.stderr)
    sys.stdout.write(resolved_configs(configs, overrides) + "\n")
    sys.stdout.write("# jobs\n" + "\n".join(job_lines(plan, estimates, out)) + "\n")
