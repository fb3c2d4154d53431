"""`report.html`: one self-contained page (images embedded as base64, no external resources)."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from html import escape
from typing import Any

from featcmp.report.plots import Plot
from featcmp.report.runs import fingerprint_table, run_order, run_table, version_table
from featcmp.report.significance import (
    SIGNIFICANCE_HEADERS,
    SIGNIFICANCE_NOTE,
    PairResult,
    significance_cells,
)
from featcmp.report.table import HEADERS, Row, row_cells

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222;
       background: #fff; padding: 0 1em; }
h1 { border-bottom: 3px solid #DD8452; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .5em 0 1.5em; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; white-space: nowrap; }
th { background: #f0f0f0; }
td:first-child, th:first-child { text-align: left; }
figure { margin: 1em 0 2em; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 13px; color: #555; max-width: 900px; }
pre { background: #f7f7f7; padding: .5em; font-size: 12px; overflow-x: auto; }
.wide { overflow-x: auto; }
.note { font-size: 13px; color: #555; max-width: 900px; }
"""


def table_html(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f'<div class="wide">{table}</div>'


def figure_html(plot: Plot) -> str:
    data = base64.b64encode(plot.png).decode("ascii")
    return (
        f'<figure id="{escape(plot.name)}" data-kind="{escape(plot.kind)}">'
        f"<h3>{escape(plot.title)}</h3>"
        f'<img alt="{escape(plot.title)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{escape(plot.caption)}</figcaption></figure>"
    )


def significance_html(pairs: list[PairResult]) -> str:
    if not pairs:
        return "<p>No two pipelines were scored on the same test set.</p>"
    lines = "".join(f"<li>{escape(p.text())}</li>" for p in headline_pairs(pairs))
    return (
        f"<ul>{lines}</ul>"
        + table_html(SIGNIFICANCE_HEADERS, [significance_cells(p) for p in pairs])
        + f'<p class="note">{escape(SIGNIFICANCE_NOTE)}</p>'
    )


def headline_pairs(pairs: list[PairResult]) -> list[PairResult]:
    """The pairs at each dataset's largest training size: the sentences a reader looks for."""
    largest: dict[str, int] = {}
    for p in pairs:
        largest[p.dataset] = max(largest.get(p.dataset, 0), p.n_train)
    return [p for p in pairs if p.n_train == largest[p.dataset]]


def configs_html(records: list[dict[str, Any]]) -> str:
    parts = []
    for r in sorted(records, key=run_order):
        text = json.dumps(r.get("config", {}), indent=1, sort_keys=True)
        summary = f"{r.get('config_name', '')}/{r['pipeline']}-{r['id']} (seed {r['seed']})"
        parts.append(
            f"<details><summary>{escape(summary)}</summary><pre>{escape(text)}</pre></details>"
        )
    return "".join(parts)


def render_html(
    rows: list[Row],
    records: list[dict[str, Any]],
    pairs: list[PairResult],
    plots: list[Plot],
    top: str = "",
) -> str:
    """The page; `top` (the verdict section) comes first, under the title."""
    run_headers, run_rows = run_table(records)
    body = [
        "<h1>featcmp report</h1>",
        top,
        '<p class="note">Hand-crafted features plus an SVM versus features learned end to end, '
        "on the same train/test split per seed. Accuracy: mean ± standard deviation over runs "
        "(seeds); times are medians.</p>",
        "<h2>Accuracy</h2>",
        table_html(HEADERS, [row_cells(r) for r in rows]),
        "<h2>Paired significance</h2>",
        significance_html(pairs),
        "<h2>Plots</h2>",
        *[figure_html(p) for p in plots],
        "<h2>Runs</h2>",
        '<p class="note">One row per run; beyond the outcome, only the config keys whose value '
        "differs between runs get a column.</p>",
        table_html(run_headers, run_rows),
        "<h2>Dataset fingerprints</h2>",
        table_html(
            ["dataset", "seed", "n_train", "split fingerprint", "test-set fingerprint"],
            fingerprint_table(records),
        ),
        "<h2>Package versions</h2>",
        table_html(["package", "version"], version_table(records)),
        "<h2>Resolved config of each run</h2>",
        configs_html(records),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>featcmp report</title>"
        f"<style>{STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
