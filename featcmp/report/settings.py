"""One report row per resolved setting: runs that differ in anything but the seed are never pooled.

A setting is a run's resolved config without its seed and config name (renaming a config does
not change what it computes). When one pipeline row ran with several settings on the same data
and training size, every run of that pipeline is relabelled with the keys that differ, e.g.
`hog_svm [C=10]` and `hog_svm [C=0.01]`; the same keys label it on every dataset, so rows stay
comparable across datasets.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from featcmp.families import canonical
from featcmp.records import Record
from featcmp.report.runs import MISSING, cell, flatten

# Not part of a setting: the seed is what repeats average over; the names only name things;
# `report:` says how the report decides, not what a run computed.
IGNORED = frozenset({"name", "seed", "seeds", "pipeline.label", "report.rope", "report.decide"})


def setting(record: Record) -> dict[str, Any]:
    """The flattened resolved config that decides a run's result, except its seed."""
    flat = flatten(record.config)
    return {k: v for k, v in flat.items() if k not in IGNORED}


def setting_key(record: Record) -> str:
    return json.dumps({k: cell(v) for k, v in setting(record).items()}, sort_keys=True)


def place(record: Record) -> tuple[str, int, str]:
    """Where runs are compared: dataset, training size, pipeline row."""
    return (record.dataset.name, record.n_train, record.pipeline)


def short_names(keys: list[str]) -> dict[str, str]:
    """The last path component (C), or more of the path when two keys share it (svm.C)."""
    out = {}
    for key in keys:
        parts = key.split(".")
        for n in range(1, len(parts) + 1):
            tail = ".".join(parts[-n:])
            if sum(k == tail or k.endswith("." + tail) for k in keys) == 1:
                break
        out[key] = tail
    return out


def label_settings(records: list[Record]) -> list[Record]:
    """The records, those of a pipeline run with several settings relabelled (copies); records
    of a pipeline with one setting per place are returned as they are."""
    by_place: dict[tuple[str, int, str], dict[str, dict[str, Any]]] = {}
    for r in records:
        by_place.setdefault(place(r), {}).setdefault(setting_key(r), setting(r))
    varying: dict[str, set[str]] = {}  # pipeline row -> keys that differ at some place
    for (_, _, pipeline), settings in by_place.items():
        if len(settings) < 2:
            continue
        flats = list(settings.values())
        keys = {k for f in flats for k in f}
        varying.setdefault(pipeline, set()).update(
            k for k in keys if len({cell(f.get(k, MISSING)) for f in flats}) > 1
        )
    if not varying:
        return records
    names = {p: short_names(sorted(keys)) for p, keys in varying.items()}
    out = []
    for r in records:
        keys = names.get(r.pipeline)
        if not keys:
            out.append(r)
            continue
        flat = setting(r)
        parts = ", ".join(f"{short}={cell(flat.get(k, MISSING))}" for k, short in keys.items())
        out.append(replace(r, pipeline=f"{r.pipeline} [{parts}]"))
    return out


def registry_name(record: Record) -> str:
    """The pipeline's registry name (hog_svm), whatever its row label (a grid's hog_svm.C-10)."""
    return str(record.registry_name or record.config_value("pipeline.name") or record.pipeline)


def kind(record: Record) -> str:
    """What a row is, apart from its settings: the registry pipeline in its family. A cnn
    fine-tuned from another dataset's network (`init_from`) and a cnn trained from scratch are
    two things on the ladder, not two settings to choose between."""
    return f"{registry_name(record)} ({canonical(record.family)})"


def compared_on_test_set(records: list[Record]) -> set[tuple[str, int, str]]:
    """(dataset, n_train, kind) where several settings of one pipeline (in one family) were
    scored on one test set.

    Choosing among them by their test scores (a `grid:` over hyperparameters does exactly that)
    is selection on the test set: those rows are exploratory, their best score is optimistic.
    A record that says it chose its setting on validation data (`selection`) does not count.
    """
    seen: dict[tuple[str, int, str, str], set[str]] = {}
    for r in records:
        if r.selection:
            continue
        dataset, n_train, _ = place(r)
        row = kind(r)
        test = r.dataset.test_fingerprint or ""
        seen.setdefault((dataset, n_train, row, test), set()).add(setting_key(r))
    return {(d, n, p) for (d, n, p, _), keys in seen.items() if len(keys) > 1}


def is_exploratory(record: Record, flagged: set[tuple[str, int, str]]) -> bool:
    dataset, n_train, _ = place(record)
    return (dataset, n_train, kind(record)) in flagged
