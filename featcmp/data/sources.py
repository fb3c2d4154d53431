"""Dataset sources, by name: each reads images and labels; the loader splits them.

A source is a function `(path, options) -> Images` plus a dataclass of its options, which sit
beside `source:` and `path:` in a config's `dataset:` mapping.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np

from featcmp.data.images import Images, labels_to_int
from featcmp.errors import ConfigError, DataError
from featcmp.plugins import Registry


@dataclass(frozen=True)
class Source:
    name: str
    read: Callable[[str | None, Any], Images]
    options: type
    summary: str


def check_plugin_source(name: str, source: Any) -> None:
    """What every built-in source satisfies: a reader and a dataclass of options."""
    if not isinstance(source, Source):
        raise ConfigError("not registered with featcmp.data.sources.register_source")
    if not callable(source.read):
        raise ConfigError("its reader is not callable")
    if not (isinstance(source.options, type) and is_dataclass(source.options)):
        raise ConfigError("its options must be a dataclass (the keys beside `source:`)")


# Built-in sources below; other packages' through the `featcmp.sources` entry points
# (featcmp.plugins), loaded on the first read.
SOURCES: Registry = Registry("featcmp.sources", "source")
SOURCES.check = check_plugin_source


def register_source(name: str, options: type, summary: str):
    """Decorator: add a reader to the source registry under `name`."""

    def wrap(read: Callable[[str | None, Any], Images]) -> Callable[[str | None, Any], Images]:
        SOURCES[name] = Source(name, read, options, summary)
        return read

    return wrap


def require_path(path: str | None, source: str, hint: str) -> Path:
    if not path:
        raise ConfigError(f"dataset.path: source '{source}' needs a path ({hint})")
    return Path(path).expanduser()


@dataclass
class NoOptions:
    pass


@register_source("digits", NoOptions, "scikit-learn's bundled 8x8 handwritten digits (1797 images)")
def read_digits(path: str | None, options: NoOptions) -> Images:
    from sklearn.datasets import load_digits

    digits = load_digits()
    # Pixel values are counts 0..16 of an 4x4 block; scale by that range.
    X = (digits.images / 16.0).astype(np.float32)
    return Images(X, digits.target.astype(np.int64), [str(n) for n in digits.target_names])


@register_source(
    "faces", NoOptions, "scikit-image's bundled LFW subset: 100 faces, 100 non-faces, 25x25"
)
def read_faces(path: str | None, options: NoOptions) -> Images:
    from skimage.data import lfw_subset

    X = np.clip(lfw_subset(), 0.0, 1.0).astype(np.float32)
    y = np.r_[np.zeros(100), np.ones(100)].astype(np.int64)  # documented order: faces first
    return Images(X, y, ["face", "non-face"])


@dataclass
class IdxOptions:
    images: str | None = None
    labels: str | None = None
    test_images: str | None = None
    test_labels: str | None = None
    class_names: list[str] | None = None


def _find_idx(folder: Path, prefix: str, kind: str) -> Path | None:
    pattern = re.compile(rf"^{prefix}[-_.]{kind}[-_.]idx\d[-_.]ubyte(\.gz)?$")
    hits = sorted(p for p in folder.iterdir() if pattern.match(p.name))
    return hits[0] if hits else None


@register_source(
    "idx", IdxOptions, "MNIST-format IDX files (MNIST, Fashion-MNIST, KMNIST), .gz or not"
)
def read_idx_source(path: str | None, options: IdxOptions) -> Images:
    from featcmp.data.idx import read_idx_pair

    base = Path(path).expanduser() if path else None
    if base is not None and not base.exists():
        raise DataError(f"{base}: dataset folder not found")
    files = {
        key: (base / value if base is not None and not Path(value).is_absolute() else Path(value))
        for key, value in vars(options).items()
        if key != "class_names" and value
    }
    if base is not None and base.is_dir() and "images" not in files:
        # Discover the standard names: train-* for training, t10k-* for the test split.
        for prefix, im_key, lb_key in (
            ("train", "images", "labels"),
            ("t10k", "test_images", "test_labels"),
        ):
            im, lb = _find_idx(base, prefix, "images"), _find_idx(base, prefix, "labels")
            if im and lb:
                files.setdefault(im_key, im)
                files.setdefault(lb_key, lb)
        if "images" not in files and "test_images" in files:
            # Only the test split is present (e.g. MNIST's t10k files): use it and re-split.
            files["images"], files["labels"] = files.pop("test_images"), files.pop("test_labels")
    if "images" not in files or "labels" not in files:
        raise ConfigError(
            "dataset: source 'idx' needs a folder holding train-/t10k- images and labels "
            "(dataset.path) or explicit dataset.images and dataset.labels files"
        )
    X, y = read_idx_pair(files["images"], files["labels"])
    names = options.class_names
    y, class_names = labels_to_int(y, names, str(files["labels"]))
    if "test_images" in files and "test_labels" in files:
        X_test, y_test = read_idx_pair(files["test_images"], files["test_labels"])
        if X_test.shape[1:] != X.shape[1:]:
            raise DataError(f"test images are {X_test.shape[1:]} but training images {X.shape[1:]}")
        y_test, test_names = labels_to_int(y_test, names, str(files["test_labels"]))
        if len(test_names) > len(class_names):  # numbered classes only the test split holds
            class_names = test_names
        return Images(X, y, class_names, X_test, y_test)
    return Images(X, y, class_names)


@register_source(
    "cifar10", NoOptions, "CIFAR-10, binary version: data_batch_*.bin, test_batch.bin, or .tar.gz"
)
def read_cifar10_source(path: str | None, options: NoOptions) -> Images:
    from featcmp.data.cifar10 import read_cifar10

    return read_cifar10(require_path(path, "cifar10", "cifar-10-binary.tar.gz or its folder"))


@dataclass
class FolderOptions:
    color: str = "auto"  # auto: RGB when any image has colour, else gray
    image_size: int | list[int] | None = None
    on_bad_file: str = "skip"

    def __post_init__(self) -> None:
        if self.color not in ("auto", "gray", "rgb"):
            raise ConfigError(f"dataset.color: must be 'auto', 'gray' or 'rgb', got '{self.color}'")
        if self.on_bad_file not in ("skip", "fail"):
            raise ConfigError(
                f"dataset.on_bad_file: must be 'skip' or 'fail', got '{self.on_bad_file}'"
            )
        size = self.size
        if size is not None and not all(4 <= s <= 4096 for s in size):
            raise ConfigError(
                f"dataset.image_size: each side must be 4..4096 pixels, got {self.image_size}"
            )

    @property
    def size(self) -> tuple[int, int] | None:
        if self.image_size is None:
            return None
        if isinstance(self.image_size, int):
            return (self.image_size, self.image_size)
        if len(self.image_size) != 2:
            raise ConfigError(f"dataset.image_size: expected N or [H, W], got {self.image_size}")
        return (self.image_size[0], self.image_size[1])


@register_source(
    "folder",
    FolderOptions,
    "your images: one sub-folder per class of PNG/JPEG files, or train/ with test/ or val/",
)
def read_folder_source(path: str | None, options: FolderOptions) -> Images:
    from featcmp.data.folder import read_folder

    root = require_path(path, "folder", "a folder with one sub-folder per class")
    return read_folder(root, options.color, options.size, options.on_bad_file)


@register_source("npz", NoOptions, "a NumPy .npz file with arrays X, y and optionally class_names")
def read_npz(path: str | None, options: NoOptions) -> Images:
    from featcmp.data.npz import read_npz_arrays

    file = require_path(path, "npz", "a .npz file with arrays X and y")
    X, y, names = read_npz_arrays(file)
    y, class_names = labels_to_int(y, names, str(file))
    return Images(X, y, class_names)


@dataclass
class ScenesOptions:
    """The procedural scenes of `featcmp.data.scenes`; unset nuisance ranges follow `difficulty`."""

    n_per_class: int = 250
    size: int = 32
    rgb: bool = True
    difficulty: str = "medium"
    data_seed: int = 0
    position: float | None = None
    scale: float | list[float] | None = None
    rotation: float | None = None
    flip: bool | None = None
    object_colour: float | None = None
    background: float | None = None
    lighting: float | list[float] | None = None
    clutter: int | None = None
    noise: float | None = None
    occlusion: float | None = None
    clouds: bool | None = None  # n_per_class, size and data_seed: bounded by the generator


@register_source(
    "scenes",
    ScenesOptions,
    "generated car/bus/monument/flower scenes on sky and lawn (the lecture's task)",
)
def read_scenes(path: str | None, options: ScenesOptions) -> Images:
    from featcmp.data.scenes import CLASS_NAMES, SceneRanges, check_sizes, generate_scenes
    from featcmp.memory import check_array_bytes

    check_sizes(options.n_per_class, options.data_seed, options.size)
    n, side = len(CLASS_NAMES) * options.n_per_class, options.size
    check_array_bytes(
        f"dataset: {n} scenes of {side}x{side}{' RGB' if options.rgb else ''}",
        n * side * side * (3 if options.rgb else 1) * 4,
        "lower dataset.n_per_class or dataset.size",
    )
    overrides = {  # the options named like SceneRanges' fields
        f.name: getattr(options, f.name)
        for f in fields(SceneRanges)
        if getattr(options, f.name) is not None
    }
    # The images depend on data_seed only; the experiment's seed picks the split.
    X, y, names = generate_scenes(
        n_per_class=options.n_per_class,
        size=options.size,
        rgb=options.rgb,
        difficulty=options.difficulty,
        seed=options.data_seed,
        **overrides,
    )
    return Images(X, y, list(names))
