"""`featcmp report`, `check`, `baseline` and `paper`: everything that reads records only."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def report(
    directory: Annotated[Path, typer.Argument(help="A folder of run records (e.g. runs/).")] = Path(
        "runs"
    ),
) -> None:
    """Tabulate every record under DIRECTORY; write report.md and results.csv there."""
    from featcmp.report.console import print_rows
    from featcmp.report.write import write_report

    rows, written = write_report(directory)
    print_rows(rows, title=f"featcmp report: {directory}")
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
    directory: Annotated[Path, typer.Argument(help="Records of configs/paper/*.yaml.")],
    out: Annotated[Path, typer.Option("--out", help="Markdown file to write.")] = Path(
        "docs/results.md"
    ),
) -> None:
    """Write our accuracies next to the published ones (MNIST, Fashion-MNIST) to --out."""
    from featcmp.report.paper import write_paper

    typer.echo(f"wrote {write_paper(directory, out)}", err=True)
