"""configs/cifar10.yaml and configs/scale/cifar10-gpu.yaml validate against the registries;
without the data a run stops with one line saying how to get it (nothing fitted or written)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from featcmp.cli import app
from featcmp.pipelines import build_pipeline
from featcmp.run.jobs import load_config

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "cifar10.yaml"
GPU_CONFIG = ROOT / "configs" / "scale" / "cifar10-gpu.yaml"


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def test_cifar10_config_builds_every_pipeline():
    cfg = load_config(CONFIG)
    assert cfg.dataset.source == "cifar10" and cfg.dataset.max_train is None  # full 50k/10k
    rows = [p.row for p in cfg.pipelines]
    assert rows == ["raw_svm", "hog_svm", "sift_bovw_svm", "cnn", "mlp"]
    for i, p in enumerate(cfg.pipelines):
        build_pipeline(p.name, p.params, f"pipelines[{i}]")
    svms = [p.params["svm"] for p in cfg.pipelines if "svm" in p.params]
    assert all(s["scale"] == "approximate" and s["max_exact"] <= 20_000 for s in svms)


@pytest.mark.parametrize("config", [CONFIG, GPU_CONFIG], ids=["cpu", "gpu"])
def test_cifar10_config_cnns_stay_small_at_32_px(config):
    cfg = load_config(config)
    assert cfg.dataset.source == "cifar10" and cfg.dataset.max_train is None
    for p in cfg.pipelines:
        if p.name == "cnn":
            net = build_pipeline(p.name, p.params).steps[-1][1]
            net.check_geometry((32, 32, 3))


def test_cifar10_without_the_data_is_one_line(tmp_path):
    gone = tmp_path / "not-here.tar.gz"
    out = tmp_path / "runs"
    result = CliRunner().invoke(
        app, ["run", str(CONFIG), "--out", str(out), "--set", f"dataset.path={gone}"]
    )
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {gone}")
    assert "cifar-10-binary.tar.gz" in lines[0]
    assert not any(out.rglob("*.json"))


def test_cifar10_ladder_config_climbs_every_rung_on_the_scale_path():
    cfg = load_config(ROOT / "configs" / "cifar10-ladder.yaml")
    assert cfg.dataset.source == "cifar10" and cfg.dataset.max_train is None  # full 50k/10k
    rows = [p.row for p in cfg.pipelines]
    assert rows == [
        "raw_svm", "hog_svm", "scattering_svm", "kmeans_svm", "random_cnn_svm", "cnn_1layer",
        "cnn",
    ]  # fmt: skip
    for i, p in enumerate(cfg.pipelines):
        pipe = build_pipeline(p.name, p.params, f"pipelines[{i}]")
        svm = pipe.steps[-1][1]
        if hasattr(svm, "takes_scale_path"):  # 50k images never reach an exact kernel dual
            assert svm.takes_scale_path(50_000) and not svm.fits_exact_kernel(50_000)
    cnn = {p.row: p.params for p in cfg.pipelines}
    frozen = cnn["random_cnn_svm"]["random_cnn"]
    assert all(cnn["cnn"][k] == v for k, v in frozen.items())  # the cnn row's network
