"""Across datasets: Friedman's test and the Nemenyi critical-difference diagram (Demšar 2006).

Each dataset ranks the pipelines by accuracy (1 = best, ties share the mean rank). Friedman's
statistic asks whether the average ranks differ more than chance allows; Iman & Davenport's F
form of it is less conservative and is the one Demšar recommends. Two pipelines differ
significantly by the Nemenyi test when their average ranks are at least

    CD = q_alpha * sqrt(k (k + 1) / (6 N))

apart, with q_alpha the studentized range quantile for k groups and infinite degrees of freedom
divided by sqrt(2) (scipy's `studentized_range`), k pipelines, N datasets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from scipy import stats as sps

from featcmp.report.table import Row

MIN_DATASETS = 3


@dataclass(frozen=True)
class Friedman:
    names: list[str]  # pipelines, the columns of the score matrix
    datasets: list[str]  # the rows
    average_ranks: list[float]
    chi2: float
    p_chi2: float
    f: float  # Iman-Davenport
    p_f: float
    cd: float  # Nemenyi critical difference at alpha
    q_alpha: float
    alpha: float

    @property
    def k(self) -> int:
        return len(self.names)

    @property
    def n(self) -> int:
        return len(self.datasets)

    def text(self) -> str:
        df2 = (self.k - 1) * (self.n - 1)
        return (
            f"Friedman over {self.n} datasets and {self.k} pipelines: chi2_F = {self.chi2:.2f} "
            f"(p = {self.p_chi2:.3g}), Iman-Davenport F({self.k - 1}, {df2})"
            f" = {self.f:.2f} (p = {self.p_f:.3g}); Nemenyi critical difference "
            f"CD = {self.cd:.2f} at alpha = {self.alpha} (q = {self.q_alpha:.3f})."
        )


def average_ranks(scores: np.ndarray) -> np.ndarray:
    """Mean rank of each column over the rows; higher score = better = lower rank."""
    ranks = np.vstack([sps.rankdata(-row, method="average") for row in np.asarray(scores)])
    return ranks.mean(axis=0)


def q_alpha(k: int, alpha: float = 0.05) -> float:
    """The Nemenyi q: studentized range quantile (k groups, df = inf) / sqrt(2)."""
    return float(sps.studentized_range.ppf(1 - alpha, k, np.inf) / math.sqrt(2))


def critical_difference(k: int, n: int, alpha: float = 0.05) -> float:
    return q_alpha(k, alpha) * math.sqrt(k * (k + 1) / (6 * n))


def friedman(
    scores: np.ndarray, names: list[str], datasets: list[str], alpha: float = 0.05
) -> Friedman:
    """Friedman's chi2_F and Iman-Davenport's F_F as in Demšar (2006), eqs. (1) and (2).

    `scores` is N datasets x k pipelines. Ties share ranks; as in Demšar, no tie correction.
    """
    scores = np.asarray(scores, dtype=float)
    n, k = scores.shape
    if n < 2 or k < 2:
        raise ValueError(f"Friedman needs 2+ datasets and 2+ pipelines, got {n} x {k}")
    r = average_ranks(scores)
    chi2 = 12 * n / (k * (k + 1)) * (float(np.sum(r**2)) - k * (k + 1) ** 2 / 4)
    denom = n * (k - 1) - chi2
    f = math.inf if denom <= 0 else (n - 1) * chi2 / denom
    p_f = 0.0 if math.isinf(f) else float(sps.f.sf(f, k - 1, (k - 1) * (n - 1)))
    return Friedman(
        names=list(names),
        datasets=list(datasets),
        average_ranks=[float(v) for v in r],
        chi2=chi2,
        p_chi2=float(sps.chi2.sf(chi2, k - 1)),
        f=f,
        p_f=p_f,
        cd=critical_difference(k, n, alpha),
        q_alpha=q_alpha(k, alpha),
        alpha=alpha,
    )


def score_matrix(rows: list[Row]) -> tuple[np.ndarray, list[str], list[str]] | None:
    """Mean accuracy of each pipeline at each dataset's largest training size.

    Only pipelines with a result on every dataset take part; None below 3 datasets or 2 such
    pipelines (too few for a test across datasets).
    """
    ok = [r for r in rows if r.runs]
    largest: dict[str, int] = {}
    for r in ok:
        largest[r.dataset] = max(largest.get(r.dataset, 0), r.n_train)
    table: dict[str, dict[str, float]] = {}
    for r in ok:
        if r.n_train == largest[r.dataset]:
            table.setdefault(r.dataset, {})[r.pipeline] = r.accuracy_mean
    datasets = sorted(table)
    if len(datasets) < MIN_DATASETS:
        return None
    common = sorted(set.intersection(*(set(table[d]) for d in datasets)))
    if len(common) < 2:
        return None
    return np.array([[table[d][p] for p in common] for d in datasets]), common, datasets


def across_datasets(rows: list[Row], alpha: float = 0.05) -> Friedman | None:
    got = score_matrix(rows)
    return None if got is None else friedman(*got, alpha=alpha)


def cliques(ranks: list[float], cd: float) -> list[tuple[int, int]]:
    """Maximal runs (i, j) of the rank-sorted pipelines whose ranks lie within CD: the groups
    the diagram joins with a bar (no significant difference inside one)."""
    order = sorted(ranks)
    spans = []
    for i in range(len(order)):
        j = i
        while j + 1 < len(order) and order[j + 1] - order[i] < cd:
            j += 1
        if j > i and not any(a <= i and j <= b for a, b in spans):
            spans.append((i, j))
    return spans


def cd_figure(result: Friedman, colours: dict[str, str] | None = None) -> Figure:
    """Demšar's diagram: the rank axis, each pipeline at its average rank (best on the left),
    the CD as a scale bar, and a bar joining pipelines not significantly different."""
    k = result.k
    order = sorted(range(k), key=lambda i: result.average_ranks[i])
    ranks = [result.average_ranks[i] for i in order]
    names = [result.names[i] for i in order]
    half = (k + 1) // 2
    height = 1.6 + 0.32 * max(half, k - half)
    fig = Figure(figsize=(7.5, height))
    ax = fig.add_axes((0.02, 0.02, 0.96, 0.96))
    ax.set_xlim(0.2, k + 0.8)
    ax.set_ylim(-0.35 * (max(half, k - half) + 2), 1.2)
    ax.axis("off")
    ax.plot([1, k], [0, 0], color="black", lw=1)
    for t in range(1, k + 1):
        ax.plot([t, t], [0, 0.1], color="black", lw=1)
        ax.text(t, 0.18, str(t), ha="center", va="bottom", size=9)
    ax.plot([1, 1 + result.cd], [0.75, 0.75], color="black", lw=2)
    ax.text(1 + result.cd / 2, 0.82, f"CD = {result.cd:.2f}", ha="center", va="bottom", size=9)
    colours = colours or {}
    for pos, (rank, name) in enumerate(zip(ranks, names, strict=True)):
        left = pos < half
        level = -0.35 * ((pos if left else k - 1 - pos) + 1) - 0.3
        end = 0.2 if left else k + 0.8
        colour = colours.get(name, "black")
        ax.plot([rank, rank, end], [0, level, level], color=colour, lw=1)
        ax.text(
            end + (0.02 if left else -0.02),
            level + 0.05,
            f"{name} ({rank:.2f})",
            ha="left" if left else "right",
            va="bottom",
            size=8,
            color=colour,
        )
    for depth, (i, j) in enumerate(cliques(ranks, result.cd)):
        y = -0.12 - 0.08 * depth
        ax.plot([ranks[i] - 0.03, ranks[j] + 0.03], [y, y], color="black", lw=3)
    return fig
