"""What featcmp chose for the user, per job: the values no config set but the data decided.

A folder's layout, split, colour and working size (the source's `source_info`), HOG's cell size
under 'auto', the networks' depth and input size. The record keeps them as `chosen`, and
`featcmp explain` and `--dry-run` show them before anything is fitted: each value comes from
the fitted step where there is one, else from the same rule applied to the image shape.
"""

from __future__ import annotations

import copy
from typing import Any

# The source_info keys that are choices (the rest, e.g. a count of skipped files, are facts).
DATASET_CHOICES = ("layout", "split", "color", "size_policy", "image_size")
# Fitted attributes of torch classifiers that the image size decides (see models/nets.py).
NET_CHOICES = ("n_blocks_", "input_size_", "downsample_")


def dataset_choices(source_info: dict[str, Any]) -> dict[str, Any]:
    """The choices among a source's account of what it read (empty for built-in sources)."""
    return {k: source_info[k] for k in DATASET_CHOICES if source_info.get(k) is not None}


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _in_shape(image_shape: tuple[int, ...]) -> tuple[int, int, int]:
    """(H, W[, C]) images as the (C, H, W) a network is built for."""
    if len(image_shape) == 3:
        return (int(image_shape[2]), int(image_shape[0]), int(image_shape[1]))
    return (1, int(image_shape[0]), int(image_shape[1]))


def step_choices(step: Any, image_shape: tuple[int, ...]) -> dict[str, Any]:
    """A step's size-dependent choices: fitted where it was fitted, else what fit would pick."""
    from featcmp.features.hog import HOGFeatures, auto_pixels_per_cell

    out: dict[str, Any] = {}
    if isinstance(step, HOGFeatures):
        try:
            cells = step.pixels_per_cell_
        except AttributeError:  # 'auto', not fitted yet: the rule on these images
            cells = auto_pixels_per_cell(image_shape, tuple(step.cells_per_block))
        out["pixels_per_cell"] = list(cells)
    if hasattr(step, "downsample_for"):  # raw pixels and edges: averaged down past max_size
        try:
            out["downsample"] = int(step.downsample_)
        except AttributeError:
            out["downsample"] = int(step.downsample_for(image_shape))
        return out
    fitted = {name: getattr(step, name) for name in NET_CHOICES if hasattr(step, name)}
    if not fitted and hasattr(step, "_record_shape_choices"):
        probe = copy.copy(step)  # the network's own rule, on a copy left unfitted
        probe._record_shape_choices(_in_shape(image_shape))
        fitted = {name: getattr(probe, name) for name in NET_CHOICES if hasattr(probe, name)}
    out.update({name.rstrip("_"): _plain(v) for name, v in fitted.items()})
    return out


def pipeline_choices(pipe: Any, image_shape: tuple[int, ...]) -> dict[str, dict[str, Any]]:
    """{step name: its choices} for the steps of a pipeline that chose something."""
    steps = {}
    for name, step in pipe.steps:
        step = getattr(step, "extractor", step)  # the feature cache's wrapper, if any
        choices = step_choices(step, image_shape)
        if choices:
            steps[name] = choices
    return steps


def chosen(pipe: Any, image_shape: tuple[int, ...], source_info: dict[str, Any]) -> dict:
    """The record's `chosen`: {'dataset': ..., 'pipeline': {step: {...}}}."""
    return {
        "dataset": dataset_choices(source_info),
        "pipeline": pipeline_choices(pipe, image_shape),
    }


def describe(choices: dict[str, Any]) -> str:
    """`hog: pixels_per_cell 8x8; cnn: n_blocks 2, input_size 48x48` (or 'nothing')."""
    parts = []
    for step, values in choices.items():
        items = ", ".join(f"{k} {_text(v)}" for k, v in values.items())
        parts.append(f"{step}: {items}")
    return "; ".join(parts) or "nothing"


def _text(value: Any) -> str:
    if isinstance(value, list | tuple) and all(isinstance(v, int) for v in value):
        return "x".join(map(str, value))
    return str(value)
