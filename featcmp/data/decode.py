"""Decoding image files to arrays, one chunk of files per call so a process pool can run it.

Everything here returns plain values (arrays, tuples, strings) rather than raising, so a worker
process hands its results and per-file problems back to the parent in order.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# An RGB image counts as colour when some pixel's R-G or G-B differs by more than this (of 255):
# gray content saved as RGB (JPEG included) stays within it, real colour does not.
COLOUR_SPREAD = 8
ORIENTATION = 0x0112  # the EXIF tag a camera sets instead of rotating the pixels
HIGH_BIT_MODES = ("I;16", "I;16B", "I;16L", "I", "F")
GRAY_MODES = ("1", "L", "LA", "La", *HIGH_BIT_MODES)


@dataclass(frozen=True)
class DecodePlan:
    """How every file is decoded: colour ('gray', 'rgb' or 'auto') and target size (H, W).

    `crop` True: shorter side resized to the target, centre-cropped (a square target);
    False: resized to the target as is (dataset.image_size). `size` None keeps each file's size.
    """

    color: str
    size: tuple[int, int] | None = None
    crop: bool = False


def _unreadable() -> tuple[type[BaseException], ...]:
    """What a corrupt, truncated, non-image or oversized file raises while decoding."""
    from PIL import Image, UnidentifiedImageError

    return (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    )


def _bad(exc: BaseException) -> str:
    from PIL import Image

    if isinstance(exc, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        return f"too large to decode safely ({exc})"
    return f"not a readable image ({exc.__class__.__name__})"


def _open(path: Path):
    """PIL's lazy open with its decompression-bomb warning raised as an error."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        return Image.open(path)


def probe_chunk(paths: list[Path]) -> list[tuple[int, int] | str]:
    """Each file's (width, height) from its header alone, or why it cannot be read."""
    out: list[tuple[int, int] | str] = []
    for path in paths:
        try:
            with _open(path) as img:
                out.append(img.size)
        except _unreadable() as exc:
            out.append(_bad(exc))
    return out


def _flatten_alpha(img):
    """Composite transparency on white so transparent pixels are not arbitrary colours."""
    from PIL import Image

    rgba = img.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")


def _resize(img, plan: DecodePlan):
    from PIL import Image

    if plan.size is None:
        return img
    h, w = plan.size
    if plan.crop:
        side = min(img.size)
        left, top = (img.width - side) / 2, (img.height - side) / 2
        box = (left, top, left + side, top + side)
        return img.resize((w, h), Image.Resampling.BILINEAR, box=box)
    if img.size != (w, h):
        return img.resize((w, h), Image.Resampling.BILINEAR)
    return img


def _high_bit(img, plan: DecodePlan) -> np.ndarray:
    """16- and 32-bit gray scaled by the mode's range (PIL's 8-bit clipping never applies)."""
    from PIL import Image

    arr = np.asarray(img, dtype=np.float64)
    top = 65535.0 if img.mode.startswith("I;16") or arr.max(initial=0) <= 65535 else arr.max()
    unit = Image.fromarray(np.clip(arr / top, 0.0, 1.0).astype(np.float32))
    out = np.asarray(_resize(unit, plan), dtype=np.float32)
    return out if plan.color != "rgb" else np.repeat(out[..., None], 3, axis=-1)


def _channel_spread(rgb: np.ndarray) -> int:
    """The largest difference between two channels of one pixel (|R-G| or |G-B|; |R-B| is at
    most their sum). Plain differences: numpy's max over a last axis of 3 is ten times slower."""
    a = rgb.astype(np.int16)
    return int(max(np.abs(a[..., 0] - a[..., 1]).max(), np.abs(a[..., 1] - a[..., 2]).max()))


def decode_file(path: Path, plan: DecodePlan) -> np.ndarray:
    """One file as uint8 (or float32 in [0, 1] for 16/32-bit gray), (H, W) or (H, W, 3).

    Colour 'auto' gives (H, W) for gray content and (H, W, 3) for colour content."""
    with _open(path) as img:
        if img.format == "JPEG":
            # DCT-domain downscaling: decode at 1/2, 1/4 or 1/8 size, never below the target.
            want = "L" if plan.color == "gray" else "RGB"
            target = None
            if plan.size is not None:
                target = (plan.size[0], plan.size[0]) if plan.crop else plan.size[::-1]
            img.draft(want, target)
        img.load()
        if img.getexif().get(ORIENTATION, 1) != 1:  # a camera's rotation: show it upright
            from PIL import ImageOps

            img = ImageOps.exif_transpose(img)
        if img.mode in HIGH_BIT_MODES:
            return _high_bit(img, plan)
        if img.mode in ("RGBA", "LA", "La", "P", "PA", "RGBa") or "transparency" in img.info:
            img = _flatten_alpha(img)
        gray = plan.color == "gray" or (plan.color == "auto" and img.mode in GRAY_MODES)
        mode = "L" if gray else "RGB"
        img = _resize(img if img.mode == mode else img.convert(mode), plan)
        arr = np.asarray(img, dtype=np.uint8)
        if plan.color == "auto" and arr.ndim == 3 and _channel_spread(arr) <= COLOUR_SPREAD:
            arr = np.asarray(img.convert("L"), dtype=np.uint8)
        return arr


def decode_chunk(paths: list[Path], plan: DecodePlan) -> list[np.ndarray | str]:
    """Each file decoded by `plan`, or why it cannot be read."""
    out: list[np.ndarray | str] = []
    for path in paths:
        try:
            out.append(decode_file(path, plan))
        except _unreadable() as exc:
            out.append(_bad(exc))
    return out
