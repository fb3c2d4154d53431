"""The 2-D wavelet scattering transform (Bruna and Mallat 2013): ours, batched, or Kymatio's.

Fixed Morlet wavelets at J scales and L orientations, a modulus, and a Gaussian average over
2**J pixels, cascaded up to `max_order` (1 or 2) layers: translation-invariant up to 2**J
pixels and stable to small deformations, with nothing learned. The coefficients of every channel
are flattened per image (channels x coefficients x positions) for the SVM; log-scattering,
log(|S| + log_epsilon), evens out their very different magnitudes across orders.

Two backends give the same coefficients (within 1e-5 in float32; tests/test_scattering.py):
'featcmp' (the default), our batched torch computation of Kymatio's transform with Kymatio's
filters (`featcmp.features.scattering_torch`, about 3x faster on 2 CPU cores; BENCHMARKS.md),
and 'kymatio', Kymatio's own torch frontend, the field's reference. Both run on the GPU when
one is present.
`from kymatio.torch import Scattering2D` fails with scipy 1.17 or later (its removed
`sph_harm`); the frontend argument of `kymatio.Scattering2D` does not, so that is the entry
point used for Kymatio.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from featcmp.config.params import AT_LEAST_ONE, POSITIVE, Declared, Param, Range, declare
from featcmp.costs import ExtractionCost
from featcmp.devices import DEVICE, resolve_device
from featcmp.errors import DataError
from featcmp.features.base import ImageTransformer, SizeBound, channels
from featcmp.features.scattering_torch import ScatteringTorch, padded_side

# What each backend is, in words (`featcmp explain`, the dry run's estimate).
BACKEND_NAMES = {
    "featcmp": "featcmp's batched scattering (Kymatio's filters and output)",
    "kymatio": "Kymatio's scattering (its torch frontend)",
}
BACKENDS = tuple(BACKEND_NAMES)
# Seconds per unit of `fft_work` (point-operations rather than multiply-adds), per backend, and
# per n^2 * d of the RBF SVC on the coefficients. Kymatio's: 6.3e-10 at J=2, L=8, order 2 on
# 1,000 32x32 RGB scenes (486 images/s on 2 cores), 7.0e-10 at J=3 on 64 px, 3.4e-10 at
# order 1. Ours: 2.1e-10 from `benchmarks/bench_scattering.py` on 2 quiet cores (1,485
# images/s on 32x32 RGB, where Kymatio ran at 539, 5.6e-10; BENCHMARKS.md, "Wavelet
# scattering"). The SVC's from the same scenes (750 training images, 15,552 dims, 3.7 s).
COSTS = {
    "featcmp": ExtractionCost(2.1e-10, 4.2e-10, loads_torch=True),
    "kymatio": ExtractionCost(6.0e-10, 4.2e-10, loads_torch=True),
}


class ScatteringFeatures(Declared, SizeBound, ImageTransformer):
    """Kymatio's 2-D scattering coefficients (by either backend), flattened per image.

    Attributes
    ----------
    image_shape_ : tuple
        The fitted image shape (H, W[, C]); fit learns nothing else.
    """

    PARAMS = declare(
        J=Param(int, 2, "scales: coefficients average over 2**J pixels", range=AT_LEAST_ONE),
        L=Param(int, 8, "wavelet orientations per scale", range=AT_LEAST_ONE),
        max_order=Param(int, 2, "scattering layers (1 or 2)", range=Range(1, 2)),
        log=Param(bool, True, "log-scattering: log(|S| + log_epsilon) of each coefficient"),
        log_epsilon=Param(float, 1e-3, "added before the log", range=POSITIVE),
        batch_size=Param(int, 256, "images per scattering call", range=AT_LEAST_ONE),
        backend=Param(
            str,
            "featcmp",
            "'featcmp': our batched transform; 'kymatio': Kymatio's own (same coefficients)",
            choices=BACKENDS,
        ),
        device=DEVICE,
    )
    learns_from_data = False  # designed wavelets: nothing is fitted to the images
    label = "scattering"

    @property
    def chunk_size(self) -> int:  # type: ignore[override]
        return self.batch_size

    def working_shape(self, image_shape: tuple[int, ...]) -> tuple[int, int]:
        f = self.downsample_for(image_shape)
        return int(image_shape[0]) // f, int(image_shape[1]) // f

    def check_geometry(self, image_shape: tuple[int, ...]) -> None:
        h, w = self.working_shape(image_shape)
        if min(h, w) < 2**self.J:
            raise DataError(
                f"scattering.J={self.J} averages over 2**J = {2**self.J} pixels, more than the "
                f"{h}x{w} working images; use J of at most {max(1, min(h, w).bit_length() - 1)}"
            )

    @property
    def cost(self) -> ExtractionCost:  # type: ignore[override]
        return COSTS[self.backend]

    def work_units(self, image_shape: tuple[int, ...]) -> tuple[float, float]:
        work = fft_work(self.J, self.L, self.max_order, self.working_shape(image_shape))
        return channels(image_shape) * work, 0.0

    @property
    def backend_name(self) -> str:
        """What computes the coefficients, in words (`featcmp explain`, the cost estimate)."""
        return BACKEND_NAMES[self.backend]

    def _begin(self, X: np.ndarray) -> None:
        self.device_ = resolve_device(self.device, "scattering.device")

    def scattering(self, shape: tuple[int, int]) -> Any:
        """The transform of (n, H, W) working images of `shape` on this device, to
        (n, paths, H_out, W_out): the backend's, built once."""
        key = (shape, str(self.device_), self.J, self.L, self.max_order, self.backend)
        cache = self.__dict__.setdefault("_scatterings", {})
        if key not in cache:
            if self.backend == "kymatio":
                from kymatio import Scattering2D

                built = Scattering2D(
                    J=self.J, shape=shape, L=self.L, max_order=self.max_order, frontend="torch"
                ).to(self.device_)
            else:
                built = ScatteringTorch(shape, self.J, self.L, self.max_order, self.device_)
            cache[key] = built
        return cache[key]

    def _transform_batch(self, X: np.ndarray) -> np.ndarray:
        import torch

        X = self._bounded(X)
        x = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
        if x.ndim == 4:  # (n, H, W, C) -> (n, C, H, W): each channel is scattered on its own
            x = x.permute(0, 3, 1, 2)
        # Channel images in a row, so the features are (channels, paths, positions) per image.
        x = x.reshape(-1, *X.shape[1:3]).contiguous()
        with torch.no_grad():
            s = self.scattering(tuple(X.shape[1:3]))(x.to(self.device_))
            if self.log:
                s = torch.log(s.abs() + self.log_epsilon)
        return s.reshape(len(X), -1).float().cpu().numpy()

    def __getstate__(self) -> dict:
        # The built transforms are a cache (filters on a device): rebuilt where unpickled.
        state = dict(super().__getstate__())
        state.pop("_scatterings", None)
        return state


def fft_work(J: int, L: int, max_order: int, shape: tuple[int, int]) -> float:
    """A count of the work of one channel's scattering, in FFT point-operations (n log2 n per
    transform of n points, n per pointwise product or modulus), following Kymatio's cascade:
    one FFT of the padded image; per first-order wavelet a product, an inverse FFT at its
    subsampled size, the modulus and an FFT back, then per second-order wavelet the same at
    its coarser size; every path ends in a low-pass product and an inverse FFT at 2**-J."""

    def fft(n: float) -> float:
        return n * np.log2(max(n, 2.0))

    full = padded_side(shape[0], J) * padded_side(shape[1], J)
    at = [full / 4**j for j in range(J + 1)]  # points at each subsampling
    work = fft(full) + full + fft(at[J])  # the input's FFT, order 0
    for j1 in range(J):
        path = full + 3 * at[j1] + 2 * fft(at[j1]) + fft(at[J])
        for j2 in range(j1 + 1, J) if max_order == 2 else ():
            path += L * (at[j1] + 3 * at[j2] + 2 * fft(at[j2]) + fft(at[J]))
        work += L * path
    return float(work)
