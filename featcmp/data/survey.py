"""What an image folder holds, for `featcmp init`: the loader's own layout, size and colour rules.

Layout and classes come from `folder_layout.find_layout`, the working size from
`size_policy.choose_size` over every file's header (fast: no pixels decoded), and colour from
`decode.decode_file` in 'auto' mode on a sample of files per class, so the config written says
what the `folder` source will do when it reads the whole folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from featcmp.data.decode import DecodePlan, decode_file, probe_chunk
from featcmp.data.folder_layout import find_layout
from featcmp.data.size_policy import SizeChoice, choose_size, working_size
from featcmp.errors import DataError

COLOUR_SAMPLE = 20  # files per class decoded to tell colour from gray (at a small size)


@dataclass(frozen=True)
class FolderSurvey:
    root: Path
    layout: str  # "classes", "train/test" or "train/val"
    split: str  # how the loader splits it (folder_layout.Layout.split)
    classes: list[str]
    train_counts: list[int]
    test_counts: list[int] | None
    unreadable: int
    size: SizeChoice
    working_size: tuple[int, int]  # (H, W) every image is read at
    colour: bool  # any sampled image has colour: the 'auto' colour reads RGB
    colour_note: str


def survey_folder(root: Path) -> FolderSurvey:
    """Survey `root` as the `folder` source will read it; one-line DataErrors for bad folders."""
    layout = find_layout(root)
    groups, files = layout.groups, layout.files
    probed = probe_chunk(files)
    readable = {f: p for f, p in zip(files, probed, strict=True) if not isinstance(p, str)}
    if not readable:
        raise DataError(f"{root}: no readable images")
    for group in groups:
        for class_files in group:
            if not any(f in readable for f in class_files):
                raise DataError(f"{class_files[0].parent}: class folder holds no readable images")
    sizes = list(readable.values())
    choice = choose_size(sizes, None)
    working = working_size(choice, sizes)
    sampled = n_colour = 0
    plan = DecodePlan("auto", (16, 16), True)  # colour survives a thumbnail; it is fast
    for class_files in layout.train:
        for f in [f for f in class_files if f in readable][:COLOUR_SAMPLE]:
            try:
                n_colour += decode_file(f, plan).ndim == 3
            except Exception:  # a header that probes but does not decode: the loader skips it
                continue
            sampled += 1
    return FolderSurvey(
        root=root,
        layout=layout.kind,
        split=layout.split,
        classes=layout.classes,
        train_counts=[sum(f in readable for f in c) for c in layout.train],
        test_counts=None
        if layout.test is None
        else [sum(f in readable for f in c) for c in layout.test],
        unreadable=len(files) - len(readable),
        size=choice,
        working_size=working,
        colour=n_colour > 0,
        colour_note=f"{n_colour} of {sampled} sampled images have colour",
    )
