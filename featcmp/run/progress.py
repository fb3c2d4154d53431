"""A sweep's progress on stderr: runs done / total, elapsed, estimated time left, one line per run.

On a terminal a rich bar sits under the run lines; otherwise (logs, make -j) plain lines only.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from featcmp.records import Record


def clock(seconds: float) -> str:
    seconds = round(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def run_line(record: Record) -> str:
    """One finished run: status, config/row, seed, accuracy or error."""
    where = f"{record.config_name}/{record.pipeline} seed {record.seed}"
    if record.train_size is not None:
        n = record.dataset.n_train
        where += f" n={record.train_size if n is None else n}"
    if record.status == "ok":
        return (
            f"ok      {where}  accuracy {record.accuracy:.3f}  "
            f"fit {record.fit_seconds:.1f}s  {record.solver or ''}"
        )
    return f"FAILED  {where}: {record.error}"


class SweepProgress:
    """Call `update(record)` per finished run; use as a context manager around the sweep."""

    def __init__(self, total: int, label: str = "sweep", rich: bool | None = None):
        self.total, self.done, self.label = total, 0, label
        self.start = time.monotonic()
        self.rich = sys.stderr.isatty() if rich is None else rich
        self._progress = self._task = None

    def __enter__(self) -> SweepProgress:
        if self.rich and self.total:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task(self.label, total=self.total)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def eta(self) -> float | None:
        if not self.done:
            return None
        elapsed = time.monotonic() - self.start
        return elapsed / self.done * (self.total - self.done)

    def update(self, record: Record) -> None:
        self.done += 1
        elapsed = time.monotonic() - self.start
        eta = self.eta()
        left = f"~{clock(eta)} left" if eta is not None and self.done < self.total else "done"
        line = f"[{self.done}/{self.total} {clock(elapsed)}, {left}] {run_line(record)}"
        if self._progress is not None:
            self._progress.console.print(line, markup=False, highlight=False)
            self._progress.update(self._task, advance=1)
        else:
            print(line, file=sys.stderr, flush=True)
