"""Batched HOG equals skimage.feature.hog image by image (correctness only, no timings)."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.feature import hog

from featcmp.errors import ConfigError, DataError
from featcmp.features.hog import HOGFeatures
from featcmp.features.hog_batch import BLOCK_NORMS, hog_batch, hog_n_features

# The parity bar: cell sums are float64 (skimage accumulates in float32) and the magnitudes
# float32, which moves features by ~1e-8; a pixel in the wrong bin would move them by ~1e-2.
TIGHT = 1e-6


def _reference(images: np.ndarray, **kw) -> np.ndarray:
    return np.stack([hog(img, feature_vector=True, **kw) for img in images])


def _uint8(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape).astype(np.uint8)


@pytest.mark.parametrize("block_norm", BLOCK_NORMS)
@pytest.mark.parametrize("transform_sqrt", [False, True])
def test_every_block_norm_matches_skimage(block_norm: str, transform_sqrt: bool) -> None:
    images = _uint8(0, (12, 28, 28))
    kw = dict(
        orientations=9,
        pixels_per_cell=(4, 4),
        cells_per_block=(2, 2),
        block_norm=block_norm,
        transform_sqrt=transform_sqrt,
    )
    got = hog_batch(images, dtype=np.float64, **kw)
    np.testing.assert_allclose(got, _reference(images, **kw), rtol=0, atol=TIGHT)


@pytest.mark.parametrize(
    ("shape", "ppc", "cpb", "orientations"),
    [
        ((28, 28), (2, 2), (1, 1), 9),
        ((30, 37), (4, 4), (2, 2), 9),  # sizes not a multiple of the cell size
        ((33, 29), (4, 2), (3, 3), 8),
        ((64, 48), (8, 8), (3, 3), 9),
        ((35, 35), (8, 8), (2, 2), 12),
        ((20, 26), (2, 4), (3, 2), 4),  # 45-degree edges: diagonal gradients sit on them
    ],
)
def test_geometries_match_skimage(shape, ppc, cpb, orientations) -> None:
    images = np.random.default_rng(1).random((6, *shape))
    kw = dict(orientations=orientations, pixels_per_cell=ppc, cells_per_block=cpb)
    got = hog_batch(images, dtype=np.float64, **kw)
    ref = _reference(images, **kw)
    assert got.shape == ref.shape == (6, hog_n_features(shape, orientations, ppc, cpb))
    np.testing.assert_allclose(got, ref, rtol=0, atol=TIGHT)


def test_integer_images_with_exact_edge_angles_match() -> None:
    # Small integer gradients hit 0/45/90/135 degrees exactly; with 4 or 8 bins those are bin
    # edges, so this pins the tie handling (w*i <= angle < w*(i+1), 180 -> 0).
    images = np.random.default_rng(2).integers(0, 3, (10, 24, 24)).astype(np.uint8)
    for orientations in (4, 8, 9):
        kw = dict(orientations=orientations, pixels_per_cell=(4, 4), cells_per_block=(2, 2))
        got = hog_batch(images, dtype=np.float64, **kw)
        np.testing.assert_allclose(got, _reference(images, **kw), rtol=0, atol=TIGHT)


def test_rgb_keeps_the_strongest_channel_like_skimage() -> None:
    images = _uint8(3, (5, 33, 29, 3))
    kw = dict(pixels_per_cell=(4, 4), cells_per_block=(2, 2), channel_axis=-1)
    got = hog_batch(images, dtype=np.float64, **kw)
    np.testing.assert_allclose(got, _reference(images, **kw), rtol=0, atol=TIGHT)
    # A channels-first layout with channel_axis=0 (per image) gives the same features.
    first = hog_batch(np.moveaxis(images, -1, 1), dtype=np.float64, **{**kw, "channel_axis": 0})
    np.testing.assert_array_equal(first, got)


def test_float32_images_and_default_float32_output() -> None:
    # skimage keeps float32 images in float32 up to the gradient and returns float32.
    images = np.random.default_rng(4).random((6, 28, 28)).astype(np.float32)
    kw = dict(pixels_per_cell=(4, 4), cells_per_block=(2, 2), transform_sqrt=True)
    got = hog_batch(images, **kw)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, _reference(images, **kw), rtol=0, atol=1e-7)


def test_odd_cell_sizes_match_skimage_026() -> None:
    # skimage 0.26 bins every pixel of an odd cell (older releases looped over
    # range(-c/2, c/2) and dropped a row and a column); we do the same, so odd cells are exact.
    images = np.random.default_rng(5).random((4, 33, 29))
    for ppc in [(3, 3), (5, 3), (7, 7)]:
        kw = dict(pixels_per_cell=ppc, cells_per_block=(2, 2))
        got = hog_batch(images, dtype=np.float64, **kw)
        np.testing.assert_allclose(got, _reference(images, **kw), rtol=0, atol=TIGHT)


def test_chunking_does_not_change_the_result() -> None:
    images = _uint8(6, (23, 28, 28))
    kw = dict(pixels_per_cell=(4, 4), cells_per_block=(2, 2))
    whole = hog_batch(images, dtype=np.float64, **kw)
    np.testing.assert_array_equal(hog_batch(images, dtype=np.float64, batch_size=5, **kw), whole)
    assert hog_batch(images[:0], **kw).shape == (0, whole.shape[1])


@pytest.mark.parametrize(
    ("kw", "images"),
    [
        (dict(pixels_per_cell=(4, 4), cells_per_block=(2, 2)), _uint8(7, (20, 28, 28))),
        (dict(orientations=4, block_norm="L1", pixels_per_cell=(4, 4)), _uint8(8, (8, 24, 24))),
        (
            dict(pixels_per_cell=(4, 2), cells_per_block=(3, 3), transform_sqrt=True),
            np.random.default_rng(9).random((6, 30, 37)),
        ),
        (
            dict(pixels_per_cell=(4, 4), cells_per_block=(2, 2), channel_axis=-1),
            _uint8(10, (4, 20, 24, 3)),
        ),
    ],
)
def test_torch_path_equals_numpy_path_on_cpu(kw, images) -> None:
    pytest.importorskip("torch")
    numpy_feats = hog_batch(images, dtype=np.float64, **kw)
    torch_feats = hog_batch(images, dtype=np.float64, device="torch:cpu", batch_size=7, **kw)
    np.testing.assert_allclose(torch_feats, numpy_feats, rtol=0, atol=1e-6)


def test_too_small_images_raise_data_error() -> None:
    with pytest.raises(DataError, match=r"8x8 are too small .* need at least 24x24"):
        hog_batch(np.zeros((2, 8, 8)), pixels_per_cell=(8, 8), cells_per_block=(3, 3))


def test_bad_rank_is_a_data_error() -> None:
    with pytest.raises(DataError, match="channel_axis"):
        hog_batch(np.zeros((2, 32, 32, 3)))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"block_norm": "L2hys"}, r"unknown 'L2hys'.*'L1', 'L1-sqrt', 'L2' or 'L2-Hys'"),
        ({"device": "tpu"}, r"HOGFeatures\.device: unknown 'tpu'.*'auto', 'cpu' or 'cuda\[:N\]'"),
    ],
)
def test_hog_parameters_are_checked_where_declared(params, message) -> None:
    # hog_batch trusts its arguments; HOGFeatures, built in Python too, checks them first.
    with pytest.raises(ConfigError, match=message):
        HOGFeatures(**params).transform(np.zeros((2, 32, 32)))


def _ramps(angles_deg: np.ndarray, size: int = 16) -> np.ndarray:
    """Images whose interior gradient (g_row, g_col) points at each angle: I = r*sin + c*cos."""
    theta = np.deg2rad(angles_deg)[:, None, None]
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64)
    return 0.5 + 0.01 * (rows * np.sin(theta) + cols * np.cos(theta))


@pytest.mark.parametrize("orientations", [4, 8, 9, 12])
def test_gradients_on_and_next_to_every_bin_edge_match(orientations: int) -> None:
    # Every interior pixel of a ramp has the same angle, so one pixel binned differently from
    # skimage moves a whole histogram: this pins the float32 estimate plus exact re-binning
    # right at the edges, including angles that round to 0 or 180 from either side.
    edges = np.arange(orientations + 1) * 180.0 / orientations
    offsets = np.array([0.0, 1e-13, -1e-13, 1e-9, -1e-9, 1e-6, -1e-6, 1e-4, -1e-4])
    angles = np.concatenate([(edges[:, None] + offsets).ravel(), -edges[1:], [-1e-15, 180 - 1e-14]])
    images = _ramps(angles)
    kw = dict(orientations=orientations, pixels_per_cell=(4, 4), cells_per_block=(2, 2))
    for imgs in (images, images.astype(np.float32)):
        got = hog_batch(imgs, dtype=np.float64, **kw)
        np.testing.assert_allclose(got, _reference(imgs, **kw), rtol=0, atol=TIGHT)


def test_signed_zeros_and_extreme_scales_match() -> None:
    rng = np.random.default_rng(11)
    signed = rng.integers(-1, 2, (4, 16, 16)).astype(np.float32) * np.float32(0.0)  # +-0.0
    signed[:, ::3] = rng.random((4, 6, 16))
    kw = dict(pixels_per_cell=(4, 4), cells_per_block=(2, 2))
    cases = [
        signed,
        rng.random((3, 16, 16)) * 1e-7,  # float64 gradients far below float32's resolution
        (rng.random((3, 16, 16)) * 1e30).astype(np.float32),  # squares overflow float32
        rng.random((3, 16, 16)).astype(np.float16),
        rng.integers(-30000, 30000, (3, 16, 16)).astype(np.int16),
    ]
    for images in cases:
        got = hog_batch(images, dtype=np.float64, **kw)
        ref = _reference(images, **kw)
        np.testing.assert_allclose(got, ref, rtol=0, atol=TIGHT, err_msg=str(images.dtype))


@pytest.mark.parametrize("seed", range(6))
def test_random_settings_match_skimage(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    ppc = tuple(int(v) for v in rng.integers(2, 7, 2))
    cpb = tuple(int(v) for v in rng.integers(1, 4, 2))
    shape = tuple(int(p * b + e) for p, b, e in zip(ppc, cpb, rng.integers(0, 9, 2), strict=True))
    kw = dict(
        orientations=int(rng.integers(2, 13)),
        pixels_per_cell=ppc,
        cells_per_block=cpb,
        block_norm=BLOCK_NORMS[seed % 4],
        transform_sqrt=bool(seed % 2),
    )
    images = [_uint8(seed, (5, *shape)), rng.random((5, *shape)).astype(np.float32)]
    for imgs in images:
        got = hog_batch(imgs, dtype=np.float64, **kw)
        np.testing.assert_allclose(got, _reference(imgs, **kw), rtol=0, atol=TIGHT, err_msg=str(kw))
        # Default float32 output: the same within float32 rounding.
        np.testing.assert_allclose(hog_batch(imgs, **kw), got, rtol=0, atol=TIGHT)
