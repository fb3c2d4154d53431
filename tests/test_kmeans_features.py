"""k-means features (Coates et al. 2011): the encoder learns from training images only."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import featcmp.features.kmeans as kmeans
from featcmp.data.scenes import generate_scenes
from featcmp.features.kmeans import (
    KMeansFeatures,
    mirror_patches,
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
    centroids = torch.eye(3)
    code = triangle_code(torch.tensor([[1.0, 0, 0]]), centroids)
    z = np.array([0, np.sqrt(2), np.sqrt(2)])
    np.testing.assert_allclose(code[0], np.maximum(0, z.mean() - z), rtol=1e-6, atol=1e-6)


def test_region_sums_pool_each_quadrant() -> None:
    codes = torch.zeros(1, 4, 4, 2)
    codes[0, 0, 3, 1] = 5  # top right, feature 1
    out = region_sums(codes)
    assert out.shape == (1, 4, 2)
    assert out[0].flatten().tolist() == [0, 0, 0, 5, 0, 0, 0, 0]
    # Mirrored, the top right corner is read as the top left's.
    assert region_sums(codes, mirrored=True)[0].flatten().tolist() == [0, 5, 0, 0, 0, 0, 0, 0]


def test_region_sums_on_a_finer_grid_partition_the_codes() -> None:
    codes = torch.rand(2, 27, 27, 3, generator=torch.Generator().manual_seed(0))
    out = region_sums(codes, 3)
    assert out.shape == (2, 9, 3)
    torch.testing.assert_close(out[:, 4], codes[:, 9:18, 9:18].sum((1, 2)))
    torch.testing.assert_close(out.sum(1), codes.sum((1, 2)))


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


cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.mark.parametrize(
    ("device", "per_step"), [("cpu", 1), ("cpu", 16), pytest.param("cuda", 0, marks=cuda)]
)
def test_the_encoder_equals_the_triangle_code_of_every_patch_summed_per_region(
    scenes, device, per_step
) -> None:
    """The encoder against the definition written out over the whole grid, one image at a
    time and a chunk at once (as on a GPU) on the CPU, and on a GPU."""
    X, _ = scenes
    feats = KMeansFeatures(**SMALL, grid=3, device=device).fit(X)
    feats.cpu_images_per_step = per_step
    windows = patch_grid(X[:3], SMALL["patch_size"], SMALL["stride"])
    n, ny, nx, d = windows.shape
    white = (normalise_patches(windows.reshape(-1, d)) - feats.mean_) @ feats.whitening_
    codes = triangle_code(torch.from_numpy(white), torch.from_numpy(feats.centroids_))
    codes = codes.numpy().reshape(n, ny, nx, -1)
    cut = [slice(i * ny // 3, (i + 1) * ny // 3) for i in range(3)]
    expected = np.stack([codes[:, r, c].sum((1, 2)) for r in cut for c in cut], 1)
    np.testing.assert_allclose(feats.transform(X[:3]), expected.reshape(n, -1), rtol=1e-5)


def test_mirror_closes_the_dictionary_under_the_mirror(scenes) -> None:
    X, _ = scenes
    feats = KMeansFeatures(**SMALL, mirror=True).fit(X)
    k, p = SMALL["n_centroids"], SMALL["patch_size"]
    assert feats.centroids_.shape == (2 * k, p * p * 3)
    np.testing.assert_array_equal(feats.centroids_[k:], mirror_patches(feats.centroids_[:k], p))
    # The whitening commutes with the mirror, so whitened mirrors are mirrors of whitened.
    patches = normalise_patches(sample_patches(X, p, 50, seed=3))
    np.testing.assert_allclose(
        (mirror_patches(patches, p) - feats.mean_) @ feats.whitening_,
        mirror_patches((patches - feats.mean_) @ feats.whitening_, p),
        atol=2e-3,
    )


@pytest.mark.parametrize("stride", [1, 3])
def test_with_mirror_an_image_and_its_mirror_have_the_same_features(scenes, stride) -> None:
    """Exact for any partition of a mirror-symmetric patch grid: 32 px images, 5 px patches,
    28 positions at stride 1 and 10 at stride 3, cut unevenly by a 3 x 3 grid."""
    X, _ = scenes
    params = {**SMALL, "stride": stride, "grid": 3, "power": 0.5}
    mirrored = KMeansFeatures(**params, mirror=True).fit(X)
    F = mirrored.transform(X[:5])
    assert F.shape == (5, 9 * SMALL["n_centroids"])
    np.testing.assert_allclose(F, mirrored.transform(X[:5, :, ::-1]), rtol=1e-4, atol=1e-4)
    plain = KMeansFeatures(**params).fit(X)
    assert not np.allclose(plain.transform(X[:5]), plain.transform(X[:5, :, ::-1]), atol=1e-2)
