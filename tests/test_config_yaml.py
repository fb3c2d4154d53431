"""Configs read as YAML 1.2 reads numbers, with duplicate keys refused; `--version`; completion."""

from __future__ import annotations

from pathlib import Path

import pytest

from featcmp import __version__
from featcmp.config.load import parse_yaml, read_config
from featcmp.errors import ConfigError
from tests.robustness_helpers import assert_one_line_error, invoke, write_config


@pytest.mark.parametrize(
    ("text", "value"),
    [("1e-3", 1e-3), ("1e30", 1e30), ("-2.5E+2", -250.0), ("1.0e-3", 1e-3), (".5", 0.5)],
)
def test_exponent_floats_are_floats(text: str, value: float):
    parsed = parse_yaml(f"lr: {text}")["lr"]
    assert isinstance(parsed, float) and parsed == value


@pytest.mark.parametrize(
    ("text", "value"),
    [("3", 3), ("0x10", 16), ("true", True), ("1e", "1e"), ("e3", "e3"), ("1.2.3", "1.2.3")],
)
def test_other_scalars_keep_their_types(text: str, value):
    parsed = parse_yaml(f"x: {text}")["x"]
    assert parsed == value and type(parsed) is type(value)


def test_special_floats():
    parsed = parse_yaml("a: .inf\nb: -.inf\nc: .nan")
    assert parsed["a"] == float("inf") and parsed["b"] == float("-inf")
    assert parsed["c"] != parsed["c"]


def test_exponent_float_reaches_the_estimator(tmp_path: Path):
    config = write_config(
        tmp_path / "c.yaml", "pipelines:\n  - name: cnn\n    params: {lr: 1e-3, epochs: 1}\n"
    )
    cfg = read_config(config, ["pipelines.cnn.params.weight_decay=1e-4"])
    assert cfg.pipelines[0].params == {"lr": 1e-3, "epochs": 1, "weight_decay": 1e-4}
    from featcmp.run.jobs import check_config

    check_config(cfg)  # a float where a float is declared: no "expected a number, got a string"


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ("name: a\nseed: 1\nseed: 2\npipelines: [raw_svm]\n", 3, "seed"),
        ("pipelines:\n  - name: hog_svm\n    params: {svm: {C: 1, C: 2}}\n", 3, "C"),
    ],
)
def test_duplicate_keys_are_refused_with_file_line_and_key(tmp_path, text, line, key):
    config = write_config(tmp_path / "dup.yaml", text)
    with pytest.raises(ConfigError, match=f"duplicate key '{key}'") as info:
        read_config(config)
    assert str(config) in str(info.value) and f"line {line}" in str(info.value)
    out = tmp_path / "runs"
    result = invoke("run", config, "--out", out)
    assert_one_line_error(result, out, str(config), f"line {line}", f"duplicate key '{key}'")


def test_merge_keys_may_be_overridden_but_own_keys_not_repeated():
    merged = parse_yaml("base: &b {lr: 0.1, epochs: 3}\nrow:\n  <<: *b\n  epochs: 9\n")
    assert merged["row"] == {"lr": 0.1, "epochs": 9}
    with pytest.raises(Exception, match="duplicate key 'epochs'"):
        parse_yaml("row:\n  <<: {lr: 0.1}\n  epochs: 3\n  epochs: 9\n")


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"featcmp {__version__}"


def test_shell_completion_is_on():
    result = invoke("--help")
    assert "--install-completion" in result.stdout and "--show-completion" in result.stdout
