"""`featcmp report DIR`: the table on the terminal; report.md (+ PNGs), report.html, results.csv."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from featcmp.errors import FeatcmpError
from featcmp.files import atomic_write_bytes, atomic_write_text
from featcmp.records import load_records
from featcmp.report.html import headline_pairs, render_html
from featcmp.report.plots import Plot, all_plots
from featcmp.report.significance import (
    SIGNIFICANCE_HEADERS,
    SIGNIFICANCE_NOTE,
    PairResult,
    compare_pipelines,
    significance_cells,
)
from featcmp.report.table import CSV_FIELDS, Row, build_rows, csv_rows, markdown_table


def significance_markdown(pairs: list[PairResult]) -> list[str]:
    if not pairs:
        return ["No two pipelines were scored on the same test set.", ""]
    table = [
        "| " + " | ".join(SIGNIFICANCE_HEADERS) + " |",
        "|" + "---|" * len(SIGNIFICANCE_HEADERS),
    ]
    table += ["| " + " | ".join(significance_cells(p)) + " |" for p in pairs]
    return [
        *[f"- {p.text()}" for p in headline_pairs(pairs)],
        "",
        *table,
        "",
        SIGNIFICANCE_NOTE,
        "",
    ]


def plots_markdown(plots: list[Plot]) -> list[str]:
    lines = []
    for p in plots:
        lines += [f"### {p.title}", "", f"![{p.title}]({p.name}.png)", "", p.caption, ""]
    return lines


def render_markdown(
    rows: list[Row],
    records: list[dict],
    pairs: list[PairResult] | None = None,
    plots: list[Plot] | None = None,
) -> str:
    fingerprints = sorted(
        {
            (r["dataset"]["name"], r["dataset"]["fingerprint"])
            for r in records
            if "fingerprint" in r["dataset"]
        }
    )
    lines = [
        "# featcmp report",
        "",
        "Hand-crafted features plus an SVM versus features learned end to end, "
        "on the same train/test split per seed.",
        "",
        markdown_table(rows),
        "accuracy: mean ± standard deviation over runs (seeds); times are medians.",
        "",
        "## Paired significance",
        "",
        *significance_markdown(pairs or []),
        "## Plots",
        "",
        *plots_markdown(plots or []),
        "## Datasets",
        "",
        *[f"- {name}: fingerprint `{fp}`" for name, fp in fingerprints],
        "",
        "report.html holds all of this in one file, with each run's resolved config and the "
        "package versions.",
        "",
    ]
    return "\n".join(lines)


def render_csv(rows: list[Row]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(csv_rows(rows))
    return buf.getvalue()


def unique_runs(records: list[dict]) -> list[dict]:
    """One record per job id: the same job saved under two config names is one run, not two."""
    seen: dict[str, dict] = {}
    for r in records:
        seen.setdefault(r["id"], r)
    return list(seen.values())


def write_report(out_dir: str | Path) -> tuple[list[Row], list[Path]]:
    """Aggregate the records under `out_dir`; write PNGs, report.md, report.html, results.csv."""
    out_dir = Path(out_dir)
    records = unique_runs(load_records(out_dir))
    if not records:
        raise FeatcmpError(
            f"{out_dir}: no run records found; run `featcmp run CONFIG --out {out_dir}` first"
        )
    rows = build_rows(records)
    pairs = compare_pipelines(records)
    plots = all_plots(rows, records)
    written = []
    for plot in plots:  # the PNGs first: report.md never names a picture that is not there
        written.append(out_dir / f"{plot.name}.png")
        atomic_write_bytes(written[-1], plot.png)
    written += [out_dir / "report.md", out_dir / "report.html", out_dir / "results.csv"]
    atomic_write_text(written[-3], render_markdown(rows, records, pairs, plots))
    atomic_write_text(written[-2], render_html(rows, records, pairs, plots))
    atomic_write_text(written[-1], render_csv(rows))
    return rows, written
