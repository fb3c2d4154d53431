"""The working size of a folder of images when dataset.image_size is not set.

Policy: images that all share one size, no side over MAX_SIDE, keep it. Otherwise (mixed sizes,
or larger photos) every image's shorter side is resized to one square side S and the image is
centre-cropped to S x S (no stretching). S is the median shorter side of the folder, rounded
to a multiple of 16 and capped at MAX_SIDE pixels, because time and memory of every pipeline
grow with the image area while photos rarely need more than that to tell classes apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_SIDE = 96
STEP = 16


@dataclass(frozen=True)
class SizeChoice:
    size: tuple[int, int] | None  # (H, W); None keeps every image's own (common) size
    crop: bool
    policy: str  # one line for the record and the stderr note


def choose_size(sizes: list[tuple[int, int]], image_size: tuple[int, int] | None) -> SizeChoice:
    """The target of `sizes` ((width, height) of every readable image), by the policy above."""
    if image_size is not None:
        return SizeChoice(
            image_size, False, f"dataset.image_size {image_size[0]}x{image_size[1]} (resized)"
        )
    distinct = set(sizes)
    if len(distinct) <= 1 and max(next(iter(distinct), (0, 0))) <= MAX_SIDE:
        w, h = next(iter(distinct), (0, 0))
        return SizeChoice(None, False, f"all images are {h}x{w}; kept")
    shorter = np.array([min(s) for s in sizes])
    median = int(np.median(shorter))
    side = int(min(MAX_SIDE, max(STEP, STEP * round(median / STEP)))) if median >= STEP else median
    side = max(side, 4)
    return SizeChoice(
        (side, side),
        True,
        f"{len(distinct)} image size(s) (shorter side {shorter.min()}..{shorter.max()}, median "
        f"{median}): shorter side resized to {side} and centre-cropped to {side}x{side} "
        f"(median rounded to a multiple of {STEP}, at most {MAX_SIDE}; "
        "set dataset.image_size to choose)",
    )


def working_size(choice: SizeChoice, sizes: list[tuple[int, int]]) -> tuple[int, int] | None:
    """(H, W) every image is read at: the chosen size, else the first image's (None: none)."""
    if choice.size is not None:
        return choice.size
    return (sizes[0][1], sizes[0][0]) if sizes else None
