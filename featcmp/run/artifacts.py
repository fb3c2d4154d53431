"""Small, capped pictures of a fitted pipeline, stored in its record for the reporter's plots.

The reporter may import neither torch nor scikit-learn, so whatever its plots need from a fitted
model is extracted here, on the runner's side: the CNN's first-layer kernels, a HOG picture of a
few test images, and a few misclassified test images. Images travel as base64 PNG thumbnails,
so a record stays a few tens of kilobytes whatever the image size.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np

from featcmp.data.images import png_bytes
from featcmp.data.loader import Dataset
from featcmp.features.kernels import KERNELS

MAX_KERNELS = 32  # first-layer kernels kept per CNN
MAX_MISCLASSIFIED = 8  # misclassified test images kept per run
MAX_HOG_SAMPLES = 4  # test images shown with their HOG picture
THUMB_SIDE = 64  # longest side of a stored image, in pixels
HOG_SIDE = 160  # HOG pictures need more pixels: one line per orientation per cell
REFERENCE_KERNEL = "laplacian8"  # the lecture's hand-coded 8/-1 edge detector


def png_base64(image: np.ndarray, max_side: int = THUMB_SIDE) -> str:
    """A float image in [0, 1], (H, W) or (H, W, C), as a base64 PNG no larger than `max_side`."""
    return base64.b64encode(png_bytes(image, max_side, optimize=True)).decode("ascii")


def first_layer_kernels(estimator: Any) -> dict[str, Any] | None:
    """The first conv layer's weights, (out, in, k, k), of a fitted torch classifier, or None."""
    module = getattr(estimator, "module_", None)
    if module is None:
        return None
    from torch import nn

    conv = next((m for m in module.modules() if isinstance(m, nn.Conv2d)), None)
    if conv is None:
        return None
    weights = conv.weight.detach().cpu().numpy()[:MAX_KERNELS]
    return {
        "shape": list(conv.weight.shape),
        "weights": np.round(weights, 4).tolist(),
        "reference": {"name": REFERENCE_KERNEL, "weights": KERNELS[REFERENCE_KERNEL].tolist()},
    }


def hog_samples(hog_step: Any, data: Dataset) -> list[dict[str, Any]]:
    """A few test images (one per class, as far as they go) beside skimage's HOG picture.

    skimage draws one line per orientation across each cell; cells of 2 pixels show nothing, so
    the picture is drawn on an upscaled copy (cells of at least 8 pixels, same cell grid).
    """
    from skimage.feature import hog
    from skimage.transform import rescale

    cells = tuple(hog_step.pixels_per_cell_)  # the fitted cells ('auto' resolved at fit)
    scale = max(1, math.ceil(8 / min(cells)))

    picks: list[int] = []
    for k in np.unique(data.y_test)[:MAX_HOG_SAMPLES]:
        picks.append(int(np.flatnonzero(data.y_test == k)[0]))
    out = []
    for i in picks:
        img = data.X_test[i]
        big = rescale(img, scale, order=1, channel_axis=-1 if img.ndim == 3 else None)
        _, picture = hog(
            big,
            orientations=hog_step.orientations,
            pixels_per_cell=tuple(scale * c for c in cells),
            cells_per_block=tuple(hog_step.cells_per_block),
            block_norm=hog_step.block_norm,
            transform_sqrt=hog_step.transform_sqrt,
            visualize=True,
            channel_axis=-1 if big.ndim == 3 else None,
        )
        picture = picture / picture.max() if picture.max() > 0 else picture
        out.append(
            {
                "index": i,
                "label": int(data.y_test[i]),
                "image": png_base64(img),
                "hog": png_base64(picture, max_side=HOG_SIDE),
                "scale": scale,
                "pixels_per_cell": list(cells),
            }
        )
    return out


def misclassified(data: Dataset, pred: np.ndarray) -> list[dict[str, Any]]:
    """The first few wrongly predicted test images, in test-set order (the same for every run)."""
    wrong = np.flatnonzero(np.asarray(pred) != data.y_test)[:MAX_MISCLASSIFIED]
    return [
        {
            "index": int(i),
            "true": int(data.y_test[i]),
            "pred": int(pred[i]),
            "image": png_base64(data.X_test[i]),
        }
        for i in wrong
    ]


def collect_artifacts(pipe: Any, data: Dataset, pred: np.ndarray) -> dict[str, Any]:
    """Everything the reporter's pictures need from one fitted pipeline (numbers, small PNGs)."""
    from featcmp.features.hog import HOGFeatures

    artifacts: dict[str, Any] = {"misclassified": misclassified(data, pred)}
    kernels = first_layer_kernels(pipe.steps[-1][1])
    if kernels is not None:
        artifacts["first_layer_kernels"] = kernels
    hog_step = next((s for _, s in pipe.steps if isinstance(s, HOGFeatures)), None)
    if hog_step is not None:
        artifacts["hog_samples"] = hog_samples(hog_step, data)
    return artifacts
