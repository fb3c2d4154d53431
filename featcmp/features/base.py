"""What every image transformer shares: stateless fit, input checks, chunked transform."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from featcmp import progress
from featcmp.config.params import NON_NEGATIVE, Param, check_own, declare
from featcmp.costs import UNCALIBRATED, ExtractionCost
from featcmp.errors import DataError


def downsample_factor(shape: tuple[int, ...], max_size: int) -> int:
    """Smallest whole factor f that brings both sides of (H, W[, C]) to at most `max_size`
    (0: no limit, f = 1)."""
    side = max(int(shape[0]), int(shape[1]))
    return 1 if not max_size or side <= max_size else -(-side // max_size)


def channels(image_shape: tuple[int, ...]) -> int:
    """Channels of (H, W[, C]) images: 1 for gray ones without a channel axis."""
    return int(image_shape[2]) if len(image_shape) == 3 else 1


def average_down(X: np.ndarray, f: int) -> np.ndarray:
    """(n, H, W[, C]) images averaged over f x f blocks (an area resize; edges cropped)."""
    if f <= 1:
        return X
    h, w = (X.shape[1] // f) * f, (X.shape[2] // f) * f
    X = X[:, :h, :w]
    return X.reshape(len(X), h // f, f, w // f, f, *X.shape[3:]).mean(axis=(2, 4))


class SizeBound:
    """Mixin of extractors whose input is averaged down past `max_size` pixels a side, so the
    feature width stays bounded on large photos (as the networks' input does)."""

    PARAMS = declare(
        max_size=Param(
            int, 0, "longer sides are averaged down by a whole factor first (0: never)",
            range=NON_NEGATIVE,
        ),
    )  # fmt: skip
    max_size: int

    def downsample_for(self, shape: tuple[int, ...]) -> int:
        return downsample_factor(shape, self.max_size)

    # A property, not a fit override: the feature cache treats an overridden fit as learning.
    @property
    def downsample_(self) -> int:
        """The factor in use: from the fitted image size."""
        shape = getattr(self, "image_shape_", None)
        if shape is None:
            raise AttributeError("downsample_: chosen by fit")
        return self.downsample_for(shape)

    def choices(self, image_shape: tuple[int, ...]) -> dict[str, Any]:
        try:
            return {"downsample": int(self.downsample_)}
        except AttributeError:  # not fitted: what fit would pick for these images
            return {"downsample": int(self.downsample_for(image_shape))}

    def _bounded(self, X: np.ndarray) -> np.ndarray:
        try:
            f = self.downsample_
        except AttributeError:
            f = self.downsample_for(X.shape[1:])
        return average_down(X, f)


class ImageTransformer(TransformerMixin, BaseEstimator):
    """Base for fixed (not learned) feature extractors over (n, H, W[, C]) float images.

    Subclasses implement `_transform_batch(X) -> (n, d)`; `fit` learns nothing, which is the
    lecture's point: the only learning on this side happens in the classifier. An extractor
    whose fit does learn (a k-means vocabulary) says so with `learns_from_data = True`: the
    feature cache then keys its features by the data it was fitted on.

    The step contract the run layer uses: `check_geometry(image_shape)` refuses images the
    extractor cannot take, `choices(image_shape)` says what the image size decided; the cost
    model prices `work_units(image_shape)` at `cost` (featcmp.costs), and reads
    `width_before_fit` where the width cannot be probed on one image.
    """

    learns_from_data: ClassVar[bool] = False
    chunk_size = 2048
    label = "features"
    cost: ClassVar[ExtractionCost] = UNCALIBRATED

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # A fit of its own may learn from the data, and a cached feature keyed without that data
        # would be wrong: such a class must say which it is.
        super().__init_subclass__(**kwargs)
        if "fit" in vars(cls) and "learns_from_data" not in vars(cls):
            raise TypeError(
                f"{cls.__qualname__} overrides fit: declare learns_from_data = True or False"
            )

    def fit(self, X, y=None):
        X = self._prepare(X)
        self.image_shape_ = X.shape[1:]
        return self

    def transform(self, X) -> np.ndarray:
        X = self._prepare(X)
        self._begin(X)
        # Each chunk is written into the one output array as it comes: concatenating the chunks
        # at the end held the features twice (3.1 GB more at CIFAR-10 scattering's 50,000).
        out = None
        for rows in progress.chunks(len(X), self.chunk_size, self.label):
            part = self._transform_batch(X[rows])
            if out is None:
                out = np.empty((len(X), *part.shape[1:]), dtype=np.float32)
            out[rows] = part
        return out if out is not None else np.empty((0, 0), dtype=np.float32)

    def check_geometry(self, image_shape: tuple[int, ...]) -> None:
        """Raise DataError when images of `image_shape` (H, W[, C]) do not suit this extractor."""

    def choices(self, image_shape: tuple[int, ...]) -> dict[str, Any]:
        """What the image size decided where the config said nothing ({} when nothing): the
        fitted values once fitted, else what fit would pick for images of `image_shape`."""
        return {}

    def work_units(self, image_shape: tuple[int, ...]) -> tuple[float, float]:
        """(units per image, units of fitting) of the work `cost.unit_s` prices: one unit
        per pixel, nothing to fit, unless an extractor counts its own."""
        return math.prod(image_shape), 0.0

    def width_before_fit(self, image_shape: tuple[int, ...]) -> int | None:
        """The feature width for these images where fitting decides it (a vocabulary), for
        the cost model; None: probed on one image."""
        return None

    def _prepare(self, X) -> np.ndarray:
        """Checked float32 images, after the parameter and geometry checks (an extractor
        built in Python is checked by the validator a config's values go through)."""
        X = self._check(X)
        check_own(self)
        self.check_geometry(X.shape[1:])
        return X

    def _begin(self, X: np.ndarray) -> None:
        """Per-call setup once the checks passed, before the first chunk (none by default)."""

    def _transform_batch(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def _check(X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        if X.ndim not in (3, 4):
            raise DataError(f"expected images of shape (n, H, W) or (n, H, W, C), got {X.shape}")
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags
