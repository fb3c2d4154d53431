"""Progress bars on stderr (feature extraction, CNN epochs), off unless the CLI turns them on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

_enabled = False


def enable(on: bool = True) -> None:
    global _enabled
    _enabled = on


@contextmanager
def bar(description: str, total: int) -> Iterator:
    """Yield `advance(n)`; draws a transient rich bar when enabled, else does nothing."""
    if not _enabled:
        yield lambda n=1, **_: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(description, total=total, note="")

        def advance(n: int = 1, note: str = "") -> None:
            progress.update(task, advance=n, note=note)

        yield advance


def chunks(n: int, size: int, description: str) -> Iterator[slice]:
    """Slices of `range(n)` in chunks of `size`, with a progress bar over items."""
    with bar(description, n) as advance:
        for start in range(0, n, size):
            stop = min(start + size, n)
            yield slice(start, stop)
            advance(stop - start)
