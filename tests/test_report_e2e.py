"""A config with seeds and train_sizes on the bundled digits runs and gives the full report."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from featcmp.cli import app

runner = CliRunner()

CONFIG = """
name: curve
seeds: [0, 1]
train_sizes: [60, 0.5]
dataset: {source: digits, test_size: 0.3}
pipelines:
  - raw_svm
  - name: edges_svm
    params: {edges: {kernel: laplacian8}}
  - name: hog_svm
    params: {hog: {pixels_per_cell: [2, 2], cells_per_block: [2, 2]}}
  - name: cnn
    params: {epochs: 2, channels: [4], hidden: 0, device: cpu}
  - name: mlp
    params: {epochs: 2, hidden: [16], device: cpu}
"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("curve")
    (root / "curve.yaml").write_text(CONFIG)
    out = root / "runs"
    result = runner.invoke(app, ["run", str(root / "curve.yaml"), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return out


def records(run_dir):
    return [json.loads(p.read_text()) for p in sorted((run_dir / "curve").glob("*.json"))]


def test_every_pipeline_seed_and_size_ran_on_one_test_set_per_seed(run_dir):
    recs = records(run_dir)
    assert len(recs) == 5 * 2 * 2 and all(r["status"] == "ok" for r in recs)
    # digits: 1797 images, 30% test -> 539 test, 1258 train; half of that is 629.
    assert {r["dataset"]["n_train"] for r in recs} == {60, 629}
    for seed in (0, 1):
        mine = [r for r in recs if r["seed"] == seed]
        assert (
            len({r["dataset"]["test_fingerprint"] for r in mine}) == 1
        )  # sizes share the test set
        assert len({r["dataset"]["fingerprint"] for r in mine}) == 2  # but not the training set
    assert len({r["dataset"]["test_fingerprint"] for r in recs}) == 2  # a new split per seed


def test_records_carry_small_artifacts(run_dir):
    for r in records(run_dir):
        art = r["artifacts"]
        assert 0 < len(art["misclassified"]) <= 8
        for m in art["misclassified"]:
            assert r["predictions"][m["index"]] == m["pred"] != m["true"] == r["y_true"][m["index"]]
        assert ("first_layer_kernels" in art) == (r["pipeline"] == "cnn")
        assert ("hog_samples" in art) == (r["pipeline"] == "hog_svm")
        assert len(json.dumps(art)) < 30_000
    cnn = next(r for r in records(run_dir) if r["pipeline"] == "cnn")
    kernels = cnn["artifacts"]["first_layer_kernels"]
    assert kernels["shape"] == [4, 1, 3, 3]
    assert len(kernels["weights"]) == 4 and kernels["reference"]["weights"][1][1] == 8


def test_full_report(run_dir):
    result = runner.invoke(app, ["report", str(run_dir)])
    assert result.exit_code == 0, result.output
    md = (run_dir / "report.md").read_text()
    html = (run_dir / "report.html").read_text()
    kinds = set(re.findall(r'data-kind="([^"]+)"', html))
    assert kinds == {
        "ladder", "accuracy", "learning-curve", "confusion", "kernels", "hog", "misclassified"
    }  # fmt: skip
    for name in re.findall(r"\]\(([^)]+\.png)\)", md):
        assert (run_dir / name).stat().st_size > 1000
    # Every pair of the five pipelines (10) at both sizes, with its difference and p, and one
    # verdict line per size.
    pair_rows = r"^\| digits \| (60|629) \| \w+ \| \w+ \| \d\.\d\d / \d\.\d\d / \d\.\d\d \|"
    assert len(re.findall(pair_rows, md, flags=re.M)) == 2 * 10
    assert len(re.findall(r"^\| digits \| (60|629) \| \w+ \(0\.\d+\)", md, flags=re.M)) == 2
    assert md.index("## Verdict") < md.index("## Paired significance")
    assert re.search(
        r"^- \w+ vs \w+: (\w+ ahead|practically equivalent|undecided) \(P = .+\); "
        r"\+\d+\.\d points \[[-+]\d+\.\d, [-+]\d+\.\d\] \([^)]+\), McNemar p [<=] [\d.]+ "
        r"\(Holm [<\d][\d. ]*\) over 2 seeds$",
        md,
        re.M,
    )
    assert "± " in md  # means with standard deviations
