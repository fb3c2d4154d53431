"""The accuracy table on narrow terminals: whole cells always, fewer columns instead of cut ones."""

from __future__ import annotations

import pytest
from rich.console import Console

from featcmp.report.console import fitted_table, print_rows
from featcmp.report.table import COLUMNS, HEADERS, Column, build_rows, row_cells
from tests.test_report import RECORDS, record

# One dataset, two training sizes, the longest built-in pipeline name, a failed run.
SCENES = [
    record(p, acc + 0.0123 * s, dataset="scenes", n_train=n, seed=s, family=f, dim=dim)
    for p, f, acc, dim in (
        ("sift_bovw_svm", "hand-crafted", 0.81, 200),
        ("hog_svm", "hand-crafted", 0.77, 324),
        ("cnn", "learned", 0.9, 123_456),
    )
    for n in (100, 1000)
    for s in range(3)
] + [record("edges_svm", None, dataset="scenes", n_train=1000, status="failed")]


def rendered(records: list[dict], width: int) -> list[str]:
    console = Console(record=True, width=width)
    print_rows(build_rows(records), title="compare on scenes", console=console)
    return console.export_text().splitlines()


def table_cells(lines: list[str]) -> tuple[list[str], list[list[str]]]:
    """(header cells, body rows) read back from the drawn table."""
    head = next(line for line in lines if line.startswith("┃"))
    body = [line for line in lines if line.startswith("│")]

    def split(line: str, bar: str) -> list[str]:
        return [c.strip() for c in line.strip()[1:-1].split(bar)]

    return split(head, "┃"), [split(line, "│") for line in body]


@pytest.mark.parametrize("records", [RECORDS, SCENES], ids=["two-datasets", "one-dataset"])
@pytest.mark.parametrize("width", [80, 100])
def test_every_cell_is_whole_at_narrow_widths(records, width):
    lines = rendered(records, width)
    assert max(len(line) for line in lines) <= width
    assert not any("…" in line for line in lines)
    headers, body = table_cells(lines)
    full = {h: i for i, h in enumerate(HEADERS)}
    short = {c.short: i for i, c in enumerate(COLUMNS)}
    columns = [full[h] if h in full else short[h] for h in headers]
    assert {"pipeline", "accuracy"} <= {HEADERS[c] for c in columns}
    expected = [[cells[c] for c in columns] for cells in map(row_cells, build_rows(records))]
    assert body == expected  # every shown cell whole: numbers, names, "0.900 ± 0.100"


def test_wide_terminal_shows_every_column_with_its_full_header():
    headers, _ = table_cells(rendered(RECORDS, 160))
    assert headers == list(HEADERS)


def test_narrow_table_says_what_moved_under_it_and_what_was_left_out():
    text = "\n".join(rendered(SCENES, 80))
    headers, _ = table_cells(text.splitlines())
    assert "dataset" not in headers
    assert "dataset scenes in every row" in text
    assert "left out to fit 80 columns: predict s" in text


def test_a_new_column_is_kept_when_it_fits_and_left_out_in_its_turn():
    columns = (*COLUMNS, Column("new column", "new", lambda r: "0.85-0.95", ("new",), drop=10))
    rows = [[*row_cells(r), "0.85-0.95"] for r in build_rows(RECORDS)]
    console = Console(record=True, width=200)
    console.print(fitted_table(columns, rows, 200))
    assert "new column" in console.export_text()
    narrow = Console(record=True, width=80)
    narrow.print(fitted_table(columns, rows, 80))
    text = narrow.export_text()
    assert "…" not in text and "left out to fit 80 columns: new column" in text
