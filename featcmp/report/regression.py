"""Accuracy regression check: the table of a runs folder against a committed baseline.

A baseline holds one row per (dataset, pipeline): the accuracy expected and a tolerance band.
`make_baseline` calibrates the band from runs over several seeds; `check_against` compares a
fresh run with it. Like the reporter, this module reads records only: no scikit-learn, no torch.
"""

from __future__ import annotations

import json
import math
import platform
import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from featcmp.config.load import read_yaml
from featcmp.config.typed import describe, from_dict
from featcmp.errors import ConfigError, FeatcmpError
from featcmp.files import atomic_write_text
from featcmp.records import Unreadable
from featcmp.report.load import Runs, load_runs
from featcmp.report.table import group_records, number

BASELINE_VERSION = 1
DEFAULT_TOLERANCE = 0.02
SIGMAS = 3.0
FLOOR = 0.01
EXIT_REGRESSION = 1  # 2 stays the exit code of user errors


@dataclass
class BaselineRow:
    """The accuracy one (dataset, pipeline) row is expected to reach, and how far it may drop.

    `requires` names a data folder: when it is absent the row is skipped, not missing.
    """

    dataset: str
    pipeline: str
    accuracy: float
    tolerance: float | None = None
    n_train: int | None = None
    n_test: int | None = None
    requires: str | None = None
    calibration: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.dataset, self.pipeline)


@dataclass
class Baseline:
    rows: list[BaselineRow]
    version: int = BASELINE_VERSION
    default_tolerance: float = DEFAULT_TOLERANCE
    about: list[str] = field(default_factory=list)


@dataclass
class CurrentRow:
    """A row of the accuracy table in a runs folder, with the per-seed accuracies behind it."""

    dataset: str
    pipeline: str
    n_train: int
    n_test: int
    accuracies: list[float]
    failed: int
    data_path: str | None

    @property
    def mean(self) -> float:
        return statistics.fmean(self.accuracies) if self.accuracies else math.nan


@dataclass
class CheckRow:
    dataset: str
    pipeline: str
    baseline: float
    now: float | None
    tolerance: float
    status: str
    note: str = ""

    @property
    def difference(self) -> float | None:
        return None if self.now is None else self.now - self.baseline

    @property
    def failed(self) -> bool:
        return self.status in ("DROP", "MISSING", "FAILED", "CHANGED")


# -- the table in a runs folder ------------------------------------------------------------------


def current_rows(directory: str | Path) -> dict[tuple[str, str], CurrentRow]:
    """The accuracy table of every readable record under `directory`, keyed by (dataset,
    pipeline); a pipeline run with several settings gives one row per setting, as in the
    report (`hog_svm [C=10]`), so settings never pool."""
    return table_rows(load_runs(directory))


def table_rows(runs: Runs) -> dict[tuple[str, str], CurrentRow]:
    directory = runs.directory
    rows: dict[tuple[str, str], CurrentRow] = {}
    grouped = group_records(runs.records)
    for (dataset, pipeline, n_train), rs in sorted(grouped.items()):
        if (dataset, pipeline) in rows:
            sizes = sorted({n_train, rows[(dataset, pipeline)].n_train})
            raise FeatcmpError(
                f"{directory}: {dataset} / {pipeline} has runs at several training sizes "
                f"{sizes}; keep one size per folder to check or baseline it"
            )
        ok = [r for r in rs if r.succeeded]
        rows[(dataset, pipeline)] = CurrentRow(
            dataset=dataset,
            pipeline=pipeline,
            n_train=n_train,
            n_test=rs[0].dataset.n_test or 0,
            accuracies=[r.accuracy for r in ok if r.accuracy is not None],
            failed=len(rs) - len(ok),
            data_path=rs[0].config_value("dataset.path"),
        )
    return rows


# -- calibration -----------------------------------------------------------------------------------


def binomial_std(p: float, n: int) -> float:
    """Standard deviation of an accuracy measured on n test images: test-set sampling alone."""
    return math.sqrt(max(p * (1.0 - p), 0.0) / n) if n > 0 else 0.0


def band(accuracies: list[float], n_test: int, sigmas: float, floor: float) -> float:
    """Tolerance: `sigmas` times the larger of the seed-to-seed and the test-sampling std.

    Five seeds estimate a standard deviation loosely (it can come out at half the true one), so
    the binomial std of the test set - a lower bound on the true noise that needs no estimate -
    keeps the band from collapsing; `floor` covers rows that are (nearly) perfect.
    """
    mean = statistics.fmean(accuracies)
    seed_std = statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0
    width = max(sigmas * max(seed_std, binomial_std(mean, n_test)), floor)
    return math.ceil(width * 1000 - 1e-9) / 1000  # round up to 0.001


def make_baseline(
    directory: str | Path, sigmas: float = SIGMAS, floor: float = FLOOR, notes: Iterable[str] = ()
) -> Baseline:
    """A baseline from the runs under `directory`: mean accuracy and a calibrated band per row."""
    current = current_rows(directory)
    if not current:
        raise FeatcmpError(f"{directory}: holds no run records to make a baseline from")
    rows = []
    for row in current.values():
        if not row.accuracies:
            raise FeatcmpError(
                f"{directory}: every run of {row.dataset} / {row.pipeline} failed; "
                "a baseline needs successful runs"
            )
        acc = row.accuracies
        std = statistics.stdev(acc) if len(acc) > 1 else 0.0
        rows.append(
            BaselineRow(
                dataset=row.dataset,
                pipeline=row.pipeline,
                accuracy=round(row.mean, 4),
                tolerance=band(acc, row.n_test, sigmas, floor),
                n_train=row.n_train,
                n_test=row.n_test,
                requires=row.data_path,
                calibration={
                    "runs": len(acc),
                    "mean": round(row.mean, 4),
                    "std": round(std, 4),
                    "min": round(min(acc), 4),
                    "max": round(max(acc), 4),
                    "binomial_std": round(binomial_std(row.mean, row.n_test), 4),
                },
            )
        )
    seeds = sorted({len(r.accuracies) for r in current.values()})
    about = [
        "featcmp accuracy baseline; check a run with: featcmp check DIR --baseline THIS_FILE",
        f"written {datetime.now(timezone.utc):%Y-%m-%d} by `featcmp baseline {directory}` on "
        f"{platform.machine()} / Python {platform.python_version()}",
        f"calibration: {'/'.join(map(str, seeds))} run(s) (seeds) per row; accuracy = their mean",
        f"tolerance = max({sigmas:g} * max(std over seeds, binomial std of the test set), "
        f"{floor:g}), rounded up to 0.001",
        "a row fails when its accuracy < accuracy - tolerance; improvements never fail",
        "requires: a row whose data folder is absent is skipped, not counted as missing",
        *notes,
    ]
    return Baseline(rows=rows, default_tolerance=DEFAULT_TOLERANCE, about=about)


# -- baseline files ------------------------------------------------------------------------------


def baseline_text(baseline: Baseline, json_format: bool = False) -> str:
    """YAML (the about lines as a comment header) or JSON (an `about` list)."""
    data = {
        "version": baseline.version,
        "default_tolerance": baseline.default_tolerance,
        "rows": [
            {k: v for k, v in asdict(r).items() if v not in (None, {})} for r in baseline.rows
        ],
    }
    if json_format:
        return json.dumps({"about": baseline.about, **data}, indent=1) + "\n"
    header = "".join(f"# {line}\n" for text in baseline.about for line in text.splitlines())
    return header + yaml.safe_dump(data, sort_keys=False, width=100)


def write_baseline(baseline: Baseline, path: str | Path) -> Path:
    path = Path(path)
    atomic_write_text(path, baseline_text(baseline, json_format=path.suffix == ".json"))
    return path


def read_baseline(path: str | Path) -> Baseline:
    """Read and validate a baseline file (YAML or JSON; JSON is read as YAML)."""
    path = Path(path)
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a baseline mapping with 'rows', got {describe(raw)}")
    try:
        baseline = from_dict(Baseline, raw)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if baseline.version != BASELINE_VERSION:
        raise ConfigError(
            f"{path}: baseline version {baseline.version}; expected {BASELINE_VERSION}"
        )
    seen: set[tuple[str, str]] = set()
    for i, row in enumerate(baseline.rows):
        if row.key in seen:
            raise ConfigError(f"{path}: rows[{i}]: duplicate row {row.dataset} / {row.pipeline}")
        seen.add(row.key)
        if row.tolerance is not None and row.tolerance < 0:
            raise ConfigError(f"{path}: rows[{i}].tolerance: must be >= 0, got {row.tolerance}")
    return baseline


# -- the check -------------------------------------------------------------------------------------


def check_against(
    directory: str | Path, baseline: Baseline, tolerance: float | None = None
) -> list[CheckRow]:
    """Compare the table under `directory` with `baseline`; `tolerance` overrides every band."""
    if tolerance is not None and tolerance < 0:
        raise ConfigError(f"--tolerance: must be >= 0, got {tolerance}")
    runs = load_runs(directory)
    current = table_rows(runs)
    out = []
    for row in baseline.rows:
        tol = tolerance if tolerance is not None else row.tolerance
        tol = baseline.default_tolerance if tol is None else tol
        out.append(check_row(row, current.get(row.key), tol, directory))
    known = {r.key for r in baseline.rows}
    for key, now in sorted(current.items()):
        if key not in known:
            nan = math.nan
            out.append(
                CheckRow(now.dataset, now.pipeline, nan, now.mean, nan, "new", "not in baseline")
            )
    out.extend(unreadable_row(bad, directory) for bad in runs.unreadable)
    return out


def check_row(
    row: BaselineRow, now: CurrentRow | None, tol: float, directory: str | Path
) -> CheckRow:
    """One baseline row against the runs of it now (None: there are none)."""
    check = CheckRow(row.dataset, row.pipeline, row.accuracy, None, tol, "ok")
    if now is None:
        if row.requires and not Path(row.requires).expanduser().exists():
            check.status, check.note = "skipped", f"{row.requires} absent"
        else:
            check.status, check.note = "MISSING", f"no runs of this row under {directory}"
        return check
    if not now.accuracies:
        check.status, check.note = "FAILED", f"all {now.failed} run(s) failed"
        return check
    check.now = now.mean
    if row.n_train is not None and now.n_train != row.n_train:
        check.status, check.note = "CHANGED", f"n_train {now.n_train}, baseline {row.n_train}"
    elif check.now < row.accuracy - tol - 1e-9:
        check.status, check.note = "DROP", f"beyond the tolerance of {tol:.3f}"
    elif check.now > row.accuracy + tol + 1e-9:
        check.status, check.note = "improved", "above the band; consider a new baseline"
    return check


def unreadable_row(bad: Unreadable, directory: str | Path) -> CheckRow:
    """An unreadable record counts as a missing row: the check fails and names the file (its
    dataset is unknown; the path says which config and pipeline it belonged to)."""
    try:
        name = str(bad.path.relative_to(directory))
    except ValueError:
        name = str(bad.path)
    note = f"unreadable record ({bad.reason})"
    return CheckRow("?", name, math.nan, None, math.nan, "MISSING", note)


HEADERS = ("dataset", "pipeline", "baseline", "now", "difference", "tolerance", "status", "note")


def check_cells(row: CheckRow) -> list[str]:
    return [
        row.dataset,
        row.pipeline,
        number(row.baseline, ".3f"),
        number(row.now, ".3f"),
        number(row.difference, "+.3f"),
        number(row.tolerance, ".3f"),
        row.status,
        row.note,
    ]


def summary_line(rows: list[CheckRow]) -> str:
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    verdict = "FAIL" if any(r.failed for r in rows) else "pass"
    return f"check: {len(rows)} rows ({parts}): {verdict}"


def print_check(rows: list[CheckRow], title: str = "") -> None:
    """The check table on the terminal (full width in pipes and CI logs)."""
    from featcmp.report.console import rich_table, terminal_console

    table = rich_table(HEADERS, ("dataset", "pipeline", "note"), title)
    for r in rows:
        style = "bold red" if r.failed else ("dim" if r.status == "skipped" else None)
        table.add_row(*check_cells(r), style=style)
    terminal_console().print(table)
