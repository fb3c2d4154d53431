"""scattering_svm: Kymatio's scattering coefficients, flattened, then the SVM."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from kymatio import Scattering2D
from typer.testing import CliRunner

from featcmp.cli import app
from featcmp.errors import DataError
from featcmp.features.scattering import ScatteringFeatures, n_coefficients
from featcmp.pipelines import build_pipeline


def kymatio(X: np.ndarray, J: int, L: int, order: int) -> np.ndarray:
    x = torch.from_numpy(X if X.ndim == 3 else X.transpose(0, 3, 1, 2).copy())
    s = Scattering2D(J=J, shape=X.shape[1:3], L=L, max_order=order, frontend="torch")
    return s(x).reshape(len(X), -1).numpy()


@pytest.mark.parametrize(("shape", "J", "L", "order"), [
    ((5, 16, 16), 2, 4, 2), ((5, 32, 32, 3), 2, 8, 2), ((4, 24, 20, 3), 3, 4, 1),
])  # fmt: skip
def test_output_equals_kymatio(shape, J, L, order) -> None:
    X = np.random.default_rng(0).random(shape, dtype=np.float32)
    ours = ScatteringFeatures(J=J, L=L, max_order=order, log=False, device="cpu")
    np.testing.assert_allclose(ours.fit(X).transform(X), kymatio(X, J, L, order), atol=1e-5)


def test_log_scattering_is_the_log_of_the_coefficients() -> None:
    X = np.random.default_rng(1).random((3, 16, 16), dtype=np.float32)
    ours = ScatteringFeatures(J=2, L=4, log=True, log_epsilon=1e-3, device="cpu").fit(X)
    expected = np.log(np.abs(kymatio(X, 2, 4, 2)) + 1e-3)
    np.testing.assert_allclose(ours.transform(X), expected, atol=1e-5)


@pytest.mark.parametrize("order", [1, 2])
def test_feature_width_is_channels_coefficients_positions(order) -> None:
    J, L = 2, 8
    assert n_coefficients(J, L, order) == 1 + J * L + (
        L * L * J * (J - 1) // 2 if order == 2 else 0
    )
    X = np.zeros((2, 32, 28, 3), dtype=np.float32)
    features = ScatteringFeatures(J=J, L=L, max_order=order, device="cpu").fit(X).transform(X)
    assert features.shape == (2, n_coefficients(J, L, order) * (32 // 4) * (28 // 4) * 3)


def test_large_images_are_averaged_down_first() -> None:
    X = np.zeros((1, 128, 128), dtype=np.float32)
    step = ScatteringFeatures(J=2, L=8, max_size=64, device="cpu")
    assert step.choices(X.shape[1:]) == {"downsample": 2}
    assert step.fit(X).transform(X).shape == (1, 81 * 16 * 16)


def test_a_scale_larger_than_the_images_is_refused() -> None:
    with pytest.raises(
        DataError, match=r"scattering.J=4 .* 8x8 working images; use J of at most 3"
    ):
        ScatteringFeatures(J=4).check_geometry((8, 8))


def test_the_built_transform_is_not_a_parameter_and_not_pickled() -> None:
    import pickle

    X = np.zeros((2, 16, 16), dtype=np.float32)
    step = ScatteringFeatures(J=2, L=4, device="cpu").fit(X)
    step.transform(X)
    assert "_scatterings" in vars(step) and "_scatterings" not in step.get_params()
    copy = pickle.loads(pickle.dumps(step))
    assert "_scatterings" not in vars(copy)
    np.testing.assert_array_equal(copy.transform(X), step.transform(X))


def test_scattering_svm_is_an_rbf_svm_on_standardised_coefficients() -> None:
    pipe = build_pipeline("scattering_svm")
    assert [name for name, _ in pipe.steps] == ["scattering", "scaler", "svm"]
    assert pipe.named_steps["svm"].kernel == "rbf"
    assert pipe.named_steps["scaler"].with_std


def test_too_large_J_is_refused_before_any_fit(write_config, tmp_path) -> None:
    out = tmp_path / "runs"
    bad = {"name": "scattering_svm", "params": {"scattering": {"J": 4}}}
    path = write_config(
        {"name": "s", "dataset": {"source": "digits"}, "pipelines": ["raw_svm", bad]}
    )
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "pipelines[1] (scattering_svm)" in errors[0]
    assert "scattering.J=4" in errors[0] and "Traceback" not in result.output
    assert not list(out.rglob("*.json"))


def test_featcmp_run_scattering_svm_on_scenes(write_config, tmp_path) -> None:
    out = tmp_path / "runs"
    dataset = {"source": "scenes", "n_per_class": 40, "test_size": 0.25}
    path = write_config({"name": "sc", "dataset": dataset, "pipelines": ["scattering_svm"]})
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    (file,) = (out / "sc").glob("scattering_svm-*.json")
    record = json.loads(file.read_text())
    assert record["status"] == "ok" and record["family"] == "hand-crafted"
    assert record["accuracy"] > 0.6  # four classes: chance is 0.25


def test_dry_run_costs_scattering_by_its_fft_work_with_torch_loaded() -> None:
    from featcmp.features.scattering import fft_work
    from featcmp.run.cost import BASE_BYTES, MACS_S, estimate_job, extraction_s

    X = np.zeros((4, 32, 32, 3), dtype=np.float32)
    pipe = build_pipeline("scattering_svm")
    estimate = estimate_job(pipe, 100, 20, X, 4)
    assert estimate.feature_dim == 81 * 8 * 8 * 3
    assert estimate.base_bytes > BASE_BYTES  # torch is imported for the transform
    step = pipe.steps[0][1]
    expected = MACS_S["ScatteringFeatures"] * 100 * 3 * fft_work(2, 8, 2, (32, 32))
    assert extraction_s(step, 100, X.shape[1:]) == pytest.approx(expected, rel=1e-6)
    # More scales and a second order cost more.
    deeper = ScatteringFeatures(J=3, L=8, max_order=2)
    assert extraction_s(deeper, 100, X.shape[1:]) > extraction_s(step, 100, X.shape[1:])
    first = ScatteringFeatures(J=2, L=8, max_order=1)
    assert extraction_s(first, 100, X.shape[1:]) < extraction_s(step, 100, X.shape[1:])


def test_the_feature_cache_keys_scattering_without_the_data_it_saw() -> None:
    from featcmp.run.cache import learns_in_fit

    assert not learns_in_fit(ScatteringFeatures())
