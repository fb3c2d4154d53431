"""`featcmp explain`: the lecture's architecture facts, layer by layer, for the CNN and the MLP
(and the frozen random network of `random_cnn_svm`, whose "learned" parameters stay at their
seeded initialisation), and what the wavelet scattering of `scattering_svm` makes of the images.

Per layer: learned parameters; connections per unit (how many inputs one output unit sees:
sparse connectivity); how many output positions share each weight (weight sharing); and the
receptive field on the input image (how far apart two pixels may be and still meet in one unit).
For comparison, what the same layer would cost without weight sharing (locally connected) and as
a dense layer between the same input and output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from featcmp.config import Config
from featcmp.errors import ConfigError
from featcmp.features.base import channels


@dataclass
class LayerFacts:
    """What one layer of a network is, in the lecture's terms."""

    layer: str
    output: tuple[int, ...]  # (C, H, W) for maps, (units,) after flattening
    params: int
    connections: int  # inputs one output unit is connected to
    sharing: int  # output positions that use each weight (1: none shared)
    receptive: tuple[int, int]  # input pixels (rows, cols) one output unit can see
    image: tuple[int, int]  # the input's (rows, cols), which bounds the receptive field
    unshared_params: int  # the same connections with a weight per position (locally connected)
    dense_params: int  # a dense layer from the same inputs to the same outputs


def _pair(v: int | tuple[int, ...]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def layer_facts(module, in_shape: tuple[int, int, int]) -> list[LayerFacts]:
    """Facts for each conv, pool, batch-norm and dense layer of an `nn.Sequential`.

    Parameters
    ----------
    module : torch.nn.Sequential
        The network, as `TorchClassifier.build_module` makes it.
    in_shape : (C, H, W)
        The input image shape.
    """
    import torch
    from torch import nn

    h_in, w_in = in_shape[1], in_shape[2]
    rf, jump = [1, 1], [1, 1]  # receptive field and the input stride between neighbouring units
    x = torch.zeros(1, *in_shape)
    facts: list[LayerFacts] = []
    module = module.eval()
    with torch.no_grad():
        for m in module:
            n_in = x[0].numel()
            x = m(x)
            out = tuple(x.shape[1:])
            n_out = x[0].numel()
            params = sum(p.numel() for p in m.parameters())
            if isinstance(m, nn.Conv2d | nn.MaxPool2d | nn.AvgPool2d):
                k, s, d = _pair(m.kernel_size), _pair(m.stride), _pair(m.dilation)
                for i in range(2):
                    rf[i] += (k[i] - 1) * d[i] * jump[i]
                    jump[i] *= s[i]
            if isinstance(m, nn.Conv2d):
                positions = out[1] * out[2]
                per_unit = m.in_channels // m.groups * k[0] * k[1]
                bias = m.bias is not None
                name = f"conv {k[0]}x{k[1]} stride {s[0]}"
                # Without sharing, every position has its own copy of the kernels (and biases).
                sharing, unshared = positions, params * positions
                dense = n_in * n_out + (n_out if bias else 0)
            elif isinstance(m, nn.MaxPool2d | nn.AvgPool2d):
                per_unit, sharing, unshared, dense = k[0] * k[1], 0, 0, 0
                name = f"{'max' if isinstance(m, nn.MaxPool2d) else 'avg'}-pool {k[0]}x{k[1]}"
            elif isinstance(m, nn.BatchNorm2d):
                positions = out[1] * out[2]
                per_unit, sharing, name = 1, positions, "batch norm"
                unshared, dense = params * positions, 0
            elif isinstance(m, nn.Linear):
                rf = [h_in, w_in]  # a dense unit sees every input, so every pixel
                per_unit, sharing = m.in_features, 1
                name = f"dense {m.in_features}->{m.out_features}"
                unshared = dense = params
            else:
                continue  # ReLU, dropout, flatten: no weights, no change in what a unit sees
            facts.append(
                LayerFacts(
                    layer=name,
                    output=out,
                    params=params,
                    connections=per_unit,
                    sharing=sharing,
                    receptive=(min(rf[0], h_in), min(rf[1], w_in)),
                    image=(h_in, w_in),
                    unshared_params=unshared,
                    dense_params=dense,
                )
            )
    return facts


def estimator_facts(estimator, in_shape: tuple[int, int, int], n_classes: int) -> list[LayerFacts]:
    """Facts for a (CNN or MLP) classifier's network on images of `in_shape` (C, H, W)."""
    return layer_facts(estimator.build_module(in_shape, n_classes), in_shape)


def nets_and_data(cfg: Config, where: str = "config") -> tuple[list, Any]:
    """The learned pipelines of a config, as (row, estimator), and its dataset's first split
    (refused when the config has neither a network nor a pipeline explained in words)."""
    from featcmp.data.loader import load_dataset
    from featcmp.features.kmeans import KMeansFeatures
    from featcmp.features.scattering import ScatteringFeatures
    from featcmp.models.random_features import RandomCNNFeatures
    from featcmp.models.training import TorchClassifier
    from featcmp.models.transfer import TransferFeatures
    from featcmp.pipelines import build_pipeline

    nets, in_words = [], False  # in_words: a pipeline explained in words only
    for i, p in enumerate(cfg.pipelines):
        pipe = build_pipeline(p.name, p.params, f"pipelines[{i}]")
        first, last = pipe.steps[0][1], pipe.steps[-1][1]
        if isinstance(last, TorchClassifier):
            nets.append((p.row, last))
        elif isinstance(first, RandomCNNFeatures):  # the cnn's network, its kernels frozen
            nets.append((f"{p.row} (kernels frozen at random; an SVM replaces the dense output)",
                         first.network()))  # fmt: skip
        # scattering_lines, kmeans_lines and elsewhere_lines explain these
        in_words = in_words or isinstance(
            first, (ScatteringFeatures, KMeansFeatures, TransferFeatures)
        )
    if not nets and not in_words:
        rows = ", ".join(p.row for p in cfg.pipelines)
        raise ConfigError(
            f"{where}: no cnn, mlp, transfer, scattering or k-means pipeline to explain (it has: "
            f"{rows})"
        )
    return nets, load_dataset(cfg.dataset, cfg.seed_list()[0])


def nets_facts(nets: list, data) -> list[tuple[str, tuple[int, int, int], list[LayerFacts]]]:
    """(row, input shape, facts) for (row, unfitted torch classifier) pairs on `data`."""
    n_classes = len(data.class_names)
    out = []
    for row, est in nets:  # a fine-tuned network: on the saved network's input
        in_shape = est.net_shape(data.image_shape)
        out.append((row, in_shape, estimator_facts(est, in_shape, n_classes)))
    return out


def facts_cells(f: LayerFacts) -> list[str]:
    dash = "-"
    return [
        f.layer,
        "x".join(map(str, f.output)),
        f"{f.params:,}",
        f"{f.connections:,}",
        f"{f.sharing:,}" if f.sharing else dash,
        f"{f.receptive[0]}x{f.receptive[1]}" + (" (all)" if f.receptive == f.image else ""),
        f"{f.unshared_params:,}" if f.unshared_params else dash,
        f"{f.dense_params:,}" if f.dense_params else dash,
    ]


FACT_HEADERS = (
    "layer",
    "output",
    "learned params",
    "connections per unit",
    "positions sharing a weight",
    "receptive field",
    "params without sharing",
    "params if dense",
)


def print_facts(nets: list[tuple[str, tuple[int, int, int], list[LayerFacts]]]) -> None:
    """One table per network on the terminal, with its totals."""
    from featcmp.report.console import rich_table, terminal_console

    console = terminal_console()
    for row, in_shape, facts in nets:
        shape = "x".join(map(str, in_shape))
        table = rich_table(FACT_HEADERS, ("layer",), f"{row} on {shape} input (C x H x W)")
        for f in facts:
            table.add_row(*facts_cells(f))
        console.print(table)
        total = sum(f.params for f in facts)
        dense = sum(f.dense_params for f in facts if f.layer.startswith(("conv", "dense")))
        console.print(
            f"{row}: {total:,} learned parameters; the same conv and dense layers, all dense, "
            f"would need {dense:,}.\n"
        )


def config_choices(cfg: Config, data) -> list[str]:
    """Lines saying what the data decided for a config: the source's choices (layout, split,
    colour, working size) and each pipeline's (HOG cells, network depth and input size), as
    a run records them under `chosen`."""
    from featcmp.pipelines import build_pipeline
    from featcmp.run.chosen import dataset_choices, describe, pipeline_choices

    shape = "x".join(map(str, data.image_shape))
    lines = [
        f"dataset {data.name}: {len(data.y_train)} training and {len(data.y_test)} test images "
        f"of {shape}, {len(data.class_names)} classes"
    ]
    for key, value in dataset_choices(data.source_info).items():
        lines.append(f"  {key}: {value}")
    for i, p in enumerate(cfg.pipelines):
        pipe = build_pipeline(p.name, p.params, f"pipelines[{i}]")
        lines.append(f"{p.row}: {describe(pipeline_choices(pipe, data.image_shape))}")
    return lines


def first_steps(cfg: Config, kind: type) -> list[tuple[str, Any]]:
    """(row, extractor) of each pipeline whose first step is a `kind`."""
    from featcmp.pipelines import build_pipeline

    steps = []
    for i, p in enumerate(cfg.pipelines):
        step = build_pipeline(p.name, p.params, f"pipelines[{i}]").steps[0][1]
        if isinstance(step, kind):
            steps.append((p.row, step))
    return steps


def scattering_lines(cfg: Config, image_shape: tuple[int, ...]) -> list[str]:
    """One line per scattering pipeline: its coefficients, their positions, the feature width,
    and that nothing in it is learned."""
    from featcmp.features.scattering import ScatteringFeatures
    from featcmp.features.scattering_torch import n_coefficients

    lines = []
    for row, step in first_steps(cfg, ScatteringFeatures):
        h, w = step.working_shape(image_shape)
        k = n_coefficients(step.J, step.L, step.max_order)
        positions = (h // 2**step.J, w // 2**step.J)
        c = channels(image_shape)
        width = k * positions[0] * positions[1] * c
        lines.append(
            f"{row}: {k} coefficients (J={step.J} scales, L={step.L} orientations, order "
            f"{step.max_order}) at {positions[0]}x{positions[1]} positions, each averaged over "
            f"{2**step.J} px, x {c} channel(s) = {width:,} features; 0 learned "
            "parameters (fixed Morlet wavelets: only the SVM learns); computed by "
            f"{step.backend_name}"
        )
    return lines


def kmeans_lines(cfg: Config, image_shape: tuple[int, ...]) -> list[str]:
    """One line per k-means pipeline: the dictionary, the code's positions and regions, the
    feature width, and what is learned without labels."""
    from featcmp.features.kmeans import KMeansFeatures

    lines = []
    for row, step in first_steps(cfg, KMeansFeatures):
        k, side, g = step.n_centroids, step.patch_size, step.grid
        d = step.patch_width(image_shape)
        rows, cols = step.positions(image_shape)
        mirrors = f" and their {k:,} mirrors" if step.mirror else ""
        root = "" if step.power == 1 else f", raised to {step.power:g}"
        summed = ", summed with the mirror image's" if step.mirror else ""
        lines.append(
            f"{row}: {k:,} centroids of {side}x{side}x{channels(image_shape)} whitened patches"
            f"{mirrors}, "
            f"triangle code at {rows}x{cols} positions (stride {step.stride}), summed over "
            f"{g}x{g} regions{root}{summed} = {step.width_before_fit(image_shape):,} features; "
            f"learned from training patches, without labels: the whitening ({d}x{d}) and the "
            f"dictionary ({k:,} x {d} = {k * d:,} numbers); the scaler and the SVM learn the rest"
        )
    return lines


def elsewhere_lines(cfg: Config, image_shape: tuple[int, ...]) -> list[str]:
    """One line per pipeline that uses a network trained on other data: what is frozen (a
    transfer_svm's backbone) and what is learned here (its SVM; every layer of a fine-tuned
    network), and how the images are fitted to it."""
    from featcmp.models.transfer import TransferFeatures
    from featcmp.pipelines import build_pipeline
    from featcmp.run.chosen import describe

    lines = []
    for i, p in enumerate(cfg.pipelines):
        pipe = build_pipeline(p.name, p.params, f"pipelines[{i}]")
        first, last = pipe.steps[0][1], pipe.steps[-1][1]
        if isinstance(first, TransferFeatures):
            b = first.open()
            what = "a saved featcmp network" if b.kind == "model" else "a torch export"
            lines.append(
                f"{p.row}: frozen backbone {first.model or first.file} ({what}, trained on "
                f"{b.source}): "
                f"{b.n_params:,} parameters learned elsewhere, none changed here; layers: "
                f"{', '.join(b.layers)}. Learned here: the scaler and the SVM only. "
                f"Input: {describe({'fitted': b.fit.describe(image_shape)})}"
            )
        elif getattr(last, "init_from", None):
            lines.append(
                f"{p.row}: starts from {last.init_from} (fine-tuning): every layer below is "
                "learned here, from the saved weights; a new output layer where the classes "
                f"differ. Input: {describe({'fitted': last.input_fit(image_shape)})}"
            )
    return lines


def explain_config(cfg: Config, where: str = "config") -> None:
    """`featcmp explain`: the values chosen from the data, then each network's layer facts."""
    nets, data = nets_and_data(cfg, where)
    shape = data.image_shape
    sections = (
        ("chosen from the data (set in the config to override):", config_choices(cfg, data)),
        ("wavelet scattering (designed, nothing learned):", scattering_lines(cfg, shape)),
        ("k-means features (learned without labels):", kmeans_lines(cfg, shape)),
        ("learned elsewhere (a network trained on other data):", elsewhere_lines(cfg, shape)),
    )
    for title, lines in sections:
        if lines:  # the data's choices always have their dataset line
            print(title)
            for line in lines:
                print(f"  {line}")
            print()
    print_facts(nets_facts(nets, data))
