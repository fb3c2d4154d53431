"""Fit the preflight's cost coefficients (each step's `cost`, featcmp/costs.py) from timed fits.

Run from the repository root, on a folder made by `benchmarks/make_photo_folder.py`::

    python benchmarks/calibrate_cost.py /tmp/photos [--sizes 32 64 96] [--n 300 900]

Times `pipe.fit` of raw_svm, edges_svm, hog_svm, cnn and mlp on the folder read at each working
size, for each number of training images (networks: the fewest, at 1 and 3 epochs), fits each
kind's coefficients by non-negative least squares on the work units of `featcmp.run.cost`
(pixels touched, n^2 * d kernel work, network multiply-adds per epoch). Prints the
coefficients to copy into each extractor's or network's `cost`, and per point the measured
seconds against the fitted model's. Threads: as a user's run gets them (all cores).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import nnls

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from featcmp.config.schema import DatasetConfig
from featcmp.costs import network_size
from featcmp.data.loader import load_dataset
from featcmp.pipelines import build_pipeline
from featcmp.run import cost

HAND_CRAFTED = ("raw_svm", "edges_svm", "hog_svm")
NETWORKS = ("cnn", "mlp")


def timed_fit(pipe, X, y) -> float:
    start = time.perf_counter()
    pipe.fit(X, y)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 96])
    parser.add_argument("--n", type=int, nargs="+", default=[300, 900])
    parser.add_argument("--epochs", type=int, nargs="+", default=[1, 3])
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    rows: dict[str, list[tuple[list[float], float, str]]] = {}
    for size in args.sizes:
        spec = DatasetConfig(
            source="folder", path=args.folder, options={"image_size": [size, size]}
        )
        data = load_dataset(spec, 0)
        n_classes = len(data.class_names)
        for n in args.n:
            X, y = data.X_train[:n], data.y_train[:n]
            for name in HAND_CRAFTED:
                pipe = build_pipeline(name)
                d = cost.feature_width(pipe, X)
                s = timed_fit(pipe, X, y)
                units = [len(X) * X[0].size, len(X) ** 2 * d]
                rows.setdefault(name, []).append((units, s, f"{size}px n={len(X)} d={d}"))
            for name in NETWORKS:
                if n != min(args.n):
                    continue  # networks: the fewest images, at each number of epochs
                for epochs in args.epochs:
                    pipe = build_pipeline(name, {"epochs": epochs, "device": "cpu"})
                    net = pipe.steps[-1][1]
                    macs, _, _ = network_size(net, X.shape[1:], n_classes)
                    s = timed_fit(pipe, X, y)
                    units = [epochs * 3 * len(X) * macs, epochs]
                    label = f"{size}px n={len(X)} epochs={epochs} MACs={macs:,}"
                    rows.setdefault(name, []).append((units, s, label))
    for name, points in rows.items():
        A = np.array([u for u, _, _ in points], dtype=float)
        b = np.array([s for _, s, _ in points])
        scale = A.max(axis=0)
        scale[scale == 0] = 1
        coef, _ = nnls(A / scale, b)
        coef = coef / scale
        print(f"\n{name}: coefficients {coef.tolist()}")
        for (_, s, label), fitted in zip(points, A @ coef, strict=True):
            print(f"  {label:<40} measured {s:7.2f} s  model {fitted:7.2f} s")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
