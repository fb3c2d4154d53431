"""Report rows per setting, pairs on one test set only, exploratory grids, the verdict first,
the critical-difference diagram across datasets, and unreadable records named."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

from featcmp.records import Record, write_record
from featcmp.report.settings import compared_on_test_set, label_settings
from featcmp.report.significance import compare_pipelines
from featcmp.report.table import build_rows
from featcmp.report.write import write_report
from tests.reportdata import make_record, write_json

Y = [0, 1, 2, 3] * 10  # 40 test images


def wrong(n: int) -> list[int]:
    return [(t + 1) % 4 if i < n else t for i, t in enumerate(Y)]


def hog(c: float, pred: list[int], seed: int = 0, **kw) -> Record:
    r = make_record("hog_svm", seed, Y, pred, params={"svm": {"C": c}}, **kw)
    return replace(r, id=f"{r.id}-C{c}")


def on(dataset: str, r: Record) -> Record:
    return replace(r, id=f"{r.id}-{dataset}", dataset=replace(r.dataset, name=dataset))


def save(root: Path, records: list[Record]) -> None:
    for r in records:
        write_record(root / "fixed" / f"{r.id}.json", r)


def test_two_settings_of_one_pipeline_are_two_rows():
    records = [hog(10, wrong(4)), hog(10, wrong(6), seed=1), hog(0.01, wrong(30))]
    rows = {r.pipeline: r for r in build_rows(label_settings(records))}
    assert set(rows) == {"hog_svm [C=10]", "hog_svm [C=0.01]"}
    assert rows["hog_svm [C=10]"].runs == 2  # the seed is not a setting: seeds still pool
    assert rows["hog_svm [C=0.01]"].runs == 1
    assert rows["hog_svm [C=0.01]"].accuracy_mean == 0.25


def test_one_setting_keeps_its_plain_name():
    records = [hog(10, wrong(4)), make_record("cnn", 0, Y, Y, family="learned")]
    assert {r.pipeline for r in build_rows(label_settings(records))} == {"hog_svm", "cnn"}


def test_settings_on_one_test_set_pair_as_separate_pipelines():
    records = label_settings([hog(10, wrong(0)), hog(0.01, wrong(20))])
    (pair,) = compare_pipelines(records)
    assert (pair.a, pair.b) == ("hog_svm [C=10]", "hog_svm [C=0.01]")
    assert (pair.b_total, pair.c_total) == (20, 0)


def test_mcnemar_never_pairs_different_test_sets():
    records = [
        make_record("hog_svm", 0, Y, wrong(5), test_fingerprint="A"),
        make_record("cnn", 0, Y, Y, family="learned", test_fingerprint="B"),
        # Same claimed test set, other labels: not the same images, never paired.
        make_record("raw_svm", 0, list(reversed(Y)), Y, test_fingerprint="A"),
    ]
    assert compare_pipelines(records) == []


def test_settings_compared_on_the_test_set_are_flagged():
    grid = [  # a grid labels its points; the registry name shows they are one pipeline
        replace(hog(c, wrong(n)), pipeline=f"hog_svm.C-{c}", registry_name="hog_svm")
        for c, n in ((10, 2), (0.01, 20))
    ]
    assert compared_on_test_set(grid) == {("scenes", 100, "hog_svm (hand-crafted)")}
    chosen_on_validation = [replace(r, selection={"method": "cv"}) for r in grid]
    assert compared_on_test_set(chosen_on_validation) == set()
    other_sets = [hog(10, wrong(2), test_fingerprint="A"), hog(1, wrong(2), test_fingerprint="B")]
    assert compared_on_test_set(other_sets) == set()


def test_a_fine_tuned_cnn_is_not_a_setting_of_the_scratch_cnn():
    scratch = make_record("cnn", 0, Y, wrong(3), family="learned end to end")
    tuned = make_record("cnn", 0, Y, wrong(1), family="learned elsewhere, then tuned",
                        params={"init_from": "cifar10.model.pt"})  # fmt: skip
    tuned = replace(tuned, id=f"{tuned.id}-tuned", pipeline="cnn_tuned")
    assert compared_on_test_set([scratch, tuned]) == set()


def test_report_opens_with_the_verdict_and_labels_exploratory_rows(tmp_path):
    records = [
        hog(10, wrong(20), n_train=50),
        make_record("cnn", 0, Y, wrong(30), n_train=50, family="learned"),
        hog(10, wrong(20), n_train=400),
        hog(0.01, wrong(25), n_train=400),
        make_record("cnn", 0, Y, Y, n_train=400, family="learned"),
    ]
    save(tmp_path, records)
    write_report(tmp_path, stderr=io.StringIO())
    md = (tmp_path / "report.md").read_text()
    assert md.startswith("# featcmp report\n\n## Verdict\n")
    verdict = md[: md.index("Hand-crafted features plus")]
    # n_train 50: hog_svm (0.5) vs cnn (0.25) on one split of 40 images, b = 10, c = 0: the
    # agreement table's posterior puts all its mass on hog_svm ahead; McNemar p = 2/2^10, Holm
    # over the dataset's 3 pairs.
    assert (
        "| scenes | 50 | hog_svm [C=10] (0.500) | cnn (0.250) | 1.00 / 0.00 / 0.00 | "
        "hog_svm [C=10] ahead (P = 1.00 that it leads by more than 1 point) (these trained "
        "models, on this test set); hog_svm [C=10] - cnn: +25.0 points [+10.1, +37.5] "
        "(Agresti-Min), McNemar p (Holm) = 0.004 |" in verdict
    )
    assert (
        "| scenes | 400 | hog_svm [C=10] (0.500) | cnn (1.000) | 0.00 / 0.00 / 1.00 | cnn ahead ("
        in md
    )
    assert "the learned side overtakes at n_train = 400" in verdict
    assert "decidedly ahead from n_train = 400" in verdict
    assert "compared on the test set (exploratory)" in verdict
    assert "hog_svm [C=0.01] (scenes, n_train 400)" in verdict
    html = (tmp_path / "report.html").read_text()
    assert html.index('<section id="verdict">') < html.index('<h2 id="accuracy">Accuracy</h2>')
    verdict_html = html[html.index('<section id="verdict">') : html.index('id="accuracy"')]
    # The verdict leads with its three probabilities, before the words.
    assert verdict_html.index("P hand-crafted ahead / within ROPE / learned ahead") < (
        verdict_html.index("hog_svm [C=10] ahead (P = 1.00")
    )


def test_a_near_tie_on_one_split_is_undecided(tmp_path):
    save(tmp_path, [hog(10, wrong(10)), make_record("cnn", 0, Y, wrong(11), family="learned")])
    write_report(tmp_path, stderr=io.StringIO())
    md = (tmp_path / "report.md").read_text()
    assert (
        "| scenes | 100 | hog_svm (0.750) | cnn (0.725) | 0.63 / 0.21 / 0.16 | undecided (P = "
        "0.63 / 0.21 / 0.16 for hog_svm ahead / within ±1 point / cnn ahead): re-split seeds" in md
    )
    assert "(these trained models, on this test set)" in md


def test_three_datasets_give_a_critical_difference_diagram(tmp_path):
    records = []
    for name, (h, c) in {"digits": (5, 0), "faces": (8, 2), "scenes": (10, 9)}.items():
        records += [on(name, hog(10, wrong(h))), on(name, make_record("cnn", 0, Y, wrong(c)))]
    save(tmp_path, records)
    _, written = write_report(tmp_path, stderr=io.StringIO())
    assert tmp_path / "critical-difference.png" in written
    md = (tmp_path / "report.md").read_text()
    # cnn ranks first on all three: ranks (2, 1), chi2_F = 12*3/(2*3) * (4 + 1 - 4.5) = 3.
    assert "Friedman over 3 datasets and 2 pipelines: chi2_F = 3.00" in md
    assert "![Critical-difference diagram over 3 datasets](critical-difference.png)" in md
    assert 'data-kind="critical-difference"' in (tmp_path / "report.html").read_text()


def test_two_datasets_draw_no_diagram(tmp_path):
    records = []
    for name in ("digits", "faces"):
        records += [on(name, hog(10, wrong(5))), on(name, make_record("cnn", 0, Y, Y))]
    save(tmp_path, records)
    _, written = write_report(tmp_path, stderr=io.StringIO())
    assert tmp_path / "critical-difference.png" not in written


def test_a_truncated_record_is_named_and_the_report_still_written(tmp_path):
    save(tmp_path, [hog(10, wrong(4)), make_record("cnn", 0, Y, Y, family="learned")])
    broken = tmp_path / "fixed" / "cnn-lost.json"
    text = (tmp_path / "fixed" / "cnn-0-100.json").read_text()
    broken.write_text(text[: len(text) // 2])
    (tmp_path / "fixed" / "notes.json").write_text('{"comment": "not a record"}')
    err = io.StringIO()
    rows, written = write_report(tmp_path, stderr=err)
    lines = err.getvalue().splitlines()
    assert len(lines) == 1  # other JSON files are not records and are not reported
    assert str(broken) in lines[0] and "unreadable record (invalid JSON" in lines[0]
    assert {r.pipeline for r in rows} == {"hog_svm", "cnn"}
    assert tmp_path / "report.md" in written
    assert str(broken) in (tmp_path / "report.md").read_text()


def test_featcmp_report_names_a_truncated_record_and_exits_zero(tmp_path):
    from typer.testing import CliRunner

    from featcmp.cli import app

    save(tmp_path, [hog(10, wrong(4))])
    (tmp_path / "fixed" / "lost.json").write_text('{"schema": 1, "id": "ab')
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"{tmp_path / 'fixed' / 'lost.json'}: unreadable record" in result.stderr
    assert (tmp_path / "report.md").exists()


def bad(r: Record, **changes) -> dict:
    """`r` as its file holds it, with `changes` that no run would write."""
    return {**r.to_json(), **changes}


BAD_RECORDS = {  # file name: (what the file holds, what stderr says)
    "text-accuracy": (
        bad(make_record("cnn", 1, Y, Y, family="learned"), accuracy="high"),
        "accuracy: expected a number, got a string 'high'",
    ),
    "short-predictions": (
        bad(make_record("cnn", 2, Y, Y, family="learned"), predictions=Y[:-3]),
        "37 predictions for 40 test labels (y_true)",
    ),
    "disagreeing-accuracy": (
        bad(make_record("cnn", 3, Y, wrong(10), family="learned"), accuracy=0.95),
        "accuracy 0.95, but 0.75 of its predictions are right",
    ),
}


def test_records_whose_numbers_cannot_be_true_are_named_and_left_out(tmp_path):
    from typer.testing import CliRunner

    from featcmp.cli import app

    save(tmp_path, [hog(10, wrong(4)), make_record("cnn", 0, Y, Y, family="learned")])
    for name, (data, _) in BAD_RECORDS.items():
        write_json(tmp_path / "fixed" / f"{name}.json", data)
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 0, result.output
    named = [line for line in result.stderr.splitlines() if "unreadable record" in line]
    assert len(named) == len(BAD_RECORDS)
    for name, (_, reason) in BAD_RECORDS.items():
        line = next(line for line in named if f"{name}.json" in line)
        assert reason in line and line.endswith("left out of the report"), line
    md = (tmp_path / "report.md").read_text()
    cnn = next(line for line in md.splitlines() if line.startswith("| scenes | cnn |"))
    assert cnn.split("|")[5].strip() == "1"  # the one good cnn run; the bad three left out
    for name in BAD_RECORDS:
        assert f"{name}.json" in md  # the report names them too


def test_across_datasets_the_signed_rank_test_compares_the_families(tmp_path):
    records = []
    for name, (h, c) in {"digits": (5, 0), "faces": (8, 2), "scenes": (10, 9)}.items():
        cnn = make_record("cnn", 0, Y, wrong(c), family="learned")
        records += [on(name, hog(10, wrong(h))), on(name, cnn)]
    save(tmp_path, records)
    write_report(tmp_path, stderr=io.StringIO())
    md = (tmp_path / "report.md").read_text()
    section = md[md.index("## Across datasets") : md.index("## Plots")]
    # learned - hand-crafted: +12.5, +15.0, +2.5 points on 40 images each; signed_rank of
    # those gives (0.9907, 0.0093, 0.0) with its fixed seed.
    assert "learned ahead (P = 0.99 that it leads by more than 1 point)" in section
    assert "| scenes | 100 | +2.5 points |" in section
    assert "Across 3 datasets, best learned against best hand-crafted" in md[: md.index("## Acc")]
    assert "Friedman over 3 datasets" in md  # beside it, as before
