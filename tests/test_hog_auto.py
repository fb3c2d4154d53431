"""pixels_per_cell='auto': HOG cells follow the working image size, chosen at fit time."""

from __future__ import annotations

import numpy as np
import pytest

from featcmp.config.params import check_own
from featcmp.errors import ConfigError
from featcmp.features.hog import AUTO, HOGFeatures, auto_pixels_per_cell
from featcmp.features.hog_batch import hog_batch, hog_n_features


def _images(size: int, n: int = 3, channels: int | None = None) -> np.ndarray:
    shape = (n, size, size) if channels is None else (n, size, size, channels)
    return np.random.default_rng(size).random(shape).astype(np.float32)


@pytest.mark.parametrize(("size", "cell"), [(32, 4), (64, 8), (128, 16)])
def test_cells_follow_the_working_size(size: int, cell: int) -> None:
    images = _images(size)
    hog = HOGFeatures(pixels_per_cell=AUTO).fit(images)
    assert hog.pixels_per_cell_ == (cell, cell)
    feats = hog.transform(images)
    assert feats.shape == (3, hog_n_features((size, size), 9, (cell, cell), (2, 2)))
    want = hog_batch(images, pixels_per_cell=(cell, cell), cells_per_block=(2, 2))
    np.testing.assert_array_equal(feats, want)


def test_small_images_keep_todays_4x4_cells() -> None:
    # MNIST/Fashion (28 px) and CIFAR (32 px): auto gives the features explicit 4x4 cells gave.
    for size in (28, 32, 63):
        images = _images(size, channels=3 if size == 32 else None)
        auto = HOGFeatures(pixels_per_cell=AUTO).fit(images)
        assert auto.pixels_per_cell_ == (4, 4)
        explicit = HOGFeatures(pixels_per_cell=(4, 4)).fit(images)
        np.testing.assert_array_equal(auto.transform(images), explicit.transform(images))


def test_the_descriptor_stays_bounded_as_images_grow() -> None:
    dims = [hog_n_features((s, s), 9, auto_pixels_per_cell((s, s)), (2, 2)) for s in range(28, 600)]
    assert max(dims) == hog_n_features((63, 63), 9, (4, 4), (2, 2))  # 14 x 14 blocks


def test_tiny_images_get_cells_that_fit_a_block() -> None:
    assert auto_pixels_per_cell((8, 8)) == (4, 4)
    assert auto_pixels_per_cell((6, 20)) == (2, 2)
    assert auto_pixels_per_cell((6, 6), (3, 3)) == (2, 2)
    assert auto_pixels_per_cell((2, 2)) == (1, 1)
    assert auto_pixels_per_cell((300, 90)) == (8, 8)  # the shorter side decides


def test_explicit_cells_are_used_as_given() -> None:
    images = _images(128)
    hog = HOGFeatures(pixels_per_cell=(4, 4)).fit(images)
    assert hog.pixels_per_cell_ == (4, 4)
    assert hog.transform(images).shape[1] == hog_n_features((128, 128), 9, (4, 4), (2, 2))


def test_the_fitted_choice_is_kept_and_a_refit_chooses_again() -> None:
    hog = HOGFeatures(pixels_per_cell=AUTO).fit(_images(64))
    assert hog.pixels_per_cell_ == (8, 8)
    # transform uses the fitted cells, so train and test features always have the same width
    assert hog.transform(_images(128)).shape[1] == hog_n_features((128, 128), 9, (8, 8), (2, 2))
    assert hog.fit(_images(32)).pixels_per_cell_ == (4, 4)


def test_auto_without_fit_resolves_from_the_images() -> None:
    feats = HOGFeatures(pixels_per_cell=AUTO).transform(_images(64))
    assert feats.shape[1] == hog_n_features((64, 64), 9, (8, 8), (2, 2))


@pytest.mark.parametrize("value", ["big", 4, (4,), (0, 4)])
def test_bad_cell_settings_are_config_errors(value) -> None:
    with pytest.raises(ConfigError, match=r"hog\.pixels_per_cell"):
        check_own(HOGFeatures(pixels_per_cell=value), "hog")


def test_auto_cells_keep_hog_a_stateless_extractor_for_the_cache() -> None:
    # The feature cache keys an extractor that learns in fit by its training data; choosing
    # cells from the image size must not make HOG one of them.
    from featcmp.run.cache import learns_in_fit

    assert not learns_in_fit(HOGFeatures(pixels_per_cell=AUTO))
    with pytest.raises(AttributeError):
        _ = HOGFeatures(pixels_per_cell=AUTO).pixels_per_cell_
