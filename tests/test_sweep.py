"""Sweeps: resume, --retry-failed, --force, --fail-fast, the feature cache, the scale guard."""

from __future__ import annotations

import json
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from featcmp.cli import app
from featcmp.data.loader import load_dataset
from featcmp.errors import RunError
from featcmp.features.hog import HOGFeatures
from featcmp.models.svm import SVM, ScaleWarning
from featcmp.records import SCHEMA_VERSION, DatasetSummary, Record, load_records
from featcmp.run import cache as feature_cache
from featcmp.run import sweep as sw
from featcmp.run.jobs import load_jobs
from featcmp.run.progress import SweepProgress

DIGITS = {"source": "digits", "test_size": 0.5, "max_train": 300, "max_test": 200}
HOG = {"name": "hog_svm", "params": {"hog": {"pixels_per_cell": [2, 2]}}}


def write_config(folder: Path, name: str, **fields) -> Path:
    raw = {"name": name, "dataset": DIGITS, "pipelines": ["raw_svm", HOG], **fields}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.fixture
def fits(monkeypatch):
    """Count SVM fits (every hand-crafted run fits exactly one)."""
    calls = []
    original = SVM.fit

    def counting(self, X, y):
        calls.append(len(X))
        return original(self, X, y)

    monkeypatch.setattr(SVM, "fit", counting)
    return calls


@pytest.fixture
def extractions(monkeypatch):
    """Count HOG extractions (batches of images through skimage)."""
    calls = []
    original = HOGFeatures._transform_batch

    def counting(self, X):
        calls.append(len(X))
        return original(self, X)

    monkeypatch.setattr(HOGFeatures, "_transform_batch", counting)
    return calls


def sweep(configs, out, **kwargs):
    plan_kw = {k: kwargs.pop(k) for k in ("retry_failed", "force") if k in kwargs}
    plan = sw.plan(load_jobs(configs), out, **plan_kw)
    return plan, sw.run_sweep(plan.todo, out, **kwargs)


def test_resume_skips_finished_runs(tmp_path, fits):
    cfg = write_config(tmp_path, "a", grid={"seed": [0, 1]})
    out = tmp_path / "runs"
    plan, outcome = sweep([cfg], out)
    assert plan.total == 4 and outcome.ran == 4 and len(fits) == 4
    plan, outcome = sweep([cfg], out)
    assert (len(plan.todo), len(plan.done), outcome.ran, len(fits)) == (0, 4, 0, 4)
    victim = sorted((out / "a").glob("hog_svm-*.json"))[0]
    victim.unlink()
    plan, outcome = sweep([cfg], out)
    assert [j.record_path(out) for j in plan.todo] == [victim]
    assert len(fits) == 5 and victim.exists()
    plan, outcome = sweep([cfg], out, force=True)
    assert outcome.ran == 4 and len(fits) == 9


def test_retry_failed_reruns_only_failed_runs(tmp_path, fits):
    ok = write_config(tmp_path, "ok")
    missing = tmp_path / "missing.yaml"
    missing.write_text(
        yaml.safe_dump(
            {
                "name": "missing",
                "dataset": {"source": "idx", "path": str(tmp_path / "nope")},
                "pipelines": ["raw_svm"],
            }
        )
    )
    out = tmp_path / "runs"
    seen = []
    plan, outcome = sweep([missing, ok], out, on_record=lambda j, r: seen.append(r))
    # The missing dataset fails its run with its one-line error; the other config still runs.
    assert outcome.ran == 3 and outcome.failed == 1 and len(fits) == 2
    (failed,) = [r for r in seen if r.status == "failed"]
    assert "nope" in failed.error and "not found" in failed.error
    assert json.loads(next((out / "missing").glob("*.json")).read_text())["status"] == "failed"
    plan, outcome = sweep([missing, ok], out)
    assert outcome.ran == 0 and len(plan.failed_before) == 1
    plan, outcome = sweep([missing, ok], out, retry_failed=True)
    assert [j.config.name for j in plan.todo] == ["missing"] and outcome.ran == 1
    assert len(fits) == 2  # the ok runs were not fitted again


def test_fail_fast_stops_at_the_first_failure(tmp_path):
    missing = tmp_path / "missing.yaml"
    missing.write_text(
        yaml.safe_dump(
            {
                "name": "missing",
                "dataset": {"source": "idx", "path": str(tmp_path / "nope")},
                "pipelines": ["raw_svm", "hog_svm"],
            }
        )
    )
    out = tmp_path / "runs"
    plan, outcome = sweep([missing], out, fail_fast=True)
    assert plan.total == 2 and outcome.ran == 1 and outcome.stopped


def test_cache_hit_skips_extraction(tmp_path, extractions):
    cfg = write_config(tmp_path, "c")
    cache_dir = tmp_path / "cache"
    sweep([cfg], tmp_path / "one", feature_cache=cache_dir)
    first = len(extractions)
    assert first > 0 and feature_cache.usage(cache_dir)[0] == 2  # train and test features
    sweep([cfg], tmp_path / "two", feature_cache=cache_dir)
    assert len(extractions) == first  # nothing extracted again
    one, two = (sorted(load_records(tmp_path / d), key=lambda r: r.id) for d in ("one", "two"))
    assert [r.predictions for r in one] == [r.predictions for r in two]
    # The cache is invisible in the record: artifacts read the fitted extractor itself.
    assert all((r.artifacts.hog_samples is not None) == (r.pipeline == "hog_svm") for r in two)
    # Other extractor parameters are other features: a miss, then cached too.
    other = write_config(
        tmp_path,
        "d",
        pipelines=[
            {"name": "hog_svm", "params": {"hog": {"orientations": 6, "pixels_per_cell": [2, 2]}}}
        ],
    )
    sweep([other], tmp_path / "three", feature_cache=cache_dir)
    assert len(extractions) > first and feature_cache.usage(cache_dir)[0] == 4


def test_corrupt_or_foreign_cache_file_is_a_miss(tmp_path, extractions):
    data = load_dataset(load_config_dataset(), 0)
    hog = HOGFeatures(pixels_per_cell=(2, 2))
    wrapped = feature_cache.CachedFeatures(hog, str(tmp_path))
    expected = wrapped.fit_transform(data.X_train)
    (path,) = tmp_path.glob("*/*.npy")
    path.write_bytes(path.read_bytes()[:100])  # as if cut off by a crash (not written by us)
    calls = len(extractions)
    again = feature_cache.CachedFeatures(hog, str(tmp_path)).fit_transform(data.X_train)
    assert len(extractions) > calls and np.array_equal(again, expected)
    assert np.load(path, allow_pickle=False).shape == expected.shape  # replaced by a whole file
    # Different data under the same extractor never hits.
    assert feature_cache.feature_key(hog, data.X_train) != feature_cache.feature_key(
        hog, data.X_test
    )


def load_config_dataset():
    from featcmp.config import DatasetConfig

    return DatasetConfig(source="digits", test_size=0.5, max_train=200)


def test_the_cache_wrapper_has_the_extractors_parameters(tmp_path):
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    hog = HOGFeatures(orientations=9, pixels_per_cell=(2, 2))
    pipe = Pipeline([("hog", feature_cache.CachedFeatures(hog, str(tmp_path))), ("svm", SVM())])
    assert pipe.steps[0][1].get_params() == hog.get_params()
    assert "hog__orientations" in pipe.get_params()  # as the bare pipeline names it
    pipe.set_params(hog__orientations=6)
    assert hog.orientations == 6
    copy = clone(pipe).steps[0][1]
    assert isinstance(copy, feature_cache.CachedFeatures) and copy.cache_dir == str(tmp_path)
    assert copy.extractor is not hog and copy.get_params() == hog.get_params()


def test_prune_drops_least_recently_used(tmp_path):
    for i in range(4):
        assert feature_cache.store(tmp_path, f"{i:02d}key{i}", np.zeros((100, 100), np.float32))
    files = sorted(feature_cache.cache_files(tmp_path))
    for age, p in enumerate(files):  # file 0 oldest
        import os

        os.utime(p, (1000 + age, 1000 + age))
    size = files[0].stat().st_size
    feature_cache.prune(tmp_path, max_bytes=2 * size)
    assert sorted(feature_cache.cache_files(tmp_path)) == files[2:]


def test_scale_guard_switches_to_the_approximation(tmp_path):
    data = load_dataset(load_config_dataset(), 0)
    X, y = data.X_train.reshape(len(data.X_train), -1), data.y_train
    Xt = data.X_test.reshape(len(data.X_test), -1)
    exact = SVM(max_exact=10_000).fit(X, y)
    assert exact.solver_ == "SVC"
    approx = SVM(max_exact=50, scale="approximate", n_components=150).fit(X, y)
    assert approx.solver_ == "Nystroem+TorchLinearSVM"
    assert np.mean(approx.predict(Xt) == data.y_test) > 0.85
    with pytest.raises(RunError, match="max_exact=50"):
        SVM(max_exact=50, scale="refuse").fit(X, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert SVM(max_exact=50).fit(X, y).solver_ == "SVC"
    (warning,) = [w for w in caught if issubclass(w.category, ScaleWarning)]
    assert "200 images" in str(warning.message) and "n^2 model" in str(warning.message)


def test_record_names_the_solver_that_ran(tmp_path):
    params = {"svm": {"max_exact": 100, "scale": "approximate", "n_components": 80}}
    cfg = write_config(tmp_path, "s", pipelines=[{"name": "raw_svm", "params": params}])
    sweep([cfg], tmp_path / "runs")
    (record,) = load_records(tmp_path / "runs")
    assert record.status == "ok" and record.solver == "Nystroem+TorchLinearSVM"
    assert record.learned_params == 10 * 80 + 10


def test_progress_lines_without_a_terminal(capsys):
    record = Record(
        schema=SCHEMA_VERSION,
        id="x",
        config_name="c",
        pipeline="hog_svm",
        seed=0,
        status="ok",
        accuracy=0.5,
        dataset=DatasetSummary("digits"),
        config={},
        fit_seconds=1.0,
        solver="SVC",
    )
    with SweepProgress(2, rich=False) as progress:
        progress.update(record)
        progress.update(replace(record, status="failed", error="boom"))
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("[1/2 ") and "left]" in lines[0] and "ok      c/hog_svm" in lines[0]
    assert (
        lines[1].startswith("[2/2 ")
        and "done]" in lines[1]
        and "FAILED  c/hog_svm seed 0: boom" in lines[1]
    )


def test_cli_exit_codes(tmp_path):
    runner = CliRunner()
    ok = write_config(tmp_path, "ok", pipelines=["raw_svm"])
    out = str(tmp_path / "runs")
    result = runner.invoke(app, ["sweep", str(ok), "--out", out, "--no-cache"])
    assert result.exit_code == 0, result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump(
            {
                "name": "bad",
                "pipelines": ["raw_svm"],
                "grid": {"pipelines.raw_svm.params.svm.C": [0]},
            }
        )
    )
    result = runner.invoke(app, ["sweep", str(ok), str(bad), "--out", out])
    assert result.exit_code == 2 and "bad.yaml" in result.output
    assert "sweep:" not in result.output  # nothing planned, nothing ran
    missing = tmp_path / "missing.yaml"
    missing.write_text(
        yaml.safe_dump(
            {"name": "m", "dataset": {"source": "idx", "path": "/nope"}, "pipelines": ["raw_svm"]}
        )
    )
    result = runner.invoke(app, ["sweep", str(missing), "--out", out])
    # Data that is not there is bad input, as under `run`: exit 2 before any fit, no record.
    assert result.exit_code == 2 and "/nope: dataset folder not found" in result.output
    assert not (Path(out) / "m").exists()


def test_an_extractor_with_its_own_fit_must_say_whether_it_learns():
    from featcmp.features.base import ImageTransformer

    with pytest.raises(TypeError, match="declare learns_from_data"):

        class Silent(ImageTransformer):
            def fit(self, X, y=None):
                return self


def test_a_step_that_does_not_declare_is_taken_to_learn():
    assert feature_cache.learns_in_fit(object())


def test_extractor_that_learns_in_fit_is_keyed_by_its_training_data(tmp_path):
    from featcmp.features.base import ImageTransformer

    class Centred(ImageTransformer):
        learns_from_data = True

        def fit(self, X, y=None):
            self.mean_ = np.asarray(X, dtype=np.float32).mean(axis=0)
            return self

        def _transform_batch(self, X):
            return (X - self.mean_).reshape(len(X), -1)

    rng = np.random.default_rng(0)
    a, b, query = (rng.random((20, 8, 8), dtype=np.float32) for _ in range(3))
    first = feature_cache.CachedFeatures(Centred(), str(tmp_path)).fit(a).transform(query)
    second = feature_cache.CachedFeatures(Centred(), str(tmp_path)).fit(b).transform(query)
    assert np.allclose(second, Centred().fit(b).transform(query))
    assert not np.allclose(first, second)
    assert feature_cache.usage(tmp_path)[0] == 2
