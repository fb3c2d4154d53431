"""The `featcmp` app: its commands, grouped by what they touch, and its one error policy.

Every command is wrapped by `user_errors` (featcmp.cli.errors): an error becomes one stderr
line and the same exit status under every command.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from featcmp import __version__
from featcmp.cli import (
    config_commands,
    data_commands,
    model_commands,
    report_commands,
    run_commands,
)
from featcmp.cli.errors import (
    BAD_INPUT,
    INTERRUPTED,
    STATE,
    click_exc,
    exit_interrupted,
    user_errors,
)

app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Compare hand-crafted features + SVM with features a CNN learns, on the same images.",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"featcmp {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    STATE["debug"] = debug


# Configs: write one, list the bundled ones.
app.command()(user_errors(config_commands.init))
app.command()(user_errors(config_commands.configs))
# Configs -> jobs -> records.
app.command()(user_errors(run_commands.run))
app.command()(user_errors(run_commands.sweep))
app.command()(user_errors(run_commands.cache))
# A kept network -> a torch.export file.
app.command()(user_errors(model_commands.export))
# Records -> tables and files.
app.command()(user_errors(report_commands.report))
app.command()(user_errors(report_commands.check))
app.command()(user_errors(report_commands.baseline))
app.command()(user_errors(report_commands.paper))
# Registries and datasets.
app.command("list")(data_commands.list_)
app.command()(user_errors(data_commands.explain))
datasets_app = typer.Typer(help="Look at a dataset or export it as class-per-folder PNGs.")
app.add_typer(datasets_app, name="datasets")
datasets_app.command("show")(user_errors(data_commands.datasets_show))
datasets_app.command("export")(user_errors(data_commands.datasets_export))


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
        sys.exit(BAD_INPUT)
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        typer.echo("error: interrupted", err=True)
        code = INTERRUPTED
    if code == INTERRUPTED:  # also what click returns for a command's typer.Exit(130)
        exit_interrupted()
    sys.exit(code if isinstance(code, int) else 0)
