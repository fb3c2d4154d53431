"""Command-line misuse: one line through the real entry point (`main`), exit 2, no traceback.

CliRunner calls the click app directly and so shows click's own usage box; the one-line
usage errors come from `featcmp.cli.main`, which the console script and `python -m featcmp`
run. These tests call `main` in-process and once through a real subprocess.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from featcmp import cli
from featcmp.errors import ConfigError
from tests.robustness_helpers import (
    TINY,
    assert_one_line_error,
    invoke,
    run_module,
    write_config,
)


def call_main(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["featcmp", *map(str, args)])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["frobnicate"], ["No such command 'frobnicate'.", "(see 'featcmp --help')"]),
        (["run"], ["Missing argument 'config'.", "run --help')"]),
        (["run", "c.yaml", "--bogus"], ["No such option: --bogus"]),
        (["run", "c.yaml", "--out"], ["Option '--out' requires an argument."]),
        (["datasets", "show"], ["Missing argument 'source'.", "datasets show --help')"]),
        (["datasets", "show", "digits", "--per-class", "0"], ["Invalid value for '--per-class'"]),
    ],
    ids=[
        "unknown-command",
        "missing-argument",
        "unknown-option",
        "option-without-value",
        "missing-subcommand-argument",
        "option-out-of-range",
    ],
)
def test_usage_errors_are_one_line(monkeypatch, capsys, args, fragments):
    code, out, err = call_main(monkeypatch, capsys, *args)
    lines = err.splitlines()
    assert code == 2 and out == ""
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_no_arguments_prints_help_and_succeeds(monkeypatch, capsys):
    code, out, err = call_main(monkeypatch, capsys)
    assert code == 0 and "Usage" in out + err


def test_usage_error_through_a_real_process():
    """The console path end to end: `python -m featcmp` with a misspelt command."""
    proc = run_module("rnu", "configs/raw.yaml")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "error: No such command 'rnu'. Did you mean 'run'? (see 'featcmp --help')"
    ]


@pytest.mark.parametrize(
    ("override", "fragments"),
    [
        ("seed", ["--set 'seed': expected KEY=VALUE"]),
        ("=3", ["--set '=3': expected KEY=VALUE"]),
        ("seed=three", ["seed: expected an integer, got a string"]),
        ("pipelines.raw_svn.params.svm.C=1", ["no pipeline named 'raw_svn'", "'raw_svm'"]),
        ("pipelines.raw_svm=1", ["cannot replace a whole pipeline"]),
        ("name=../../etc", ["name: '../../etc' is not a valid name"]),
        ("seed.x=1", ["seed: expected an integer, got a mapping"]),
    ],
)
def test_bad_overrides(tmp_path: Path, override: str, fragments: list[str]):
    config = write_config(tmp_path / "c.yaml", {"dataset": TINY, "pipelines": ["raw_svm"]})
    out = tmp_path / "runs"
    assert_one_line_error(invoke("run", config, "--out", out, "--set", override), out, *fragments)


def test_missing_config_file(tmp_path: Path):
    assert_one_line_error(invoke("run", tmp_path / "nope.yaml"), None, "config file not found")


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda p: p, "no such results folder"),
        (lambda p: p.write_text("x") and p, "is a file; expected a folder of run records"),
        (lambda p: p.mkdir() or p, "no run records found"),
    ],
    ids=["missing", "a-file", "empty"],
)
def test_report_bad_folder(tmp_path: Path, make, fragment):
    target = make(tmp_path / "runs")
    assert_one_line_error(invoke("report", target), None, fragment)


def test_debug_shows_the_traceback(tmp_path: Path):
    result = invoke("--debug", "run", tmp_path / "nope.yaml")
    assert isinstance(result.exception, ConfigError)


def test_unexpected_exception_is_one_line_exit_3_and_traceback_with_debug(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("featcmp.run.jobs.load_jobs", broken)
    result = invoke("run", tmp_path / "c.yaml")
    line = assert_one_line_error(result, None, "internal error ZeroDivisionError", code=3)
    assert "rerun with --debug" in line
    assert isinstance(invoke("--debug", "run", tmp_path / "c.yaml").exception, ZeroDivisionError)


def test_interrupt_is_one_line_exit_130(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("featcmp.run.jobs.load_jobs", interrupted)
    assert_one_line_error(invoke("run", tmp_path / "c.yaml"), None, "interrupted", code=130)
