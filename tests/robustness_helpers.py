"""Shared pieces of the robustness tests: invoking the CLI and checking the error contract.

The contract (docs/robustness.md): one `error:` line on stderr naming the cause, exit status 2,
no traceback, and no record or temporary file left in the output folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import yaml
from typer.testing import CliRunner

from featcmp.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

# A split small enough that every pipeline fits in well under a second.
TINY = {"source": "digits", "max_train": 60, "max_test": 30}


def invoke(*args: str, env: dict[str, str] | None = None):
    """Run the typer app in-process (CliRunner); stderr is kept apart from stdout."""
    return runner.invoke(app, [str(a) for a in args], env=env)


def write_config(path: Path, data: object) -> Path:
    """Write `data` as YAML (or `data` itself when it is already text)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return path


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def assert_one_line_error(result, out: Path | None, *fragments: str, code: int = 2) -> str:
    """Exit `code`, exactly one stderr line, holding every fragment; no traceback, no output."""
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    if out is not None:
        assert_no_output(out)
    return lines[0]


def assert_no_output(out: Path) -> None:
    """No record and no temporary file anywhere under `out` (the folder itself may exist)."""
    if out.exists():
        left = [p for p in out.rglob("*") if p.is_file()]
        assert not left, f"left behind: {left}"


def run_module(*args: str, env: dict[str, str] | None = None, timeout: float = 120):
    """`python -m featcmp ARGS` in a subprocess, with this checkout first on the path."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "featcmp", *map(str, args)],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=ROOT,
        timeout=timeout,
    )


def save_png(path: Path, array: np.ndarray, mode: str | None = None) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(array)
    (image.convert(mode) if mode else image).save(path)
    return path


def noise_folder(root: Path, per_class: dict[str, int], size: tuple[int, int] = (12, 12)) -> Path:
    """A class-per-folder dataset of random gray PNGs."""
    rng = np.random.default_rng(0)
    for name, n in per_class.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            save_png(root / name / f"{i}.png", rng.integers(0, 256, size, dtype=np.uint8))
    return root
