"""The report's sections, declared once: report.md and report.html walk the same list.

Each section has a title, an anchor, its prose (paragraphs under the content) and its content
for each page; a section without markdown content is in report.html only (the page that has
room for every run's config), and `missing` says, instead of content and prose, why a section
has nothing to show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from html import escape

from featcmp.records import Record
from featcmp.report import html as page
from featcmp.report.difference_plot import KIND as DIFFERENCE_KIND
from featcmp.report.ladder import HEADERS as LADDER_HEADERS
from featcmp.report.ladder import NOTE as LADDER_NOTE
from featcmp.report.ladder import ladder_datasets, ladder_rows, rung_cells
from featcmp.report.names import source_text
from featcmp.report.plots import Plot, headline_plots, pipeline_colours
from featcmp.report.runs import fingerprint_table, version_table
from featcmp.report.significance import (
    SIGNIFICANCE_HEADERS,
    SIGNIFICANCE_NOTE,
    PairResult,
    significance_cells,
)
from featcmp.report.table import Row, markdown_grid, markdown_table
from featcmp.report.verdict import ACROSS_HEADERS, ACROSS_NOTE, Across

TITLE = "featcmp report"
LEDE = (
    "Hand-crafted features plus an SVM versus features learned end to end, "
    "on the same train/test split per seed."
)
ACCURACY_NOTE = "Accuracy: mean ± standard deviation over runs (seeds); times are medians."
INTERVAL_NOTE = (
    "95% interval of the accuracy: Wilson for one run; over seeds that re-split the data, the "
    "corrected resampled t interval of Nadeau & Bengio (2003), never narrower than Wilson's for "
    "one test set; over seeds sharing one test set, Wilson on the mean correct count."
)
PER_CLASS_NOTE = (
    "Share of each class's test images classified correctly (recall), from the confusion "
    "matrices summed over seeds at the largest training size; mean: the unweighted mean over "
    "classes (balanced accuracy)."
)
RUNS_NOTE = (
    "One row per run; beyond the outcome, only the config keys whose value differs between "
    "runs get a column."
)
MARKDOWN_END = (
    "report.html holds all of this in one file, with each run's resolved config and the "
    "package versions."
)
FINGERPRINT_HEADERS = (
    "dataset",
    "source",
    "seed",
    "n_train",
    "split fingerprint",
    "test-set fingerprint",
)
FINGERPRINT_NOTE = (
    "Datasets go by the names people know them by; the source is the run config's "
    "dataset.source and dataset.path."
)


@dataclass
class Report:
    """What the sections are drawn from."""

    rows: list[Row]
    records: list[Record]
    pairs: list[PairResult] = field(default_factory=list)
    plots: list[Plot] = field(default_factory=list)
    across: Across | None = None  # best learned vs best hand-crafted over the datasets

    @cached_property
    def colours(self) -> dict[str, str]:
        return pipeline_colours(self.rows)

    @cached_property
    def across_plot(self) -> list[Plot]:
        """With several datasets, the one picture of them all, shown first (else empty)."""
        return [p for p in self.plots if p.kind == DIFFERENCE_KIND]

    @cached_property
    def headline(self) -> list[Plot]:
        return [*self.across_plot, *headline_plots(self.plots)]


@dataclass(frozen=True)
class Section:
    title: str
    anchor: str
    prose: tuple[str, ...]
    html: Callable[[Report], str]
    markdown: Callable[[Report], list[str]] | None = None  # None: in report.html only
    missing: Callable[[Report], str | None] = lambda report: None


def headline_pairs(pairs: list[PairResult]) -> list[PairResult]:
    """The pairs at each dataset's largest training size: the sentences a reader looks for."""
    largest: dict[str, int] = {}
    for p in pairs:
        largest[p.dataset] = max(largest.get(p.dataset, 0), p.n_train)
    return [p for p in pairs if p.n_train == largest[p.dataset]]


def no_pairs(report: Report) -> str | None:
    return None if report.pairs else "No two pipelines were scored on the same test set."


def significance_markdown(report: Report) -> list[str]:
    cells = [significance_cells(p) for p in report.pairs]
    return [
        *[f"- {p.text()}" for p in headline_pairs(report.pairs)],
        "",
        *markdown_grid(SIGNIFICANCE_HEADERS, cells),
        "",
    ]


def significance_html(report: Report) -> str:
    lines = "".join(f"<li>{escape(p.text())}</li>" for p in headline_pairs(report.pairs))
    cells = [significance_cells(p) for p in report.pairs]
    return f"<ul>{lines}</ul>" + page.table_html(SIGNIFICANCE_HEADERS, cells)


def across_cells(across: Across) -> list[list[str]]:
    return [[d, str(n), f"{diff:+.1f} points"] for d, n, diff in across.datasets]


def no_across(report: Report) -> str | None:
    if report.across is not None:
        return None
    return "Fewer than two datasets with both families: nothing to compare across datasets."


def across_markdown(report: Report) -> list[str]:
    assert report.across is not None
    cells = across_cells(report.across)
    return [f"- {report.across.text()}", "", *markdown_grid(ACROSS_HEADERS, cells), ""]


def across_html(report: Report) -> str:
    assert report.across is not None
    cells = across_cells(report.across)
    return f"<p>{escape(report.across.text())}</p>" + page.table_html(ACROSS_HEADERS, cells)


def plot_markdown(p: Plot) -> list[str]:
    return [f"### {p.title}", "", f"![{p.title}]({p.name}.png)", "", p.caption, ""]


def plots_markdown(report: Report) -> list[str]:
    first = set(map(id, report.across_plot))  # drawn under the verdict already
    return [line for p in report.plots if id(p) not in first for line in plot_markdown(p)]


def plots_html(report: Report) -> str:
    headline = {p.name for p in report.headline}  # drawn at the top of the page already
    return "".join(page.figure_html(p) for p in report.plots if p.name not in headline)


def ladder_markdown(report: Report) -> list[str]:
    lines: list[str] = []
    for dataset in ladder_datasets(report.rows):
        cells = rung_cells(ladder_rows(report.rows, dataset))
        lines += [f"### {dataset}", "", *markdown_grid(LADDER_HEADERS, cells), ""]
    return lines


def ladder_html(report: Report) -> str:
    return "".join(
        f"<h3>{escape(d)}</h3>"
        + page.table_html(LADDER_HEADERS, rung_cells(ladder_rows(report.rows, d)))
        for d in ladder_datasets(report.rows)
    )


def no_ladder(report: Report) -> str | None:
    return None if ladder_datasets(report.rows) else "No dataset ran pipelines of two families."


def fingerprints_markdown(report: Report) -> list[str]:
    seen = sorted(
        {(r.dataset.name, source_text(r), r.dataset.fingerprint or "") for r in report.records}
    )
    return [*[f"- {name} ({src}): fingerprint `{fp}`" for name, src, fp in seen if fp], ""]


SECTIONS = (
    Section(
        "Accuracy",
        "accuracy",
        (ACCURACY_NOTE, INTERVAL_NOTE),
        lambda r: page.accuracy_html(r.rows, r.records, r.colours),
        lambda r: [markdown_table(r.rows)],
    ),
    Section(
        "Per-class accuracy",
        "per-class",
        (PER_CLASS_NOTE,),
        lambda r: page.per_class_html(r.records, r.colours),
        missing=lambda r: page.no_per_class(r.records),
    ),
    Section(
        "Paired significance",
        "significance",
        (SIGNIFICANCE_NOTE,),
        significance_html,
        significance_markdown,
        missing=no_pairs,
    ),
    Section(
        "Across datasets",
        "across",
        (ACROSS_NOTE,),
        across_html,
        across_markdown,
        missing=no_across,
    ),
    Section("The ladder", "ladder", (LADDER_NOTE,), ladder_html, ladder_markdown, no_ladder),
    Section("Plots", "plots", (), plots_html, plots_markdown),
    Section("Runs", "runs", (RUNS_NOTE,), lambda r: page.runs_html(r.records)),
    Section(
        "Dataset fingerprints",
        "fingerprints",
        (FINGERPRINT_NOTE,),
        lambda r: page.table_html(FINGERPRINT_HEADERS, fingerprint_table(r.records)),
        fingerprints_markdown,
    ),
    Section(
        "Package versions",
        "versions",
        (),
        lambda r: page.table_html(("package", "version"), version_table(r.records)),
    ),
    Section("Resolved configs", "configs", (), lambda r: page.configs_html(r.records)),
)


def section_markdown(section: Section, report: Report) -> list[str]:
    assert section.markdown is not None
    lines = [f"## {section.title}", ""]
    if (missing := section.missing(report)) is not None:
        return [*lines, missing, ""]
    lines += section.markdown(report)
    for paragraph in section.prose:
        lines += [paragraph, ""]
    return lines


def section_html(section: Section, report: Report) -> str:
    head = f'<h2 id="{section.anchor}">{escape(section.title)}</h2>'
    if (missing := section.missing(report)) is not None:
        return f"{head}<p>{escape(missing)}</p>"
    prose = "".join(f'<p class="note">{escape(p)}</p>' for p in section.prose)
    return head + section.html(report) + prose


def render_markdown(report: Report, top: list[str] | None = None) -> str:
    """report.md: the title, `top` (the verdict), the picture across datasets (where there are
    several), the lede, then every section it holds."""
    lines = [f"# {TITLE}", "", *(top or [])]
    lines += [line for p in report.across_plot for line in plot_markdown(p)]
    lines += [LEDE, ""]
    for section in SECTIONS:
        if section.markdown is not None:
            lines += section_markdown(section, report)
    return "\n".join([*lines, MARKDOWN_END, ""])


def render_html(report: Report, verdict_html: str = "") -> str:
    """The page leads with the answer: `verdict_html` (trusted markup; empty: no verdict block)
    and each dataset's headline plot, then every section."""
    nav = " ".join(f'<a href="#{s.anchor}">{escape(s.title)}</a>' for s in SECTIONS)
    body = [
        f"<h1>{TITLE}</h1>",
        f'<p class="lede">{escape(page.summary_line(report.rows, report.records))}</p>',
        page.verdict_section(verdict_html),
        '<section class="headline">'
        + "".join(page.figure_html(p) for p in report.headline)
        + "</section>",
        f"<nav>{nav}</nav>",
        f'<p class="note">{escape(LEDE)} Click a column header to sort a table.</p>',
        *[section_html(s, report) for s in SECTIONS],
    ]
    return page.document(TITLE, "\n".join(b for b in body if b))
