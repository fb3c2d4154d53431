"""Dense SIFT descriptors and the bag of visual words: correctness, shapes, no test data in fit."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from featcmp.data.scenes import generate_scenes
from featcmp.errors import ConfigError, DataError
from featcmp.features import sift
from featcmp.features.sift import (
    DESCRIPTOR_DIM,
    SIFTBagOfWords,
    bag_of_words,
    dense_sift,
    pyramid_regions,
)
from featcmp.pipelines import build_pipeline


def _reference_sift(X: np.ndarray, patch: int, step: int) -> np.ndarray:
    """One patch at a time, straight from the definition: cells x orientations, Lowe's norm."""
    planes = sift.orientation_planes(X)
    w = sift.cell_weights(patch)
    rows = sift.grid_points(X.shape[1], patch, step)
    cols = sift.grid_points(X.shape[2], patch, step)
    out = np.zeros((len(X), len(rows) * len(cols), DESCRIPTOR_DIM))
    for n in range(len(X)):
        for k, (r, c) in enumerate((r, c) for r in rows for c in cols):
            cells = planes[n, :, r : r + patch, c : c + patch]
            v = np.einsum("opq,pi,qj->ijo", cells, w, w).ravel()
            v = np.minimum(v / np.linalg.norm(v), 0.2)
            out[n, k] = v / np.linalg.norm(v)
    return out


@pytest.mark.parametrize("shape, patch, step", [((3, 20, 17), 8, 3), ((2, 16, 16), 12, 2)])
def test_dense_sift_equals_patch_by_patch_reference(shape, patch, step) -> None:
    X = np.random.default_rng(0).random(shape).astype(np.float32)
    got = dense_sift(X, patch, step, contrast_threshold=0.0)
    np.testing.assert_allclose(got, _reference_sift(X, patch, step), atol=1e-5)


@pytest.mark.parametrize(
    "shape, n_points",
    [((4, 32, 32, 3), 11 * 11), ((4, 28, 28), 9 * 9), ((4, 25, 25, 1), 7 * 7), ((2, 12, 12), 1)],
)
def test_descriptor_shape_and_unit_length(shape, n_points) -> None:
    X = np.random.default_rng(1).random(shape).astype(np.float32)
    d = dense_sift(X, patch_size=12, step=2)
    assert d.shape == (shape[0], n_points, DESCRIPTOR_DIM) and d.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(d, axis=-1), 1.0, rtol=1e-5)
    assert d.min() >= 0


def test_flat_patches_get_zero_descriptors() -> None:
    X = np.full((2, 16, 16), 0.5, dtype=np.float32)
    assert not dense_sift(X, 8, 4).any()


def test_orientation_bins_follow_the_gradient_direction() -> None:
    ramp = np.tile(np.linspace(0, 1, 16, dtype=np.float32), (16, 1))  # brighter to the right
    planes = sift.orientation_planes(np.stack([ramp, ramp.T, ramp[:, ::-1]]))
    centre = planes[:, :, 8, 8]
    # 8 bins of 45 degrees from +x towards +row: right -> bin 0, down -> bin 2, left -> bin 4.
    assert list(centre.argmax(axis=1)) == [0, 2, 4]
    np.testing.assert_allclose(centre.sum(axis=1), 1 / 15, rtol=1e-5)  # magnitude per pixel


def test_pyramid_regions_put_points_in_their_quadrant() -> None:
    regions = pyramid_regions((32, 32), patch_size=8, step=8, levels=(1, 2))
    # 4x4 grid of centres at 4, 12, 20, 28: level 1 is region 0, level 2 regions 1..4.
    assert regions.shape == (16, 2)
    assert set(regions[:, 0]) == {0}
    np.testing.assert_array_equal(
        regions[:, 1].reshape(4, 4), [[1, 1, 2, 2]] * 2 + [[3, 3, 4, 4]] * 2
    )


def test_bag_of_words_counts_words_per_region() -> None:
    words = np.array([[0, 1, 1, 2], [2, 2, 2, 2]])
    regions = np.array([[0, 1], [0, 1], [0, 2], [0, 2]])
    h = bag_of_words(words, regions, vocabulary_size=3)
    assert h.shape == (2, 3 * 3)
    np.testing.assert_allclose(h[0], np.array([1, 2, 1, 1, 1, 0, 0, 1, 1]) / 4)
    np.testing.assert_allclose(h[1], np.array([0, 0, 4, 0, 0, 2, 0, 0, 2]) / 4)


@pytest.fixture(scope="module")
def scenes() -> tuple[np.ndarray, np.ndarray]:
    X, y, _ = generate_scenes(n_per_class=12, size=32, rgb=True, seed=0)
    return X, y


SMALL = dict(vocabulary_size=16, patch_size=8, step=4)


def test_histogram_shape_and_each_level_sums_to_one(scenes) -> None:
    X, _ = scenes
    bow = SIFTBagOfWords(levels=(1, 2), **SMALL).fit(X)
    H = bow.transform(X)
    assert H.shape == (len(X), 16 * (1 + 4))
    assert bow.vocabulary_.shape == (16, DESCRIPTOR_DIM)
    np.testing.assert_allclose(H[:, :16].sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(H[:, 16:].sum(axis=1), 1.0, rtol=1e-5)


def test_vocabulary_is_fitted_on_training_images_only(scenes, monkeypatch) -> None:
    """A spy on k-means: inside the pipeline it sees descriptors of the training images, only."""
    import sklearn.cluster

    seen: list[np.ndarray] = []

    class Spy(sklearn.cluster.MiniBatchKMeans):
        def fit(self, X, y=None, sample_weight=None):
            seen.append(np.array(X))
            return super().fit(X, y, sample_weight)

    monkeypatch.setattr(sklearn.cluster, "MiniBatchKMeans", Spy)
    X, y = scenes
    train, test = np.arange(0, len(X), 2), np.arange(1, len(X), 2)
    pipe = build_pipeline("sift_bovw_svm", {"sift": dict(SMALL, max_descriptors=200)})
    pipe.fit(X[train], y[train])
    pipe.predict(X[test])
    assert len(seen) == 1 and len(seen[0]) == 200  # one fit, on the seeded sample
    train_rows = {r.tobytes() for r in dense_sift(X[train], 8, 4).reshape(-1, DESCRIPTOR_DIM)}
    test_only = {
        r.tobytes() for r in dense_sift(X[test], 8, 4).reshape(-1, DESCRIPTOR_DIM)
    } - train_rows
    assert test_only  # the check below could fail
    rows = {r.tobytes() for r in seen[0]}
    assert rows <= train_rows and not rows & test_only


def test_vocabulary_depends_on_fit_data_only(scenes) -> None:
    X, _ = scenes
    a, b = X[: len(X) // 2], X[len(X) // 2 :]
    bow = SIFTBagOfWords(**SMALL).fit(a)
    vocab = bow.vocabulary_.copy()
    before = bow.transform(a)
    bow.transform(b)  # transforming other images changes nothing learned
    np.testing.assert_array_equal(bow.vocabulary_, vocab)
    np.testing.assert_array_equal(bow.transform(a), before)
    np.testing.assert_array_equal(SIFTBagOfWords(**SMALL).fit(a).vocabulary_, vocab)  # seeded
    assert not np.allclose(SIFTBagOfWords(**SMALL).fit(b).vocabulary_, vocab)


def test_transform_before_fit_and_wrong_geometry(scenes) -> None:
    X, _ = scenes
    with pytest.raises(NotFittedError):
        SIFTBagOfWords(**SMALL).transform(X)
    bow = SIFTBagOfWords(**SMALL).fit(X)
    with pytest.raises(DataError, match="fitted on"):
        bow.transform(X[:, :28, :28])
    with pytest.raises(DataError, match="patch_size=40"):
        SIFTBagOfWords(patch_size=40).fit(X)
    with pytest.raises(DataError, match="visual words"):
        SIFTBagOfWords(vocabulary_size=500, patch_size=32).fit(X)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"vocabulary_size": 1}, "vocabulary_size"),
        ({"patch_size": 3}, "patch_size"),
        ({"step": 0}, "step"),
        ({"levels": [1, 0]}, "levels"),
        ({"levels": []}, "levels"),
        ({"vocabulary_size": 300, "max_descriptors": 100}, "max_descriptors"),
    ],
)
def test_bad_parameters_are_config_errors(params, message) -> None:
    with pytest.raises(ConfigError, match=message):
        build_pipeline("sift_bovw_svm", {"sift": params})
