"""`featcmp report --format md|csv|json`: the table of `featcmp report` on stdout, for scripts."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from featcmp.records import write_record
from tests.reportdata import make_record
from tests.robustness_helpers import ROOT, assert_one_line_error, invoke

Y = [0, 1, 2, 3] * 5


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    out = tmp_path / "runs"
    for seed in (0, 1):
        hog = make_record("hog_svm", seed, Y, [*Y[:-1], 0])
        cnn = make_record("cnn", seed, Y, [0] * len(Y), family="learned")
        for record in (hog, cnn):
            write_record(out / "fixed" / f"{record.pipeline}-{seed}.json", record)
    return out


def table(runs: Path, fmt: str) -> str:
    result = invoke("report", runs, "--format", fmt)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_json_rows_hold_the_numbers(runs: Path):
    rows = {r["pipeline"]: r for r in json.loads(table(runs, "json"))}
    assert set(rows) == {"hog_svm", "cnn"}
    assert rows["hog_svm"]["accuracy_mean"] == pytest.approx(19 / 20)
    assert rows["cnn"]["accuracy_mean"] == pytest.approx(5 / 20)
    assert rows["hog_svm"]["runs"] == 2 and rows["cnn"]["family"] == "learned"


def test_csv_and_md_carry_the_same_rows(runs: Path):
    rows = list(csv.DictReader(io.StringIO(table(runs, "csv"))))
    assert {r["pipeline"] for r in rows} == {"hog_svm", "cnn"}
    md = table(runs, "md").splitlines()
    assert md[0].startswith("| dataset | pipeline |") and len(md) == 4
    assert "0.950" in next(line for line in md if "hog_svm" in line)
    assert "\x1b[" not in "".join(md)  # no terminal styling


def test_format_writes_nothing(runs: Path):
    before = sorted(p.relative_to(runs) for p in runs.rglob("*"))
    table(runs, "json")
    assert sorted(p.relative_to(runs) for p in runs.rglob("*")) == before


def test_bad_format_and_empty_folder_are_one_line(tmp_path: Path, runs: Path):
    cmd = [sys.executable, "-m", "featcmp", "report", str(runs), "--format", "xml"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1 and "--format" in proc.stderr, proc.stderr
    (tmp_path / "empty").mkdir()
    assert_one_line_error(invoke("report", tmp_path / "empty", "--format", "csv"), None, "no run")
