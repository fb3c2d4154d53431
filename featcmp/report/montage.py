"""A dataset at a glance: one labelled row of example images per class, as PNG bytes."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from featcmp.report.plots import bare_axes, show_image, to_png


def montage_png(
    X: np.ndarray, y: np.ndarray, class_names: list[str], per_class: int = 8, title: str = ""
) -> bytes:
    """A PNG with one labelled row per class and up to `per_class` examples in each."""
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
