"""`featcmp export`: a saved featcmp network's feature extractor as a `torch.export` file.

The exported program takes images in [0, 1], (N, C, H, W) at the network's input size, any
batch size, and returns the features a `transfer_svm` backbone gives: its own normalisation,
then the network up to its pooled, flattened maps. So `backbone: {file: OUT.pt2}` (no size, mean
or std) gives the same features as `backbone: {model: MODEL}`, and any torch program can load it.
"""

from __future__ import annotations

import io
from pathlib import Path

import torch
from torch import nn

from featcmp.errors import ConfigError
from featcmp.files import atomic_write_bytes
from featcmp.models.saved import frozen_trunk

EXAMPLE_BATCH = 2


class Normalised(nn.Module):
    """(x - mean) / std, then the body: the input stays images in [0, 1]."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor, body: nn.Module) -> None:
        super().__init__()
        self.register_buffer("mean", mean.reshape(1, -1, 1, 1).clone())
        self.register_buffer("std", std.reshape(1, -1, 1, 1).clone())
        self.body = body

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body((x - self.mean) / self.std)


def feature_program(model: str | Path) -> tuple[torch.export.ExportedProgram, tuple[int, ...]]:
    """The exported feature extractor of a saved network, and the input shape (C, H, W)."""
    _, body, fit = frozen_trunk(model, "MODEL")
    mean = torch.tensor(fit.mean if fit.mean is not None else [0.0] * fit.channels)
    std = torch.tensor(fit.std if fit.std is not None else [1.0] * fit.channels)
    module = Normalised(mean, std, body).train(False)
    shape = (fit.channels, *fit.size)
    example = torch.rand(EXAMPLE_BATCH, *shape)
    batch = torch.export.Dim("batch", min=1, max=1 << 16)
    try:
        program = torch.export.export(module, (example,), dynamic_shapes=({0: batch},))
    except Exception as exc:  # pragma: no cover - a network torch.export cannot trace
        raise ConfigError(f"MODEL: {model}: torch.export failed ({str(exc)[:160]})") from None
    return program, shape


def export_features(model: str | Path, out: Path) -> tuple[int, ...]:
    """Write the feature extractor of `model` to `out` (atomically); its input shape."""
    if out.suffix != ".pt2":
        raise ConfigError(f"--out: {out}: a torch export file ends in .pt2")
    program, shape = feature_program(model)
    buffer = io.BytesIO()
    torch.export.save(program, buffer)
    atomic_write_bytes(out, buffer.getvalue())
    return shape
