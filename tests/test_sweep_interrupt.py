"""Ctrl-C and SIGTERM to a real sweep process: only whole files are left, and a resume finishes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from featcmp.records import read_record

ROOT = Path(__file__).resolve().parents[1]
SEEDS = [0, 1, 2, 3]


def start_sweep(config: Path, out: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FEATCMP_CACHE": str(out / "cache")}
    return subprocess.Popen(
        [sys.executable, "-m", "featcmp", "sweep", str(config), "--out", str(out)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell's background job ignores SIGINT and children inherit that; undo it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def records(out: Path) -> list[Path]:
    return sorted(out.glob("interrupt/*.json"))


def assert_only_whole_files(out: Path) -> None:
    leftovers = [p for p in out.rglob("*") if p.is_file() and p.name.endswith(".tmp")]
    assert leftovers == []
    for path in records(out):
        assert read_record(path) is not None, path
        json.loads(path.read_text())
    for path in (out / "cache").rglob("*.npy"):
        assert np.load(path, allow_pickle=False).ndim == 2


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_leaves_whole_files_and_resume_finishes(tmp_path, request, sig):
    config = tmp_path / "interrupt.yaml"
    # Each seed: a HOG + SVM run (feature cache writes) and a short MLP training.
    config.write_text(
        yaml.safe_dump(
            {
                "name": "interrupt",
                "dataset": {"source": "digits", "test_size": 0.5, "max_train": 500},
                "pipelines": [
                    {"name": "hog_svm", "params": {"hog": {"pixels_per_cell": [2, 2]}}},
                    {"name": "mlp", "params": {"epochs": 10, "hidden": [128]}},
                ],
                "grid": {"seed": SEEDS},
            }
        )
    )
    out = tmp_path / "runs"
    total = 2 * len(SEEDS)
    proc = start_sweep(config, out)
    request.addfinalizer(proc.kill)
    deadline = time.monotonic() + 120
    while not records(out) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()[1]
    time.sleep(0.3)  # land in the middle of a later run
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted; finished runs are kept" in err
    assert "Traceback" not in err
    finished = len(records(out))
    assert 1 <= finished < total
    assert_only_whole_files(out)

    proc = start_sweep(config, out)
    request.addfinalizer(proc.kill)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert f"sweep: {total} runs, {total - finished} to run, {finished} already ok" in err
    assert len(records(out)) == total
    assert_only_whole_files(out)
