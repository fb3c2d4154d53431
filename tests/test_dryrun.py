"""Photos issue, run side: HOG cells by default, chosen values recorded and explained, the
preflight's estimates and memory refusal, and `--dry-run` for run and sweep."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from robustness_helpers import TINY, assert_one_line_error, invoke, write_config
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline

from featcmp.costs import UNCALIBRATED, ExtractionCost
from featcmp.errors import ConfigError
from featcmp.features.base import ImageTransformer
from featcmp.models.nets import CNNClassifier
from featcmp.models.svm import SVM
from featcmp.pipelines import build_pipeline
from featcmp.run.cost import BASE_BYTES, NYSTROEM_S, TORCH_BYTES, estimate_job, extraction_s
from featcmp.run.jobs import load_jobs


def _images(side: int, n: int = 8) -> np.ndarray:
    return np.random.default_rng(side).random((n, side, side)).astype(np.float32)


@pytest.mark.parametrize(("side", "cells"), [(32, (4, 4)), (64, (8, 8)), (128, (16, 16))])
def test_hog_cells_follow_the_working_size_by_default(side, cells):
    pipe = build_pipeline("hog_svm")
    pipe.fit(_images(side), np.arange(8) % 2)
    assert pipe.named_steps["hog"].pixels_per_cell_ == cells


def test_explicit_hog_cells_keep_their_features():
    pipe = build_pipeline("hog_svm", {"hog": {"pixels_per_cell": [4, 4]}})
    pipe.fit(_images(128), np.arange(8) % 2)
    assert pipe.named_steps["hog"].pixels_per_cell_ == (4, 4)
    assert pipe.named_steps["hog"].transform(_images(128)).shape[1] == 31 * 31 * 36


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (4, "hog.pixels_per_cell: expected a list or a string, got an integer 4"),
        ([4, 4, 4], "hog.pixels_per_cell: expected a list of 2 items, got 3"),
        ([4.5, 4], r"hog.pixels_per_cell\[0\]: expected an integer"),
        ("big", "hog.pixels_per_cell: unknown 'big'; choose from 'auto' or a list"),
    ],
)
def test_cells_are_auto_or_a_pair_of_ints(value, message):
    with pytest.raises(ConfigError, match=message):
        build_pipeline("hog_svm", {"hog": {"pixels_per_cell": value}})
    assert build_pipeline("hog_svm", {"hog": {"pixels_per_cell": "auto"}})


def _photo_folder(root: Path) -> Path:
    """Two classes of colour photos of mixed sizes: the working size is chosen (64 px)."""
    rng = np.random.default_rng(0)
    for k, name in enumerate(("cats", "dogs")):
        (root / name).mkdir(parents=True)
        for i in range(8):
            w, h = (64 + 16 * (i % 3), 72 + 8 * (i % 2))
            pixels = rng.integers(0, 255, (h, w, 3), dtype=np.uint8) // (k + 1)
            Image.fromarray(pixels).save(root / name / f"{i}.png")
    return root


def test_the_record_and_explain_show_what_was_chosen(tmp_path):
    folder = _photo_folder(tmp_path / "photos")
    config = write_config(
        tmp_path / "photos.yaml",
        {
            "dataset": {"source": "folder", "path": str(folder)},
            "pipelines": ["hog_svm", {"name": "cnn", "params": {"epochs": 1}}],
        },
    )
    out = tmp_path / "runs"
    result = invoke("run", config, "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    records = {r["pipeline"]: r for r in (json.loads(p.read_text()) for p in out.rglob("*.json"))}
    chosen = records["hog_svm"]["chosen"]
    assert chosen["dataset"]["layout"] and chosen["dataset"]["image_size"] == [64, 64]
    assert chosen["dataset"]["color"].startswith("rgb")
    assert chosen["pipeline"] == {"hog": {"pixels_per_cell": [8, 8]}}
    net = records["cnn"]["chosen"]["pipeline"]["cnn"]
    assert net["n_blocks"] >= 1 and net["input_size"] == [64, 64]

    shown = invoke("explain", config)
    assert shown.exit_code == 0, shown.output
    assert "image_size: [64, 64]" in shown.stdout
    assert "hog_svm: hog: pixels_per_cell 8x8" in shown.stdout
    assert f"cnn: cnn: n_blocks {net['n_blocks']}, input_size 64x64" in shown.stdout


def _tiny_config(tmp_path: Path, name: str = "tiny") -> Path:
    return write_config(
        tmp_path / f"{name}.yaml",
        {"name": name, "dataset": TINY, "pipelines": ["raw_svm", "hog_svm"]},
    )


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_dry_run_fits_nothing_and_writes_nothing(tmp_path, monkeypatch, command):
    def no_fit(self, *args, **kwargs):
        raise AssertionError("a dry run fitted a pipeline")

    monkeypatch.setattr(Pipeline, "fit", no_fit)
    out = tmp_path / "runs"
    result = invoke(command, _tiny_config(tmp_path), "--out", out, "--dry-run")
    assert result.exit_code == 0, result.output
    assert not out.exists()
    assert "# jobs" in result.stdout and "pixels_per_cell" not in result.stdout
    assert "max_train: 60" in result.stdout  # the resolved config
    runs = [line for line in result.stdout.splitlines() if line.startswith("run ")]
    assert len(runs) == 2 and all("fit ~" in line and "peak memory ~" in line for line in runs)
    assert "estimate: tiny/hog_svm: fit ~" in result.stderr


def test_dry_run_marks_resumed_jobs(tmp_path):
    config, out = _tiny_config(tmp_path), tmp_path / "runs"
    assert invoke("run", config, "--out", out, "--quiet").exit_code == 0
    before = sorted(p.stat().st_mtime_ns for p in out.rglob("*"))
    result = invoke("sweep", config, "--out", out, "--dry-run")
    assert result.exit_code == 0, result.output
    marks = [line.split("  ")[0].strip() for line in result.stdout.splitlines()[-3:-1]]
    assert marks == ["ok, resumed", "ok, resumed"]
    assert sorted(p.stat().st_mtime_ns for p in out.rglob("*")) == before
    forced = invoke("sweep", config, "--out", out, "--dry-run", "--force")
    assert sum(line.startswith("run ") for line in forced.stdout.splitlines()) == 2


def test_preflight_refuses_an_over_limit_job_with_its_figure(tmp_path):
    config = write_config(
        tmp_path / "c.yaml", {"dataset": {"source": "digits"}, "pipelines": ["hog_svm"]}
    )
    out = tmp_path / "runs"
    # 0.001 GiB: the SVC kernel of digits' largest pair (0.3 MiB) fits, the whole job does not.
    result = invoke("run", config, "--out", out, env={"FEATCMP_MEMORY_LIMIT_GB": "0.001"})
    line = assert_one_line_error(result, out, "pipelines[0] (hog_svm): expected to need")
    assert "MiB of memory (data, features and model), over the 1.02 MiB limit" in line
    assert not list(out.rglob("*.json"))


def test_estimates_grow_with_the_work(tmp_path):
    jobs = load_jobs([_tiny_config(tmp_path)])
    X = _images(32, 4)
    pipe = build_pipeline(jobs[1].pipeline.name)  # hog_svm
    small, large = (estimate_job(pipe, n, 100, X, 4) for n in (100, 1000))
    assert large.fit_s > 10 * small.fit_s  # SVC: n^2
    assert large.peak_bytes > small.peak_bytes
    assert small.feature_dim == pipe.named_steps["hog"].fit(X).transform(X).shape[1]
    cnn = build_pipeline("cnn", {"epochs": 10})
    short, long = (
        estimate_job(build_pipeline("cnn", {"epochs": e}), 100, 50, X, 4) for e in (10, 20)
    )
    start = CNNClassifier.cost.start_s  # once per fit; the rest grows with the epochs
    assert long.fit_s - start == pytest.approx(2 * (short.fit_s - start))
    assert estimate_job(cnn, 100, 50, X, 4).feature_dim is None


class _Quarters(ImageTransformer):
    """A made-up extractor that counts its own work and declares its own price."""

    cost = ExtractionCost(unit_s=1e-6, svc_s=1e-9, loads_torch=True)

    def work_units(self, image_shape):
        return 7.0, 1000.0  # per image, and to fit

    def width_before_fit(self, image_shape):
        return 5  # what a fit would decide; one image's transform has 4

    def _transform_batch(self, X):
        return X.reshape(len(X), -1)[:, :4]


class _Undeclared(BaseEstimator, TransformerMixin):  # a plugin's extractor, declaring nothing
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X.reshape(len(X), -1)


def test_an_extractor_is_priced_by_what_it_declares():
    X = _images(32, 4)
    pipe = Pipeline([("f", _Quarters()), ("svm", SVM())])
    estimate = estimate_job(pipe, 100, 10, X, 2)
    assert extraction_s(_Quarters(), 100, X.shape[1:]) == pytest.approx(1e-6 * (100 * 7 + 1000))
    assert estimate.feature_dim == 5  # its width_before_fit, not a probe
    assert estimate.fit_s == pytest.approx(1e-6 * 1700 + 1e-9 * 100**2 * 5)
    assert estimate.base_bytes == BASE_BYTES + TORCH_BYTES
    # Declaring nothing: the uncalibrated guess, one unit per pixel, no torch.
    plain = estimate_job(Pipeline([("f", _Undeclared()), ("svm", SVM())]), 100, 10, X, 2)
    pixels = 100 * 32 * 32
    assert plain.feature_dim == 32 * 32
    assert plain.fit_s == pytest.approx(
        UNCALIBRATED.unit_s * pixels + UNCALIBRATED.svc_s * 100**2 * 32 * 32
    )
    assert plain.base_bytes == BASE_BYTES


def test_the_scale_path_estimate_counts_the_kernel_map():
    svm = {"scale": "approximate", "max_exact": 10, "n_components": 500}
    pipe = build_pipeline("raw_svm", {"svm": svm})
    X = _images(32, 4)
    wide = estimate_job(pipe, 50_000, 100, np.repeat(X[..., None], 3, axis=3), 10)
    narrow = estimate_job(pipe, 50_000, 100, X, 10)
    assert wide.feature_dim == 3 * narrow.feature_dim == 3 * 32 * 32
    # n * m * (d + m): the map's first product grows with the pixels, by twice them here.
    assert wide.fit_s - narrow.fit_s >= NYSTROEM_S[0] * 50_000 * 500 * 2 * 32 * 32
    more = build_pipeline("raw_svm", {"svm": {**svm, "n_components": 1000}})
    assert estimate_job(more, 50_000, 100, X, 10).fit_s > 1.8 * narrow.fit_s


def test_the_linear_scale_path_counts_a_float64_copy_only_where_the_solver_makes_one():
    """liblinear copies the features to float64; the torch solver trains on them in place."""
    X = _images(32, 4)
    svm = {"kernel": "linear", "scale": "approximate", "max_exact": 10}

    def work(solver: str) -> int:
        pipe = build_pipeline("raw_svm", {"svm": {**svm, "approx_solver": solver}})
        return estimate_job(pipe, 50_000, 100, X, 10).work_bytes

    features = 4 * 50_000 * 32 * 32  # float32
    assert work("liblinear") - work("torch") == 3 * features


def test_raw_and_edge_vectors_are_bounded_on_large_images():
    X, y = np.random.default_rng(0).random((4, 96, 80, 3)).astype(np.float32), np.arange(4) % 2
    for name, step in (("raw_svm", "raw"), ("edges_svm", "edges")):
        pipe = build_pipeline(name).fit(X, y)
        assert pipe.named_steps[step].downsample_ == 2
        assert pipe.named_steps["svm"].n_features_in_ == 48 * 40 * 3
        full = build_pipeline(name, {step: {"max_size": 0}}).fit(X, y)
        assert full.named_steps["svm"].n_features_in_ == 96 * 80 * 3
    small = build_pipeline("raw_svm").fit(X[:, :32, :32], y)  # CIFAR-sized: as before
    np.testing.assert_array_equal(
        small.named_steps["raw"].transform(X[:, :32, :32]), X[:, :32, :32].reshape(4, -1)
    )
