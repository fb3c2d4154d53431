"""The headline picture with several datasets: per dataset, the best learned minus the best
hand-crafted pipeline, with its 95% interval, the ROPE band and the Bayesian verdict's outcome.

The verdict lines know the pairs (`verdict.py`) and their three probabilities (`bayes.py`);
this draws them, each dataset at its largest training size, so the answer reads at a glance.
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.figure import Figure

from featcmp.report.bayes import Decide, Outcomes
from featcmp.report.plots import Plot, to_png
from featcmp.report.verdict import Line

KIND = "verdict-differences"
NAME = "verdict-differences"
# Outcome -> colour: a decided side in its family's colour, equivalence green, undecided grey.
COLOURS = {
    "learned ahead": "#DD8452",
    "hand-crafted ahead": "#4C72B0",
    "practically equivalent": "#55A868",
    "undecided": "#8C8C8C",
}


@dataclass(frozen=True)
class Difference:
    """One dataset's best learned minus best hand-crafted, in accuracy points."""

    dataset: str
    points: float
    low: float
    high: float
    outcome: str  # a key of COLOURS
    label: str  # the outcome in words: "cnn ahead (P = 0.98)"
    decide: Decide


def outcome_of(o: Outcomes) -> tuple[str, str]:
    """(the outcome, its words on the picture), hand-crafted being `o.a`."""
    decided = o.decided()
    if decided == "a":
        return "hand-crafted ahead", f"{o.a} ahead (P = {o.ahead:.2f})"
    if decided == "b":
        return "learned ahead", f"{o.b} ahead (P = {o.behind:.2f})"
    if decided == "equivalent":
        return "practically equivalent", f"equivalent (P = {o.equivalent:.2f})"
    return "undecided", f"undecided (P = {o.probs_text()})"


def difference(line: Line) -> Difference | None:
    """The line's difference signed learned minus hand-crafted; None where it is not paired."""
    p, o = line.pair, line.outcomes()
    if p is None or o is None or p.interval is None or line.learned is None:
        return None
    sign = 1.0 if p.a == line.learned.pipeline else -1.0
    low, high = sorted((sign * p.interval.low, sign * p.interval.high))
    outcome, label = outcome_of(o)
    return Difference(line.dataset, sign * p.diff_points, low, high, outcome, label, o.decide)


def differences(lines: list[Line]) -> list[Difference]:
    """Per dataset, its difference at the largest training size where both families were paired."""
    best: dict[str, tuple[int, Difference]] = {}
    for line in lines:
        d = difference(line)
        if d is not None and line.n_train >= best.get(line.dataset, (-1, d))[0]:
            best[line.dataset] = (line.n_train, d)
    return [d for _, (_, d) in sorted(best.items())]


def difference_figure(diffs: list[Difference]) -> Figure:
    decide = diffs[0].decide
    rope = 100 * decide.rope
    fig = Figure(figsize=(7.5, 1.2 + 0.45 * len(diffs)))
    ax = fig.add_subplot()
    ys = range(len(diffs))[::-1]  # the first dataset on top
    ax.axvspan(-rope, rope, color="#55A868", alpha=0.15, lw=0, label=f"ROPE ±{decide.rope_text()}")
    ax.axvline(0, color="#444", lw=0.8)
    for y, d in zip(ys, diffs, strict=True):
        colour = COLOURS[d.outcome]
        ax.plot([d.low, d.high], [y, y], color=colour, lw=2)
        ax.plot([d.points], [y], "o", color=colour, ms=7)
        ax.annotate(d.label, (d.high, y), xytext=(6, 0), textcoords="offset points",
                    va="center", size=8, color=colour)  # fmt: skip
    ax.set_yticks(list(ys), [d.dataset for d in diffs], size=9)
    ax.set_ylim(-0.7, len(diffs) + 0.1)  # room at the top for the legend
    ax.set_xlabel("best learned − best hand-crafted, accuracy points (95% interval)", size=9)
    ax.margins(x=0.25)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.set_title("Learned against hand-crafted, per dataset", size=10)
    fig.tight_layout()
    return fig


def caption(diffs: list[Difference]) -> str:
    decide = diffs[0].decide
    return (
        "Per dataset, at its largest training size: the best learned minus the best hand-crafted "
        "pipeline's mean accuracy in points, with the 95% interval of the difference (its "
        "procedure as in the verdict table); the shaded band is the region of practical "
        f"equivalence (ROPE, ±{decide.rope_text()}); the label is the Bayesian verdict, decided "
        f"where one of its three probabilities reaches {decide.threshold:g} (undecided: P "
        "hand-crafted ahead / within the ROPE / learned ahead)."
    )


def difference_plot(lines: list[Line]) -> Plot | None:
    """The headline picture; None with fewer than two datasets (the verdict table says it)."""
    diffs = differences(lines)
    if len(diffs) < 2:
        return None
    return Plot(
        name=NAME,
        kind=KIND,
        title=f"Learned against hand-crafted on {len(diffs)} datasets",
        caption=caption(diffs),
        png=to_png(difference_figure(diffs)),
    )
