"""CNN training: featcmp's loop against a plain PyTorch-tutorial loop, on Fashion-MNIST.

Run from the repository root::

    python benchmarks/bench_cnn.py          # quick (~2 min): feeding and training images/s
    python benchmarks/bench_cnn.py --full   # + accuracy at equal wall time on 60k/10k (~25 min)

featcmp's loop: the training set as one in-memory tensor sliced by a permutation, batch norm,
random shifts (and flips), one-cycle AdamW, label smoothing (`featcmp.models.nets`), with the
settings of ``configs/scale/fashion-mnist-cnn.yaml``.  The baseline is the tutorial recipe: a
per-sample ``Dataset`` that goes through PIL and a ``DataLoader``, the same conv layers without
batch norm, fixed-LR SGD with momentum, no augmentation.  ``--full`` trains featcmp's CNN on
all 60k images, then gives the plain loop the same wall time, and reports both test
accuracies.  Both use all cores (torch's default threads).  Ends with ``name: value`` lines.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
import yaml
from _common import ROOT, describe_machine, fashion_mnist, load_average, print_results
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset

from featcmp.models.nets import CNNClassifier
from featcmp.models.torch_state import available_cores

CONFIG = ROOT / "configs" / "scale" / "fashion-mnist-cnn.yaml"


class PerSampleImages(Dataset):
    """The tutorial data path: one PIL image per item, converted and normalised one by one."""

    def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        img = Image.fromarray(self.images[i])  # as torchvision's MNIST-style datasets do
        x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0)[None]
        return (x - 0.5) / 0.5, int(self.labels[i])  # ToTensor + Normalize((0.5,), (0.5,))


def plain_cnn(channels: list[int], hidden: int, n_classes: int = 10) -> nn.Module:
    """featcmp's conv layers without batch norm or dropout, as a tutorial would write them."""
    layers: list[nn.Module] = []
    c, size = 1, 28
    for out in channels:
        layers += [nn.Conv2d(c, out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        c, size = out, size // 2
    layers += [nn.Flatten(), nn.Linear(c * size * size, hidden), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(hidden, n_classes))


def train_plain(
    images: np.ndarray, labels: np.ndarray, params: dict, budget_s: float | None, epochs: int = 1
) -> tuple[nn.Module, float, int]:
    """Tutorial loop: SGD(lr=0.01, momentum=0.9), batch 64, shuffled DataLoader.

    Runs ``epochs`` epochs, or until ``budget_s`` seconds have passed when given.  Returns the
    model, the seconds spent and the images seen.
    """
    torch.manual_seed(0)
    model = plain_cnn(list(params["channels"]), params["hidden"])
    loader = DataLoader(
        PerSampleImages(images, labels),
        batch_size=64,
        shuffle=True,
        generator=torch.Generator().manual_seed(0),
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    seen, start = 0, time.perf_counter()
    epoch = 0
    while budget_s is not None or epoch < epochs:
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
            seen += len(xb)
            if budget_s is not None and time.perf_counter() - start >= budget_s:
                return model, time.perf_counter() - start, seen
        epoch += 1
    return model, time.perf_counter() - start, seen


@torch.no_grad()
def plain_accuracy(model: nn.Module, images: np.ndarray, labels: np.ndarray) -> float:
    model.eval()
    x = (torch.from_numpy(images.astype(np.float32) / 255.0)[:, None] - 0.5) / 0.5
    pred = torch.cat([model(x[i : i + 1000]).argmax(1) for i in range(0, len(x), 1000)])
    return float((pred.numpy() == labels).mean())


def feed_rates(X: np.ndarray, images: np.ndarray, y: np.ndarray, batch: int) -> tuple[float, float]:
    """Images/s of one pass of batches: in-memory slicing vs the per-sample DataLoader."""
    x = torch.from_numpy(X[:, None].copy())
    targets = torch.from_numpy(y.astype(np.int64))
    gen = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    order = torch.randperm(len(x), generator=gen)
    for s in range(0, len(x), batch):
        idx = order[s : s + batch]
        xb, yb = x[idx], targets[idx]
    sliced = len(x) / (time.perf_counter() - start)
    loader = DataLoader(PerSampleImages(images, y), batch_size=batch, shuffle=True, generator=gen)
    start = time.perf_counter()
    for xb, yb in loader:  # noqa: B007 - the pass itself is what is timed
        pass
    return sliced, len(images) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="accuracy at equal wall time")
    parser.add_argument("--n", type=int, default=4096, help="training images, quick part")
    parser.add_argument("--config", type=Path, default=CONFIG)
    args = parser.parse_args()
    params = yaml.safe_load(args.config.read_text())["pipelines"][0]["params"]
    params = {**params, "device": "cpu"}
    data = fashion_mnist()
    if data is None:
        print("Fashion-MNIST not found (apt-get install dataset-fashion-mnist); skipped")
        return
    torch.set_num_threads(available_cores())
    print(describe_machine(f"{torch.get_num_threads()} torch threads"))
    print(f"CNN settings ({args.config.name}): {params}")
    to_uint8 = lambda X: np.rint(X * 255).astype(np.uint8)  # noqa: E731 - loader gave X / 255
    train_u8, test_u8 = to_uint8(data.X_train), to_uint8(data.X_test)
    lines: dict[str, str] = {}

    sliced, loaded = feed_rates(data.X_train, train_u8, data.y_train, params["batch_size"])
    print(
        f"feeding: in-memory slicing {sliced:,.0f} images/s, per-sample DataLoader "
        f"{loaded:,.0f} images/s (x{sliced / loaded:.0f})"
    )
    lines["cnn_feed_images_per_s"] = f"{sliced:.0f}"
    lines["cnn_feed_dataloader_images_per_s"] = f"{loaded:.0f}"
    lines["cnn_feed_speedup_vs_dataloader"] = f"{sliced / loaded:.1f}"

    sub = np.random.default_rng(0).choice(len(data.X_train), args.n, replace=False)
    start = time.perf_counter()
    CNNClassifier(**{**params, "epochs": 1}).fit(data.X_train[sub], data.y_train[sub])
    ours = args.n / (time.perf_counter() - start)
    _, seconds, seen = train_plain(train_u8[sub], data.y_train[sub], params, None)
    plain = seen / seconds
    print(
        f"training: featcmp CNN {ours:,.0f} images/s, plain loop {plain:,.0f} images/s "
        f"(x{ours / plain:.2f}; ours also augments and normalises batches)"
    )
    lines["cnn_train_images_per_s"] = f"{ours:.0f}"
    lines["cnn_plain_train_images_per_s"] = f"{plain:.0f}"
    lines["cnn_train_speedup_vs_plain"] = f"{ours / plain:.2f}"

    if args.full:
        print(f"full: {len(data.X_train)} training images, load average {load_average()}")
        start = time.perf_counter()
        model = CNNClassifier(**params).fit(data.X_train, data.y_train)
        budget = time.perf_counter() - start
        acc = float(np.mean(model.predict(data.X_test) == data.y_test))
        print(
            f"featcmp CNN: {params['epochs']} epochs in {budget:.0f} s, test accuracy {acc:.4f}"
            f" (load average {load_average()})"
        )
        net, seconds, seen = train_plain(train_u8, data.y_train, params, budget)
        plain_acc = plain_accuracy(net, test_u8, data.y_test)
        print(
            f"plain loop : {seen / len(train_u8):.1f} epochs in {seconds:.0f} s, test accuracy "
            f"{plain_acc:.4f} (load average {load_average()})"
        )
        lines["cnn_full_train_s"] = f"{budget:.0f}"
        lines["cnn_full_test_acc"] = f"{acc:.4f}"
        lines["cnn_plain_same_time_test_acc"] = f"{plain_acc:.4f}"
    print_results(lines)


if __name__ == "__main__":
    main()
