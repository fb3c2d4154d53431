"""A sweep on a real Dask cluster (127.0.0.1) gives the same records as one in this process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from featcmp.records import load_records
from featcmp.run import sweep as sw
from featcmp.run.dask import run_on_dask
from featcmp.run.jobs import load_jobs

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]
KEYS = ("id", "pipeline", "seed", "status", "accuracy", "predictions", "solver", "feature_dim")


def write_config(folder: Path) -> Path:
    path = folder / "dask.yaml"
    raw = {
        "name": "dask",
        "dataset": {"source": "digits", "test_size": 0.5, "max_train": 300, "max_test": 200},
        "pipelines": [
            "raw_svm",
            {"name": "hog_svm", "params": {"hog": {"pixels_per_cell": [2, 2]}}},
            {"name": "mlp", "params": {"epochs": 2, "hidden": [32]}},
        ],
        "grid": {"seed": [0, 1], "pipelines.hog_svm.params.svm.C": [1, 10]},
    }
    path.write_text(yaml.safe_dump(raw))
    return path


def essentials(out: Path) -> list[tuple]:
    return sorted(tuple(str(getattr(r, k)) for k in KEYS) for r in load_records(out))


def test_local_cluster_gives_the_same_records(tmp_path):
    jobs = load_jobs([write_config(tmp_path)])
    local = sw.run_sweep(jobs, tmp_path / "local", feature_cache=tmp_path / "cache-local")
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        executor = run_on_dask(scheduler=cluster.scheduler_address)
        remote = sw.run_sweep(jobs, tmp_path / "dask", executor, tmp_path / "cache-dask")
    assert local.ran == remote.ran == len(jobs) == 8 and remote.failed == 0
    assert essentials(tmp_path / "dask") == essentials(tmp_path / "local")
    names = lambda d: sorted(p.relative_to(d) for p in d.rglob("*.json"))  # noqa: E731
    assert names(tmp_path / "dask") == names(tmp_path / "local")


@pytest.mark.slow
def test_workers_option_starts_a_local_cluster(tmp_path):
    config = tmp_path / "w.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "name": "w",
                "dataset": {"source": "digits", "max_train": 200},
                "pipelines": ["raw_svm"],
                "grid": {"seed": [0, 1]},
            }
        )
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "featcmp", "sweep", str(config), "--workers", "2"]
    done = subprocess.run(
        [*cmd, "--out", str(tmp_path / "runs")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    subprocess.run(
        [*cmd[:4], str(config), "--out", str(tmp_path / "here")],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert essentials(tmp_path / "runs") == essentials(tmp_path / "here")
    assert len(load_records(tmp_path / "runs")) == 2
