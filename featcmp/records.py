"""Run records: plain JSON, one per job, written atomically. The only thing run/ and report/
share; imports neither torch nor scikit-learn.

Format versions: 1 is the first; 2 adds `error_kind` to failed records ("run": the job failed
in a way the user can act on, "internal": a bug). Version 1 records read unchanged (a failed one
counts as a run-time failure).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
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


def read_record(path: Path) -> dict[str, Any] | None:
    """A record, or None when the file is not a featcmp record (other JSON is ignored)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or data.get("schema") not in READABLE_VERSIONS:
        return None
    if any(k not in data for k in REQUIRED_KEYS):
        return None
    if data["status"] == "failed":
        data.setdefault("error_kind", "run")  # version 1 recorded run-time failures only
    return data


def load_records(root: str | Path) -> list[dict[str, Any]]:
    """Every record under `root` (recursively)."""
    root = Path(root)
    if not root.exists():
        raise FeatcmpError(f"{root}: no such results folder")
    if not root.is_dir():
        raise FeatcmpError(f"{root}: is a file; expected a folder of run records")
    return [r for p in iter_record_files(root) if (r := read_record(p)) is not None]
