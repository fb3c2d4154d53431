"""The stopping rule of `seeds: auto`: after each round, stop or add seeds.

A pure function of the verdicts' Bayesian outcomes (one per dataset and training size of the
config), the seeds run so far and the run time spent, so the run and the calibration
(`simulate`, `benchmarks/bayes_calibration.py`) use the very same rule. It stops when every
verdict is decided; when those left undecided cannot be decided by more seeds (the
n_test/n_train floor, or seeds sharing one test set); at `max_seeds`; or when the next round
would pass the budget.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from featcmp.config.auto_seeds import AutoSeeds
from featcmp.records import Stopping
from featcmp.report.bayes import RESPLIT, Decide, Outcomes, resplit_outcomes, simulated_diffs


def can_be_decided(o: Outcomes) -> bool:
    """More re-split seeds may decide this undecided verdict: they re-split the data, and
    either some number of them would likely decide it at the current mean and spread, or the
    floor that the n_test/n_train term puts under the posterior's width is narrower than the
    ROPE (then the mean, still moving with each seed, may yet settle on either side of it)."""
    if o.question != RESPLIT:
        return False  # one test set: more seeds re-train on it, they do not re-split
    if o.decided() is not None or o.more_seeds is not None:  # decided, not yet at `interim`
        return True
    return o.floor is not None and o.floor < 100 * o.decide.rope


def decided(o: Outcomes, auto: AutoSeeds, last: bool) -> bool:
    """Decided at this look: the report's threshold at the last look, the stricter interim
    one before it (looking after every round would otherwise decide more often by chance)."""
    threshold = o.decide.threshold if last else max(o.decide.threshold, auto.interim)
    return max(o.probs()) >= threshold


def stop_after(
    outcomes: list[Outcomes],
    seeds: int,
    auto: AutoSeeds,
    spent_s: float = 0.0,
    round_s: float | None = None,
) -> Stopping | None:
    """Where the rule stops after a round of `seeds` seeds, or None to add `auto.step` more.

    `spent_s`: run time the config's runs took so far; `round_s`: what the next round would
    take (the budget stops a round that would pass it, not only one that has)."""
    threshold = outcomes[0].decide.threshold if outcomes else Decide().threshold

    def stop(reason: str, text: str) -> Stopping:
        return Stopping(auto.rule_text(threshold), reason, seeds, text)

    if not outcomes:
        return stop("no_verdict", "stopped: no hand-crafted vs learned verdict to decide")
    last = seeds >= auto.max_seeds
    open_ = [o for o in outcomes if not decided(o, auto, last)]
    if not open_:
        return stop("decided", f"decided after {seeds} seeds")
    # Whether more seeds can decide it is judged from the spread of the seeds so far: from
    # `auto.settle` seeds on, not from the first round's two degrees of freedom.
    settled = seeds >= auto.settle or not any(o.question == RESPLIT for o in open_)
    if settled and not any(can_be_decided(o) for o in open_):
        return stop("cannot_decide", f"stopped after {seeds} seeds: more seeds cannot decide it")
    if last:
        return stop("max_seeds", f"stopped at max_seeds ({auto.max_seeds}), undecided")
    budget = auto.budget_s
    if budget is not None and (spent_s >= budget or spent_s + (round_s or 0.0) > budget):
        return stop("budget", f"stopped after {seeds} seeds: budget spent ({auto.budget})")
    return None


@dataclass(frozen=True)
class Simulated:
    """The rule over simulated comparisons: shares of repetitions by outcome, mean seeds."""

    ahead: float  # decided as one side ahead (under no true difference: false decisions)
    equivalent: float
    undecided: float
    mean_seeds: float
    reasons: dict[str, float]


def simulate(
    true_diff: float,
    reps: int,
    rng: np.random.Generator,
    auto: AutoSeeds | None = None,
    sd: float = 0.0075,
    n_train: int = 4000,
    n_test: int = 1000,
    decide: Decide | None = None,
) -> Simulated:
    """The stopping rule exactly as a run applies it, on `reps` simulated comparisons of one
    dataset: per-seed differences drawn as `bayes.simulated_diffs` draws them, the verdict's
    outcomes after each round (`auto.counts()`), `stop_after` to stop or go on."""
    auto = auto or AutoSeeds()
    decide = decide or Decide()
    counts = auto.counts()
    ahead = equivalent = 0
    seeds_used = 0
    reasons: Counter[str] = Counter()
    for _ in range(reps):
        diffs = simulated_diffs(true_diff, counts[-1], rng, sd, n_test / (n_test + n_train))
        for n in counts:
            o = resplit_outcomes("a", "b", diffs[:n], n_train, n_test, decide)
            stop = stop_after([o], n, auto)
            if stop is not None:
                break
        assert stop is not None  # the last count is max_seeds: the rule always stops there
        reasons[stop.reason] += 1
        seeds_used += stop.seeds
        outcome = o.decided()
        ahead += outcome in ("a", "b")
        equivalent += outcome == "equivalent"
    return Simulated(
        ahead / reps,
        equivalent / reps,
        1 - (ahead + equivalent) / reps,
        seeds_used / reps,
        {k: v / reps for k, v in sorted(reasons.items())},
    )


def round_seconds(per_seed_s: float | None, seeds: int, auto: AutoSeeds) -> float | None:
    """What the next round would take: its new seeds times the seconds one seed took."""
    if per_seed_s is None or math.isnan(per_seed_s):
        return None
    return (auto.next_count(seeds) - seeds) * per_seed_s
