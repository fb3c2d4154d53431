"""`featcmp init` (a commented starting config) and `featcmp configs` (the bundled ones)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import typer

from featcmp.errors import FeatcmpError


def sift_fits(working_size: tuple[int, int], n_train: int | None) -> bool:
    """Whether dense SIFT's default patch fits the images and its training descriptors can
    make its default vocabulary (the check SIFTBagOfWords.fit makes); n_train None: unknown."""
    from featcmp.features.sift import SIFTBagOfWords, grid_points

    sift = SIFTBagOfWords()
    if min(working_size) < sift.patch_size:
        return False
    points = [len(grid_points(side, sift.patch_size, sift.step)) for side in working_size]
    return n_train is None or n_train * points[0] * points[1] >= sift.vocabulary_size


def scattering_fits(working_size: tuple[int, int]) -> bool:
    """Whether scattering_svm's default scales (2**J pixels) fit the images it will work on."""
    from featcmp.errors import DataError
    from featcmp.pipelines import build_pipeline

    try:
        build_pipeline("scattering_svm").steps[0][1].check_geometry(working_size)
    except DataError:
        return False
    return True


def pipelines_yaml(working_size: tuple[int, int], n_train: int | None = None) -> str:
    """The pipelines of a written config. HOG's cell is the one its `auto` rule picks for the
    working size, written out so the config says what runs; the epochs keep a first run to
    minutes on a laptop CPU."""
    from featcmp.features.hog import auto_pixels_per_cell

    cell = auto_pixels_per_cell(working_size)[0]
    h, w = working_size
    # Dense SIFT's bag of words, the strongest hand-crafted features on real photos (0.765
    # against 0.552 for raw pixels and 0.525 for HOG on one folder), where it fits.
    sift = (
        "  - sift_bovw_svm                 # dense SIFT -> k-means visual words -> histograms\n"
        if sift_fits(working_size, n_train)
        else ""
    )
    # Wavelet scattering, designed features that reach 0.70-0.82 on CIFAR-10 in the literature.
    scattering = (
        "  - scattering_svm                # wavelet scattering: fixed wavelets, modulus, average\n"
        if scattering_fits(working_size)
        else ""
    )
    return f"""\
pipelines:
  # Hand-crafted features + SVM: only the SVM learns.
  - raw_svm                       # every pixel is one input to the SVM
  - name: hog_svm                 # histograms of oriented gradients
    params:
      hog: {{pixels_per_cell: [{cell}, {cell}]}}  # for {h}x{w} images
{sift}{scattering}  # Learned features: the kernels are fitted by backpropagation.
  - name: cnn
    params: {{epochs: 20, flip: true}}  # flip: left-right mirrored copies while training
  - name: mlp
    params: {{epochs: 20}}
"""


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are YAML 1.2)."""
    return json.dumps(text, ensure_ascii=False)


def _comment(text: str) -> str:
    """Text safe to put after '#': one line, whatever a folder name holds."""
    return " ".join(text.split())


def _config_name(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.") or "mine"
    return name[:60]


def scenes_config() -> str:
    return (
        "# The built-in scenes (car, bus, monument, flower on sky and lawn), by featcmp init.\n"
        "# Run it: featcmp run THIS.yaml, then featcmp report runs. `featcmp list` names every\n"
        "# pipeline and source; `featcmp explain THIS.yaml` shows the networks layer by layer.\n"
        "name: scenes\n"
        "seed: 0\n"
        "dataset:\n"
        "  source: scenes\n"
        "  n_per_class: 250               # images per class (4 classes), generated\n"
        "  size: 32                       # side in pixels\n"
        "  rgb: true\n"
        "  difficulty: medium             # easy | medium | hard: position, scale, clutter, ...\n"
        "  test_size: 0.25                # held out, stratified, the same for every pipeline\n"
        + pipelines_yaml((32, 32))
    )


def folder_config(root: Path) -> str:
    """A commented config for an image folder, from what its files say."""
    from featcmp.data.survey import survey_folder

    root = root.expanduser()
    s = survey_folder(root)
    root = root.resolve()
    h, w = s.working_size
    counts = ", ".join(f"{c} {n}" for c, n in zip(s.classes, s.train_counts, strict=True))
    lines = [
        f"# {_comment(root.name)}: {len(s.classes)} classes of your images, by featcmp init.",
        "# Run it: featcmp run THIS.yaml, then featcmp report runs.",
        f"# Layout: {s.layout} ({_comment(s.split)}).",
        f"# Images per class{' in train/' if s.test_counts else ''}: {_comment(counts)}.",
    ]
    if s.test_counts:
        held = ", ".join(f"{c} {n}" for c, n in zip(s.classes, s.test_counts, strict=True))
        lines.append(f"# Held out ({s.layout.split('/')[1]}/): {_comment(held)}.")
    if s.unreadable:
        lines.append(f"# {s.unreadable} unreadable or non-image file(s) are skipped.")
    lines.append(f"# Size: {_comment(s.size.policy)}.")
    lines += [
        f"name: {_config_name(root.name)}",
        "seed: 0",
        "dataset:",
        "  source: folder",
        f"  path: {_quoted(str(root))}",
        f"  color: {'rgb' if s.colour else 'gray'}"
        f"                     # detected: {s.colour_note}; auto | gray | rgb",
        f"  # image_size: {min(h, w, 32)}               # working size now {h}x{w}; "
        "smaller is faster (resized, not cropped)",
    ]
    if s.test_counts is None:
        lines.append(
            "  test_size: 0.25                # held out, stratified, same for every pipeline"
        )
    else:
        lines.append(f"  # test images: {s.layout.split('/')[1]}/ as given (test_size is not used)")
    # test_size 0.25 holds a quarter out where the folder has no test split of its own.
    n_train = sum(s.train_counts) if s.test_counts else int(0.75 * sum(s.train_counts))
    return "\n".join(lines) + "\n" + pipelines_yaml(s.working_size, n_train)


def init(
    folder: Annotated[
        Path | None,
        typer.Argument(help="An image folder (one sub-folder per class, or train/ + test/)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Config file to write (default: NAME.yaml).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented config for FOLDER's images (or the built-in scenes) that runs as is."""
    from featcmp.config.load import parse_yaml
    from featcmp.files import atomic_write_text
    from featcmp.run.jobs import parse_config

    if out is not None and out.exists() and not force:  # before reading a large folder
        raise FeatcmpError(f"{out}: already exists; choose another --out, or --force to replace it")
    text = scenes_config() if folder is None else folder_config(folder)
    raw = parse_yaml(text)
    out = out or Path(f"{raw['name']}.yaml")
    if out.exists() and not force:
        raise FeatcmpError(f"{out}: already exists; choose another --out, or --force to replace it")
    if out.is_dir():
        raise FeatcmpError(f"{out}: is a folder; --out takes a file name")
    parse_config(raw, default_name=out.stem)  # what is written loads and names real pipelines
    text = text.replace("THIS.yaml", str(out))
    try:
        atomic_write_text(out, text)
    except OSError as exc:
        raise FeatcmpError(f"{out}: cannot write: {exc.strerror or exc}") from None
    typer.echo(f"wrote {out}; run it: featcmp run {out}", err=True)


def configs() -> None:
    """The configs bundled with featcmp, one line each: `featcmp run NAME` runs one."""
    from featcmp.config.load import bundled_configs, first_comment

    bundled = bundled_configs()
    if not bundled:
        raise FeatcmpError("no bundled configs found in this installation")
    width = max(len(n) for n in bundled)
    for name, path in bundled.items():
        typer.echo(f"{name:<{width}}  {first_comment(path)}")
