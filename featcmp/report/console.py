"""Tables on the terminal, fitted to its width: whole cells always, fewer columns when narrow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from featcmp.report.table import HEADERS, Row, row_cells


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


@dataclass(frozen=True)
class Layout:
    """How one column gives way on a narrow terminal.

    `short`: its header when full headers do not fit. `drop`: the order in which columns are
    left out, highest first; 0 is never left out. `hoist`: when every row holds the same value,
    the column becomes one line under the table instead.
    """

    short: str
    drop: int
    left: bool = False
    hoist: bool = False


ACCURACY_LAYOUT = {
    "dataset": Layout("dataset", 2, left=True, hoist=True),
    "pipeline": Layout("pipeline", 0, left=True),
    "family": Layout("family", 5, left=True, hoist=True),
    "n_train": Layout("n", 1, hoist=True),
    "runs": Layout("runs", 4),
    "accuracy": Layout("accuracy", 0),
    "95% interval": Layout("95% CI", 3),
    "macro-F1": Layout("F1", 4),
    "feature dim": Layout("dim", 7),
    "learned params": Layout("params", 8),
    "fit s": Layout("fit s", 6),
    "predict s": Layout("pred s", 9),
}
UNKNOWN_DROP = 5  # a column added later: left out after the cost columns, before F1


def fitted_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    layout: dict[str, Layout],
    width: int,
    title: str = "",
) -> Table:
    """The widest set of whole columns that fits `width`; a caption names what moved or went.

    Steps, each only while the table is too wide: short headers; constant `hoist` columns
    moved under the table; then columns left out in their `drop` order.
    """
    spec = {h: layout.get(h) or Layout(h, UNKNOWN_DROP) for h in headers}
    index = {h: i for i, h in enumerate(headers)}
    notes: list[str] = []
    shown = list(headers)
    dropped: list[str] = []

    def build(short: bool, caption: bool) -> Table:
        table = Table(title=title or None, title_justify="left", caption_justify="left")
        for h in shown:
            table.add_column(
                spec[h].short if short else h,
                justify="left" if spec[h].left else "right",
                no_wrap=True,
                overflow="fold",  # only when even the essential columns cannot fit
            )
        for r in rows:
            table.add_row(*(r[index[h]] for h in shown))
        lines = list(notes)
        if dropped:
            lines.append(f"left out to fit {width} columns: {', '.join(dropped)}")
        if caption and lines:
            table.caption = "; ".join(lines)
        return table

    console = Console(width=10_000)  # measures the natural width; prints nothing

    def fits(short: bool) -> bool:
        return console.measure(build(short, caption=False)).maximum <= width

    short = not fits(short=False)
    if not fits(short):
        for h in headers:
            values = {r[index[h]] for r in rows}
            if spec[h].hoist and len(values) == 1:
                shown.remove(h)
                notes.append(f"{h} {values.pop()} in every row")
    while not fits(short):
        victims = [h for h in shown if spec[h].drop > 0]
        if not victims:
            break
        victim = max(victims, key=lambda h: spec[h].drop)
        shown.remove(victim)
        dropped.append(victim)
    if short and fits(short=False):  # leaving columns out may have made room for full headers
        short = False
    return build(short, caption=True)


def print_rows(rows: list[Row], title: str = "", console: Console | None = None) -> None:
    console = console or terminal_console()
    cells = [row_cells(r) for r in rows]
    console.print(fitted_table(HEADERS, cells, ACCURACY_LAYOUT, console.width, title))
