"""The lecture's ladder: every pipeline of a dataset as a rung, from nothing learned to everything.

Rungs climb by family (featcmp.families: hand-crafted, fixed random, learned without labels,
learned elsewhere, learned elsewhere then tuned, learned end to end), then, within a family, by
mean accuracy: raw pixels first, the deep cnn last. Each rung says what was learned, from the
family's declaration.
"""

from __future__ import annotations

import math

from featcmp import families
from featcmp.report.table import Row

HEADERS = ("rung", "pipeline", "family", "what is learned", "accuracy", "95% interval")
NOTE = (
    "One rung per pipeline at the dataset's largest training size, from nothing learned "
    "(designed features, only the SVM learns) to everything learned (a network trained end to "
    "end); within a family, by mean accuracy. Fixed random kernels are the control: the same "
    "network as the cnn with its kernels left at their seeded initialisation, so the gap to "
    "the cnn is what learning the kernels adds. Learned elsewhere: a network trained on other "
    "data, frozen under the SVM (transfer_svm) or fine-tuned on these images (init_from); "
    "what it brings is the data it saw, not these labels."
)


def ladder_rows(rows: list[Row], dataset: str) -> list[Row]:
    """The rows of `dataset` that ran, at its largest training size, in ladder order."""
    ran = [r for r in rows if r.dataset == dataset and r.runs]
    if not ran:
        return []
    largest = max(r.n_train for r in ran)
    top = [r for r in ran if r.n_train == largest]
    return sorted(top, key=lambda r: (families.rank(r.family), r.accuracy_mean, r.pipeline))


def ladder_datasets(rows: list[Row]) -> list[str]:
    """The datasets with a ladder to climb: rows of two families or more."""
    by_dataset: dict[str, set[str | None]] = {}
    for r in rows:
        if r.runs:
            by_dataset.setdefault(r.dataset, set()).add(families.canonical(r.family))
    return sorted(d for d, fams in by_dataset.items() if len(fams) > 1)


def rung_cells(rows: list[Row]) -> list[list[str]]:
    return [
        [
            str(i),
            r.pipeline,
            families.display(r.family),
            families.learned_text(r.family),
            r.accuracy_text(),
            "-" if r.accuracy_ci is None else r.accuracy_ci.text(),
        ]
        for i, r in enumerate(rows, 1)
    ]


def interval_bounds(r: Row) -> tuple[float, float]:
    """The accuracy's distance to its interval's ends (0, 0 without one), for error bars."""
    ci = r.accuracy_ci
    if ci is None or math.isnan(r.accuracy_mean):
        return 0.0, 0.0
    return max(0.0, r.accuracy_mean - ci.low), max(0.0, ci.high - r.accuracy_mean)
