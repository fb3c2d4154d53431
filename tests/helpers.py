"""Plain helpers shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# One torch thread: the suite runs on shared cores, where spinning OpenMP threads cost 10-100x.
os.environ.setdefault("OMP_NUM_THREADS", "1")


def shared_data(*parts: str) -> Path | None:
    """`../shared/data/...` beside the project root (or beside a parent, for worktrees).

    FEATCMP_SHARED_DATA, when set, is the only place looked at (set it to '' to check skipping).
    """
    env = os.environ.get("FEATCMP_SHARED_DATA")
    roots = [Path(env)] if env else [p / "shared" / "data" for p in ROOT.parents]
    if env == "":
        return None
    for root in roots:
        if (root.joinpath(*parts)).exists():
            return root.joinpath(*parts)
    return None


def pattern_images(
    n_per_class: int, size: int = 12, n_classes: int = 4, seed: int = 0, rgb: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Easily separable uint8 images: class k is a bright bar at a class-specific place, plus noise.

    Returns images (n, size, size[, 3]) shuffled, and int64 labels 0..n_classes-1.
    """
    rng = np.random.default_rng(seed)
    n = n_per_class * n_classes
    y = np.repeat(np.arange(n_classes), n_per_class)
    X = rng.integers(0, 60, size=(n, size, size), dtype=np.uint8)
    third = max(1, size // 4)
    for i, k in enumerate(y):
        kind, pos = divmod(int(k), 2)
        lo = third if pos == 0 else size - 2 * third
        if kind % 2 == 0:
            X[i, lo : lo + third, :] = 230  # horizontal bar, top or bottom
        else:
            X[i, :, lo : lo + third] = 230  # vertical bar, left or right
    if rgb:
        X = np.stack([X, X[:, ::-1], 255 - X], axis=-1)
    order = rng.permutation(n)
    return X[order], y[order].astype(np.int64)


# A tiny saved featcmp network, for tests of what reads one (transfer_svm's backbone, the cnn's
# init_from) and for the registry-parametrised tests, which need a backbone for transfer_svm.
TINY_NET = {"channels": [4, 8], "hidden": 16, "epochs": 2, "batch_size": 16, "device": "cpu"}


def save_tiny_network(
    path: Path,
    n_classes: int = 4,
    rgb: bool = False,
    class_names: list[str] | None = None,
    **params,
) -> Path:
    """Train a tiny cnn on 16x16 bars (`pattern_images`), save it as `save_model` does (under
    `class_names`, bar0, bar1, ... by default)."""
    from featcmp.models.nets import CNNClassifier
    from featcmp.models.network_file import save_network
    from featcmp.models.saved import network_payload

    X, y = pattern_images(12, size=16, n_classes=n_classes, seed=1, rgb=rgb)
    net = CNNClassifier(**{**TINY_NET, **params}).fit(X / np.float32(255), y)
    names = class_names or [f"bar{k}" for k in range(n_classes)]
    config = {"dataset": {"source": "bars"}, "pipeline": {"name": "cnn"}}
    save_network(path, network_payload(net, names, "fingerprint-of-bars", config))
    return path


_TINY_BACKBONE: list[Path] = []


def tiny_backbone() -> Path:
    """One tiny saved network per test process (in a temporary folder), built on first use."""
    import tempfile

    if not _TINY_BACKBONE:
        folder = Path(tempfile.mkdtemp(prefix="featcmp-backbone-"))
        _TINY_BACKBONE.append(save_tiny_network(folder / "tiny.model.pt"))
    return _TINY_BACKBONE[0]
