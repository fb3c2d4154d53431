"""Reader for the CIFAR-10 *binary* version: `data_batch_{1..5}.bin`, `test_batch.bin`.

Each record is 3073 bytes: one label byte (0..9), then a 32x32 image as three 1024-byte planes
(red, green, blue), each row-major. `batches.meta.txt` names the classes, one per line. The
archive is read as extracted files or straight from `cifar-10-binary.tar.gz`, member by member,
never written to disk. The "python version" stores the same images as pickles; unpickling runs
code, so it is refused with a pointer to the binary archive.
"""

from __future__ import annotations

import re
import tarfile
import zlib
from pathlib import Path, PurePosixPath

import numpy as np

from featcmp.data.images import Images, labels_to_int, read_file
from featcmp.errors import DataError

SIDE, CHANNELS = 32, 3
RECORD_BYTES = 1 + SIDE * SIDE * CHANNELS
TEST_FILE = "test_batch.bin"
META_FILE = "batches.meta.txt"
TRAIN_PATTERN = re.compile(r"^data_batch_(\d+)\.bin$")
FOLDER = "cifar-10-batches-bin"  # the folder the official archive unpacks to
DEFAULT_NAMES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
# Names of the pickled "python version" (cifar-10-python.tar.gz, folder cifar-10-batches-py).
PICKLE_NAMES = {"data_batch_1", "data_batch_5", "test_batch", "batches.meta"}
MAX_MEMBER_BYTES = 256 * 1024**2  # the official batches are 30 MB; refuse absurd members
BINARY_HINT = (
    "download the binary version, cifar-10-binary.tar.gz, from "
    "https://www.cs.toronto.edu/~kriz/cifar.html"
)


def refuse_pickle(where: Path | str) -> DataError:
    return DataError(
        f"{where}: this is the CIFAR-10 python version (pickle files), which featcmp never "
        f"loads because unpickling runs code; {BINARY_HINT}"
    )


def parse_batch(data: bytes, name: str) -> tuple[np.ndarray, np.ndarray]:
    """One batch file's bytes -> (n, 32, 32, 3) uint8 images and (n,) int64 labels."""
    if not data or len(data) % RECORD_BYTES:
        extra = (
            " (3074-byte records: CIFAR-100, which has two label bytes)"
            if data and len(data) % (RECORD_BYTES + 1) == 0
            else ""
        )
        raise DataError(
            f"{name}: {len(data)} bytes is not a whole number of {RECORD_BYTES}-byte CIFAR-10 "
            f"records{extra}; the file is truncated or not a CIFAR-10 binary batch"
        )
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, RECORD_BYTES)
    y = records[:, 0].astype(np.int64)
    X = records[:, 1:].reshape(-1, CHANNELS, SIDE, SIDE).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(X), y


def parse_meta(text: str, name: str) -> list[str]:
    names = [line.strip() for line in text.splitlines() if line.strip()]
    if not names:
        raise DataError(f"{name}: holds no class names")
    return names


def _safe_member(member: tarfile.TarInfo, archive: Path) -> None:
    """Refuse names that would point outside the archive's folder if anyone extracted it."""
    path = PurePosixPath(member.name)
    if member.name.startswith(("/", "\\")) or ".." in path.parts or ":" in member.name:
        raise DataError(
            f"{archive}: unsafe member name '{member.name}' in the archive; refusing it"
        )


def _batches_from_tar(archive: Path) -> dict[str, bytes]:
    """The CIFAR files in a tar(.gz), by base name, read in one pass; nothing is extracted."""
    files: dict[str, bytes] = {}
    try:
        with tarfile.open(archive, "r:*") as tar:
            for m in tar:  # streams through the archive once
                _safe_member(m, archive)
                base = PurePosixPath(m.name).name
                if base in PICKLE_NAMES:
                    raise refuse_pickle(archive)
                if not (base in (TEST_FILE, META_FILE) or TRAIN_PATTERN.match(base)):
                    continue
                if not m.isfile():
                    raise DataError(f"{archive}: member '{m.name}' is not a regular file")
                if base in files:
                    raise DataError(f"{archive}: holds '{base}' twice; expected one CIFAR-10 set")
                if m.size > MAX_MEMBER_BYTES:
                    raise DataError(f"{archive}: member '{m.name}' is {m.size} bytes; refusing")
                f = tar.extractfile(m)  # a file object over this member's bytes only
                files[base] = f.read() if f is not None else b""
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise DataError(
            f"{archive}: not a readable tar archive, or a truncated one ({exc})"
        ) from None
    return files


def _batches_from_folder(folder: Path) -> dict[str, bytes]:
    """The CIFAR files in `folder` or its `cifar-10-batches-bin` sub-folder, by name."""
    for candidate in (folder, folder / FOLDER):
        if (candidate / "data_batch_1.bin").is_file():
            folder = candidate
            break
    else:
        python_folders = (folder, folder / "cifar-10-batches-py")
        if any((c / p).exists() for c in python_folders for p in PICKLE_NAMES):
            raise refuse_pickle(folder)
    return {
        p.name: read_file(p, "a CIFAR-10 batch")
        for p in sorted(folder.iterdir())
        if p.is_file() and (p.name in (TEST_FILE, META_FILE) or TRAIN_PATTERN.match(p.name))
    }


def read_cifar10(path: str | Path) -> Images:
    """Read CIFAR-10 (binary version) from its extracted folder or its .tar.gz.

    Parameters
    ----------
    path : str or Path
        `cifar-10-binary.tar.gz`, the `cifar-10-batches-bin` folder, or the folder holding it.

    Returns
    -------
    Images
        Training images (n, 32, 32, 3) uint8 from every `data_batch_N.bin`, their labels, the
        class names, and the test split from `test_batch.bin` when present.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: not found; {BINARY_HINT}")
    if "python" in path.name and path.name.endswith((".tar.gz", ".tgz", ".tar")):
        raise refuse_pickle(path)
    files = _batches_from_tar(path) if path.is_file() else _batches_from_folder(path)
    train = sorted((int(m.group(1)), name) for name in files if (m := TRAIN_PATTERN.match(name)))
    if not train:
        raise DataError(f"{path}: no CIFAR-10 binary batches (data_batch_1.bin ...); {BINARY_HINT}")
    names = (
        parse_meta(files[META_FILE].decode("utf-8", "replace"), f"{path}: {META_FILE}")
        if META_FILE in files
        else list(DEFAULT_NAMES)
    )
    parts = [parse_batch(files[name], f"{path}: {name}") for _, name in train]
    X, y = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    X_test = y_test = None
    if TEST_FILE in files:
        X_test, y_test = parse_batch(files[TEST_FILE], f"{path}: {TEST_FILE}")
    y, names = labels_to_int(y, names, str(path))
    if y_test is not None:
        y_test, _ = labels_to_int(y_test, names, str(path))
    return Images(X, y, names, X_test, y_test)
