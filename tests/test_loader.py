"""The one dataset loader: every source, unit-range float32, one deterministic stratified split."""

from __future__ import annotations

import numpy as np
import pytest

from featcmp.config import DatasetConfig
from featcmp.data.idx import read_idx_pair
from featcmp.data.loader import Dataset, fingerprint, load_dataset
from featcmp.run.jobs import expand_jobs, load_config
from featcmp.run.sweep import run_jobs
from tests.helpers import pattern_images

MNIST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def spec(source: str, path=None, **kwargs) -> DatasetConfig:
    common = {k: kwargs.pop(k) for k in ("test_size", "max_train", "max_test") if k in kwargs}
    return DatasetConfig(
        source=source, path=None if path is None else str(path), options=kwargs, **common
    )


def assert_well_formed(ds: Dataset, n_classes: int) -> None:
    """float32 in [0, 1], matching lengths, disjoint-by-count split, every class on both sides."""
    for X in (ds.X_train, ds.X_test):
        assert X.dtype == np.float32
        assert X.min() >= 0.0 and X.max() <= 1.0
        assert X.shape[1:] == ds.image_shape
    assert len(ds.X_train) == len(ds.y_train) and len(ds.X_test) == len(ds.y_test)
    assert len(ds.class_names) == n_classes
    assert set(ds.y_train.tolist()) == set(range(n_classes))
    assert set(ds.y_test.tolist()) == set(range(n_classes))
    assert len(ds.fingerprint) == 16


def test_digits():
    ds = load_dataset(spec("digits"), seed=0)
    assert_well_formed(ds, 10)
    assert ds.image_shape == (8, 8)
    assert len(ds.y_train) + len(ds.y_test) == 1797
    assert len(ds.y_test) == round(1797 * 0.25)
    assert ds.class_names == [str(i) for i in range(10)]
    assert ds.X_train.max() == 1.0  # 16/16: scaled by the 0..16 range, not by 255


def test_faces():
    ds = load_dataset(spec("faces", test_size=0.5), seed=0)
    assert_well_formed(ds, 2)
    assert ds.image_shape == (25, 25)
    assert (len(ds.y_train), len(ds.y_test)) == (100, 100)
    assert np.bincount(ds.y_test).tolist() == [50, 50]  # stratified: 100 faces, 100 non-faces
    assert ds.class_names == ["face", "non-face"]


@pytest.mark.parametrize("gz", [True, False], ids=["gz", "plain"])
def test_idx_single_pair_is_split(write_idx_pair, tiny_gray, gz):
    X, y = tiny_gray
    images, _ = write_idx_pair(X, y, prefix="t10k", gz=gz)
    ds = load_dataset(spec("idx", images.parent), seed=0)
    assert_well_formed(ds, 4)
    assert not ds.own_test_split
    assert ds.image_shape == (12, 12)
    assert len(ds.y_train) + len(ds.y_test) == 40 and len(ds.y_test) == 10
    # Every image comes back exactly, scaled by 255, with its own label.
    pairs = {(x.tobytes(), int(c)) for x, c in zip(X / np.float32(255), y, strict=True)}
    got = np.concatenate([ds.X_train, ds.X_test]), np.concatenate([ds.y_train, ds.y_test])
    assert {(x.tobytes(), int(c)) for x, c in zip(*got, strict=True)} == pairs


def test_idx_own_train_and_test_files(write_idx_pair):
    X_tr, y_tr = pattern_images(6, seed=1)
    X_te, y_te = pattern_images(3, seed=2)
    write_idx_pair(X_tr, y_tr, prefix="train")
    images, _ = write_idx_pair(X_te, y_te, prefix="t10k")
    ds = load_dataset(spec("idx", images.parent), seed=5)
    assert ds.own_test_split
    assert_well_formed(ds, 4)
    np.testing.assert_array_equal(ds.X_train, X_tr / np.float32(255))
    np.testing.assert_array_equal(ds.y_train, y_tr)
    np.testing.assert_array_equal(ds.X_test, X_te / np.float32(255))
    np.testing.assert_array_equal(ds.y_test, y_te)
    # The dataset's own split does not depend on the seed.
    assert load_dataset(spec("idx", images.parent), seed=9).fingerprint == ds.fingerprint


def test_idx_explicit_files_and_class_names(write_idx_pair, tiny_gray):
    X, y = tiny_gray
    images, labels = write_idx_pair(X, y, prefix="odd", gz=False)
    names = ["top", "bottom", "left", "right"]
    ds = load_dataset(
        spec("idx", images.parent, images=images.name, labels=labels.name, class_names=names), 0
    )
    assert_well_formed(ds, 4)
    assert ds.class_names == names


@pytest.mark.parametrize(("color", "shape"), [("gray", (8, 8)), ("rgb", (8, 8, 3))])
def test_folder_resized(png_folder, color, shape):
    root = png_folder(n_per_class=4, size=(10, 14))
    ds = load_dataset(spec("folder", root, color=color, image_size=8, test_size=0.5), seed=0)
    assert_well_formed(ds, 3)
    assert ds.image_shape == shape
    assert ds.class_names == ["bus", "car", "flower"]  # sorted sub-folder names
    assert ds.name == "folder:images"


def test_folder_rgb_keeps_pixels_and_labels(png_folder):
    root = png_folder(n_per_class=3, size=(6, 5))
    ds = load_dataset(spec("folder", root, color="rgb", test_size=0.34), seed=0)
    assert ds.image_shape == (6, 5, 3)
    for X, y in ((ds.X_train, ds.y_train), (ds.X_test, ds.y_test)):
        # The first channel was written as 60 * class index: labels follow their images.
        expected = (60 * y).astype(np.float32)[:, None, None] / np.float32(255)
        np.testing.assert_array_equal(X[..., 0], np.broadcast_to(expected, X.shape[:3]))


def test_folder_gray_matches_pil_luminance(png_folder):
    from PIL import Image

    root = png_folder(n_per_class=2, classes=("a", "b"), size=(5, 5))
    ds = load_dataset(spec("folder", root, color="gray", test_size=0.5), seed=0)
    expected = {
        (np.asarray(Image.open(p).convert("L"), dtype=np.float32) / np.float32(255)).tobytes()
        for p in sorted(root.rglob("*.png"))
    }
    got = {x.tobytes() for x in np.concatenate([ds.X_train, ds.X_test])}
    assert got == expected


def test_npz_with_and_without_class_names(write_npz, tiny_gray):
    X, y = tiny_gray
    plain = load_dataset(spec("npz", write_npz("plain", X=X, y=y)), seed=0)
    assert_well_formed(plain, 4)
    assert plain.class_names == ["0", "1", "2", "3"]
    names = np.array(["car", "bus", "monument", "flower"])
    named = load_dataset(spec("npz", write_npz("named", X=X, y=y, class_names=names)), seed=0)
    assert named.class_names == names.tolist()
    # Same arrays, same split: the class names do not change the data.
    assert named.fingerprint == plain.fingerprint


def test_npz_string_labels_and_float_images(write_npz, tiny_gray):
    X, y = tiny_gray
    words = np.array(["d", "c", "b", "a"])[y]
    ds = load_dataset(spec("npz", write_npz(X=(X / 255.0).astype(np.float64), y=words)), 0)
    assert_well_formed(ds, 4)
    assert ds.class_names == ["a", "b", "c", "d"]


def test_npz_rgb_single_channel_squeezed(write_npz, tiny_gray):
    X, y = tiny_gray
    ds = load_dataset(spec("npz", write_npz(X=X[..., None], y=y)), seed=0)
    assert ds.image_shape == (12, 12)


def test_scenes_small():
    ds = load_dataset(spec("scenes", n_per_class=6, size=16, test_size=0.5), seed=0)
    assert_well_formed(ds, 4)
    assert ds.image_shape == (16, 16, 3)
    assert ds.class_names == ["car", "bus", "monument", "flower"]
    assert np.bincount(ds.y_test).tolist() == [3, 3, 3, 3]


def test_split_is_deterministic_from_the_seed():
    a, b = load_dataset(spec("digits"), seed=1), load_dataset(spec("digits"), seed=1)
    assert a.fingerprint == b.fingerprint
    np.testing.assert_array_equal(a.X_test, b.X_test)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    c = load_dataset(spec("digits"), seed=2)
    assert c.fingerprint != a.fingerprint
    assert not np.array_equal(c.X_test, a.X_test)
    assert len(c.y_test) == len(a.y_test)


def test_split_is_stratified_and_disjoint(write_npz):
    # 3 classes of 20, 30, 50 unique images.
    n = 100
    X = np.arange(n * 4, dtype=np.uint8).reshape(n, 2, 2) % 251
    X[:, 0, 0] = np.arange(n)
    y = np.repeat([0, 1, 2], [20, 30, 50])
    ds = load_dataset(spec("npz", write_npz(X=X, y=y), test_size=0.2), seed=3)
    assert np.bincount(ds.y_test).tolist() == [4, 6, 10]
    assert np.bincount(ds.y_train).tolist() == [16, 24, 40]
    train = {x.tobytes() for x in ds.X_train}
    test = {x.tobytes() for x in ds.X_test}
    assert not train & test
    assert len(train | test) == n


def test_max_train_and_max_test_are_stratified():
    ds = load_dataset(spec("digits", max_train=50, max_test=30), seed=0)
    assert (len(ds.y_train), len(ds.y_test)) == (50, 30)
    for y in (ds.y_train, ds.y_test):
        counts = np.bincount(y, minlength=10)
        assert counts.min() >= 1 and counts.max() - counts.min() <= 1
    again = load_dataset(spec("digits", max_train=50, max_test=30), seed=0)
    assert again.fingerprint == ds.fingerprint
    full = load_dataset(spec("digits"), seed=0)
    assert ds.fingerprint != full.fingerprint
    # The subsets come from the same split: no test image is in the small training set.
    test = {x.tobytes() for x in full.X_test}
    assert not any(x.tobytes() in test for x in ds.X_train)


def test_fingerprint_is_stable_and_tracks_content(write_npz, tiny_gray):
    X, y = tiny_gray
    first = load_dataset(spec("npz", write_npz("a", X=X, y=y)), seed=0).fingerprint
    assert load_dataset(spec("npz", write_npz("b", X=X, y=y)), seed=0).fingerprint == first
    X2 = X.copy()
    X2.flat[0] ^= 1  # one pixel, one grey level
    changed = load_dataset(spec("npz", write_npz("c", X=X2, y=y)), seed=0).fingerprint
    assert changed != first
    a = np.zeros((2, 3), np.float32)
    assert fingerprint(a) == fingerprint(a.copy())
    assert fingerprint(a) != fingerprint(a.reshape(3, 2))  # the shape counts
    assert fingerprint(a) != fingerprint(a.astype(np.float64))  # and the dtype


def test_every_pipeline_of_a_run_sees_the_same_split(write_config, tmp_path):
    path = write_config(
        {
            "name": "same",
            "seed": 4,
            "seeds": [4, 5],
            "dataset": {"source": "digits", "max_train": 60, "max_test": 40},
            "pipelines": [
                "raw_svm",
                {"name": "edges_svm", "params": {"edges": {"kernel": "sobel"}}},
                {"name": "hog_svm", "params": {"hog": {"pixels_per_cell": [2, 2]}}},
            ],
        }
    )
    records = list(run_jobs(expand_jobs(load_config(path)), tmp_path / "out"))
    assert len(records) == 6
    for seed in (4, 5):
        same = [r for r in records if r.seed == seed]
        assert len({r.dataset.fingerprint for r in same}) == 1
        assert all(r.y_true == same[0].y_true for r in same)
    assert records[0].dataset.fingerprint != records[3].dataset.fingerprint


def test_mnist_t10k(mnist_dir):
    X, y = read_idx_pair(
        mnist_dir / "t10k-images-idx3-ubyte.gz", mnist_dir / "t10k-labels-idx1-ubyte.gz"
    )
    assert X.shape == (10000, 28, 28) and X.dtype == np.uint8
    assert np.bincount(y).tolist() == MNIST_COUNTS
    ds = load_dataset(spec("idx", mnist_dir, max_train=500, max_test=200), seed=0)
    assert_well_formed(ds, 10)
    assert ds.image_shape == (28, 28)
    assert (len(ds.y_train), len(ds.y_test)) == (500, 200)
    full = load_dataset(spec("idx", mnist_dir), seed=0)
    y_all = np.concatenate([full.y_train, full.y_test])
    assert np.bincount(y_all).tolist() == MNIST_COUNTS


@pytest.mark.parametrize("name", ["x.idx", "x.idx.gz"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32, np.float32, np.float64])
def test_idx_round_trip(tmp_path, name, dtype):
    from featcmp.data.idx import read_idx, write_idx

    a = (np.arange(2 * 3 * 4) - 5).reshape(2, 3, 4).astype(dtype)
    if dtype == np.uint8:
        a = np.abs(a).astype(dtype)
    write_idx(tmp_path / name, a)
    back = read_idx(tmp_path / name)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    np.testing.assert_array_equal(back, a)
    assert [p.name for p in tmp_path.iterdir()] == [name]  # atomic: no temporary left
