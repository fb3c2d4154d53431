"""The generated parameter reference: `featcmp list --params` and the README's section."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from featcmp.cli.app import app
from featcmp.config.params import declarations
from featcmp.params_reference import (
    BEGIN,
    END,
    parameter_rows,
    readme_section,
    with_reference,
)
from featcmp.pipelines import PIPELINES

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_parameter_section_matches_the_declarations():
    text = README.read_text(encoding="utf-8")
    section = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert section == readme_section(), "README.md's parameters drifted: run `make docs`"


def test_regenerating_rewrites_only_between_the_markers():
    before, after = "intro\n", "\nrest\n"
    text = with_reference(f"{before}{BEGIN}\nstale\n{END}{after}")
    assert text == before + readme_section() + after
    assert with_reference(text) == text


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_rows_cover_every_parameter_of_every_step(name):
    rows = list(parameter_rows(name))
    expected = [
        (step_name, param)
        for step_name, step in PIPELINES[name].build().steps
        for param in declarations(step)[0]
    ]
    assert [(r.step, r.key.rsplit(".", 1)[-1]) for r in rows] == expected
    assert all(r.type and r.default and r.allowed and r.help for r in rows)


def run_cli(*args: str):
    return CliRunner().invoke(app, list(args))


def test_list_params_prints_each_parameter_with_type_default_allowed_and_help():
    result = run_cli("list", "--params", "hog_svm")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("hog_svm: ")
    orientations = next(line for line in lines if "hog.orientations" in line).split()
    assert orientations[:4] == ["hog.orientations", "integer", "9", "1..180"]
    assert "orientation bins" in " ".join(orientations)
    assert any(line.split()[:3] == ["svm.C", "number", "10.0"] for line in lines)


def test_list_params_without_a_name_covers_every_pipeline():
    result = run_cli("list", "--params")
    assert result.exit_code == 0, result.output
    heads = {line.split(":")[0] for line in result.output.splitlines() if not line[:1].isspace()}
    assert heads == set(PIPELINES)


def test_list_params_markdown_is_the_readme_tables():
    result = run_cli("list", "--params", "raw_svm", "--format", "md")
    assert result.exit_code == 0, result.output
    assert "| `svm.C` | number | 10.0 | > 0 |" in result.output


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("list", "--params", "hog_svn"), "unknown pipeline 'hog_svn' (did you mean 'hog_svm'?)"),
        (("list", "--params", "--format", "mdd"), "unknown format 'mdd' (did you mean 'md'?)"),
    ],
)
def test_list_params_bad_input_is_one_line_exit_2(args, fragment):
    result = run_cli(*args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and lines[0].startswith("error: ")
