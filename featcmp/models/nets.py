"""The two networks of the lecture: a CNN (sparse, shared weights) and a dense MLP."""

from __future__ import annotations

from torch import nn

from featcmp.errors import ConfigError
from featcmp.models.guards import check_upper
from featcmp.models.training import TorchClassifier, _is_int

# Sane upper bounds: far above any useful network here, far below what exhausts memory.
MAX_CHANNELS, MAX_UNITS, MAX_WINDOW = 4096, 65_536, 64


class CNNClassifier(TorchClassifier):
    """Conv blocks (conv -> batch norm -> ReLU -> max-pool), then a dense layer and the output.

    Parameters
    ----------
    channels : list of int
        Output channels of each conv block; its length is the depth.
    kernel_size, stride : int
        Of every conv layer.
    padding : int or None
        Zero padding of every conv layer; None keeps the size ('same' for odd kernels).
    pool : int
        Max-pool window after each block (skipped once the map is smaller than the window).
    batch_norm : bool
        Batch normalisation after each conv.
    hidden : int
        Units of the dense layer before the output (0 for none).
    dropout : float
        Dropout before the dense layers.
    """

    def __init__(
        self,
        channels=(32, 64),
        kernel_size=3,
        stride=1,
        padding=None,
        pool=2,
        batch_norm=True,
        hidden=128,
        dropout=0.25,
        epochs=30,
        batch_size=64,
        lr=3e-3,
        optimizer="adamw",
        weight_decay=5e-4,
        schedule="onecycle",
        label_smoothing=0.1,
        augment=True,
        shift=None,
        flip=False,
        device="auto",
        seed=0,
    ):
        self.channels = channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.pool = pool
        self.batch_norm = batch_norm
        self.hidden = hidden
        self.dropout = dropout
        self._set_common(
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
        )

    def check(self) -> None:
        super().check()
        if not self.channels or min(self.channels) < 1:
            raise ConfigError(
                f"channels: expected a non-empty list of positive ints, got {self.channels}"
            )
        if self.kernel_size < 1 or self.stride < 1 or self.pool < 0 or self.hidden < 0:
            raise ConfigError("kernel_size and stride must be >= 1; pool and hidden >= 0")
        for name in ("kernel_size", "stride", "pool"):
            check_upper(name, getattr(self, name), MAX_WINDOW)
        check_upper("channels", max(self.channels), MAX_CHANNELS)
        check_upper("hidden", self.hidden, MAX_UNITS)
        if self.padding is not None and (
            not _is_int(self.padding) or not 0 <= self.padding < self.kernel_size
        ):
            raise ConfigError(
                f"padding: expected null or a whole number 0..kernel_size-1 "
                f"({self.kernel_size - 1}), got {self.padding!r}"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout}")

    def build_module(self, in_shape, n_classes) -> nn.Module:
        c, h, w = in_shape
        pad = self.kernel_size // 2 if self.padding is None else self.padding
        layers: list[nn.Module] = []
        for out in self.channels:
            layers.append(
                nn.Conv2d(c, out, self.kernel_size, self.stride, pad, bias=not self.batch_norm)
            )
            if self.batch_norm:
                layers.append(nn.BatchNorm2d(out))
            layers.append(nn.ReLU(inplace=True))
            h = (h + 2 * pad - self.kernel_size) // self.stride + 1
            w = (w + 2 * pad - self.kernel_size) // self.stride + 1
            if h < 1 or w < 1:
                raise ConfigError(
                    f"cnn: {len(self.channels)} conv layers with kernel {self.kernel_size}, stride "
                    f"{self.stride} shrink {in_shape[1]}x{in_shape[2]} images to nothing"
                )
            if self.pool > 1 and min(h, w) >= self.pool:
                layers.append(nn.MaxPool2d(self.pool))
                h, w = h // self.pool, w // self.pool
            c = out
        layers += [nn.Flatten(), nn.Dropout(self.dropout)]
        features = c * h * w
        if self.hidden:
            layers += [
                nn.Linear(features, self.hidden),
                nn.ReLU(inplace=True),
                nn.Dropout(self.dropout),
            ]
            features = self.hidden
        layers.append(nn.Linear(features, n_classes))
        return nn.Sequential(*layers)


class MLPClassifier(TorchClassifier):
    """A dense feed-forward network on raw pixels: every hidden unit sees every pixel.

    Parameters
    ----------
    hidden : list of int
        Units per hidden layer.
    dropout : float
        Dropout after each hidden layer.
    """

    def __init__(
        self,
        hidden=(256, 128),
        dropout=0.2,
        epochs=30,
        batch_size=64,
        lr=3e-3,
        optimizer="adamw",
        weight_decay=5e-4,
        schedule="onecycle",
        label_smoothing=0.1,
        augment=True,
        shift=None,
        flip=False,
        device="auto",
        seed=0,
    ):
        self.hidden = hidden
        self.dropout = dropout
        self._set_common(
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
        )

    def check(self) -> None:
        super().check()
        if any(h < 1 for h in self.hidden):
            raise ConfigError(f"hidden: layer sizes must be positive, got {self.hidden}")
        check_upper("hidden", max(self.hidden, default=0), MAX_UNITS)
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout}")

    def build_module(self, in_shape, n_classes) -> nn.Module:
        c, h, w = in_shape
        layers: list[nn.Module] = [nn.Flatten()]
        features = c * h * w
        for units in self.hidden:
            layers += [nn.Linear(features, units), nn.ReLU(inplace=True), nn.Dropout(self.dropout)]
            features = units
        layers.append(nn.Linear(features, n_classes))
        return nn.Sequential(*layers)
