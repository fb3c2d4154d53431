"""`featcmp report`, `check`, `baseline` and `paper`: everything that reads records only."""

from __future__ import annotations

import json
import math
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from featcmp.errors import FeatcmpError


class TableFormat(str, Enum):
    md = "md"
    csv = "csv"
    json = "json"


def _json_value(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


def print_table(
    directory: Path, fmt: TableFormat, rope: float | None = None, decide: float | None = None
) -> None:
    """The result table on stdout as Markdown, CSV or JSON; nothing written, no plots drawn.

    The rows are those of `featcmp report` (same records, same settings labels, same columns
    as report.md or results.csv); unreadable record files are named on stderr. JSON is an
    object: the verdict first (its three probabilities per dataset and size), then the rows."""
    from featcmp.report.load import load_runs
    from featcmp.report.rope import report_decide
    from featcmp.report.table import csv_rows, markdown_table
    from featcmp.report.write import render_csv, unreadable_lines, verdict_of

    runs = load_runs(directory).for_people()
    for line in unreadable_lines(runs.unreadable):
        typer.echo(f"featcmp report: {line}", err=True)
    if not runs.records:
        raise FeatcmpError(f"{directory}: no run records found")
    rows = runs.rows
    if fmt is TableFormat.md:
        text = markdown_table(rows)
    elif fmt is TableFormat.csv:
        text = render_csv(rows)
    else:
        _, lines = verdict_of(runs.records, rows, report_decide(runs.records, rope, decide))
        data = {
            "verdict": [{k: _json_value(v) for k, v in ln.as_dict().items()} for ln in lines],
            "rows": [{k: _json_value(v) for k, v in row.items()} for row in csv_rows(rows)],
        }
        text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    sys.stdout.write(text)


def report(
    directory: Annotated[Path, typer.Argument(help="A folder of run records (e.g. runs/).")] = Path(
        "runs"
    ),
    format_: Annotated[
        TableFormat | None,
        typer.Option(
            "--format",
            help="Only print the table on stdout as md, csv or json (for scripts; writes nothing).",
        ),
    ] = None,
    rope: Annotated[
        float | None,
        typer.Option(
            "--rope",
            help="Region of practical equivalence, in accuracy (0.01 = ±1 point; "
            "default: the config's report.rope, else 0.01).",
        ),
    ] = None,
    decide: Annotated[
        float | None,
        typer.Option(
            "--decide",
            help="Probability at which a verdict counts as decided (default: the config's "
            "report.decide, else 0.95).",
        ),
    ] = None,
) -> None:
    """Tabulate every record under DIRECTORY; write report.md, report.html and results.csv there."""
    from featcmp.report.console import print_rows
    from featcmp.report.write import write_report

    if format_ is not None:
        print_table(directory, format_, rope, decide)
        return
    verdict: list[str] = []
    rows, written = write_report(
        directory,
        rope=rope,
        decide=decide,
        on_verdict=lambda ls: verdict.extend(ln.short() for ln in ls),
    )
    print_rows(rows, title=f"featcmp report: {directory}")
    if verdict:
        typer.echo("Verdict (hand-crafted vs learned; report.md says more):")
        for line in verdict:
            typer.echo(f"  {line}")
    for path in written:
        typer.echo(f"wrote {path}", err=True)


def check(
    directory: Annotated[Path, typer.Argument(help="A folder of run records (e.g. runs-ci/).")],
    baseline: Annotated[Path, typer.Option("--baseline", help="The committed baseline file.")],
    tolerance: Annotated[
        float | None,
        typer.Option("--tolerance", help="One band for every row (default: each row's)."),
    ] = None,
) -> None:
    """Compare DIRECTORY's accuracy table with a baseline; exit 1 on a drop or a missing row."""
    from featcmp.report import regression as reg

    rows = reg.check_against(directory, reg.read_baseline(baseline), tolerance)
    reg.print_check(rows, title=f"featcmp check: {directory} against {baseline}")
    typer.echo(reg.summary_line(rows))
    if any(r.failed for r in rows):
        raise typer.Exit(reg.EXIT_REGRESSION)


def baseline(
    directory: Annotated[Path, typer.Argument(help="Runs over several seeds to calibrate from.")],
    out: Annotated[Path, typer.Option("--out", help="Baseline file to write (.yaml or .json).")],
    sigmas: Annotated[float, typer.Option(help="Band width in standard deviations.")] = 3.0,
    floor: Annotated[float, typer.Option(help="Narrowest band (accuracy points).")] = 0.01,
    note: Annotated[list[str] | None, typer.Option("--note", help="A line for the header.")] = None,
) -> None:
    """Write a baseline from DIRECTORY: per row the mean accuracy and a calibrated band."""
    from featcmp.report.regression import make_baseline, write_baseline

    written = write_baseline(make_baseline(directory, sigmas, floor, note or []), out)
    typer.echo(f"wrote {written}", err=True)


def paper(
    directory: Annotated[
        Path, typer.Argument(help="Records of configs/paper/*.yaml or configs/cifar10.yaml.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Markdown file to write.")] = Path(
        "docs/results.md"
    ),
) -> None:
    """Write our accuracies next to the published ones (MNIST, Fashion-MNIST, CIFAR-10) to --out.

    Sections of datasets with no records in DIRECTORY are kept as --out has them.
    """
    from featcmp.report.paper import write_paper

    typer.echo(f"wrote {write_paper(directory, out)}", err=True)
