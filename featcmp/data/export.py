"""Look at a dataset (a labelled montage) and export it as class-per-folder PNGs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from featcmp.config import DatasetConfig
from featcmp.data.images import png_bytes
from featcmp.data.loader import Dataset, load_dataset
from featcmp.errors import FeatcmpError
from featcmp.files import atomic_write_bytes


def all_images(ds: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Training then test images of a split, as one array (what export and montage show)."""
    return np.concatenate([ds.X_train, ds.X_test]), np.concatenate([ds.y_train, ds.y_test])


def montage_png(
    X: np.ndarray, y: np.ndarray, class_names: list[str], per_class: int = 8, title: str = ""
) -> bytes:
    """A PNG with one labelled row per class and up to `per_class` examples in each."""
    from matplotlib.figure import Figure

    from featcmp.report.plots import bare_axes, show_image, to_png

    rows = [np.flatnonzero(y == k)[:per_class] for k in range(len(class_names))]
    cols = max(1, max(len(r) for r in rows))
    fig = Figure(figsize=(1.1 * cols + 1.2, 1.1 * len(rows) + 0.4))
    axes = fig.subplots(len(rows), cols, squeeze=False)
    for k, idx in enumerate(rows):
        for j in range(cols):
            ax = axes[k, j]
            bare_axes(ax)
            ax.set_frame_on(False)
            if j < len(idx):
                show_image(ax, X[idx[j]], vmax=1)
        axes[k, 0].set_ylabel(class_names[k], rotation=0, ha="right", va="center", fontsize=10)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return to_png(fig)


def write_montage(spec: DatasetConfig, out: Path, per_class: int = 8, seed: int = 0) -> Path:
    ds = load_dataset(spec, seed)
    X, y = all_images(ds)
    atomic_write_bytes(out, montage_png(X, y, ds.class_names, per_class, title=ds.name))
    return out


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
