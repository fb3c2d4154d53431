"""Dataset names as people say them: Fashion-MNIST, CIFAR-10, the photo folder's name.

A record's dataset name says where its images came from (`idx:fashion-mnist`,
`cifar10:cifar-10-binary.tar.gz`); baselines and `featcmp check` match rows by it, so records
keep it. The report shows the name a reader knows instead, and the source in a note.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import PurePosixPath

from featcmp.records import Record

# Well-known datasets by the last part of their path (lower case), as their authors write them.
KNOWN = {
    "mnist": "MNIST",
    "fashion-mnist": "Fashion-MNIST",
    "fashion_mnist": "Fashion-MNIST",
    "fashionmnist": "Fashion-MNIST",
    "kmnist": "KMNIST",
    "emnist": "EMNIST",
    "cifar10": "CIFAR-10",
    "cifar-10": "CIFAR-10",
    "svhn": "SVHN",
}
BY_SOURCE = {"cifar10": "CIFAR-10"}  # sources that read one dataset whatever the file is called


def display_name(name: str) -> str:
    """`idx:fashion-mnist` -> Fashion-MNIST, `folder:photos` -> photos, `digits` -> digits."""
    source, _, where = name.partition(":")
    if source in BY_SOURCE:
        return BY_SOURCE[source]
    if not where:
        return KNOWN.get(name.lower(), name)
    stem = PurePosixPath(where).name
    for suffix in (".npz", ".tar.gz", ".tgz", ".zip"):
        stem = stem.removesuffix(suffix)
    return KNOWN.get(stem.lower(), stem or name)


def display_names(names: set[str]) -> dict[str, str]:
    """Each name's display name; names that would read the same keep their own, so two datasets
    never pool under one label."""
    shown = {n: display_name(n) for n in names}
    counts: dict[str, int] = {}
    for label in shown.values():
        counts[label] = counts.get(label, 0) + 1
    return {n: label if counts[label] == 1 else n for n, label in shown.items()}


def named_for_people(records: list[Record]) -> list[Record]:
    """The records with their dataset under its display name (for the report's pages only)."""
    names = display_names({r.dataset.name for r in records})
    return [replace(r, dataset=replace(r.dataset, name=names[r.dataset.name])) for r in records]


def source_text(record: Record) -> str:
    """Where the images came from, from the run's config: `idx, /data/fashion-mnist`."""
    source = record.config_value("dataset.source")
    path = record.config_value("dataset.path")
    return ", ".join(str(p) for p in (source, path) if p) or "-"
