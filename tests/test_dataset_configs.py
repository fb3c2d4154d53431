"""The real-data configs: paths overridable, a missing dataset says how to get it, real reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from featcmp.cli import app
from featcmp.data.idx import write_idx
from featcmp.data.loader import load_dataset
from featcmp.run.jobs import load_config

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted(
    p.relative_to(ROOT) for p in (ROOT / "configs").rglob("*.yaml") if p.name != "published.yaml"
)
MNIST = ROOT / "../shared/data/mnist"
FASHION = Path("/usr/share/datasets/fashion-mnist")
runner = CliRunner()


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # config paths are relative to the repository root


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_every_config_validates(config):
    cfg = load_config(config)
    assert cfg.pipelines


def write_fake_idx(folder: Path, n_train: int = 40, n_test: int = 20) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        write_idx(
            folder / f"{prefix}-images-idx3-ubyte.gz",
            rng.integers(0, 256, (n, 28, 28)).astype(np.uint8),
        )
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", (np.arange(n) % 10).astype(np.uint8))
    return folder


@pytest.mark.parametrize(
    "config", ["configs/mnist.yaml", "configs/fashion-mnist.yaml", "configs/ci/mnist.yaml"]
)
def test_dataset_path_is_overridable(tmp_path, config):
    folder = write_fake_idx(tmp_path / "copy")
    cfg = load_config(config, [f"dataset.path={folder}", "dataset.max_train=30"])
    assert cfg.dataset.path == str(folder)
    ds = load_dataset(cfg.dataset, seed=0)
    assert ds.own_test_split and ds.name == "idx:copy"
    assert len(ds.y_train) == 30 and len(ds.y_test) == 20 and ds.image_shape == (28, 28)


@pytest.mark.parametrize(
    ("config", "how"),
    [
        ("configs/fashion-mnist.yaml", "to get it: apt-get install -y dataset-fashion-mnist"),
        ("configs/mnist.yaml", "https://yann.lecun.com/exdb/mnist/"),
        ("configs/paper/fashion-mnist.yaml", "apt-get install -y dataset-fashion-mnist"),
    ],
)
def test_missing_dataset_is_one_line_saying_how_to_get_it(tmp_path, config, how):
    out = tmp_path / "runs"
    gone = tmp_path / "not-here"
    result = runner.invoke(app, ["run", config, "--out", str(out), "--set", f"dataset.path={gone}"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {gone}: dataset not found")
    assert how in lines[0] and "--set dataset.path=DIR" in lines[0]
    assert not any(out.rglob("*.json"))


def test_missing_path_without_a_hint_is_the_sources_own_message(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"dataset: {{source: idx, path: {tmp_path / 'x'}}}\npipelines: [raw_svm]\n")
    result = runner.invoke(app, ["run", str(cfg), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "x: dataset folder not found" in result.output and "to get it" not in result.output


@pytest.mark.skipif(not MNIST.is_dir(), reason="../shared/data/mnist is absent")
def test_mnist_config_reads_the_shared_10k_split():
    ds = load_dataset(load_config("configs/mnist.yaml").dataset, seed=0)
    assert not ds.own_test_split  # only t10k-* present: re-split
    assert ds.image_shape == (28, 28) and ds.class_names == [str(i) for i in range(10)]
    assert len(ds.y_train) == 5000 and len(ds.y_test) == 2500
    assert np.bincount(ds.y_test).min() > 200  # stratified


@pytest.mark.skipif(not FASHION.is_dir(), reason="apt-get install -y dataset-fashion-mnist")
def test_fashion_config_reads_the_official_split():
    cfg = load_config("configs/fashion-mnist.yaml", ["dataset.max_test=1000"])
    ds = load_dataset(cfg.dataset, seed=0)
    assert ds.own_test_split and ds.name == "idx:fashion-mnist"
    assert len(ds.y_train) == 10_000 and len(ds.y_test) == 1000
    assert ds.class_names[0] == "T-shirt-top" and ds.class_names[9] == "Ankle-boot"
    assert np.bincount(ds.y_train).tolist() == [1000] * 10
