"""report.md, its PNGs and the self-contained report.html, opened in a real headless browser."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from featcmp.records import write_record
from featcmp.report.write import write_report
from tests.browser import Browser, find_browser
from tests.reportdata import learning_curve_records

PLOT_KINDS = {"accuracy", "learning-curve", "confusion", "kernels", "hog", "misclassified"}


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    for r in learning_curve_records():
        write_record(root / "fixed" / f"{r['id']}.json", r)
    write_report(root)
    return root


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
    # Self-contained: nothing fetched from elsewhere.
    assert not re.search(r'(src|href)="(?!data:)', html)


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
        r"<li>\w+ vs \w+: \+\d+\.\d points, p (&lt; 0\.001|= [\d.]+) over 2 seeds</li>", html
    )
    assert "test-0" in html and "split-1-200" in html  # fingerprints of every split
    assert "numpy" in html and "0.1.0" in html  # package versions
    assert html.count("<details>") == 12  # one resolved config per run
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
    executable = find_browser()
    if executable is None:
        pytest.skip("no Chromium installed (apt-get install -y chromium)")
    browser = Browser(executable, tmp_path_factory.mktemp("chromium-profile"))
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
    for r in learning_curve_records():
        del r["artifacts"], r["predictions"], r["y_true"]
        r["dataset"].pop("test_fingerprint")
        write_record(tmp_path / "old" / f"{r['id']}.json", r)
    write_report(tmp_path)
    html = (tmp_path / "report.html").read_text()
    assert set(figures(html).values()) == {"accuracy", "learning-curve", "confusion"}
    assert "No two pipelines were scored on the same test set." in html
