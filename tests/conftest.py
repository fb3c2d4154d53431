"""Shared fixtures: tiny synthetic images and writers for every on-disk format featcmp reads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import yaml

from featcmp.data.idx import write_idx
from tests.helpers import pattern_images, shared_data


@pytest.fixture
def tiny_gray() -> tuple[np.ndarray, np.ndarray]:
    """40 gray 12x12 uint8 images, 4 classes of 10."""
    return pattern_images(10)


@pytest.fixture
def tiny_float() -> tuple[np.ndarray, np.ndarray]:
    """48 gray 16x16 float32 images in [0, 1], 4 classes of 12 (pipeline input)."""
    X, y = pattern_images(12, size=16, seed=1)
    return (X / np.float32(255)).astype(np.float32), y


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Write a config (a mapping, or YAML text) to tmp_path/<name>.yaml; return its path."""

    def write(content: dict | str, name: str = "test") -> Path:
        path = tmp_path / f"{name}.yaml"
        text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def write_npz(tmp_path: Path) -> Callable[..., Path]:
    """Write arrays into tmp_path/<name>.npz; return its path."""

    def write(name: str = "data", **arrays: np.ndarray) -> Path:
        path = tmp_path / f"{name}.npz"
        np.savez(path, **arrays)
        return path

    return write


@pytest.fixture
def write_idx_pair(tmp_path: Path) -> Callable[..., tuple[Path, Path]]:
    """Write images and labels as an MNIST-style IDX pair under tmp_path/<folder>/."""

    def write(
        X: np.ndarray, y: np.ndarray, prefix: str = "train", folder: str = "idx", gz: bool = True
    ) -> tuple[Path, Path]:
        base = tmp_path / folder
        base.mkdir(exist_ok=True)
        ext = ".gz" if gz else ""
        images = base / f"{prefix}-images-idx3-ubyte{ext}"
        labels = base / f"{prefix}-labels-idx1-ubyte{ext}"
        write_idx(images, np.asarray(X, dtype=np.uint8))
        write_idx(labels, np.asarray(y, dtype=np.uint8))
        return images, labels

    return write


@pytest.fixture
def png_folder(tmp_path: Path) -> Callable[..., Path]:
    """Write a class-folder tree of PNGs (root/<class>/<i>.png) with PIL; return the root."""
    from PIL import Image

    def write(
        n_per_class: int = 4,
        classes: tuple[str, ...] = ("bus", "car", "flower"),
        size: tuple[int, int] = (10, 14),
        mode: str = "RGB",
        name: str = "images",
        seed: int = 0,
    ) -> Path:
        rng = np.random.default_rng(seed)
        root = tmp_path / name
        channels = {"RGB": 3, "L": 1, "RGBA": 4}[mode]
        for k, cls in enumerate(classes):
            (root / cls).mkdir(parents=True)
            for i in range(n_per_class):
                pixels = rng.integers(0, 256, size=(size[0], size[1], channels), dtype=np.uint8)
                pixels[..., 0] = np.uint8(60 * k)  # a class-specific first channel
                img = Image.fromarray(pixels[..., 0] if mode == "L" else pixels)
                img.save(root / cls / f"{i}.png")
        return root

    return write


@pytest.fixture
def mnist_dir() -> Path:
    """The shared MNIST t10k IDX files; skip when this machine has no ../shared."""
    path = shared_data("mnist")
    if path is None or not (path / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip("../shared/data/mnist is absent (a fresh clone has no shared data)")
    return path
