"""Dataset reading: each bad dataset (a row of docs/robustness.md) is one stderr line, exit 2,
nothing written; unreadable files among good ones are skipped with a count."""

from __future__ import annotations

import gzip
import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from featcmp.data.idx import write_idx
from tests.robustness_helpers import (
    assert_one_line_error,
    invoke,
    noise_folder,
    write_config,
)

RNG = np.random.default_rng(0)


# Explicit 4x4 cells: the default ('auto') picks cells that fit even 4x4 images.
HOG_4X4 = {"name": "hog_svm", "params": {"hog": {"pixels_per_cell": [4, 4]}}}


def npz(tmp: Path, **arrays) -> dict:
    np.savez(tmp / "data.npz", **arrays)
    return {"source": "npz", "path": str(tmp / "data.npz")}


def images(n=20, side=8) -> np.ndarray:
    return RNG.random((n, side, side)).astype(np.float32)


def idx_pair(tmp: Path, X: np.ndarray, y: np.ndarray, gz: bool = False) -> dict:
    suffix = ".gz" if gz else ""
    write_idx(tmp / f"images.idx{suffix}", X)
    write_idx(tmp / f"labels.idx{suffix}", y)
    return {
        "source": "idx",
        "images": str(tmp / f"images.idx{suffix}"),
        "labels": str(tmp / f"labels.idx{suffix}"),
    }


IDX_X = RNG.integers(0, 256, (30, 8, 8), dtype=np.uint8)
IDX_Y = (np.arange(30) % 3).astype(np.uint8)


def idx_wrong_magic(tmp: Path) -> dict:
    spec = idx_pair(tmp, IDX_X, IDX_Y)
    raw = Path(spec["images"]).read_bytes()
    Path(spec["images"]).write_bytes(b"\x01\x02" + raw[2:])
    return spec


def idx_short(tmp: Path) -> dict:
    spec = idx_pair(tmp, IDX_X, IDX_Y)
    raw = Path(spec["images"]).read_bytes()
    Path(spec["images"]).write_bytes(raw[:-10])
    return spec


def idx_truncated_gzip(tmp: Path) -> dict:
    spec = idx_pair(tmp, IDX_X, IDX_Y, gz=True)
    raw = Path(spec["images"]).read_bytes()
    Path(spec["images"]).write_bytes(raw[:-30])
    return spec


def idx_test_labels_out_of_range(tmp: Path) -> dict:
    spec = idx_pair(tmp, IDX_X, IDX_Y)
    write_idx(tmp / "t-images.idx", IDX_X[:9])
    write_idx(tmp / "t-labels.idx", np.array([0, 1, 2, 0, 1, 2, 0, 1, 9], np.uint8))
    return {
        **spec,
        "test_images": str(tmp / "t-images.idx"),
        "test_labels": str(tmp / "t-labels.idx"),
        "class_names": ["a", "b", "c"],
    }


def folder(tmp: Path, **extra) -> dict:
    return {"source": "folder", "path": str(tmp / "imgs"), **extra}


def folder_no_images_in_class(tmp: Path) -> dict:
    noise_folder(tmp / "imgs", {"car": 4})
    (tmp / "imgs" / "bus").mkdir()
    (tmp / "imgs" / "bus" / "notes.txt").write_text("no images here")
    return folder(tmp)


def folder_with_bad_files(tmp: Path, **extra) -> dict:
    noise_folder(tmp / "imgs", {"car": 4, "bus": 4})
    (tmp / "imgs" / "car" / "readme.txt").write_text("not an image")
    (tmp / "imgs" / "bus" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(20))
    return folder(tmp, **extra)


def npz_file(tmp: Path, content: bytes, name: str = "data.npz") -> dict:
    (tmp / name).write_bytes(content)
    return {"source": "npz", "path": str(tmp / name)}


def npy_file(tmp: Path) -> dict:
    np.save(tmp / "data.npy", images())
    return {"source": "npz", "path": str(tmp / "data.npy")}


NAN = images()
NAN[3, 2, 2] = np.nan
INF = images()
INF[0, 0, :] = np.inf
Y2 = np.arange(20) % 2

# (row id, dataset builder, pipelines, fragments of the one error line)
CASES: list[tuple[str, Callable[[Path], dict], list, list[str]]] = [
    (
        "folder-missing-path",
        lambda t: {"source": "folder", "path": str(t / "nope")},
        ["raw_svm"],
        ["nope: folder not found"],
    ),
    (
        "folder-no-path",
        lambda t: {"source": "folder"},
        ["raw_svm"],
        ["dataset.path: source 'folder' needs a path"],
    ),
    (
        "folder-is-a-file",
        lambda t: npz_file(t, b"x", "file.txt") | {"source": "folder"},
        ["raw_svm"],
        ["file.txt: is a file; the folder source expects one sub-folder per class"],
    ),
    (
        "folder-empty",
        lambda t: (t / "imgs").mkdir() or folder(t),
        ["raw_svm"],
        ["imgs: no class sub-folders"],
    ),
    (
        "folder-class-without-images",
        folder_no_images_in_class,
        ["raw_svm"],
        ["imgs/bus: class folder holds no readable images"],
    ),
    (
        "folder-bad-files-fail",
        lambda t: folder_with_bad_files(t, on_bad_file="fail"),
        ["raw_svm"],
        ["broken.png: not a readable image (UnidentifiedImageError)"],
    ),
    (
        "folder-single-class",
        lambda t: noise_folder(t / "imgs", {"car": 6}) and folder(t),
        ["raw_svm"],
        ["the training set holds only one class"],
    ),
    (
        "folder-too-few-per-class",
        lambda t: noise_folder(t / "imgs", {"car": 6, "bus": 1}) and folder(t),
        ["raw_svm"],
        ["class(es) ['bus'] have fewer than 2 images; a stratified split needs 2 per class"],
    ),
    (
        "folder-smaller-than-hog",
        lambda t: noise_folder(t / "imgs", {"car": 6, "bus": 6}, size=(4, 4)) and folder(t),
        [HOG_4X4],
        ["images of 4x4 are too small for HOG", "need at least 8x8"],
    ),
    (
        "idx-missing-file",
        lambda t: {"source": "idx", "images": str(t / "no-images"), "labels": str(t / "no")},
        ["raw_svm"],
        ["no-images: file not found"],
    ),
    (
        "idx-wrong-magic",
        idx_wrong_magic,
        ["raw_svm"],
        ["images.idx: wrong magic number 16910339 (0x01020803); not an IDX file"],
    ),
    (
        "idx-size-mismatch",
        idx_short,
        ["raw_svm"],
        ["IDX header says shape (30, 8, 8) (1920 data bytes) but the file holds 1910"],
    ),
    (
        "idx-truncated-gzip",
        idx_truncated_gzip,
        ["raw_svm"],
        ["images.idx.gz: corrupt or truncated gzip file"],
    ),
    (
        "idx-count-mismatch",
        lambda t: idx_pair(t, IDX_X, IDX_Y[:20]),
        ["raw_svm"],
        ["holds 30 images but", "holds 20 labels"],
    ),
    (
        "idx-labels-out-of-range",
        lambda t: idx_pair(t, IDX_X, IDX_Y) | {"class_names": ["a", "b"]},
        ["raw_svm"],
        ["labels.idx: label 2 is out of range for 2 class names"],
    ),
    (
        "idx-test-labels-out-of-range",
        idx_test_labels_out_of_range,
        ["raw_svm"],
        ["t-labels.idx: label 9 is out of range for 3 class names"],
    ),
    (
        "npz-missing-path",
        lambda t: {"source": "npz", "path": str(t / "nope.npz")},
        ["raw_svm"],
        ["nope.npz: file not found"],
    ),
    (
        "npz-nan",
        lambda t: npz(t, X=NAN, y=Y2),
        ["raw_svm"],
        ["npz: 1 pixel values are NaN or infinite"],
    ),
    (
        "npz-inf",
        lambda t: npz(t, X=INF, y=Y2),
        ["raw_svm"],
        ["npz: 8 pixel values are NaN or infinite"],
    ),
    (
        "npz-count-mismatch",
        lambda t: npz(t, X=images(), y=Y2[:19]),
        ["raw_svm"],
        ["X holds 20 images but y holds 19 labels"],
    ),
    (
        "npz-labels-out-of-range",
        lambda t: npz(t, X=images(), y=np.arange(20) % 3, class_names=np.array(["a", "b"])),
        ["raw_svm"],
        ["label 2 is out of range for 2 class names"],
    ),
    (
        "npz-negative-labels",
        lambda t: npz(t, X=images(), y=np.arange(20) % 3 - 1),
        ["raw_svm"],
        ["labels must be >= 0, found -1"],
    ),
    (
        "npz-single-class",
        lambda t: npz(t, X=images(), y=np.zeros(20, int)),
        ["raw_svm"],
        ["the training set holds only one class"],
    ),
    (
        "npz-too-few-per-class",
        lambda t: npz(t, X=images(), y=np.r_[np.zeros(19, int), 1]),
        ["raw_svm"],
        ["class(es) ['1'] have fewer than 2 images"],
    ),
    (
        "npz-pixels-out-of-range",
        lambda t: npz(t, X=images() * 10, y=Y2),
        ["raw_svm"],
        ["float pixel values span", "scale them to [0, 1]"],
    ),
    (
        "npz-empty",
        lambda t: npz(t, X=np.zeros((0, 8, 8)), y=np.zeros(0)),
        ["raw_svm"],
        ["no images"],
    ),
    (
        "npz-flat-images",
        lambda t: npz(t, X=images().reshape(20, -1), y=Y2),
        ["raw_svm"],
        ["expected (n, H, W) or (n, H, W, C) images, got shape (20, 64)"],
    ),
    (
        "npz-object-array",
        lambda t: npz(t, X=np.array([object()] * 20, dtype=object), y=Y2),
        ["raw_svm"],
        ["holds pickled object arrays, which featcmp never loads"],
    ),
    (
        "npz-is-a-pickle",
        lambda t: npz_file(t, pickle.dumps({"X": 1})),
        ["raw_svm"],
        ["is a pickle file, which featcmp never loads"],
    ),
    (
        "npz-not-a-zip",
        lambda t: npz_file(t, b"hello, not a zip"),
        ["raw_svm"],
        ["not a .npz file (no zip header)"],
    ),
    ("npz-is-npy", npy_file, ["raw_svm"], ["is a single .npy array"]),
    (
        "npz-truncated-zip",
        lambda t: npz(t, X=images(), y=Y2) and npz_file(t, (t / "data.npz").read_bytes()[:300]),
        ["raw_svm"],
        ["not a readable .npz file"],
    ),
    (
        "max-train-leaves-one-class",
        lambda t: {"source": "digits", "max_train": 1},
        ["raw_svm"],
        ["dataset.max_train=1 leaves one class in the training set"],
    ),
]


@pytest.mark.parametrize(
    ("build", "pipelines", "fragments"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_data_rejected(tmp_path: Path, build, pipelines, fragments):
    config = write_config(tmp_path / "c.yaml", {"dataset": build(tmp_path), "pipelines": pipelines})
    out = tmp_path / "runs"
    assert_one_line_error(invoke("run", config, "--out", out, "-q"), out, *fragments)


def test_hog_geometry_is_checked_before_any_pipeline_runs(tmp_path: Path):
    """raw_svm would succeed, hog_svm cannot: the run refuses before writing raw_svm's record."""
    spec = npz(tmp_path, X=RNG.random((20, 4, 4)), y=Y2)
    config = write_config(tmp_path / "c.yaml", {"dataset": spec, "pipelines": ["raw_svm", HOG_4X4]})
    out = tmp_path / "runs"
    assert_one_line_error(
        invoke("run", config, "--out", out), out, "pipelines[1] (hog_svm)", "too small for HOG"
    )


def test_bad_files_are_skipped_with_a_count(tmp_path: Path):
    config = write_config(
        tmp_path / "c.yaml", {"dataset": folder_with_bad_files(tmp_path), "pipelines": ["raw_svm"]}
    )
    result = invoke("run", config, "--out", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "skipped 2 unreadable or non-image file(s)" in warnings[0]
    assert len(list((tmp_path / "runs").rglob("*.json"))) == 1


def test_truncated_gzip_never_reads_partial_data(tmp_path: Path):
    """A gzip cut anywhere is refused: every prefix of the file, not just one."""
    from featcmp.data.idx import read_idx
    from featcmp.errors import DataError

    write_idx(tmp_path / "x.idx.gz", IDX_X)
    full = (tmp_path / "x.idx.gz").read_bytes()
    assert gzip.decompress(full)  # the intact file is fine
    for cut in range(2, len(full), max(1, len(full) // 40)):
        (tmp_path / "cut.gz").write_bytes(full[:cut])
        with pytest.raises(DataError):
            read_idx(tmp_path / "cut.gz")
