"""Calibration of the Bayesian correlated t-test the verdict decides with, and of `seeds: auto`.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bayes_calibration.py

Simulated per-seed accuracy differences (a Fashion-MNIST-like spread of 0.75 points per seed,
n_test/n_train = 1/4, re-splits correlated as Nadeau & Bengio model them; ROPE ±1 point,
decided at P >= 0.95): the share of 1,000 comparisons decided as one side ahead, with no true
difference (false decisions) and with a true difference of 3 points.

First at a fixed number of seeds (one look), then with the `seeds: auto` stopping rule exactly
as a run applies it (`featcmp.run.stopping.simulate`: 3 seeds, 2 more per round, at most 10,
the real `stop_after`), at the suite's spread and at two and four times it. The naive rule
(P >= 0.95 at every look) is shown beside the one a run uses (P >= 0.975 before max_seeds, and
"more seeds cannot decide it" only from 5 seeds on): looking after every round decides more
often by chance, and the stricter interim threshold keeps false decisions at or under 5% up to
a 3-point spread. At 5 points even one look exceeds 5%. Ends with ``name: value`` lines.
"""

from __future__ import annotations

import numpy as np

from featcmp.config.auto_seeds import AutoSeeds
from featcmp.report.bayes import decision_rate
from featcmp.run.stopping import simulate

REPS = 1000

for true_diff in (0.0, 0.03):
    for seeds in (3, 5, 10):
        rate = decision_rate(true_diff, seeds, REPS, np.random.default_rng(23))
        label = "false_decisions" if true_diff == 0 else "decided_3_points"
        print(f"{label}_{seeds}_seeds: {rate:.3f}")
# Where the spread dwarfs the ROPE, each side's "ahead" nears a one-sided 5% test: even one look
# decides falsely more than 5% of the time (up to 10% for the two sides together).
for seeds in (3, 10):
    rate = decision_rate(0.0, seeds, REPS, np.random.default_rng(23), sd=0.05)
    print(f"false_decisions_{seeds}_seeds_sd_5_points: {rate:.3f}")

RULES = {"auto": AutoSeeds(), "naive_auto": AutoSeeds(interim=0.95)}
for name, rule in RULES.items():
    for sd in (0.0075, 0.015, 0.03, 0.05):
        spread = f"sd_{100 * sd:g}_points".replace(".", "_")
        null = simulate(0.0, REPS, np.random.default_rng(23), rule, sd=sd)
        real = simulate(0.03, REPS, np.random.default_rng(23), rule, sd=sd)
        print(f"{name}_false_decisions_{spread}: {null.ahead:.3f}")
        print(f"{name}_decided_3_points_{spread}: {real.ahead:.3f}")
        print(f"{name}_mean_seeds_null_{spread}: {null.mean_seeds:.2f}")
        print(f"{name}_mean_seeds_3_points_{spread}: {real.mean_seeds:.2f}")
