"""Run-time failures: NaN loss, torch allocation, unwritable or full disks; the job's record says
failed and the other jobs go on."""

from __future__ import annotations

import errno
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import featcmp.files
from featcmp.errors import RunError
from featcmp.models.nets import CNNClassifier
from featcmp.records import load_records
from tests.robustness_helpers import (
    TINY,
    assert_no_output,
    assert_one_line_error,
    error_lines,
    invoke,
    write_config,
)

# lr 1e30: the first step throws the weights to ~1e30 and the next loss overflows.
NAN_CNN = {
    "name": "cnn",
    "params": {"lr": 1.0e30, "epochs": 1, "batch_size": 16, "schedule": "constant"},
}


def test_nan_loss_marks_the_run_failed_and_the_others_go_on(tmp_path: Path):
    config = write_config(
        tmp_path / "c.yaml", {"name": "nan", "dataset": TINY, "pipelines": [NAN_CNN, "raw_svm"]}
    )
    out = tmp_path / "runs"
    result = invoke("run", config, "--out", out, "-q")
    assert result.exit_code == 1, result.output  # a job failed at run time; the others ran
    assert "Traceback" not in result.output
    failed = [line for line in result.stderr.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1 and "nan/cnn seed 0" in failed[0], result.stderr
    assert "training loss became nan at epoch 1; lower lr" in failed[0]
    records = {r.pipeline: r for r in load_records(out)}
    assert records["cnn"].status == "failed" and records["cnn"].accuracy is None
    assert "training loss became nan" in records["cnn"].error
    assert records["raw_svm"].status == "ok" and records["raw_svm"].accuracy > 0.5


def test_nan_loss_is_a_run_error_in_the_estimator():
    X = np.random.default_rng(0).random((40, 8, 8)).astype(np.float32)
    y = np.arange(40) % 2
    cnn = CNNClassifier(
        channels=(4,), hidden=0, epochs=1, batch_size=8, lr=1e30, schedule="constant"
    )
    with pytest.raises(RunError, match="training loss became nan"):
        cnn.fit(X, y)


def test_torch_allocation_failure_marks_the_run_failed(tmp_path: Path, monkeypatch):
    def fail_to_allocate(self, X, y):
        raise RuntimeError(
            "[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate "
            "memory: you tried to allocate 36000000000 bytes. Error code 12"
        )

    monkeypatch.setattr(CNNClassifier, "fit", fail_to_allocate)
    config = write_config(tmp_path / "c.yaml", {"dataset": TINY, "pipelines": ["cnn"]})
    result = invoke("run", config, "--out", tmp_path / "runs", "-q")
    assert result.exit_code == 1
    failed = [line for line in result.stderr.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1 and "/cnn seed 0: cnn: ran out of memory" in failed[0], result.stderr
    [record] = load_records(tmp_path / "runs")
    assert record.status == "failed"


def unwritable_dir(tmp_path: Path) -> Path:
    """A folder this process cannot create files in, for real (not a mock)."""
    if os.geteuid() != 0:
        ro = tmp_path / "read-only"
        ro.mkdir()
        ro.chmod(0o555)
        return ro / "runs"
    if sys.platform.startswith("linux") and Path("/sys").is_dir():
        return Path("/sys/featcmp-runs")  # sysfs refuses new entries even to root
    pytest.skip("no unwritable folder available to root here")


def test_read_only_output_dir(tmp_path: Path):
    out = unwritable_dir(tmp_path)
    config = write_config(tmp_path / "c.yaml", {"dataset": TINY, "pipelines": ["raw_svm"]})
    line = assert_one_line_error(invoke("run", config, "--out", out), None, str(out))
    assert "cannot write results here" in line
    assert not out.exists()


def test_output_dir_is_a_file(tmp_path: Path):
    out = tmp_path / "runs"
    out.write_text("I am a file")
    config = write_config(tmp_path / "c.yaml", {"dataset": TINY, "pipelines": ["raw_svm"]})
    assert_one_line_error(invoke("run", config, "--out", out), None, "output path is a file")
    assert out.read_text() == "I am a file"


@pytest.mark.parametrize("fail_on_write", [1, 2])
def test_full_disk_leaves_no_partial_file(tmp_path: Path, monkeypatch, fail_on_write: int):
    """The disk fills up while a record is being written: its temporary file goes, one line.

    The first `fail_on_write - 1` records were written whole before; they stay and parse.
    """
    real_fsync, calls = os.fsync, []

    def fsync(fd):
        calls.append(fd)
        if len(calls) == fail_on_write:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(featcmp.files.os, "fsync", fsync)
    config = write_config(
        tmp_path / "c.yaml", {"name": "full", "dataset": TINY, "pipelines": ["raw_svm", "mlp"]}
    )
    out = tmp_path / "runs"
    result = invoke("run", config, "--out", out, "-q")
    assert result.exit_code == 2
    errors = error_lines(result.stderr)
    assert len(errors) == 1 and errors[0].endswith(".json: No space left on device"), errors
    assert str(out / "full") in errors[0]
    assert not list(out.rglob("*.tmp")) and not list(out.rglob(".*"))
    written = sorted(out.rglob("*.json"))
    assert len(written) == fail_on_write - 1
    for path in written:
        assert json.loads(path.read_text())["status"] == "ok"
    if fail_on_write == 1:
        assert_no_output(out)
