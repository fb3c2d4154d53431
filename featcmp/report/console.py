"""The accuracy table on the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from featcmp.report.table import HEADERS, Row, row_cells


def print_rows(rows: list[Row], title: str = "", console: Console | None = None) -> None:
    table = Table(title=title or None, title_justify="left")
    for h in HEADERS:
        table.add_column(h, justify="left" if h in ("dataset", "pipeline", "family") else "right")
    for r in rows:
        table.add_row(*row_cells(r))
    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=160)  # pipes and CI logs: never truncate a column
    console.print(table)
