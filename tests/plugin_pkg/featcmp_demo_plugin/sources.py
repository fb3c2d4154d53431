"""The source `stripes`: horizontal against vertical stripes, with noise."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from featcmp.data.images import Images
from featcmp.data.sources import register_source


@dataclass
class StripesOptions:
    n_per_class: int = 30
    size: int = 12


@register_source("stripes", StripesOptions, "horizontal vs vertical stripes (a plugin)")
def read_stripes(path: str | None, options: StripesOptions) -> Images:
    rng = np.random.default_rng(0)
    n, s = options.n_per_class, options.size
    rows = (np.arange(s) // 2 % 2).astype(np.float32)
    horizontal = np.repeat(rows[:, None], s, axis=1)
    X = np.concatenate([np.repeat(horizontal[None], n, 0), np.repeat(horizontal.T[None], n, 0)])
    X = np.clip(X + rng.normal(0, 0.2, X.shape), 0, 1).astype(np.float32)
    y = np.repeat(np.arange(2), n).astype(np.int64)
    return Images(X, y, ["horizontal", "vertical"])
