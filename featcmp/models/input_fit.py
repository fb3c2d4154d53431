"""Images fitted to a network trained elsewhere: its channels, its size, its normalisation.

A backbone takes images as it was trained on them: a CIFAR-10 network wants 32x32 RGB
standardised by CIFAR-10's statistics, an ImageNet ResNet 224x224 RGB with ImageNet's mean and
std. Gray images repeat to three channels (colour averages to gray for a gray network), the
image is resized (bilinear, antialiased when it shrinks), then normalised. What was done is
what `describe` says, and runs record it under `chosen`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from featcmp.errors import ConfigError


@dataclass(frozen=True)
class InputFit:
    """How (N, C, H, W) images in [0, 1] become a backbone's input."""

    channels: int  # the backbone's
    size: tuple[int, int]  # (H, W) the backbone's
    mean: tuple[float, ...] | None = None  # per channel of the backbone; None: none
    std: tuple[float, ...] | None = None
    normalisation: str = "none"  # where mean and std come from, in words

    def check(self, where: str) -> None:
        for name in ("mean", "std"):
            values = getattr(self, name)
            if values is not None and len(values) not in (1, self.channels):
                raise ConfigError(
                    f"{where}.{name}: {len(values)} values for a backbone of {self.channels} "
                    "channel(s); give one per channel"
                )
        if self.std is not None and min(self.std) <= 0:
            raise ConfigError(f"{where}.std: every value must be > 0, got {list(self.std)}")
        if (self.mean is None) != (self.std is None):
            raise ConfigError(f"{where}: give mean and std together, or neither")

    def channel_step(self, channels: int) -> str | None:
        """What happens to images of `channels` channels, or None (nothing)."""
        if channels == self.channels:
            return None
        if channels == 1:
            return f"gray repeated to {self.channels} channels"
        if self.channels == 1:
            return f"{channels} channels averaged to gray"
        raise ConfigError(
            f"images of {channels} channels cannot feed a backbone of {self.channels}; "
            "only gray <-> colour is fitted"
        )

    def describe(self, image_shape: tuple[int, ...]) -> dict[str, Any]:
        """What fitting does to (H, W[, C]) images, for `chosen`, explain and --dry-run."""
        h, w = int(image_shape[0]), int(image_shape[1])
        channels = int(image_shape[2]) if len(image_shape) == 3 else 1
        out: dict[str, Any] = {"input_size": [self.size[0], self.size[1]]}
        if (h, w) != self.size:
            out["resize"] = f"{h}x{w} -> {self.size[0]}x{self.size[1]}"
        step = self.channel_step(channels)
        if step:
            out["channels"] = step
        out["normalise"] = self.normalisation
        return out

    def apply(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) images in [0, 1] as the backbone's input."""
        step = self.channel_step(x.shape[1])
        if step is not None:
            x = x.expand(-1, self.channels, -1, -1) if x.shape[1] == 1 else x.mean(1, True)
        if tuple(x.shape[-2:]) != self.size:
            shrink = x.shape[-2] > self.size[0] or x.shape[-1] > self.size[1]
            x = F.interpolate(x, size=self.size, mode="bilinear", antialias=shrink)
        if self.mean is not None and self.std is not None:
            mean = torch.tensor(self.mean, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
            std = torch.tensor(self.std, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
            x = (x - mean) / std
        return x.contiguous()
