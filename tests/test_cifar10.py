"""The CIFAR-10 binary reader on small files written in the official layout by the test."""

from __future__ import annotations

import io
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest

from featcmp.config import DatasetConfig
from featcmp.data.cifar10 import DEFAULT_NAMES, RECORD_BYTES, read_cifar10
from featcmp.data.loader import load_dataset
from featcmp.errors import DataError

NAMES = ["plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def batch_bytes(images: np.ndarray, labels: np.ndarray) -> bytes:
    """The official record: 1 label byte, then the red, green and blue 32x32 planes, row-major."""
    out = bytearray()
    for img, label in zip(images, labels, strict=True):
        out.append(int(label))
        for c in range(3):
            out += img[:, :, c].astype(np.uint8).tobytes(order="C")
    return bytes(out)


def make_set(seed: int = 0, per_batch: int = 6, batches: int = 5):
    rng = np.random.default_rng(seed)
    train = [
        (rng.integers(0, 256, (per_batch, 32, 32, 3), dtype=np.uint8), np.arange(per_batch) % 10)
        for _ in range(batches)
    ]
    test = (rng.integers(0, 256, (4, 32, 32, 3), dtype=np.uint8), np.array([9, 0, 3, 3]))
    files = {f"data_batch_{i + 1}.bin": batch_bytes(*b) for i, b in enumerate(train)}
    files["test_batch.bin"] = batch_bytes(*test)
    files["batches.meta.txt"] = ("\n".join(NAMES) + "\n\n").encode()
    return train, test, files


def write_folder(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def write_tar(path: Path, files: dict[str, bytes], prefix: str = "cifar-10-batches-bin/") -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(prefix + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def assert_matches(images, train, test) -> None:
    np.testing.assert_array_equal(images.X, np.concatenate([b[0] for b in train]))
    np.testing.assert_array_equal(images.y, np.concatenate([b[1] for b in train]))
    np.testing.assert_array_equal(images.X_test, test[0])
    np.testing.assert_array_equal(images.y_test, test[1])
    assert images.class_names == NAMES


def test_record_layout_is_label_then_rgb_planes(tmp_path):
    img = np.zeros((1, 32, 32, 3), dtype=np.uint8)
    img[0, 0, 1, 0] = 200  # red, row 0, column 1
    img[0, 2, 0, 2] = 7  # blue, row 2, column 0
    data = batch_bytes(img, np.array([4]))
    assert len(data) == RECORD_BYTES == 3073
    assert data[0] == 4 and data[1 + 1] == 200 and data[1 + 2048 + 2 * 32] == 7
    write_folder(tmp_path / "d", {"data_batch_1.bin": data})
    images = read_cifar10(tmp_path / "d")
    assert images.X.shape == (1, 32, 32, 3) and images.X.dtype == np.uint8
    assert images.X[0, 0, 1, 0] == 200 and images.X[0, 2, 0, 2] == 7 and images.X.sum() == 207
    assert images.y.tolist() == [4]
    assert images.class_names == list(DEFAULT_NAMES)  # no batches.meta.txt
    assert images.X_test is None


def test_extracted_folder_and_its_parent(tmp_path):
    train, test, files = make_set()
    folder = write_folder(tmp_path / "cifar-10-batches-bin", files)
    assert_matches(read_cifar10(folder), train, test)
    assert_matches(read_cifar10(tmp_path), train, test)  # the folder the archive unpacked into


def test_tar_gz_is_read_without_extracting(tmp_path):
    train, test, files = make_set(seed=1)
    archive = write_tar(tmp_path / "cifar-10-binary.tar.gz", files)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_matches(read_cifar10(archive), train, test)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_batches_are_concatenated_in_numeric_order(tmp_path):
    train, _, files = make_set(seed=2, batches=2)
    files["data_batch_10.bin"] = files.pop("data_batch_2.bin")  # 10 sorts after 1 numerically
    images = read_cifar10(write_folder(tmp_path / "d", files))
    np.testing.assert_array_equal(images.X, np.concatenate([train[0][0], train[1][0]]))


def test_source_through_the_loader_uses_the_test_batch(tmp_path):
    _, test, files = make_set(seed=3)
    archive = write_tar(tmp_path / "cifar-10-binary.tar.gz", files)
    ds = load_dataset(DatasetConfig(source="cifar10", path=str(archive)), seed=0)
    assert ds.own_test_split and ds.X_train.shape == (30, 32, 32, 3)
    assert ds.X_test.dtype == np.float32 and ds.X_test.max() <= 1.0
    np.testing.assert_allclose(ds.X_test, test[0] / np.float32(255))
    assert ds.class_names == NAMES


def test_python_version_folder_is_refused_without_unpickling(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    # A pickle that would create a file if it were ever loaded.
    marker = tmp_path / "pickle-ran"
    payload = pickle.dumps(_Exploit(str(marker)))
    (folder / "data_batch_1").write_bytes(payload)
    (folder / "batches.meta").write_bytes(payload)
    for target in (folder, tmp_path):
        with pytest.raises(DataError, match=r"python version.*cifar-10-binary\.tar\.gz"):
            read_cifar10(target)
    assert not marker.exists()


def test_python_version_archive_is_refused(tmp_path):
    named = write_tar(tmp_path / "cifar-10-python.tar.gz", {"x": b"x"}, prefix="")
    with pytest.raises(DataError, match=r"python version.*cifar-10-binary\.tar\.gz"):
        read_cifar10(named)
    renamed = write_tar(
        tmp_path / "data.tar.gz", {"data_batch_1": b"\x80\x04."}, prefix="cifar-10-batches-py/"
    )
    with pytest.raises(DataError, match="never loads because unpickling runs code"):
        read_cifar10(renamed)


@pytest.mark.parametrize("name", ["../data_batch_1.bin", "/tmp/data_batch_1.bin", "a/../../b"])
def test_unsafe_member_names_are_rejected(tmp_path, name):
    _, _, files = make_set()
    members = {f"cifar-10-batches-bin/{k}": v for k, v in files.items()}
    archive = write_tar(tmp_path / "evil.tar.gz", {**members, name: b"\0" * RECORD_BYTES}, "")
    with pytest.raises(DataError, match="unsafe member name"):
        read_cifar10(archive)
    assert not (tmp_path.parent / "data_batch_1.bin").exists()


def test_truncated_batch_and_cifar100_records_are_named(tmp_path):
    _, _, files = make_set()
    files["data_batch_2.bin"] = files["data_batch_2.bin"][:-5]
    with pytest.raises(DataError, match=r"data_batch_2\.bin: .* not a whole number"):
        read_cifar10(write_folder(tmp_path / "a", files))
    with pytest.raises(DataError, match="CIFAR-100"):
        read_cifar10(write_folder(tmp_path / "b", {"data_batch_1.bin": b"\0" * 3074 * 2}))


def test_label_beyond_the_class_names_is_an_error(tmp_path):
    data = batch_bytes(np.zeros((1, 32, 32, 3), np.uint8), np.array([12]))
    with pytest.raises(DataError, match="label 12 is out of range for 10"):
        read_cifar10(write_folder(tmp_path / "d", {"data_batch_1.bin": data}))


def test_not_a_tar_and_missing_path(tmp_path):
    bad = tmp_path / "cifar-10-binary.tar.gz"
    bad.write_bytes(b"\x1f\x8b\x08garbage")
    with pytest.raises(DataError, match="not a readable tar archive"):
        read_cifar10(bad)
    with pytest.raises(DataError, match="not found; download the binary version"):
        read_cifar10(tmp_path / "nowhere")
    with pytest.raises(DataError, match=r"no CIFAR-10 binary batches"):
        read_cifar10(write_folder(tmp_path / "empty", {"readme.txt": b"hi"}))


class _Exploit:
    """Unpickling this touches a file: proof that nothing was unpickled when it stays absent."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (Path.touch, (Path(self.path),))
