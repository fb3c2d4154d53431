"""A frozen network trained elsewhere, opened from a file: a saved featcmp network or any
`torch.export` program (`.pt2`, loaded by torch alone; no torchvision, no code from the file).

`open_backbone` refuses, with one line, what cannot serve: a missing file, a file that is not
a torch export (or not a featcmp network), an output that is neither a vector (N, D) nor a map
(N, C, H, W). A map is averaged over its positions (global average pooling). A featcmp
network gives its pooled, flattened maps: the input of its dense head.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from featcmp.errors import ConfigError, first_line
from featcmp.files import file_digest
from featcmp.models.input_fit import InputFit

PROBE_BATCH = 2  # the rank check runs the backbone on this many blank images


@dataclass(frozen=True)
class Backbone:
    """An opened backbone: its callable, what its input must be, what it holds."""

    kind: str  # "model" (a saved featcmp network) or "file" (a torch export)
    path: Path
    forward: Callable[[torch.Tensor], Any]
    fit: InputFit
    parameters: dict[str, torch.Tensor]  # every weight and buffer, frozen
    layers: tuple[str, ...]  # its layers in words, for explain
    static_batch: int | None  # 1: an export traced for one image at a time; None: any batch
    source: str  # the data it was trained on, where the file says

    @property
    def n_params(self) -> int:
        return int(sum(v.numel() for k, v in self.parameters.items() if v.is_floating_point()))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) images in [0, 1] -> (N, D) features: fitted, run, pooled if a map."""
        x = self.fit.apply(x)
        if self.static_batch is not None:
            parts = [self._pooled(x[i : i + 1]) for i in range(len(x))]
            return torch.cat(parts)
        return self._pooled(x)

    def _pooled(self, x: torch.Tensor) -> torch.Tensor:
        out = self.forward(x)
        if isinstance(out, tuple | list) and len(out) == 1:
            out = out[0]
        if not isinstance(out, torch.Tensor) or out.ndim not in (2, 4):
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise ConfigError(
                f"backbone.{self.kind}: {self.path}: output {shape} is neither a vector (N, D) "
                "nor a map (N, C, H, W)"
            )
        return out.mean(dim=(2, 3)) if out.ndim == 4 else out

    def digest(self) -> str:
        return file_digest(self.path)


@contextlib.contextmanager
def _quiet_torch_export() -> Iterator[None]:
    """torch.export.load logs a traceback before it raises on a foreign file: keep the one
    line featcmp prints."""
    logger = logging.getLogger("torch.export")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _existing(path: str, where: str) -> Path:
    p = Path(path).expanduser()
    if not p.is_file():
        raise ConfigError(f"{where}: {p}: no such file{HINTS[where.rsplit('.', 1)[-1]]}")
    return p


HINTS = {
    "model": "; a run with save_model writes one (`featcmp run transfer/cifar10-source` does)",
    "file": "; featcmp export, or torch.export.save, writes one",
}


def _open_export(path: Path, where: str, size: int | None, mean, std) -> Backbone:
    if not zipfile.is_zipfile(path):
        raise ConfigError(f"{where}: {path}: not a torch export (.pt2) file")
    try:
        with _quiet_torch_export():
            program = torch.export.load(path)
    except Exception as exc:
        reason = first_line(exc)
        raise ConfigError(f"{where}: {path}: not a torch export (.pt2) file ({reason})") from None
    names = list(program.graph_signature.user_inputs)
    if len(names) != 1:
        raise ConfigError(f"{where}: {path}: takes {len(names)} inputs; a backbone takes images")
    node = next(n for n in program.graph.nodes if n.op == "placeholder" and n.name == names[0])
    shape = tuple(node.meta["val"].shape)
    if len(shape) != 4:
        raise ConfigError(f"{where}: {path}: its input has shape {shape}, not (N, C, H, W)")
    batch, channels, height, width = (d if isinstance(d, int) else None for d in shape)
    if channels is None:
        raise ConfigError(f"{where}: {path}: its channel count is not fixed in the export")
    if batch is not None and batch != 1:
        raise ConfigError(
            f"{where}: {path}: exported for batches of {batch} only; export it with a dynamic "
            "batch size (torch.export.Dim), or for one image"
        )
    side = _side(height, width, size, where, path)
    fit = InputFit(channels, side, _floats(mean), _floats(std), _normalisation(mean))
    fit.check(where)
    layers = tuple(
        str(n.target).replace("aten.", "").split(".")[0]
        for n in program.graph.nodes
        if n.op == "call_function"
    )
    module = program.module()
    return Backbone("file", path, module, fit, dict(module.state_dict()), _counted(layers),
                    batch, "unknown (a torch export)")  # fmt: skip


def _side(h: int | None, w: int | None, size: int | None, where: str, path: Path):
    if h is not None and w is not None:
        if size is not None and (size, size) != (h, w):
            raise ConfigError(
                f"{where}.size: {size}, but {path} was exported for {h}x{w} inputs only"
            )
        return (h, w)
    if size is None:
        raise ConfigError(f"{where}.size: {path} takes any size; give the side it expects")
    return (size, size)


def _floats(values) -> tuple[float, ...] | None:
    return None if values is None else tuple(float(v) for v in values)


def _normalisation(mean) -> str:
    return "none" if mean is None else "given: mean and std of the config"


def _counted(ops: tuple[str, ...]) -> tuple[str, ...]:
    """`convolution x20, relu x17, ...` from the export's operator calls, in first-seen order."""
    return tuple(f"{op} x{n}" if n > 1 else op for op, n in Counter(ops).items())


def _open_model(path: Path, where: str) -> Backbone:
    from featcmp.models.saved import frozen_trunk

    payload, body, fit = frozen_trunk(path, where)
    parameters = dict(body.state_dict())
    layers = tuple(type(m).__name__ for m in body)
    source = payload.get("config", {}).get("dataset", {}).get("source", "unknown")
    return Backbone("model", path, body, fit, parameters, layers, None, str(source))


@functools.lru_cache(maxsize=4)
def _opened(kind: str, path: str, stamp: tuple[int, int], size, mean, std) -> Backbone:
    where = f"backbone.{kind}"
    if kind == "model":
        backbone = _open_model(Path(path), where)
    else:
        backbone = _open_export(Path(path), where, size, mean, std)
    with torch.no_grad():  # the rank check, on blank images of the backbone's input
        probe = torch.zeros(PROBE_BATCH, backbone.fit.channels, *backbone.fit.size)
        try:
            backbone._pooled(probe if backbone.static_batch is None else probe[:1])
        except ConfigError:
            raise
        except Exception as exc:
            reason = first_line(exc, 160)
            raise ConfigError(f"{where}: {path}: fails on its own input shape ({reason})") from None
    return backbone


def open_backbone(
    model: str | None, file: str | None, size: int | None = None, mean=None, std=None
) -> Backbone:
    """The backbone a `backbone:` step names, opened and checked (cached while the file is
    unchanged). ConfigError, one line, for anything that cannot serve."""
    if (model is None) == (file is None):
        raise ConfigError(
            "backbone: give model: PATH (a saved featcmp network) or file: PATH.pt2 "
            "(a torch export), one of them"
        )
    kind, name = ("model", model) if model is not None else ("file", file)
    path = _existing(str(name), f"backbone.{kind}")
    stat = path.stat()
    stamp = (stat.st_mtime_ns, stat.st_size)
    mean_key = None if mean is None else tuple(mean)
    std_key = None if std is None else tuple(std)
    return _opened(kind, str(path.resolve()), stamp, size, mean_key, std_key)
