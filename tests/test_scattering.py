"""scattering_svm: wavelet scattering coefficients (ours, batched, or Kymatio's own), flattened,
then the SVM. Kymatio's Scattering2D is the reference every backend is held to."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from kymatio import Scattering2D
from typer.testing import CliRunner

from featcmp.cli import app
from featcmp.errors import DataError
from featcmp.features.scattering import ScatteringFeatures
from featcmp.features.scattering_torch import ScatteringTorch, n_coefficients, reflect_index
from featcmp.pipelines import build_pipeline


def kymatio(X: np.ndarray, J: int, L: int, order: int) -> np.ndarray:
    x = torch.from_numpy(X if X.ndim == 3 else X.transpose(0, 3, 1, 2).copy())
    s = Scattering2D(J=J, shape=X.shape[1:3], L=L, max_order=order, frontend="torch")
    return s(x).reshape(len(X), -1).numpy()


@pytest.mark.parametrize("backend", ["featcmp", "kymatio"])
@pytest.mark.parametrize(("shape", "J", "L", "order"), [
    ((5, 16, 16), 2, 4, 2), ((5, 32, 32, 3), 2, 8, 2), ((4, 24, 20, 3), 3, 4, 1),
])  # fmt: skip
def test_output_equals_kymatio(shape, J, L, order, backend) -> None:
    X = np.random.default_rng(0).random(shape, dtype=np.float32)
    ours = ScatteringFeatures(J=J, L=L, max_order=order, log=False, device="cpu", backend=backend)
    np.testing.assert_allclose(ours.fit(X).transform(X), kymatio(X, J, L, order), atol=1e-5)


def test_the_default_backend_is_ours_and_kymatio_stays_selectable() -> None:
    X = np.zeros((1, 16, 16), dtype=np.float32)
    ours = ScatteringFeatures(J=2, L=4, device="cpu").fit(X)
    ours.transform(X)
    assert ours.backend == "featcmp"
    assert isinstance(ours.scattering((16, 16)), ScatteringTorch)
    theirs = ScatteringFeatures(J=2, L=4, device="cpu", backend="kymatio").fit(X)
    theirs.transform(X)
    assert type(theirs.scattering((16, 16))).__module__.startswith("kymatio")


# Gray and square, odd L, one scale, non-square both ways, a pad as wide as the image (Kymatio
# pads those by hand), and images large enough for the two-product low-pass.
@pytest.mark.parametrize(("hw", "J", "L", "order"), [
    ((32, 32), 2, 8, 2), ((28, 28), 2, 8, 2), ((16, 16), 1, 5, 2), ((24, 20), 3, 4, 2),
    ((17, 33), 3, 6, 2), ((33, 17), 2, 3, 1), ((8, 8), 3, 4, 2), ((4, 6), 2, 2, 2),
    ((64, 48), 2, 8, 2), ((40, 72), 4, 2, 2),
])  # fmt: skip
def test_our_transform_equals_kymatio_path_by_path(hw, J, L, order) -> None:
    x = torch.from_numpy(np.random.default_rng(J * L).random((3, *hw), dtype=np.float32))
    reference = Scattering2D(J=J, shape=hw, L=L, max_order=order, frontend="torch")(x)
    got = ScatteringTorch(hw, J, L, order, torch.device("cpu"))(x)
    assert got.shape == reference.shape and got.dtype == torch.float32
    assert float((got - reference).abs().max()) <= 1e-5


def test_the_low_pass_is_one_product_on_small_maps_and_two_on_large_ones() -> None:
    assert ScatteringTorch((32, 32), 2, 8, 2, torch.device("cpu")).low[0].kron is not None
    assert ScatteringTorch((64, 48), 2, 8, 2, torch.device("cpu")).low[0].kron is None


def test_a_low_pass_that_is_not_separable_is_refused() -> None:
    ours = ScatteringTorch((16, 16), 2, 4, 2, torch.device("cpu"))
    phi = np.random.default_rng(0).random((24, 24)).astype(np.float32)
    with pytest.raises(RuntimeError, match="not separable"):
        ours._low_pass(phi, 0)


def test_chunks_and_threads_do_not_change_the_coefficients() -> None:
    x = torch.from_numpy(np.random.default_rng(3).random((37, 32, 32), dtype=np.float32))
    whole = ScatteringTorch((32, 32), 2, 8, 2, torch.device("cpu"), chunk=64)(x)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:  # 2 threads: the chunks of 5 are shared between two workers
        split = ScatteringTorch((32, 32), 2, 8, 2, torch.device("cpu"), chunk=5)(x)
        assert torch.get_num_threads() == 2  # put back as it was
    finally:
        torch.set_num_threads(before)
    assert float((whole - split).abs().max()) <= 1e-6


def test_padding_reflects_without_repeating_the_edge() -> None:
    for side, before, after in [(5, 2, 3), (8, 4, 4), (4, 4, 4), (3, 1, 2)]:
        expected = np.pad(np.arange(side), (before, after), mode="reflect")
        np.testing.assert_array_equal(reflect_index(side, before, after), expected)


def test_device_auto_takes_cuda_when_present_and_the_cpu_otherwise(monkeypatch) -> None:
    X = np.zeros((1, 16, 16), dtype=np.float32)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    step = ScatteringFeatures(J=2, L=4).fit(X)
    step.transform(X)
    assert step.device_ == torch.device("cpu")
    built = step.scattering((16, 16))
    assert built.psi1[0].device.type == "cpu" and built.low[0].rows.device.type == "cpu"
    assert built.chunk == 16  # small chunks on a CPU, for its caches
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    step = ScatteringFeatures(J=2, L=4)
    step._begin(X)  # the per-call setup transform runs first: where the transform will run
    assert step.device_ == torch.device("cuda")
    assert ScatteringFeatures(J=2, L=4, device="cpu").fit(X).transform(X).shape == (1, 25 * 16)


cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@cuda
def test_on_the_gpu_our_transform_equals_kymatio() -> None:
    x = torch.from_numpy(np.random.default_rng(4).random((50, 32, 32), dtype=np.float32))
    reference = Scattering2D(J=2, shape=(32, 32), L=8, frontend="torch")(x)
    ours = ScatteringTorch((32, 32), 2, 8, 2, torch.device("cuda"))
    assert ours.chunk > 16
    got = ours(x.cuda())
    assert got.device.type == "cuda"
    assert float((got.cpu() - reference).abs().max()) <= 1e-5


@cuda
def test_scattering_svm_features_on_the_gpu_equal_the_cpus() -> None:
    X = np.random.default_rng(5).random((6, 32, 32, 3), dtype=np.float32)
    gpu = ScatteringFeatures(device="cuda").fit(X).transform(X)
    np.testing.assert_allclose(gpu, kymatio(X, 2, 8, 2), atol=1e-5)


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
    from featcmp.features.scattering import COSTS, fft_work
    from featcmp.run.cost import BASE_BYTES, estimate_job, extraction_s

    X = np.zeros((4, 32, 32, 3), dtype=np.float32)
    pipe = build_pipeline("scattering_svm")
    estimate = estimate_job(pipe, 100, 20, X, 4)
    assert estimate.feature_dim == 81 * 8 * 8 * 3
    assert estimate.base_bytes > BASE_BYTES  # torch is imported for the transform
    step = pipe.steps[0][1]
    expected = COSTS["featcmp"].unit_s * 100 * 3 * fft_work(2, 8, 2, (32, 32))
    assert extraction_s(step, 100, X.shape[1:]) == pytest.approx(expected, rel=1e-6)
    assert "featcmp's batched scattering" in estimate_job(pipe, 100, 20, X, 4).line()
    # Kymatio's own transform is priced at its own, slower rate.
    theirs = ScatteringFeatures(backend="kymatio")
    assert extraction_s(theirs, 100, X.shape[1:]) == pytest.approx(
        expected * COSTS["kymatio"].unit_s / COSTS["featcmp"].unit_s, rel=1e-6
    )
    # More scales and a second order cost more.
    deeper = ScatteringFeatures(J=3, L=8, max_order=2)
    assert extraction_s(deeper, 100, X.shape[1:]) > extraction_s(step, 100, X.shape[1:])
    first = ScatteringFeatures(J=2, L=8, max_order=1)
    assert extraction_s(first, 100, X.shape[1:]) < extraction_s(step, 100, X.shape[1:])


def test_the_feature_cache_keys_scattering_without_the_data_it_saw() -> None:
    from featcmp.run.cache import learns_in_fit

    assert not learns_in_fit(ScatteringFeatures())
