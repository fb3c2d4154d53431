"""Parameter grids: a config's `grid:` section expanded to the cartesian product of configs.

Keys use the `--set` syntax (`pipelines.hog_svm.params.svm.C`, `dataset.difficulty`, `seed`),
values are lists. Every grid point is a full config, checked like a config file, so a bad
value shows before any run starts. Points differ in their pipelines' row labels
(`hog_svm.C-10`) so the report keeps them apart; seeds and training sizes are left out of the
label because the report already aggregates over seeds and splits rows by training size.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import re
from typing import Any

from featcmp.config.load import set_path
from featcmp.config.schema import Config, check_key_lists, parse_config
from featcmp.errors import ConfigError

# Keys the report already tells apart (or averages over): they never change a row label.
UNLABELLED_KEYS = ("seed", "seeds", "train_sizes", "name")
MAX_LABEL = 100


def check_grid(grid: Any) -> dict[str, list[Any]]:
    """The grid as {dotted key: non-empty list}; anything else is a ConfigError."""
    check_key_lists(grid, "grid", "dataset.difficulty")
    if any(key == "grid" or key.startswith("grid.") for key in grid):
        raise ConfigError("grid: a grid cannot set the grid itself")
    return grid


def _value_text(value: Any) -> str:
    """A value as a file-name-safe token: [4, 4] -> 4x4, 'L2-Hys' -> L2-Hys, 0.1 -> 0.1."""
    if isinstance(value, list | tuple):
        return "x".join(_value_text(v) for v in value)
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(value)).strip("_") or "_"


def _leaf(key: str, keys: list[str]) -> str:
    """The last key component, or the path after `params.` when two grid keys share a leaf."""
    last = key.rsplit(".", 1)[-1]
    if sum(k.rsplit(".", 1)[-1] == last for k in keys) == 1:
        return last
    return key.split(".params.", 1)[-1].replace(".", "_")


def _suffix(point: dict[str, Any], names: tuple[str, ...], keys: list[str]) -> str:
    """The label suffix of one pipeline at one grid point: keys that concern it, as key-value."""
    parts = []
    for key, value in point.items():
        if key in UNLABELLED_KEYS:
            continue
        if key.startswith("pipelines.") and key.split(".")[1] not in names:
            continue
        parts.append(f"{_leaf(key, keys)}-{_value_text(value)}")
    return ".".join(parts)


def _label(row: str, suffix: str) -> str:
    label = f"{row}.{suffix}" if suffix else row
    if len(label) > MAX_LABEL:  # keep it one path component; the hash keeps it unique
        digest = hashlib.sha256(suffix.encode()).hexdigest()[:8]
        label = f"{label[: MAX_LABEL - 9]}-{digest}"
    return label


def expand_grid(cfg: Config) -> list[Config]:
    """Every grid point of `cfg` as a Config (just `[cfg]` without a grid)."""
    return [point for _, point in grid_points(cfg)]


def grid_points(cfg: Config) -> list[tuple[str, Config]]:
    """Every grid point of `cfg` as (where, Config), `where` naming its values for messages
    ('' without a grid). Each point's structure is checked as a config file's is.

    Raises
    ------
    ConfigError
        Naming the grid point and the key path, when a point is not a valid config.
    """
    if not cfg.grid:
        return [("", cfg)]
    grid = check_grid(cfg.grid)
    keys = list(grid)
    base = cfg.as_dict()  # without `grid`: each point is a plain config
    configs = []
    for values in itertools.product(*(grid[k] for k in keys)):
        point = dict(zip(keys, values, strict=True))
        where = "grid point " + ", ".join(f"{k}={v!r}" for k, v in point.items())
        raw = copy.deepcopy(base)
        # set_path finds a pipeline by its label or its name; so does the label suffix.
        names = [(p.get("label") or p["name"], p["name"]) for p in raw["pipelines"]]
        for key, value in point.items():
            set_path(raw, key.split("."), copy.deepcopy(value), f"{where}: {key}")
        for p, (row, name) in zip(raw["pipelines"], names, strict=True):
            suffix = _suffix(point, (row, name), keys)
            if suffix:
                p["label"] = _label(row, suffix)
        try:
            configs.append((where, parse_config(raw, default_name=cfg.name)))
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    return configs
