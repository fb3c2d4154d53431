"""The `featcmp` command line. User errors become one stderr line and exit status 2."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

try:  # recent typer releases vendor click; older ones use the click package
    from typer._click import exceptions as click_exc
except ImportError:  # pragma: no cover - depends on the installed typer
    from click import exceptions as click_exc

from featcmp import progress, sweep_cli
from featcmp.errors import FeatcmpError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Compare hand-crafted features + SVM with features a CNN learns, on the same images.",
)
STATE = {"debug": False}
INTERNAL_ERROR = 3  # exit status of an unexpected exception (2: user error, 1: check regression)
INTERRUPTED = 130  # Ctrl-C or SIGTERM: finished runs are kept

SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a config field: --set seed=3 --set dataset.source=faces"),
]
OutOption = Annotated[Path, typer.Option("--out", help="Folder for the run records.")]


def fail(message: str, code: int = 2) -> typer.Exit:
    one_line = " ".join(part.strip() for part in str(message).splitlines() if part.strip())
    typer.echo(f"error: {one_line}", err=True)
    return typer.Exit(code)


def error_line(exc: Exception) -> tuple[str, int]:
    """The one stderr line and the exit status for an error that reached a command."""
    if isinstance(exc, FeatcmpError):
        return str(exc), exc.exit_code
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}", 2
    if isinstance(exc, MemoryError):
        return "ran out of memory; use fewer or smaller images (dataset.max_train)", 2
    # A bug in featcmp: still one line; --debug shows where.
    message = (
        f"internal error {type(exc).__name__}: {exc} (a bug; rerun with --debug for the traceback)"
    )
    return message, INTERNAL_ERROR


def user_errors(func):
    """FeatcmpError, OS and memory errors become one stderr line and exit 2; --debug re-raises.

    Anything else is a bug: one line too, exit 3, and the traceback with --debug.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, click_exc.ClickException):
            raise
        except KeyboardInterrupt:
            raise fail("interrupted; finished runs are kept", INTERRUPTED) from None
        except Exception as exc:
            if STATE["debug"]:
                raise
            raise fail(*error_line(exc)) from None

    return wrapper


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    STATE["debug"] = debug


@app.command()
@user_errors
def run(
    config: Annotated[Path, typer.Argument(help="A YAML config, e.g. configs/hog.yaml.")],
    out: OutOption = Path("runs"),
    set_: SetOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Run every pipeline of CONFIG on the same split; print the table; write one record each."""
    from featcmp.cache import prune, resolve_cache_dir
    from featcmp.config import load_config
    from featcmp.report.console import print_rows
    from featcmp.report.table import build_rows
    from featcmp.runner import check_out_dir, expand_jobs, run_jobs

    cfg = load_config(config, set_ or [])
    check_out_dir(out)
    progress.enable(not quiet and sys.stderr.isatty())
    jobs = expand_jobs(cfg)
    failures = []

    def announce(job, record) -> None:
        if record["status"] == "ok":
            typer.echo(
                f"{record['pipeline']:<14} seed {job.seed}  accuracy {record['accuracy']:.3f}  "
                f"fit {record['fit_seconds']:.1f}s",
                err=True,
            )
        else:
            failures.append(record)
            typer.echo(f"error: {record['pipeline']} failed: {record['error']}", err=True)

    cache_dir = resolve_cache_dir(None, out)  # --cache and --no-cache live on `featcmp sweep`
    records = list(run_jobs(jobs, out, on_record=announce, feature_cache=cache_dir))
    prune(cache_dir)
    print_rows(build_rows(records), title=f"{cfg.name} on {records[0]['dataset']['name']}")
    typer.echo(f"records: {out / cfg.name}", err=True)
    if failures:
        raise typer.Exit(2)


@app.command()
@user_errors
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


@app.command()
@user_errors
def explain(
    config: Annotated[Path, typer.Argument(help="A YAML config with a cnn or mlp pipeline.")],
    set_: SetOption = None,
) -> None:
    """Per layer of each CNN and MLP: parameters, connections, weight sharing, receptive field."""
    from featcmp.config import load_config
    from featcmp.explain import config_facts, print_facts

    print_facts(config_facts(load_config(config, set_ or []), where=str(config)))


@app.command()
@user_errors
def check(
    directory: Annotated[Path, typer.Argument(help="A folder of run records (e.g. runs-ci/).")],
    baseline: Annotated[Path, typer.Option("--baseline", help="The committed baseline file.")],
    tolerance: Annotated[
        float | None,
        typer.Option("--tolerance", help="One band for every row (default: each row's)."),
    ] = None,
) -> None:
    """Compare DIRECTORY's accuracy table with a baseline; exit 1 on a drop or a missing row."""
    from featcmp import regression as reg

    rows = reg.check_against(directory, reg.read_baseline(baseline), tolerance)
    reg.print_check(rows, title=f"featcmp check: {directory} against {baseline}")
    typer.echo(reg.summary_line(rows))
    if any(r.failed for r in rows):
        raise typer.Exit(reg.EXIT_REGRESSION)


@app.command()
@user_errors
def baseline(
    directory: Annotated[Path, typer.Argument(help="Runs over several seeds to calibrate from.")],
    out: Annotated[Path, typer.Option("--out", help="Baseline file to write (.yaml or .json).")],
    sigmas: Annotated[float, typer.Option(help="Band width in standard deviations.")] = 3.0,
    floor: Annotated[float, typer.Option(help="Narrowest band (accuracy points).")] = 0.01,
    note: Annotated[list[str] | None, typer.Option("--note", help="A line for the header.")] = None,
) -> None:
    """Write a baseline from DIRECTORY: per row the mean accuracy and a calibrated band."""
    from featcmp.regression import make_baseline, write_baseline

    written = write_baseline(make_baseline(directory, sigmas, floor, note or []), out)
    typer.echo(f"wrote {written}", err=True)


@app.command("list")
def list_() -> None:
    """The pipelines and dataset sources, one line each."""
    from featcmp.data.sources import SOURCES
    from featcmp.pipelines import PIPELINES

    for spec in PIPELINES.values():
        typer.echo(f"pipeline  {spec.name:<14} {spec.family:<13} {spec.summary}")
    for src in SOURCES.values():
        typer.echo(f"source    {src.name:<14} {'dataset':<13} {src.summary}")


# Sweeps (featcmp/sweep_cli.py): many configs and grids, resumable, local or on Dask.
app.command()(user_errors(sweep_cli.sweep))
app.command()(user_errors(sweep_cli.cache))


def main() -> None:
    """Entry point: usage errors, too, become a single line (not click's multi-line box)."""
    try:
        code = app(standalone_mode=False)
    except click_exc.NoArgsIsHelpError:
        sys.exit(0)
    except click_exc.UsageError as exc:
        command = "featcmp" if exc.ctx is None or exc.ctx.parent is None else exc.ctx.command_path
        hint = f" (see '{command} --help')"
        typer.echo(f"error: {exc.format_message()}{hint}", err=True)
        sys.exit(2)
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        typer.echo("error: interrupted", err=True)
        code = INTERRUPTED
    if code == INTERRUPTED:  # also what click returns for a command's typer.Exit(130)
        exit_interrupted()
    sys.exit(code if isinstance(code, int) else 0)


def exit_interrupted() -> None:
    """Exit 130 once an interrupt has unwound (records whole, temporary files gone).

    Not sys.exit: after featcmp had caught the interrupt and printed its line, CPython now and
    then still ended the process by SIGINT (status -2; its "unhandled KeyboardInterrupt" exit),
    seen in full test runs. Scripts and `make -j` rely on 130.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(INTERRUPTED)


datasets_app = typer.Typer(help="Look at a dataset or export it as class-per-folder PNGs.")
app.add_typer(datasets_app, name="datasets")
SourceArg = Annotated[str, typer.Argument(help="A source name (scenes, digits, ...) or a config.")]
PathOption = Annotated[str | None, typer.Option("--path", help="The source's dataset.path.")]
DataSetOption = Annotated[
    list[str] | None, typer.Option("--set", help="A source option: --set n_per_class=50")
]


@datasets_app.command("show")
@user_errors
def datasets_show(
    source: SourceArg,
    out: Annotated[Path | None, typer.Option("--out", help="PNG to write.")] = None,
    path: PathOption = None,
    set_: DataSetOption = None,
    per_class: Annotated[int, typer.Option(min=1, max=64, help="Examples per class.")] = 8,
) -> None:
    """Write a montage of SOURCE: one labelled row per class."""
    from featcmp.config import dataset_from_cli
    from featcmp.data.export import write_montage

    spec = dataset_from_cli(source, path, set_ or [])
    out = out or Path(f"{spec.source}-montage.png")
    typer.echo(f"wrote {write_montage(spec, out, per_class)}", err=True)


@datasets_app.command("export")
@user_errors
def datasets_export(
    source: SourceArg,
    directory: Annotated[Path, typer.Argument(help="New folder for <class>/<index>.png files.")],
    path: PathOption = None,
    set_: DataSetOption = None,
) -> None:
    """Write SOURCE as class-per-folder PNGs, which the `folder` source reads back."""
    from featcmp.config import dataset_from_cli
    from featcmp.data.export import export_folder

    n = export_folder(dataset_from_cli(source, path, set_ or []), directory)
    typer.echo(f"wrote {n} images under {directory}", err=True)
