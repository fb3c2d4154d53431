"""Paired significance: McNemar's exact test between pipelines scored on the same test images.

Two pipelines are paired when their runs share a dataset, a training-set size, a seed and the
very same test set (its content hash). Over seeds the discordant pairs are pooled: b (first right,
second wrong) and c (the reverse) are summed over every seed, then one exact binomial test runs
on b + c. Pooling is McNemar's test on the concatenated test sets: it uses every paired
prediction, its p-value is exact, and it is the conditional test for a difference common to all
seeds. Per-seed counts and p-values are kept too, so a seed that disagrees stays visible. When
seeds reuse one test set (a source with its own test split), the pool counts each test image once
per seed and so overstates the evidence; `shared_test_set` flags that case.

Every difference carries a 95% interval: Agresti-Min for one test set; where seeds re-split the
data, the corrected resampled t-test of Nadeau & Bengio (2003) over the per-seed differences,
which also gives its own p-value. The McNemar p-values (and the corrected t p-values) are
adjusted by Holm within each dataset (the family: every pair of pipelines on that dataset, at all
its training sizes); raw and adjusted are shown side by side.

Beside them, each pair gets the three outcomes of `featcmp.report.bayes` (A ahead by more than
the ROPE, within it, B ahead): what the verdict decides on.
"""

from __future__ import annotations

import hashlib
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations

from featcmp.records import Record
from featcmp.report.bayes import Decide, Outcomes, agreement_outcomes, resplit_outcomes
from featcmp.report.stats import (
    CorrectedT,
    Interval,
    corrected_resampled_t,
    holm,
    paired_difference,
)


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: binomial test of min(b, c) among b + c at p = 1/2.

    Parameters
    ----------
    b, c : int
        Discordant pairs: first right and second wrong (b), first wrong and second right (c).

    Returns
    -------
    float
        ``min(1, 2 * P(X <= min(b, c)))`` with ``X ~ Binomial(b + c, 1/2)``; 1.0 when b + c == 0.
    """
    if b < 0 or c < 0:
        raise ValueError(f"discordant counts must be non-negative, got b={b}, c={c}")
    n, k = b + c, min(b, c)
    if n == 0:
        return 1.0
    # Log space: comb(n, i) / 2**n underflows floats for n beyond about a thousand.
    logs = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) for i in range(k + 1)]
    top = max(logs)
    log_tail = top + math.log(sum(math.exp(v - top) for v in logs)) - n * math.log(2)
    return min(1.0, 2.0 * math.exp(log_tail))


def discordant(y_true: list[int], pred_a: list[int], pred_b: list[int]) -> tuple[int, int]:
    """(b, c): test images only the first got right, and only the second got right."""
    b = c = 0
    for t, a, o in zip(y_true, pred_a, pred_b, strict=True):
        b += a == t and o != t
        c += a != t and o == t
    return b, c


def p_text(p: float) -> str:
    """'< 0.001' or the value to three decimals."""
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def format_p(p: float) -> str:
    return f"p {p_text(p)}" if p < 0.001 else f"p = {p_text(p)}"


@dataclass
class SeedPair:
    seed: int
    n_test: int
    b: int
    c: int
    p: float


@dataclass
class PairResult:
    """Pipeline `a` against `b` (a has the higher mean accuracy) at one dataset and size."""

    dataset: str
    n_train: int
    a: str
    b: str
    diff_points: float  # mean over seeds of accuracy(a) - accuracy(b), in percentage points
    b_total: int  # pooled over seeds: a right, b wrong
    c_total: int  # pooled over seeds: a wrong, b right
    p: float
    shared_test_set: bool
    seeds: list[SeedPair] = field(default_factory=list)
    interval: Interval | None = None  # of diff_points, in percentage points
    p_holm: float = math.nan  # p adjusted by Holm across the pairs of its dataset
    resampled: CorrectedT | None = None  # seeds re-split the data: Nadeau-Bengio over seeds
    resampled_p_holm: float = math.nan
    holm_family: int = 0  # how many pairs Holm adjusted over: those of this dataset
    outcomes: Outcomes | None = None  # the Bayesian three outcomes the verdict decides on
    minutes_per_seed: float | None = None  # one more seed of this dataset and size, all rows

    @property
    def resplit(self) -> bool:
        """Seeds re-split the data: the comparison is over training sets, not one test set."""
        return len(self.seeds) >= 2 and not self.shared_test_set and self.n_train > 0

    def words(self) -> str:
        """The Bayesian verdict in words, then the question it answers."""
        if self.outcomes is None:
            return "-"
        return f"{self.outcomes.words(self.minutes_per_seed)} ({self.outcomes.question})"

    def text(self) -> str:
        """The pairwise sentence: the Bayesian verdict first, then the frequentist numbers, each
        named by its procedure (the interval and the p-value come from different tests)."""
        runs = len(self.seeds)
        ci = f" {self.interval.signed_text()} ({interval_name(self)})" if self.interval else ""
        holm_text = "" if math.isnan(self.p_holm) else f" (Holm {p_text(self.p_holm)})"
        lead = f"{self.words()}; " if self.outcomes is not None else ""
        return (
            f"{self.a} vs {self.b}: {lead}{self.diff_points:+.1f} points{ci}, McNemar "
            f"{format_p(self.p)}{holm_text} over {runs} seed{'s' if runs != 1 else ''}"
        )

    def significant(self, alpha: float = 0.05) -> bool:
        """Holm-adjusted McNemar p below alpha and, where seeds re-split the data, the
        Holm-adjusted corrected resampled t-test too (it also counts training-set variation)."""
        if not self.p_holm < alpha:
            return False
        return self.resampled is None or self.resampled_p_holm < alpha


def interval_name(pair: PairResult) -> str:
    """The interval's procedure, so it is never read as the McNemar p-value's."""
    return pair.interval.method if pair.interval else "-"


def seed_minutes(records: list[Record]) -> dict[tuple[str, int], float]:
    """(dataset, n_train) -> minutes one more seed takes: per row, the median fit + predict
    seconds of its runs, summed over the rows (every row runs again for a new seed)."""
    times: dict[tuple[str, int], dict[str, list[float]]] = {}
    for r in records:
        if r.status == "ok" and r.fit_seconds is not None:
            row = times.setdefault((r.dataset.name, r.n_train), {}).setdefault(r.pipeline, [])
            row.append(r.fit_seconds + (r.predict_seconds or 0.0))
    return {
        place: sum(statistics.median(v) for v in rows.values()) / 60
        for place, rows in times.items()
    }


def eval_set_key(record: Record) -> str:
    """The test set's content hash; older records fall back to the split's hash and the labels."""
    ds = record.dataset
    if ds.test_fingerprint:
        return ds.test_fingerprint
    y_true = record.y_true or []
    digest = hashlib.sha256(",".join(map(str, y_true)).encode()).hexdigest()[:16]
    return f"split-{ds.fingerprint or '?'}-labels-{len(y_true)}-{digest}"


def paired_records(records: list[Record]) -> dict[tuple, dict[str, Record]]:
    """(dataset, n_train, seed, test set) -> {pipeline: record}, for runs that kept predictions."""
    groups: dict[tuple, dict[str, Record]] = {}
    for r in records:
        if r.status != "ok" or not r.predictions or not r.y_true:
            continue
        key = (r.dataset.name, r.n_train, r.seed, eval_set_key(r))
        groups.setdefault(key, {}).setdefault(r.pipeline, r)  # a repeated job counts once
    return groups


def compare_pipelines(records: list[Record], decide: Decide | None = None) -> list[PairResult]:
    """Every pair of pipelines per (dataset, training size), pooled over the seeds they share;
    `decide`: the ROPE and threshold of the Bayesian outcomes (default: ±1 point, 0.95)."""
    decide = decide or Decide()
    per_seed: dict[tuple[str, int, str, str], list[tuple[SeedPair, float, str]]] = {}
    for (dataset, n_train, seed, test_key), runs in paired_records(records).items():
        for x, y in combinations(sorted(runs), 2):
            truth, pred_x, pred_y = runs[x].y_true or [], runs[x].predictions, runs[y].predictions
            if truth != runs[y].y_true:  # same hash, other labels: not one test set
                continue
            b, c = discordant(truth, pred_x or [], pred_y or [])
            pair = SeedPair(seed, len(truth), b, c, mcnemar_exact(b, c))
            diff = (b - c) / len(truth)  # images both got right or wrong cancel
            per_seed.setdefault((dataset, n_train, x, y), []).append((pair, diff, test_key))
    results = []
    minutes = seed_minutes(records)
    for (dataset, n_train, x, y), items in per_seed.items():
        items.sort(key=lambda item: item[0].seed)
        diff = 100.0 * sum(d for _, d, _ in items) / len(items)
        b = sum(s.b for s, _, _ in items)
        c = sum(s.c for s, _, _ in items)
        seeds = [s for s, _, _ in items]
        if diff < 0:  # name the better pipeline first, so differences read as gains
            x, y, diff, b, c = y, x, -diff, c, b
            seeds = [SeedPair(s.seed, s.n_test, s.c, s.b, s.p) for s in seeds]
        shared = len({k for _, _, k in items}) < len(items)
        pair = PairResult(dataset, n_train, x, y, diff, b, c, mcnemar_exact(b, c), shared, seeds)
        pair.interval, pair.resampled = difference_interval(pair)
        pair.outcomes = bayes_outcomes(pair, decide)
        pair.minutes_per_seed = minutes.get((dataset, n_train))
        results.append(pair)
    adjust(results)
    results.sort(key=lambda r: (r.dataset, r.n_train, r.p, -r.diff_points, r.a, r.b))
    return results


def difference_interval(pair: PairResult) -> tuple[Interval, CorrectedT | None]:
    """The 95% interval of the difference in points, and the corrected t-test where it applies.

    One seed: Agresti-Min on its b, c. Seeds that re-split the data: Nadeau-Bengio over the
    per-seed differences (n_train and n_test from the records). Seeds sharing one test set: only
    training varies, so Agresti-Min on the mean b and c of that one test set.
    """
    seeds = pair.seeds
    n_test = statistics.fmean(s.n_test for s in seeds)
    b = statistics.fmean(s.b for s in seeds)
    c = statistics.fmean(s.c for s in seeds)
    ci = paired_difference(b, c, n_test)
    one_set = Interval(100 * ci.low, 100 * ci.high, ci.method)
    if pair.resplit:
        diffs = [100.0 * (s.b - s.c) / s.n_test for s in seeds]
        result = corrected_resampled_t(diffs, pair.n_train, round(n_test))
        nb = result.interval
        # A few seeds that happen to agree give a t interval of almost no width; the test
        # images are still a sample, so the interval is never narrower than one test set's.
        low, high = min(nb.low, one_set.low), max(nb.high, one_set.high)
        low, high = max(-100.0, low), min(100.0, high)  # a difference of accuracies
        return Interval(low, high, "Nadeau-Bengio, at least Agresti-Min"), result
    return one_set, None


def bayes_outcomes(pair: PairResult, decide: Decide) -> Outcomes:
    """Over re-split seeds the correlated t-test; on one test set the agreement-table posterior
    (seeds sharing one test set: the mean counts of that set, so it is not counted twice)."""
    seeds = pair.seeds
    if pair.resplit:
        diffs = [(s.b - s.c) / s.n_test for s in seeds]
        n_test = round(statistics.fmean(s.n_test for s in seeds))
        return resplit_outcomes(pair.a, pair.b, diffs, pair.n_train, n_test, decide)
    b = statistics.fmean(s.b for s in seeds)
    c = statistics.fmean(s.c for s in seeds)
    n_test = statistics.fmean(s.n_test for s in seeds)
    return agreement_outcomes(pair.a, pair.b, b, c, n_test, decide)


def adjust(pairs: list[PairResult]) -> None:
    """Holm within each dataset: McNemar p-values, and corrected t p-values where run. The
    family is the question a dataset's verdict and pairwise rows ask, not every pair of the
    report: another dataset's pairs do not dilute this one's evidence."""
    by_dataset: dict[str, list[PairResult]] = {}
    for p in pairs:
        by_dataset.setdefault(p.dataset, []).append(p)
    for family in by_dataset.values():
        for p, adj in zip(family, holm([p.p for p in family]), strict=True):
            p.p_holm, p.holm_family = adj, len(family)
        resampled = [p for p in family if p.resampled is not None]
        for p, adj in zip(resampled, holm([p.resampled.p for p in resampled]), strict=True):
            p.resampled_p_holm = adj


def outcomes_cell(r: PairResult) -> str:
    return r.outcomes.probs_text() if r.outcomes is not None else "-"


def corrected_t_cell(r: PairResult) -> str:
    if r.resampled is None:
        return "-"
    return f"{p_text(r.resampled.p)} ({p_text(r.resampled_p_holm)})"


# The pairwise table, declared once: (header, cell) per column, in order.
PAIR_COLUMNS: tuple[tuple[str, Callable[[PairResult], str]], ...] = (
    ("dataset", lambda r: r.dataset),
    ("n_train", lambda r: str(r.n_train)),
    ("better", lambda r: r.a),
    ("other", lambda r: r.b),
    ("P better ahead / within ROPE / other ahead", outcomes_cell),
    ("Bayesian verdict", PairResult.words),
    ("difference", lambda r: f"{r.diff_points:+.1f} pts"),
    (
        "95% interval (procedure)",
        lambda r: f"{r.interval.signed_text()} ({interval_name(r)})" if r.interval else "-",
    ),
    ("seeds", lambda r: str(len(r.seeds)) + (" (same test set)" if r.shared_test_set else "")),
    ("b (better only)", lambda r: str(r.b_total)),
    ("c (other only)", lambda r: str(r.c_total)),
    ("McNemar p (pooled)", lambda r: p_text(r.p)),
    (
        "McNemar p (Holm, per dataset)",
        lambda r: "-" if math.isnan(r.p_holm) else f"{p_text(r.p_holm)} of {r.holm_family}",
    ),
    ("corrected t p (Holm)", corrected_t_cell),
    ("per seed b:c (p)", lambda r: ", ".join(f"{s.b}:{s.c} ({s.p:.2g})" for s in r.seeds)),
)
SIGNIFICANCE_HEADERS = tuple(header for header, _ in PAIR_COLUMNS)


def significance_cells(r: PairResult) -> list[str]:
    return [cell(r) for _, cell in PAIR_COLUMNS]


SIGNIFICANCE_NOTE = (
    "The Bayesian verdict comes first: the probabilities that the better pipeline leads by more "
    "than the region of practical equivalence (ROPE), that the two are within it, and that the "
    "other leads. Over seeds that re-split the data they come from the Bayesian correlated "
    "t-test (Corani & Benavoli 2015) and answer 'for a new training set of this size from this "
    "data'; on one split, from a Dirichlet posterior over the 2x2 table of the two pipelines' "
    "test predictions, answering 'these trained models, on this test set'. "
    "McNemar's exact test on the test images both pipelines scored. b and c count the discordant "
    "images (only the better pipeline right; only the other right), pooled over seeds: one exact "
    "binomial test on b + c, which is McNemar's test on the seeds' test sets put together. "
    "Per-seed p-values show whether every seed agrees. Pooled over re-split seeds it ignores the "
    "variation between training runs and so overstates the evidence; so does a pool over seeds "
    "that share one test set (each image counted once per seed). "
    "p (Holm, per dataset): the pooled p adjusted by Holm's step-down method within the family "
    "of that dataset's pairs ('of N': the family's size). "
    "95% interval of the difference: Agresti-Min (½ added to each cell of the 2x2 table) on one "
    "test set; where seeds re-split the data, the corrected resampled t-test of Nadeau & Bengio "
    "(2003) over the per-seed differences, whose p-value (raw, then Holm) is its own column; "
    "never narrower than the Agresti-Min interval of one test set (a few agreeing seeds would "
    "otherwise give an interval of almost no width). An interval and a McNemar p-value side by "
    "side come from different procedures and may seem to disagree; each cell names its own."
)
