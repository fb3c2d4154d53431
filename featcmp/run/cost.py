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
OpenBLAS and torch on both). Each extractor and network declares its own beside its code
(`cost`, and `work_units` where its work is not one unit per pixel: featcmp.costs); this
module holds the classifiers' and the model. The designed extractors' were set from two
quiet-machine runs of the five default pipelines (load average under 1.5): the 1,200-photo
folder of `benchmarks/make_photo_folder.py` (96 px working size, 900 training images, 30
epochs; `featcmp run` of a config naming only the folder) and `make run` (scenes, 32 px,
1,500 training images), each estimate within 1.6x of both runs. The scale path and the networks have
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

from featcmp.costs import extraction_cost, net_cost, network_size, work_units

# --- calibrated constants (see the module docstring) --------------------------------------
# Each extractor and network declares its own (featcmp.costs): these are the classifiers'.
LINEAR_S_PER_SAMPLE_DIM = 2.0e-8  # LinearSVC: seconds per (n * d)
# The scale path (Nystroem map, then the torch linear SVM): seconds per multiply-add of the
# map (n * m * (d + m): the kernel's product with the landmarks, then the product with the
# m x m normalisation, which dominates narrow inputs), per solver step unit (epochs * n *
# width) and per m^3 of the landmarks' eigendecomposition. Each part timed on 2 quiet cores
# by `benchmarks/calibrate_scale_path.py` (d 784-15,552, m 2,000-5,000: 1.2-2.4e-11 per map
# multiply-add, 2.2-2.5e-9 per solver unit, 6-13e-11 per m^3), set so that seven full-data
# rows fall within 0.85-1.27x of their measured fit (BENCHMARKS.md, "The scale path's cost").
NYSTROEM_S = (1.7e-11, 3.0e-9, 1.0e-10)
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


def _batch_size(estimator: Any, n: int) -> int:
    size = getattr(estimator, "batch_size", 64)
    return min(n, size if isinstance(size, int) else 64)  # "auto": 64 on the CPU


def estimate_network(
    estimator: Any, n_train: int, image_shape: tuple[int, ...], n_classes: int
) -> Estimate:
    macs, weights, activations = network_size(estimator, image_shape, n_classes)
    epochs = int(getattr(estimator, "epochs", 1))
    cost = net_cost(estimator)
    # Forward and backward: about three times the forward multiply-adds.
    per_image = 3 * macs * cost.mac_s + _pixels(image_shape) * cost.pixel_s
    fit_s = cost.start_s + epochs * (cost.epoch_s + n_train * per_image)
    data = n_train * _pixels(image_shape) * 4 * 2  # the split and its training tensor
    batch = _batch_size(estimator, n_train) * activations * 4 * ACTIVATION_FACTOR
    return Estimate(fit_s, int(data + 16 * weights + batch), BASE_BYTES + TORCH_BYTES, None)


def extraction_s(extractor: Any, n_train: int, image_shape: tuple[int, ...]) -> float:
    """Seconds to fit the extractor and extract the training features."""
    per_image, fitting = work_units(extractor, image_shape)
    return extraction_cost(extractor).unit_s * (n_train * per_image + fitting)


def estimate_hand_crafted(
    pipe: Any, n_train: int, n_test: int, image_shape: tuple[int, ...], dim: int
) -> Estimate:
    extractor = pipe.steps[0][1]
    svm = pipe.steps[-1][1]
    cost = extraction_cost(extractor)
    fit_s = extraction_s(extractor, n_train, image_shape)
    exact = getattr(svm, "fits_exact_kernel", lambda n: True)(n_train)
    if exact:
        fit_s += cost.svc_s * n_train**2 * dim
        svm_bytes = 8 * n_train * dim + min(LIBSVM_CACHE_BYTES, 4 * n_train**2)
    elif getattr(svm, "kernel", "rbf") == "linear":
        scale_path = getattr(svm, "takes_scale_path", lambda n: False)(n_train)
        if scale_path:  # the scale path's solver on the features themselves
            fit_s += NYSTROEM_S[1] * svm.approx_epochs * n_train * dim
        else:
            fit_s += LINEAR_S_PER_SAMPLE_DIM * n_train * 2 * dim
        # liblinear and SGD copy the features to float64; the torch solver trains on the
        # float32 features in place, one float32 copy allowed for the rest (k-means on full
        # CIFAR-10, 50k x 14,400: 9.4 GiB measured peak, 9.0 GiB by this count).
        torch_solver = scale_path and getattr(svm, "approx_solver", "") == "torch"
        svm_bytes = (4 if torch_solver else 16) * n_train * dim
    else:  # Nystroem (with the features passed on, if asked) + a linear solver
        m = min(svm.n_components, n_train)
        width = m + (dim if getattr(svm, "approx_linear", False) else 0)
        per_mac, per_step, per_eig = NYSTROEM_S
        fit_s += (
            per_mac * n_train * m * (dim + m)
            + per_step * svm.approx_epochs * n_train * width
            + per_eig * m**3
        )
        # The torch map writes float32 in place and its solver trains on that; scikit-learn's
        # map and solvers work in float64 (full CIFAR-10 scattering, 50k x 15,552 + 4,000
        # landmarks: 10.7 GiB by this count, 8.6 GiB measured peak).
        torch_map = getattr(svm, "approx_solver", "") == "torch"
        svm_bytes = 4 * n_train * width if torch_map else 8 * n_train * (dim + width)
    data = (n_train + n_test) * _pixels(image_shape) * 4
    # Train features (float32), scaled copy, libsvm's float64 copy and cache.
    work = data + 2 * 4 * n_train * dim + svm_bytes
    basis = getattr(extractor, "backend_name", "")  # an extractor with a choice of backend
    base = BASE_BYTES + (TORCH_BYTES if cost.loads_torch else 0)
    return Estimate(fit_s, int(work), base, dim, basis)


def feature_width(pipe: Any, X: Any) -> int:
    """Width of the features the first step makes of images like X (on one image; extractors
    that learn in fit, such as a visual vocabulary, are sized from their parameters)."""
    step = pipe.steps[0][1]
    before_fit = getattr(step, "width_before_fit", None)
    width = before_fit(tuple(X.shape[1:])) if before_fit is not None else None
    if width is not None:
        return int(width)
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
