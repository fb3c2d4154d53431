"""How an error that reaches a command becomes one stderr line and an exit status.

Exit statuses, the same for every command: 0 ok, 1 a job failed at run time (or `check` found
a regression), 2 bad input (nothing fitted, nothing written), 3 a bug in featcmp, 130
interrupted (finished jobs are kept).
"""

from __future__ import annotations

import functools
import os
import sys

import typer

try:  # recent typer releases vendor click; older ones use the click package
    from typer._click import exceptions as click_exc
except ImportError:  # pragma: no cover - depends on the installed typer
    from click import exceptions as click_exc

from featcmp.errors import FeatcmpError

JOB_FAILED = 1
BAD_INPUT = 2
INTERNAL_ERROR = 3
INTERRUPTED = 130  # Ctrl-C or SIGTERM
STATE = {"debug": False}


def fail(message: str, code: int = BAD_INPUT) -> typer.Exit:
    one_line = " ".join(part.strip() for part in str(message).splitlines() if part.strip())
    typer.echo(f"error: {one_line}", err=True)
    return typer.Exit(code)


def error_line(exc: Exception) -> tuple[str, int]:
    """The one stderr line and the exit status for an error that reached a command."""
    if isinstance(exc, FeatcmpError):
        return str(exc), exc.exit_code
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}", BAD_INPUT
    if isinstance(exc, MemoryError):
        return "ran out of memory; use fewer or smaller images (dataset.max_train)", BAD_INPUT
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


def exit_interrupted() -> None:
    """Exit 130 once an interrupt has unwound (records whole, temporary files gone).

    Not sys.exit: after featcmp had caught the interrupt and printed its line, CPython now and
    then still ended the process by SIGINT (status -2; its "unhandled KeyboardInterrupt" exit),
    seen in full test runs. Scripts and `make -j` rely on 130.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(INTERRUPTED)
