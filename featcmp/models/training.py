"""A torch network as a scikit-learn classifier: the learned side of the comparison.

The whole training set lives in memory as one tensor and each batch is a slice by a random
permutation: no per-sample Dataset or PIL path, which would cost far more than the network.
"""

from __future__ import annotations

import math
import os

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from torch import nn

from featcmp import progress
from featcmp.devices import check_device, resolve_device
from featcmp.errors import ConfigError, RunError
from featcmp.models.guards import check_model_bytes, check_upper

OPTIMIZERS = ("adamw", "adam", "sgd")
MAX_EPOCHS = 10_000
SCHEDULES = ("onecycle", "cosine", "constant")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def available_cores() -> int:
    """Threads for torch: OMP_NUM_THREADS when set (shared machines), else this process's cores."""
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return os.cpu_count() or 1


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


def random_shift(x: torch.Tensor, shift: int, gen: torch.Generator) -> torch.Tensor:
    """Random crops: pad by `shift` (edge values) and cut each image back at a random offset."""
    n, _, h, w = x.shape
    padded = nn.functional.pad(x, (shift,) * 4, mode="replicate")
    dy = torch.randint(0, 2 * shift + 1, (n,), generator=gen).to(x.device)
    dx = torch.randint(0, 2 * shift + 1, (n,), generator=gen).to(x.device)
    rows = (dy[:, None] + torch.arange(h, device=x.device))[:, :, None]
    cols = (dx[:, None] + torch.arange(w, device=x.device))[:, None, :]
    batch = torch.arange(n, device=x.device)[:, None, None]
    return padded[batch, :, rows, cols].permute(0, 3, 1, 2)


class TorchClassifier(ClassifierMixin, BaseEstimator):
    """Shared training loop; subclasses define `build_module(in_shape, n_classes)`.

    Training: AdamW (or Adam/SGD), one-cycle (or cosine/constant) learning rate, label
    smoothing, random-crop augmentation and optional horizontal flips, inputs standardised with
    statistics of the training set only.
    """

    def _set_common(
        self,
        epochs,
        batch_size,
        lr,
        optimizer,
        weight_decay,
        schedule,
        label_smoothing,
        augment,
        shift,
        flip,
        device,
        seed,
    ) -> None:
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.schedule = schedule
        self.label_smoothing = label_smoothing
        self.augment = augment
        self.shift = shift
        self.flip = flip
        self.device = device
        self.seed = seed

    # -- to be defined by subclasses -------------------------------------------------------
    def build_module(self, in_shape: tuple[int, int, int], n_classes: int) -> nn.Module:
        raise NotImplementedError

    # -- checks ----------------------------------------------------------------------------
    def check(self) -> None:
        """Validate the training parameters before any work."""
        if self.epochs < 1:
            raise ConfigError(f"epochs must be at least 1, got {self.epochs}")
        check_upper("epochs", self.epochs, MAX_EPOCHS)
        if self.shift is not None and (not _is_int(self.shift) or not 0 <= self.shift <= 64):
            raise ConfigError(f"shift: expected null or a whole number 0..64, got {self.shift!r}")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, got {self.batch_size}")
        if not self.lr > 0 or not math.isfinite(self.lr):
            raise ConfigError(f"lr must be a positive number, got {self.lr}")
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(
                f"optimizer: unknown '{self.optimizer}'; choose from {', '.join(OPTIMIZERS)}"
            )
        if self.schedule not in SCHEDULES:
            raise ConfigError(
                f"schedule: unknown '{self.schedule}'; choose from {', '.join(SCHEDULES)}"
            )
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ConfigError(f"label_smoothing must be in [0, 1), got {self.label_smoothing}")
        check_device(self.device)

    def _validate_geometry(self, shape: tuple[int, ...]) -> None:
        """Raise ConfigError when the network cannot take images of `shape` (H, W[, C]).

        Also when its weights would not fit in memory. Built on the meta device: nothing is
        allocated, however absurd the config.
        """
        self.check()
        channels = shape[2] if len(shape) == 3 else 1
        self._build_checked((channels, shape[0], shape[1]), 2, torch.device("meta"))

    def _build_checked(
        self, in_shape: tuple[int, int, int], n_classes: int, device: torch.device
    ) -> nn.Module:
        with torch.device("meta"):
            module = self.build_module(in_shape, n_classes)
        check_model_bytes(type(self).__name__, sum(p.numel() for p in module.parameters()))
        if device.type == "meta":
            return module
        return self.build_module(in_shape, n_classes).to(device)

    # -- training --------------------------------------------------------------------------
    def _make_optimizer(self, params) -> torch.optim.Optimizer:
        if self.optimizer == "sgd":
            return torch.optim.SGD(
                params, lr=self.lr, momentum=0.9, weight_decay=self.weight_decay, nesterov=True
            )
        cls = torch.optim.AdamW if self.optimizer == "adamw" else torch.optim.Adam
        return cls(params, lr=self.lr, weight_decay=self.weight_decay)

    def _make_schedule(self, opt, steps: int):
        if self.schedule == "onecycle":
            return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=self.lr, total_steps=steps)
        if self.schedule == "cosine":
            return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda _: 1.0)

    def fit(self, X, y):
        self.check()
        torch.set_num_threads(available_cores())
        torch.manual_seed(self.seed)
        gen = torch.Generator().manual_seed(self.seed)
        self.device_ = resolve_device(self.device)
        x = images_to_tensor(X)
        self.classes_, y_idx = np.unique(np.asarray(y), return_inverse=True)
        # Standardise with the training set's own statistics (per channel).
        self.mean_ = x.mean(dim=(0, 2, 3), keepdim=True)
        self.std_ = x.std(dim=(0, 2, 3), keepdim=True).clamp_min(1e-6)
        x = ((x - self.mean_) / self.std_).to(self.device_)
        targets = torch.from_numpy(y_idx.astype(np.int64)).to(self.device_)
        self.module_ = self._build_checked(tuple(x.shape[1:]), len(self.classes_), self.device_)
        self.feature_dim_ = [m for m in self.module_.modules() if isinstance(m, nn.Linear)][
            -1
        ].in_features
        self.n_params_ = sum(p.numel() for p in self.module_.parameters() if p.requires_grad)
        n = len(x)
        per_epoch = math.ceil(n / self.batch_size)
        opt = self._make_optimizer(self.module_.parameters())
        sched = self._make_schedule(opt, per_epoch * self.epochs)
        loss_fn = nn.CrossEntropyLoss(label_smoothing=self.label_smoothing)
        shift = self._shift(x.shape[-1])
        self.loss_curve_ = []
        self.module_.train()
        with progress.bar(f"{type(self).__name__} epochs", self.epochs) as advance:
            for epoch in range(self.epochs):
                order = torch.randperm(n, generator=gen).to(self.device_)
                total = 0.0
                for start in range(0, n, self.batch_size):
                    idx = order[start : start + self.batch_size]
                    xb = x[idx]
                    if self.augment:
                        xb = self._augment(xb, shift, gen)
                    loss = loss_fn(self.module_(xb), targets[idx])
                    if not torch.isfinite(loss):
                        raise RunError(
                            f"{type(self).__name__}: training loss became {loss.item()} at epoch "
                            f"{epoch + 1}; lower lr (now {self.lr}) or check the data"
                        )
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    sched.step()
                    total += loss.item() * len(idx)
                self.loss_curve_.append(total / n)
                advance(1, note=f"loss {total / n:.3f}")
        self.module_.eval()
        return self

    def _shift(self, width: int) -> int:
        # About one pixel in twelve: 1 px on 8x8 digits, 2 px on 28x28 MNIST, 3 px on 32x32.
        return self.shift if self.shift is not None else max(1, round(width / 12))

    def _augment(self, xb: torch.Tensor, shift: int, gen: torch.Generator) -> torch.Tensor:
        if shift > 0:
            xb = random_shift(xb, shift, gen)
        if self.flip:
            mask = (torch.rand(len(xb), generator=gen) < 0.5).to(xb.device)
            xb = torch.where(mask[:, None, None, None], xb.flip(-1), xb)
        return xb

    @torch.no_grad()
    def predict_proba(self, X) -> np.ndarray:
        x = (images_to_tensor(X) - self.mean_) / self.std_
        out = []
        for start in range(0, len(x), 1024):
            xb = x[start : start + 1024].to(self.device_)
            out.append(torch.softmax(self.module_(xb), dim=1).cpu())
        return torch.cat(out).numpy()

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
