"""The 95% interval of a report row's accuracy, by the method its runs allow.

- one run: Wilson on its correct count out of its test images;
- seeds that re-split the data: the corrected resampled t interval of Nadeau & Bengio (2003)
  over the per-seed accuracies (the splits overlap, so the plain t interval is too narrow),
  never narrower than the Wilson interval of one test set;
- seeds that share one test set (only training varies): Wilson on the mean correct count;
- records without split sizes: the plain t interval over seeds.
"""

from __future__ import annotations

import statistics

from featcmp.records import Record
from featcmp.report.stats import Interval, corrected_resampled_t, t_interval, wilson


def n_test_of(record: Record) -> int:
    return record.dataset.n_test or len(record.y_true or [])


def accuracy_interval(runs: list[Record]) -> Interval | None:
    """`runs`: the succeeded records of one row (one setting, one training size)."""
    if not runs:
        return None
    accs = [float(r.accuracy) for r in runs if r.accuracy is not None]  # all: they succeeded
    sizes = [n_test_of(r) for r in runs]
    if all(sizes):
        n_test = round(statistics.fmean(sizes))
        correct = round(statistics.fmean(a * n for a, n in zip(accs, sizes, strict=True)))
        one_set = wilson(min(correct, n_test), n_test)
    else:
        one_set = None
    if len(runs) == 1:
        return one_set
    tests = {r.dataset.test_fingerprint for r in runs}
    shared = len(tests) < len(runs) and None not in tests
    if shared and one_set is not None:
        return Interval(one_set.low, one_set.high, f"Wilson, {len(runs)} seeds on one test set")
    n_train = runs[0].n_train
    if one_set is None or n_train <= 0:
        t = t_interval(accs)
        return Interval(max(0.0, t.low), min(1.0, t.high), t.method)
    nb = corrected_resampled_t(accs, n_train, n_test).interval
    low, high = max(0.0, min(nb.low, one_set.low)), min(1.0, max(nb.high, one_set.high))
    return Interval(low, high, f"Nadeau-Bengio over {len(runs)} seeds")
