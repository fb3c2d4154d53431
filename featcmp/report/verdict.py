"""The verdict the report opens with: hand-crafted against learned, per dataset and training size.

For each (dataset, training size): the best hand-crafted and the best learned row by mean
accuracy, and the three Bayesian outcomes of their comparison (`featcmp.report.bayes`): one side
ahead by more than the ROPE, practically equivalent, or undecided with what would decide it;
then the question it answers and the frequentist numbers, each named by its procedure. For a
dataset run at several training sizes: the size from which the learned side stays ahead (or
that it does not within the sizes run).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from featcmp.families import ELSEWHERE, TUNED, canonical, side
from featcmp.families import HAND_SIDE as HAND
from featcmp.families import LEARNED_SIDE as LEARNED
from featcmp.records import Record, Stopping
from featcmp.report.bayes import Decide, Outcomes, across_outcomes
from featcmp.report.html import table_html
from featcmp.report.significance import PairResult, p_text
from featcmp.report.table import Row, markdown_grid


@dataclass(frozen=True)
class Line:
    dataset: str
    n_train: int
    hand: Row | None
    learned: Row | None
    pair: PairResult | None
    exploratory: bool  # a best row was picked among settings compared on the test set
    stopping: Stopping | None = None  # seeds: auto: where its rule stopped adding seeds

    def learned_ahead(self) -> bool | None:
        if self.hand is None or self.learned is None:
            return None
        return self.learned.accuracy_mean > self.hand.accuracy_mean

    def outcomes(self) -> Outcomes | None:
        """The pair's outcomes, hand-crafted named first; None unpaired."""
        if self.pair is None or self.pair.outcomes is None or self.hand is None:
            return None
        return self.pair.outcomes.facing(self.hand.pipeline)

    def probs(self) -> tuple[float, float, float] | None:
        """(P hand-crafted ahead, P within the ROPE, P learned ahead), or None unpaired."""
        o = self.outcomes()
        return None if o is None else o.probs()

    def learned_decided_ahead(self) -> bool:
        o = self.outcomes()
        return o is not None and o.decided() == "b"

    def outcome(self) -> str:
        if self.hand is None or self.learned is None:
            missing = HAND if self.hand is None else LEARNED
            return f"no {missing} pipeline ran"
        p = self.pair
        if p is None:
            return "not paired: no shared test set with predictions"
        ci = f"{p.interval.signed_text()} ({p.interval.method})" if p.interval else ""
        numbers = f"{p.diff_points:+.1f} points {ci}, McNemar p (Holm) = {p_text(p.p_holm)}"
        if p.resampled is not None:
            numbers += f", corrected t p (Holm) = {p_text(p.resampled_p_holm)}"
        numbers = numbers.replace("= <", "<")
        o = self.outcomes()
        words = f"{o.words(p.minutes_per_seed)} ({o.question})" if o else "-"
        stop = f"; seeds: auto {self.stopping.text}" if self.stopping else ""
        return f"{words}{stop}; {p.a} - {p.b}: {numbers}"

    def short(self) -> str:
        """The verdict in one short line, for the terminal."""
        o = self.outcomes()
        if o is None:
            return f"{self.dataset}, n_train {self.n_train}: {self.outcome()}"
        stop = f" [seeds: auto {self.stopping.text}]" if self.stopping else ""
        head = f"{self.dataset}, n_train {self.n_train}, {o.a} vs {o.b}"
        return f"{head}: {o.words(self.pair.minutes_per_seed if self.pair else None)}{stop}"

    def probs_cell(self) -> str:
        probs = self.probs()
        return "-" if probs is None else " / ".join(f"{v:.2f}" for v in probs)

    def cells(self) -> list[str]:
        def name(r: Row | None) -> str:
            if r is None:
                return "-"
            # A side's best from another family (k-means on the hand-crafted side) says so.
            family = canonical(r.family)
            what = "" if family in (HAND, LEARNED) else f", {family}"
            return f"{r.pipeline}{what} ({r.accuracy_mean:.3f})"

        outcome = self.outcome() + (
            " - settings compared on the test set (exploratory)" if self.exploratory else ""
        )
        return [
            self.dataset,
            str(self.n_train),
            name(self.hand),
            name(self.learned),
            self.probs_cell(),
            outcome,
        ]

    def as_dict(self) -> dict[str, Any]:
        """The verdict for `featcmp report --format json`: the three probabilities first."""
        probs = self.probs()
        o = self.outcomes()
        return {
            "dataset": self.dataset,
            "n_train": self.n_train,
            "p_hand_crafted_ahead": probs[0] if probs else None,
            "p_within_rope": probs[1] if probs else None,
            "p_learned_ahead": probs[2] if probs else None,
            "rope": o.decide.rope if o else None,
            "threshold": o.decide.threshold if o else None,
            "question": o.question if o else None,
            "hand_crafted": self.hand.pipeline if self.hand else None,
            "learned": self.learned.pipeline if self.learned else None,
            "verdict": self.outcome(),
            "stopping": self.stopping.text if self.stopping else None,
        }


HEADERS = (
    "dataset",
    "n_train",
    "best hand-crafted",
    "best learned",
    "P hand-crafted ahead / within ROPE / learned ahead",
    "verdict",
)


def best(rows: list[Row], family: str) -> Row | None:
    ok = [r for r in rows if r.runs and side(r.family) == family]
    return max(ok, key=lambda r: (r.accuracy_mean, r.runs), default=None)


def elsewhere_note(rows: list[Row]) -> list[str]:
    """Where the networks trained on other data stand, per dataset and training size: they
    count on neither side (the verdict compares what is designed or learned from these images
    alone), so the note sets their best beside each side's best."""
    transfer = (ELSEWHERE, TUNED)
    places = sorted({(r.dataset, r.n_train) for r in rows if canonical(r.family) in transfer})
    parts = []
    for dataset, n in places:
        here = [r for r in rows if r.dataset == dataset and r.n_train == n and r.runs]
        of_family = ([r for r in here if canonical(r.family) == fam] for fam in transfer)
        tops = [max(found, key=lambda r: r.accuracy_mean) for found in of_family if found]
        cells = [f"{r.pipeline} {r.accuracy_mean:.3f}" for r in tops]
        sides = [(HAND, best(here, HAND)), (LEARNED, best(here, LEARNED))]
        cells += [f"best {name} {r.pipeline} {r.accuracy_mean:.3f}" for name, r in sides if r]
        parts.append(f"{dataset} at n_train {n}: {', '.join(cells)}")
    if not parts:
        return []
    return [
        "Learned elsewhere (a network trained on other data, frozen or fine-tuned) counts on "
        "neither side: the verdict compares what is designed or learned from these images "
        "alone. Where those rows stand: " + "; ".join(parts) + "."
    ]


def find_pair(
    pairs: list[PairResult], dataset: str, n_train: int, x: str, y: str
) -> PairResult | None:
    for p in pairs:
        if p.dataset == dataset and p.n_train == n_train and {p.a, p.b} == {x, y}:
            return p
    return None


def verdict_lines(
    rows: list[Row],
    pairs: list[PairResult],
    exploratory_rows: set[tuple[str, int, str]],
    stops: dict[tuple[str, int], Stopping] | None = None,
) -> list[Line]:
    """One line per (dataset, training size). `exploratory_rows`: (dataset, n_train, pipeline
    label) of rows from settings compared on the test set; `stops`: where `seeds: auto`
    stopped, by (dataset, n_train)."""
    places: dict[tuple[str, int], list[Row]] = {}
    for r in rows:
        places.setdefault((r.dataset, r.n_train), []).append(r)
    lines = []
    for (dataset, n_train), rs in sorted(places.items()):
        hand, learned = best(rs, HAND), best(rs, LEARNED)
        pair = None
        if hand and learned:
            pair = find_pair(pairs, dataset, n_train, hand.pipeline, learned.pipeline)
        exploratory = any(
            r is not None and (dataset, n_train, r.pipeline) in exploratory_rows
            for r in (hand, learned)
        )
        stop = (stops or {}).get((dataset, n_train))
        lines.append(Line(dataset, n_train, hand, learned, pair, exploratory, stop))
    return lines


def crossover(lines: list[Line]) -> dict[str, str]:
    """Per dataset with 2+ training sizes: where the learned side overtakes, in words."""
    by_dataset: dict[str, list[Line]] = {}
    for line in lines:
        if line.learned_ahead() is not None:
            by_dataset.setdefault(line.dataset, []).append(line)
    out = {}
    for dataset, ls in by_dataset.items():
        if len(ls) < 2:
            continue
        ls.sort(key=lambda line: line.n_train)
        sizes = f"{ls[0].n_train}-{ls[-1].n_train}"
        ahead = [bool(line.learned_ahead()) for line in ls]
        if not ahead[-1]:
            out[dataset] = f"the learned side does not overtake within the sizes run ({sizes})"
            continue
        start = len(ahead)
        while start > 0 and ahead[start - 1]:
            start -= 1
        first = ls[start]
        sig = [line.n_train for line in ls[start:] if line.learned_decided_ahead()]
        sig_text = f"; decidedly ahead from n_train = {sig[0]}" if sig else "; never decidedly"
        if start == 0:
            out[dataset] = f"the learned side is ahead at every size run ({sizes}){sig_text}"
        else:
            out[dataset] = (
                f"the learned side overtakes at n_train = {first.n_train} and stays ahead up to "
                f"{ls[-1].n_train}{sig_text}"
            )
    return out


@dataclass(frozen=True)
class Across:
    """Best learned against best hand-crafted over the report's datasets (each at its largest
    training size): the Bayesian signed-rank test's three outcomes."""

    outcomes: Outcomes
    datasets: list[tuple[str, int, float]]  # (dataset, n_train, learned - hand in points)

    def text(self) -> str:
        return (
            f"Across {len(self.datasets)} datasets, best learned against best hand-crafted "
            f"(Bayesian signed-rank test): {self.outcomes.words()}"
            f" ({self.outcomes.question})."
        )


ACROSS_HEADERS = ("dataset", "n_train", "best learned - best hand-crafted")
ACROSS_NOTE = (
    "Bayesian signed-rank test (Benavoli et al. 2014, 2017): a Dirichlet process over the "
    "per-dataset differences of mean accuracy (best learned minus best hand-crafted, each "
    "dataset at its largest training size), with a prior pseudo-observation at zero; the "
    "probabilities are the shares of 20,000 draws (fixed seed) in which 'learned ahead by more "
    "than the ROPE', 'within it' or 'hand-crafted ahead' holds the most mass. It answers the "
    "question for a new dataset like these; with few datasets it rarely decides. The Friedman "
    "test and Nemenyi diagram over every pipeline stay beside it."
)


def bayes_across(lines: list[Line], decide: Decide) -> Across | None:
    """The signed-rank comparison over datasets; None with fewer than two datasets."""
    largest: dict[str, tuple[int, float]] = {}
    for line in lines:
        if line.hand is None or line.learned is None:
            continue
        if line.dataset not in largest or line.n_train > largest[line.dataset][0]:
            diff = line.learned.accuracy_mean - line.hand.accuracy_mean
            largest[line.dataset] = (line.n_train, diff)
    if len(largest) < 2:
        return None
    points = [(d, n, 100 * diff) for d, (n, diff) in sorted(largest.items())]
    diffs = [diff for _, diff in (largest[d] for d, _, _ in points)]
    return Across(across_outcomes("learned", "hand-crafted", diffs, decide), points)


def stops_of(records: list[Record]) -> dict[tuple[str, int], Stopping]:
    """(dataset, n_train) -> where `seeds: auto` stopped there (the record that ran furthest)."""
    out: dict[tuple[str, int], Stopping] = {}
    for r in records:
        key, stop = (r.dataset.name, r.n_train), r.stopping
        if stop is not None and (key not in out or stop.seeds > out[key].seeds):
            out[key] = stop
    return out


def stopping_notes(lines: list[Line]) -> list[str]:
    """The stopping rules of the verdicts' `seeds: auto` runs, each once."""
    rules = sorted({line.stopping.rule for line in lines if line.stopping})
    return [
        f"Stopping rule ({rule}); the calibration: benchmarks/bayes_calibration.py."
        for rule in rules
    ]


def note(lines: list[Line]) -> str:
    decide = next((ln.pair.outcomes.decide for ln in lines if ln.pair and ln.pair.outcomes), None)
    settings = (
        f" (here ±{decide.rope_text()}; decided at P >= {decide.threshold:g})" if decide else ""
    )
    return (
        "Best of each family by mean accuracy. The verdict gives three probabilities: that the "
        "hand-crafted side leads by more than the region of practical equivalence (ROPE), that "
        "the two are within it, and that the learned side leads; it is decided when one of them "
        f"reaches the threshold{settings}; set both with `report: {{rope: 0.01, decide: 0.95}}` "
        "in the config or `featcmp report --rope 0.01 --decide 0.95`. Over seeds that re-split "
        "the data they come from the Bayesian correlated t-test and answer 'for a new training "
        "set of this size from this data'; on one split, from the paired test predictions, and "
        "answer 'these trained models, on this test set'. 'About N more seeds': with the current "
        "mean difference and spread, the seeds after which one outcome would reach the "
        "threshold; minutes from the runs' own fit and predict times. Then the frequentist "
        "numbers: the difference in percentage points with its 95% interval (its procedure in "
        "brackets), McNemar p Holm-adjusted within the dataset's pairs and, where seeds "
        "re-split the data, the corrected resampled t-test."
    )


def verdict_markdown(lines: list[Line], notes: list[str] | None = None) -> list[str]:
    """The verdict section of report.md; `notes` (exploratory rows, unreadable files) follow it."""
    notes = notes or []
    if not lines:
        return [*[f"- {n}" for n in notes], *([""] if notes else [])]
    out = [
        "## Verdict",
        "",
        *markdown_grid(HEADERS, [line.cells() for line in lines]),
        "",
    ]
    curves = crossover(lines)
    out += [f"- Learning curve, {d}: {text}." for d, text in sorted(curves.items())]
    return [
        *out,
        *([""] if curves else []),
        note(lines),
        "",
        *[f"- {n}" for n in notes],
        *([""] if notes else []),
    ]


def verdict_html(lines: list[Line], notes: list[str] | None = None) -> str:
    """The verdict's markup; report.html wraps it in its first section."""
    notes_html = "".join(f"<li>{escape(n)}</li>" for n in notes or [])
    notes_html = f'<ul class="notes">{notes_html}</ul>' if notes_html else ""
    if not lines:
        return notes_html
    curves = "".join(
        f"<li>Learning curve, {escape(d)}: {escape(t)}.</li>"
        for d, t in sorted(crossover(lines).items())
    )
    return (
        "<h2>Verdict</h2>"
        + table_html(HEADERS, [line.cells() for line in lines])
        + (f"<ul>{curves}</ul>" if curves else "")
        + f'<p class="note">{escape(note(lines))}</p>{notes_html}'
    )
