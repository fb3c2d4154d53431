"""Behaviour of the procedural scene generator: determinism, balance, ranges, independence."""

from __future__ import annotations

import numpy as np
import pytest

from featcmp.data.scenes import (
    CLASS_NAMES,
    DIFFICULTIES,
    SceneRanges,
    generate_scenes,
    sample_params,
    scene_ranges,
)
from featcmp.errors import DataError

SCALARS = ("offset_x", "offset_y", "scale", "rotation", "horizon", "lighting", "noise", "clutter")


def test_same_seed_gives_identical_bytes():
    a = generate_scenes(6, size=24, seed=3)
    b = generate_scenes(6, size=24, seed=3)
    assert a[0].tobytes() == b[0].tobytes()
    assert a[1].tobytes() == b[1].tobytes()
    assert a[2] == b[2] == list(CLASS_NAMES)


def test_different_seeds_differ():
    X0, y0, _ = generate_scenes(6, size=24, seed=0)
    X1, y1, _ = generate_scenes(6, size=24, seed=1)
    assert not np.array_equal(X0, X1)
    assert not np.array_equal(y0, y1)


def test_balanced_and_shuffled():
    _, y, _ = generate_scenes(7, size=16, seed=0)
    assert y.dtype == np.int64
    assert np.bincount(y, minlength=4).tolist() == [7, 7, 7, 7]
    assert not np.all(np.diff(y) >= 0)  # not sorted by class


@pytest.mark.parametrize(
    ("size", "rgb", "shape"),
    [(32, True, (8, 32, 32, 3)), (32, False, (8, 32, 32)), (20, True, (8, 20, 20, 3))],
)
def test_shapes_dtype_range(size, rgb, shape):
    X, _, _ = generate_scenes(2, size=size, rgb=rgb, difficulty="hard", seed=0)
    assert X.shape == shape
    assert X.dtype == np.float32
    assert X.min() >= 0.0 and X.max() <= 1.0
    np.testing.assert_array_equal(np.rint(X * 255) / np.float32(255), X)  # 1/255 steps


def test_gray_is_luminance_of_rgb_without_noise():
    Xc, _, _ = generate_scenes(2, size=16, seed=5, noise=0)
    Xg, _, _ = generate_scenes(2, size=16, rgb=False, seed=5, noise=0)
    lum = 0.299 * Xc[..., 0] + 0.587 * Xc[..., 1] + 0.114 * Xc[..., 2]
    assert np.abs(lum - Xg).max() < 2.5 / 255


def test_return_params_matches_sample_params():
    _, y, _, params = generate_scenes(5, size=16, seed=2, return_params=True)
    y2, params2 = sample_params(5, seed=2)
    np.testing.assert_array_equal(y, y2)
    assert params.keys() == params2.keys()
    for key in params:
        np.testing.assert_array_equal(params[key], params2[key])


@pytest.mark.parametrize("difficulty", ["medium", "hard"])
def test_every_nuisance_factor_varies(difficulty):
    _, p = sample_params(100, difficulty=difficulty, seed=0)
    for key in (*SCALARS, "cloud_cover", "tilt", "object_rgb", "sky_rgb", "ground_rgb"):
        assert np.std(p[key], axis=0).min() > 0, key
    for key in ("flip", "occluded"):
        assert 0 < p[key].mean() < 1, key
    assert len(np.unique(p["clutter"])) > 2
    assert len(np.unique(p["variant"])) == 3  # monument variants


def test_nuisance_factors_independent_of_class():
    y, p = sample_params(400, difficulty="hard", seed=0)
    columns = {k: p[k].astype(float) for k in (*SCALARS, "flip", "occluded", "cloud_cover", "tilt")}
    for m in range(3):
        for ch in range(3):
            columns[f"object_rgb[{m},{ch}]"] = p["object_rgb"][:, m, ch]
    for name, v in columns.items():
        means = np.array([v[y == c].mean() for c in range(4)])
        # 400 per class: the standard error of a difference is 0.07 std; allow 0.3 std.
        assert np.ptp(means) <= 0.3 * v.std() + 1e-12, name


def test_object_drawn_in_its_primary_colour_at_centre():
    X, y, _, p = generate_scenes(
        4, size=32, seed=4, return_params=True, position=0, rotation=0, occlusion=0,
        clutter=0, noise=0, lighting=(1, 1),
    )  # fmt: skip
    bus = np.flatnonzero(y == CLASS_NAMES.index("bus"))
    centre = X[bus, 15:17, 15:17].mean(axis=(1, 2))
    np.testing.assert_allclose(centre, p["object_rgb"][bus, 0], atol=1.5 / 255)


def test_override_changes_only_its_factor():
    _, p0 = sample_params(20, seed=1)
    _, p1 = sample_params(20, seed=1, rotation=0)
    assert np.all(p1["rotation"] == 0) and np.any(p0["rotation"] != 0)
    for key in p0:
        if key != "rotation":
            np.testing.assert_array_equal(p0[key], p1[key])


def test_zero_noise_gives_noise_free_image():
    kw = {"size": 32, "seed": 0, "clouds": False, "clutter": 0, "position": 0, "scale": 0.3}
    X0, _, _ = generate_scenes(3, noise=0, **kw)
    X1, _, _ = generate_scenes(3, noise=0.1, **kw)
    sky0, sky1 = X0[:, :4, :4], X1[:, :4, :4]  # a corner of plain sky gradient
    assert np.abs(np.diff(sky0, axis=2)).max() <= 1 / 255 + 1e-6
    assert np.abs(np.diff(sky1, axis=2)).max() > 5 / 255
    assert 0.02 < np.std(X1 - X0) < 0.1  # only the noise differs


def test_easy_and_hard_differ():
    easy, hard = scene_ranges("easy"), scene_ranges("hard")
    assert easy.rotation < hard.rotation and easy.noise < hard.noise
    assert easy.clutter < hard.clutter and easy.occlusion < hard.occlusion
    _, pe = sample_params(50, difficulty="easy")
    _, ph = sample_params(50, difficulty="hard")
    assert np.abs(pe["rotation"]).max() == 0 < np.abs(ph["rotation"]).max()
    assert np.std(pe["object_rgb"]) < np.std(ph["object_rgb"])
    assert pe["clutter"].max() == 0 < ph["clutter"].max()


def test_scene_ranges_presets_and_overrides():
    assert all(isinstance(scene_ranges(d), SceneRanges) for d in DIFFICULTIES)
    r = scene_ranges("medium", scale=0.4, lighting=(0.5, 0.9), clutter=2, flip=False)
    assert r.scale == (0.4, 0.4) and r.lighting == (0.5, 0.9)
    assert r.clutter == 2 and r.flip is False
    assert r.rotation == scene_ranges("medium").rotation


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: scene_ranges("medum"), "did you mean 'medium'"),
        (lambda: generate_scenes(1, difficulty="impossible"), "unknown scene difficulty"),
        (lambda: scene_ranges(rotaton=3), "did you mean 'rotation'"),
        (lambda: scene_ranges(occlusion=2), "occlusion"),
        (lambda: scene_ranges(scale=(0.6, 0.3)), "scale"),
        (lambda: scene_ranges(clutter=1.5), "clutter"),
        (lambda: scene_ranges(flip="yes"), "flip"),
        (lambda: generate_scenes(0), "n_per_class"),
        (lambda: generate_scenes(1, size=4), "size"),
        (lambda: generate_scenes(1, size=1000), "size"),
        (lambda: generate_scenes(1, seed=-1), "seed"),
    ],
)
def test_invalid_arguments_raise_data_error(call, message):
    with pytest.raises(DataError, match=message) as info:
        call()
    assert "\n" not in str(info.value)
