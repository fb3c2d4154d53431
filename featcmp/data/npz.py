"""Reading the `npz` source's arrays without ever unpickling anything.

A file is checked by its first bytes before numpy sees it: numpy would otherwise treat any
file that is neither zip nor .npy as a pickle (and, with `allow_pickle=False`, report a pickle
where there is only garbage). Member sizes are checked against the memory limit before reading.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from featcmp.data.images import read_file
from featcmp.errors import DataError, FeatcmpError
from featcmp.memory import check_array_bytes

ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")


def _check_header(file: Path) -> None:
    head = read_file(file, "a .npz file", limit=6)
    if head.startswith(ZIP_MAGICS):
        return
    if head.startswith(b"\x93NUMPY"):
        raise DataError(f"{file}: is a single .npy array; save X and y with numpy.savez")
    if head[:1] == b"\x80":
        raise DataError(f"{file}: is a pickle file, which featcmp never loads; use numpy.savez")
    raise DataError(f"{file}: not a .npz file (no zip header); save X and y with numpy.savez")


def read_npz_arrays(file: Path) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    """X, y and optional class names from a .npz file; every problem is a `DataError`."""
    _check_header(file)
    try:
        # allow_pickle=False: a data file must never run code.
        with np.load(file, allow_pickle=False) as archive:
            missing = [k for k in ("X", "y") if k not in archive.files]
            if missing:
                raise DataError(
                    f"{file}: missing array(s) {', '.join(missing)}; found {archive.files}"
                )
            total = sum(info.file_size for info in archive.zip.infolist())
            check_array_bytes(f"{file}: its arrays", total, "use a smaller file", DataError)
            X, y = archive["X"], archive["y"]
            names = archive["class_names"] if "class_names" in archive.files else None
    except FeatcmpError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise DataError(
                f"{file}: holds pickled object arrays, which featcmp never loads "
                "(store numbers and strings)"
            ) from None
        raise DataError(f"{file}: not a readable .npz file ({exc})") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError, RuntimeError) as exc:
        raise DataError(f"{file}: not a readable .npz file ({exc.__class__.__name__})") from None
    if X.ndim == 0 or y.ndim != 1:
        raise DataError(
            f"{file}: expected X of shape (n, H, W[, C]) and y of shape (n,), "
            f"got {X.shape} and {y.shape}"
        )
    if names is not None:
        if names.ndim != 1 or names.dtype.kind not in "USiu":
            raise DataError(
                f"{file}: class_names must be a 1-D array of names, got {names.dtype} {names.shape}"
            )
        names = [str(n) for n in names]
    if len(X) != len(y):
        raise DataError(f"{file}: X holds {len(X)} images but y holds {len(y)} labels")
    return X, y, names
