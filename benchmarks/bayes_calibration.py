"""Calibration of the Bayesian correlated t-test the verdict decides with.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bayes_calibration.py

Simulated per-seed accuracy differences (a Fashion-MNIST-like spread of 0.75 points per seed,
n_test/n_train = 1/4, re-splits correlated as Nadeau & Bengio model them; ROPE ±1 point,
decided at P >= 0.95): the share of 1,000 comparisons decided as one side ahead, with no true
difference (false decisions) and with a true difference of 3 points. Ends with ``name: value``
lines.
"""

from __future__ import annotations

import numpy as np

from featcmp.report.bayes import decision_rate

REPS = 1000

for true_diff in (0.0, 0.03):
    for seeds in (3, 5, 10):
        rate = decision_rate(true_diff, seeds, REPS, np.random.default_rng(23))
        label = "false_decisions" if true_diff == 0 else "decided_3_points"
        print(f"{label}_{seeds}_seeds: {rate:.3f}")
