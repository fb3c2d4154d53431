"""The one error family a user sees: raised deep down, turned into one stderr line by the CLI."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class FeatcmpError(Exception):
    """A user error: bad config, bad data, bad arguments. The CLI prints it and exits 2."""

    exit_code = 2


class ConfigError(FeatcmpError):
    """The config file or a --set override is invalid."""


class DataError(FeatcmpError):
    """A dataset cannot be read or does not suit the requested run."""


class RunError(FeatcmpError):
    """A pipeline failed at run time in a way the user can act on (NaN loss, memory)."""


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Return ' (did you mean 'x'?)' for the closest choice, or '' when nothing is close."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def unknown_name(kind: str, name: str, choices: Iterable[str]) -> str:
    """A message for an unknown registry name, listing the valid ones."""
    choices = sorted(choices)
    return (
        f"unknown {kind} '{name}'{did_you_mean(name, choices)}; choose from: {', '.join(choices)}"
    )


def first_line(exc: BaseException, limit: int = 120) -> str:
    """An exception's first non-empty line, cut to `limit` (its type's name when it says
    nothing): why a foreign file was refused, inside a one-line message."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:limit]
