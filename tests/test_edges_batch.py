"""Batched edge features equal a per-image scipy.ndimage loop (correctness only, no timings)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from featcmp.features.edges import EDGE_KERNELS, EdgeFeatures, correlate_batch
from featcmp.features.kernels import KERNELS


def _per_image(img: np.ndarray, kernel: str) -> np.ndarray:
    """The edge map of one (H, W[, C]) image, one 2-D correlation per channel."""

    def correlate(k: np.ndarray) -> np.ndarray:
        if img.ndim == 2:
            return ndimage.correlate(img, k, mode="reflect")
        return np.stack(
            [ndimage.correlate(img[..., c], k, mode="reflect") for c in range(img.shape[-1])],
            axis=-1,
        )

    if kernel == "sobel":
        return np.hypot(correlate(KERNELS["sobel_x"]), correlate(KERNELS["sobel_y"]))
    return correlate(KERNELS[kernel])


def _pool(edge_map: np.ndarray, p: int) -> np.ndarray:
    h, w = (edge_map.shape[0] // p) * p, (edge_map.shape[1] // p) * p
    out = np.empty((h // p, w // p, *edge_map.shape[2:]), dtype=np.float64)
    for r in range(h // p):
        for c in range(w // p):
            out[r, c] = edge_map[r * p : (r + 1) * p, c * p : (c + 1) * p].mean(axis=(0, 1))
    return out


@pytest.mark.parametrize("kernel", EDGE_KERNELS)
@pytest.mark.parametrize("shape", [(7, 13, 11), (5, 16, 16, 3)])
@pytest.mark.parametrize("pool", [1, 3])
def test_batched_edges_equal_a_per_image_loop(kernel: str, shape: tuple, pool: int) -> None:
    images = np.random.default_rng(0).random(shape).astype(np.float32)
    got = EdgeFeatures(kernel=kernel, pool=pool).fit_transform(images)
    ref = np.stack([_pool(_per_image(img, kernel), pool).ravel() for img in images])
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-6)


def test_correlate_batch_never_mixes_neighbouring_images() -> None:
    # A bright image between two dark ones: with a 3-D kernel of depth 1 along the batch axis
    # nothing may leak across, so the dark images' edge maps stay exactly zero.
    images = np.zeros((3, 8, 8), dtype=np.float32)
    images[1] = np.random.default_rng(1).random((8, 8))
    edges = correlate_batch(images, KERNELS["laplacian8"])
    assert not edges[0].any() and not edges[2].any()
    np.testing.assert_array_equal(
        edges[1], ndimage.correlate(images[1], KERNELS["laplacian8"], mode="reflect")
    )
