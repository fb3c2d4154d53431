"""Tables on the terminal, fitted to its width: whole cells always, fewer columns when narrow."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from featcmp.report.table import COLUMNS, Column, Row, row_cells


def terminal_console() -> Console:
    """The terminal; full width in pipes and CI logs, so no column is ever left out."""
    console = Console()
    return console if console.is_terminal else Console(width=160)


def rich_table(headers: tuple[str, ...], left: tuple[str, ...], title: str = "") -> Table:
    """A table with `headers`: the `left` ones left-aligned (names), the others right (numbers).

    A cell too wide for a narrow terminal folds onto a second line; it is never cut to "…".
    """
    table = Table(title=title or None, title_justify="left")
    for h in headers:
        table.add_column(h, justify="left" if h in left else "right", overflow="fold")
    return table


class Fitting:
    """Fits the table into `width`: the widest set of whole columns, and what moved or went.

    Steps, each only while the table is too wide: short headers; constant `hoist` columns
    moved under the table; then columns left out in their `drop` order.
    """

    def __init__(
        self, columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int, title: str
    ) -> None:
        self.columns, self.rows, self.width, self.title = columns, rows, width, title
        self.shown = list(range(len(columns)))
        self.notes: list[str] = []  # the hoisted columns' values
        self.dropped: list[str] = []
        self.measure = Console(width=10_000)  # measures the natural width; prints nothing

    def table(self, short: bool, caption: bool) -> Table:
        table = Table(title=self.title or None, title_justify="left", caption_justify="left")
        for i in self.shown:
            c = self.columns[i]
            table.add_column(
                c.short if short else c.header,
                justify="left" if c.left else "right",
                no_wrap=True,
                overflow="fold",  # only when even the essential columns cannot fit
            )
        for r in self.rows:
            table.add_row(*(r[i] for i in self.shown))
        lines = list(self.notes)
        if self.dropped:
            lines.append(f"left out to fit {self.width} columns: {', '.join(self.dropped)}")
        if caption and lines:
            table.caption = "; ".join(lines)
        return table

    def fits(self, short: bool) -> bool:
        return self.measure.measure(self.table(short, caption=False)).maximum <= self.width

    def hoist(self) -> None:
        for i, c in enumerate(self.columns):
            values = {r[i] for r in self.rows}
            if c.hoist and len(values) == 1:
                self.shown.remove(i)
                self.notes.append(f"{c.header} {values.pop()} in every row")

    def drop_one(self) -> bool:
        victims = [i for i in self.shown if self.columns[i].drop > 0]
        if not victims:
            return False
        victim = max(victims, key=lambda i: self.columns[i].drop)
        self.shown.remove(victim)
        self.dropped.append(self.columns[victim].header)
        return True

    def fitted(self) -> Table:
        short = not self.fits(short=False)
        if not self.fits(short):
            self.hoist()
        while not self.fits(short) and self.drop_one():
            pass
        # Leaving columns out may have made room for the full headers.
        return self.table(short and not self.fits(short=False), caption=True)


def fitted_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    width: int,
    title: str = "",
) -> Table:
    """`rows` (one cell per column) as the widest set of whole columns that fits `width`; a
    caption names what moved under the table or was left out."""
    return Fitting(columns, rows, width, title).fitted()


def print_rows(rows: list[Row], title: str = "", console: Console | None = None) -> None:
    console = console or terminal_console()
    cells = [row_cells(r) for r in rows]
    console.print(fitted_table(COLUMNS, cells, console.width, title))
