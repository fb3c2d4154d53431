"""SIGKILL during a run leaves only whole records; the next run clears the dead temporary files.

A run is killed twice, in subprocesses: once at a chosen instant (inside an atomic write, after
the temporary file is written and before it is renamed), once at whatever instant the run has
reached after a few records. Readers must see only complete records either way.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from featcmp.files import remove_stale_temps, stale_temps
from featcmp.records import load_records, read_record
from featcmp.run.jobs import expand_jobs, load_config
from featcmp.run.sweep import run_jobs
from tests.robustness_helpers import ROOT, run_module, write_config

# Many cheap records: raw pixels of 40 digits, one record per seed.
MANY = {
    "name": "many",
    "seeds": list(range(200)),
    "dataset": {"source": "digits", "max_train": 40, "max_test": 20},
    "pipelines": ["raw_svm"],
}

# Runs the CLI in-process, pausing inside the Nth atomic write (temporary file written and
# fsynced, not yet renamed) after saying so through a marker file.
PAUSE_IN_WRITE = textwrap.dedent(
    """
    import os, sys, time
    import featcmp.files as results
    from featcmp.cli import main

    marker, nth = sys.argv[1], int(sys.argv[2])
    real_fsync, count = os.fsync, [0]

    def fsync(fd):
        real_fsync(fd)
        count[0] += 1
        if count[0] == nth:
            open(marker, "w").close()
            time.sleep(600)

    results.os.fsync = fsync
    sys.argv = ["featcmp", *sys.argv[3:]]
    main()
    """
)


def wait_for(predicate, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run never reached the point to kill it"
        time.sleep(0.05)


def kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def assert_only_whole_records(folder: Path) -> list[dict]:
    """Every visible *.json parses and is a record; temporary files are not records."""
    records = []
    for path in sorted(folder.rglob("*.json")):
        data = json.loads(path.read_text())  # raises on a torn file
        assert read_record(path).to_json() == data and data["status"] == "ok", path
        records.append(data)
    assert len(load_records(folder)) == len(records)
    return records


def test_kill_inside_an_atomic_write(tmp_path: Path):
    config = write_config(tmp_path / "many.yaml", MANY)
    out, marker = tmp_path / "runs", tmp_path / "paused"
    args = ["run", config, "--out", out, "-q"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-c", PAUSE_IN_WRITE, str(marker), "4", *map(str, args)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(marker.exists, proc)
    kill(proc)

    folder = out / "many"
    temps = list(folder.glob(".*.tmp"))
    assert len(temps) == 1, temps  # the kill did land inside a write
    assert json.loads(temps[0].read_text())["seed"] == 3  # a whole record, never renamed
    records = assert_only_whole_records(out)
    assert sorted(r["seed"] for r in records) == [0, 1, 2]

    # A temporary file younger than a minute may belong to a live writer: kept.
    assert remove_stale_temps(folder) == 0 and temps[0].exists()
    old = time.time() - 3600
    os.utime(temps[0], (old, old))
    assert stale_temps(folder) == temps

    # The next run into the folder removes it and writes the rest.
    cfg = load_config(write_config(tmp_path / "few.yaml", {**MANY, "seeds": [0, 1, 2, 3, 4]}))
    list(run_jobs(expand_jobs(cfg), out))
    assert not list(folder.glob(".*.tmp"))
    assert sorted(r["seed"] for r in assert_only_whole_records(out)) == [0, 1, 2, 3, 4]


def test_kill_at_an_arbitrary_moment(tmp_path: Path):
    config = write_config(tmp_path / "many.yaml", MANY)
    out = tmp_path / "runs"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "featcmp", "run", str(config), "--out", str(out), "-q"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(lambda: len(list(out.rglob("*.json"))) >= 5, proc)
    kill(proc)
    records = assert_only_whole_records(out)
    assert 5 <= len(records) < 200
    assert not [p for p in out.rglob("*") if p.is_file() and not p.name.endswith((".json", ".tmp"))]


def test_report_ignores_temporary_files(tmp_path: Path):
    """A reader meeting a dead temporary file: it is not a record and breaks nothing."""
    folder = tmp_path / "runs" / "x"
    folder.mkdir(parents=True)
    (folder / ".raw_svm-abc.json.k2j3.tmp").write_text('{"schema": 1, "trunc')
    (folder / ".hidden.json").write_text("{")
    assert load_records(tmp_path / "runs") == []
    proc = run_module("report", tmp_path / "runs")
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith(
        f"no run records found; run `featcmp run CONFIG --out {tmp_path / 'runs'}` first"
    )


def test_sweep_removes_stale_temporary_files_too(tmp_path: Path):
    from featcmp.run.sweep import run_sweep

    cfg = load_config(write_config(tmp_path / "few.yaml", {**MANY, "seeds": [0, 1]}))
    folder = tmp_path / "runs" / "many"
    folder.mkdir(parents=True)
    dead, live = folder / ".raw_svm-x.json.a1.tmp", folder / ".raw_svm-y.json.b2.tmp"
    dead.write_text("{")
    live.write_text("{")
    os.utime(dead, (time.time() - 3600,) * 2)
    run_sweep(expand_jobs(cfg), tmp_path / "runs")
    assert not dead.exists() and live.exists()
    assert len(assert_only_whole_records(tmp_path / "runs")) == 2


def test_a_signal_whose_interrupt_python_dropped_still_stops_the_sweep(tmp_path: Path):
    """Python drops an exception raised inside a callback it guards (seen: SIGTERM during an
    import's lock cleanup, after which the sweep ran to exit 0). The handler's interrupt is
    swallowed here the same way; the sweep still stops after the record that was running,
    which is kept whole, and runs no further job."""
    import pytest

    from featcmp.run.sweep import run_here, run_sweep

    def dropping(jobs, cache):
        for i, (job, record) in enumerate(run_here(jobs, cache)):
            if i == 0:
                try:
                    os.kill(os.getpid(), signal.SIGTERM)
                    time.sleep(1)  # the handler runs here and raises
                except KeyboardInterrupt:
                    pass  # dropped
            yield job, record

    cfg = load_config(write_config(tmp_path / "few.yaml", {**MANY, "seeds": [0, 1, 2]}))
    with pytest.raises(KeyboardInterrupt):
        run_sweep(expand_jobs(cfg), tmp_path / "runs", executor=dropping)
    assert len(assert_only_whole_records(tmp_path / "runs")) == 1
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # put back
