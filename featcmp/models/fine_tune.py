"""Fine-tuning: a network that starts from a saved featcmp network instead of random weights.

`init_from: PATH` on the `cnn` (or `mlp`) pipeline. The architecture is the saved one (the
config's architecture parameters must equal it), the images are fitted to its input (channels,
size, the source's normalisation: featcmp.models.input_fit), and every weight is loaded from
the file except the output layer when the classes differ (another dataset's classes, or a
different count): that one starts fresh from the job's seed. Then every layer trains.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from featcmp.errors import ConfigError
from featcmp.models.input_fit import InputFit
from featcmp.models.network_file import load_payload, saved_input_fit

WHERE = "init_from"


def source_payload(init_from: str, kind: str, architecture: dict[str, Any]) -> dict[str, Any]:
    """The saved network `init_from` names, checked against the network that starts from it:
    the same kind (`kind`, its class name), the same `architecture` (the parameters that decide
    its layers). ConfigError (one line) otherwise."""
    payload = load_payload(init_from, WHERE)
    if payload["estimator"] != kind:
        raise ConfigError(f"{WHERE}: {init_from} holds a {payload['estimator']}, not a {kind}")
    for key, value in architecture.items():
        saved = payload["params"].get(key)
        if saved != value:
            raise ConfigError(
                f"{WHERE}: {init_from} has {key} {saved!r}, this config {value!r}; "
                "fine-tuning needs the same architecture (set them equal)"
            )
    return payload


def source_fit(payload: dict[str, Any]) -> InputFit:
    return saved_input_fit(payload, WHERE)


def keeps_head(payload: dict[str, Any], n_classes: int, names: list[str] | None) -> bool:
    """The saved output layer is kept only for the same classes: same names, same count."""
    return (
        names is not None
        and list(names) == list(payload["class_names"])
        and (n_classes == int(payload["n_classes"]))
    )


def start_module(module: nn.Module, payload: dict[str, Any], keep_head: bool) -> nn.Module:
    """`module` (built for the saved input shape, seeded) with the saved weights loaded; its
    own fresh output layer stays unless `keep_head`."""
    state = payload["state_dict"]
    head = [name for name, m in module.named_modules() if isinstance(m, nn.Linear)][-1]
    if not keep_head:
        state = {k: v for k, v in state.items() if not k.startswith(f"{head}.")}
    missing, unexpected = module.load_state_dict(state, strict=False)
    if unexpected or any(not k.startswith(f"{head}.") for k in missing):
        raise ConfigError(f"{WHERE}: the saved weights do not fit the network built from them")
    return module


def zeros_and_ones(channels: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The network's own standardisation when the input fit already normalises."""
    return torch.zeros(1, channels, 1, 1), torch.ones(1, channels, 1, 1)
