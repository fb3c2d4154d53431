"""What the individual runs were: config keys that differ between them, versions, fingerprints."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from featcmp.errors import FeatcmpError
from featcmp.records import READABLE_VERSIONS, REQUIRED_KEYS, iter_record_files

MISSING = "-"


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings -> {'dataset.source': 'digits', ...}; lists stay whole values."""
    if not isinstance(value, dict):
        return {prefix: value}
    out: dict[str, Any] = {}
    for key, v in value.items():
        out.update(flatten(v, f"{prefix}.{key}" if prefix else str(key)))
    return out


def cell(value: Any) -> str:
    if value is None:
        return "null"
    return value if isinstance(value, str) else json.dumps(value)


def differing_keys(records: list[dict[str, Any]]) -> list[str]:
    """Resolved-config keys whose value is not the same in every run (absent counts as a value)."""
    flat = [flatten(r.get("config", {})) for r in records]
    keys = sorted({k for f in flat for k in f})
    return [k for k in keys if len({cell(f.get(k, MISSING)) for f in flat}) > 1]


def run_table(records: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """One row per run: its outcome, then one column per config key that differs between runs.

    Pipeline, seed and training size are config keys too: they get a column when they vary.
    """
    keys = differing_keys(records)
    headers = ["record", "n_train", "status", "accuracy", *keys]
    rows = []
    for r in sorted(records, key=run_order):
        flat = flatten(r.get("config", {}))
        acc = r.get("accuracy")
        rows.append(
            [
                f"{r.get('config_name', '')}/{r['pipeline']}-{r['id']}",
                str(r["dataset"].get("n_train", "")),
                r.get("status", ""),
                f"{acc:.4f}" if isinstance(acc, int | float) else "-",
                *[cell(flat.get(k, MISSING)) for k in keys],
            ]
        )
    return headers, rows


def run_order(r: dict[str, Any]) -> tuple:
    return (r["dataset"]["name"], r["dataset"].get("n_train", 0), r["pipeline"], r["seed"])


def version_table(records: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(package, version) with every distinct version seen across runs, joined by ' / '."""
    seen: dict[str, list[str]] = {}
    for r in records:
        for pkg, ver in (r.get("versions") or {}).items():
            if ver not in seen.setdefault(pkg, []):
                seen[pkg].append(ver)
    return [(pkg, " / ".join(vers)) for pkg, vers in sorted(seen.items())]


def fingerprint_table(records: list[dict[str, Any]]) -> list[tuple[str, str, str, str, str]]:
    """Distinct (dataset, seed, n_train, split fingerprint, test-set fingerprint)."""
    rows = {
        (
            r["dataset"]["name"],
            str(r["seed"]),
            str(r["dataset"].get("n_train", "")),
            r["dataset"].get("fingerprint", MISSING),
            r["dataset"].get("test_fingerprint", MISSING),
        )
        for r in records
    }
    return sorted(rows, key=lambda t: (t[0], int(t[1]), int(t[2] or 0), t[3]))


@dataclass(frozen=True)
class Unreadable:
    """A record file the report could not use, and why, so a lost run does not go unnoticed."""

    path: Path
    reason: str

    def line(self) -> str:
        return f"{self.path}: unreadable record ({self.reason}); left out of the report"


def read_one(path: Path) -> dict[str, Any] | Unreadable | None:
    """A record; Unreadable for a broken or foreign-version record; None for other JSON files."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
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
    return data


def read_records(root: str | Path) -> tuple[list[dict[str, Any]], list[Unreadable]]:
    """Every record under `root` (recursively), and the record files that could not be read."""
    root = Path(root)
    if not root.exists():
        raise FeatcmpError(f"{root}: no such results folder")
    if not root.is_dir():
        raise FeatcmpError(f"{root}: is a file; expected a folder of run records")
    records, unreadable = [], []
    for path in iter_record_files(root):
        got = read_one(path)
        if isinstance(got, Unreadable):
            unreadable.append(got)
        elif got is not None:
            records.append(got)
    return records, unreadable
