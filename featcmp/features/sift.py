"""Dense SIFT descriptors on a grid and a bag of visual words over them (optionally pyramid-pooled).

scikit-image's `feature.SIFT` keypoint detector finds almost nothing on our images (8x8 to
32x32 pixels: none on most 8x8 digits, about 8 to 10 on a 25x25 face, a 28x28 MNIST digit or a
32x32 scene), so we use the standard remedy for small images: SIFT descriptors computed densely
at every grid point, at one scale, with no rotation normalisation. Each descriptor is SIFT's
4x4 spatial cells x 8 orientation bins around the point, Gaussian weighted, with trilinear
(spatial and orientation) voting, L2-normalised, clipped at 0.2 and renormalised.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.utils.validation import check_is_fitted

from featcmp import progress
from featcmp.config.params import (
    AT_LEAST_ONE,
    NON_NEGATIVE,
    Declared,
    Param,
    Range,
    Rule,
    declare,
)
from featcmp.errors import DataError
from featcmp.features.base import ImageTransformer
from featcmp.features.edges import correlate_batch
from featcmp.features.kernels import KERNELS

N_CELLS = 4  # SIFT's 4x4 spatial cells per descriptor
N_ORIENTATIONS = 8  # and 8 orientation bins per cell
DESCRIPTOR_DIM = N_CELLS * N_CELLS * N_ORIENTATIONS
CLIP = 0.2  # Lowe's clipping of large entries, so one strong edge does not dominate
LUMA = np.array([0.2125, 0.7154, 0.0721], dtype=np.float32)  # as skimage.color.rgb2gray


def to_gray(X: np.ndarray) -> np.ndarray:
    """(n, H, W[, C]) images -> (n, H, W) luminance (alpha ignored, one channel squeezed)."""
    if X.ndim == 3:
        return X
    if X.shape[-1] == 1:
        return X[..., 0]
    return X[..., :3] @ LUMA


def grid_points(size: int, patch_size: int, step: int) -> np.ndarray:
    """Top-left offsets of the patches along one axis, the grid centred in the image."""
    n = (size - patch_size) // step + 1
    margin = (size - patch_size - (n - 1) * step) // 2
    return margin + step * np.arange(n)


def orientation_planes(gray: np.ndarray) -> np.ndarray:
    """Gradient magnitude split over 8 orientation bins by linear interpolation: (n, 8, H, W).

    The gradient is the Sobel pair of `featcmp.features.kernels` (divided by 8: intensity change
    per pixel), so SIFT sees the same derivative as the edge features.
    """
    gx = correlate_batch(gray, KERNELS["sobel_x"]) / 8
    gy = correlate_batch(gray, KERNELS["sobel_y"]) / 8
    magnitude = np.sqrt(gx * gx + gy * gy)
    position = (np.arctan2(gy, gx) % (2 * np.pi)) * np.float32(N_ORIENTATIONS / (2 * np.pi))
    lower = np.floor(position)
    frac = (position - lower)[:, None]
    lower = lower.astype(np.intp)[:, None] % N_ORIENTATIONS
    magnitude = magnitude[:, None]
    planes = np.zeros((len(gray), N_ORIENTATIONS, *gray.shape[1:]), dtype=np.float32)
    # The two bins differ (8 > 1), so the second put never overwrites the first.
    np.put_along_axis(planes, lower, magnitude * (1 - frac), axis=1)
    np.put_along_axis(planes, (lower + 1) % N_ORIENTATIONS, magnitude * frac, axis=1)
    return planes


def cell_weights(patch_size: int) -> np.ndarray:
    """How much each pixel row (or column) of a patch votes into each of the 4 cell rows: (P, 4).

    A Gaussian window (sigma = half the patch, as in SIFT) times bilinear weights to the two
    nearest cell centres. Both factors separate over rows and columns, so a pixel (p, q) votes
    `w[p, i] * w[q, j]` into cell (i, j); the weights are scaled so those votes sum to 1.
    """
    cell = patch_size / N_CELLS
    u = np.arange(patch_size) + 0.5 - patch_size / 2  # pixel centres, patch centre at 0
    centres = (np.arange(N_CELLS) + 0.5) * cell - patch_size / 2
    bilinear = np.maximum(0.0, 1 - np.abs(u[:, None] - centres[None, :]) / cell)
    gauss = np.exp(-(u**2) / (2 * (patch_size / 2) ** 2))
    w = gauss[:, None] * bilinear
    return (w / w.sum()).astype(np.float32)


def pooling_matrix(size: int, patch_size: int, step: int) -> np.ndarray:
    """Row (or column) pooling of one image axis into the 4 cells of every grid point.

    Returns (n_points * 4, size): row `4 * k + i` holds the weights of cell row `i` of the patch
    at grid point `k`, so one matrix product pools a whole batch along that axis.
    """
    starts = grid_points(size, patch_size, step)
    m = np.zeros((len(starts), N_CELLS, size), dtype=np.float32)
    weights = cell_weights(patch_size).T
    for k, start in enumerate(starts):
        m[k, :, start : start + patch_size] = weights
    return m.reshape(-1, size)


def dense_sift(
    X: np.ndarray, patch_size: int = 8, step: int = 4, contrast_threshold: float = 0.005
) -> np.ndarray:
    """SIFT descriptors at every grid point of every image: (n, n_points, 128).

    Parameters
    ----------
    X : ndarray
        (n, H, W) or (n, H, W, C) images in [0, 1]; colour becomes luminance.
    patch_size : int
        Side of the square patch a descriptor covers (its 4x4 cells are `patch_size / 4` wide).
    step : int
        Pixels between neighbouring grid points.
    contrast_threshold : float
        Patches whose weighted mean gradient magnitude (intensity per pixel) is below this get
        an all-zero descriptor instead of normalised noise.

    Returns
    -------
    ndarray of float32
        Grid points row-major; each descriptor cell-major (4x4 cells, 8 orientations each) as in
        SIFT, of unit length (or all zero for a flat patch), no entry above 0.2 before the
        final renormalisation.
    """
    gray = to_gray(np.asarray(X, dtype=np.float32))
    n, h, w = gray.shape
    planes = orientation_planes(gray)  # (n, 8, H, W)
    rows = pooling_matrix(h, patch_size, step)  # (ny * 4, H)
    cols = pooling_matrix(w, patch_size, step)  # (nx * 4, W)
    # Separable pooling, two matrix products: rows into cell rows, columns into cell columns.
    pooled = rows @ planes @ cols.T  # (n, 8, ny * 4, nx * 4)
    ny, nx = len(rows) // N_CELLS, len(cols) // N_CELLS
    desc = pooled.reshape(n, N_ORIENTATIONS, ny, N_CELLS, nx, N_CELLS)
    desc = desc.transpose(0, 2, 4, 3, 5, 1).reshape(n, ny * nx, DESCRIPTOR_DIM)
    contrast = desc.sum(axis=-1, keepdims=True)
    desc = _normalise(desc)
    desc[np.broadcast_to(contrast < contrast_threshold, desc.shape)] = 0.0
    return desc.astype(np.float32, copy=False)


def _normalise(desc: np.ndarray) -> np.ndarray:
    """Lowe's normalisation: unit length, clip at 0.2, unit length again."""
    desc = np.minimum(_unit_length(desc), CLIP)
    return _unit_length(desc)


def _unit_length(desc: np.ndarray) -> np.ndarray:
    norm = np.sqrt(np.einsum("...d,...d->...", desc, desc))[..., None]
    return desc / np.maximum(norm, np.float32(1e-12))


def pyramid_regions(
    image_shape: tuple[int, int], patch_size: int, step: int, levels: Sequence[int]
) -> np.ndarray:
    """Region index of each grid point at each pyramid level: (n_points, len(levels)).

    Level `L` splits the image into L x L regions; a point belongs to the region holding its
    patch centre. Indices are offset so all levels' regions are numbered 0..sum(L*L)-1.
    """
    h, w = image_shape
    cy = grid_points(h, patch_size, step) + patch_size / 2
    cx = grid_points(w, patch_size, step) + patch_size / 2
    cy, cx = np.meshgrid(cy, cx, indexing="ij")
    out, offset = [], 0
    for level in levels:
        ry = np.minimum((cy * level / h).astype(int), level - 1)
        rx = np.minimum((cx * level / w).astype(int), level - 1)
        out.append((offset + ry * level + rx).ravel())
        offset += level * level
    return np.stack(out, axis=1)


class SIFTBagOfWords(Declared, ImageTransformer):
    """Bag of visual words over dense SIFT: the vocabulary is k-means on training descriptors.

    Attributes
    ----------
    vocabulary_ : ndarray of shape (vocabulary_size, 128)
        The visual words, learned in `fit` only.
    """

    PARAMS = declare(
        vocabulary_size=Param(int, 200, "visual words (k-means clusters)", range=Range(2, None)),
        patch_size=Param(
            int, 12, "side in pixels of the patch a descriptor covers (at most the image)",
            range=Range(N_CELLS, None),
        ),
        step=Param(int, 2, "grid step in pixels between descriptors", range=AT_LEAST_ONE),
        levels=Param(
            tuple[int, ...], (1, 2),
            "spatial pyramid: level L pools word counts over L x L regions ([1]: a plain bag)",
            range=AT_LEAST_ONE, min_items=1,
        ),
        contrast_threshold=Param(
            float, 0.005, "patches of a lower mean gradient get a zero descriptor",
            range=NON_NEGATIVE,
        ),
        max_descriptors=Param(
            int, 50_000, "training descriptors (a seeded sample) the vocabulary is fitted on",
            range=AT_LEAST_ONE,
        ),
        seed=Param(
            int, 0, "seed of the descriptor sample and of k-means", range=Range(0, 2**32 - 1)
        ),
    )  # fmt: skip
    RULES = (
        Rule(
            ("max_descriptors", "vocabulary_size"),
            lambda max_descriptors, vocabulary_size: max_descriptors >= vocabulary_size,
            "max_descriptors ({max_descriptors}) must be at least vocabulary_size "
            "({vocabulary_size})",
        ),
    )
    learns_from_data = True  # the vocabulary is k-means on the training descriptors
    label = "dense SIFT"
    chunk_size = 512  # a chunk's patches take ~100 KB per 32x32 image at the defaults

    def width_before_fit(self, image_shape: tuple[int, ...]) -> int:
        """A pyramid of L x L word histograms per level."""
        return self.vocabulary_size * sum(level * level for level in self.levels)

    def check_geometry(self, shape: tuple[int, ...]) -> None:
        if self.patch_size > min(shape[:2]):
            raise DataError(
                f"sift.patch_size={self.patch_size} is larger than the {shape[0]}x{shape[1]} "
                "images; use a smaller patch"
            )

    def descriptors(self, X: np.ndarray) -> np.ndarray:
        """Dense SIFT of each image, (n, n_points, 128), computed chunk by chunk."""
        X = self._check(X)
        kw = dict(patch_size=self.patch_size, step=self.step)
        parts = [
            dense_sift(X[s], contrast_threshold=self.contrast_threshold, **kw)
            for s in progress.chunks(len(X), self.chunk_size, self.label)
        ]
        return np.concatenate(parts)

    def fit(self, X, y=None):
        from sklearn.cluster import MiniBatchKMeans

        X = self._prepare(X)
        desc = self.descriptors(X).reshape(-1, DESCRIPTOR_DIM)
        if len(desc) < self.vocabulary_size:
            raise DataError(
                f"{len(desc)} training descriptors cannot make {self.vocabulary_size} visual "
                "words; lower sift.vocabulary_size or sift.step"
            )
        rng = np.random.default_rng(self.seed)
        if len(desc) > self.max_descriptors:
            desc = desc[rng.choice(len(desc), self.max_descriptors, replace=False)]
        kmeans = MiniBatchKMeans(
            n_clusters=self.vocabulary_size, random_state=self.seed, n_init=1, batch_size=2048
        ).fit(desc)
        self.kmeans_ = kmeans
        self.vocabulary_ = kmeans.cluster_centers_.astype(np.float32)
        self.image_shape_ = X.shape[1:]
        self.regions_ = pyramid_regions(X.shape[1:3], self.patch_size, self.step, self.levels)
        return self

    def transform(self, X) -> np.ndarray:
        check_is_fitted(self, "vocabulary_")
        X = self._check(X)
        if X.shape[1:] != tuple(self.image_shape_):
            raise DataError(
                f"images are {X.shape[1:]} but the vocabulary was fitted on {self.image_shape_}"
            )
        return super().transform(X)

    def _transform_batch(self, X: np.ndarray) -> np.ndarray:
        desc = dense_sift(X, self.patch_size, self.step, self.contrast_threshold)
        n, m = desc.shape[:2]
        words = self.kmeans_.predict(desc.reshape(-1, DESCRIPTOR_DIM)).reshape(n, m)
        return bag_of_words(words, self.regions_, self.vocabulary_size)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        return tags


def bag_of_words(words: np.ndarray, regions: np.ndarray, vocabulary_size: int) -> np.ndarray:
    """Word counts per pyramid region, as fractions of the image's descriptors.

    Parameters
    ----------
    words : ndarray of int, shape (n, n_points)
        Visual word of each grid point of each image.
    regions : ndarray of int, shape (n_points, n_levels)
        Region of each grid point at each level (`pyramid_regions`).
    vocabulary_size : int

    Returns
    -------
    ndarray of shape (n, n_regions * vocabulary_size)
        Region-major: all words of region 0 (the whole image at level 1), then region 1, ...
    """
    n, m = words.shape
    n_regions = int(regions.max()) + 1
    image = np.repeat(np.arange(n), m * regions.shape[1])
    region = np.tile(regions.ravel(), n)
    word = np.repeat(words.ravel(), regions.shape[1])
    index = (image * n_regions + region) * vocabulary_size + word
    counts = np.bincount(index, minlength=n * n_regions * vocabulary_size)
    return counts.reshape(n, -1).astype(np.float32) / m
