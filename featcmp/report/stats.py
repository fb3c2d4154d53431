"""Intervals and corrections for the report: Wilson, t over seeds, Nadeau-Bengio, Agresti-Min, Holm.

Every interval is two-sided at 95% unless `level` says otherwise. Quantiles come from scipy.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from scipy import stats as sps

LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    method: str

    def text(self, digits: int = 3) -> str:
        return f"[{self.low:.{digits}f}, {self.high:.{digits}f}]"

    def signed_text(self) -> str:
        """A difference in points, signed to one decimal: [-1.2, +3.4]."""
        return f"[{self.low:+.1f}, {self.high:+.1f}]"

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def z_quantile(level: float = LEVEL) -> float:
    return float(sps.norm.ppf(0.5 + level / 2))


def t_quantile(df: int, level: float = LEVEL) -> float:
    return float(sps.t.ppf(0.5 + level / 2, df))


def wilson(correct: int, n: int, level: float = LEVEL) -> Interval:
    """Wilson score interval for a proportion `correct / n` (Wilson 1927).

    Unlike the Wald interval it stays inside [0, 1] and does not collapse at 0 or n correct.
    """
    if n <= 0 or not 0 <= correct <= n:
        raise ValueError(f"need 0 <= correct <= n and n > 0, got correct={correct}, n={n}")
    z = z_quantile(level)
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return Interval(max(0.0, centre - half), min(1.0, centre + half), "Wilson")


def t_interval(values: list[float], level: float = LEVEL) -> Interval:
    """Student t interval for the mean of `values` (two or more)."""
    if len(values) < 2:
        raise ValueError("a t interval needs two or more values")
    mean, sd = statistics.fmean(values), statistics.stdev(values)
    half = t_quantile(len(values) - 1, level) * sd / math.sqrt(len(values))
    return Interval(mean - half, mean + half, f"t over {len(values)} seeds")


@dataclass(frozen=True)
class CorrectedT:
    """Nadeau & Bengio's (2003) corrected resampled t-test of a mean over random re-splits."""

    mean: float
    t: float
    df: int
    p: float
    interval: Interval


def corrected_se(values: list[float], n_train: int, n_test: int) -> tuple[float, float]:
    """The mean of J per-split values and its standard error corrected for overlapping
    training sets: sqrt((1/J + n_test/n_train) s^2) (Nadeau & Bengio 2003)."""
    j = len(values)
    if j < 2:
        raise ValueError("the corrected resampled t-test needs two or more splits")
    if n_train <= 0 or n_test <= 0:
        raise ValueError(f"need positive split sizes, got n_train={n_train}, n_test={n_test}")
    mean, var = statistics.fmean(values), statistics.variance(values)
    return mean, math.sqrt((1 / j + n_test / n_train) * var)


def corrected_resampled_t(
    values: list[float], n_train: int, n_test: int, level: float = LEVEL
) -> CorrectedT:
    """Corrected resampled t-test over J random train/test splits (Nadeau & Bengio 2003).

    The splits overlap, so the per-split scores are correlated and the plain t-test's variance
    s^2 / J is too small; the correction replaces 1/J by 1/J + n_test/n_train:

        t = mean / sqrt((1/J + n_test/n_train) * s^2),  df = J - 1.

    `values` are per-split differences (for a test of no difference) or per-split accuracies
    (for the interval of the mean). Zero spread with a non-zero mean gives t = inf and p = 0.
    """
    mean, se = corrected_se(values, n_train, n_test)
    j = len(values)
    # No spread at all: t is 0 for no difference, infinite for a constant one.
    t = mean / se if se else (0.0 if mean == 0 else math.copysign(math.inf, mean))
    p = float(2 * sps.t.sf(abs(t), j - 1))
    half = t_quantile(j - 1, level) * se
    method = f"corrected resampled t over {j} splits (Nadeau & Bengio 2003)"
    return CorrectedT(mean, t, j - 1, p, Interval(mean - half, mean + half, method))


def paired_difference(b: float, c: float, n: float, level: float = LEVEL) -> Interval:
    """Interval for the difference of two paired accuracies, (b - c) / n, from one test set.

    b: images only the first got right, c: only the second. Agresti & Min (2005): add 1/2 to
    each of the four cells of the 2x2 table (so b + 1/2, c + 1/2, n + 2), then the Wald interval.
    Non-integer counts (means over seeds that share one test set) are accepted.
    """
    if n <= 0:
        raise ValueError("a paired difference needs at least one test image")
    m = n + 2
    p12, p21 = (b + 0.5) / m, (c + 0.5) / m
    d = p12 - p21
    half = z_quantile(level) * math.sqrt(max(p12 + p21 - d * d, 0.0) / m)
    return Interval(max(-1.0, d - half), min(1.0, d + half), "Agresti-Min")


def holm(p_values: list[float]) -> list[float]:
    """Holm's (1979) step-down adjustment, in the input order: the family-wise error rate holds.

    Sorted ascending, the i-th smallest (0-based) becomes max over j <= i of (m - j) * p_(j),
    capped at 1.
    """
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted
