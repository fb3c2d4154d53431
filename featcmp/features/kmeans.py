"""Unsupervised k-means features (Coates, Lee and Ng 2011): a dictionary of whitened patches.

Fit (training images only): random patches, each normalised for brightness and contrast, ZCA
whitening estimated on them, and a k-means dictionary of the whitened patches. Transform: every
patch at `stride`, normalised and whitened the same way, encoded by the triangle activation
f_k = max(0, mean(z) - z_k) (z_k: the patch's distance to centroid k), then summed over `grid` x
`grid` regions of the image (Coates et al.'s four quadrants by default): grid^2 x n_centroids
features, for a linear SVM. The sums are then raised to `power` (0.5: the square root, as
Fisher-vector and bag-of-words practice does to damp the features that fire everywhere; the
codes are non-negative, so this is the signed root). With `mirror`, the dictionary also holds
each centroid's left-right mirror, and each feature is its region's sum plus the mirrored
region's sum of the mirrored centroid's codes: the features of the image plus those of its
mirror image, so an image and its mirror get the same features, at the width of the plain
dictionary. For a linear SVM that is exactly training on every image and its mirror (the
optimum's weights are then mirror-symmetric). No label is used: the family is "learned without
labels".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.utils.validation import check_is_fitted

from featcmp.config.params import AT_LEAST_ONE, POSITIVE, Declared, Param, Range, Rule, declare
from featcmp.costs import ExtractionCost
from featcmp.devices import DEVICE, resolve_device
from featcmp.errors import DataError
from featcmp.features.base import ImageTransformer, SizeBound, channels

if TYPE_CHECKING:
    import torch

# Passes of MiniBatchKMeans over the sampled patches, for the cost model (a rough count).
K_MEANS_PASSES = 20
# What a patch costs besides its products, in multiply-adds (the cost model): normalising it,
# the copies, its share of the per-image calls. From full Fashion-MNIST at 400 centroids (6x6
# gray patches, 0.9 ms an image: three times its products); on CIFAR-10 it adds a tenth.
PATCH_OVERHEAD = 40_000
# Coates et al. add 10 to each patch's variance, on pixels of 0..255: the same on [0, 1].
CONTRAST_EPS = 10 / 255**2


def patch_grid(X: np.ndarray, patch_size: int, stride: int) -> np.ndarray:
    """Every patch of (n, H, W[, C]) images at `stride`, flattened: (n, ny, nx, p * p * C)."""
    if X.ndim == 3:
        X = X[..., None]
    windows = sliding_window_view(X, (patch_size, patch_size), axis=(1, 2))
    windows = windows[:, ::stride, ::stride]  # (n, ny, nx, C, p, p)
    n, ny, nx = windows.shape[:3]
    return windows.reshape(n, ny, nx, -1)


def sample_patches(X: np.ndarray, patch_size: int, n_patches: int, seed: int) -> np.ndarray:
    """`n_patches` patches at seeded random places of random images of X: (n_patches, d)."""
    rng = np.random.default_rng(seed)
    n, h, w = X.shape[:3]
    image = rng.integers(0, n, n_patches)
    top = rng.integers(0, h - patch_size + 1, n_patches)
    left = rng.integers(0, w - patch_size + 1, n_patches)
    offsets = np.arange(patch_size)
    rows = (top[:, None] + offsets)[:, :, None]  # (m, p, 1)
    cols = (left[:, None] + offsets)[:, None, :]  # (m, 1, p)
    patches = X[image[:, None, None], rows, cols]
    if patches.ndim == 4:  # (n_patches, p, p, C) -> channel-major, as patch_grid flattens
        patches = patches.transpose(0, 3, 1, 2)
    return patches.reshape(n_patches, -1)


def normalise_patches(patches: np.ndarray) -> np.ndarray:
    """Each patch (the last axis) less its mean, over its standard deviation (regularised)."""
    mean = patches.mean(axis=-1, keepdims=True)
    var = patches.var(axis=-1, keepdims=True)
    return (patches - mean) / np.sqrt(var + np.float32(CONTRAST_EPS))


def zca(patches: np.ndarray, epsilon: float) -> tuple[np.ndarray, np.ndarray]:
    """The mean and ZCA matrix of (m, d) patches: (x - mean) @ W is whitened."""
    mean = patches.mean(axis=0)
    cov = np.cov(patches - mean, rowvar=False)
    values, vectors = np.linalg.eigh(cov)
    W = (vectors * (1.0 / np.sqrt(np.maximum(values, 0.0) + epsilon))) @ vectors.T
    return mean.astype(np.float32), W.astype(np.float32)


def mirror_patches(patches: np.ndarray, patch_size: int) -> np.ndarray:
    """Flattened channel-major patches (as `patch_grid` gives them) mirrored left-right."""
    square = patches.reshape(len(patches), -1, patch_size, patch_size)
    return np.ascontiguousarray(square[..., ::-1]).reshape(len(patches), -1)


def triangle_code(patches: torch.Tensor, centroids: torch.Tensor) -> torch.Tensor:
    """f_k = max(0, mean_j z_j - z_k), z_k the distance to centroid k: (m, k) from (m, d).

    One (m, k) tensor updated in place, and `KMeansFeatures` calls it one image at a time:
    the encoding is bound by passes over the codes, and one image's stay in cache (with
    the pooling, 1.5x the rate of NumPy over 16 images at 3,200 centroids on 2 cores).
    """
    import torch

    z = torch.addmm((centroids * centroids).sum(1), patches, centroids.T, alpha=-2)
    z += (patches * patches).sum(1, keepdim=True)
    z.clamp_(min=0).sqrt_()
    return torch.sub(z.mean(1, keepdim=True), z, out=z).clamp_(min=0)


def grid_slices(n: int, grid: int) -> list[slice]:
    """A side of n positions cut in `grid` parts, part i [i * n // grid, (i + 1) * n // grid)."""
    return [slice(i * n // grid, (i + 1) * n // grid) for i in range(grid)]


def region_sums(codes: torch.Tensor, grid: int = 2, mirrored: bool = False) -> torch.Tensor:
    """(n, ny, nx, k) codes summed over a grid x grid partition of the image: (n, grid^2, k).

    Grid 2 gives Coates et al.'s quadrants, row-major (top left, top right, bottom left,
    bottom right). `mirrored`: the sums of the left-right mirror of the codes, each region's
    columns read from the mirrored place (no copy is made).
    """
    import torch

    ny, nx = codes.shape[1:3]
    rows, cols = grid_slices(ny, grid), grid_slices(nx, grid)
    if mirrored:
        cols = [slice(nx - c.stop, nx - c.start) for c in cols]
    return torch.stack([codes[:, r, c].sum((1, 2)) for r in rows for c in cols], 1)


class KMeansFeatures(Declared, SizeBound, ImageTransformer):
    """Triangle-coded k-means features of whitened patches, summed over image regions.

    Attributes
    ----------
    centroids_ : ndarray of shape (n_centroids, patch_size * patch_size * channels)
        The dictionary, in whitened patch space; learned in `fit`, from training images only.
    mean_, whitening_ : ndarray
        The patches' mean and ZCA matrix, from the same training patches.
    """

    PARAMS = declare(
        patch_size=Param(int, 6, "side in pixels of a patch", range=Range(2, None)),
        n_centroids=Param(
            int, 400, "k-means clusters (with mirror, the dictionary also holds their mirrors)",
            range=Range(2, None),
        ),
        n_patches=Param(
            int, 50_000, "random training patches whitening and k-means are fitted on",
            range=AT_LEAST_ONE,
        ),
        stride=Param(int, 1, "pixels between encoded patches", range=AT_LEAST_ONE),
        whitening_epsilon=Param(
            float, 0.1, "added to the patch covariance's eigenvalues before ZCA", range=POSITIVE
        ),
        # 3 x 3 regions with power 0.5: 0.689 on the CIFAR-10 tuning split against 0.681 for the
        # quadrants (at C 0.0002 and 0.001, each the better there), 0.737 against 0.726 (plain
        # quadrants) on the full data; the encoding costs the same, the linear SVM 2.25x.
        grid=Param(
            int, 2, "the codes are summed over grid x grid regions (2: the quadrants)",
            range=AT_LEAST_ONE,
        ),
        # 1 by default, Coates et al.'s sums, so every recorded k-means figure stays what its
        # config gives; 0.5 (the square root) scored +2.0 points on the 10k / 2k CIFAR-10 tuning
        # split (BENCHMARKS.md, "CIFAR-10 ladder") and configs/cifar10-ladder.yaml sets it.
        power=Param(
            float, 1.0, "exponent the region sums are raised to (1: the plain sums)",
            range=Range(0, 1, low_open=True),
        ),
        # Off by default, so every recorded k-means figure stays what its config gives; on the
        # CIFAR-10 tuning split it scored +3.1 points at the same encoding cost (BENCHMARKS.md,
        # "CIFAR-10 ladder"). For photos, not for digits, whose mirror can be another class.
        mirror=Param(
            bool, False,
            "centroids also encoded mirrored, features summed with the mirror image's: "
            "flip-invariant",
        ),
        seed=Param(int, 0, "seed of the patch sample and of k-means", range=Range(0, 2**32 - 1)),
        device=DEVICE,
    )  # fmt: skip
    RULES = (
        Rule(
            ("n_patches", "n_centroids"),
            lambda n_patches, n_centroids: n_patches >= n_centroids,
            "n_patches ({n_patches}) must be at least n_centroids ({n_centroids})",
        ),
    )
    learns_from_data = True  # the whitening and the dictionary come from the training patches
    label = "k-means features"
    # Small chunks: the codes of 16 32x32 images at 1,600 centroids are 75 MB, and encoding is
    # bound by passes over them (16 ran 1.25x the speed of 64 at 1,600 centroids on 2 cores).
    chunk_size = 16
    # Images encoded together on the CPU: one image's codes stay in cache (1.5x the rate of
    # the whole chunk at 3,200 centroids on 2 cores, `benchmarks/bench_kmeans.py`).
    cpu_images_per_step = 1
    # Seconds per multiply-add (`work_units`), from the full CIFAR-10 ladder row on 2 quiet
    # cores (1,600 mirrored centroids: 2.9e8 per image; the 10,000 test images encoded in 74 s,
    # the fit 522 s with about 65 s of solver; BENCHMARKS.md, "CIFAR-10 ladder").
    cost = ExtractionCost(2.7e-11, 1.0e-9)

    def positions(self, image_shape: tuple[int, ...]) -> tuple[int, int]:
        """Patch positions (rows, columns) on the working images of `image_shape`."""
        f = self.downsample_for(image_shape)
        side = (image_shape[0] // f, image_shape[1] // f)
        return tuple((s - self.patch_size) // self.stride + 1 for s in side)  # type: ignore[return-value]

    def patch_width(self, image_shape: tuple[int, ...]) -> int:
        """Values in one flattened patch of images of `image_shape`."""
        return self.patch_size**2 * channels(image_shape)

    def work_units(self, image_shape: tuple[int, ...]) -> tuple[float, float]:
        """Multiply-adds: whitening and distances of every patch to every centroid per image;
        the dictionary's fit as K_MEANS_PASSES passes over the sampled patches. With `mirror`
        the dictionary encoded and the patches fitted on are both twice as many."""
        twice, d = 2 if self.mirror else 1, self.patch_width(image_shape)
        rows, cols = self.positions(image_shape)
        encode = max(1, rows) * max(1, cols) * (d * (d + twice * self.n_centroids) + PATCH_OVERHEAD)
        return encode, K_MEANS_PASSES * twice * self.n_patches * d * self.n_centroids

    def width_before_fit(self, image_shape: tuple[int, ...]) -> int:
        return self.grid**2 * self.n_centroids  # codes summed over grid x grid regions

    def check_geometry(self, shape: tuple[int, ...]) -> None:
        f = self.downsample_for(shape)
        side = min(shape[0] // f, shape[1] // f)
        if self.patch_size > side:
            raise DataError(
                f"kmeans.patch_size={self.patch_size} is larger than the {side}x{side} working "
                "images; use a smaller patch"
            )
        positions = min(self.positions(shape))
        if self.grid > positions:
            raise DataError(
                f"kmeans.grid={self.grid} is more regions per side than the {positions} patch "
                "positions; use a smaller grid"
            )

    def fit(self, X, y=None):
        from sklearn.cluster import MiniBatchKMeans

        X = self._prepare(X)
        self.image_shape_ = X.shape[1:]
        patches = sample_patches(self._bounded(X), self.patch_size, self.n_patches, self.seed)
        patches = normalise_patches(patches)
        if self.mirror:  # a mirror-symmetric covariance: the ZCA commutes with the mirror
            patches = np.concatenate([patches, mirror_patches(patches, self.patch_size)])
        self.mean_, self.whitening_ = zca(patches, self.whitening_epsilon)
        white = (patches - self.mean_) @ self.whitening_
        kmeans = MiniBatchKMeans(
            n_clusters=self.n_centroids, random_state=self.seed, n_init=1, batch_size=4096
        ).fit(white)
        centroids = kmeans.cluster_centers_.astype(np.float32)
        if self.mirror:  # in whitened space too, as the whitening commutes with the mirror
            centroids = np.concatenate([centroids, mirror_patches(centroids, self.patch_size)])
        self.centroids_ = centroids
        return self

    def transform(self, X) -> np.ndarray:
        check_is_fitted(self, "centroids_")
        return super().transform(X)

    def _begin(self, X: np.ndarray) -> None:
        import torch

        self.device_ = resolve_device(self.device, "kmeans.device")
        self._encoder = tuple(
            torch.from_numpy(a).to(self.device_)
            for a in (self.mean_, self.whitening_, self.centroids_)
        )

    def _transform_batch(self, X: np.ndarray) -> np.ndarray:
        import torch

        windows = patch_grid(self._bounded(X), self.patch_size, self.stride)
        n, ny, nx, d = windows.shape
        mean, whitening, centroids = self._encoder
        patches = torch.from_numpy(normalise_patches(windows.reshape(-1, d))).to(self.device_)
        white = ((patches - mean) @ whitening).view(n, ny, nx, d)
        step = self.cpu_images_per_step if self.device_.type == "cpu" else n  # a GPU: the chunk
        sums = torch.cat([self._pooled(white[i : i + step], centroids) for i in range(0, n, step)])
        return sums.reshape(n, -1).cpu().numpy()

    def _pooled(self, white: torch.Tensor, centroids: torch.Tensor) -> torch.Tensor:
        """Region sums of the codes of (n, ny, nx, d) whitened patches, raised to `power`
        and with `mirror` summed with the mirror image's: (n, grid^2, n_centroids)."""
        codes = triangle_code(white.reshape(-1, white.shape[3]), centroids)
        codes = codes.view(*white.shape[:3], -1)
        k = self.n_centroids
        sums = region_sums(codes[..., :k], self.grid).pow_(self.power)
        if self.mirror:  # the mirror image's codes are the mirrored centroids' codes, mirrored
            sums += region_sums(codes[..., k:], self.grid, mirrored=True).pow_(self.power)
        return sums

    def __getstate__(self) -> dict:
        # The encoder's tensors are a cache on a device: rebuilt by the next transform.
        state = dict(super().__getstate__())
        state.pop("_encoder", None)
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        return tags
