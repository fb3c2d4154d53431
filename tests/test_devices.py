"""`device: cuda` falls back to the CPU with a one-line note; on a GPU the CUDA paths agree with
the CPU ones (those tests skip on machines without CUDA)."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from featcmp.devices import resolve_device
from featcmp.features.hog import HOGFeatures
from featcmp.features.hog_batch import hog_batch
from featcmp.models.kernel_map import NystroemMap
from featcmp.models.nets import CNNClassifier
from featcmp.models.svm import SVM

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


def digits(n: int = 400):
    X, y = load_digits(return_X_y=True)
    return (X[:n] / 16.0).reshape(-1, 8, 8).astype(np.float32), y[:n]


def test_cuda_without_a_gpu_is_one_note_and_the_cpu(no_gpu, capsys):
    assert resolve_device("cuda") == torch.device("cpu")
    assert resolve_device("auto") == torch.device("cpu")
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["note: device 'cuda' requested but no CUDA GPU is available; using CPU"]


def test_hog_on_cuda_without_a_gpu_gives_the_cpu_features(no_gpu, capsys):
    X, _ = digits(20)
    kw = dict(orientations=9, pixels_per_cell=(4, 4), cells_per_block=(2, 2))
    np.testing.assert_array_equal(
        HOGFeatures(device="cuda", **kw).fit_transform(X), HOGFeatures(**kw).fit_transform(X)
    )
    assert "no CUDA GPU is available; using CPU" in capsys.readouterr().err


def test_svm_scale_path_on_cuda_without_a_gpu_fits_on_the_cpu(no_gpu, capsys):
    X, y = digits()
    flat = X.reshape(len(X), -1)
    model = SVM(max_exact=50, scale="approximate", n_components=100, device="cuda")
    model.fit(flat[:300], y[:300])
    assert model.solver_ == "Nystroem+TorchLinearSVM"
    assert model.score(flat[300:], y[300:]) > 0.85
    assert "using CPU" in capsys.readouterr().err


@needs_cuda
def test_hog_on_cuda_equals_skimage_parity_path():
    images = np.random.default_rng(0).random((64, 28, 28))
    kw = dict(orientations=9, pixels_per_cell=(4, 4), cells_per_block=(2, 2))
    gpu = hog_batch(images, dtype=np.float64, device="cuda", **kw)
    np.testing.assert_allclose(gpu, hog_batch(images, dtype=np.float64, **kw), rtol=0, atol=1e-6)


@needs_cuda
def test_kernel_map_on_cuda_matches_the_cpu():
    X = np.random.default_rng(1).normal(size=(300, 6)).astype(np.float32)
    cpu = NystroemMap(gamma=0.2, n_components=100).fit(X)
    gpu = NystroemMap(gamma=0.2, n_components=100, device="cuda").fit(X)
    K_cpu, K_gpu = (m.transform(X) @ m.transform(X).T for m in (cpu, gpu))
    assert np.abs(K_cpu - K_gpu).max() < 1e-3  # same landmarks; eigenvectors may differ in sign


# One setting for the CPU check and the CUDA test: 30 epochs on 300 digits (auto batch: 64 on
# both devices at this size), which scores 0.87 on the CPU (3 epochs of (4, 8) scored 0.13).
CNN_CHECK = dict(channels=(16, 32), hidden=32, epochs=30, seed=0)


def test_cnn_settings_of_the_cuda_test_learn_on_the_cpu():
    X, y = digits()
    model = CNNClassifier(device="cpu", **CNN_CHECK).fit(X[:300], y[:300])
    assert model.score(X[300:], y[300:]) > 0.8


@needs_cuda
def test_cnn_trains_on_cuda():
    X, y = digits()
    model = CNNClassifier(device="cuda", **CNN_CHECK).fit(X[:300], y[:300])
    assert model.device_.type == "cuda"
    assert model.score(X[300:], y[300:]) > 0.8  # bf16 autocast, channels-last


@needs_cuda
def test_cnn_on_cuda_leaves_the_global_rng_as_it_was():
    X, y = digits(100)
    before = torch.cuda.get_rng_state(), torch.get_rng_state()
    CNNClassifier(device="cuda", **{**CNN_CHECK, "epochs": 1}).fit(X, y)
    after = torch.cuda.get_rng_state(), torch.get_rng_state()
    assert all(torch.equal(a, b) for a, b in zip(before, after, strict=True))
