"""Conversion of whatever a source reads into float32 images in [0, 1]."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from featcmp.errors import DataError


@dataclass
class Images:
    """What a source returns: images, integer labels, class names, its own test split if any."""

    X: np.ndarray
    y: np.ndarray
    class_names: list[str]
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    # What the source chose on the user's behalf (layout, split, colour, size), for the record.
    info: dict[str, Any] = field(default_factory=dict)
    # Lines for stderr ('note: ...', 'warning: ...'), printed once the dataset has loaded, so a
    # load that fails later prints its one error line alone.
    notes: list[str] = field(default_factory=list)


def read_file(path: Path, expected: str, limit: int = -1) -> bytes:
    """A data file's bytes (the first `limit` of them), with one-line errors naming the file."""
    try:
        with open(path, "rb") as f:
            return f.read(limit)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, expected {expected}") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None


def to_unit_float(X: np.ndarray, where: str) -> np.ndarray:
    """Scale integer images by their dtype's range; check float images are finite and in [0, 1]."""
    X = np.asarray(X)
    if X.dtype == bool:
        return X.astype(np.float32)
    if np.issubdtype(X.dtype, np.integer):
        if X.size and X.min() < 0:
            raise DataError(f"{where}: negative pixel values in integer images")
        top = 255 if X.size == 0 or X.max() <= 255 else np.iinfo(X.dtype).max
        out = X.astype(np.float32)
        out /= np.float32(top)  # in place: one float copy of the data, not three
        return out
    if not np.issubdtype(X.dtype, np.floating):
        raise DataError(f"{where}: images must be numbers, got dtype {X.dtype}")
    if not np.isfinite(X).all():
        bad = int((~np.isfinite(X)).sum())
        raise DataError(f"{where}: {bad} pixel values are NaN or infinite")
    X = X.astype(np.float32, copy=False)
    if X.size and (X.min() < 0.0 or X.max() > 1.0):
        raise DataError(
            f"{where}: float pixel values span [{X.min():g}, {X.max():g}]; "
            "scale them to [0, 1] or store uint8"
        )
    return X


def check_images(X: np.ndarray, where: str) -> None:
    """Images are (n, H, W) or (n, H, W, C) with C in 1, 3 or 4."""
    if X.ndim not in (3, 4) or (X.ndim == 4 and X.shape[-1] not in (1, 3, 4)):
        raise DataError(f"{where}: expected (n, H, W) or (n, H, W, C) images, got shape {X.shape}")
    if len(X) == 0:
        raise DataError(f"{where}: holds no images")


def labels_to_int(
    y: np.ndarray, class_names: list[str] | None, where: str
) -> tuple[np.ndarray, list[str]]:
    """Integer labels 0..k-1 and their names; string labels are sorted into class indices."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise DataError(f"{where}: labels must be one-dimensional, got shape {y.shape}")
    if y.dtype.kind in "USO":
        names, y_int = np.unique(y.astype(str), return_inverse=True)
        return y_int.astype(np.int64), [str(n) for n in names]
    if y.dtype.kind == "f":
        if not np.isfinite(y).all() or not np.all(y == np.round(y)):
            raise DataError(f"{where}: labels must be whole numbers")
    elif y.dtype.kind not in "iub":
        raise DataError(f"{where}: labels must be integers or strings, got dtype {y.dtype}")
    y = y.astype(np.int64)
    if y.size and y.min() < 0:
        raise DataError(f"{where}: labels must be >= 0, found {y.min()}")
    if class_names is not None:
        if y.size and y.max() >= len(class_names):
            raise DataError(
                f"{where}: label {y.max()} is out of range for {len(class_names)} class names"
            )
        return y, list(class_names)
    n = int(y.max()) + 1 if y.size else 0
    return y, [str(i) for i in range(n)]


def png_bytes(image: np.ndarray, max_side: int | None = None, optimize: bool = False) -> bytes:
    """A float image in [0, 1], (H, W) or (H, W, C), as 8-bit PNG bytes, shrunk to `max_side`."""
    from PIL import Image

    img = np.asarray(image, dtype=np.float32)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    pil = Image.fromarray((np.clip(img, 0.0, 1.0) * 255).round().astype(np.uint8))
    if max_side is not None and max(pil.size) > max_side:
        scale = max_side / max(pil.size)
        pil = pil.resize((max(1, round(pil.width * scale)), max(1, round(pil.height * scale))))
    buf = io.BytesIO()
    pil.save(buf, format="PNG", optimize=optimize)
    return buf.getvalue()
