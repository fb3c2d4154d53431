"""Expected fit time and peak memory of a job, before it runs: the preflight's one line each.

A small cost model per kind of pipeline, from the sizes that drive the work:

- hand-crafted: extracting features touches every pixel of every training image
  (`n * H * W * C`, one coefficient per extractor); an exact kernel SVC evaluates kernels over
  pairs of training images (`n^2 * d`; libsvm caches the rows it reuses); a linear SVM is
  linear in `n * d`; the scale path maps every image against m landmarks (`n * m * d`), then
  trains on the m-wide map (`epochs * n * m`).
- networks: one multiply-add per weight use, forward and backward, per image per epoch
  (`epochs * n * MACs`, MACs counted on the network built for these images), plus a fixed cost
  per epoch (batches, augmentation, the optimizer).

Memory: the process itself (Python, NumPy, scikit-learn; torch when a network runs), the
split as float32, the feature matrices (libsvm works on float64), libsvm's kernel cache, and a
network's weights with their gradients and Adam moments plus one batch of activations.

The coefficients are seconds per unit of work on the reference machine class (2 x86-64 cores,
OpenBLAS and torch on both). The hand-crafted ones were set from two quiet-machine runs of the
five default pipelines (load average under 1.5): the 1,200-photo folder of
`benchmarks/make_photo_folder.py` (96 px working size, 900 training images, 30 epochs;
`featcmp run` of a config naming only the folder) and `make run` (scenes, 32 px, 1,500
training images), each estimate within 1.6x of both runs. The scale path and the networks have
their own, later calibrations, stated beside their constants. The first calibration
(`benchmarks/calibrate_cost.py`) ran on a loaded machine and over-estimated networks 5-19x
there. Kernel SVCs on raw pixels or edge maps of 12,288 dims (64 px RGB) took 3-10x the
n^2 * d figure in that calibration, which is one reason raw and edge vectors are averaged down
past 64 px (`featcmp.pipelines.MAX_SIZE`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# --- calibrated constants (see the module docstring) --------------------------------------
# Hand-crafted pipelines, by extractor: (seconds per image pixel extracted, seconds per n^2 * d
# of the exact kernel SVC). The SVC's own coefficient differs by features: how many support
# vectors and solver iterations a problem needs depends on them.
HAND_CRAFTED_S = {
    "RawPixels": (2.0e-10, 9.3e-10),
    "EdgeFeatures": (1.0e-8, 9.7e-10),
    "HOGFeatures": (3.0e-8, 1.0e-9),
    # Costed by multiply-adds (MACS_S below), not per pixel: only the SVC's coefficient counts.
    "RandomCNNFeatures": (0.0, 6.0e-10),
    "KMeansFeatures": (0.0, 1.0e-9),
    "ScatteringFeatures": (0.0, 4.2e-10),
    "TransferFeatures": (0.0, 6.0e-10),
}
OTHER_S = (1.0e-7, 2.0e-9)  # extractors not calibrated (SIFT, kernel bank): a guess
# Extractors whose work is not per pixel, costed by their multiply-adds per image instead:
# k-means features (whitening and distances of every patch to every centroid; the dictionary
# fit as K_MEANS_PASSES passes over the sampled patches) and the frozen random network (its
# forward pass, at the cnn's forward rate in NET_S). Seconds per multiply-add, set from one
# `configs/ladder.yaml` run on 2 shared cores (k-means 6.0 s with its LinearSVC, whose share
# the k-means coefficient absorbs; random cnn 3.9 s with its SVC; BENCHMARKS.md, "The
# ladder"): one calibration point each, so rough. Checked since on full CIFAR-10 k-means (3,200
# centroids, with the linear scale path's solver): fit 728 s against ~14 min estimated.
MACS_S = {"KMeansFeatures": 5.0e-11, "RandomCNNFeatures": 4.1e-11, "TransferFeatures": 4.1e-11}
# A frozen backbone (transfer_svm) is costed by the multiply-adds torch's flop counter finds in
# one forward pass at its input size, at the random cnn's forward rate: an inference pass of a
# conv net, as that one is; its SVC's coefficient likewise (not calibrated on its own).
# Scattering is costed by its FFT work (`featcmp.features.scattering.fft_work`, point-operations
# rather than multiply-adds), per backend. Kymatio's: 6.3e-10 s per unit at J=2, L=8, order 2
# on 1,000 32x32 RGB scenes (486 images/s on 2 cores), 7.0e-10 at J=3 on 64 px, 3.4e-10 at
# order 1. Ours (the default): 2.3e-10 from `benchmarks/bench_scattering.py` on 2 quiet cores
# (1,327 images/s on 32x32 RGB, where Kymatio ran at 467, 6.5e-10; 2.1e-10 on 28x28 gray;
# BENCHMARKS.md, "Wavelet scattering"). The RBF SVC's coefficient is from the same scenes
# (750 training images, 15,552 dims, 3.7 s).
SCATTERING_S = {"featcmp": 2.3e-10, "kymatio": 6.0e-10}
K_MEANS_PASSES = 20
TORCH_EXTRACTORS = ("RandomCNNFeatures", "ScatteringFeatures", "TransferFeatures")
LINEAR_S_PER_SAMPLE_DIM = 2.0e-8  # LinearSVC: seconds per (n * d)
# The scale path (Nystroem map, then the torch linear SVM), from three quiet 2-core fits of
# m = 5000 landmarks (Fashion-MNIST raw 60k: 53 s; CIFAR-10 raw and HOG 50k: 104 s, 96 s):
# seconds per kernel multiply-add (n * m * d), per solver step unit (epochs * n * m) and per
# m^3 of the landmark eigendecomposition. Within 1.3x of all three. Wider inputs run the map's
# product more efficiently: full CIFAR-10 scattering (15,552 dims, m = 4,000 with the features
# passed on) fitted in 250 s against ~9 min estimated, 2.2x high (BENCHMARKS.md).
NYSTROEM_S = (9.5e-11, 5.5e-9, 5.0e-11)
# Networks: (seconds to start, per epoch, per forward multiply-add x 3 (backward) per image
# per epoch, per input pixel per image per epoch: augmenting). Recalibrated since channels-last
# on the CPU and averaging large images down once before training, from six quiet 2-core fits
# (CNN: 92 s on the photo folder, 63 s in `make run`, 160 s for the Fashion-MNIST recipe, 750 s
# for CIFAR-10's; MLP: 5.7 s on the photo folder, 639 s on CIFAR-10): within 1.2x of each.
NET_S = {
    "CNNClassifier": (2.0, 0.2, 4.1e-11, 1.0e-10),
    "MLPClassifier": (0.2, 0.05, 6.5e-11, 2.0e-10),
}
OTHER_NET_S = (5.0, 1.0, 1.0e-10, 5.0e-7)
BASE_BYTES = 250 * 2**20  # Python with NumPy, scikit-learn and the data layer loaded
TORCH_BYTES = 350 * 2**20  # what importing torch and its CPU kernels adds
LIBSVM_CACHE_BYTES = 200 * 2**20  # SVC's default cache_size
ACTIVATION_FACTOR = 3  # forward activations kept for backward, their gradients, workspace


@dataclass(frozen=True)
class Estimate:
    """Expected fit seconds and peak bytes of one job, and what they were computed from."""

    fit_s: float
    work_bytes: int  # what the job itself allocates: the figure the memory limit applies to
    base_bytes: int  # the process it runs in (interpreter and libraries)
    feature_dim: int | None
    basis: str = ""  # what the time assumes, where a setting changes it (scattering's backend)

    @property
    def peak_bytes(self) -> int:
        return self.work_bytes + self.base_bytes

    @property
    def basis_note(self) -> str:
        """The basis in brackets, to follow a fit time; empty without one."""
        return f" ({self.basis})" if self.basis else ""

    def line(self) -> str:
        fit = f"fit ~{seconds(self.fit_s)}{self.basis_note}"
        return f"{fit}, peak memory ~{megabytes(self.peak_bytes)}"


def check_memory(where: str, estimate: Estimate) -> None:
    """Refuse, with the figure, a job whose own memory would exceed the limit."""
    from featcmp.errors import ConfigError
    from featcmp.memory import LIMIT_ENV, gb, memory_limit_bytes

    limit = memory_limit_bytes()
    if estimate.work_bytes > limit:
        raise ConfigError(
            f"{where}: expected to need {gb(estimate.work_bytes)} of memory (data, features "
            f"and model), over the {gb(limit)} limit; set dataset.max_train or a smaller "
            f"dataset.image_size, or raise {LIMIT_ENV}"
        )


def seconds(s: float) -> str:
    if s < 1:
        return "<1 s"
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


def megabytes(b: float) -> str:
    if b >= 2**30:
        return f"{b / 2**30:.1f} GiB"
    return f"{b / 2**20:.0f} MiB"


def _pixels(image_shape: tuple[int, ...]) -> int:
    return int(math.prod(image_shape))


def network_size(
    estimator: Any, image_shape: tuple[int, ...], n_classes: int
) -> tuple[int, int, int]:
    """(MACs per image, weights, activation floats per image) of a torch classifier's network
    built for these images: counted on the module itself, so any architecture is costed."""
    import torch
    from torch import nn

    in_shape = estimator.net_shape(image_shape)  # a fine-tuned net: the saved network's input
    module = estimator.build_module(in_shape, n_classes).train(False)  # inference mode
    macs, activations = 0, 0

    def count(m: nn.Module, inputs: Any, out: torch.Tensor) -> None:
        nonlocal macs, activations
        activations += out[0].numel()
        if isinstance(m, nn.Conv2d):
            k = m.kernel_size[0] * m.kernel_size[1] * m.in_channels // m.groups
            macs += out[0].numel() * k
        elif isinstance(m, nn.Linear):
            macs += m.in_features * m.out_features

    hooks = [m.register_forward_hook(count) for m in module.modules() if not list(m.children())]
    try:
        with torch.no_grad():
            module(torch.zeros(1, *in_shape))
    finally:
        for h in hooks:
            h.remove()
    weights = sum(p.numel() for p in module.parameters())
    return macs, weights, activations


def _batch_size(estimator: Any, n: int) -> int:
    size = getattr(estimator, "batch_size", 64)
    return min(n, size if isinstance(size, int) else 64)  # "auto": 64 on the CPU


def estimate_network(
    estimator: Any, n_train: int, image_shape: tuple[int, ...], n_classes: int
) -> Estimate:
    kind = type(estimator).__name__
    macs, weights, activations = network_size(estimator, image_shape, n_classes)
    epochs = int(getattr(estimator, "epochs", 1))
    start, per_epoch, per_mac, per_pixel = NET_S.get(kind, OTHER_NET_S)
    # Forward and backward: about three times the forward multiply-adds.
    per_image = 3 * macs * per_mac + _pixels(image_shape) * per_pixel
    fit_s = start + epochs * (per_epoch + n_train * per_image)
    data = n_train * _pixels(image_shape) * 4 * 2  # the split and its training tensor
    batch = _batch_size(estimator, n_train) * activations * 4 * ACTIVATION_FACTOR
    return Estimate(fit_s, int(data + 16 * weights + batch), BASE_BYTES + TORCH_BYTES, None)


def extractor_macs(extractor: Any, image_shape: tuple[int, ...]) -> tuple[int, int] | None:
    """(multiply-adds per image, multiply-adds of fitting) of an extractor costed by its
    arithmetic (MACS_S, SCATTERING_S), or None for one costed per pixel."""
    kind = type(extractor).__name__
    if kind == "KMeansFeatures":
        f = extractor.downsample_for(image_shape)
        h, w = image_shape[0] // f, image_shape[1] // f
        p, s, k = extractor.patch_size, extractor.stride, extractor.n_centroids
        d = p * p * (image_shape[2] if len(image_shape) == 3 else 1)
        positions = max(1, (h - p) // s + 1) * max(1, (w - p) // s + 1)
        return positions * d * (d + k), K_MEANS_PASSES * extractor.n_patches * d * k
    if kind == "RandomCNNFeatures":
        macs, _, _ = network_size(extractor.network(), image_shape, 2)
        return macs, 0
    if kind == "TransferFeatures":
        return backbone_macs(extractor.open()), 0
    if kind == "ScatteringFeatures":
        from featcmp.features.scattering import fft_work

        shape = extractor.working_shape(image_shape)
        channels = image_shape[2] if len(image_shape) == 3 else 1
        work = fft_work(extractor.J, extractor.L, extractor.max_order, shape)
        return int(channels * work), 0
    return None


def backbone_macs(backbone: Any) -> int:
    """Multiply-adds of one image through a frozen backbone (torch's flop counter: 2 flops
    per multiply-add), at its input size."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    x = torch.zeros(1, backbone.fit.channels, *backbone.fit.size)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        backbone.forward(x)
    return int(counter.get_total_flops() // 2)


def extraction_s(extractor: Any, n_train: int, image_shape: tuple[int, ...]) -> float:
    """Seconds to fit the extractor and extract the training features."""
    macs = extractor_macs(extractor, image_shape)
    if macs is not None:
        per_image, fitting = macs
        kind = type(extractor).__name__
        per_mac = SCATTERING_S[extractor.backend] if kind == "ScatteringFeatures" else MACS_S[kind]
        return per_mac * (n_train * per_image + fitting)
    per_pixel, _ = HAND_CRAFTED_S.get(type(extractor).__name__, OTHER_S)
    return per_pixel * n_train * _pixels(image_shape)


def estimate_hand_crafted(
    pipe: Any, n_train: int, n_test: int, image_shape: tuple[int, ...], dim: int
) -> Estimate:
    extractor = pipe.steps[0][1]
    svm = pipe.steps[-1][1]
    _, per_pair_dim = HAND_CRAFTED_S.get(type(extractor).__name__, OTHER_S)
    fit_s = extraction_s(extractor, n_train, image_shape)
    exact = getattr(svm, "fits_exact_kernel", lambda n: True)(n_train)
    if exact:
        fit_s += per_pair_dim * n_train**2 * dim
        svm_bytes = 8 * n_train * dim + min(LIBSVM_CACHE_BYTES, 4 * n_train**2)
    elif getattr(svm, "kernel", "rbf") == "linear":
        scale_path = getattr(svm, "takes_scale_path", lambda n: False)(n_train)
        if scale_path:  # the scale path's solver on the features themselves
            fit_s += NYSTROEM_S[1] * svm.approx_epochs * n_train * dim
        else:
            fit_s += LINEAR_S_PER_SAMPLE_DIM * n_train * 2 * dim
        # liblinear and SGD copy the features to float64; the torch solver trains on the
        # float32 features in place, one float32 copy allowed for the rest (k-means, 3,200
        # centroids, 50k x 12,800: 8.7 GiB measured peak, 8.4 GiB by this count; 50k x 28,800:
        # 18.5 GiB, 17.0 GiB).
        torch_solver = scale_path and getattr(svm, "approx_solver", "") == "torch"
        svm_bytes = (4 if torch_solver else 16) * n_train * dim
    else:  # Nystroem (with the features passed on, if asked) + a linear solver
        m = min(svm.n_components, n_train)
        width = m + (dim if getattr(svm, "approx_linear", False) else 0)
        per_mac, per_step, per_eig = NYSTROEM_S
        fit_s += (
            per_mac * n_train * m * dim
            + per_step * svm.approx_epochs * n_train * width
            + per_eig * m**3
        )
        svm_bytes = 8 * n_train * (dim + width)
    data = (n_train + n_test) * _pixels(image_shape) * 4
    # Train features (float32), scaled copy, libsvm's float64 copy and cache.
    work = data + 2 * 4 * n_train * dim + svm_bytes
    # A network runs, or scattering's torch transform.
    torch_loaded = type(extractor).__name__ in TORCH_EXTRACTORS
    basis = getattr(extractor, "backend_name", "")  # an extractor with a choice of backend
    base = BASE_BYTES + (TORCH_BYTES if torch_loaded else 0)
    return Estimate(fit_s, int(work), base, dim, basis)


def feature_width(pipe: Any, X: Any) -> int:
    """Width of the features the first step makes of images like X (on one image; extractors
    that learn in fit, such as a visual vocabulary, are sized from their parameters)."""
    step = pipe.steps[0][1]
    words = getattr(step, "vocabulary_size", None)
    if words is not None and hasattr(step, "levels"):  # a pyramid of L x L word histograms
        return int(words * sum(level * level for level in step.levels))
    centroids = getattr(step, "n_centroids", None)
    if centroids is not None:  # k-means codes summed over grid x grid regions
        return int(step.grid) ** 2 * int(centroids)
    from sklearn.base import clone

    try:
        probe = clone(step).fit(X[:1])
        return int(probe.transform(X[:1]).shape[1])
    except Exception:  # an extractor that fails fails in its job, with its record; not here
        return int(X[0].size)


def estimate_job(pipe: Any, n_train: int, n_test: int, X: Any, n_classes: int) -> Estimate:
    """The estimate for an unfitted pipeline on training images like X (n_train of them)."""
    image_shape = tuple(X.shape[1:])
    last = pipe.steps[-1][1]
    if hasattr(last, "build_module"):
        return estimate_network(last, n_train, image_shape, n_classes)
    return estimate_hand_crafted(pipe, n_train, n_test, image_shape, feature_width(pipe, X))
