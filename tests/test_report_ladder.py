"""The ladder section: one rung per pipeline, from nothing learned to everything learned."""

from __future__ import annotations

from pathlib import Path

from featcmp.records import Record, write_record
from featcmp.report.ladder import ladder_datasets, ladder_rows, rung_cells
from featcmp.report.table import build_rows
from featcmp.report.write import write_report
from tests.reportdata import make_record

Y = [0, 1, 2, 3] * 10  # 40 test images


def wrong(n: int) -> list[int]:
    return [(t + 1) % 4 if i < n else t for i, t in enumerate(Y)]


# (pipeline, family, wrong answers): listed out of ladder order on purpose.
RUNGS = [
    ("cnn", "learned", 2),  # a format-2 record's family: read as learned end to end
    ("kmeans_svm", "learned without labels", 6),
    ("raw_svm", "hand-crafted", 20),
    ("cnn_1layer", "learned end to end", 8),
    ("random_cnn_svm", "fixed random", 14),
    ("hog_svm", "hand-crafted", 10),
]
ORDER = ["raw_svm", "hog_svm", "random_cnn_svm", "kmeans_svm", "cnn_1layer", "cnn"]


def records() -> list[Record]:
    return [make_record(p, 0, Y, wrong(n), family=f) for p, f, n in RUNGS]


def test_rungs_climb_from_nothing_learned_to_everything_learned() -> None:
    rows = build_rows(records())
    assert ladder_datasets(rows) == ["scenes"]
    rungs = ladder_rows(rows, "scenes")
    assert [r.pipeline for r in rungs] == ORDER
    cells = rung_cells(rungs)
    assert cells[0][:3] == ["1", "raw_svm", "hand-crafted"]
    assert "classifier only" in cells[0][3] and "labels" in cells[-1][3]
    assert cells[-1][4] == "0.950" and cells[-1][5].startswith("[")


def test_report_lists_the_rungs_in_order_and_draws_the_ladder(tmp_path: Path) -> None:
    for r in records():
        write_record(tmp_path / "fixed" / f"{r.id}.json", r)
    write_report(tmp_path)
    pages = (("report.md", "## The ladder", "| {} |"), ("report.html", 'id="ladder"', ">{}<"))
    for page, head, cell in pages:
        text = (tmp_path / page).read_text(encoding="utf-8")
        section = text[text.index(head) :]
        positions = [section.index(cell.format(p)) for p in ORDER]
        assert positions == sorted(positions), page
    assert (tmp_path / "ladder-scenes.png").exists()


def test_one_family_has_no_ladder() -> None:
    rows = build_rows([make_record("raw_svm", 0, Y, Y), make_record("hog_svm", 0, Y, Y)])
    assert ladder_datasets(rows) == []
