"""SVMs at scale on Fashion-MNIST: the scalable path against an exact RBF SVC.

Run from the repository root::

    python benchmarks/bench_svm.py          # quick: 10k training images, exact SVC baseline
    python benchmarks/bench_svm.py --full   # also the full 60k split (the issue's bar)

The scalable path is what the pipelines run past the SVM scale threshold (featcmp's own
`SVM` with `scale: approximate`): the pipeline's scaler step (standardising HOG, the identity on
raw pixels) -> Nystroem RBF features (gamma as SVC's 'scale', eigenbasis, torch) -> one-vs-rest
linear L2-SVM by minibatch Adam (`approx_solver: torch`); and the same linear SVM on HOG alone.
The baseline is an exact RBF SVC on the same 10k images, fitted in the same run; the ratios
are its fit time over the scalable path's.
Accuracy is on Fashion-MNIST's own 10k test images.  Ends with ``name: value`` lines.
"""

from __future__ import annotations

import argparse
import time

from _common import describe_machine, fashion_mnist, one_thread, print_results

one_thread()

import numpy as np  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

from featcmp.features.hog import HOGFeatures  # noqa: E402
from featcmp.models.linear_svm_torch import TorchLinearSVM  # noqa: E402
from featcmp.models.svm import SVM  # noqa: E402
from featcmp.pipelines import build_pipeline  # noqa: E402

HOG = dict(orientations=9, pixels_per_cell=(4, 4), cells_per_block=(2, 2))


def scaler(name: str) -> StandardScaler:
    """The pipeline's own scaler step (raw pixels as they are, HOG standardised)."""
    return build_pipeline(f"{name}_svm").named_steps["scaler"]


def scalable(name: str, kind: str, n_components: int, C: float, epochs: int, linear_C: float):
    if kind == "linear":
        # liblinear's LinearSVC needed minutes on 10k HOG vectors; featcmp's torch solver
        # fits the same squared-hinge objective in seconds.
        linear = TorchLinearSVM(C=linear_C, epochs=epochs, device="cpu")
        return make_pipeline(scaler(name), linear)
    approximate = SVM(
        C=C,
        scale="approximate",
        max_exact=1,
        n_components=n_components,
        approx_solver="torch",
        approx_epochs=epochs,
        device="cpu",
    )
    return make_pipeline(scaler(name), approximate)


def fit_score(model, X_train, y_train, X_test, y_test) -> tuple[float, float]:
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    return seconds, float(np.mean(model.predict(X_test) == y_test))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also fit on all 60k images")
    parser.add_argument("--n", type=int, default=10000, help="training images, quick part")
    parser.add_argument("--components", type=int, default=2000, help="Nystroem components, 10k")
    parser.add_argument(
        "--full-components", type=int, default=5000, help="Nystroem components, 60k (--full)"
    )
    parser.add_argument("--C", type=float, default=10.0, help="C of the kernel SVMs")
    parser.add_argument("--linear-C", type=float, default=1.0, help="C of the linear SVM on HOG")
    parser.add_argument("--epochs", type=int, default=15, help="passes of the torch solver")
    args = parser.parse_args()

    data = fashion_mnist()
    if data is None:
        print("Fashion-MNIST not found (apt-get install dataset-fashion-mnist); skipped")
        return
    print(describe_machine("1 thread"))
    X_train, y_train = data.X_train.reshape(len(data.X_train), -1), data.y_train
    X_test, y_test = data.X_test.reshape(len(data.X_test), -1), data.y_test
    hog = HOGFeatures(**HOG)
    start = time.perf_counter()
    H_train, H_test = hog.fit_transform(data.X_train), hog.transform(data.X_test)
    hog_s = time.perf_counter() - start
    print(f"HOG {HOG} of {len(X_train) + len(X_test)} images: {hog_s:.1f} s")

    rng = np.random.default_rng(0)
    sub = np.sort(rng.choice(len(X_train), args.n, replace=False))
    lines: dict[str, str] = {}
    for name, train, test in (("raw", X_train, X_test), ("hog", H_train, H_test)):
        exact = make_pipeline(scaler(name), SVC(C=10.0, kernel="rbf", gamma="scale"))
        t_exact, a_exact = fit_score(exact, train[sub], y_train[sub], test, y_test)
        print(f"{name}: exact RBF SVC, {args.n} images: fit {t_exact:.1f} s, acc {a_exact:.4f}")
        lines[f"svm_{name}_exact_{args.n}_fit_s"] = f"{t_exact:.1f}"
        lines[f"svm_{name}_exact_{args.n}_acc"] = f"{a_exact:.4f}"
        kinds = ["nystroem"] + (["linear"] if name == "hog" else [])
        for kind in kinds:
            model = scalable(name, kind, args.components, args.C, args.epochs, args.linear_C)
            t, a = fit_score(model, train[sub], y_train[sub], test, y_test)
            label = f"{kind} ({args.components} components)" if kind == "nystroem" else kind
            print(
                f"{name}: {label}, {args.n} images: fit {t:.1f} s (x{t_exact / t:.1f} "
                f"faster than exact), acc {a:.4f}"
            )
            lines[f"svm_{name}_{kind}_{args.n}_speedup_vs_exact"] = f"{t_exact / t:.2f}"
            lines[f"svm_{name}_{kind}_{args.n}_acc"] = f"{a:.4f}"
            if args.full:
                model = scalable(
                    name, kind, args.full_components, args.C, args.epochs, args.linear_C
                )
                t, a = fit_score(model, train, y_train, test, y_test)
                if kind == "nystroem":
                    label = f"{kind} ({args.full_components} components)"
                print(f"{name}: {label}, {len(train)} images: fit {t:.1f} s, acc {a:.4f}")
                lines[f"svm_{name}_{kind}_full_fit_s"] = f"{t:.1f}"
                lines[f"svm_{name}_{kind}_full_acc"] = f"{a:.4f}"
    print_results(lines)


if __name__ == "__main__":
    main()
