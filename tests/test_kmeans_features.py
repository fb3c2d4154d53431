"""k-means features (Coates et al. 2011): the encoder learns from training images only."""

from __future__ import annotations

import numpy as np
import pytest

import featcmp.features.kmeans as kmeans
from featcmp.data.scenes import generate_scenes
from featcmp.features.kmeans import (
    KMeansFeatures,
    normalise_patches,
    patch_grid,
    region_sums,
    sample_patches,
    triangle_code,
)
from featcmp.pipelines import build_pipeline

SMALL = dict(n_centroids=16, n_patches=2000, patch_size=5, stride=2)


@pytest.fixture(scope="module")
def scenes() -> tuple[np.ndarray, np.ndarray]:
    X, y, _ = generate_scenes(n_per_class=12, size=32, rgb=True, seed=0)
    return X, y


def test_sampled_patches_are_patches_of_the_grid() -> None:
    X = np.random.default_rng(0).random((5, 12, 10, 3), dtype=np.float32)
    grid = patch_grid(X, 4, 1).reshape(-1, 48)
    sample = sample_patches(X, 4, 30, seed=1)
    rows = {r.tobytes() for r in grid}
    assert all(r.tobytes() in rows for r in sample)


def test_patches_are_normalised_for_brightness_and_contrast() -> None:
    patches = np.random.default_rng(0).random((50, 27), dtype=np.float32)
    a, b = normalise_patches(patches), normalise_patches(3 * patches + 0.2)
    np.testing.assert_allclose(a.mean(axis=1), 0, atol=1e-5)
    np.testing.assert_allclose(a, b, atol=1e-2)  # only the regulariser tells them apart


def test_triangle_code_is_zero_beyond_the_mean_distance() -> None:
    centroids = np.eye(3, dtype=np.float32)
    code = triangle_code(np.array([[1, 0, 0]], dtype=np.float32), centroids)
    z = np.array([0, np.sqrt(2), np.sqrt(2)])
    np.testing.assert_allclose(code[0], np.maximum(0, z.mean() - z), rtol=1e-6)


def test_region_sums_pool_each_quadrant() -> None:
    codes = np.zeros((1, 4, 4, 2), dtype=np.float32)
    codes[0, 0, 3, 1] = 5  # top right, feature 1
    out = region_sums(codes)
    assert out.shape == (1, 8)
    assert out[0].tolist() == [0, 0, 0, 5, 0, 0, 0, 0]


def test_region_sums_on_a_finer_grid_partition_the_codes() -> None:
    codes = np.random.default_rng(0).random((2, 27, 27, 3), dtype=np.float32)
    out = region_sums(codes, 3)
    assert out.shape == (2, 27)
    np.testing.assert_allclose(out[:, 4 * 3 : 5 * 3], codes[:, 9:18, 9:18].sum(axis=(1, 2)))
    np.testing.assert_allclose(out.reshape(2, 9, 3).sum(1), codes.sum(axis=(1, 2)), rtol=1e-5)


def test_grid_sets_the_feature_width_and_is_checked_against_the_image(scenes) -> None:
    from featcmp.errors import DataError
    from featcmp.run.cost import feature_width

    X, _ = scenes
    feats = KMeansFeatures(**SMALL, grid=3).fit(X)
    assert feats.transform(X[:2]).shape == (2, 9 * 16)
    assert feature_width(build_pipeline("kmeans_svm", {"kmeans": {**SMALL, "grid": 3}}), X) == 144
    with pytest.raises(DataError, match=r"kmeans\.grid=15"):  # 32 px, 5 px patches at stride 2
        KMeansFeatures(**SMALL, grid=15).fit(X)


def test_features_have_four_quadrants_of_codes(scenes) -> None:
    X, _ = scenes
    feats = KMeansFeatures(**SMALL).fit(X)
    F = feats.transform(X)
    assert F.shape == (len(X), 4 * 16) and (F >= 0).all()
    assert feats.centroids_.shape == (16, 5 * 5 * 3)
    np.testing.assert_array_equal(F, KMeansFeatures(**SMALL).fit(X).transform(X))  # seeded


def test_encoder_is_fitted_on_training_images_only(scenes, monkeypatch) -> None:
    """A spy on the patch sampler and on k-means: inside the pipeline, fit sees the training
    images and nothing else, and the dictionary is fitted once, on the sampled patches."""
    import sklearn.cluster

    images: list[np.ndarray] = []
    fitted: list[int] = []
    real_sample = kmeans.sample_patches

    def spy_sample(X, *args, **kw):
        images.append(np.array(X))
        return real_sample(X, *args, **kw)

    class Spy(sklearn.cluster.MiniBatchKMeans):
        def fit(self, X, y=None, sample_weight=None):
            fitted.append(len(X))
            return super().fit(X, y, sample_weight)

    monkeypatch.setattr(kmeans, "sample_patches", spy_sample)
    monkeypatch.setattr(sklearn.cluster, "MiniBatchKMeans", Spy)
    X, y = scenes
    train, test = np.arange(0, len(X), 2), np.arange(1, len(X), 2)
    pipe = build_pipeline("kmeans_svm", {"kmeans": SMALL})
    pipe.fit(X[train], y[train])
    pipe.predict(X[test])
    assert len(images) == 1 and fitted == [SMALL["n_patches"]]
    np.testing.assert_array_equal(images[0], X[train])


def test_kmeans_svm_classifies_with_a_linear_svm(scenes) -> None:
    X, y = scenes
    pipe = build_pipeline("kmeans_svm", {"kmeans": SMALL})
    assert pipe.named_steps["svm"].kernel == "linear"
    assert pipe.fit(X[::2], y[::2]).score(X[1::2], y[1::2]) > 1 / len(set(y))


def test_dry_run_costs_kmeans_without_fitting_it(scenes, monkeypatch) -> None:
    from featcmp.run.cost import estimate_job, feature_width

    def refuse(*args, **kw):
        raise AssertionError("the estimate fitted the encoder")

    monkeypatch.setattr(KMeansFeatures, "fit", refuse)
    X, _ = scenes
    pipe = build_pipeline("kmeans_svm", {"kmeans": SMALL})
    assert feature_width(pipe, X) == 4 * 16
    estimate = estimate_job(pipe, len(X), len(X), X, 4)
    assert 0 < estimate.fit_s < float("inf") and estimate.feature_dim == 64


def test_power_raises_each_quadrant_sum(scenes) -> None:
    """`power` is applied to the pooled sums, after pooling (not to each patch's code)."""
    X, _ = scenes
    plain = KMeansFeatures(**SMALL).fit(X).transform(X[:6])
    root = KMeansFeatures(**SMALL, power=0.5).fit(X).transform(X[:6])
    assert plain.max() > 1  # sums over many patches: a root of the codes would differ
    np.testing.assert_allclose(root, np.sqrt(plain), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("power", [0, -0.5, 1.5])
def test_power_outside_0_1_is_refused(scenes, power) -> None:
    from featcmp.errors import ConfigError

    with pytest.raises(ConfigError, match="power"):
        build_pipeline("kmeans_svm", {"kmeans": {**SMALL, "power": power}})


def test_power_and_grid_are_part_of_the_job_and_of_the_feature_cache_key(scenes) -> None:
    from featcmp.run.cache import feature_key
    from featcmp.run.jobs import expand_jobs, parse_config

    def job_id(kmeans: dict) -> str:
        config = {
            "dataset": {"source": "digits"},
            "pipelines": [{"name": "kmeans_svm", "params": {"kmeans": kmeans}}],
        }
        return expand_jobs(parse_config(config))[0].id

    assert job_id({**SMALL, "power": 0.5}) != job_id(SMALL) != job_id({**SMALL, "grid": 3})
    X, _ = scenes
    keys = {feature_key(KMeansFeatures(**SMALL, power=p), X, "train") for p in (0.5, 1.0)}
    assert len(keys) == 2
