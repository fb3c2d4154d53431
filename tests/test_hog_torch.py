"""The torch HOG path (the GPU one, run here on the CPU) equals the NumPy path and skimage."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.feature import hog

from featcmp.features.hog_batch import BLOCK_NORMS, hog_batch
from featcmp.features.hog_geometry import HOGSpec

SPEC = HOGSpec(9, (4, 4), (2, 2), "L2-Hys", False)

torch = pytest.importorskip("torch")

from featcmp.features import hog_torch as hog_torch_module  # noqa: E402
from featcmp.features.hog_torch import hog_torch  # noqa: E402

TIGHT = 1e-6
CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _reference(images: np.ndarray, **kw) -> np.ndarray:
    return np.stack([hog(img, feature_vector=True, **kw) for img in images])


def _uint8(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape).astype(np.uint8)


# (images, hog parameters): cell and block sizes, every norm, odd and non-multiple sizes,
# gray and RGB, uint8 / float64 / float32 input.
CASES = [
    (_uint8(0, (9, 28, 28)), dict(pixels_per_cell=(4, 4), cells_per_block=(2, 2))),
    (_uint8(1, (5, 64, 48)), dict(pixels_per_cell=(8, 8), cells_per_block=(3, 3))),
    (_uint8(2, (6, 30, 37)), dict(pixels_per_cell=(4, 2), cells_per_block=(3, 2), orientations=8)),
    (_uint8(3, (6, 33, 29)), dict(pixels_per_cell=(5, 3), cells_per_block=(2, 2), block_norm="L1")),
    (
        np.random.default_rng(4).random((6, 35, 35)),
        dict(pixels_per_cell=(7, 7), cells_per_block=(1, 1), block_norm="L1-sqrt"),
    ),
    (
        np.random.default_rng(5).random((6, 20, 26)).astype(np.float32),
        dict(pixels_per_cell=(2, 4), cells_per_block=(3, 2), block_norm="L2", transform_sqrt=True),
    ),
    (_uint8(6, (4, 33, 29, 3)), dict(pixels_per_cell=(4, 4), cells_per_block=(2, 2))),
    (
        np.random.default_rng(7).random((4, 24, 30, 3)),
        dict(pixels_per_cell=(3, 3), cells_per_block=(2, 3), orientations=12, transform_sqrt=True),
    ),
]


def _kw(images: np.ndarray, kw: dict) -> dict:
    return {**kw, "channel_axis": -1} if images.ndim == 4 else kw


@pytest.mark.parametrize("device", ["torch:cpu", pytest.param("cuda", marks=CUDA)])
@pytest.mark.parametrize(("images", "kw"), CASES)
def test_torch_path_equals_numpy_and_skimage(images: np.ndarray, kw: dict, device: str) -> None:
    """The same settings on the CPU and, where it exists, on CUDA."""
    kw = _kw(images, kw)
    got = hog_batch(images, device=device, dtype=np.float64, batch_size=4, **kw)
    np.testing.assert_allclose(got, hog_batch(images, dtype=np.float64, **kw), rtol=0, atol=TIGHT)
    np.testing.assert_allclose(got, _reference(images, **kw), rtol=0, atol=TIGHT)


@pytest.mark.parametrize("block_norm", BLOCK_NORMS)
def test_every_block_norm_on_torch(block_norm: str) -> None:
    images = _uint8(8, (6, 28, 28))
    kw = dict(pixels_per_cell=(4, 4), cells_per_block=(2, 2), block_norm=block_norm)
    got = hog_batch(images, device="torch:cpu", dtype=np.float64, **kw)
    np.testing.assert_allclose(got, _reference(images, **kw), rtol=0, atol=TIGHT)


@pytest.mark.parametrize("orientations", [4, 6, 8, 9, 12])
def test_exact_edge_ties_take_skimages_bins(orientations: int) -> None:
    # Gradients of 0..2-valued images sit exactly on 0, 45, 90 and 135 degrees, which are
    # bin edges for these orientation counts: one pixel in the wrong bin moves features ~1e-2.
    images = np.random.default_rng(9).integers(0, 3, (12, 24, 24)).astype(np.uint8)
    kw = dict(orientations=orientations, pixels_per_cell=(4, 4), cells_per_block=(2, 2))
    got = hog_batch(images, device="torch:cpu", dtype=np.float64, **kw)
    np.testing.assert_allclose(got, _reference(images, **kw), rtol=0, atol=TIGHT)


def test_the_gpu_cell_sums_equal_the_cpu_ones(monkeypatch) -> None:
    # On a GPU the cell sums are a dense one-hot (deterministic); on a CPU scatter_add_.
    # Force the GPU formulation here so the CPU run checks the code the GPU runs.
    images, kw = _uint8(10, (7, 30, 37)), dict(pixels_per_cell=(4, 4), cells_per_block=(2, 2))
    cpu = hog_batch(images, device="torch:cpu", dtype=np.float64, **kw)
    sums = hog_torch_module._cell_sums
    monkeypatch.setattr(
        hog_torch_module, "_cell_sums", lambda b, m, o, dense: sums(b, m, o, dense=True)
    )
    dense = hog_batch(images, device="torch:cpu", dtype=np.float64, **kw)
    np.testing.assert_allclose(dense, cpu, rtol=0, atol=1e-12)


def test_hog_torch_keeps_tensors_on_their_device() -> None:
    images = torch.from_numpy(_uint8(11, (5, 28, 28)))
    feats = hog_torch(images, SPEC, out_dtype=torch.float32)
    assert feats.dtype == torch.float32 and feats.device == images.device
    ref = hog_batch(images.numpy(), pixels_per_cell=(4, 4), cells_per_block=(2, 2))
    np.testing.assert_allclose(feats.numpy(), ref, rtol=0, atol=1e-7)
    empty = hog_torch(images[:0], SPEC)
    assert empty.shape == (0, feats.shape[1])


def test_uncommon_input_dtypes() -> None:
    images = _uint8(12, (4, 28, 28))
    kw = dict(pixels_per_cell=(4, 4), cells_per_block=(2, 2))
    ref = _reference(images, **kw)
    for dtype in (np.uint16, np.int32, np.float16, np.bool_):
        cast = images.astype(dtype) if dtype is not np.bool_ else images > 127
        got = hog_batch(cast, device="torch:cpu", dtype=np.float64, **kw)
        want = ref if dtype is not np.bool_ else _reference(cast, **kw)
        np.testing.assert_allclose(got, want, rtol=0, atol=TIGHT, err_msg=str(dtype))


@CUDA
@pytest.mark.parametrize("orientations", [4, 8, 9])
def test_cuda_exact_edge_ties(orientations: int) -> None:
    images = np.random.default_rng(13).integers(0, 3, (64, 24, 24)).astype(np.uint8)
    kw = dict(orientations=orientations, pixels_per_cell=(4, 4), cells_per_block=(2, 2))
    got = hog_batch(images, device="cuda", dtype=np.float64, **kw)
    np.testing.assert_allclose(got, hog_batch(images, dtype=np.float64, **kw), rtol=0, atol=TIGHT)


@CUDA
def test_cuda_is_deterministic_and_device_resident() -> None:
    images = torch.from_numpy(_uint8(14, (3000, 28, 28))).cuda()
    first = hog_torch(images, SPEC)
    assert first.is_cuda
    assert torch.equal(first, hog_torch(images, SPEC))
    ref = hog_batch(images.cpu().numpy(), dtype=np.float64, pixels_per_cell=4, cells_per_block=2)
    np.testing.assert_allclose(first.cpu().numpy(), ref, rtol=0, atol=TIGHT)
