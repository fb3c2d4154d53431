"""What each step declares for the cost model (`featcmp.run.cost`), beside its own code.

An extractor declares `cost`, an `ExtractionCost`: seconds per unit of its work, counted by its
`work_units(image_shape)` (pixels unless it says otherwise: multiply-adds for k-means and the
networks, FFT work for scattering), and seconds per n^2 * d of the exact kernel SVC fitted on
its features (how many support vectors and solver iterations a problem needs depends on the
features). A network classifier declares a `NetCost`. A step that declares nothing (a plugin's)
is costed with the uncalibrated guesses below, so a new extractor needs no edit of the model.
The figures are seconds on the reference machine class (2 x86-64 cores), calibrated where each
is declared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ExtractionCost:
    unit_s: float  # seconds per unit of the extractor's work (see `work_units`)
    svc_s: float  # seconds per n^2 * d of an exact kernel SVC on its features
    loads_torch: bool = False  # its process imports torch: that memory counts


@dataclass(frozen=True)
class NetCost:
    start_s: float  # once per fit
    epoch_s: float  # per epoch: batching, augmentation, the optimizer
    mac_s: float  # per forward multiply-add x 3 (backward) per image per epoch
    pixel_s: float  # per input pixel per image per epoch: augmenting


# Extractors and networks that declare nothing (SIFT, the kernel bank, plugins): guesses.
UNCALIBRATED = ExtractionCost(1.0e-7, 2.0e-9)
UNCALIBRATED_NET = NetCost(5.0, 1.0, 1.0e-10, 5.0e-7)


def extraction_cost(extractor: Any) -> ExtractionCost:
    return getattr(extractor, "cost", UNCALIBRATED)


def work_units(extractor: Any, image_shape: tuple[int, ...]) -> tuple[float, float]:
    """(units per image, units of fitting) of the work its `cost.unit_s` prices: an
    extractor's own count, else one unit per pixel and nothing to fit."""
    own = getattr(extractor, "work_units", None)
    return own(image_shape) if own is not None else (math.prod(image_shape), 0.0)


def net_cost(estimator: Any) -> NetCost:
    return getattr(estimator, "cost", UNCALIBRATED_NET)


def network_size(
    estimator: Any, image_shape: tuple[int, ...], n_classes: int
) -> tuple[int, int, int]:
    """(MACs per image, weights, activation floats per image) of a torch classifier's network
    built for these images: counted on the module itself, so any architecture is costed."""
    import torch
    from torch import nn

    in_shape = estimator.net_shape(image_shape)  # a fine-tuned net: the saved network's input
    module = estimator.build_module(in_shape, n_classes).train(False)  # inference mode
    macs, activations = 0, 0

    def count(m: nn.Module, inputs: Any, out: torch.Tensor) -> None:
        nonlocal macs, activations
        activations += out[0].numel()
        if isinstance(m, nn.Conv2d):
            k = m.kernel_size[0] * m.kernel_size[1] * m.in_channels // m.groups
            macs += out[0].numel() * k
        elif isinstance(m, nn.Linear):
            macs += m.in_features * m.out_features

    hooks = [m.register_forward_hook(count) for m in module.modules() if not list(m.children())]
    try:
        with torch.no_grad():
            module(torch.zeros(1, *in_shape))
    finally:
        for h in hooks:
            h.remove()
    weights = sum(p.numel() for p in module.parameters())
    return macs, weights, activations


def backbone_macs(backbone: Any) -> int:
    """Multiply-adds of one image through a frozen backbone (torch's flop counter: 2 flops
    per multiply-add), at its input size."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    x = torch.zeros(1, backbone.fit.channels, *backbone.fit.size)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        backbone.forward(x)
    return int(counter.get_total_flops() // 2)
