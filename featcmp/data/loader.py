"""The one dataset loader every pipeline goes through, so all see the same split."""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from featcmp.config import DatasetConfig
from featcmp.config.typed import from_dict
from featcmp.data.images import Images, check_images, to_unit_float
from featcmp.data.sources import SOURCES
from featcmp.errors import DataError


@dataclass
class Dataset:
    """A train/test split of float32 images in [0, 1], shape (n, H, W) or (n, H, W, C)."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str]
    fingerprint: str
    own_test_split: bool
    # The source's own account of what it chose (e.g. a folder's layout, split, colour, size).
    source_info: dict = field(default_factory=dict)

    @property
    def image_shape(self) -> tuple[int, ...]:
        return tuple(self.X_train.shape[1:])

    @cached_property
    def test_fingerprint(self) -> str:
        """Hash of the test part alone: equal for every training size and pipeline of a split."""
        return fingerprint(self.X_test, self.y_test)

    def summary(self) -> dict:
        return {
            "name": self.name,
            "fingerprint": self.fingerprint,
            "test_fingerprint": self.test_fingerprint,
            "n_train": len(self.y_train),
            "n_test": len(self.y_test),
            "image_shape": list(self.image_shape),
            "class_names": self.class_names,
            "own_test_split": self.own_test_split,
            **({"source_info": self.source_info} if self.source_info else {}),
        }


def hash_array(h, a: np.ndarray) -> None:
    """Feed an array's dtype, shape and bytes to hashlib object `h` (no copy when contiguous)."""
    a = np.ascontiguousarray(a)
    h.update(f"{a.dtype.str}{a.shape}".encode())
    h.update(memoryview(a).cast("B") if a.size else b"")


def fingerprint(*arrays: np.ndarray) -> str:
    """A content hash of arrays (shape, dtype and bytes): equal hashes mean equal data."""
    h = hashlib.sha256()
    for a in arrays:
        hash_array(h, a)
    return h.hexdigest()[:16]


def stratified_subset(y: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of a stratified random subset of size n (every class kept in proportion)."""
    if n >= len(y):
        return np.arange(len(y))
    classes, counts = np.unique(y, return_counts=True)
    # Largest-remainder allocation, at least one per class when n allows it.
    quota = counts * n / len(y)
    take = np.floor(quota).astype(int)
    if n >= len(classes):
        take = np.maximum(take, 1)
    order = np.argsort(-(quota - np.floor(quota)), kind="stable")
    i = 0
    while take.sum() < n:
        c = order[i % len(order)]
        if take[c] < counts[c]:
            take[c] += 1
        i += 1
    while take.sum() > n:
        c = int(np.argmax(take))
        take[c] -= 1
    picked = [
        rng.choice(np.flatnonzero(y == c), size=t, replace=False)
        for c, t in zip(classes, take, strict=True)
    ]
    return np.sort(np.concatenate(picked))


def stratified_split(
    y: np.ndarray, test_size: float, seed: int, class_names: list[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic stratified train/test indices from the seed."""
    classes, counts = np.unique(y, return_counts=True)
    if counts.min() < 2:
        few = classes[counts < 2][:3].tolist()
        if class_names is not None:
            few = [class_names[c] if 0 <= c < len(class_names) else c for c in few]
        raise DataError(
            f"class(es) {few} have fewer than 2 images; a stratified split needs 2 per class"
        )
    rng = np.random.default_rng(seed)
    n_test = max(len(classes), round(len(y) * test_size))
    n_test = min(n_test, len(y) - len(classes))
    test = stratified_subset(y, n_test, rng)
    train = np.setdiff1d(np.arange(len(y)), test)
    return train, test


def _validate(images: Images, name: str) -> Images:
    check_images(images.X, name)
    if len(images.X) != len(images.y):
        raise DataError(f"{name}: {len(images.X)} images but {len(images.y)} labels")
    if images.X_test is not None:
        check_images(images.X_test, f"{name} test split")
    return images


def check_path_exists(spec: DatasetConfig) -> None:
    """A missing dataset path with a `hint` is one line saying how to get the data; without a
    hint the source reports it in its own words."""
    if spec.hint and spec.path and not Path(spec.path).expanduser().exists():
        raise DataError(
            f"{spec.path}: dataset not found; to get it: {spec.hint} "
            "(or point to a copy: --set dataset.path=DIR)"
        )


def load_dataset(spec: DatasetConfig, seed: int = 0) -> Dataset:
    """Read a source, convert to float32 in [0, 1], split (stratified, from `seed`), subsample."""
    source = SOURCES[spec.source]
    check_path_exists(spec)
    options = from_dict(source.options, spec.options, "dataset")
    images = _validate(source.read(spec.path, options), spec.source)
    X = to_unit_float(images.X, spec.source)
    y = images.y
    if images.X_test is not None and images.y_test is not None:
        X_train, y_train = X, y
        X_test, y_test = to_unit_float(images.X_test, f"{spec.source} test split"), images.y_test
        own = True
    else:
        train, test = stratified_split(y, spec.test_size, seed, images.class_names)
        X_train, y_train, X_test, y_test = X[train], y[train], X[test], y[test]
        own = False
    if len(np.unique(y_train)) < 2:
        raise DataError(f"{spec.source}: the training set holds only one class; need at least two")
    rng = np.random.default_rng([seed, 1])
    if spec.max_train is not None and spec.max_train < len(y_train):
        keep = stratified_subset(y_train, spec.max_train, rng)
        X_train, y_train = X_train[keep], y_train[keep]
        if len(np.unique(y_train)) < 2:
            raise DataError(
                f"dataset.max_train={spec.max_train} leaves one class in the training set; "
                "need at least two"
            )
    if spec.max_test is not None and spec.max_test < len(y_test):
        keep = stratified_subset(y_test, spec.max_test, rng)
        X_test, y_test = X_test[keep], y_test[keep]
    if X.ndim == 4 and X.shape[-1] == 1:
        X_train, X_test = X_train[..., 0], X_test[..., 0]
    name = spec.source if not spec.path else f"{spec.source}:{spec.path.rstrip('/').split('/')[-1]}"
    for line in images.notes:
        print(line, file=sys.stderr)
    return Dataset(
        name=name,
        X_train=np.ascontiguousarray(X_train),
        y_train=y_train,
        X_test=np.ascontiguousarray(X_test),
        y_test=y_test,
        class_names=images.class_names,
        fingerprint=fingerprint(X_train, y_train, X_test, y_test),
        own_test_split=own,
        source_info=images.info,
    )


def subsample_train(ds: Dataset, size: int | float, seed: int) -> Dataset:
    """The same dataset with a stratified subset of its training set (test set untouched)."""
    n = round(size * len(ds.y_train)) if isinstance(size, float) else int(size)
    # A stratified subset keeps every class: never fewer images than classes.
    n = max(n, len(np.unique(ds.y_train)))
    if n >= len(ds.y_train):
        return ds
    keep = stratified_subset(ds.y_train, n, np.random.default_rng([seed, 2]))
    X, y = ds.X_train[keep], ds.y_train[keep]
    if len(np.unique(y)) < 2:
        raise DataError(f"train size {size} leaves one class in the training set; need two")
    return Dataset(
        ds.name,
        X,
        y,
        ds.X_test,
        ds.y_test,
        ds.class_names,
        fingerprint(X, y, ds.X_test, ds.y_test),
        ds.own_test_split,
        ds.source_info,
    )
