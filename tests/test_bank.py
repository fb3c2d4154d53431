"""The lecture's hand-coded kernels (textbook values) and the kernel-bank features."""

from __future__ import annotations

import numpy as np
import pytest

from featcmp.config.params import check_own
from featcmp.errors import ConfigError, DataError
from featcmp.features.bank import BANKS, KernelBankFeatures, grid_pool, resolve_bank
from featcmp.features.edges import correlate_batch
from featcmp.features.kernels import KERNELS
from featcmp.pipelines import build_pipeline

TEXTBOOK = {
    "box3": np.ones((3, 3)) / 9,
    "box5": np.ones((5, 5)) / 25,
    "gaussian3": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16,
    "gaussian5": np.array(
        [
            [1, 4, 6, 4, 1],
            [4, 16, 24, 16, 4],
            [6, 24, 36, 24, 6],
            [4, 16, 24, 16, 4],
            [1, 4, 6, 4, 1],
        ]
    )
    / 256,
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
    "laplacian8": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]),
    "sobel_x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
    "sobel_y": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]),
}


@pytest.mark.parametrize("name", sorted(TEXTBOOK))
def test_each_kernel_equals_its_textbook_values(name: str) -> None:
    k = KERNELS[name]
    assert k.dtype == np.float32
    np.testing.assert_array_equal(k, TEXTBOOK[name].astype(np.float32))


def test_every_kernel_is_in_the_lecture_bank_and_checked_here() -> None:
    assert set(KERNELS) == set(TEXTBOOK) == set(BANKS["lecture"])
    for name in BANKS["blur"] + BANKS["sharpen"]:  # keep the brightness of a flat region
        assert KERNELS[name].sum() == pytest.approx(1.0)
    for name in BANKS["edges"]:  # no response on a flat region
        assert KERNELS[name].sum() == 0


def test_resolve_bank_names_lists_and_errors() -> None:
    assert resolve_bank(None) == resolve_bank("lecture") == BANKS["lecture"]
    assert resolve_bank("sobel_x") == ("sobel_x",)
    assert resolve_bank(["box3", "edges", "sobel_x"]) == (
        "box3",
        "laplacian8",
        "sobel_x",
        "sobel_y",
    )
    with pytest.raises(ConfigError, match=r"bank\[0\]: unknown 'sharpn' \(did you mean 'sharpen'"):
        check_own(KernelBankFeatures(bank=["sharpn"]))
    with pytest.raises(ConfigError, match="at least 1 item"):
        check_own(KernelBankFeatures(bank=[]))


def test_grid_pool_equals_region_by_region_statistics() -> None:
    R = np.random.default_rng(0).normal(size=(2, 10, 7, 3)).astype(np.float32)
    got = grid_pool(R, 3, ("mean", "mean_abs", "max_abs"))
    assert got.shape == (2, 3, 3, 3, 3)
    rows, cols = [0, 3, 7, 10], [0, 2, 5, 7]  # np.linspace(0, size, 4).round()
    for i in range(3):
        for j in range(3):
            region = R[:, rows[i] : rows[i + 1], cols[j] : cols[j + 1]]
            np.testing.assert_allclose(got[:, 0, i, j], region.mean(axis=(1, 2)), rtol=1e-5)
            np.testing.assert_allclose(got[:, 1, i, j], np.abs(region).mean(axis=(1, 2)), rtol=1e-5)
            np.testing.assert_allclose(got[:, 2, i, j], np.abs(region).max(axis=(1, 2)))


def test_features_shape_order_and_recorded_kernels() -> None:
    X = np.random.default_rng(1).random((5, 16, 16, 3)).astype(np.float32)
    bank = KernelBankFeatures(bank=["gaussian3", "sobel_y"], grid=2, stats=("mean_abs",)).fit(X)
    F = bank.transform(X)
    assert F.shape == (5, 2 * 1 * 2 * 2 * 3)  # kernels x stats x grid x grid x channels
    first = grid_pool(correlate_batch(X, KERNELS["gaussian3"]), 2, ("mean_abs",))
    np.testing.assert_allclose(F[:, :12], first.reshape(5, -1), rtol=1e-6)
    assert bank.kernels_ == {
        "gaussian3": TEXTBOOK["gaussian3"].tolist(),
        "sobel_y": TEXTBOOK["sobel_y"].tolist(),
    }


def test_flat_image_blurs_to_itself_and_has_no_edges() -> None:
    X = np.full((1, 8, 8), 0.25, dtype=np.float32)
    F = KernelBankFeatures(bank=["box5", "sharpen", "laplacian8"], grid=2).transform(X)
    per_kernel = F.reshape(3, -1)  # each kernel: 2 stats x 2 x 2 regions
    np.testing.assert_allclose(per_kernel[:2], 0.25, rtol=1e-6)
    np.testing.assert_allclose(per_kernel[2], 0.0, atol=1e-7)


@pytest.mark.parametrize(
    "params, error, message",
    [
        ({"bank": "gausian3"}, ConfigError, "did you mean 'gaussian3'"),
        ({"bank": [3]}, ConfigError, "bank"),
        ({"grid": 0}, ConfigError, "grid"),
        ({"stats": ["median"]}, ConfigError, "stats"),
    ],
)
def test_bad_parameters_are_config_errors(params, error, message) -> None:
    with pytest.raises(error, match=message):
        build_pipeline("kernels_svm", {"bank": params})


def test_grid_larger_than_image_is_a_data_error() -> None:
    with pytest.raises(DataError, match="grid=9"):
        KernelBankFeatures(grid=9).fit(np.zeros((2, 8, 8), dtype=np.float32))
