"""The reporter: the table from fixed records, report.md and results.csv, and no heavy imports."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from rich.console import Console

from featcmp.records import SCHEMA_VERSION, Record, write_record
from featcmp.report.console import print_rows
from featcmp.report.table import HEADERS, build_rows, markdown_table
from featcmp.report.write import write_report
from tests.helpers import ROOT

_counter = iter(range(10_000))


def record(
    pipeline: str,
    accuracy: float | None,
    dataset: str = "digits",
    n_train: int = 100,
    seed: int = 0,
    family: str = "hand-crafted",
    fit: float = 1.0,
    dim: int = 64,
    status: str = "ok",
) -> Record:
    """A hand-written record with exactly the fields the reporter reads."""
    return Record.from_json(
        record_json(pipeline, accuracy, dataset, n_train, seed, family, fit, dim, status)
    )


def record_json(
    pipeline: str,
    accuracy: float | None,
    dataset: str,
    n_train: int,
    seed: int,
    family: str,
    fit: float,
    dim: int,
    status: str,
) -> dict:
    return {
        "schema": SCHEMA_VERSION,
        "id": f"{next(_counter):012x}",
        "pipeline": pipeline,
        "family": family,
        "status": status,
        "error": None if status == "ok" else "training loss became nan",
        "accuracy": accuracy,
        "macro_f1": None if accuracy is None else accuracy - 0.01,
        "feature_dim": dim,
        "learned_params": 10 * dim,
        "fit_seconds": fit,
        "predict_seconds": fit / 10,
        "seed": seed,
        "dataset": {"name": dataset, "n_train": n_train, "fingerprint": f"fp-{dataset}-{seed}"},
        "config": {"name": "fixed"},
    }


RECORDS = [
    record("raw_svm", 0.80, seed=0, fit=1.0),
    record("raw_svm", 0.90, seed=1, fit=3.0),
    record("raw_svm", 1.00, seed=2, fit=2.0),
    record("cnn", 0.95, seed=0, family="learned", dim=128),
    record("cnn", None, seed=1, family="learned", status="failed"),
    record("hog_svm", 0.85, seed=0, dim=324),
    record("mlp", None, seed=0, family="learned", status="failed"),
    record("raw_svm", 0.70, dataset="faces", n_train=50),
    record("raw_svm", 0.60, dataset="digits", n_train=10),
]


def test_rows_aggregate_over_seeds():
    rows = {(r.dataset, r.pipeline, r.n_train): r for r in build_rows(RECORDS)}
    raw = rows[("digits", "raw_svm", 100)]
    assert raw.runs == 3 and raw.failed == 0
    assert raw.accuracy_mean == pytest.approx(0.9)
    assert raw.accuracy_std == pytest.approx(0.1)  # sample standard deviation
    assert raw.macro_f1_mean == pytest.approx(0.89)
    assert raw.fit_seconds == 2.0  # the median, not the mean
    assert raw.accuracy_text() == "0.900 ± 0.100"
    cnn = rows[("digits", "cnn", 100)]
    assert (cnn.runs, cnn.failed) == (1, 1)
    assert cnn.accuracy_std == 0.0 and cnn.accuracy_text() == "0.950"
    assert (cnn.feature_dim, cnn.learned_params) == (128, 1280)
    mlp = rows[("digits", "mlp", 100)]
    assert (mlp.runs, mlp.failed) == (0, 1) and mlp.accuracy_text() == "failed"


def test_rows_are_sorted_by_dataset_size_then_accuracy():
    order = [(r.dataset, r.n_train, r.pipeline) for r in build_rows(RECORDS)]
    assert order == [
        ("digits", 10, "raw_svm"),
        ("digits", 100, "cnn"),
        ("digits", 100, "raw_svm"),
        ("digits", 100, "hog_svm"),
        ("digits", 100, "mlp"),  # failed rows last
        ("faces", 50, "raw_svm"),
    ]


def test_markdown_table_cells():
    lines = markdown_table(build_rows(RECORDS)).splitlines()
    assert lines[0] == "| " + " | ".join(HEADERS) + " |"
    assert len(lines) == 2 + 6
    raw = next(line for line in lines if "| raw_svm |" in line and "| 100 |" in line)
    cells = [c.strip() for c in raw.strip("|").split("|")]
    assert cells == [
        "digits",
        "raw_svm",
        "hand-crafted",
        "100",
        "3",
        "0.900 ± 0.100",
        "[0.652, 1.000]",  # t over 3 seeds (no test-set sizes recorded), kept inside [0, 1]
        "0.890",
        "64",
        "640",
        "2.00",
        "0.200",
    ]
    cnn = next(line for line in lines if "| cnn |" in line)
    assert "1 (+1 failed)" in cnn


@pytest.fixture
def record_dir(tmp_path: Path) -> Path:
    for r in RECORDS:
        write_record(tmp_path / r.dataset.name / f"{r.pipeline}-{r.id}.json", r)
    return tmp_path


def test_write_report_files(record_dir):
    rows, written = write_report(record_dir)
    assert written[-3:] == [
        record_dir / "report.md",
        record_dir / "report.html",
        record_dir / "results.csv",
    ]
    assert all(p.suffix == ".png" and p.exists() for p in written[:-3])
    md = (record_dir / "report.md").read_text()
    assert md.startswith("# featcmp report\n")
    assert markdown_table(rows) in md
    for name, seed in (("digits", 0), ("digits", 1), ("digits", 2), ("faces", 0)):
        assert f"- {name} (-): fingerprint `fp-{name}-{seed}`" in md
    with (record_dir / "results.csv").open(newline="") as f:
        table = list(csv.DictReader(f))
    assert [(r["dataset"], r["pipeline"], r["n_train"]) for r in table] == [
        (r.dataset, r.pipeline, str(r.n_train)) for r in rows
    ]
    raw = next(r for r in table if r["pipeline"] == "raw_svm" and r["n_train"] == "100")
    assert float(raw["accuracy_mean"]) == pytest.approx(0.9)
    assert float(raw["accuracy_std"]) == pytest.approx(0.1)
    assert (raw["runs"], raw["failed"], raw["feature_dim"]) == ("3", "0", "64")
    assert not list(record_dir.glob(".*.tmp"))


def test_report_twice_is_identical(record_dir):
    write_report(record_dir)
    first = (record_dir / "report.md").read_text(), (record_dir / "results.csv").read_text()
    write_report(record_dir)
    assert ((record_dir / "report.md").read_text(), (record_dir / "results.csv").read_text()) == (
        first
    )


def test_console_table():
    console = Console(record=True, width=200)
    print_rows(build_rows(RECORDS), title="fixed", console=console)
    text = console.export_text()
    assert "fixed" in text
    assert "0.900 ± 0.100" in text and "failed" in text
    for h in ("accuracy", "macro-F1", "feature dim", "learned params"):
        assert h in text


def test_reporter_imports_neither_sklearn_nor_torch(record_dir):
    code = textwrap.dedent(
        f"""
        import sys
        import featcmp.report.write, featcmp.records, featcmp.report.console
        from featcmp.cli import app
        from featcmp.report.write import write_report
        write_report({str(record_dir)!r})
        app(["report", {str(record_dir)!r}], standalone_mode=False)
        heavy = sorted(m for m in ("sklearn", "torch", "skimage") if m in sys.modules)
        print("HEAVY=" + ",".join(heavy))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY=\n" in proc.stdout, proc.stdout
