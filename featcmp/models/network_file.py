"""The file a kept featcmp network lives in: tensors and plain data, never pickled code.

`torch.save` of a mapping (the state dict, the normalisation, the estimator's parameters, its
input shape, class indices and names, the data fingerprint, the job's resolved config), read
back with `torch.load(weights_only=True)`, which refuses anything that would run code. This
module knows the format only; featcmp.models.saved builds and rebuilds the networks.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import torch

from featcmp.errors import ConfigError, first_line
from featcmp.files import atomic_write_bytes
from featcmp.models.input_fit import InputFit

FORMAT, VERSION = "featcmp-network", 1
SUFFIX = ".model.pt"  # beside the record: <row>-<id>.model.pt
ESTIMATORS = ("CNNClassifier", "MLPClassifier")  # the networks a file may name, nothing else


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
        raise ConfigError(f"{where}: {path}: not a featcmp network ({first_line(exc)})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ConfigError(f"{where}: {path}: not a featcmp network (no '{FORMAT}' mark)")
    if payload.get("version") != VERSION or payload.get("estimator") not in ESTIMATORS:
        raise ConfigError(
            f"{where}: {path}: a featcmp network of version {payload.get('version')!r} "
            f"({payload.get('estimator')!r}); this featcmp reads version {VERSION}"
        )
    return payload


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
