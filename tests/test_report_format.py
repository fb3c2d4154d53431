"""`featcmp report --format md|csv|json`: the table of `featcmp report` on stdout, for scripts."""

from __future__ import annotations

import csv
import io
import json
import math
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


def table(runs: Path, fmt: str, *options: str) -> str:
    result = invoke("report", runs, "--format", fmt, *options)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_json_rows_hold_the_numbers(runs: Path):
    rows = {r["pipeline"]: r for r in json.loads(table(runs, "json"))["rows"]}
    assert set(rows) == {"hog_svm", "cnn"}
    assert rows["hog_svm"]["accuracy_mean"] == pytest.approx(19 / 20)
    assert rows["cnn"]["accuracy_mean"] == pytest.approx(5 / 20)
    assert rows["hog_svm"]["runs"] == 2 and rows["cnn"]["family"] == "learned end to end"


def test_json_leads_with_the_verdict_probabilities(runs: Path):
    data = json.loads(table(runs, "json"))
    assert list(data) == ["verdict", "rows"]
    (line,) = data["verdict"]
    assert list(line)[2:5] == ["p_hand_crafted_ahead", "p_within_rope", "p_learned_ahead"]
    assert line["p_hand_crafted_ahead"] > 0.99 and line["rope"] == 0.01
    assert line["verdict"].startswith("hog_svm ahead (P = 1.00 that it leads by more than 1 point)")


def test_rope_and_threshold_reach_the_verdict(tmp_path: Path):
    # hog_svm leads cnn by 70 and 60 points on two re-splits of 20 test images (100 to train).
    out = tmp_path / "runs"
    for seed, hog in ((0, [*Y[:-1], 0]), (1, [*Y[:-3], 0, 0, 0])):
        for record in (
            make_record("hog_svm", seed, Y, hog),
            make_record("cnn", seed, Y, [0] * len(Y), family="learned"),
        ):
            write_record(out / "fixed" / f"{record.pipeline}-{seed}.json", record)
    wide = json.loads(table(out, "json", "--rope", "0.9", "--decide", "0.9"))["verdict"][0]
    assert wide["rope"] == 0.9 and wide["verdict"].startswith("practically equivalent (P = ")
    # A 60-point ROPE: mean 65, s^2 = 50 points^2, scale sqrt((1/2 + 20/100) * 50) points on
    # 1 df: P(hog_svm leads by more) = 1/2 + atan(5 / sqrt(35)) / pi = 0.72.
    strict = json.loads(table(out, "json", "--rope", "0.6"))["verdict"][0]
    assert strict["p_hand_crafted_ahead"] == pytest.approx(0.5 + math.atan(5 / 35**0.5) / math.pi)
    assert strict["threshold"] == 0.95 and strict["verdict"].startswith("undecided (P = 0.72 / ")
    loose = json.loads(table(out, "json", "--rope", "0.6", "--decide", "0.7"))["verdict"][0]
    assert loose["threshold"] == 0.7
    assert loose["verdict"].startswith("hog_svm ahead (P = 0.72 that it leads by more than 60")


def test_the_config_sets_the_rope(tmp_path: Path):
    out = tmp_path / "runs"
    for seed in (0, 1):
        for record in (
            make_record("hog_svm", seed, Y, [*Y[:-1], 0]),
            make_record("cnn", seed, Y, [0] * len(Y), family="learned"),
        ):
            record.config["report"] = {"rope": 0.9}
            write_record(out / "fixed" / f"{record.pipeline}-{seed}.json", record)
    line = json.loads(table(out, "json"))["verdict"][0]
    assert line["rope"] == 0.9 and line["verdict"].startswith("practically equivalent")
    # The command line wins over the config.
    assert json.loads(table(out, "json", "--rope", "0.01"))["verdict"][0]["rope"] == 0.01
    md = (out / "report.md") if invoke("report", out).exit_code == 0 else None
    assert md is not None and "practically equivalent (P = " in md.read_text()


def test_a_bad_rope_is_one_line(runs: Path):
    assert_one_line_error(invoke("report", runs, "--rope", "1.5"), None, "rope")


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
