"""What the individual runs were: config keys that differ between them, versions, fingerprints."""

from __future__ import annotations

import json
from typing import Any

from featcmp.records import Record
from featcmp.report.names import source_text

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


def differing_keys(records: list[Record]) -> list[str]:
    """Resolved-config keys whose value is not the same in every run (absent counts as a value)."""
    flat = [flatten(r.config) for r in records]
    keys = sorted({k for f in flat for k in f})
    return [k for k in keys if len({cell(f.get(k, MISSING)) for f in flat}) > 1]


def run_table(records: list[Record]) -> tuple[list[str], list[list[str]]]:
    """One row per run: its outcome, then one column per config key that differs between runs.

    Pipeline, seed and training size are config keys too: they get a column when they vary.
    """
    keys = differing_keys(records)
    headers = ["record", "n_train", "status", "accuracy", *keys]
    rows = []
    for r in sorted(records, key=run_order):
        flat = flatten(r.config)
        n_train = r.dataset.n_train
        rows.append(
            [
                r.name,
                "" if n_train is None else str(n_train),
                r.status,
                "-" if r.accuracy is None else f"{r.accuracy:.4f}",
                *[cell(flat.get(k, MISSING)) for k in keys],
            ]
        )
    return headers, rows


def run_order(r: Record) -> tuple:
    return (r.dataset.name, r.n_train, r.pipeline, r.seed)


def version_table(records: list[Record]) -> list[tuple[str, str]]:
    """(package, version) with every distinct version seen across runs, joined by ' / '."""
    seen: dict[str, list[str]] = {}
    for r in records:
        for pkg, ver in r.versions.items():
            if ver not in seen.setdefault(pkg, []):
                seen[pkg].append(ver)
    return [(pkg, " / ".join(vers)) for pkg, vers in sorted(seen.items())]


def fingerprint_table(records: list[Record]) -> list[tuple[str, str, str, str, str, str]]:
    """Distinct (dataset, source, seed, n_train, split fingerprint, test-set fingerprint)."""
    rows = {
        (
            r.dataset.name,
            source_text(r),
            str(r.seed),
            "" if r.dataset.n_train is None else str(r.dataset.n_train),
            r.dataset.fingerprint or MISSING,
            r.dataset.test_fingerprint or MISSING,
        )
        for r in records
    }
    return sorted(rows, key=lambda t: (t[0], t[1], int(t[2]), int(t[3] or 0), t[4]))
