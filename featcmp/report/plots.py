"""The report's pictures, as PNG bytes drawn with matplotlib's Agg canvas (no display, no pyplot).

Everything comes from run records: accuracies, confusion matrices, and the small `artifacts` the
runner stores (first-layer kernels, HOG pictures, misclassified thumbnails). Per dataset: accuracy
bars, learning curves (when several training sizes ran), confusion matrices, learned kernels beside
the hand-coded one, HOG pictures and misclassified examples.
"""

from __future__ import annotations

import base64
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from matplotlib.figure import Figure

from featcmp.families import LEARNED_SIDE, canonical, side
from featcmp.families import display as family_display
from featcmp.families import hues as family_hues
from featcmp.records import HogSample, LayerKernels, Record
from featcmp.report.ladder import interval_bounds, ladder_datasets, ladder_rows
from featcmp.report.perclass import class_names as names_of_classes
from featcmp.report.table import Row

DPI = 100
# One colour per pipeline, the same in every plot and table, from its family's hues
# (featcmp.families): hand-crafted cool (blues, greens), fixed random grays, learned without
# labels purples, learned end to end warm (oranges, reds).
COLOUR_NOTE = (
    "One colour per pipeline in every plot: blues and greens for hand-crafted features + SVM, "
    "grays for fixed random kernels, purples for features learned without labels, "
    "oranges and reds for features learned end to end."
)


def pipeline_colours(rows: list[Row]) -> dict[str, str]:
    """Pipeline -> colour: within a family by name, so a pipeline keeps it across datasets."""
    families: dict[str, set[str]] = {}
    for r in rows:
        families.setdefault(canonical(r.family) or "", set()).add(r.pipeline)
    colours: dict[str, str] = {}
    for family, names in sorted(families.items()):
        hues = family_hues(family)
        for i, name in enumerate(sorted(names)):
            colours.setdefault(name, hues[i % len(hues)])
    return colours


@dataclass
class Plot:
    """One picture of the report: `name` is its file stem (safe as a file name)."""

    name: str
    kind: str
    title: str
    caption: str
    png: bytes
    dataset: str = ""


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "dataset"


def to_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    return buf.getvalue()


def decode_png(b64: str) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(base64.b64decode(b64))))


def bare_axes(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def show_image(ax, img: np.ndarray, vmax: float) -> None:
    """One image, gray or RGB, pixel for pixel on a fixed value range."""
    ax.imshow(
        img, cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=vmax, interpolation="nearest"
    )


def accuracy_bars(rows: list[Row], dataset: str, colours: dict[str, str]) -> bytes:
    """Mean accuracy per pipeline with one standard deviation as error bar."""
    fig = Figure(figsize=(1.0 + 1.1 * len(rows), 3.6))
    ax = fig.subplots()
    x = np.arange(len(rows))
    ax.bar(
        x,
        [r.accuracy_mean for r in rows],
        yerr=[r.accuracy_std for r in rows],
        capsize=4,
        color=[colours[r.pipeline] for r in rows],
    )
    for i, r in enumerate(rows):
        ax.text(i, 0.02, f"{r.accuracy_mean:.3f}\nn={r.runs}", ha="center", va="bottom", size=8)
    ax.set_xticks(x, [r.pipeline for r in rows], rotation=20, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("test accuracy")
    ax.set_title(f"{dataset}, {rows[0].n_train} training images (mean ± std over seeds)", size=10)
    return to_png(fig)


def ladder_plot(rows: list[Row], dataset: str, colours: dict[str, str]) -> bytes:
    """Accuracy of each rung with its 95% interval, climbing from nothing learned to all."""
    fig = Figure(figsize=(1.6 + 0.9 * len(rows), 3.8))
    ax = fig.subplots()
    x = np.arange(len(rows))
    low, high = zip(*(interval_bounds(r) for r in rows), strict=True)
    for i, r in enumerate(rows):
        ax.errorbar(
            i, r.accuracy_mean, yerr=[[low[i]], [high[i]]], marker="o", markersize=8,
            capsize=4, color=colours[r.pipeline], linestyle="none",
        )  # fmt: skip
        ax.text(i, 0.03, family_display(r.family), ha="center", va="bottom", size=7, rotation=90)
    ax.plot(x, [r.accuracy_mean for r in rows], color="#BBBBBB", linewidth=1, zorder=0)
    ax.set_xticks(x, [r.pipeline for r in rows], rotation=20, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("test accuracy")
    ax.set_xlabel("nothing learned  →  everything learned")
    ax.set_title(f"The ladder on {dataset}, {rows[0].n_train} training images", size=10)
    return to_png(fig)


def learning_curves(rows: list[Row], dataset: str, colours: dict[str, str]) -> bytes:
    """Accuracy against training-set size, log x, one line per pipeline."""
    fig = Figure(figsize=(6.4, 4.0))
    ax = fig.subplots()
    for pipeline in sorted({r.pipeline for r in rows}):
        pts = sorted(
            (r.n_train, r.accuracy_mean, r.accuracy_std, r.family)
            for r in rows
            if r.pipeline == pipeline and r.runs
        )
        if not pts:
            continue
        n, mean, std, family = zip(*pts, strict=True)
        ax.errorbar(
            n,
            mean,
            yerr=std,
            marker="o",
            capsize=3,
            linestyle="-" if side(family[0]) == LEARNED_SIDE else "--",
            color=colours[pipeline],
            label=pipeline,
        )
    ax.set_xscale("log")
    sizes = sorted({r.n_train for r in rows})
    ax.set_xticks(sizes, [str(n) for n in sizes])  # the sizes that ran, not powers of ten
    ax.minorticks_off()
    ax.set_xlabel("training images (log scale)")
    ax.set_ylabel("test accuracy")
    ax.set_title(f"{dataset}: learning curves (dashed: hand-crafted)", size=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return to_png(fig)


def short_label(name: str, limit: int = 12) -> str:
    """A class name short enough for a tick label; the full names are in the per-class table."""
    return name if len(name) <= limit else name[: limit - 1] + "…"


def confusion_matrices(
    records: dict[str, list[Record]], class_names: list[str], colours: dict[str, str]
) -> bytes:
    """Row-normalised confusion matrix per pipeline, summed over its seeds.

    Cells keep a readable size whatever the class count: few classes get big cells with their
    values written in, many classes smaller ones with every k-th label, so labels never overlap.
    """
    names = sorted(records)
    k = len(class_names)
    cell = 0.34 if k <= 12 else max(0.12, 4.8 / k)  # inches per class
    label_size = 8 if k <= 12 else 6
    # Every k-th label, so a label's height (x labels: at 45 degrees) fits its cells.
    step = max(1, math.ceil(label_size / 72 * 1.3 / (cell * 0.7)))
    side = cell * k + 1.4  # the matrix plus its tick labels
    cols = max(1, min(3, len(names), int(14 // side)))
    rows = -(-len(names) // cols)
    fig = Figure(figsize=(side * cols, side * rows + 0.3), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    labels = [short_label(c) for c in class_names]
    ticks = np.arange(0, k, step)
    for ax, name in zip(axes, names, strict=False):
        cm = np.sum([np.asarray(r.confusion_matrix) for r in records[name]], axis=0)
        norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
        ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
        colour = colours.get(name, "#222222")
        runs = len(records[name])
        ax.set_title(f"{name} ({runs} run{'s' * (runs != 1)})", size=9, color=colour, weight="bold")
        for spine in ax.spines.values():
            spine.set(color=colour, linewidth=2)
        ax.set_xticks(
            ticks, [labels[t] for t in ticks], rotation=45, ha="right", rotation_mode="anchor"
        )
        ax.set_yticks(ticks, [labels[t] for t in ticks])
        ax.tick_params(labelsize=label_size, length=2)
        ax.set_xlabel("predicted", size=8)
        ax.set_ylabel("true", size=8)
        if k <= 12:
            for (i, j), v in np.ndenumerate(norm):
                if cm[i, j]:
                    ax.text(
                        j,
                        i,
                        f"{v:.2f}",
                        ha="center",
                        va="center",
                        size=7,
                        color="white" if v > 0.5 else "black",
                    )
    for ax in axes[len(names) :]:
        ax.set_axis_off()
    return to_png(fig)


def kernels_figure(kernels: LayerKernels, pipeline: str, colour: str = "#222222") -> bytes:
    """The hand-coded reference kernel beside the CNN's learned first-layer kernels."""
    weights = np.asarray(kernels.weights, dtype=float)
    ref = np.asarray(kernels.reference.weights, dtype=float)
    cols = min(8, len(weights))
    rows = -(-len(weights) // cols)
    fig = Figure(figsize=(2.8 + 0.9 * cols, 1.0 + 0.9 * max(rows, 2)), layout="constrained")
    grid = fig.add_gridspec(max(rows, 2), cols + 2, width_ratios=[2, 0.3] + [1] * cols)
    ax = fig.add_subplot(grid[:, 0])
    span = np.abs(ref).max()
    ax.imshow(ref, cmap="RdBu_r", vmin=-span, vmax=span)
    for (i, j), v in np.ndenumerate(ref):
        ax.text(
            j,
            i,
            f"{v:g}",
            ha="center",
            va="center",
            size=9,
            color="white" if abs(v) > span / 2 else "black",
        )
    ax.set_title(f"hand-coded\n{kernels.reference.name}", size=9)
    bare_axes(ax)
    for n, k in enumerate(weights):
        ax = fig.add_subplot(grid[n // cols, 2 + n % cols])
        # Summed over input channels: the kernel's response to a gray pattern, drawn on the
        # same red/blue scale as the hand-coded kernel so the two compare directly.
        picture = k.sum(axis=0)
        span = np.abs(picture).max() or 1.0
        ax.imshow(picture, cmap="RdBu_r", vmin=-span, vmax=span)
        bare_axes(ax)
    shape = "x".join(map(str, kernels.shape))
    fig.suptitle(
        f"{pipeline}: learned first-layer kernels ({shape}) vs the hand-coded one",
        size=10,
        color=colour,
    )
    return to_png(fig)


def _image_grid(
    rows: list[tuple[str, list[tuple[np.ndarray, str]]]],
    title: str,
    colours: dict[str, str] | None = None,
) -> bytes:
    """A grid of labelled images, one labelled row per entry (in its colour when it has one)."""
    cols = max(1, max(len(items) for _, items in rows))
    fig = Figure(figsize=(1.4 + 1.1 * cols, 0.5 + 1.25 * len(rows)))
    axes = fig.subplots(len(rows), cols, squeeze=False)
    for r, (label, items) in enumerate(rows):
        axes[r, 0].set_ylabel(label, size=8, color=(colours or {}).get(label, "#222222"))
        for c in range(cols):
            ax = axes[r, c]
            bare_axes(ax)
            if c >= len(items):
                ax.set_frame_on(False)
                continue
            img, caption = items[c]
            show_image(ax, img, vmax=255)
            ax.set_title(caption, size=7)
    fig.suptitle(title, size=10)
    return to_png(fig)


def hog_figure(samples: list[HogSample], class_names: list[str], pipeline: str) -> bytes:
    images = [(decode_png(s.image), class_names[s.label]) for s in samples]
    hogs = [(decode_png(s.hog), f"HOG (drawn x{s.scale})") for s in samples]
    return _image_grid(
        [("image", images), ("HOG", hogs)],
        f"{pipeline}: what HOG sees (oriented gradients per cell)",
    )


def misclassified_figure(
    records: dict[str, Record], class_names: list[str], colours: dict[str, str]
) -> bytes:
    rows = []
    for name in sorted(records):
        labels = [short_label(c, 9) for c in class_names]
        items = [
            (decode_png(m.image), f"{labels[m.true]}→{labels[m.pred]}")
            for m in records[name].artifacts.misclassified
        ]
        rows.append((name, items))
    return _image_grid(
        rows, "misclassified test images (true → predicted), one row per pipeline", colours
    )


def representative(records: list[Record]) -> dict[str, Record]:
    """Per pipeline, the run at the largest training size with the smallest seed."""
    best: dict[str, Record] = {}
    for r in sorted(records, key=lambda r: (-r.n_train, r.seed)):
        best.setdefault(r.pipeline, r)
    return best


@dataclass
class DatasetView:
    """What the plots of one dataset are drawn from: its rows that ran, and its finished runs at
    the largest training size (one representative run per pipeline for the pictures)."""

    dataset: str
    ran: list[Row]
    at_top: list[Record]
    colours: dict[str, str]

    @property
    def largest(self) -> int:
        return max(r.n_train for r in self.ran)

    @cached_property
    def class_names(self) -> list[str] | None:
        return names_of_classes(self.at_top)

    @cached_property
    def with_confusion(self) -> dict[str, list[Record]]:
        by_pipeline: dict[str, list[Record]] = {}
        for r in self.at_top:
            if r.confusion_matrix:
                by_pipeline.setdefault(r.pipeline, []).append(r)
        return by_pipeline

    @cached_property
    def reps(self) -> dict[str, Record]:
        return representative(self.at_top)

    def colour(self, pipeline: str) -> str:
        return self.colours.get(pipeline, "#222222")


@dataclass(frozen=True)
class PlotSpec:
    """One kind of picture: for which subjects of a dataset it is drawn (`subjects`: [""] for
    one picture of the whole dataset, pipeline names for one per pipeline, none: not drawn),
    its title and caption, and its drawing of the dataset's view and a subject. A new plot is
    one more entry in PLOT_SPECS."""

    kind: str
    subjects: Callable[[DatasetView], list[str]]
    title: str  # {dataset}, {largest} (training size) and {subject} are filled in
    caption: str
    draw: Callable[[DatasetView, str], bytes]


def whole(holds: Callable[[DatasetView], object]) -> Callable[[DatasetView], list[str]]:
    """One picture of the dataset when `holds(view)` is true."""
    return lambda v: [""] if holds(v) else []


def with_artifact(name: str) -> Callable[[DatasetView], list[str]]:
    """The pipelines whose representative run holds artifact `name` (class names known)."""
    return lambda v: [
        p for p, r in sorted(v.reps.items()) if v.class_names and getattr(r.artifacts, name)
    ]


def hog_of_first(v: DatasetView) -> bytes:
    """HOG pictures of the first pipeline (by name) whose run holds them."""
    p = with_artifact("hog_samples")(v)[0]
    return hog_figure(v.reps[p].artifacts.hog_samples or [], v.class_names or [], p)


def at_largest(v: DatasetView) -> list[Row]:
    return [r for r in v.ran if r.n_train == v.largest]


PLOT_SPECS = (
    PlotSpec(
        "ladder",
        whole(lambda v: v.dataset in ladder_datasets(v.ran)),
        "The ladder on {dataset}",
        "Test accuracy of each rung at {largest} training images with its 95% interval, from "
        "designed features (only the SVM learns) through fixed random kernels and features "
        f"learned without labels to networks learned end to end. {COLOUR_NOTE}",
        lambda v, _: ladder_plot(ladder_rows(v.ran, v.dataset), v.dataset, v.colours),
    ),
    PlotSpec(
        "learning-curve",
        whole(lambda v: len({r.n_train for r in v.ran}) > 1),
        "Learning curves on {dataset}",
        "Test accuracy against training-set size on the same test set; error bars: one "
        f"standard deviation over seeds. {COLOUR_NOTE}",
        lambda v, _: learning_curves(v.ran, v.dataset, v.colours),
    ),
    PlotSpec(
        "accuracy",
        whole(lambda v: True),
        "Accuracy on {dataset}",
        "Mean test accuracy at {largest} training images; error bars: one standard deviation "
        f"over seeds; n = runs. {COLOUR_NOTE}",
        lambda v, _: accuracy_bars(at_largest(v), v.dataset, v.colours),
    ),
    PlotSpec(
        "confusion",
        whole(lambda v: v.with_confusion and v.class_names),
        "Confusion matrices on {dataset}",
        "Rows: true class, normalised to 1; summed over seeds at {largest} training images.",
        lambda v, _: confusion_matrices(v.with_confusion, v.class_names or [], v.colours),
    ),
    PlotSpec(
        "kernels",
        with_artifact("first_layer_kernels"),
        "{subject}: learned kernels on {dataset}",
        "Left: the lecture's hand-coded edge detector (8 at the centre, -1 around). Right: the "
        "first conv layer's kernels, learned by backpropagation, summed over input channels "
        "(red positive, blue negative, each on its own scale).",
        lambda v, p: kernels_figure(v.reps[p].artifacts.first_layer_kernels, p, v.colour(p)),
    ),
    PlotSpec(
        "hog",
        whole(with_artifact("hog_samples")),
        "HOG pictures on {dataset}",
        "Test images and scikit-image's picture of their HOG descriptor: the dominant "
        "gradient orientations per cell, which is all the SVM sees.",
        lambda v, _: hog_of_first(v),
    ),
    PlotSpec(
        "misclassified",
        whole(with_artifact("misclassified")),
        "Misclassified examples on {dataset}",
        "The first misclassified test images of one run per pipeline (largest training size, "
        "smallest seed), true → predicted.",
        lambda v, _: misclassified_figure(
            {p: v.reps[p] for p in with_artifact("misclassified")(v)},
            v.class_names or [],
            v.colours,
        ),
    ),
)


def dataset_plots(
    dataset: str, rows: list[Row], records: list[Record], colours: dict[str, str]
) -> list[Plot]:
    """Every picture for one dataset, the headline first; those no record has data for are out."""
    ok = [r for r in records if r.status == "ok"]
    ran = [r for r in rows if r.runs]
    if not ok or not ran:
        return []
    largest = max(r.n_train for r in ran)
    view = DatasetView(dataset, ran, [r for r in ok if r.n_train == largest], colours)
    stem = slug(dataset)
    plots = []
    for spec in PLOT_SPECS:
        for subject in spec.subjects(view):
            name = f"{spec.kind}-{stem}" + (f"-{slug(subject)}" if subject else "")
            fill = {"dataset": dataset, "largest": largest, "subject": subject}
            title, caption = spec.title.format(**fill), spec.caption.format(**fill)
            plots.append(Plot(name, spec.kind, title, caption, spec.draw(view, subject), dataset))
    return plots


def all_plots(rows: list[Row], records: list[Record]) -> list[Plot]:
    colours = pipeline_colours(rows)
    plots: list[Plot] = []
    for dataset in sorted({r.dataset for r in rows}):
        plots += dataset_plots(
            dataset,
            [r for r in rows if r.dataset == dataset],
            [r for r in records if r.dataset.name == dataset],
            colours,
        )
    return plots


HEADLINE_KINDS = ("learning-curve", "accuracy")


def headline_plots(plots: list[Plot]) -> list[Plot]:
    """Per dataset, the one picture that answers the question: its learning curve where it has
    one (accuracy at every training size), else its accuracy bars."""
    best: dict[str, Plot] = {}
    for p in plots:
        if p.kind in HEADLINE_KINDS:
            held = best.get(p.dataset)
            if held is None or HEADLINE_KINDS.index(p.kind) < HEADLINE_KINDS.index(held.kind):
                best[p.dataset] = p
    return [p for p in plots if best.get(p.dataset) is p]
