"""A torch network as a scikit-learn classifier: the learned side of the comparison.

The whole training set lives on the training device as one tensor (when it fits) and each
batch is a slice by a random permutation: no per-sample Dataset or PIL path, which would cost
far more than the network. The loop never waits for the device inside an epoch: the loss is
summed on the device and read back once per epoch (which is also when a non-finite loss is
noticed), augmentation runs on the device with a device-side generator, conv nets run in
channels-last layout, and on CUDA under bf16 autocast (weights stay float32).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from torch import nn

from featcmp import progress
from featcmp.config.params import (
    NON_NEGATIVE,
    POSITIVE,
    Declared,
    Param,
    Range,
    Rule,
    check_own,
    declare,
)
from featcmp.costs import UNCALIBRATED_NET, NetCost
from featcmp.devices import DEVICE, resolve_device
from featcmp.errors import ConfigError, RunError
from featcmp.models import fine_tune
from featcmp.models.augment import random_flip, random_translate
from featcmp.models.guards import check_model_bytes
from featcmp.models.input_fit import InputFit
from featcmp.models.param_groups import param_groups
from featcmp.models.torch_state import available_cores, seeded_threads

__all__ = ["TorchClassifier", "available_cores", "images_to_tensor"]

OPTIMIZERS = ("adamw", "adam", "sgd")
MAX_EPOCHS = 10_000  # a sane bound: typos like 10**9 fail fast
SCHEDULES = ("onecycle", "linear", "cosine", "constant")
PRECISIONS = ("auto", "bf16", "fp32")
LAYOUTS = ("auto", "channels_last", "contiguous")
# batch_size "auto": the reference batch the lr is given for, and the batch on a GPU, where
# small batches leave the device idle (the lr grows with the square root of the batch).
REFERENCE_BATCH, GPU_BATCH = 64, 512
PREDICT_BATCH = 1024
DATA_SHARE_OF_FREE_GPU = 0.5  # keep the training set on the GPU when it takes at most this
SHARE = Range(0, 1, high_open=True)  # label smoothing, dropout


def images_to_tensor(X: np.ndarray) -> torch.Tensor:
    """(n, H, W) or (n, H, W, C) float images -> (n, C, H, W) float32 tensor."""
    X = np.asarray(X, dtype=np.float32)
    if X.ndim == 3:
        X = X[:, None]
    elif X.ndim == 4:
        X = X.transpose(0, 3, 1, 2)
    else:
        raise ConfigError(f"expected images of shape (n, H, W[, C]), got {X.shape}")
    return torch.from_numpy(np.ascontiguousarray(X))


def net_input_shape(image_shape: tuple[int, ...]) -> tuple[int, int, int]:
    """(H, W[, C]) images as the (C, H, W) a network is built for."""
    if len(image_shape) == 3:
        return (int(image_shape[2]), int(image_shape[0]), int(image_shape[1]))
    return (1, int(image_shape[0]), int(image_shape[1]))


def _shape_for(image_shape: tuple[int, ...], fit: InputFit | None) -> tuple[int, int, int]:
    """The (C, H, W) a network is built for: the saved network's input where `fit` fits images
    to one, else the images' own (the fit is passed in so the init_from file is read once)."""
    if fit is not None:
        return (fit.channels, *fit.size)
    return net_input_shape(image_shape)


def plain(value: Any) -> Any:
    """Tuples and numpy scalars as JSON's lists and numbers."""
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    return value.item() if hasattr(value, "item") else value


def _fits_on(device: torch.device, nbytes: int) -> bool:
    if device.type != "cuda":
        return True
    free, _ = torch.cuda.mem_get_info(device)
    return nbytes <= DATA_SHARE_OF_FREE_GPU * free


class TorchClassifier(Declared, ClassifierMixin, BaseEstimator):
    """Shared training loop; subclasses declare their architecture's `PARAMS` and define
    `build_module(in_shape, n_classes)` and `shape_plan(in_shape)`.

    Training: AdamW (or Adam/SGD), one-cycle (or linear-decay/cosine/constant) learning rate,
    label smoothing, random-translation augmentation and optional horizontal flips, inputs
    standardised with statistics of the training set only. No weight decay on biases and
    normalisation layers. Fitting leaves torch's global RNG and thread count as it found them.
    `PARAMS` are every network's training parameters (keyword-only, as for every estimator
    here). What layout and compile measured on a CPU: see BENCHMARKS.md, "CNN training",
    session 4.
    """

    cost: ClassVar[NetCost] = UNCALIBRATED_NET  # a subclass declares its calibrated figures

    PARAMS = declare(
        epochs=Param(int, 30, "passes over the training set", range=Range(1, MAX_EPOCHS)),
        batch_size=Param(
            int | str, "auto",
            "images per step; 'auto': 64 on the CPU, up to 512 on a GPU (lr scaled with it)",
            range=Range(1, None), choices=("auto",),
        ),
        lr=Param(float, 3e-3, "peak learning rate (of batch 64 under batch_size 'auto')",
                 range=POSITIVE),
        optimizer=Param(str, "adamw", "update rule (sgd: with Nesterov momentum 0.9)",
                        choices=OPTIMIZERS),
        weight_decay=Param(float, 5e-4, "decay of weight matrices and kernels (not biases, norms)",
                           range=NON_NEGATIVE),
        norm_lr_scale=Param(float, 1.0, "learning-rate factor for batch-norm parameters",
                            range=POSITIVE),
        schedule=Param(str, "onecycle", "learning rate over the steps (linear: 5% warm-up)",
                       choices=SCHEDULES),
        label_smoothing=Param(float, 0.1, "target mass spread evenly over all classes",
                              range=SHARE),
        augment=Param(bool, True, "random shifts (and flips, with flip) of the training images"),
        shift=Param(int | None, None, "largest shift in pixels (null: about the width / 12)",
                    range=Range(0, 64)),
        flip=Param(bool, False, "mirror about half of the augmented images left-right"),
        tta=Param(bool, False, "predict from each image and its mirror, averaged (needs flip)"),
        precision=Param(str, "auto", "'auto': bf16 autocast on CUDA, float32 on the CPU",
                        choices=PRECISIONS),
        layout=Param(str, "auto", "memory layout of conv maps ('auto': channels-last)",
                     choices=LAYOUTS),
        compile=Param(bool, False, "torch.compile the network (slower on CPUs: see BENCHMARKS.md)"),
        device=DEVICE,
        seed=Param(int, 0, "seeds weights, batch order, shifts and dropout (a run passes its own)"),
        init_from=Param(str | None, None,
                        "a saved featcmp network (save_model) to start from: fine-tuning",
                        reads_file=True),
    )  # fmt: skip
    RULES = (
        Rule(
            ("tta", "flip"), lambda tta, flip: flip or not tta,
            "tta averages each image with its mirror: it needs flip: true",
        ),
    )  # fmt: skip

    # How images become the network's input when it started from a saved network
    # (featcmp.models.input_fit); None: as given. The executor tells a fit the class names,
    # where it knows them, so a fine-tuned network keeps the saved output layer only for the
    # same classes.
    input_fit_: InputFit | None = None
    class_names_hint: list[str] | None = None

    def __sklearn_clone__(self):
        # The hint is not a parameter (it would change job ids), so a plain clone, as a
        # `select:` search makes of every candidate, would drop it.
        twin = super().__sklearn_clone__()
        twin.class_names_hint = self.class_names_hint
        return twin

    # -- to be defined by subclasses -------------------------------------------------------
    def build_module(self, in_shape: tuple[int, int, int], n_classes: int) -> nn.Module:
        raise NotImplementedError

    def shape_plan(self, in_shape: tuple[int, int, int]) -> dict[str, Any]:
        """What the network makes of (C, H, W) inputs, {name: value}: fit keeps each as the
        fitted attribute `name_` (`n_blocks_`, `input_size_`, `downsample_`)."""
        return {}

    # -- the step contract -----------------------------------------------------------------
    def choices(self, image_shape: tuple[int, ...]) -> dict[str, Any]:
        """What the image size decided (depth, input size, averaging factor): fitted values
        once fitted, else what fit would pick for images of `image_shape` (H, W[, C])."""
        fitted = hasattr(self, "module_")
        fit = self.input_fit_ if fitted else self._source_fit()
        planned = self.shape_plan(_shape_for(image_shape, fit))
        if fitted:
            out = {name: plain(getattr(self, f"{name}_")) for name in planned}
        else:
            out = {name: plain(value) for name, value in planned.items()}
        if fit is not None:
            out["init_from"] = str(self.init_from)
            out.update(fit.describe(image_shape))
            if hasattr(self, "new_head_"):
                out["output_layer"] = "new (other classes)" if self.new_head_ else "kept"
        return out

    def input_fit(self, image_shape: tuple[int, ...]) -> dict[str, Any]:
        """How images of `image_shape` are fitted to the saved network it starts from ({}
        without init_from): input size, channels, normalisation."""
        fit = self._source_fit()
        return {} if fit is None else fit.describe(image_shape)

    def _source_fit(self) -> InputFit | None:
        """The saved network's input fit when this one starts from it (checked), else None."""
        if self.init_from is None:
            return None
        return fine_tune.source_fit(self._source())

    def _source(self) -> dict[str, Any]:
        """The saved network `init_from` names, checked: same class, same architecture (the
        parameters its own class declares, beside the training ones every network has)."""
        own = set(type(self).declared_params()) - set(TorchClassifier.PARAMS)
        arch = {k: plain(v) for k, v in self.get_params(deep=False).items() if k in own}
        return fine_tune.source_payload(str(self.init_from), type(self).__name__, arch)

    def net_shape(self, image_shape: tuple[int, ...]) -> tuple[int, int, int]:
        """The (C, H, W) the network is built for on images of `image_shape` (H, W[, C]): the
        images' own, or the saved network's when it starts from one."""
        fit = self.input_fit_ if hasattr(self, "module_") else self._source_fit()
        return _shape_for(image_shape, fit)

    def check_geometry(self, image_shape: tuple[int, ...]) -> None:
        """Raise ConfigError when the network cannot take images of `image_shape` (H, W[, C]).

        Also when its weights would not fit in memory. Built on the meta device: nothing is
        allocated, however absurd the config.
        """
        check_own(self)
        fit = self._source_fit()  # a missing or foreign init_from file fails here, first
        if fit is not None:
            fit.channel_step(image_shape[2] if len(image_shape) == 3 else 1)
        self._build_checked(_shape_for(image_shape, fit), 2, torch.device("meta"))

    def _build_checked(
        self, in_shape: tuple[int, int, int], n_classes: int, device: torch.device
    ) -> nn.Module:
        with torch.device("meta"):
            module = self.build_module(in_shape, n_classes)
        check_model_bytes(type(self).__name__, sum(p.numel() for p in module.parameters()))
        if device.type == "meta":
            return module
        return self.build_module(in_shape, n_classes).to(device)

    # -- resolved settings -----------------------------------------------------------------
    def _batch_and_lr(self, n: int, device: torch.device) -> tuple[int, float]:
        if self.batch_size != "auto":
            return self.batch_size, self.lr
        if device.type != "cuda":
            return REFERENCE_BATCH, self.lr
        # At least eight steps an epoch on small sets; never below the reference batch.
        batch = max(REFERENCE_BATCH, min(GPU_BATCH, n // 8))
        scale = batch / REFERENCE_BATCH
        return batch, self.lr * (scale if self.optimizer == "sgd" else math.sqrt(scale))

    def _autocast(self) -> torch.autocast:
        bf16 = self.precision == "bf16" or (
            self.precision == "auto" and self.device_.type == "cuda"
        )
        return torch.autocast(self.device_.type, dtype=torch.bfloat16, enabled=bf16)

    def _memory_format(self) -> torch.memory_format:
        # Channels-last for conv nets on every device: bf16 tensor cores on CUDA; on the CPU
        # oneDNN's convolutions and max-pooling vectorise over channels (faster: see
        # BENCHMARKS.md, "CNN training", session 4).
        last = self.layout in ("auto", "channels_last")
        return torch.channels_last if last and self._uses_maps() else torch.contiguous_format

    # -- training --------------------------------------------------------------------------
    def _make_optimizer(self, groups: list, lr: float) -> torch.optim.Optimizer:
        for g in groups:
            g["lr"] = lr * g["lr_scale"]
        fused = {"fused": True} if self.device_.type == "cuda" else {}
        if self.optimizer == "sgd":
            return torch.optim.SGD(groups, lr=lr, momentum=0.9, nesterov=True, **fused)
        cls = torch.optim.AdamW if self.optimizer == "adamw" else torch.optim.Adam
        return cls(groups, lr=lr, **fused)

    def _make_schedule(self, opt, steps: int):
        if self.schedule == "onecycle":
            max_lr = [g["lr"] for g in opt.param_groups]
            return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=steps)
        if self.schedule == "cosine":
            return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
        if self.schedule == "linear":
            # Short warm-up (5% of the steps), then a straight line down to zero.
            warm = max(1, steps // 20)
            return torch.optim.lr_scheduler.LambdaLR(
                opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / (steps - warm + 1)))
            )
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda _: 1.0)

    def fit(self, X, y):
        check_own(self)
        self.device_ = resolve_device(self.device)
        with seeded_threads(self.seed, self.device_):
            self._fit(X, y)
        return self

    def _start(self, X, n_classes: int) -> torch.Tensor:
        """The training images as the network's input, and the network to train: seeded at
        random, or from the saved network `init_from` names (fine-tuning)."""
        x = images_to_tensor(X)
        source = self._source() if self.init_from is not None else None
        if source is None:
            self.input_fit_ = None  # the images as given (a refit forgets an earlier source)
            # Standardise with the training set's own statistics (per channel).
            self.mean_ = x.mean(dim=(0, 2, 3), keepdim=True)
            self.std_ = x.std(dim=(0, 2, 3), keepdim=True).clamp_min(1e-6)
        else:  # the saved network's input: its channels, size and normalisation
            self.input_fit_ = fine_tune.source_fit(source)
            x = self.input_fit_.apply(x)
            self.mean_, self.std_ = fine_tune.zeros_and_ones(x.shape[1])
        self.in_shape_ = tuple(x.shape[1:])
        for name, value in self.shape_plan(self.in_shape_).items():
            setattr(self, f"{name}_", value)
        self.module_ = self._build_checked(self.in_shape_, n_classes, self.device_)
        if source is not None:
            self.new_head_ = not fine_tune.keeps_head(source, n_classes, self.class_names_hint)
            fine_tune.start_module(self.module_, source, keep_head=not self.new_head_)
        return x

    def _fit(self, X, y) -> None:
        self.classes_, y_idx = np.unique(np.asarray(y), return_inverse=True)
        x = self._start(X, len(self.classes_))
        self.feature_dim_ = [m for m in self.module_.modules() if isinstance(m, nn.Linear)][
            -1
        ].in_features
        self.n_params_ = sum(p.numel() for p in self.module_.parameters() if p.requires_grad)
        fmt = self._memory_format()
        self.module_ = self.module_.to(memory_format=fmt)
        x, body = self._pool_once((x - self.mean_) / self.std_)
        data_on = self.device_ if _fits_on(self.device_, x.numel() * 4) else torch.device("cpu")
        x = x.to(data_on)
        targets = torch.from_numpy(y_idx.astype(np.int64)).to(data_on)
        self.data_device_ = str(data_on)
        n = len(x)
        self.batch_size_, self.lr_ = self._batch_and_lr(n, self.device_)
        per_epoch = math.ceil(n / self.batch_size_)
        groups = param_groups(self.module_, self.weight_decay, self.norm_lr_scale)
        opt = self._make_optimizer(groups, self.lr_)
        sched = self._make_schedule(opt, per_epoch * self.epochs)
        loss_fn = nn.CrossEntropyLoss(label_smoothing=self.label_smoothing)
        shift = self._shift(x.shape[-1])
        gen = torch.Generator(device=data_on).manual_seed(self.seed)
        model = torch.compile(body) if self.compile else body
        self.loss_curve_ = []
        self.module_.train()
        with progress.bar(f"{type(self).__name__} epochs", self.epochs) as advance:
            for epoch in range(self.epochs):
                order = torch.randperm(n, generator=gen, device=data_on)
                total = torch.zeros((), device=self.device_)
                for start in range(0, n, self.batch_size_):
                    idx = order[start : start + self.batch_size_]
                    xb, yb = x[idx], targets[idx]
                    if self.augment:
                        xb = self._augment(xb, shift, gen)
                    xb = xb.to(self.device_, non_blocking=True).contiguous(memory_format=fmt)
                    yb = yb.to(self.device_, non_blocking=True)
                    with self._autocast():
                        loss = loss_fn(model(xb), yb)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    sched.step()
                    total += loss.detach().float() * len(idx)
                mean = total.item() / n  # the one host sync of the epoch
                if not math.isfinite(mean):
                    raise RunError(
                        f"{type(self).__name__}: training loss became {mean} at epoch "
                        f"{epoch + 1}; lower lr (now {self.lr_:g}) or check the data"
                    )
                self.loss_curve_.append(mean)
                advance(1, note=f"loss {mean:.3f}")
        self.module_.eval()

    def _pool_once(self, x: torch.Tensor) -> tuple[torch.Tensor, nn.Module]:
        """Training images averaged down once, and the network from after its averaging layer.

        A network that starts by averaging large images down (`downsample_` > 1) would repeat
        that every epoch, and augment at full size first; the layer is linear, so averaging the
        standardised set once is the same input. Shifts are then in pixels of the working size.
        """
        head = self.module_[0] if isinstance(self.module_, nn.Sequential) else None
        if not isinstance(head, nn.AvgPool2d):
            return x, self.module_
        with torch.no_grad():
            pooled = torch.cat([head(part) for part in x.split(PREDICT_BATCH)])
        return pooled, self.module_[1:]

    def _uses_maps(self) -> bool:
        """Whether the network's layers work on image maps (where channels-last can help)."""
        return any(isinstance(m, nn.Conv2d) for m in self.module_.modules())

    def _shift(self, width: int) -> int:
        # About one pixel in twelve: 1 px on 8x8 digits, 2 px on 28x28 MNIST, 3 px on 32x32.
        return self.shift if self.shift is not None else max(1, round(width / 12))

    def _augment(self, xb: torch.Tensor, shift: int, gen: torch.Generator) -> torch.Tensor:
        if shift > 0:
            xb = random_translate(xb, shift, gen)
        if self.flip:
            xb = random_flip(xb, gen)
        return xb

    def net_input(self, X) -> torch.Tensor:
        """Images as the fitted network takes them: fitted to a saved network's input where it
        started from one, then standardised."""
        x = images_to_tensor(X)
        if self.input_fit_ is not None:
            x = self.input_fit_.apply(x)
        return (x - self.mean_) / self.std_

    @torch.no_grad()
    def predict_proba(self, X) -> np.ndarray:
        x = self.net_input(X)
        fmt = self._memory_format()
        out = []
        for start in range(0, len(x), PREDICT_BATCH):
            xb = x[start : start + PREDICT_BATCH].to(self.device_).contiguous(memory_format=fmt)
            with self._autocast():
                proba = torch.softmax(self.module_(xb).float(), dim=1)
                if self.tta:  # the mirror is as valid a view as the image, as in training
                    proba = (proba + torch.softmax(self.module_(xb.flip(-1)).float(), dim=1)) / 2
            out.append(proba.cpu())
        return torch.cat(out).numpy()

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
