"""The `folder` source: one sub-folder per class of PNG/JPEG images."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from featcmp.errors import DataError
from featcmp.models.guards import check_array_bytes


def _to_array(img, color: str) -> np.ndarray:
    """One PIL image as float32 in [0, 1], gray (H, W) or RGB (H, W, 3), whatever its mode."""
    from PIL import Image

    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16- and 32-bit gray: scale by the mode's range so PIL's 8-bit clipping never applies.
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or arr.max(initial=0) <= 65535 else arr.max()
        arr = np.clip(arr / top, 0.0, 1.0).astype(np.float32)
        return arr if color == "gray" else np.repeat(arr[..., None], 3, axis=-1)
    if img.mode in ("RGBA", "LA", "P", "PA") or "transparency" in img.info:
        # Composite transparency on white so transparent pixels are not arbitrary colours.
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba).convert("RGB")
    img = img.convert("L" if color == "gray" else "RGB")
    return np.asarray(img, dtype=np.float32) / np.float32(255.0)


def read_folder(
    root: Path, color: str, image_size: tuple[int, int] | None, on_bad_file: str
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read `root/<class>/<image>` files. Non-image and corrupt files are skipped or fatal."""
    from PIL import Image, UnidentifiedImageError

    if not root.exists():
        raise DataError(f"{root}: folder not found")
    if not root.is_dir():
        raise DataError(f"{root}: is a file; the folder source expects one sub-folder per class")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise DataError(f"{root}: no class sub-folders (expected e.g. {root}/car/*.png)")
    listing = {
        name: sorted(
            p for p in (root / name).iterdir() if p.is_file() and not p.name.startswith(".")
        )
        for name in classes
    }
    if image_size is not None:
        n = sum(map(len, listing.values()))
        check_array_bytes(
            f"{root}: {n} images of {image_size[0]}x{image_size[1]}",
            n * image_size[0] * image_size[1] * (3 if color == "rgb" else 1) * 4,
            "lower dataset.image_size or use fewer images",
        )
    images, labels, bad = [], [], []
    for label, name in enumerate(classes):
        files = listing[name]
        n_before = len(images)
        for file in files:
            try:
                with Image.open(file) as img:
                    img.load()
                    if image_size is not None and img.size != (image_size[1], image_size[0]):
                        img = img.resize((image_size[1], image_size[0]), Image.Resampling.BILINEAR)
                    images.append(_to_array(img, color))
                    labels.append(label)
            except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
                if on_bad_file == "fail":
                    raise DataError(
                        f"{file}: not a readable image ({exc.__class__.__name__})"
                    ) from None
                bad.append(file)
        if len(images) == n_before:
            raise DataError(f"{root / name}: class folder holds no readable images")
    if bad:
        print(
            f"warning: skipped {len(bad)} unreadable or non-image file(s) under {root}, "
            f"e.g. {bad[0]} (set dataset.on_bad_file: fail to stop instead)",
            file=sys.stderr,
        )
    shapes = sorted({a.shape for a in images})
    if len(shapes) > 1:
        shown = ", ".join("x".join(map(str, s[:2])) for s in shapes[:4])
        raise DataError(
            f"{root}: images have different sizes ({shown}); set dataset.image_size to resize them"
        )
    return np.stack(images), np.asarray(labels, dtype=np.int64), classes
