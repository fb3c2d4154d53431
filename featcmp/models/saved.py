"""A trained featcmp network kept as a file, and rebuilt from one.

`save_model: true` on a pipeline entry writes one beside the job's record
(featcmp.models.network_file: tensors and plain data, never pickled code). The network is
rebuilt from its class's `build_module` with the saved parameters, so a reloaded network
predicts exactly what the run's did.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from featcmp.errors import ConfigError, first_line
from featcmp.models.input_fit import InputFit
from featcmp.models.network_file import (
    FORMAT,
    VERSION,
    fit_from_plain,
    fit_to_plain,
    load_payload,
    saved_input_fit,
)
from featcmp.models.training import TorchClassifier, plain

__all__ = ["load_payload", "saved_input_fit"]  # the file's side, for who rebuilds networks


def estimator_classes() -> dict[str, type[TorchClassifier]]:
    """The networks a file may name, by class name (nothing else is ever built from a file)."""
    from featcmp.models.nets import CNNClassifier, MLPClassifier

    return {cls.__name__: cls for cls in (CNNClassifier, MLPClassifier)}


def network_payload(
    net: TorchClassifier, class_names: list[str], fingerprint: str, config: dict[str, Any]
) -> dict[str, Any]:
    """What a saved network holds: only tensors and plain data."""
    linear = [m for m in net.module_.modules() if isinstance(m, nn.Linear)]
    return {
        "format": FORMAT,
        "version": VERSION,
        "estimator": type(net).__name__,
        "params": {k: plain(v) for k, v in net.get_params(deep=False).items()},
        "in_shape": list(net.in_shape_),
        "n_classes": int(linear[-1].out_features),
        "classes": [plain(c) for c in net.classes_],
        "class_names": [str(n) for n in class_names],
        "mean": net.mean_.detach().cpu().clone(),
        "std": net.std_.detach().cpu().clone(),
        "input_fit": fit_to_plain(net.input_fit_),
        "state_dict": {k: v.detach().cpu().clone() for k, v in net.module_.state_dict().items()},
        "fingerprint": fingerprint,
        "config": config,
    }


def restore(payload: dict[str, Any], where: str = "model") -> TorchClassifier:
    """A fitted classifier from a payload, on the CPU, in inference mode; ConfigError (one
    line) for a file whose parts do not make a network (edited or damaged)."""
    try:
        return _restore(payload)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ConfigError(
            f"{where}: the saved network does not rebuild ({first_line(exc)})"
        ) from None


def _restore(payload: dict[str, Any]) -> TorchClassifier:
    cls = estimator_classes()[payload["estimator"]]
    net = cls(**{k: v for k, v in payload["params"].items() if k in cls.declared_params()})
    net.device = "cpu"
    in_shape = tuple(int(v) for v in payload["in_shape"])
    for name, value in net.shape_plan(in_shape).items():
        setattr(net, f"{name}_", value)
    module = net.build_module(in_shape, int(payload["n_classes"]))
    module.load_state_dict(payload["state_dict"])
    net.module_ = module.train(False)
    net.device_ = torch.device("cpu")
    net.in_shape_ = in_shape
    net.classes_ = np.asarray(payload["classes"])
    net.mean_, net.std_ = payload["mean"], payload["std"]
    net.input_fit_ = fit_from_plain(payload["input_fit"])
    linear = [m for m in module.modules() if isinstance(m, nn.Linear)]
    net.feature_dim_ = linear[-1].in_features
    net.n_params_ = sum(p.numel() for p in module.parameters())
    return net


def load_network(path: str | Path, where: str = "model") -> TorchClassifier:
    """A saved featcmp network, fitted and ready to predict."""
    return restore(load_payload(path, where), where)


def trunk(net: TorchClassifier) -> nn.Sequential:
    """The network up to its pooled, flattened maps (a CNN's) or its input (an MLP's): the
    features a frozen backbone gives, the input of its dense head."""
    layers = list(net.module_)
    cut = next((i for i, m in enumerate(layers) if isinstance(m, nn.Flatten)), None)
    if cut is None:
        raise ConfigError(f"{type(net).__name__}: no flattened features to take")
    return nn.Sequential(*layers[: cut + 1]).train(False)


def frozen_trunk(path: str | Path, where: str) -> tuple[dict[str, Any], nn.Sequential, InputFit]:
    """A saved network's payload, its trunk frozen (no weight requires a gradient) and how
    images become its input: what a backbone and an export both start from."""
    payload = load_payload(path, where)
    body = trunk(restore(payload, where)).requires_grad_(False)
    return payload, body, saved_input_fit(payload, where)
