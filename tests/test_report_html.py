"""report.md, its PNGs and the self-contained report.html, opened in a real headless browser."""

from __future__ import annotations

import colorsys
import io
import re
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from featcmp.families import LEARNED_SIDE, side
from featcmp.records import load_records, write_record
from featcmp.report.load import unique_runs
from featcmp.report.plots import all_plots, confusion_matrices, pipeline_colours, short_label
from featcmp.report.sections import Report, render_html
from featcmp.report.significance import compare_pipelines
from featcmp.report.table import build_rows
from featcmp.report.write import write_report
from tests.browser import Browser, find_browser
from tests.reportdata import (
    learning_curve_records,
    make_record,
    several_datasets_records,
    write_json,
)

PLOT_KINDS = {
    "ladder", "accuracy", "learning-curve", "confusion", "kernels", "hog", "misclassified"
}  # fmt: skip


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    for r in learning_curve_records():
        write_record(root / "fixed" / f"{r.id}.json", r)
    write_report(root)
    return root


def chromium(tmp_path_factory) -> Browser:
    """A headless Chromium; the test is skipped where none is installed."""
    executable = find_browser()
    if executable is None:
        pytest.skip("no Chromium installed (apt-get install -y chromium)")
    return Browser(executable, tmp_path_factory.mktemp("chromium-profile"))


def figures(html: str) -> dict[str, str]:
    """figure id -> kind, for figures whose image is an embedded PNG."""
    found = re.findall(
        r'<figure id="([^"]+)" data-kind="([^"]+)"><h3>[^<]*</h3>'
        r'<img alt="[^"]*" src="data:image/png;base64,[A-Za-z0-9+/=]+">',
        html,
    )
    return dict(found)


def test_html_holds_every_plot_embedded(report_dir):
    html = (report_dir / "report.html").read_text()
    found = figures(html)
    assert set(found.values()) == PLOT_KINDS
    pngs = {p.stem for p in report_dir.glob("*.png")}
    assert set(found) == pngs  # the same pictures as beside report.md
    # Self-contained: nothing fetched from elsewhere; links only within the page.
    assert not re.search(r'(src|href)="(?!data:|#)', html)
    assert "<script src" not in html and "://" not in html  # no address of any kind


def test_markdown_references_the_pngs_beside_it(report_dir):
    md = (report_dir / "report.md").read_text()
    referenced = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", md)
    assert len(referenced) == len(set(referenced)) >= len(PLOT_KINDS)
    for name in referenced:
        img = Image.open(report_dir / name)
        assert img.width > 100 and img.height > 100
    assert {p.name for p in report_dir.glob("*.png")} == set(referenced)
    assert not list(report_dir.glob(".*.tmp"))


def test_html_states_significance_configs_versions_fingerprints(report_dir):
    html = (report_dir / "report.html").read_text()
    assert re.search(
        r"<li>\w+ vs \w+: (\w+ ahead|practically equivalent|undecided) \(P = .+\); "
        r"\+\d+\.\d points \[[-+][\d.]+, [-+][\d.]+\] \([^)]+\), "
        r"McNemar p (&lt; 0\.001|= [\d.]+) \(Holm (&lt; 0\.001|[\d.]+)\) over 2 seeds</li>",
        html,
    )
    assert "test-0" in html and "split-1-200" in html  # fingerprints of every split
    assert "numpy" in html and "0.1.0" in html  # package versions
    assert html.count('<details id="config-') == 12  # one resolved config per run
    head = re.search(r"(<th>record</th>.*?)</tr>", html).group(1)
    columns = re.findall(r"<th>([^<]+)</th>", head)
    # Only the keys that differ between runs: not the dataset, which every run shares.
    assert columns[:4] == ["record", "n_train", "status", "accuracy"]
    assert columns[4:] == [
        "pipeline.name",
        "pipeline.params.epochs",
        "seed",
        "train_size",
    ]


def test_reporter_imports_neither_torch_nor_sklearn():
    code = (
        "import sys, featcmp.report.write, featcmp.report.plots, featcmp.report.html; "
        "bad = [m for m in ('torch', 'sklearn') if m in sys.modules]; "
        "sys.exit(f'imported {bad}' if bad else 0)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_report_html_renders_in_a_real_browser(report_dir, tmp_path_factory):
    browser = chromium(tmp_path_factory)
    try:
        tab = browser.open((report_dir / "report.html").as_uri())
        images = browser.evaluate(
            tab,
            "Array.from(document.images).map(i => ({id: i.closest('figure').id,"
            " complete: i.complete, w: i.naturalWidth, h: i.naturalHeight}))",
        )
        pngs = {p.stem for p in report_dir.glob("*.png")}
        assert len(images) == len(pngs) and {i["id"] for i in images} == pngs
        for i in images:
            assert i["complete"] and i["w"] > 0 and i["h"] > 0, i
        browser.evaluate(tab, "document.querySelector('figure img').scrollIntoView()")
        shot = np.asarray(Image.open(io.BytesIO(browser.screenshot(tab))).convert("RGB"))
    finally:
        browser.close()
    assert shot.shape[0] > 300 and shot.shape[1] > 300
    colours = len(np.unique(shot.reshape(-1, 3), axis=0))
    assert shot.std() > 10 and colours > 50  # a drawn page, not a blank or single-colour one


def test_records_without_artifacts_or_predictions_still_report(tmp_path):
    # Records from before artifacts existed, or a run whose predictions were dropped: the
    # pictures that need them are left out, the rest of the report stands.
    for record in learning_curve_records():
        r = record.to_json()
        del r["artifacts"], r["predictions"], r["y_true"]
        r["dataset"].pop("test_fingerprint")
        write_json(tmp_path / "old" / f"{r['id']}.json", r)
    write_report(tmp_path)
    html = (tmp_path / "report.html").read_text()
    assert set(figures(html).values()) == {"ladder", "accuracy", "learning-curve", "confusion"}
    assert "No two pipelines were scored on the same test set." in html


VERDICT = '<p id="answer">cnn is ahead of hog_svm by 7.5 points.</p>'


def page_with_verdict(report_dir) -> str:
    """report.html's page as write_report draws it, with a verdict block given."""
    records = unique_runs(load_records(report_dir))
    rows = build_rows(records)
    report = Report(rows, records, compare_pipelines(records), all_plots(rows, records))
    return render_html(report, verdict_html=VERDICT)


def test_the_page_leads_with_the_verdict_then_the_headline_plot(report_dir):
    html = page_with_verdict(report_dir)
    verdict = html.index('<section id="verdict">' + VERDICT)
    first_figure = html.index("<figure")
    assert html.index("<h1>") < verdict < first_figure < html.index("<table")
    assert re.search(r'<figure id="[^"]+" data-kind="([^"]+)"', html).group(1) == "learning-curve"
    # Without a verdict, no empty block; the headline plot still comes before every table.
    records = unique_runs(load_records(report_dir))
    rows = build_rows(records)
    plain = render_html(Report(rows, records, compare_pipelines(records), all_plots(rows, records)))
    assert 'id="verdict"' not in plain and plain.index("<figure") < plain.index("<table")


def test_headline_is_the_accuracy_bars_where_no_learning_curve_ran(tmp_path):
    for r in learning_curve_records():
        if r.n_train == 200:
            write_record(tmp_path / "one" / f"{r.id}.json", r)
    write_report(tmp_path)
    html = (tmp_path / "report.html").read_text()
    assert re.search(r'<figure id="[^"]+" data-kind="([^"]+)"', html).group(1) == "accuracy"


def hue(colour: str) -> float:
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return colorsys.rgb_to_hsv(r, g, b)[0] * 360


def test_one_colour_per_pipeline_cool_for_hand_crafted_warm_for_learned(report_dir):
    records = unique_runs(load_records(report_dir))
    rows = build_rows(records)
    many = [*rows, *(replace(rows[0], pipeline=f"learned_{i}", family="learned") for i in range(5))]
    colours = pipeline_colours(many)
    assert len(set(colours.values())) == len(colours)  # one colour per pipeline
    for r in many:
        h = hue(colours[r.pipeline])
        if side(r.family) == LEARNED_SIDE:
            assert h < 50 or h > 290, (r.pipeline, h)  # oranges, reds (and one pink)
        else:
            assert 80 < h < 260, (r.pipeline, h)  # greens, cyans, blues
    # The same colour in every plot: each pipeline's exact colour is painted in the accuracy
    # bars and the learning curves.
    colours = pipeline_colours(rows)
    for kind in ("accuracy", "learning-curve"):
        pixels = np.asarray(Image.open(report_dir / f"{kind}-scenes.png").convert("RGB"))
        flat = pixels.reshape(-1, 3)
        for pipeline, colour in colours.items():
            rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
            assert (flat == rgb).all(axis=1).sum() > 20, (kind, pipeline)
    # ... and beside each name in the tables.
    html = (report_dir / "report.html").read_text()
    for pipeline, colour in colours.items():
        assert f'<span class="swatch" style="background:{colour}"></span>{pipeline}' in html


def test_per_class_accuracy_from_the_summed_confusion_matrices(report_dir):
    records = [r for r in unique_runs(load_records(report_dir)) if r.pipeline == "hog_svm"]
    at_top = [r for r in records if r.n_train == 200]
    cm = np.sum([r.confusion_matrix for r in at_top], axis=0)
    expected = [f"{cm[i, i] / cm[i].sum():.3f}" for i in range(4)]
    html = (report_dir / "report.html").read_text()
    section = html[html.index('id="per-class"') : html.index('id="significance"')]
    assert re.findall(r"<th>([^<]+)</th>", section) == [
        "pipeline",
        "runs",
        "mean",
        "car",
        "bus",
        "monument",
        "flower",
    ]
    row = re.search(r"hog_svm</td>(.*?)</tr>", section).group(1)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
    assert cells[0] == "2" and cells[2:] == expected
    assert cells[1] == f"{np.mean([float(x) for x in expected]):.3f}"


def test_every_row_links_to_its_runs_resolved_configs(report_dir):
    html = (report_dir / "report.html").read_text()
    targets = re.findall(r'href="#([^"]+)"', html)
    ids = set(re.findall(r' id="([^"]+)"', html))
    assert targets and set(targets) <= ids  # no link points nowhere
    accuracy = html[html.index('id="accuracy"') : html.index('id="per-class"')]
    rows = re.findall(r"<tr><td.*?</tr>", accuracy)
    assert len(rows) == 6  # 3 pipelines x 2 training sizes
    for row in rows:
        links = re.findall(r'href="#config-([^"]+)"', row)
        assert len(links) == 2  # its two seeds
        pipeline, n_train = re.search(r"</span>(\w+)</td>.*?<td>(\d+)</td>", row).groups()
        assert links == [f"{pipeline}-{seed}-{n_train}" for seed in (0, 1)]
    runs = html[html.index('id="runs"') :]
    assert len(re.findall(r'<td class="text"><a href="#config-', runs)) == 12


def test_confusion_labels_keep_apart_for_many_classes():
    names = [f"a long class name {i}" for i in range(40)]
    rng = np.random.default_rng(0)
    cm = (np.eye(40) * 20 + rng.integers(0, 3, (40, 40))).tolist()
    record = replace(make_record("cnn", 0, [0], [0]), confusion_matrix=cm)
    png = confusion_matrices({"cnn": [record]}, names, {"cnn": "#E8772E"})
    img = Image.open(io.BytesIO(png))
    assert img.width < 1300 and img.height < 1300  # drawn at a size a page shows unscaled
    assert short_label(names[0]) == "a long clas…" and short_label("car") == "car"


def test_tables_sort_in_a_real_browser_without_console_errors(report_dir, tmp_path_factory):
    page = report_dir / "verdict.html"
    page.write_text(page_with_verdict(report_dir), encoding="utf-8")
    browser = chromium(tmp_path_factory)
    column = (
        "(t, i) => Array.from(document.querySelector(t).tBodies[0].rows)"
        ".map(r => r.cells[i].textContent)"
    )
    try:
        tab = browser.open(page.as_uri(), width=1280, height=800)
        top = browser.evaluate(
            tab,
            "(() => { const v = document.getElementById('verdict').getBoundingClientRect();"
            " const f = document.querySelector('figure img').getBoundingClientRect();"
            " return [v.top, v.bottom, f.top, f.bottom, innerWidth, innerHeight]; })()",
        )
        shot = browser.screenshot(tab)
        table = "#accuracy + .wide table"
        headers = browser.evaluate(
            tab, f"Array.from(document.querySelectorAll('{table} th')).map(h => h.textContent)"
        )
        acc = headers.index("accuracy")
        before = browser.evaluate(tab, f"({column})('{table}', {acc})")
        browser.evaluate(tab, f"document.querySelectorAll('{table} th')[{acc}].click()")
        ascending = browser.evaluate(tab, f"({column})('{table}', {acc})")
        browser.evaluate(tab, f"document.querySelectorAll('{table} th')[{acc}].click()")
        descending = browser.evaluate(tab, f"({column})('{table}', {acc})")
        pip = headers.index("pipeline")
        browser.evaluate(tab, f"document.querySelectorAll('{table} th')[{pip}].click()")
        by_name = browser.evaluate(tab, f"({column})('{table}', {pip})")
        browser.evaluate(tab, "document.querySelector('a[href^=\\'#config-\\']').click()")
        opened = browser.evaluate(
            tab, "document.getElementById(location.hash.slice(1)).open === true"
        )
        errors = browser.console_errors(tab)
    finally:
        browser.close()
    assert errors == []
    values = [float(v.split()[0]) for v in before]
    assert [float(v.split()[0]) for v in ascending] == sorted(values)
    assert [float(v.split()[0]) for v in descending] == sorted(values, reverse=True)
    assert by_name == sorted(by_name) and set(by_name) == {"cnn", "hog_svm", "raw_svm"}
    assert opened
    # At 1280 x 800 the verdict and the whole headline plot are above the fold.
    v_top, v_bottom, f_top, f_bottom, width, height = top
    assert (width, height) == (1280, 800)
    assert 0 <= v_top < v_bottom < f_top < f_bottom <= height
    img = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"))
    assert img.shape[:2] == (800, 1280) and img.std() > 10


@pytest.fixture(scope="module")
def suite_dir(tmp_path_factory):
    """A report over several datasets with long names: verdict cells as long as a suite's."""
    root = tmp_path_factory.mktemp("suite")
    for r in several_datasets_records():
        write_record(root / f"{r.id}.json", r)
    write_report(root)
    return root


def test_no_table_is_cut_at_the_right_edge_at_1280_px(suite_dir, tmp_path_factory):
    browser = chromium(tmp_path_factory)
    try:
        tab = browser.open((suite_dir / "report.html").as_uri(), width=1280, height=800)
        cut = browser.evaluate(
            tab,
            "(() => { const w = document.documentElement.clientWidth;"
            " return Array.from(document.querySelectorAll('table')).map((t, i) => {"
            "   const box = t.parentElement;"
            "   const where = (t.closest('section, div.wide') || t).previousElementSibling;"
            "   return [i, where ? where.textContent.slice(0, 40) : '',"
            "     Math.round(t.getBoundingClientRect().right), w,"
            "     box.scrollWidth, box.clientWidth]; })"
            " .filter(([i, s, right, w, sw, cw]) => right > w || sw > cw); })()",
        )
        widest = browser.evaluate(tab, "document.documentElement.scrollWidth")
    finally:
        browser.close()
    assert cut == []  # [table, what precedes it, right edge, viewport, scroll / client width]
    assert widest <= 1280
