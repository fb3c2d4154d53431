"""The accuracy table: one row per dataset x pipeline (x training-set size), seeds aggregated."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from featcmp import families
from featcmp.records import Record
from featcmp.report.accuracy_interval import accuracy_interval
from featcmp.report.stats import Interval


@dataclass
class Row:
    dataset: str
    pipeline: str
    family: str
    n_train: int
    runs: int
    accuracy_mean: float
    accuracy_std: float
    macro_f1_mean: float
    feature_dim: int
    learned_params: int
    fit_seconds: float
    predict_seconds: float
    failed: int = 0
    accuracy_ci: Interval | None = None  # 95%; the method is in accuracy_ci.method

    def accuracy_text(self) -> str:
        if self.runs == 0:
            return "failed"
        if self.runs == 1:
            return f"{self.accuracy_mean:.3f}"
        return f"{self.accuracy_mean:.3f} ± {self.accuracy_std:.3f}"


def mean_std(values: list[float | None]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value) of the known values."""
    values = [v for v in values if v is not None]
    if not values:
        return math.nan, math.nan
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def median_of(values: list[float | None]) -> float:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else math.nan


def median_count(values: list[int | None]) -> int:
    """The median of counts (feature dimensions, parameters); 0 when none is known."""
    median = median_of(values)
    return 0 if math.isnan(median) else int(median)


def group_key(record: Record) -> tuple[str, str, int]:
    return (record.dataset.name, record.pipeline, record.n_train)


def group_records(records: list[Record]) -> dict[tuple[str, str, int], list[Record]]:
    """Records by (dataset, pipeline, training size): one table row each."""
    groups: dict[tuple[str, str, int], list[Record]] = {}
    for r in records:
        groups.setdefault(group_key(r), []).append(r)
    return groups


def build_rows(records: list[Record]) -> list[Row]:
    """Aggregate records over seeds; rows sorted by dataset, training size, then accuracy."""
    rows = []
    for (dataset, pipeline, n_train), rs in group_records(records).items():
        ok = [r for r in rs if r.succeeded]
        acc_mean, acc_std = mean_std([r.accuracy for r in ok])
        f1_mean, _ = mean_std([r.macro_f1 for r in ok])
        rows.append(
            Row(
                dataset=dataset,
                pipeline=pipeline,
                family=rs[0].family or "",
                n_train=n_train,
                runs=len(ok),
                accuracy_mean=acc_mean,
                accuracy_std=acc_std,
                macro_f1_mean=f1_mean,
                feature_dim=median_count([r.feature_dim for r in ok]),
                learned_params=median_count([r.learned_params for r in ok]),
                fit_seconds=median_of([r.fit_seconds for r in ok]),
                predict_seconds=median_of([r.predict_seconds for r in ok]),
                failed=len(rs) - len(ok),
                accuracy_ci=accuracy_interval(ok),
            )
        )
    rows.sort(
        key=lambda r: (r.dataset, r.n_train, -(r.accuracy_mean if r.runs else -1), r.pipeline)
    )
    return rows


def number(x: float | None, fmt: str) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, fmt)


@dataclass(frozen=True)
class Column:
    """One column of the accuracy table, as every renderer shows it.

    `header`: in markdown, HTML and on a wide terminal; `short`: on a narrow one. `cell`: the
    row's text. `csv`: the results.csv fields it gives (Row attributes; `accuracy_ci_*` are
    the interval's). On a narrow terminal: `drop`, the order in which columns are left out,
    highest first (0: never); `left`: left-aligned (names), else right (numbers); `hoist`:
    when every row holds the same value, one line under the table instead.
    """

    header: str
    short: str
    cell: Callable[[Row], str]
    csv: tuple[str, ...]
    drop: int
    left: bool = False
    hoist: bool = False


def family_text(row: Row) -> str:
    return families.display(row.family)


def runs_text(row: Row) -> str:
    return f"{row.runs}" + (f" (+{row.failed} failed)" if row.failed else "")


COLUMNS = (
    Column("dataset", "dataset", lambda r: r.dataset, ("dataset",), 2, left=True, hoist=True),
    Column("pipeline", "pipeline", lambda r: r.pipeline, ("pipeline",), 0, left=True),
    Column(
        "family",
        "family",
        lambda r: families.display(r.family),
        ("family",),
        5,
        left=True,
        hoist=True,
    ),
    Column("n_train", "n", lambda r: str(r.n_train), ("n_train",), 1, hoist=True),
    Column("runs", "runs", runs_text, ("runs", "failed"), 4),
    Column("accuracy", "accuracy", Row.accuracy_text, ("accuracy_mean", "accuracy_std"), 0),
    Column(
        "95% interval",
        "95% CI",
        lambda r: r.accuracy_ci.text() if r.accuracy_ci else "-",
        ("accuracy_ci_low", "accuracy_ci_high", "accuracy_ci_method"),
        3,
    ),
    Column("macro-F1", "F1", lambda r: number(r.macro_f1_mean, ".3f"), ("macro_f1_mean",), 4),
    Column("feature dim", "dim", lambda r: f"{r.feature_dim:,}", ("feature_dim",), 7),
    Column("learned params", "params", lambda r: f"{r.learned_params:,}", ("learned_params",), 8),
    Column("fit s", "fit s", lambda r: number(r.fit_seconds, ".2f"), ("fit_seconds",), 6),
    Column(
        "predict s", "pred s", lambda r: number(r.predict_seconds, ".3f"), ("predict_seconds",), 9
    ),
)
HEADERS = tuple(c.header for c in COLUMNS)
CSV_FIELDS = tuple(f for c in COLUMNS for f in c.csv)


def row_cells(row: Row) -> list[str]:
    return [c.cell(row) for c in COLUMNS]


def markdown_grid(headers: Sequence[str], cells: Sequence[Sequence[str]]) -> list[str]:
    """A markdown table's lines: the header, its rule, one line per row of `cells`."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return lines + ["| " + " | ".join(row) + " |" for row in cells]


def markdown_table(rows: list[Row]) -> str:
    return "\n".join(markdown_grid(HEADERS, [row_cells(r) for r in rows])) + "\n"


def csv_value(row: Row, field: str) -> Any:
    if field.startswith("accuracy_ci_"):
        interval = row.accuracy_ci
        return getattr(interval, field.removeprefix("accuracy_ci_")) if interval else ""
    return getattr(row, field)


def csv_rows(rows: list[Row]) -> list[dict[str, Any]]:
    return [{k: csv_value(r, k) for k in CSV_FIELDS} for r in rows]
