"""Run records: plain JSON, one per job, written atomically. The only thing run/ and report/
share; imports neither torch nor scikit-learn.

Format versions: 1 is the first; 2 adds `error_kind` to failed records ("run": the job failed
in a way the user can act on, "internal": a bug). Version 1 records read unchanged (a failed one
counts as a run-time failure).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from featcmp.errors import FeatcmpError
from featcmp.files import atomic_write_text

SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)
# Keys at a record's top level that scripts rely on.
REQUIRED_KEYS = ("schema", "id", "pipeline", "status", "accuracy", "dataset", "config", "seed")


def write_record(path: Path, record: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(record, indent=1, sort_keys=True) + "\n")


def iter_record_files(root: Path) -> Iterator[Path]:
    """Record files under `root`, skipping temporary files of interrupted writes."""
    for path in sorted(root.rglob("*.json")):
        if not path.name.startswith("."):
            yield path


@dataclass(frozen=True)
class Unreadable:
    """A record file that cannot be used, and why: named wherever records are read, so a lost
    run does not go unnoticed (the report leaves it out, `check` counts its row as missing,
    a resumed run re-runs its job)."""

    path: Path
    reason: str

    def line(self, consequence: str = "left out of the report") -> str:
        return f"{self.path}: unreadable record ({self.reason}); {consequence}"


def read_one(path: Path) -> dict[str, Any] | Unreadable | None:
    """The one record reader: a record; `Unreadable` for a broken record (truncated JSON, a
    foreign format version, missing keys); None for a file that is not a featcmp record (other
    JSON without a `schema` key, or no file at all)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except OSError as exc:
        return Unreadable(path, exc.strerror or type(exc).__name__)
    except UnicodeDecodeError:
        return Unreadable(path, "not UTF-8 text")
    except json.JSONDecodeError as exc:
        return Unreadable(path, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")
    if not isinstance(data, dict) or "schema" not in data:
        return None  # some other JSON file in the folder, not a run record
    if data["schema"] not in READABLE_VERSIONS:
        versions = ", ".join(map(str, READABLE_VERSIONS))
        return Unreadable(path, f"schema {data['schema']!r}, this featcmp reads {versions}")
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        return Unreadable(path, "missing " + ", ".join(missing))
    if data["status"] == "failed":
        data.setdefault("error_kind", "run")  # version 1 recorded run-time failures only
    return data


def read_record(path: Path) -> dict[str, Any] | None:
    """A usable record, or None (not a record, or unreadable: `read_one` tells them apart)."""
    got = read_one(path)
    return None if isinstance(got, Unreadable) else got


def read_records(root: str | Path) -> tuple[list[dict[str, Any]], list[Unreadable]]:
    """Every record under `root` (recursively), and the record files that could not be read."""
    root = Path(root)
    if not root.exists():
        raise FeatcmpError(f"{root}: no such results folder")
    if not root.is_dir():
        raise FeatcmpError(f"{root}: is a file; expected a folder of run records")
    records: list[dict[str, Any]] = []
    unreadable: list[Unreadable] = []
    for path in iter_record_files(root):
        got = read_one(path)
        if isinstance(got, Unreadable):
            unreadable.append(got)
        elif got is not None:
            records.append(got)
    return records, unreadable


def load_records(root: str | Path) -> list[dict[str, Any]]:
    """Every readable record under `root` (recursively); `read_records` also names the rest."""
    return read_records(root)[0]
