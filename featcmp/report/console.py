"""The accuracy table on the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from featcmp.report.table import HEADERS, Row, row_cells


def terminal_console() -> Console:
    """The terminal; full width in pipes and CI logs, so no column is ever truncated."""
    console = Console()
    return console if console.is_terminal else Console(width=160)


def rich_table(headers: tuple[str, ...], left: tuple[str, ...], title: str = "") -> Table:
    """A table with `headers`: the `left` ones left-aligned (names), the others right (numbers)."""
    table = Table(title=title or None, title_justify="left")
    for h in headers:
        table.add_column(h, justify="left" if h in left else "right")
    return table


def print_rows(rows: list[Row], title: str = "", console: Console | None = None) -> None:
    table = rich_table(HEADERS, ("dataset", "pipeline", "family"), title)
    for r in rows:
        table.add_row(*row_cells(r))
    (console or terminal_console()).print(table)
