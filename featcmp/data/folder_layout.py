"""Which image-folder layout a root holds: class folders, or train/ beside test/ or val/."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from featcmp.errors import DataError

LAYOUTS = (
    "understood layouts: ROOT/<class>/<image>, ROOT/train/<class>/<image> with "
    "ROOT/test/<class>/<image>, or ROOT/train/<class>/<image> with ROOT/val/<class>/<image>"
)
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm"}


@dataclass
class Layout:
    """The files of each split, by class; `test` is None when the loader must split."""

    kind: str  # "classes", "train/test" or "train/val"
    classes: list[str]
    train: list[list[Path]]  # per class, in class order
    test: list[list[Path]] | None
    note: str = ""

    @property
    def groups(self) -> list[list[list[Path]]]:
        """The splits present (train, then test if given), each per class."""
        return [self.train] if self.test is None else [self.train, self.test]

    @property
    def files(self) -> list[Path]:
        """Every file, split by split and class by class (the order results are kept in)."""
        return [f for group in self.groups for class_files in group for f in class_files]

    @property
    def split(self) -> str:
        if self.test is None:
            return "stratified re-split of ROOT/<class>/ (dataset.test_size)"
        held_out = self.kind.split("/")[1]
        return f"given: train/ for training, {held_out}/ for testing"


def _visible(folder: Path) -> tuple[list[Path], list[Path]]:
    """Sorted non-hidden (sub-folders, files) of `folder`."""
    try:
        entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    except OSError as exc:
        raise DataError(f"{folder}: cannot list: {exc.strerror or exc}") from None
    return [p for p in entries if p.is_dir()], [p for p in entries if p.is_file()]


def _class_files(split_root: Path) -> dict[str, list[Path]]:
    """`split_root/<class>/<image>` files by class name; deeper nesting is refused."""
    dirs, files = _visible(split_root)
    if not dirs:
        if any(f.suffix.lower() in IMAGE_SUFFIXES for f in files):
            raise DataError(f"{split_root}: holds images but no class sub-folders; {LAYOUTS}")
        raise DataError(
            f"{split_root}: no class sub-folders (expected e.g. {split_root}/car/*.png)"
        )
    out = {}
    for d in dirs:
        sub, class_files = _visible(d)
        if sub:
            raise DataError(f"{d}: holds sub-folder '{sub[0].name}', nested too deep; {LAYOUTS}")
        if not class_files:
            raise DataError(f"{d}: class folder is empty")
        out[d.name] = class_files
    return out


def _split_folders(root: Path) -> dict[str, Path] | None:
    """{'train': .., 'test'/'val': ..} when `root` holds train/ beside test/ or val/ (any case),
    and train/ holds class folders; None for a plain class-folder root (a class may be 'train')."""
    dirs, _ = _visible(root)
    by_name = {d.name.lower(): d for d in dirs}
    if "train" not in by_name or not set(by_name) <= {"train", "test", "val"}:
        return None
    if not _visible(by_name["train"])[0]:
        return None  # train/ holds images: a class named 'train'
    if len(by_name) == 1:
        raise DataError(f"{root}: train/ has no test/ or val/ beside it; {LAYOUTS}")
    return by_name


def find_layout(root: Path) -> Layout:
    """The layout under `root`, with its files; one-line DataErrors for anything else."""
    if not root.exists():
        raise DataError(f"{root}: folder not found")
    if not root.is_dir():
        raise DataError(f"{root}: is a file; the folder source expects one sub-folder per class")
    splits = _split_folders(root)
    if splits is None:
        by_class = _class_files(root)
        classes = sorted(by_class)
        return Layout("classes", classes, [by_class[c] for c in classes], None)
    held_out = "test" if "test" in splits else "val"
    train, test = _class_files(splits["train"]), _class_files(splits[held_out])
    if set(train) != set(test):
        only_train, only_test = sorted(set(train) - set(test)), sorted(set(test) - set(train))
        raise DataError(
            f"{root}: train/ and {held_out}/ hold different classes "
            f"(only in train/: {only_train or 'none'}; only in {held_out}/: {only_test or 'none'})"
        )
    classes = sorted(train)
    note = "val/ is not read (train/ and test/ are used)" if len(splits) == 3 else ""
    return Layout(
        f"train/{held_out}",
        classes,
        [train[c] for c in classes],
        [test[c] for c in classes],
        note,
    )
