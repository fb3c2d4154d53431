"""CNN training speed and time to accuracy: featcmp's loop against bare loops, same run.

Run from the repository root::

    python benchmarks/bench_cnn.py                      # quick: images/s ratios (CPU; GPU if any)
    python benchmarks/bench_cnn.py --time-to-accuracy   # + Fashion-MNIST 60k/10k, 3 seeds
    python benchmarks/bench_cnn.py --cifar10 PATH       # + configs/cifar10.yaml's cnn, one seed
    python benchmarks/bench_cnn.py --cifar10 PATH --cifar-config configs/scale/cifar10-gpu.yaml

Speed is images/s of training, measured as the time of epochs 2-3 (fit for 3 epochs minus fit
for 1), so set-up and warm-up are left out on both sides:
- CPU: featcmp's loop (settings of ``configs/scale/fashion-mnist-cnn.yaml``, channels-last and
  contiguous) against the plain tutorial loop over the same network: a per-sample PIL
  ``Dataset`` and a ``DataLoader``, fixed-LR SGD, the default layout, no augmentation; and
  featcmp's loop on one thread, to show what the other cores add.
- GPU (when CUDA is present; "no GPU" lines otherwise): featcmp's loop against a bare loop over
  the same network - data on the device, bf16 autocast, channels-last, fused AdamW, no
  augmentation, no schedule - at batch 128 and 1024. Target: featcmp at least 1/1.3 of bare.
Time to accuracy: full fits, the mean test accuracy of seeds 0-2 and the mean training time
against the targets: Fashion-MNIST 0.93 within 5 s on a GPU, within 180 s on 2 CPU cores;
CIFAR-10 0.93 within 60 s on a GPU, 0.80 within 900 s on 2 CPU cores. Ends with ``name: value``
lines.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from unittest import mock

import numpy as np
import torch
import yaml
from _common import (
    FASHION_MNIST,
    ROOT,
    describe_machine,
    load_average,
    mnist_or_random,
    print_results,
)
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset

from featcmp.models.nets import CNNClassifier
from featcmp.models.torch_state import available_cores

CONFIG = ROOT / "configs" / "scale" / "fashion-mnist-cnn.yaml"
CIFAR_CONFIG = ROOT / "configs" / "cifar10.yaml"
# (accuracy, within seconds of training) by dataset and device: the targets.
TARGETS = {
    ("fashion", "cuda"): (0.93, 5.0),
    ("fashion", "cpu"): (0.93, 180.0),
    ("cifar10_cnn", "cuda"): (0.93, 60.0),
    ("cifar10_cnn", "cpu"): (0.80, 900.0),
}


def config_params(path: Path, row: str = "cnn") -> dict:
    for p in yaml.safe_load(path.read_text())["pipelines"]:
        if isinstance(p, dict) and (p.get("label") or p["name"]) == row:
            return dict(p.get("params", {}))
    raise SystemExit(f"{path}: no pipeline '{row}'")


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


def plain_seconds(module: nn.Module, images: np.ndarray, labels: np.ndarray, epochs: int) -> float:
    """Tutorial loop over `module`: SGD(lr=0.01, momentum=0.9), batch 64, shuffled DataLoader."""
    loader = DataLoader(
        PerSampleImages(images, labels), batch_size=64, shuffle=True,
        generator=torch.Generator().manual_seed(0),
    )  # fmt: skip
    opt = torch.optim.SGD(module.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    module.train()
    start = time.perf_counter()
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(module(xb), yb).backward()
            opt.step()
    return time.perf_counter() - start


def bare_gpu_seconds(module: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int, epochs: int):
    """The bare loop: bf16 autocast, channels-last, fused AdamW, data on the GPU."""
    module = module.cuda().to(memory_format=torch.channels_last).train()
    x = x.cuda().contiguous(memory_format=torch.channels_last)
    y = y.cuda()
    opt = torch.optim.AdamW(module.parameters(), lr=1e-3, fused=True)
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(x), device="cuda")
        for s in range(0, len(x), batch):
            idx = order[s : s + batch]
            with torch.autocast("cuda", dtype=torch.bfloat16):
                loss = nn.functional.cross_entropy(module(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    torch.cuda.synchronize()
    return time.perf_counter() - start


def featcmp_seconds(X: np.ndarray, y: np.ndarray, params: dict, epochs: int) -> float:
    start = time.perf_counter()
    model = CNNClassifier(**{**params, "epochs": epochs}).fit(X, y)
    if model.device_.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def steady_rate(seconds, n: int) -> float:
    """Images/s of epochs 2-3: `seconds(epochs)` for 3 epochs minus for 1 (after a warm-up)."""
    seconds(1)  # first calls pay for kernel selection and allocator growth
    return 2 * n / max(seconds(3) - seconds(1), 1e-9)


def same_network(params: dict, shape: tuple[int, int, int]) -> nn.Module:
    """The network featcmp builds for `params`, fresh, for a bare loop to train."""
    torch.manual_seed(0)
    return CNNClassifier(**params).build_module(shape, 10)


def cpu_speed(params: dict, n: int, lines: dict[str, str]) -> None:
    images, source = mnist_or_random(n)
    labels = np.arange(n) % 10
    X = images.astype(np.float32) / 255
    cpu = {**params, "device": "cpu", "batch_size": "auto"}
    print(f"CPU: {n} images of {source}, {torch.get_num_threads()} threads")
    ours = steady_rate(lambda e: featcmp_seconds(X, labels, cpu, e), n)
    contiguous = steady_rate(
        lambda e: featcmp_seconds(X, labels, {**cpu, "layout": "contiguous"}, e), n
    )
    plain = steady_rate(
        lambda e: plain_seconds(same_network(cpu, (1, 28, 28)), images, labels, e), n
    )
    threads = torch.get_num_threads()
    with mock.patch.dict(os.environ, OMP_NUM_THREADS="1"):  # a fit's thread count, when set
        single = steady_rate(lambda e: featcmp_seconds(X, labels, cpu, e), n)
    print(
        f"  featcmp loop {ours:,.0f} images/s (channels-last) / {contiguous:,.0f} "
        f"(contiguous); plain tutorial loop over the same network {plain:,.0f}: "
        f"x{ours / plain:.2f} (target >= 1.0)"
    )
    print(
        f"  featcmp loop on one thread {single:,.0f} images/s: "
        f"{threads} threads move x{ours / single:.2f} that"
    )
    lines["cnn_cpu_images_per_s"] = f"{ours:.0f}"
    lines["cnn_cpu_contiguous_images_per_s"] = f"{contiguous:.0f}"
    lines["cnn_cpu_plain_images_per_s"] = f"{plain:.0f}"
    lines["cnn_cpu_ratio_vs_plain"] = f"{ours / plain:.2f}"
    lines["cnn_cpu_channels_last_vs_contiguous"] = f"{ours / contiguous:.2f}"
    lines["cnn_cpu_one_thread_images_per_s"] = f"{single:.0f}"
    lines[f"cnn_cpu_{threads}_threads_vs_one"] = f"{ours / single:.2f}"


def gpu_speed(params: dict, n: int, lines: dict[str, str]) -> None:
    if not torch.cuda.is_available():
        print("GPU: no GPU (CUDA not available); GPU figures not measured")
        lines["cnn_gpu"] = "no GPU"
        return
    images, source = mnist_or_random(n)
    X, y = images.astype(np.float32) / 255, np.arange(n) % 10
    name = torch.cuda.get_device_name(0)
    print(f"GPU: {name}, {n} images of {source}")
    lines["cnn_gpu"] = name.replace(":", " ")
    n = len(X)
    x = torch.from_numpy(X.astype(np.float32))[:, None]
    x = (x - x.mean()) / x.std()
    targets = torch.from_numpy(np.asarray(y, dtype=np.int64))
    shape = tuple(x.shape[1:])
    for batch in (128, 1024):
        gpu = {**params, "device": "cuda", "batch_size": batch}
        featcmp_seconds(X[:2048], y[:2048], gpu, 1)  # warm-up: cuDNN picks its kernels

        def bare(e: int, batch=batch) -> float:
            return bare_gpu_seconds(same_network(params, shape), x, targets, batch, e)

        bare_rate = steady_rate(bare, n)
        ours = steady_rate(lambda e, gpu=gpu: featcmp_seconds(X, y, gpu, e), n)
        print(
            f"  batch {batch}: featcmp {ours:,.0f} images/s, bare bf16 channels-last loop "
            f"{bare_rate:,.0f}: x{ours / bare_rate:.2f} (target >= {1 / 1.3:.2f})"
        )
        lines[f"cnn_gpu_b{batch}_images_per_s"] = f"{ours:.0f}"
        lines[f"cnn_gpu_b{batch}_bare_images_per_s"] = f"{bare_rate:.0f}"
        lines[f"cnn_gpu_b{batch}_ratio_vs_bare"] = f"{ours / bare_rate:.2f}"


def load(source: str, path: str, max_train: int | None = None):
    from featcmp.config import DatasetConfig
    from featcmp.data.loader import load_dataset

    data = load_dataset(DatasetConfig(source=source, path=path), seed=0)
    if max_train:
        data.X_train, data.y_train = data.X_train[:max_train], data.y_train[:max_train]
    return data


def time_to_accuracy(params: dict, data, seeds: int, lines: dict[str, str], key: str) -> None:
    accs, secs = [], []
    for seed in range(seeds):
        start = time.perf_counter()
        model = CNNClassifier(**{**params, "seed": seed}).fit(data.X_train, data.y_train)
        if model.device_.type == "cuda":
            torch.cuda.synchronize()
        secs.append(time.perf_counter() - start)
        accs.append(float(np.mean(model.predict(data.X_test) == data.y_test)))
        print(f"  seed {seed}: test accuracy {accs[-1]:.4f} after {secs[-1]:.1f} s of training")
    device = model.device_.type
    acc, sec = float(np.mean(accs)), float(np.mean(secs))
    print(
        f"  mean of {seeds}: {acc:.4f} in {sec:.1f} s on {device} (load average {load_average()})"
    )
    lines[f"{key}_{device}_test_acc"] = f"{acc:.4f}"
    lines[f"{key}_{device}_train_s"] = f"{sec:.1f}"
    if (key, device) in TARGETS:
        want_acc, want_s = TARGETS[key, device]
        met = acc >= want_acc and sec <= want_s
        print(f"  target {want_acc} within {want_s:.0f} s: {'met' if met else 'NOT met'}")
        lines[f"{key}_{device}_target_met"] = str(met).lower()


def with_epochs(params: dict, epochs: int | None) -> dict:
    return {**params, "epochs": epochs} if epochs else params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2048, help="CPU images for the speed part")
    parser.add_argument("--gpu-n", type=int, default=60_000, help="GPU images, speed part")
    parser.add_argument("--time-to-accuracy", action="store_true", help="Fashion-MNIST, 3 seeds")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--fashion", default=os.environ.get("FASHION_DIR", str(FASHION_MNIST)))
    parser.add_argument("--cifar10", metavar="TAR", help="train the CIFAR-10 config's cnn")
    parser.add_argument(
        "--cifar-config", type=Path, default=CIFAR_CONFIG,
        help="configs/cifar10.yaml (CPU-sized) or configs/scale/cifar10-gpu.yaml",
    )  # fmt: skip
    parser.add_argument("--skip-cpu", action="store_true", help="GPU figures only")
    parser.add_argument("--epochs", type=int, help="override the configs' epochs (smoke runs)")
    parser.add_argument("--max-train", type=int, help="first N training images (smoke runs)")
    args = parser.parse_args()
    params = config_params(CONFIG)
    torch.set_num_threads(available_cores())
    print(describe_machine(f"{torch.get_num_threads()} torch threads"))
    print(f"CNN settings ({CONFIG.name}): {params}")
    lines: dict[str, str] = {}
    if not args.skip_cpu:
        cpu_speed(params, args.n, lines)
    if args.gpu_n:
        gpu_speed(params, args.gpu_n, lines)
    if args.time_to_accuracy:
        if not Path(args.fashion).exists():
            print(
                f"Fashion-MNIST not found at {args.fashion} (apt-get install dataset-fashion-mnist)"
            )
        else:
            print(f"Fashion-MNIST time to accuracy ({args.seeds} seeds, 60k/10k):")
            data = load("idx", args.fashion, args.max_train)
            time_to_accuracy(with_epochs(params, args.epochs), data, args.seeds, lines, "fashion")
    if args.cifar10:
        cifar = config_params(args.cifar_config)
        print(f"CIFAR-10 cnn ({args.cifar_config.name}, one seed): {cifar}")
        data = load("cifar10", args.cifar10, args.max_train)
        time_to_accuracy(with_epochs(cifar, args.epochs), data, 1, lines, "cifar10_cnn")
    print_results(lines)


if __name__ == "__main__":
    main()
