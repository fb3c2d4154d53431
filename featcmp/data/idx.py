"""Reader for the IDX format of MNIST, Fashion-MNIST and KMNIST (gzipped or not).

Header: two zero bytes, a type code, the number of dimensions, then one big-endian uint32 per
dimension; the data follows, big-endian. Every inconsistency is a `DataError`, never a crash.
"""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

from featcmp.data.images import read_file
from featcmp.errors import DataError
from featcmp.files import atomic_write_bytes

# Type codes of the IDX format and the numpy dtype each one stores.
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
MAX_BYTES = 8 * 1024**3  # refuse headers that claim more than 8 GiB


def read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed when it is gzip (detected from the magic, not the name)."""
    raw = read_file(path, "an IDX file")
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(f"{path}: corrupt or truncated gzip file ({exc})") from None
    return raw


def parse_idx(data: bytes, name: str = "IDX data") -> np.ndarray:
    """Parse IDX bytes into a native-endian array."""
    if len(data) < 4:
        raise DataError(f"{name}: too short to be an IDX file ({len(data)} bytes)")
    if data[0] != 0 or data[1] != 0 or data[2] not in IDX_DTYPES:
        magic = int.from_bytes(data[:4], "big")
        raise DataError(
            f"{name}: wrong magic number {magic} (0x{magic:08x}); not an IDX file "
            "(MNIST images start with 2051, labels with 2049)"
        )
    dtype, ndim = IDX_DTYPES[data[2]], data[3]
    if ndim == 0:
        raise DataError(f"{name}: IDX header declares zero dimensions")
    header_end = 4 + 4 * ndim
    if len(data) < header_end:
        raise DataError(f"{name}: truncated IDX header ({len(data)} bytes for {ndim} dimensions)")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    # Python ints: np.prod would wrap around on five large dimensions. A zero dimension does
    # not excuse absurd others (numpy cannot even describe such an empty array).
    expected = math.prod(shape) * dtype.itemsize
    if math.prod(d for d in shape if d) * dtype.itemsize > MAX_BYTES:
        raise DataError(
            f"{name}: IDX header claims shape {shape}, over {MAX_BYTES // 1024**3} GiB; refusing"
        )
    actual = len(data) - header_end
    if actual != expected:
        raise DataError(
            f"{name}: IDX header says shape {shape} ({expected} data bytes) "
            f"but the file holds {actual}; the file is truncated or not IDX"
        )
    return (
        np.frombuffer(data, dtype=dtype, offset=header_end)
        .reshape(shape)
        .astype(dtype.newbyteorder("="))
    )


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (`.gz` or plain) into an array."""
    path = Path(path)
    return parse_idx(read_bytes(path), str(path))


def read_idx_pair(images: str | Path, labels: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read an image/label IDX pair and check they agree: (n, H, W) images, (n,) labels."""
    X, y = read_idx(images), read_idx(labels)
    if X.ndim not in (3, 4):
        raise DataError(f"{images}: expected images of shape (n, H, W), got shape {X.shape}")
    if y.ndim != 1:
        raise DataError(f"{labels}: expected labels of shape (n,), got shape {y.shape}")
    if len(X) != len(y):
        raise DataError(f"{images} holds {len(X)} images but {labels} holds {len(y)} labels")
    return X, y


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write an array as IDX (gzipped when the name ends in .gz); used by tests and exports."""
    array = np.asarray(array)
    codes = {v.newbyteorder("="): k for k, v in IDX_DTYPES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None:
        raise DataError(f"cannot store dtype {array.dtype} in IDX")
    header = bytes([0, 0, code, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape
    )
    payload = header + array.astype(IDX_DTYPES[code]).tobytes()
    path = Path(path)
    atomic_write_bytes(path, gzip.compress(payload) if path.suffix == ".gz" else payload)
