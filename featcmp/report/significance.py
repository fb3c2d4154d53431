"""Paired significance: McNemar's exact test between pipelines scored on the same test images.

Two pipelines are paired when their runs share a dataset, a training-set size, a seed and the
very same test set (its content hash). Over seeds the discordant pairs are pooled: b (first right,
second wrong) and c (the reverse) are summed over every seed, then one exact binomial test runs
on b + c. Pooling is McNemar's test on the concatenated test sets: it uses every paired
prediction, its p-value is exact, and it is the conditional test for a difference common to all
seeds. Per-seed counts and p-values are kept too, so a seed that disagrees stays visible. When
seeds reuse one test set (a source with its own test split), the pool counts each test image once
per seed and so overstates the evidence; `shared_test_set` flags that case.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any


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

    def text(self) -> str:
        runs = len(self.seeds)
        return (
            f"{self.a} vs {self.b}: {self.diff_points:+.1f} points, {format_p(self.p)} "
            f"over {runs} seed{'s' if runs != 1 else ''}"
        )


def eval_set_key(record: dict[str, Any]) -> str:
    """The test set's content hash; older records fall back to a hash of its labels."""
    ds = record["dataset"]
    if ds.get("test_fingerprint"):
        return ds["test_fingerprint"]
    labels = ",".join(map(str, record["y_true"])).encode()
    return f"labels-{len(record['y_true'])}-{hashlib.sha256(labels).hexdigest()[:16]}"


def paired_records(records: list[dict[str, Any]]) -> dict[tuple, dict[str, dict[str, Any]]]:
    """(dataset, n_train, seed, test set) -> {pipeline: record}, for runs that kept predictions."""
    groups: dict[tuple, dict[str, dict[str, Any]]] = {}
    for r in records:
        if r.get("status") != "ok" or not r.get("predictions") or not r.get("y_true"):
            continue
        ds = r["dataset"]
        key = (ds["name"], int(ds.get("n_train", 0)), int(r["seed"]), eval_set_key(r))
        groups.setdefault(key, {}).setdefault(r["pipeline"], r)  # a repeated job counts once
    return groups


def compare_pipelines(records: list[dict[str, Any]]) -> list[PairResult]:
    """Every pair of pipelines per (dataset, training size), pooled over the seeds they share."""
    per_seed: dict[tuple[str, int, str, str], list[tuple[SeedPair, float, str]]] = {}
    for (dataset, n_train, seed, test_key), runs in paired_records(records).items():
        for x, y in combinations(sorted(runs), 2):
            rx, ry = runs[x], runs[y]
            b, c = discordant(rx["y_true"], rx["predictions"], ry["predictions"])
            pair = SeedPair(seed, len(rx["y_true"]), b, c, mcnemar_exact(b, c))
            diff = (b - c) / len(rx["y_true"])  # images both got right or wrong cancel
            per_seed.setdefault((dataset, n_train, x, y), []).append((pair, diff, test_key))
    results = []
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
        results.append(
            PairResult(dataset, n_train, x, y, diff, b, c, mcnemar_exact(b, c), shared, seeds)
        )
    results.sort(key=lambda r: (r.dataset, r.n_train, r.p, -r.diff_points, r.a, r.b))
    return results


SIGNIFICANCE_HEADERS = (
    "dataset",
    "n_train",
    "better",
    "other",
    "difference",
    "seeds",
    "b (better only)",
    "c (other only)",
    "p (pooled)",
    "per seed b:c (p)",
)


def significance_cells(r: PairResult) -> list[str]:
    return [
        r.dataset,
        str(r.n_train),
        r.a,
        r.b,
        f"{r.diff_points:+.1f} pts",
        str(len(r.seeds)) + (" (same test set)" if r.shared_test_set else ""),
        str(r.b_total),
        str(r.c_total),
        p_text(r.p),
        ", ".join(f"{s.b}:{s.c} ({s.p:.2g})" for s in r.seeds),
    ]


SIGNIFICANCE_NOTE = (
    "McNemar's exact test on the test images both pipelines scored. b and c count the discordant "
    "images (only the better pipeline right; only the other right), pooled over seeds: one exact "
    "binomial test on b + c, which is McNemar's test on the seeds' test sets put together. "
    "Per-seed p-values show whether every seed agrees. Where seeds share one test set the pool "
    "counts each image once per seed and overstates the evidence."
)
