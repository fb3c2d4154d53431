"""`featcmp report DIR`: the table on the terminal; report.md (+ PNGs), report.html, results.csv."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from featcmp.errors import FeatcmpError
from featcmp.files import atomic_write_bytes, atomic_write_text
from featcmp.records import Record, Unreadable
from featcmp.report.bayes import Decide
from featcmp.report.cd_diagram import Friedman, across_datasets, cd_figure
from featcmp.report.difference_plot import difference_plot
from featcmp.report.load import load_runs
from featcmp.report.plots import Plot, all_plots, pipeline_colours, to_png
from featcmp.report.rope import report_decide
from featcmp.report.sections import Report, render_html, render_markdown
from featcmp.report.settings import compared_on_test_set, is_exploratory, place
from featcmp.report.significance import PairResult, compare_pipelines
from featcmp.report.table import CSV_FIELDS, Row, csv_rows
from featcmp.report.verdict import (
    Line,
    bayes_across,
    elsewhere_note,
    stopping_notes,
    stops_of,
    verdict_html,
    verdict_lines,
    verdict_markdown,
)

SHOWN_UNREADABLE = 20  # named one per line; beyond that, a count


def render_csv(rows: list[Row]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(csv_rows(rows))
    return buf.getvalue()


def unreadable_lines(unreadable: list[Unreadable]) -> list[str]:
    lines = [u.line() for u in unreadable[:SHOWN_UNREADABLE]]
    if len(unreadable) > SHOWN_UNREADABLE:
        lines.append(f"... and {len(unreadable) - SHOWN_UNREADABLE} more unreadable record files")
    return lines


def exploratory_rows(records: list[Record]) -> set[tuple[str, int, str]]:
    """(dataset, n_train, row label) of runs whose settings were compared on the test set."""
    flagged = compared_on_test_set(records)
    return {place(r) for r in records if is_exploratory(r, flagged)}


def exploratory_note(rows: set[tuple[str, int, str]]) -> list[str]:
    if not rows:
        return []
    names = ", ".join(f"{p} ({d}, n_train {n})" for d, n, p in sorted(rows))
    return [
        "Settings compared on the test set (exploratory): several settings of one pipeline were "
        "scored on the same test set (a `grid:` does this), so the best of them is chosen on "
        f"test data and its score is optimistic: {names}."
    ]


def cd_plot(result: Friedman, rows: list[Row]) -> Plot:
    colours = pipeline_colours(rows)
    return Plot(
        name="critical-difference",
        kind="critical-difference",
        title=f"Critical-difference diagram over {result.n} datasets",
        caption=(
            "Average rank of each pipeline over the datasets (1 = best, at each dataset's largest "
            "training size); pipelines joined by a bar are not significantly different by the "
            f"Nemenyi test (Demšar 2006). {result.text()}"
        ),
        png=to_png(cd_figure(result, colours)),
    )


def verdict_of(
    records: list[Record],
    rows: list[Row],
    decide: Decide,
    exploratory: set[tuple[str, int, str]] | None = None,
) -> tuple[list[PairResult], list[Line]]:
    """Every pair's comparison and the verdict lines, under the report's ROPE and threshold
    (`exploratory`: the rows `exploratory_rows` finds, when the caller has them already)."""
    pairs = compare_pipelines(records, decide)
    if exploratory is None:
        exploratory = exploratory_rows(records)
    return pairs, verdict_lines(rows, pairs, exploratory, stops_of(records))


def write_report(
    out_dir: str | Path,
    stderr: TextIO | None = None,
    rope: float | None = None,
    decide: float | None = None,
    on_verdict: Callable[[list[Line]], None] | None = None,
) -> tuple[list[Row], list[Path]]:
    """Aggregate the records under `out_dir`; write PNGs, report.md, report.html, results.csv.

    Record files that cannot be read are named on `stderr` (and in the report); the rest go on.
    `rope` and `decide`: the verdict's margin and threshold (None: the config's or defaults);
    `on_verdict` is given the verdict lines (the terminal shows them short).
    """
    out_dir = Path(out_dir)
    runs = load_runs(out_dir).for_people()  # one row per setting: settings never pool
    records, unreadable, rows = runs.records, runs.unreadable, runs.rows
    for line in unreadable_lines(unreadable):
        print(f"featcmp report: {line}", file=stderr or sys.stderr)
    if not records:
        also = f" ({len(unreadable)} unreadable)" if unreadable else ""
        raise FeatcmpError(
            f"{out_dir}: no run records found{also}; run `featcmp run CONFIG --out {out_dir}` first"
        )
    decide_with = report_decide(records, rope, decide)
    exploratory = exploratory_rows(records)  # for the verdict and its note: found once
    pairs, lines = verdict_of(records, rows, decide_with, exploratory)
    if on_verdict is not None:
        on_verdict(lines)
    plots = all_plots(rows, records)
    friedman = across_datasets(rows)
    if friedman is not None:
        plots.insert(0, cd_plot(friedman, rows))
    if (headline := difference_plot(lines)) is not None:
        plots.insert(0, headline)  # with several datasets, the answer at a glance comes first
    across = bayes_across(lines, decide_with)
    notes = [*exploratory_note(exploratory), *elsewhere_note(rows), *stopping_notes(lines)]
    notes += [across.text()] if across else []
    notes += [friedman.text()] if friedman else []
    notes += unreadable_lines(unreadable)
    written = []
    for plot in plots:  # the PNGs first: report.md never names a picture that is not there
        written.append(out_dir / f"{plot.name}.png")
        atomic_write_bytes(written[-1], plot.png)
    written += [out_dir / "report.md", out_dir / "report.html", out_dir / "results.csv"]
    report = Report(rows, records, pairs, plots, across)
    atomic_write_text(written[-3], render_markdown(report, verdict_markdown(lines, notes)))
    atomic_write_text(written[-2], render_html(report, verdict_html(lines, notes)))
    atomic_write_text(written[-1], render_csv(rows))
    return rows, written
