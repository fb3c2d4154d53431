"""The command line: every bad input is one stderr line, exit 2, no traceback, no record file."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from featcmp.cli import app
from featcmp.data.sources import SOURCES
from featcmp.pipelines import PIPELINES
from tests.helpers import ROOT, pattern_images

runner = CliRunner()


def run_cli(*args: str):
    return runner.invoke(app, list(args))


def assert_user_error(result, out: Path | None, *fragments: str) -> str:
    """Exit 2, one `error:` line on stderr holding every fragment, no traceback, no record."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    if out is not None:
        assert not list(out.rglob("*.json")), "a record was left behind"
        assert not list(out.rglob("*.tmp")), "a temporary file was left behind"
    return errors[0]


def config(write_config, dataset: dict | None = None, pipelines=None, name="bad") -> Path:
    return write_config(
        {"name": name, "dataset": dataset or {"source": "digits"}, "pipelines": pipelines},
        name=name,
    )


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "runs"


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("name: a\npipelines: [raw_svm\n", ["invalid YAML at line 3"]),
        ("name: a\npipelnes: [raw_svm]\n", ["unknown key 'pipelnes'", "did you mean 'pipelines'"]),
        (
            "name: a\ndataset: {sourc: digits}\npipelines: [raw_svm]\n",
            ["unknown key 'dataset.sourc'", "did you mean 'source'"],
        ),
        (
            "name: a\npipelines:\n  - name: hog_svm\n    params: {hog: {orientatons: 9}}\n",
            ["pipelines[0].params.hog.orientatons", "did you mean 'orientations'"],
        ),
        ("name: a\nseed: abc\npipelines: [raw_svm]\n", ["seed: expected an integer"]),
        (
            "name: a\npipelines: [{name: hog_svm, params: {hog: {orientations: nine}}}]\n",
            ["pipelines[0].params.hog.orientations", "'nine'"],
        ),
        ("name: a\npipelines: [hog_svn]\n", ["unknown pipeline 'hog_svn'", "'hog_svm'"]),
        (
            "name: a\ndataset: {source: digts}\npipelines: [raw_svm]\n",
            ["unknown source 'digts'", "did you mean 'digits'"],
        ),
    ],
    ids=[
        "invalid-yaml",
        "pipelnes",
        "dataset.sourc",
        "orientatons",
        "seed-type",
        "param-type",
        "pipeline",
        "source",
    ],
)
def test_config_errors(write_config, out, text, fragments):
    path = write_config(text)
    assert_user_error(run_cli("run", str(path), "--out", str(out)), out, str(path), *fragments)


def test_missing_config_file(tmp_path, out):
    path = tmp_path / "absent.yaml"
    assert_user_error(run_cli("run", str(path), "--out", str(out)), out, str(path), "not found")


def test_bad_set_override(write_config, out):
    path = config(write_config, pipelines=["raw_svm"])
    result = run_cli(
        "run", str(path), "--out", str(out), "--set", "pipelines.raw_svm.params.svm.C=x"
    )
    assert_user_error(result, out, "pipelines[0].params.svm.C")


@pytest.mark.parametrize(
    ("dataset", "fragment"),
    [
        ({"source": "npz", "path": "{tmp}/nothing.npz"}, "nothing.npz: file not found"),
        ({"source": "folder", "path": "{tmp}/no_folder"}, "no_folder: folder not found"),
        ({"source": "idx", "path": "{tmp}/no_idx"}, "no_idx: dataset folder not found"),
        ({"source": "npz"}, "dataset.path: source 'npz' needs a path"),
    ],
    ids=["npz", "folder", "idx", "no-path"],
)
def test_missing_data_path(write_config, tmp_path, out, dataset, fragment):
    dataset = {k: v.format(tmp=tmp_path) for k, v in dataset.items()}
    path = config(write_config, dataset, ["raw_svm"])
    assert_user_error(run_cli("run", str(path), "--out", str(out)), out, fragment)


def test_unreadable_image_fails_when_asked(write_config, png_folder, out):
    root = png_folder(n_per_class=3)
    broken = root / "car" / "broken.png"
    broken.write_bytes(b"not a png at all")
    dataset = {"source": "folder", "path": str(root), "on_bad_file": "fail"}
    path = config(write_config, dataset, ["raw_svm"])
    result = run_cli("run", str(path), "--out", str(out))
    assert_user_error(result, out, str(broken), "not a readable image")


def test_unreadable_image_is_skipped_by_default(write_config, png_folder, out):
    root = png_folder(n_per_class=4)
    (root / "car" / "broken.png").write_bytes(b"junk")
    path = config(write_config, {"source": "folder", "path": str(root)}, ["raw_svm"], "skip")
    result = run_cli("run", str(path), "--out", str(out), "-q")
    assert result.exit_code == 0, result.output
    assert "skipped 1 unreadable" in result.stderr
    (record,) = [json.loads(p.read_text()) for p in out.rglob("*.json")]
    assert record["dataset"]["n_train"] + record["dataset"]["n_test"] == 12


def test_folder_with_only_unreadable_images(write_config, tmp_path, out):
    root = tmp_path / "junk"
    for cls in ("a", "b"):
        (root / cls).mkdir(parents=True)
        for i in range(3):
            (root / cls / f"{i}.png").write_bytes(b"\x89PNG but truncated")
    path = config(write_config, {"source": "folder", "path": str(root)}, ["raw_svm"])
    result = run_cli("run", str(path), "--out", str(out))
    assert_user_error(result, out, str(root / "a"), "no readable images")


@pytest.fixture
def idx_files(write_idx_pair):
    X, y = pattern_images(5)
    images, labels = write_idx_pair(X, y, prefix="t10k", gz=False)
    return images, labels, X, y


def idx_dataset(images: Path, labels: Path) -> dict:
    return {"source": "idx", "images": str(images), "labels": str(labels)}


def test_idx_wrong_magic(write_config, idx_files, out):
    images, labels, *_ = idx_files
    data = bytearray(images.read_bytes())
    data[0:4] = (1234).to_bytes(4, "big")
    images.write_bytes(bytes(data))
    path = config(write_config, idx_dataset(images, labels), ["raw_svm"])
    result = run_cli("run", str(path), "--out", str(out))
    assert_user_error(result, out, str(images), "wrong magic number 1234")


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
def test_idx_size_does_not_match_header(write_config, write_idx_pair, out, gz):
    import gzip

    X, y = pattern_images(5)
    images, labels = write_idx_pair(X, y, prefix="t10k", folder="cut", gz=gz)
    raw = gzip.decompress(images.read_bytes()) if gz else images.read_bytes()
    raw = raw[:-7]
    images.write_bytes(gzip.compress(raw) if gz else raw)
    path = config(write_config, idx_dataset(images, labels), ["raw_svm"])
    result = run_cli("run", str(path), "--out", str(out))
    assert_user_error(result, out, str(images), "IDX header says shape (20, 12, 12)")


def test_idx_image_and_label_counts_differ(write_config, write_idx_pair, out):
    X, y = pattern_images(5)
    images, _ = write_idx_pair(X, y, prefix="t10k", folder="a")
    _, labels = write_idx_pair(X[:19], y[:19], prefix="t10k", folder="b")
    path = config(write_config, idx_dataset(images, labels), ["raw_svm"])
    result = run_cli("run", str(path), "--out", str(out))
    assert_user_error(result, out, "20 images", "19 labels")


def test_npz_image_and_label_counts_differ(write_config, write_npz, out):
    X, y = pattern_images(5)
    path = config(write_config, {"source": "npz", "path": str(write_npz(X=X, y=y[:-1]))}, ["cnn"])
    result = run_cli("run", str(path), "--out", str(out))
    assert_user_error(result, out, "20 images", "19 labels")


def test_fewer_than_two_classes(write_config, write_npz, out):
    X, _ = pattern_images(5)
    npz = write_npz(X=X, y=np.zeros(len(X), dtype=np.int64))
    path = config(write_config, {"source": "npz", "path": str(npz)}, ["raw_svm"])
    assert_user_error(run_cli("run", str(path), "--out", str(out)), out, "only one class")


def test_image_too_small_for_hog(write_config, out):
    # raw_svm could run first: the HOG error must still come before any record is written.
    hog = {"name": "hog_svm", "params": {"hog": {"pixels_per_cell": [8, 8]}}}
    path = config(write_config, {"source": "digits"}, ["raw_svm", hog])
    result = run_cli("run", str(path), "--out", str(out))
    assert_user_error(result, out, "pipelines[1] (hog_svm)", "8x8", "too small for HOG")


def test_cnn_too_deep_for_the_images(write_config, out):
    cnn = {"name": "cnn", "params": {"channels": [4], "kernel_size": 9, "padding": 0}}
    path = config(write_config, {"source": "digits"}, ["raw_svm", cnn])
    result = run_cli("run", str(path), "--out", str(out))
    assert_user_error(result, out, "pipelines[1] (cnn)", "8x8")


def test_out_is_a_file(write_config, tmp_path):
    path = config(write_config, pipelines=["raw_svm"])
    (tmp_path / "taken").write_text("")
    result = run_cli("run", str(path), "--out", str(tmp_path / "taken"))
    assert_user_error(result, None, "taken: output path is a file")


def test_report_without_records(tmp_path):
    assert_user_error(run_cli("report", str(tmp_path)), tmp_path, "no run records found")
    assert_user_error(run_cli("report", str(tmp_path / "none")), None, "no such results folder")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["bogus"], "No such command 'bogus'"),
        (["run"], "Missing argument"),
        (["run", "configs/hog.yaml", "--bogus"], "No such option: --bogus"),
        (["report", "a", "b"], "unexpected extra argument"),
    ],
    ids=["command", "argument", "option", "extra"],
)
def test_usage_errors_are_one_line(args, fragment):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "featcmp", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert fragment.lower() in lines[0].lower()


def test_bare_command_prints_help():
    proc = subprocess.run(
        [sys.executable, "-m", "featcmp"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0
    assert "Traceback" not in proc.stderr
    for command in ("run", "report", "list"):
        assert command in proc.stdout


def test_list_names_every_pipeline_and_source():
    result = run_cli("list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(PIPELINES) + len(SOURCES)
    listed = {tuple(line.split()[:2]) for line in lines}
    assert {("pipeline", n) for n in PIPELINES} | {("source", n) for n in SOURCES} == listed


def test_run_hog_config_then_report(tmp_path):
    out = tmp_path / "runs"
    # The shipped config as a user runs it, on fewer generated scenes to stay quick.
    small = ("--set", "dataset.n_per_class=30")
    result = run_cli("run", str(ROOT / "configs" / "hog.yaml"), "--out", str(out), *small)
    assert result.exit_code == 0, result.output
    assert "hog_svm" in result.stdout  # the table
    files = list((out / "hog").glob("hog_svm-*.json"))
    assert len(files) == 1
    record = json.loads(files[0].read_text())
    assert record["pipeline"] == "hog_svm" and record["status"] == "ok"
    assert record["dataset"]["name"] == "scenes"
    assert record["dataset"]["n_train"] + record["dataset"]["n_test"] == 4 * 30
    assert 0.25 < record["accuracy"] <= 1.0  # better than chance on four classes
    assert record["config"]["pipeline"]["params"]["hog"]["pixels_per_cell"] == [4, 4]

    result = run_cli("report", str(out))
    assert result.exit_code == 0, result.output
    assert "hog_svm" in result.stdout
    md = (out / "report.md").read_text()
    assert "| scenes | hog_svm |" in md
    assert f"{record['accuracy']:.3f}" in md
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert len(rows) == 1 and rows[0]["pipeline"] == "hog_svm"
    assert float(rows[0]["accuracy_mean"]) == pytest.approx(record["accuracy"])


def test_run_twice_reuses_the_record_file(write_config, tmp_path):
    path = config(
        write_config, {"source": "digits", "max_train": 60, "max_test": 30}, ["raw_svm"], "twice"
    )
    out = tmp_path / "runs"
    for _ in range(2):
        assert run_cli("run", str(path), "--out", str(out), "-q").exit_code == 0
    assert len(list(out.rglob("*.json"))) == 1  # the same job has the same id
    assert run_cli("run", str(path), "--out", str(out), "-q", "--set", "seed=1").exit_code == 0
    assert len(list(out.rglob("*.json"))) == 2
