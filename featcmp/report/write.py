"""`featcmp report DIR`: the table on the terminal, `report.md` and `results.csv` on disk."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from featcmp.errors import FeatcmpError
from featcmp.report.table import CSV_FIELDS, Row, build_rows, csv_rows, markdown_table
from featcmp.results import atomic_write_text, load_records


def render_markdown(rows: list[Row], records: list[dict]) -> str:
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
        "## Datasets",
        "",
        *[f"- {name}: fingerprint `{fp}`" for name, fp in fingerprints],
        "",
    ]
    return "\n".join(lines)


def render_csv(rows: list[Row]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(csv_rows(rows))
    return buf.getvalue()


def write_report(out_dir: str | Path) -> tuple[list[Row], list[Path]]:
    """Aggregate every record under `out_dir`; write report.md and results.csv there."""
    out_dir = Path(out_dir)
    records = load_records(out_dir)
    if not records:
        raise FeatcmpError(
            f"{out_dir}: no run records found; run `featcmp run CONFIG --out {out_dir}` first"
        )
    rows = build_rows(records)
    written = [out_dir / "report.md", out_dir / "results.csv"]
    atomic_write_text(written[0], render_markdown(rows, records))
    atomic_write_text(written[1], render_csv(rows))
    return rows, written
