"""A folder of one's own photos: layouts, colour auto, the working-size policy, bad input."""

from __future__ import annotations

import struct
import tarfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from featcmp.config import DatasetConfig
from featcmp.data.folder import read_folder
from featcmp.data.loader import load_dataset, subsample_train
from featcmp.data.size_policy import MAX_SIDE, choose_size
from featcmp.errors import DataError
from tests.helpers import shared_data
from tests.robustness_helpers import assert_one_line_error, invoke, write_config

RNG = np.random.default_rng(0)


def colour_image(h: int, w: int, shade: int) -> np.ndarray:
    """An RGB image whose red channel tells it apart (`shade`) and whose green is noise."""
    pixels = RNG.integers(0, 256, (h, w, 3), dtype=np.uint8)
    pixels[..., 0] = shade
    return pixels


def save(path: Path, pixels: np.ndarray, fmt: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, format=fmt)
    return path


def class_tree(root: Path, counts: dict[str, int], size=(12, 10)) -> dict[str, list[int]]:
    """root/<class>/<i>.png, each image's red channel a unique shade; shades by class."""
    shades: dict[str, list[int]] = {}
    k = 0
    for cls, n in counts.items():
        for i in range(n):
            k += 1
            save(root / cls / f"{i:02d}.png", colour_image(*size, 3 * k + 1))
            shades.setdefault(cls, []).append(3 * k + 1)
    return shades


def red_shades(X: np.ndarray) -> list[int]:
    return [round(float(x[0, 0, 0]) * 255) for x in X]


def spec(root: Path, **options) -> DatasetConfig:
    fields = {k: options.pop(k) for k in ("max_train", "max_test", "test_size") if k in options}
    return DatasetConfig(source="folder", path=str(root), options=options, **fields)


# --- layouts -------------------------------------------------------------------------------


def test_class_folders_keep_sorted_class_order(tmp_path: Path):
    shades = class_tree(tmp_path / "imgs", {"zebra": 3, "apple": 2, "Mango": 2})
    images = read_folder(tmp_path / "imgs", "rgb", None, "fail")
    assert images.class_names == ["Mango", "apple", "zebra"]
    assert images.y.tolist() == [0, 0, 1, 1, 2, 2, 2]
    assert red_shades(images.X) == shades["Mango"] + shades["apple"] + shades["zebra"]
    assert images.X_test is None and images.info["layout"] == "classes"


@pytest.mark.parametrize("held_out", ["test", "val", "Val"])
def test_given_split_is_used_as_is(tmp_path: Path, held_out: str):
    train = class_tree(tmp_path / "d" / "train", {"cat": 4, "dog": 3})
    test = class_tree(tmp_path / "other", {"dog": 2, "cat": 2})  # other shades
    (tmp_path / "other").rename(tmp_path / "d" / held_out)
    ds = load_dataset(spec(tmp_path / "d"), seed=0)
    assert ds.own_test_split and ds.class_names == ["cat", "dog"]
    assert red_shades(ds.X_train) == train["cat"] + train["dog"]
    assert ds.y_train.tolist() == [0] * 4 + [1] * 3
    assert sorted(red_shades(ds.X_test)) == sorted(test["cat"] + test["dog"])
    assert ds.y_test.tolist() == [0, 0, 1, 1]
    info = ds.summary()["source_info"]
    assert info["layout"] == f"train/{held_out.lower()}"
    assert info["split"] == f"given: train/ for training, {held_out.lower()}/ for testing"
    # Another seed gives the very same split: it is the folder's, not a re-split.
    assert load_dataset(spec(tmp_path / "d"), seed=5).fingerprint == ds.fingerprint


def test_given_split_still_subsamples(tmp_path: Path):
    train = class_tree(tmp_path / "d" / "train", {"cat": 6, "dog": 6})
    test = class_tree(tmp_path / "d" / "x", {"cat": 4, "dog": 4})
    (tmp_path / "d" / "x").rename(tmp_path / "d" / "test")
    ds = load_dataset(spec(tmp_path / "d", max_train=6, max_test=4), seed=0)
    assert len(ds.y_train) == 6 and len(ds.y_test) == 4
    assert np.bincount(ds.y_train).tolist() == [3, 3]
    assert set(red_shades(ds.X_train)) <= set(train["cat"] + train["dog"])
    assert set(red_shades(ds.X_test)) <= set(test["cat"] + test["dog"])
    smaller = subsample_train(ds, 4, seed=0)
    assert len(smaller.y_train) == 4 and smaller.source_info == ds.source_info
    assert smaller.test_fingerprint == ds.test_fingerprint


def test_train_val_test_reads_train_and_test(tmp_path: Path):
    for split, n in (("train", 3), ("val", 1), ("test", 2)):
        class_tree(tmp_path / "d" / split, {"a": n, "b": n})
    images = read_folder(tmp_path / "d", "rgb", None, "fail")
    assert len(images.y) == 6 and len(images.y_test) == 4
    assert "val/ is not read" in images.notes[0]


def test_a_class_named_train_is_a_class(tmp_path: Path):
    class_tree(tmp_path / "d", {"train": 2, "test": 2})
    images = read_folder(tmp_path / "d", "rgb", None, "fail")
    assert images.class_names == ["test", "train"] and images.X_test is None


@pytest.mark.parametrize(
    "tree, fragments",
    [
        ({"a/x/1.png": 1, "b/2.png": 1}, ["a: holds sub-folder 'x', nested too deep"]),
        ({"train/a/x/1.png": 1, "test/a/2.png": 1}, ["train/a: holds sub-folder 'x'"]),
        ({"train/a/1.png": 1}, ["train/ has no test/ or val/ beside it"]),
        ({"1.png": 1}, ["holds images but no class sub-folders"]),
    ],
    ids=["class-nests-deeper", "split-nests-deeper", "train-alone", "flat"],
)
def test_other_layouts_get_one_line(tmp_path: Path, tree: dict, fragments: list[str]):
    for name in tree:
        save(tmp_path / "d" / name, colour_image(8, 8, 1))
    with pytest.raises(DataError, match="understood layouts: ROOT/<class>/<image>") as err:
        read_folder(tmp_path / "d", "auto", None, "fail")
    for fragment in fragments:
        assert fragment in str(err.value)
    assert "\n" not in str(err.value)


def test_splits_with_different_classes_are_refused(tmp_path: Path):
    class_tree(tmp_path / "d" / "train", {"a": 2, "b": 2})
    class_tree(tmp_path / "d" / "val", {"a": 2, "c": 2})
    with pytest.raises(DataError, match=r"only in train/: \['b'\]; only in val/: \['c'\]"):
        read_folder(tmp_path / "d", "auto", None, "fail")


# --- colour ----------------------------------------------------------------------------------


def test_color_auto_on_gray_rgb_and_mixed_folders(tmp_path: Path):
    gray = RNG.integers(0, 256, (12, 12), dtype=np.uint8)
    for cls in ("a", "b"):
        save(tmp_path / "gray" / cls / "0.png", gray)
        save(tmp_path / "gray" / cls / "1.jpg", np.dstack([gray] * 3))  # gray content, RGB file
        save(tmp_path / "rgb" / cls / "0.jpg", colour_image(12, 12, 200))
        save(tmp_path / "mixed" / cls / "0.png", gray)
        save(tmp_path / "mixed" / cls / "1.png", colour_image(12, 12, 200))
    g = read_folder(tmp_path / "gray", "auto", None, "fail")
    assert g.X.shape == (4, 12, 12) and g.info["color"].startswith("gray (auto: 0 of 4")
    np.testing.assert_array_equal(g.X[0], gray / np.float32(255))
    c = read_folder(tmp_path / "rgb", "auto", None, "fail")
    assert c.X.shape == (2, 12, 12, 3) and c.info["color"].startswith("rgb (auto: 2 of 2")
    m = read_folder(tmp_path / "mixed", "auto", None, "fail")
    assert m.X.shape == (4, 12, 12, 3)
    np.testing.assert_array_equal(m.X[0], np.repeat(gray[..., None] / np.float32(255), 3, -1))
    np.testing.assert_array_equal(m.X[1], read_folder(tmp_path / "mixed", "rgb", None, "fail").X[1])


def test_color_auto_is_the_default(tmp_path: Path):
    class_tree(tmp_path / "d", {"a": 2, "b": 2})
    assert load_dataset(spec(tmp_path / "d", test_size=0.5)).X_train.ndim == 4


# --- working size ----------------------------------------------------------------------------


def test_size_policy_picks_the_rounded_capped_median():
    assert choose_size([(12, 12)] * 3, None).size is None
    assert choose_size([(400, 300)] * 3, None).size == (MAX_SIDE, MAX_SIDE)  # one large size
    assert choose_size([(40, 30), (70, 50), (90, 60)], None).size == (48, 48)
    assert choose_size([(400, 300), (300, 200), (256, 256)], None).size == (MAX_SIDE, MAX_SIDE)
    assert choose_size([(10, 14), (12, 12)], None).size == (11, 11)  # under 16: the median
    assert choose_size([(400, 300), (30, 30)], (20, 24)).size == (20, 24)


def test_mixed_sizes_are_centre_cropped_to_the_working_size(tmp_path: Path, capsys):
    # A 64x96 image: white in the middle, black bands at the sides outside the centre square
    # (with a margin for the resampling filter): the centre crop keeps white only.
    wide = np.zeros((64, 96), dtype=np.uint8)
    wide[:, 10:86] = 255
    tall = np.full((80, 48), 128, dtype=np.uint8)
    for cls in ("a", "b"):
        save(tmp_path / "d" / cls / "wide.png", wide)
        save(tmp_path / "d" / cls / "tall.png", tall)
        save(tmp_path / "d" / cls / "small.png", tall[:40, :40])
    ds = load_dataset(spec(tmp_path / "d", test_size=0.5), seed=0)
    assert ds.image_shape == (48, 48)
    info = ds.summary()["source_info"]
    assert info["image_size"] == [48, 48] and "centre-cropped to 48x48" in info["size_policy"]
    assert "centre-cropped to 48x48" in capsys.readouterr().err
    images = read_folder(tmp_path / "d", "gray", None, "fail")
    by_name = dict(zip(["small", "tall", "wide"], images.X[:3], strict=True))
    assert np.all(by_name["wide"] == 1.0) and np.allclose(by_name["tall"], 128 / 255)
    resized = read_folder(tmp_path / "d", "gray", (20, 30), "fail")
    assert resized.X.shape == (6, 20, 30) and resized.info["size_policy"].startswith("dataset.")
    assert resized.X[2, :, 0].max() < 0.1  # stretched, not cropped: the black band remains


def test_jpeg_draft_decoding_matches_a_full_decode(tmp_path: Path):
    yy, xx = np.mgrid[0:600, 0:800]
    photo = np.dstack([xx * 255 // 800, yy * 255 // 600, (xx + yy) * 255 // 1400]).astype(np.uint8)
    for cls in ("a", "b"):
        save(tmp_path / "d" / cls / "0.jpg", photo)
        save(tmp_path / "d" / cls / "1.png", photo[:300, :400])
    X = read_folder(tmp_path / "d", "rgb", None, "fail").X  # 300 px median shorter -> 96
    full = Image.open(tmp_path / "d" / "a" / "0.jpg").convert("RGB")
    box = (100, 0, 700, 600)
    expected = np.asarray(full.resize((96, 96), Image.Resampling.BILINEAR, box=box)) / 255
    assert X.shape == (4, 96, 96, 3) and np.abs(X[0] - expected).mean() < 0.02


def test_camera_rotation_is_applied(tmp_path: Path):
    upright = np.zeros((40, 20), dtype=np.uint8)
    upright[:4] = 255  # a white top edge, as the viewer shows it
    stored = Image.fromarray(np.rot90(upright, 1))  # what a camera stores: 20 rows, 40 columns
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    for cls in ("a", "b"):
        (tmp_path / "d" / cls).mkdir(parents=True)
        stored.save(tmp_path / "d" / cls / "0.jpg", exif=exif, quality=95)
    X = read_folder(tmp_path / "d", "gray", None, "fail").X
    assert X.shape == (2, 40, 20)
    assert X[0, :3].mean() > 0.9 and X[0, 8:].mean() < 0.1


def test_parallel_read_equals_sequential_read(tmp_path: Path):
    for cls in ("a", "b"):
        for i in range(70):
            h, w = 20 + i % 7, 24 + i % 5
            save(tmp_path / "d" / cls / f"{i:02d}.jpg", colour_image(h, w, i), "JPEG")
    (tmp_path / "d" / "a" / "bad.jpg").write_bytes(b"not a jpeg")
    one = read_folder(tmp_path / "d", "auto", None, "skip")
    pooled = read_folder(tmp_path / "d", "auto", None, "skip", parallel_min=1)
    np.testing.assert_array_equal(one.X, pooled.X)
    assert one.y.tolist() == pooled.y.tolist() and pooled.info == one.info
    assert one.info["skipped_files"] == 1


def test_cifar10_photos_at_mixed_sizes(tmp_path: Path):
    archive = shared_data("cifar10", "cifar-10-binary.tar.gz")
    if archive is None or not archive.exists():
        pytest.skip("../shared/data/cifar10 is absent (a fresh clone has no shared data)")
    from featcmp.data.cifar10 import parse_batch

    with tarfile.open(archive, "r|gz") as tar:
        member = next(m for m in tar if m.name.endswith(".bin"))
        X, y = parse_batch(tar.extractfile(member).read(), member.name)
    for i in range(40):  # upscaled to mixed sizes, saved as JPEG like camera photos
        img = Image.fromarray(X[i]).resize((48 + 8 * (i % 5), 40 + 8 * (i % 3)))
        save(tmp_path / "d" / f"class{y[i] % 2}" / f"{i}.jpg", np.asarray(img), "JPEG")
    ds = load_dataset(spec(tmp_path / "d", test_size=0.25), seed=0)
    assert ds.image_shape == (48, 48, 3) and ds.source_info["color"].startswith("rgb (auto")


# --- bad input -------------------------------------------------------------------------------


def bomb_png(path: Path, side: int = 100_000) -> Path:
    """A valid PNG header claiming side x side pixels (Pillow refuses it at open)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    body = chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)
    return path


def non_images(folder: Path) -> None:
    folder.mkdir()
    (folder / "x.txt").write_text("notes")
    (folder / "y.csv").write_text("1,2")


def truncated_jpeg(path: Path) -> Path:
    save(path, colour_image(64, 64, 9), "JPEG")
    path.write_bytes(path.read_bytes()[:300])
    return path


def run_cli(tmp_path: Path, root: Path, **options):
    dataset = {"source": "folder", "path": str(root), **options}
    config = write_config(tmp_path / "c.yaml", {"dataset": dataset, "pipelines": ["raw_svm"]})
    return invoke("run", config, "--out", tmp_path / "runs", "-q")


@pytest.mark.parametrize(
    "make, fragments",
    [
        (lambda d: (d / "b").mkdir(), ["d/b: class folder is empty"]),
        (lambda d: save(d / "b" / "0.png", colour_image(12, 10, 1)), ["['b'] have fewer than 2"]),
        (
            lambda d: (d / "b").mkdir() or (d / "b" / "x.txt").write_text("x"),
            ["x.txt: not a readable image"],
        ),
        (lambda d: truncated_jpeg(d / "b" / "t.jpg"), ["t.jpg: not a readable image (OSError)"]),
        (lambda d: bomb_png(d / "b" / "huge.png"), ["huge.png: too large to decode safely"]),
    ],
    ids=["empty-class", "one-image-class", "non-images", "truncated", "bomb"],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, make, fragments):
    root = tmp_path / "d"
    class_tree(root, {"a": 3})
    make(root)
    result = run_cli(tmp_path, root, on_bad_file="fail")
    assert_one_line_error(result, tmp_path / "runs", *fragments)


def test_bad_files_are_skipped_with_a_count(tmp_path: Path):
    root = tmp_path / "d"
    class_tree(root, {"a": 3, "b": 3})
    bomb_png(root / "a" / "huge.png")
    truncated_jpeg(root / "b" / "t.jpg")
    (root / "b" / "notes.txt").write_text("not an image")
    images = read_folder(root, "auto", None, "skip")
    assert len(images.y) == 6 and images.info["skipped_files"] == 3
    result = run_cli(tmp_path, root)
    assert result.exit_code == 0, result.output
    assert "skipped 3 unreadable or non-image file(s)" in result.stderr
