"""A dataset as class-per-folder PNGs (`featcmp datasets export`), and its images in one array
(what the export and the montage of `featcmp datasets show` take)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from featcmp.config import DatasetConfig
from featcmp.data.images import png_bytes
from featcmp.data.loader import Dataset, load_dataset
from featcmp.errors import FeatcmpError
from featcmp.files import atomic_write_bytes


def all_images(ds: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Training then test images of a split, as one array."""
    return np.concatenate([ds.X_train, ds.X_test]), np.concatenate([ds.y_train, ds.y_test])


def export_folder(spec: DatasetConfig, out_dir: Path, seed: int = 0) -> int:
    """Write every image as `out_dir/<class>/<index>.png` (8-bit), readable by the folder source.

    Images already on a 1/255 grid (scenes, MNIST, CIFAR-10) come back exactly; others are
    rounded to the nearest 8-bit level.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise FeatcmpError(f"{out_dir}: is a file; expected a folder to export into")
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FeatcmpError(f"{out_dir}: folder is not empty; export into a new folder")
    ds = load_dataset(spec, seed)
    X, y = all_images(ds)
    width = len(str(len(X)))
    for i, (img, label) in enumerate(zip(X, y, strict=True)):
        atomic_write_bytes(out_dir / ds.class_names[label] / f"{i:0{width}d}.png", png_bytes(img))
    return len(X)
