"""Batch augmentation that stays on the batch's device: random translations and flips.

Random numbers come from a `torch.Generator` on the same device, so nothing crosses to the
host inside the training loop and a fixed seed gives the same batches every time.
"""

from __future__ import annotations

import torch
from torch import nn


def random_translate(x: torch.Tensor, shift: int, gen: torch.Generator) -> torch.Tensor:
    """Shift each image by up to `shift` pixels per axis (edge values fill the border)."""
    n, c, h, w = x.shape
    padded = nn.functional.pad(x, (shift,) * 4, mode="replicate")
    dy = torch.randint(0, 2 * shift + 1, (n, 1), generator=gen, device=x.device)
    dx = torch.randint(0, 2 * shift + 1, (n, 1), generator=gen, device=x.device)
    rows = (dy + torch.arange(h, device=x.device)).view(n, 1, h, 1)
    cols = (dx + torch.arange(w, device=x.device)).view(n, 1, 1, w)
    # Two gathers (rows, then columns) cut each image at its own offset in one pass.
    out = padded.gather(2, rows.expand(n, c, h, w + 2 * shift))
    return out.gather(3, cols.expand(n, c, h, w))


def random_flip(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Mirror about half of the images left-right."""
    mask = torch.rand(len(x), generator=gen, device=x.device) < 0.5
    return torch.where(mask.view(-1, 1, 1, 1), x.flip(-1), x)
