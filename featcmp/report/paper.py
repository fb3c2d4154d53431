"""docs/results.md: our accuracies next to published ones, with settings, time and machine.

`make paper` runs the paper configs and then `featcmp paper RUNS --out FILE`. Each dataset is
a section with its own run line (machine, software, wall time, date); sections whose records
are not in RUNS are kept as the existing FILE has them, so one dataset can be re-run alone.
Published figures live here, with their source and protocol, keyed by config name and row.
Reads records only: no scikit-learn, no torch.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from featcmp.errors import FeatcmpError
from featcmp.files import atomic_write_text
from featcmp.provenance import machine
from featcmp.records import Record, load_records
from featcmp.report.table import build_rows


@dataclass(frozen=True)
class Published:
    """A published accuracy (or a range) and the protocol it was measured under."""

    low: float
    high: float
    source: str
    n_train: int = 60_000
    n_test: int = 10_000

    def text(self) -> str:
        def num(x: float) -> str:  # as published: 0.897, 0.9905
            return f"{x:.3f}" if round(x, 3) == x else f"{x:.4f}"

        return num(self.low) if self.low == self.high else f"{num(self.low)}-{num(self.high)}"


XIAO = "Xiao et al. 2017, Table 3 (mean of 5 runs)"
COATES = "Coates, Lee, Ng 2011 (AISTATS), k-means single-layer features"
CIFAR_ANCHOR = "commonly cited baseline, approximate"
FMNIST_README = "Fashion-MNIST README benchmark"
LECUN = "LeCun et al. 1998"
BRUNA = "Bruna and Mallat 2013 (TPAMI), translation scattering + Gaussian SVM"
KYMATIO = "Kymatio's CIFAR-10 example (Andreux et al. 2020)"
JPEG_NOTE = (
    "The shared CIFAR-10 copy is rebuilt from a JPEG re-encode of the images, so every row "
    "here can sit 1-3 points below what the official files give."
)


@dataclass(frozen=True)
class Section:
    """One dataset's part of the page: its title, the config it is run from (relative to the
    repository root), the published figures by row, and a note under its table."""

    title: str
    config: str
    published: dict[str, Published]
    note: str = ""


# Keyed by config name, in page order.
SECTIONS: dict[str, Section] = {
    "paper-fashion-mnist": Section(
        "Fashion-MNIST (Xiao et al. 2017; Fashion-MNIST benchmark)",
        "configs/paper/fashion-mnist.yaml",
        {
            "rbf_svc": Published(0.897, 0.897, f"{XIAO}: SVC C=10, RBF kernel"),
            "linear_svc": Published(0.839, 0.839, f"{XIAO}: LinearSVC"),
            "mlp_100": Published(0.871, 0.871, f"{XIAO}: MLPClassifier, 100 hidden units"),
            "hog_svm": Published(0.926, 0.926, f"{FMNIST_README}: HOG + SVM"),
            "cnn": Published(0.90, 0.93, f"{FMNIST_README}: small CNNs, 2-3 conv layers"),
        },
    ),
    "paper-mnist": Section(
        "MNIST (LeCun et al. 1998)",
        "configs/paper/mnist.yaml",
        {
            "rbf_svc": Published(0.986, 0.986, f"{LECUN}: SVM, Gaussian kernel (1.4% error)"),
            "lenet5": Published(0.9905, 0.9905, f"{LECUN}: LeNet-5 (0.95% error)"),
            "mlp_300": Published(0.953, 0.984, f"{LECUN}: 2-layer NN, 300-1000 hidden units"),
            "scattering_svm": Published(0.9957, 0.9957, f"{BRUNA}: 0.43% error"),
        },
    ),
    "cifar10": Section(
        "CIFAR-10 (Krizhevsky 2009; hand-crafted baselines and Coates et al. 2011)",
        "configs/cifar10.yaml",
        {
            "raw_svm": Published(0.54, 0.54, f"{CIFAR_ANCHOR}: RBF SVM on raw pixels", 50_000),
            "hog_svm": Published(0.62, 0.62, f"{CIFAR_ANCHOR}: HOG + kernel SVM", 50_000),
        },
        note=(
            f"Also published: {COATES}, 0.796 (4000 features, official files): features "
            "learned without labels by k-means on image patches, then a linear SVM, the point "
            f"between hand-crafted features and a CNN trained end to end. {JPEG_NOTE}"
        ),
    ),
    "cifar10-ladder": Section(
        "CIFAR-10 ladder (the lecture's rungs: designed, learned without labels, fixed random, "
        "learned)",
        "configs/cifar10-ladder.yaml",
        {
            "raw_svm": Published(0.54, 0.54, f"{CIFAR_ANCHOR}: RBF SVM on raw pixels", 50_000),
            "hog_svm": Published(0.62, 0.62, f"{CIFAR_ANCHOR}: HOG + kernel SVM", 50_000),
            "kmeans_svm": Published(
                0.779,
                0.796,
                f"{COATES}: 0.779 with 1,600 centroids, 0.796 with 4,000 (ours: 1,600 and "
                "their mirrors, summed over 3 x 3 regions, square-rooted, summed with the mirror "
                "image's)",
                50_000,
            ),
            "scattering_svm": Published(
                0.705,
                0.705,
                f"{KYMATIO}: J=2 translation scattering + a linear classifier",
                50_000,
            ),
        },
        note=(
            "Also published: roto-translation scattering with a Gaussian SVM, 0.823 (Oyallon "
            "and Mallat 2015, as tabled in Gidaris et al. 2018). Kymatio, and so featcmp, "
            "provides translation scattering only: the scattering row is set beside Kymatio's "
            "0.705 for that reason, and the 0.823 is the further rung that roto-translation "
            f"would be. {JPEG_NOTE} `make paper-cifar10-ladder` runs every rung; rows measured "
            'a rung at a time are the same jobs (BENCHMARKS.md, "CIFAR-10 ladder").'
        ),
    ),
}
STARTED_FILE = ".started"  # `make paper` writes the start time here (seconds since the epoch)


def settings_text(record: Record) -> str:
    params = record.config_value("pipeline.params", {})
    return f"{record.registry_name or ''} " + json.dumps(params, separators=(",", ":"))


def protocol_note(n_train: int, n_test: int, pub: Published | None) -> str:
    if pub is None:
        return "no published figure"
    if (n_train, n_test) == (pub.n_train, pub.n_test):
        return "published protocol"
    return f"NOT the published protocol ({pub.n_train:,} / {pub.n_test:,})"


def run_line(records: list[Record], wall_seconds: float | None) -> str:
    """Where and when a section's records were made: machine, software, wall time, date."""
    versions = records[0].versions
    wall = f"; wall time of the whole run {wall_seconds / 60:.1f} min" if wall_seconds else ""
    software = ", ".join(f"{k} {v}" for k, v in sorted(versions.items()) if v != "absent")
    return (
        f"Run: {machine()}{wall}. Software: {software}. "
        f"Written {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC."
    )


def data_kind(record: Record) -> str:
    """What the section's images are: the source that read them, their size, colour and class
    count (the record's dataset name is only the source and the path's last part again)."""
    ds = record.dataset
    source = record.config_value("dataset.source") or ds.name.partition(":")[0]
    about = []
    if ds.image_shape:  # a record may lack it (a job that failed before loading its data)
        h, w, *channels = ds.image_shape
        c = channels[0] if channels else 1
        about.append(
            f"{h}x{w} " + ("grayscale" if c == 1 else "RGB" if c == 3 else f"{c} channels")
        )
    if ds.class_names:
        about.append(f"{len(ds.class_names)} classes")
    return f"source `{source}`" + (f"; {', '.join(about)}" if about else "")


def config_section(
    name: str, records: list[Record], wall_seconds: float | None = None
) -> list[str]:
    section = SECTIONS[name]
    published = section.published
    first = records[0]
    ds = first.dataset
    test_size = first.config_value("dataset.test_size")
    split = (
        "its own train / test files"
        if ds.own_test_split
        else f"a stratified re-split (test_size {test_size}) of the only split present"
    )
    lines = [
        f"## {section.title}",
        "",
        f"Data: `{first.config_value('dataset.path')}` ({data_kind(first)}), "
        f"{ds.n_train:,} training and {ds.n_test:,} test images from {split}; seeds "
        f"{sorted({r.seed for r in records})}. Config: `{section.config}`.",
        "",
        run_line(records, wall_seconds),
        "",
        "| pipeline | published | ours | ours - published | n train / test | protocol "
        "| time (fit + predict) | settings | published source |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    by_row: dict[str, list[Record]] = {}
    for r in records:
        by_row.setdefault(r.pipeline, []).append(r)
    for row in build_rows(records):
        rs = by_row[row.pipeline]
        pub = published.get(row.pipeline)
        ours = row.accuracy_text()
        if pub is None or not row.runs:
            diff = "-"
        elif pub.low <= row.accuracy_mean <= pub.high:
            diff = "within range"
        else:
            nearest = pub.low if row.accuracy_mean < pub.low else pub.high
            diff = f"{row.accuracy_mean - nearest:+.3f}"
        n_test = rs[0].dataset.n_test or 0
        seconds = sum((r.fit_seconds or 0) + (r.predict_seconds or 0) for r in rs)
        lines.append(
            f"| {row.pipeline} | {pub.text() if pub else '-'} | {ours} | {diff} "
            f"| {row.n_train:,} / {n_test:,} | {protocol_note(row.n_train, n_test, pub)} "
            f"| {seconds:.0f} s | `{settings_text(rs[0])}` | {pub.source if pub else '-'} |"
        )
    pub = next(iter(published.values()), None)
    if pub and any(
        (r.dataset.n_train, r.dataset.n_test) != (pub.n_train, pub.n_test)
        for r in records
        if r.pipeline in published
    ):
        lines += [
            "",
            f"**Not the published protocol.** The published figures train on {pub.n_train:,} "
            f"images and test on the official {pub.n_test:,}; these rows train and test on "
            "fewer images "
            + (
                "(a re-split of the 10k test set: other training images, 7.5x fewer, and a "
                "different test set), "
                if not ds.own_test_split
                else "(a stratified subset), "
            )
            + "so they indicate the ranking, not a reproduction of the figure.",
        ]
    if section.note:
        lines += ["", section.note]
    return [*lines, ""]


def kept_sections(previous: str) -> dict[str, str]:
    """The sections of an existing results page, by config name (from their titles); sections
    this page does not write (a hand-written "Learned elsewhere") under their own titles."""
    names = {f"## {section.title}": name for name, section in SECTIONS.items()}
    sections: dict[str, str] = {}
    current: str | None = None
    for line in previous.splitlines():
        if line.startswith("## "):
            current = names.get(line, line)
            sections[current] = ""
        if current:
            sections[current] += line + "\n"
    return sections


def results_markdown(
    directory: str | Path, wall_seconds: float | None = None, previous: str = ""
) -> str:
    """The whole results page: sections for the records under `directory`, and the sections of
    `previous` (an earlier page) for datasets with no records there."""
    records = [r for r in load_records(directory) if r.config_name in SECTIONS]
    if not records:
        raise FeatcmpError(
            f"{directory}: no records of {', '.join(SECTIONS)}; run `make paper` first"
        )
    kept = kept_sections(previous)
    lines = [
        "# Published results next to ours",
        "",
        "Written by `make paper` (the configs named in each section, then `featcmp paper`). "
        "Accuracy on the test split; `published` is the figure reported in the source named in "
        "the last column. Time is our fit + predict seconds summed over seeds. Our HOG SVM "
        "rows standardise every feature (a StandardScaler fitted on the training split) before "
        "the SVM; raw-pixel SVMs see the pixels in [0, 1], as published; our networks train "
        "with a one-cycle schedule and label smoothing (settings column: what differs "
        "from featcmp's defaults). Each section says the machine and software it ran on.",
        "",
    ]
    for name in SECTIONS:
        group = [r for r in records if r.config_name == name]
        if group:
            lines += config_section(name, group, wall_seconds)
        elif name in kept:
            lines += [*kept[name].rstrip("\n").splitlines(), ""]
    for title, text in kept.items():  # sections written by hand, after the generated ones
        if title not in SECTIONS:
            lines += [*text.rstrip("\n").splitlines(), ""]
    return "\n".join(lines)


def write_paper(directory: Path, out: Path) -> Path:
    """Write the results page for the records under `directory` to `out`."""
    started = directory / STARTED_FILE
    wall = None
    if started.is_file():
        # From the start stamp to the last record written: the same when regenerated later.
        last = max((p.stat().st_mtime for p in directory.rglob("*.json")), default=None)
        try:
            wall = (last or time.time()) - float(started.read_text().strip())
        except ValueError:
            wall = None
    previous = out.read_text(encoding="utf-8") if out.is_file() else ""
    atomic_write_text(out, results_markdown(directory, wall, previous))
    return out
