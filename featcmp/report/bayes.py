"""Bayesian comparisons with a region of practical equivalence (ROPE): three outcomes, not two.

Each comparison gives P(A leads by more than the ROPE), P(the two are within it) and P(B leads),
for one of two questions:

- over seeds that re-split the data, the Bayesian correlated t-test (Corani & Benavoli 2015):
  a Student t posterior of the mean accuracy difference, its variance corrected for the overlap
  of the training sets with Nadeau & Bengio's (2003) correlation rho = n_test / (n_test +
  n_train). It answers "for a new training set of this size from this data";
- on one split, a Dirichlet posterior over the paired agreement table (both right, only A right,
  only B right, both wrong) of the two pipelines' test predictions. It answers "these trained
  models, on this test set".

Across datasets, the Bayesian signed-rank test (Benavoli et al. 2014, 2017), a Dirichlet process
over the per-dataset differences. Monte Carlo draws use a fixed seed, so a report is reproducible.
Probabilities and the ROPE are in accuracy units (0.01 = one point).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats as sps

from featcmp.report.stats import corrected_se

ROPE = 0.01  # one accuracy point either side
THRESHOLD = 0.95  # one outcome this likely decides the comparison
DRAWS = 20_000
SEED = 0
MOST_SEEDS = 200  # "about N more seeds": searched up to this many in all

RESPLIT = "for a new training set of this size from this data"
ONE_SPLIT = "these trained models, on this test set"
ACROSS = "for a new dataset like these"


@dataclass(frozen=True)
class Decide:
    """What counts as a practical difference (`rope`) and as decided (`threshold`)."""

    rope: float = ROPE
    threshold: float = THRESHOLD

    def __post_init__(self) -> None:
        if not 0 <= self.rope < 1:
            raise ValueError(f"rope: {self.rope} is not an accuracy margin in [0, 1)")
        if not 0.5 < self.threshold < 1:
            raise ValueError(f"decide: {self.threshold} is not a probability in (0.5, 1)")

    def rope_text(self) -> str:
        points = 100 * self.rope
        return f"{points:g} point" + ("" if points == 1 else "s")


@dataclass(frozen=True)
class Outcomes:
    """P(a leads by more than the ROPE), P(within it), P(b leads by more), for one question."""

    a: str
    b: str
    ahead: float
    equivalent: float
    behind: float
    decide: Decide
    question: str
    seeds: int = 1
    more_seeds: int | None = None  # undecided: more re-split seeds likely to decide it
    more_reaches: str | None = None  # ... and the outcome they would likely reach: a, equivalent, b
    floor: float | None = None  # undecided for ever: the posterior's least half-width, in points
    overlap: float | None = None  # n_test / n_train, whose term sets that floor

    def probs(self) -> tuple[float, float, float]:
        return self.ahead, self.equivalent, self.behind

    def facing(self, a: str) -> Outcomes:
        """The same outcomes with `a` named first (a verdict reads hand-crafted first)."""
        if a == self.a:
            return self
        return replace(self, a=self.b, b=self.a, ahead=self.behind, behind=self.ahead)

    def decided(self) -> str | None:
        """'a', 'equivalent' or 'b' where that outcome reaches the threshold, else None."""
        for name, p in zip(("a", "equivalent", "b"), self.probs(), strict=True):
            if p >= self.decide.threshold:
                return name
        return None

    def probs_text(self) -> str:
        return " / ".join(f"{p:.2f}" for p in self.probs())

    def words(self, minutes_per_seed: float | None = None) -> str:
        """The verdict a person can act on, e.g. 'cnn ahead (P = 0.98 that it leads by more
        than 1 point)'."""
        rope = self.decide.rope_text()
        outcome = self.decided()
        if outcome == "equivalent":
            return f"{self.outcome_text(outcome)} (P = {self.equivalent:.2f} within ±{rope})"
        if outcome is not None:
            p = self.ahead if outcome == "a" else self.behind
            return f"{self.outcome_text(outcome)} (P = {p:.2f} that it leads by more than {rope})"
        order = f"{self.a} ahead / within ±{rope} / {self.b} ahead"
        then = self.what_would_decide(minutes_per_seed)
        return f"undecided (P = {self.probs_text()} for {order}): {then}"

    def outcome_text(self, outcome: str) -> str:
        """'cnn ahead' or 'practically equivalent', for an outcome of `decided()`."""
        if outcome == "equivalent":
            return "practically equivalent"
        return f"{self.a if outcome == 'a' else self.b} ahead"

    def what_would_decide(self, minutes_per_seed: float | None) -> str:
        if self.question == ACROSS:
            return "more datasets would tell more"
        if self.question == ONE_SPLIT:
            return "re-split seeds (seeds: [0, 1, 2, ...]) or a larger test set would tell more"
        if self.more_seeds is not None:
            cost = ""
            if minutes_per_seed is not None and not math.isnan(minutes_per_seed):
                total = self.more_seeds * minutes_per_seed
                cost = f", ~{round(total)} min" if total >= 1 else ", under a minute"
                cost += " on this machine"
            n = self.more_seeds
            reach = f" ({self.outcome_text(self.more_reaches)})" if self.more_reaches else ""
            return f"about {n} more seed{'s' if n != 1 else ''} would likely decide it{reach}{cost}"
        if self.floor is not None and self.floor < 100 * self.decide.rope:
            return (
                "the mean difference sits at the edge of the ROPE: while it stays there no number "
                "of seeds decides it, but more seeds move the mean, so they may"
            )
        floor = f" of at least ±{self.floor:.1f} points" if self.floor is not None else ""
        overlap = f" = {self.overlap:.2g}" if self.overlap is not None else ""
        return (
            "more seeds cannot decide it: the overlap of the training sets (the n_test/n_train "
            f"term{overlap}) keeps the posterior at a width{floor} that more seeds do not "
            "lower; a larger training share, more data, or a wider ROPE would"
        )


def t_probs(mean: float, scale: float, df: float, rope: float) -> tuple[float, float, float]:
    """P(d > rope), P(|d| <= rope), P(d < -rope) for d ~ mean + scale * t(df); scale 0: a point."""
    if scale == 0 or df <= 0:
        ahead, behind = float(mean > rope), float(mean < -rope)
    else:
        ahead = float(sps.t.sf(rope, df, mean, scale))
        behind = float(sps.t.cdf(-rope, df, mean, scale))
    return ahead, max(0.0, 1.0 - ahead - behind), behind


def correlated_t(
    diffs: list[float], n_train: int, n_test: int, rope: float = ROPE
) -> tuple[float, float, float]:
    """The Bayesian correlated t-test over re-split differences (accuracy(a) - accuracy(b)).

    Posterior of the mean difference: Student t with J - 1 degrees of freedom, location the mean
    of the J differences, scale sqrt((1/J + rho/(1-rho)) s^2) with rho/(1-rho) = n_test/n_train
    (Corani & Benavoli 2015; Nadeau & Bengio 2003). Returns (P(a ahead), P(within), P(b ahead)).
    """
    mean, scale = corrected_se(diffs, n_train, n_test)
    return t_probs(mean, scale, len(diffs) - 1, rope)


def seeds_to_decide(
    mean: float, sd: float, seeds: int, overlap: float, decide: Decide
) -> tuple[int, str] | None:
    """How many more seeds would likely decide it, the mean and spread staying as they are, and
    the outcome it would reach ('a', 'equivalent' or 'b'); None where no number up to
    MOST_SEEDS does (the overlap term keeps the posterior wide)."""
    j = np.arange(seeds + 1, MOST_SEEDS + 1)
    if sd == 0 or j.size == 0:
        return None
    scale = sd * np.sqrt(1 / j + overlap)
    ahead = sps.t.sf(decide.rope, j - 1, mean, scale)
    behind = sps.t.cdf(-decide.rope, j - 1, mean, scale)
    within = 1 - ahead - behind
    probs = np.stack([ahead, within, behind])
    hit = np.flatnonzero(probs.max(axis=0) >= decide.threshold)
    if not hit.size:
        return None
    reaches = ("a", "equivalent", "b")[int(np.argmax(probs[:, hit[0]]))]
    return int(j[hit[0]] - seeds), reaches


def resplit_outcomes(
    a: str, b: str, diffs: list[float], n_train: int, n_test: int, decide: Decide
) -> Outcomes:
    """The correlated t-test's three outcomes, and what would decide it where it is undecided."""
    ahead, within, behind = correlated_t(diffs, n_train, n_test, decide.rope)
    overlap = n_test / n_train
    out = Outcomes(a, b, ahead, within, behind, decide, RESPLIT, len(diffs), overlap=overlap)
    if out.decided() is not None:
        return out
    mean, sd = statistics.fmean(diffs), statistics.stdev(diffs)
    more, reaches = seeds_to_decide(mean, sd, len(diffs), overlap, decide) or (None, None)
    # With endless seeds the posterior is normal with sd * sqrt(overlap): its 95% half-width.
    floor = 100 * 1.96 * sd * math.sqrt(overlap)
    return replace(out, more_seeds=more, more_reaches=reaches, floor=floor)


def agreement_outcomes(
    a: str, b: str, only_a: float, only_b: float, n_test: float, decide: Decide
) -> Outcomes:
    """On one test set: Dirichlet(1, 1, 1, 1) prior over the four cells of the 2x2 table of
    (a right?, b right?); the difference of accuracies is P(only a) - P(only b). Monte Carlo
    with a fixed seed; counts may be means over seeds sharing the test set."""
    if n_test <= 0 or only_a < 0 or only_b < 0 or only_a + only_b > n_test:
        raise ValueError(f"not a 2x2 table: only_a={only_a}, only_b={only_b}, n={n_test}")
    rng = np.random.default_rng(SEED)
    # Both right and both wrong only enter through their sum: one cell with both priors.
    cells = rng.dirichlet([only_a + 1, only_b + 1, n_test - only_a - only_b + 2], DRAWS)
    diff = cells[:, 0] - cells[:, 1]
    ahead = float(np.mean(diff > decide.rope))
    behind = float(np.mean(diff < -decide.rope))
    return Outcomes(a, b, ahead, 1 - ahead - behind, behind, decide, ONE_SPLIT)


def across_outcomes(a: str, b: str, diffs: list[float], decide: Decide) -> Outcomes:
    """The signed-rank test's three outcomes over datasets (`diffs`: a - b per dataset)."""
    ahead, within, behind = signed_rank(diffs, decide.rope)
    return Outcomes(a, b, ahead, within, behind, decide, ACROSS, seeds=len(diffs))


def signed_rank(
    diffs: list[float], rope: float = ROPE, prior: float = 0.5, draws: int = DRAWS
) -> tuple[float, float, float]:
    """The Bayesian signed-rank test (Benavoli et al. 2014) over per-dataset differences.

    A Dirichlet process with a pseudo-observation at 0 of weight `prior`: each draw weighs the
    differences, and the mass of the pairwise (Walsh) averages above the ROPE, within and below
    it; the three probabilities are the shares of draws in which each mass is the largest.
    Returns (P(a ahead), P(within), P(b ahead)).
    """
    if not diffs:
        raise ValueError("the signed-rank test needs at least one dataset")
    d = np.concatenate(([0.0], np.asarray(diffs, dtype=float)))
    sums = d[:, None] + d[None, :]
    above = (sums > 2 * rope) + 0.5 * (sums == 2 * rope)
    below = (sums < -2 * rope) + 0.5 * (sums == -2 * rope)
    weights = np.ones(len(d))
    weights[0] = prior
    w = np.random.RandomState(SEED).dirichlet(weights, draws)
    mass_above = np.einsum("ni,ij,nj->n", w, above, w)
    mass_below = np.einsum("ni,ij,nj->n", w, below, w)
    masses = np.stack([mass_above, 1 - mass_above - mass_below, mass_below], axis=1)
    share = np.bincount(np.argmax(masses, axis=1), minlength=3) / draws
    return float(share[0]), float(share[1]), float(share[2])


def simulated_diffs(
    true_diff: float, seeds: int, rng: np.random.Generator, sd: float, rho: float
) -> list[float]:
    """Per-seed accuracy differences of one simulated dataset: the true difference plus a part
    shared by every re-split of the dataset and a part of each seed's own, their correlation
    `rho` (n_test / (n_test + n_train)) as the correlated t-test assumes; `sd` per seed."""
    shared = rng.normal(0, sd * math.sqrt(rho))
    own = rng.normal(0, sd * math.sqrt(1 - rho), seeds)
    return [float(d) for d in true_diff + shared + own]


def decision_rate(
    true_diff: float,
    seeds: int,
    reps: int,
    rng: np.random.Generator,
    n_train: int = 4000,
    n_test: int = 1000,
    sd: float = 0.0075,
    decide: Decide | None = None,
) -> float:
    """Calibration at a fixed number of seeds: the share of `reps` simulated comparisons
    (`simulated_diffs`) the correlated t-test decides as 'a ahead' or 'b ahead'. `sd`, the
    per-seed spread (0.75 points, like Fashion-MNIST's), and n_test / n_train like the suite's."""
    decide = decide or Decide()
    rho = n_test / (n_test + n_train)
    decided = 0
    for _ in range(reps):
        diffs = simulated_diffs(true_diff, seeds, rng, sd, rho)
        ahead, _, behind = correlated_t(diffs, n_train, n_test, decide.rope)
        decided += max(ahead, behind) >= decide.threshold
    return decided / reps
