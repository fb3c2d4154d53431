"""The one loader of a runs folder: read, one record per job, label settings, table rows.

`featcmp report`, `check` and `baseline` all start here, so they count the same runs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

from featcmp.records import Record, Unreadable, read_records
from featcmp.report.names import named_for_people
from featcmp.report.settings import label_settings
from featcmp.report.table import Row, build_rows


def unique_runs(records: list[Record]) -> list[Record]:
    """One record per job id: the same job saved under two config names is one run, not two."""
    seen: dict[str, Record] = {}
    for r in records:
        seen.setdefault(r.id, r)
    return list(seen.values())


@dataclass
class Runs:
    """The runs under `directory`: each job once, relabelled by setting (`label_settings`), and
    the record files that could not be read."""

    directory: Path
    records: list[Record]
    unreadable: list[Unreadable]

    @cached_property
    def rows(self) -> list[Row]:
        return build_rows(self.records)

    def for_people(self) -> Runs:
        """The same runs with each dataset under the name a reader knows (`names.py`): for the
        report's pages and tables; baselines and checks match by the records' own names."""
        return replace(self, records=named_for_people(self.records))


def load_runs(directory: str | Path) -> Runs:
    records, unreadable = read_records(directory)
    return Runs(Path(directory), prepared_runs(records), unreadable)


def prepared_runs(records: list[Record]) -> list[Record]:
    """Records as the report reads them: duplicates once, settings labelled."""
    return label_settings(unique_runs(records))
