"""Make a folder of natural photos as a user would bring them: mixed sizes and aspect ratios.

Run from the repository root::

    python benchmarks/make_photo_folder.py /tmp/photos [--n 1200] [--classes 4] [--seed 0]

Takes the first ``--classes`` CIFAR-10 classes from ``../shared/data/cifar10`` (the binary
archive), ``--n / --classes`` photos each, upscales every 32x32 photo to a random width of
96-256 px and a random aspect ratio of 3:4 to 16:9 (portrait or landscape, bicubic) and saves
it as a JPEG (quality 90) under ``OUT/<class>/``. The measurement of issue 14 (a folder like
this, a config naming only ``source: folder`` and ``path``) runs on it::

    # photos.yaml: dataset: {source: folder, path: /tmp/photos}
    #              pipelines: [raw_svm, edges_svm, hog_svm, cnn, mlp]
    /usr/bin/time -v python -m featcmp run photos.yaml --out /tmp/runs --no-cache

Wall time and peak RSS come from ``time -v``; each record's ``fit_seconds`` is compared with
the ``estimate:`` line printed before the first fit.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from featcmp.data.cifar10 import read_cifar10  # noqa: E402

ARCHIVE = ROOT / ".." / "shared" / "data" / "cifar10" / "cifar-10-binary.tar.gz"
ASPECTS = (3 / 4, 1.0, 4 / 3, 3 / 2, 16 / 9)  # width / height (landscape; swapped for portrait)


def make_folder(out: Path, n: int, classes: int, seed: int) -> int:
    images = read_cifar10(ARCHIVE)
    rng = np.random.default_rng(seed)
    per_class = n // classes
    written = 0
    for k in range(classes):
        name = images.class_names[k]
        (out / name).mkdir(parents=True, exist_ok=True)
        for j, i in enumerate(np.flatnonzero(images.y == k)[:per_class]):
            width = int(rng.integers(96, 257))
            aspect = float(rng.choice(ASPECTS))
            if rng.random() < 0.3:
                aspect = 1 / aspect  # some portrait photos
            height = max(32, round(width / aspect))
            photo = Image.fromarray(np.asarray(images.X[i], dtype=np.uint8))
            photo = photo.resize((width, height), Image.Resampling.BICUBIC)
            photo.save(out / name / f"{j:04d}.jpg", quality=90)
            written += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--n", type=int, default=1200)
    parser.add_argument("--classes", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not ARCHIVE.exists():
        sys.exit(f"{ARCHIVE}: CIFAR-10 binary archive not found")
    n = make_folder(args.out, args.n, args.classes, args.seed)
    print(f"wrote {n} photos under {args.out}")


if __name__ == "__main__":
    main()
