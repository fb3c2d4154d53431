"""The two networks of the lecture: a CNN (sparse, shared weights) and a dense MLP.

Both are size-aware, so a folder of large photos does not give them millions of parameters:
the CNN ends in average pooling to a fixed grid (1x1: global average pooling) and uses only
as many of its conv blocks as the image size needs; the MLP sees images averaged down to a
bounded area. What each chose for the data it was fitted on is kept as fitted attributes
(`input_size_`, `downsample_`, `n_blocks_`).
"""

from __future__ import annotations

import math
from typing import Any

from torch import nn

from featcmp.config.params import NON_NEGATIVE, Param, Range, Rule, declare
from featcmp.costs import NetCost
from featcmp.errors import ConfigError
from featcmp.features.base import downsample_factor as side_factor
from featcmp.models.training import SHARE, TorchClassifier

# Sane upper bounds: far above any useful network here, far below what exhausts memory.
MAX_CHANNELS, MAX_UNITS, MAX_WINDOW = 4096, 65_536, 64
WINDOW = Range(1, MAX_WINDOW)
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


def _padding_fits(padding: int | None, kernel_size: int) -> bool:
    return padding is None or padding < kernel_size


class CNNClassifier(TorchClassifier):
    """Conv blocks (conv -> batch norm -> ReLU, then max-pool), a pooled head and the output.

    With size-keeping convs (padding null, stride 1) a block of `channels` is used only while
    the map entering it is at least twice the pool window: an 8x8 digit uses two blocks of
    three, a 32x32 photo all three (`n_blocks_` says how many). `pool_early` max-pools straight
    after each block's first conv, before its norm, activation and further convs (as airbench
    does), which then run on a quarter of the positions (faster: see BENCHMARKS.md, "CNN
    training", session 4). The 'pool' head averages a last map of at least twice `grid` a side
    down to `grid` x `grid` cells, so the parameter count does not grow with the image area;
    smaller maps feed the dense layers whole (averaging a 7x7 map into 4x4 overlapping bins
    cost 4.6 points on a Fashion-MNIST subset, 0.760 against 0.806). A grid of 1 is global
    average pooling, which keeps what is in the image but not where; 4 keeps a coarse layout,
    which position-defined classes need (global pooling scored 0.50 where 4x4 scored 1.00 on
    bars at four places). 'flatten' is the lecture's textbook CNN, whose dense layer grows with
    the image.
    """

    # The cost model's figures (featcmp.costs.NetCost), recalibrated since channels-last on the
    # CPU and averaging large images down once before training, from six quiet 2-core fits
    # (CNN: 92 s on the photo folder, 63 s in `make run`, 160 s for the Fashion-MNIST recipe,
    # 750 s for CIFAR-10's; MLP: 5.7 s on the photo folder, 639 s on CIFAR-10): within 1.2x.
    cost = NetCost(2.0, 0.2, 4.1e-11, 1.0e-10)

    PARAMS = declare(
        channels=Param(tuple[int, ...], (32, 64, 128), "output channels of each conv block",
                       range=Range(1, MAX_CHANNELS), min_items=1),
        convs_per_block=Param(int, 1, "conv layers per block, all with its channels",
                              range=Range(1, 8)),
        kernel_size=Param(int, 3, "kernel side of every conv layer", range=WINDOW),
        stride=Param(int, 1, "stride of every conv layer", range=WINDOW),
        padding=Param(int | None, None, "zero padding of every conv (null: keep the size)",
                      range=Range(0, MAX_WINDOW)),
        pool=Param(int, 2, "max-pool window after each block (0 or 1: none)",
                   range=Range(0, MAX_WINDOW)),
        batch_norm=Param(bool, True, "batch normalisation after each conv"),
        pool_early=Param(bool, False,
                         "max-pool right after each block's first conv, before its norm (faster)"),
        head=Param(str, "pool", "'pool': average large last maps to a grid; 'flatten': keep all",
                   choices=HEADS),
        grid=Param(int, 4, "cells per side of the pooled head (1: global average pooling)",
                   range=Range(1, 16)),
        hidden=Param(int, 128, "units of the dense layer before the output (0: none)",
                     range=Range(0, MAX_UNITS)),
        dropout=Param(float, 0.25, "dropout before the dense layers", range=SHARE),
        max_size=Param(int, 64, "longer sides are averaged down by a whole factor first (0: never)",
                       range=NON_NEGATIVE),
    )  # fmt: skip
    RULES = (
        Rule(
            ("padding", "kernel_size"), _padding_fits,
            "padding must be null or below kernel_size ({kernel_size}), got {padding}",
        ),
    )  # fmt: skip

    def _pad(self) -> int:
        return self.kernel_size // 2 if self.padding is None else self.padding

    def _conv(self, side: int) -> int:
        """A side of the map after one conv layer."""
        return (side + 2 * self._pad() - self.kernel_size) // self.stride + 1

    def shape_plan(self, in_shape) -> dict[str, Any]:
        """Blocks used, working (height, width) and averaging factor for (C, H, W) images."""
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
                for _ in range(self.convs_per_block):
                    side = self._conv(side)
                side = side // self.pool if side >= self.pool else side
        return {"n_blocks": blocks, "input_size": (h, w), "downsample": factor}

    def _add_pool(self, layers: list[nn.Module], h: int, w: int) -> tuple[int, int]:
        """Append the block's max-pool (when the map is at least the window); the new size."""
        if self.pool > 1 and min(h, w) >= self.pool:
            layers.append(nn.MaxPool2d(self.pool))
            return h // self.pool, w // self.pool
        return h, w

    def build_module(self, in_shape, n_classes) -> nn.Module:
        plan = self.shape_plan(in_shape)
        (h, w), factor, blocks = plan["input_size"], plan["downsample"], plan["n_blocks"]
        c = in_shape[0]
        layers: list[nn.Module] = [nn.AvgPool2d(factor)] if factor > 1 else []
        for out in self.channels[:blocks]:
            for i in range(self.convs_per_block):
                layers.append(
                    nn.Conv2d(
                        c, out, self.kernel_size, self.stride, self._pad(), bias=not self.batch_norm
                    )
                )
                h, w = self._conv(h), self._conv(w)
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

    Images with more pixels (per channel) than `max_area` are averaged down by a whole factor
    first, so the first dense layer stays bounded; `input_size_` is the result.
    """

    # The cost model's figures: see CNNClassifier.
    cost = NetCost(0.2, 0.05, 6.5e-11, 2.0e-10)

    PARAMS = declare(
        hidden=Param(tuple[int, ...], (256, 128),
                     "units per hidden layer (an empty list: a linear model)",
                     range=Range(1, MAX_UNITS)),
        dropout=Param(float, 0.2, "dropout after each hidden layer", range=SHARE),
        max_area=Param(int, 32 * 32,
                       "more pixels a channel are averaged down by a whole factor first (0: never)",
                       range=NON_NEGATIVE),
    )  # fmt: skip

    def shape_plan(self, in_shape) -> dict[str, Any]:
        """Working (height, width) and averaging factor for (C, H, W) images."""
        _, h, w = in_shape
        factor = downsample_factor(h, w, max_area=self.max_area)
        return {"input_size": (h // factor, w // factor), "downsample": factor}

    def build_module(self, in_shape, n_classes) -> nn.Module:
        c = in_shape[0]
        plan = self.shape_plan(in_shape)
        (h, w), factor = plan["input_size"], plan["downsample"]
        layers: list[nn.Module] = [nn.AvgPool2d(factor)] if factor > 1 else []
        layers.append(nn.Flatten())
        features = c * h * w
        for units in self.hidden:
            layers += [nn.Linear(features, units), nn.ReLU(inplace=True), nn.Dropout(self.dropout)]
            features = units
        layers.append(nn.Linear(features, n_classes))
        return nn.Sequential(*layers)
