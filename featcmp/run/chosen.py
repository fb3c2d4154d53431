"""What featcmp chose for the user, per job: the values no config set but the data decided.

A folder's layout, split, colour and working size (the source's `source_info`), HOG's cell size
under 'auto', the networks' depth and input size. The record keeps them as `chosen`, and
`featcmp explain` and `--dry-run` show them before anything is fitted: each value comes from
the fitted step where there is one, else from the same rule applied to the image shape.
"""

from __future__ import annotations

from typing import Any

# The source_info keys that are choices (the rest, e.g. a count of skipped files, are facts).
DATASET_CHOICES = ("layout", "split", "color", "size_policy", "image_size")


def dataset_choices(source_info: dict[str, Any]) -> dict[str, Any]:
    """The choices among a source's account of what it read (empty for built-in sources)."""
    return {k: source_info[k] for k in DATASET_CHOICES if source_info.get(k) is not None}


def step_choices(step: Any, image_shape: tuple[int, ...]) -> dict[str, Any]:
    """A step's size-dependent choices (its `choices`; none for a step without the contract)."""
    choices = getattr(step, "choices", None)
    return choices(image_shape) if callable(choices) else {}


def pipeline_choices(pipe: Any, image_shape: tuple[int, ...]) -> dict[str, dict[str, Any]]:
    """{step name: its choices} for the steps of a pipeline that chose something."""
    steps = {}
    for name, step in pipe.steps:
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
