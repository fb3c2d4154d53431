"""`report.html`: one self-contained page (images embedded as base64, no external resources)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from html import escape

from featcmp.records import Record
from featcmp.report.perclass import per_class_tables
from featcmp.report.plots import Plot
from featcmp.report.runs import run_order, run_table
from featcmp.report.table import HEADERS, Row, group_records, row_cells

STYLE = r"""
body { font-family: system-ui, sans-serif; margin: 1em auto; max-width: 1200px; color: #222;
       background: #fff; padding: 0 1em; }
h1 { border-bottom: 3px solid #DD8452; padding-bottom: .2em; margin: .2em 0 .3em; }
.lede { margin: 0 0 .8em; color: #444; }
#verdict { border-left: 5px solid #1F5FA8; background: #f4f7fb; padding: .4em 1em;
           margin: 0 0 1em; font-size: 16px; }
.headline { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr));
            gap: 0 1.5em; }
.headline figure { margin: 0 0 1em; }
nav { font-size: 14px; margin: .5em 0 1em; }
nav a { margin-right: 1em; }
table { border-collapse: collapse; margin: .5em 0 1.5em; font-size: 13px; }
/* Cells wrap at spaces and hyphens where a table would pass the page's edge (at 1280 px a
   suite's verdict and significance tables would): a table fits its page, none is cut. */
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; overflow-wrap: break-word; }
th { background: #f0f0f0; text-align: left; }
td.text { text-align: left; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th::after { content: " \2195"; color: #aaa; font-size: 11px; }
table.sortable th[aria-sort="ascending"]::after { content: " \2191"; color: #222; }
table.sortable th[aria-sort="descending"]::after { content: " \2193"; color: #222; }
.swatch { display: inline-block; width: .8em; height: .8em; margin-right: .4em;
          border-radius: 2px; vertical-align: -0.05em; }
figure { margin: 1em 0 2em; }
figure h3 { margin: .3em 0; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 13px; color: #555; max-width: 900px; }
pre { background: #f7f7f7; padding: .5em; font-size: 12px; overflow-x: auto; }
details:target { outline: 2px solid #DD8452; }
.wide { overflow-x: auto; }
.note { font-size: 13px; color: #555; max-width: 900px; }
"""

# Sorts a table by the clicked header (again: the other way round); numbers by value, the rest
# as text, cells without a number ('-', 'failed') last either way. Opens a linked config.
SCRIPT = r"""
(function () {
  function key(cell) {
    var text = cell.textContent.trim();
    if (/^[<>+\-\u2212]?\s*\d/.test(text)) {
      return parseFloat(text.replace(/^[<>]\s*/, "").replace(/,/g, "").replace("\u2212", "-"));
    }
    return text;
  }
  function sortBy(th) {
    var table = th.closest("table"), body = table.tBodies[0], col = th.cellIndex;
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    var rows = Array.from(body.rows).map(function (tr, i) { return [key(tr.cells[col]), i, tr]; });
    rows.sort(function (a, b) {
      var an = typeof a[0] === "number", bn = typeof b[0] === "number";
      if (an !== bn) { return an ? -1 : 1; }
      var c = an ? a[0] - b[0] : a[0].localeCompare(b[0], undefined, {numeric: true});
      return c * dir || a[1] - b[1];
    });
    rows.forEach(function (r) { body.appendChild(r[2]); });
  }
  document.querySelectorAll("table.sortable th").forEach(function (th) {
    th.tabIndex = 0;
    th.title = "sort by " + th.textContent;
    th.addEventListener("click", function () { sortBy(th); });
    th.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(th); }
    });
  });
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (el && el.tagName === "DETAILS") { el.open = true; }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();
"""


class Html(str):
    """A table cell that is markup already (a link, a swatch); plain strings are escaped."""


def cell_html(value: object) -> str:
    return value if isinstance(value, Html) else escape(str(value))


NUMBER = re.compile(r"^[<>+\-\u2212]?\s*\d")  # as the sort script reads a cell
NO_VALUE = {"", "-", "failed", "null"}


def text_columns(rows: Sequence[Sequence[object]]) -> set[int]:
    """Columns holding words (names, links): drawn left-aligned; numbers stay right."""
    width = max((len(r) for r in rows), default=0)
    return {
        i
        for i in range(width)
        if any(
            isinstance(r[i], Html) or not (str(r[i]) in NO_VALUE or NUMBER.match(str(r[i])))
            for r in rows
            if i < len(r)
        )
    }


def table_html(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A sortable table; `Html` cells go in as they are, the others escaped."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    text = text_columns(rows)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="text">{cell_html(c)}</td>' if i in text else f"<td>{cell_html(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    table = f'<table class="sortable"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    return f'<div class="wide">{table}</div>'


def config_anchor(record: Record) -> str:
    return f"config-{record.id}"


def swatch(pipeline: str, colours: dict[str, str]) -> Html:
    colour = colours.get(pipeline)
    mark = f'<span class="swatch" style="background:{colour}"></span>' if colour else ""
    return Html(mark + escape(pipeline))


def figure_html(plot: Plot) -> str:
    data = base64.b64encode(plot.png).decode("ascii")
    return (
        f'<figure id="{escape(plot.name)}" data-kind="{escape(plot.kind)}">'
        f"<h3>{escape(plot.title)}</h3>"
        f'<img alt="{escape(plot.title)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{escape(plot.caption)}</figcaption></figure>"
    )


def configs_html(records: list[Record]) -> str:
    parts = []
    for r in sorted(records, key=run_order):
        text = json.dumps(r.config, indent=1, sort_keys=True)
        summary = f"{r.name} (seed {r.seed})"
        parts.append(
            f'<details id="{escape(config_anchor(r))}"><summary>{escape(summary)}</summary>'
            f"<pre>{escape(text)}</pre></details>"
        )
    return "".join(parts)


def config_links(records: list[Record]) -> Html:
    """Links to the resolved configs of `records`, one per seed."""
    links = [
        f'<a href="#{escape(config_anchor(r))}">seed {escape(str(r.seed))}</a>'
        for r in sorted(records, key=run_order)
    ]
    return Html(" ".join(links))


def accuracy_html(rows: list[Row], records: list[Record], colours: dict[str, str]) -> str:
    """The accuracy table, each row linked to the resolved configs of its runs."""
    by_row = group_records(records)
    cells = []
    for row in rows:
        text: list[object] = list(row_cells(row))
        text[HEADERS.index("pipeline")] = swatch(row.pipeline, colours)
        runs = by_row.get((row.dataset, row.pipeline, row.n_train), [])
        cells.append([*text, config_links(runs)])
    return table_html([*HEADERS, "resolved configs"], cells)


def no_per_class(records: list[Record]) -> str | None:
    return None if per_class_tables(records) else "No run record holds a confusion matrix."


def per_class_html(records: list[Record], colours: dict[str, str]) -> str:
    parts = []
    for t in per_class_tables(records):
        cells = [[swatch(c[0], colours), *c[1:]] for c in t.cells()]
        parts += [
            f"<h3>{escape(t.dataset)}, {t.n_train} training images</h3>",
            table_html(t.headers(), cells),
        ]
    return "".join(parts)


def runs_html(records: list[Record]) -> str:
    """The runs table with each record name linked to its resolved config."""
    headers, rows = run_table(records)
    anchors = {r.name: r for r in records}
    linked = []
    for row in rows:
        r = anchors.get(row[0])
        name = Html(f'<a href="#{escape(config_anchor(r))}">{escape(row[0])}</a>') if r else row[0]
        linked.append([name, *row[1:]])
    return table_html(headers, linked)


def summary_line(rows: list[Row], records: list[Record]) -> str:
    datasets = sorted({r.dataset for r in rows})
    pipelines = sorted({r.pipeline for r in rows})
    failed = sum(r.failed for r in rows)
    return (
        f"{len(pipelines)} pipeline{'s' * (len(pipelines) != 1)} on "
        f"{', '.join(datasets)}; {len(records)} run{'s' * (len(records) != 1)}"
        + (f", {failed} failed" if failed else "")
        + "."
    )


def verdict_section(verdict_html: str) -> str:
    """The report's first block: the answer in words (markup written by the statistics code)."""
    return f'<section id="verdict">{verdict_html}</section>' if verdict_html.strip() else ""


def document(title: str, body: str) -> str:
    """A whole page: `body` (markup) with the style and the sort script, nothing external."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        f"<style>{STYLE}</style></head><body>\n"
        + body
        + f"\n<script>{SCRIPT}</script>\n</body></html>\n"
    )
