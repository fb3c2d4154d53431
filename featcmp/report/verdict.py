"""The verdict the report opens with: hand-crafted against learned, per dataset and training size.

For each (dataset, training size): the best hand-crafted and the best learned row by mean
accuracy, their paired difference with its 95% interval and Holm-adjusted p-value, or "no
significant difference". For a dataset run at several training sizes: the size from which the
learned side stays ahead (or that it does not within the sizes run).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from featcmp.report.html import table_html
from featcmp.report.significance import PairResult, p_text
from featcmp.report.table import Row, markdown_grid

HAND, LEARNED = "hand-crafted", "learned"


@dataclass(frozen=True)
class Line:
    dataset: str
    n_train: int
    hand: Row | None
    learned: Row | None
    pair: PairResult | None
    exploratory: bool  # a best row was picked among settings compared on the test set

    def learned_ahead(self) -> bool | None:
        if self.hand is None or self.learned is None:
            return None
        return self.learned.accuracy_mean > self.hand.accuracy_mean

    def outcome(self) -> str:
        if self.hand is None or self.learned is None:
            missing = HAND if self.hand is None else LEARNED
            return f"no {missing} pipeline ran"
        p = self.pair
        if p is None:
            return "not paired: no shared test set with predictions"
        ci = p.interval.signed_text() if p.interval else ""
        numbers = f"{p.diff_points:+.1f} points {ci}, McNemar p (Holm) = {p_text(p.p_holm)}"
        if p.resampled is not None:  # seeds re-split: the corrected t-test must agree
            numbers += f", corrected t p (Holm) = {p_text(p.resampled_p_holm)}"
        numbers = numbers.replace("= <", "<")
        if not p.significant():
            return f"no significant difference ({p.a} - {p.b}: {numbers})"
        return f"{p.a} ahead by {numbers}"

    def cells(self) -> list[str]:
        def name(r: Row | None) -> str:
            return "-" if r is None else f"{r.pipeline} ({r.accuracy_mean:.3f})"

        outcome = self.outcome() + (
            " - settings compared on the test set (exploratory)" if self.exploratory else ""
        )
        return [self.dataset, str(self.n_train), name(self.hand), name(self.learned), outcome]


HEADERS = ("dataset", "n_train", "best hand-crafted", "best learned", "verdict")


def best(rows: list[Row], family: str) -> Row | None:
    ok = [r for r in rows if r.runs and r.family == family]
    return max(ok, key=lambda r: (r.accuracy_mean, r.runs), default=None)


def find_pair(
    pairs: list[PairResult], dataset: str, n_train: int, x: str, y: str
) -> PairResult | None:
    for p in pairs:
        if p.dataset == dataset and p.n_train == n_train and {p.a, p.b} == {x, y}:
            return p
    return None


def verdict_lines(
    rows: list[Row], pairs: list[PairResult], exploratory_rows: set[tuple[str, int, str]]
) -> list[Line]:
    """One line per (dataset, training size). `exploratory_rows`: (dataset, n_train, pipeline
    label) of rows from settings compared on the test set."""
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
        lines.append(Line(dataset, n_train, hand, learned, pair, exploratory))
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
        sig = [line.n_train for line in ls[start:] if line.pair and line.pair.significant()]
        sig_text = (
            f"; significantly ahead from n_train = {sig[0]}" if sig else "; never significantly"
        )
        if start == 0:
            out[dataset] = f"the learned side is ahead at every size run ({sizes}){sig_text}"
        else:
            out[dataset] = (
                f"the learned side overtakes at n_train = {first.n_train} and stays ahead up to "
                f"{ls[-1].n_train}{sig_text}"
            )
    return out


NOTE = (
    "Best of each family by mean accuracy. A difference is called significant when its "
    "McNemar p-value, Holm-adjusted across every pair in this report, is below 0.05 (and, where "
    "seeds re-split the data, the Holm-adjusted corrected resampled t-test too). Differences "
    "are in percentage points with their 95% interval."
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
        NOTE,
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
        + f'<p class="note">{escape(NOTE)}</p>{notes_html}'
    )
