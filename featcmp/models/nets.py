"""The two networks of the lecture: a CNN (sparse, shared weights) and a dense MLP.

Both are size-aware, so a folder of large photos does not give them millions of parameters:
the CNN ends in average pooling to a fixed grid (1x1: global average pooling) and uses only
as many of its conv blocks as the image size needs; the MLP sees images averaged down to a
bounded area. What each chose for the data it was fitted on is kept as fitted attributes
(`input_size_`, `downsample_`, `n_blocks_`).
"""

from __future__ import annotations

import math

from torch import nn

from featcmp.errors import ConfigError
from featcmp.features.base import downsample_factor as side_factor
from featcmp.models.guards import check_upper
from featcmp.models.training import TorchClassifier, _is_int

# Sane upper bounds: far above any useful network here, far below what exhausts memory.
MAX_CHANNELS, MAX_UNITS, MAX_WINDOW = 4096, 65_536, 64
HEADS = ("pool", "flatten")


def downsample_factor(h: int, w: int, max_side: int = 0, max_area: int = 0) -> int:
    """Smallest whole factor f with (h / f) <= max_side (both sides) and (h/f)(w/f) <= max_area.

    0 means no bound. Averaging f x f pixels into one is the same area resize for every image.
    """
    f = side_factor((h, w), max_side)
    if max_area and h * w > max_area:
        f = max(f, math.ceil(math.sqrt(h * w / max_area)))
        while (h // f) * (w // f) > max_area:
            f += 1
    return f


class CNNClassifier(TorchClassifier):
    """Conv blocks (conv -> batch norm -> ReLU, then max-pool), a pooled head and the output.

    Parameters
    ----------
    channels : list of int
        Output channels of each conv block: the deepest the network may be. With size-keeping
        convs (padding None, stride 1) a block is used only while the map entering it is at
        least twice the pool window (an 8x8 digit uses two blocks of three, a 32x32 photo all
        three); `n_blocks_` says how many were used.
    convs_per_block : int
        Conv layers per block (all with the block's channels).
    kernel_size, stride : int
        Of every conv layer.
    padding : int or None
        Zero padding of every conv layer; None keeps the size ('same' for odd kernels).
    pool : int
        Max-pool window after each block (skipped once the map is smaller than the window).
    batch_norm : bool
        Batch normalisation after each conv.
    pool_early : bool
        Max-pool straight after each block's first conv, before its norm, activation and
        further convs (as airbench does), which then run on a quarter of the positions: x1.28
        the images/s for channels 32/64 on 28 px images on 2 CPU cores.
    head : {'pool', 'flatten'}
        'pool': a last map of at least 2 `grid` per side is averaged down to `grid` x `grid`
        cells, so the parameter count does not grow with the image area; smaller maps feed the
        dense layers whole (averaging a 7x7 map into 4x4 overlapping bins cost 4.6 points on a
        Fashion-MNIST subset, 0.760 against 0.806); 'flatten': every position of the last map
        feeds the dense layers (the lecture's textbook CNN, whose dense layer grows with it).
    grid : int
        Cells per side of the pooled head: 1 is global average pooling, which keeps what is in
        the image but not where; 4 (the default) keeps a coarse layout, which position-defined
        classes need (global pooling scored 0.50 where 4x4 scored 1.00 on bars at four places).
    hidden : int
        Units of the dense layer before the output (0 for none).
    dropout : float
        Dropout before the dense layers.
    max_size : int
        Images with a side longer than this are averaged down by a whole factor first (0: never).
    """

    def __init__(
        self,
        *,
        channels: tuple[int, ...] = (32, 64, 128),
        convs_per_block: int = 1,
        kernel_size: int = 3,
        stride: int = 1,
        padding: int | None = None,
        pool: int = 2,
        batch_norm: bool = True,
        pool_early: bool = False,
        head: str = "pool",
        grid: int = 4,
        hidden: int = 128,
        dropout: float = 0.25,
        max_size: int = 64,
        epochs: int = 30,
        batch_size: int | str = "auto",
        lr: float = 3e-3,
        optimizer: str = "adamw",
        weight_decay: float = 5e-4,
        norm_lr_scale: float = 1.0,
        schedule: str = "onecycle",
        label_smoothing: float = 0.1,
        augment: bool = True,
        shift: int | None = None,
        flip: bool = False,
        tta: bool = False,
        precision: str = "auto",
        layout: str = "auto",
        compile: bool = False,
        device: str = "auto",
        seed: int = 0,
    ) -> None:
        self.channels = channels
        self.convs_per_block = convs_per_block
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.pool = pool
        self.batch_norm = batch_norm
        self.pool_early = pool_early
        self.head = head
        self.grid = grid
        self.hidden = hidden
        self.dropout = dropout
        self.max_size = max_size
        self._set_common(
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            optimizer=optimizer,
            weight_decay=weight_decay,
            norm_lr_scale=norm_lr_scale,
            schedule=schedule,
            label_smoothing=label_smoothing,
            augment=augment,
            shift=shift,
            flip=flip,
            tta=tta,
            precision=precision,
            layout=layout,
            compile=compile,
            device=device,
            seed=seed,
        )

    def check(self) -> None:
        super().check()
        if not self.channels or min(self.channels) < 1:
            raise ConfigError(
                f"channels: expected a non-empty list of positive ints, got {self.channels}"
            )
        if self.kernel_size < 1 or self.stride < 1 or self.pool < 0 or self.hidden < 0:
            raise ConfigError("kernel_size and stride must be >= 1; pool and hidden >= 0")
        if not _is_int(self.convs_per_block) or not 1 <= self.convs_per_block <= 8:
            raise ConfigError(f"convs_per_block must be 1..8, got {self.convs_per_block!r}")
        if not _is_int(self.max_size) or self.max_size < 0:
            raise ConfigError(f"max_size must be 0 (no limit) or positive, got {self.max_size!r}")
        if not _is_int(self.grid) or not 1 <= self.grid <= 16:
            raise ConfigError(f"grid must be 1..16, got {self.grid!r}")
        if self.head not in HEADS:
            raise ConfigError(f"head: unknown '{self.head}'; choose from {', '.join(HEADS)}")
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

    def _plan(self, in_shape) -> tuple[int, int, int, int]:
        """(downsample factor, working height, width, blocks used) for (C, H, W) images."""
        _, h, w = in_shape
        factor = downsample_factor(h, w, max_side=self.max_size)
        h, w = h // factor, w // factor
        blocks = len(self.channels)
        # Depth follows the size for size-keeping convs; a geometry set by hand (padding,
        # stride) is taken as written, and refused if it shrinks the images to nothing.
        if self.pool > 1 and self.padding is None and self.stride == 1:
            side, blocks = min(h, w), 0
            while blocks < len(self.channels):
                if blocks and side < 2 * self.pool:
                    break  # a block past the first pays only while there is a map to pool
                blocks += 1
                side = self._conv_side(side)
                side = side // self.pool if side >= self.pool else side
        return factor, h, w, blocks

    def _conv_side(self, side: int) -> int:
        pad = self.kernel_size // 2 if self.padding is None else self.padding
        for _ in range(self.convs_per_block):
            side = (side + 2 * pad - self.kernel_size) // self.stride + 1
        return side

    def _record_shape_choices(self, in_shape) -> None:
        factor, h, w, blocks = self._plan(in_shape)
        self.input_size_ = (h, w)
        self.downsample_ = factor
        self.n_blocks_ = blocks

    def _add_pool(self, layers: list[nn.Module], h: int, w: int) -> tuple[int, int]:
        """Append the block's max-pool (when the map is at least the window); the new size."""
        if self.pool > 1 and min(h, w) >= self.pool:
            layers.append(nn.MaxPool2d(self.pool))
            return h // self.pool, w // self.pool
        return h, w

    def build_module(self, in_shape, n_classes) -> nn.Module:
        factor, h, w, blocks = self._plan(in_shape)
        c = in_shape[0]
        pad = self.kernel_size // 2 if self.padding is None else self.padding
        layers: list[nn.Module] = [nn.AvgPool2d(factor)] if factor > 1 else []
        for out in self.channels[:blocks]:
            for i in range(self.convs_per_block):
                layers.append(
                    nn.Conv2d(c, out, self.kernel_size, self.stride, pad, bias=not self.batch_norm)
                )
                h = (h + 2 * pad - self.kernel_size) // self.stride + 1
                w = (w + 2 * pad - self.kernel_size) // self.stride + 1
                if h < 1 or w < 1:
                    raise ConfigError(
                        f"cnn: {blocks * self.convs_per_block} conv layers with kernel "
                        f"{self.kernel_size}, stride {self.stride} shrink "
                        f"{in_shape[1]}x{in_shape[2]} images to nothing"
                    )
                if self.pool_early and i == 0:
                    h, w = self._add_pool(layers, h, w)
                if self.batch_norm:
                    layers.append(nn.BatchNorm2d(out))
                layers.append(nn.ReLU(inplace=True))
                c = out
            if not self.pool_early:
                h, w = self._add_pool(layers, h, w)
        if self.head == "pool" and min(h, w) >= 2 * self.grid:
            layers.append(nn.AdaptiveAvgPool2d(self.grid))
            h = w = self.grid
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
    max_area : int
        Images with more pixels (per channel) than this are averaged down by a whole factor
        first, so the first dense layer stays bounded (0: never); `input_size_` is the result.
    """

    def __init__(
        self,
        *,
        hidden: tuple[int, ...] = (256, 128),
        dropout: float = 0.2,
        max_area: int = 32 * 32,
        epochs: int = 30,
        batch_size: int | str = "auto",
        lr: float = 3e-3,
        optimizer: str = "adamw",
        weight_decay: float = 5e-4,
        norm_lr_scale: float = 1.0,
        schedule: str = "onecycle",
        label_smoothing: float = 0.1,
        augment: bool = True,
        shift: int | None = None,
        flip: bool = False,
        tta: bool = False,
        precision: str = "auto",
        layout: str = "auto",
        compile: bool = False,
        device: str = "auto",
        seed: int = 0,
    ) -> None:
        self.hidden = hidden
        self.dropout = dropout
        self.max_area = max_area
        self._set_common(
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            optimizer=optimizer,
            weight_decay=weight_decay,
            norm_lr_scale=norm_lr_scale,
            schedule=schedule,
            label_smoothing=label_smoothing,
            augment=augment,
            shift=shift,
            flip=flip,
            tta=tta,
            precision=precision,
            layout=layout,
            compile=compile,
            device=device,
            seed=seed,
        )

    def check(self) -> None:
        super().check()
        if any(h < 1 for h in self.hidden):
            raise ConfigError(f"hidden: layer sizes must be positive, got {self.hidden}")
        check_upper("hidden", max(self.hidden, default=0), MAX_UNITS)
        if not _is_int(self.max_area) or self.max_area < 0:
            raise ConfigError(f"max_area must be 0 (no limit) or positive, got {self.max_area!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout}")

    def _record_shape_choices(self, in_shape) -> None:
        _, h, w = in_shape
        self.downsample_ = downsample_factor(h, w, max_area=self.max_area)
        self.input_size_ = (h // self.downsample_, w // self.downsample_)

    def build_module(self, in_shape, n_classes) -> nn.Module:
        c, h, w = in_shape
        factor = downsample_factor(h, w, max_area=self.max_area)
        layers: list[nn.Module] = [nn.AvgPool2d(factor)] if factor > 1 else []
        layers.append(nn.Flatten())
        features = c * (h // factor) * (w // factor)
        for units in self.hidden:
            layers += [nn.Linear(features, units), nn.ReLU(inplace=True), nn.Dropout(self.dropout)]
            features = units
        layers.append(nn.Linear(features, n_classes))
        return nn.Sequential(*layers)
