"""Accuracy per class (recall: correct / test images of that class), from the records' confusion
matrices summed over seeds, at each dataset's largest training size (as the confusion plots)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from featcmp.records import Record


@dataclass
class PerClassTable:
    dataset: str
    n_train: int
    class_names: list[str]
    rows: list[tuple[str, int, list[float | None]]]  # pipeline, runs, recall per class

    def headers(self) -> list[str]:
        return ["pipeline", "runs", "mean", *self.class_names]

    def cells(self) -> list[list[str]]:
        def num(x: float | None) -> str:
            return "-" if x is None else f"{x:.3f}"

        out = []
        for pipeline, runs, recalls in self.rows:
            known = [x for x in recalls if x is not None]
            mean = sum(known) / len(known) if known else None
            out.append([pipeline, str(runs), num(mean), *map(num, recalls)])
        return out


def class_names(records: list[Record]) -> list[str] | None:
    """The class names the records give, else numbers for their confusion matrices' classes."""
    named = next((r.dataset.class_names for r in records if r.dataset.class_names), None)
    if named is not None:
        return named
    cm = next((r.confusion_matrix for r in records if r.confusion_matrix), None)
    return None if cm is None else [str(i) for i in range(len(cm))]


def per_class_tables(records: list[Record]) -> list[PerClassTable]:
    """One table per dataset; a class without test images has no accuracy ("-")."""
    with_cm = [r for r in records if r.succeeded and r.confusion_matrix]
    tables = []
    for dataset in sorted({r.dataset.name for r in with_cm}):
        mine = [r for r in with_cm if r.dataset.name == dataset]
        largest = max(r.n_train for r in mine)
        at_top = [r for r in mine if r.n_train == largest]
        names = class_names(at_top) or []
        by_pipeline: dict[str, list[np.ndarray]] = {}
        for r in at_top:
            cm = np.asarray(r.confusion_matrix)
            if cm.shape == (len(names), len(names)):
                by_pipeline.setdefault(r.pipeline, []).append(cm)
        rows = []
        for pipeline, cms in sorted(by_pipeline.items()):
            total = np.sum(cms, axis=0)
            support = total.sum(axis=1)
            recalls = [
                float(total[i, i] / support[i]) if support[i] else None for i in range(len(names))
            ]
            rows.append((pipeline, len(cms), recalls))
        if rows:
            tables.append(PerClassTable(dataset, largest, list(names), rows))
    return tables
