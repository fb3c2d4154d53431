"""The headline picture across datasets: present with two or more, absent with one."""

from __future__ import annotations

import re

from PIL import Image

from featcmp.records import write_record
from featcmp.report.difference_plot import NAME, differences
from featcmp.report.load import load_runs
from featcmp.report.rope import report_decide
from featcmp.report.write import verdict_of, write_report
from tests.reportdata import learning_curve_records, several_datasets_records


def write_runs(root, records):
    for r in records:
        write_record(root / f"{r.id}.json", r)
    write_report(root, rope=0.02)
    return root


def test_with_several_datasets_the_difference_plot_comes_first(tmp_path):
    root = write_runs(tmp_path, several_datasets_records(3))
    assert (root / f"{NAME}.png").exists()
    assert Image.open(root / f"{NAME}.png").width > 300
    md = (root / "report.md").read_text()
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\.png\)", md)
    assert pictures[0] == NAME and pictures.count(NAME) == 1
    assert md.index(f"({NAME}.png)") < md.index("## Accuracy")
    caption = md.split(f"({NAME}.png)")[1].split("\n\n")[1]
    assert "region of practical equivalence (ROPE, ±2 points)" in caption
    html = (root / "report.html").read_text()
    headline = html.split('<section class="headline">')[1].split("</section>")[0]
    assert re.findall(r'<figure id="([^"]+)"', headline)[0] == NAME
    assert html.count(f'<figure id="{NAME}"') == 1


def test_with_one_dataset_there_is_none(tmp_path):
    root = write_runs(tmp_path, learning_curve_records())
    assert not (root / f"{NAME}.png").exists()
    assert NAME not in (root / "report.md").read_text()
    assert NAME not in (root / "report.html").read_text()


def test_each_difference_is_learned_minus_hand_crafted_at_the_largest_size(tmp_path):
    root = write_runs(tmp_path, several_datasets_records(2))
    runs = load_runs(root).for_people()
    _, lines = verdict_of(runs.records, runs.rows, report_decide(runs.records, 0.02, None))
    diffs = differences(lines)
    assert [d.dataset for d in diffs] == [
        "holiday-photos-from-the-0-summer-trip",
        "holiday-photos-from-the-1-summer-trip",
    ]
    rows = {(r.dataset, r.pipeline): r for r in runs.rows if r.n_train == 200}
    for d in diffs:
        learned, hand = rows[(d.dataset, "cnn")], rows[(d.dataset, "hog_svm")]
        assert abs(d.points - 100 * (learned.accuracy_mean - hand.accuracy_mean)) < 1e-9
        assert d.low <= d.points <= d.high
        assert d.outcome in {
            "learned ahead",
            "hand-crafted ahead",
            "practically equivalent",
            "undecided",
        }
        assert d.decide.rope == 0.02
