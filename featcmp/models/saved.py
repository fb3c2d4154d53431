"""A trained featcmp network kept as a file: tensors and plain data, never pickled code.

`save_model: true` on a pipeline entry writes one beside the job's record. The file is
`torch.save` of a mapping of tensors (the state dict, the normalisation) and plain values (the
estimator's parameters, its input shape, class indices and names, the data fingerprint and the
job's resolved config), read back with `torch.load(weights_only=True)`, which refuses anything
that would run code. The network is rebuilt from its class's `build_module` with the saved
parameters, so a reloaded network predicts exactly what the run's did.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from featcmp.errors import ConfigError
from featcmp.files import atomic_write_bytes
from featcmp.models.input_fit import InputFit
from featcmp.models.training import TorchClassifier, plain

FORMAT, VERSION = "featcmp-network", 1
SUFFIX = ".model.pt"  # beside the record: <row>-<id>.model.pt


def estimator_classes() -> dict[str, type[TorchClassifier]]:
    """The networks a file may name, by class name (nothing else is ever built from a file)."""
    from featcmp.models.nets import CNNClassifier, MLPClassifier

    return {cls.__name__: cls for cls in (CNNClassifier, MLPClassifier)}


def fit_to_plain(fit: InputFit | None) -> dict[str, Any] | None:
    if fit is None:
        return None
    return {
        "channels": fit.channels,
        "size": list(fit.size),
        "mean": None if fit.mean is None else list(fit.mean),
        "std": None if fit.std is None else list(fit.std),
        "normalisation": fit.normalisation,
    }


def fit_from_plain(data: dict[str, Any] | None) -> InputFit | None:
    if data is None:
        return None
    mean, std = data["mean"], data["std"]
    return InputFit(
        int(data["channels"]), (int(data["size"][0]), int(data["size"][1])),
        None if mean is None else tuple(mean), None if std is None else tuple(std),
        str(data["normalisation"]),
    )  # fmt: skip


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


def save_network(path: Path, payload: dict[str, Any]) -> None:
    """Write a payload atomically: a reader sees the whole file or none."""
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def load_payload(path: str | Path, where: str = "model") -> dict[str, Any]:
    """A saved network's payload, checked; ConfigError (one line) for a missing file or one
    that is not a featcmp network."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ConfigError(f"{where}: {path}: no such file; a run with save_model writes one")
    if not zipfile.is_zipfile(path):
        raise ConfigError(f"{where}: {path}: not a featcmp network (not a torch.save file)")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a torch export, a pickle with code, a damaged file
        reason = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"{where}: {path}: not a featcmp network ({reason})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ConfigError(f"{where}: {path}: not a featcmp network (no '{FORMAT}' mark)")
    if payload.get("version") != VERSION or payload.get("estimator") not in estimator_classes():
        raise ConfigError(
            f"{where}: {path}: a featcmp network of version {payload.get('version')!r} "
            f"({payload.get('estimator')!r}); this featcmp reads version {VERSION}"
        )
    return payload


def restore(payload: dict[str, Any], where: str = "model") -> TorchClassifier:
    """A fitted classifier from a payload, on the CPU, in inference mode; ConfigError (one
    line) for a file whose parts do not make a network (edited or damaged)."""
    try:
        return _restore(payload)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:120]
        raise ConfigError(f"{where}: the saved network does not rebuild ({reason})") from None


def _restore(payload: dict[str, Any]) -> TorchClassifier:
    cls = estimator_classes()[payload["estimator"]]
    net = cls(**{k: v for k, v in payload["params"].items() if k in cls.declared_params()})
    net.device = "cpu"
    in_shape = tuple(int(v) for v in payload["in_shape"])
    for name, value in net.shape_plan(in_shape).items():
        setattr(net, f"{name}_", value)
    module = net.build_module(in_shape, int(payload["n_classes"]))
    module.load_state_dict(payload["state_dict"])
    net.module_ = module.eval()
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
    return nn.Sequential(*layers[: cut + 1]).eval()


def saved_input_fit(payload: dict[str, Any], where: str) -> InputFit:
    """How images become a saved network's input: its own fit (a fine-tuned network's) or its
    input shape, and its training set's normalisation."""
    own = fit_from_plain(payload["input_fit"])
    if own is not None:
        return own
    c, h, w = (int(v) for v in payload["in_shape"])
    mean = tuple(float(v) for v in payload["mean"].flatten())
    std = tuple(float(v) for v in payload["std"].flatten())
    source = payload.get("config", {}).get("dataset", {}).get("source", "its training set")
    return InputFit(c, (h, w), mean, std, f"saved: the training statistics of {source}")
