"""Typed, strictly validated experiment configs loaded from YAML, with `--set` overrides.

A config names a dataset and a list of pipelines. `--set key.path=value` addresses any field;
pipelines are addressed by their name: `--set pipelines.hog_svm.params.svm.C=10`.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from featcmp.errors import ConfigError, did_you_mean
from featcmp.typed import convert, describe, from_dict

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def check_name(value: str, where: str) -> str:
    """Names become file names: keep them to one safe path component."""
    if not NAME_PATTERN.match(value) or value in (".", ".."):
        raise ConfigError(
            f"{where}: '{value}' is not a valid name; use letters, digits, '.', '_' and '-' "
            "(no '/', no leading '.')"
        )
    return value


@dataclass
class DatasetConfig:
    """Where the images come from and how they are split. Source options sit beside these keys."""

    source: str = "digits"
    path: str | None = None
    test_size: float = 0.25
    max_train: int | None = None
    max_test: int | None = None
    # How to get the data when `path` is missing (shown in the error); does not affect results.
    hint: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 < self.test_size < 1.0:
            raise ConfigError(f"dataset.test_size: must be between 0 and 1, got {self.test_size}")
        for key in ("max_train", "max_test"):
            value = getattr(self, key)
            if value is not None and value < 1:
                raise ConfigError(f"dataset.{key}: must be at least 1, got {value}")

    def as_dict(self) -> dict[str, Any]:
        out = {
            k: getattr(self, k) for k in ("source", "path", "test_size", "max_train", "max_test")
        }
        out.update(self.options)
        return out


@dataclass
class PipelineConfig:
    """One pipeline: a registry name, an optional row label, and its parameters per step."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    label: str | None = None

    @property
    def row(self) -> str:
        return self.label or self.name

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "params": copy.deepcopy(self.params)}
        if self.label:
            out["label"] = self.label
        return out


@dataclass
class Config:
    """A whole experiment: one dataset, several pipelines, one or more seeds and train sizes."""

    name: str
    dataset: DatasetConfig
    pipelines: list[PipelineConfig]
    seed: int = 0
    seeds: list[int] | None = None
    train_sizes: list[int | float] | None = None
    grid: dict[str, list[Any]] | None = None  # expanded by featcmp.grid; see docs/sweeps.md

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "seed": self.seed,
            "seeds": self.seeds,
            "train_sizes": self.train_sizes,
            "dataset": self.dataset.as_dict(),
            "pipelines": [p.as_dict() for p in self.pipelines],
        }


def _normalise_pipelines(raw: Any) -> Any:
    """Accept `[hog_svm, {name: cnn, params: ...}]`: bare names become `{name: ...}` mappings."""
    if isinstance(raw, list):
        return [{"name": p} if isinstance(p, str) else p for p in raw]
    return raw


def parse_dataset(raw: Any) -> DatasetConfig:
    from featcmp.data.sources import SOURCES

    if not isinstance(raw, dict):
        raise ConfigError(f"dataset: expected a mapping, got {describe(raw)}")
    common = {"source", "path", "test_size", "max_train", "max_test", "hint"}
    source = raw.get("source", "digits")
    if not isinstance(source, str):
        raise ConfigError(f"dataset.source: expected a string, got {describe(source)}")
    if source not in SOURCES:
        raise ConfigError(
            f"dataset.source: unknown source '{source}'{did_you_mean(source, SOURCES)}; "
            f"choose from: {', '.join(sorted(SOURCES))}"
        )
    options_cls = SOURCES[source].options
    option_names = set(options_cls.__dataclass_fields__)
    for key in raw:
        if key not in common and key not in option_names:
            valid = sorted(common | option_names)
            raise ConfigError(
                f"unknown key 'dataset.{key}'{did_you_mean(str(key), valid)} "
                f"for source '{source}'; valid keys: {', '.join(valid)}"
            )
    base = from_dict(DatasetConfig, {k: v for k, v in raw.items() if k in common}, "dataset")
    options = from_dict(options_cls, {k: v for k, v in raw.items() if k not in common}, "dataset")
    base.options = {k: v for k, v in vars(options).items() if k in raw}
    return base


def parse_config(raw: Any, default_name: str = "experiment") -> Config:
    """Validate a plain mapping (as loaded from YAML) into a `Config`."""
    from featcmp.pipelines import build_pipeline

    if not isinstance(raw, dict):
        raise ConfigError(f"config: expected a mapping at the top level, got {describe(raw)}")
    raw = dict(raw)
    raw.setdefault("name", default_name)
    # Unknown top-level keys first, so a misspelt `pipelnes` is named, not reported as missing.
    known = [f.name for f in dataclasses.fields(Config)]
    for key in raw:
        if key not in known:
            raise ConfigError(f"unknown key '{key}'{did_you_mean(str(key), known)}")
    dataset = parse_dataset(raw.pop("dataset", {}))
    if "pipelines" not in raw:
        raise ConfigError("missing key 'pipelines': list the pipelines to run, e.g. [hog_svm, cnn]")
    raw["pipelines"] = _normalise_pipelines(raw["pipelines"])
    pipelines = convert(raw.pop("pipelines"), list[PipelineConfig], "pipelines")
    if not pipelines:
        raise ConfigError("pipelines: the list is empty; name at least one pipeline")
    cfg = from_dict(Config, {**raw, "dataset": {}, "pipelines": []})
    cfg.dataset, cfg.pipelines = dataset, pipelines
    check_name(cfg.name, "name")
    rows: set[str] = set()
    for i, p in enumerate(pipelines):
        where = f"pipelines[{i}]"
        if p.label is not None:
            check_name(p.label, f"{where}.label")
        if p.row in rows:
            raise ConfigError(
                f"{where}: duplicate pipeline '{p.row}'; give one of them a distinct 'label'"
            )
        rows.add(p.row)
        build_pipeline(p.name, p.params, where)  # validates names, types and values
    if cfg.seeds is not None and not cfg.seeds:
        raise ConfigError("seeds: the list is empty; give at least one seed or drop the key")
    for i, size in enumerate(cfg.train_sizes or []):
        if size <= 0 or (isinstance(size, float) and size > 1.0):
            raise ConfigError(
                f"train_sizes[{i}]: {size} is neither a count >= 1 nor a fraction in (0, 1]"
            )
    return cfg


def read_yaml(path: Path) -> Any:
    """Read YAML with the safe loader only; a syntax error names the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ConfigError(f"{path}: invalid YAML{at}: {problem}") from None


def _split_assignment(text: str) -> tuple[list[str], Any]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set '{text}': expected KEY=VALUE, e.g. --set seed=3")
    try:
        parsed = yaml.safe_load(value) if value.strip() else ""
    except yaml.YAMLError:
        parsed = value
    return key.strip().split("."), parsed


def set_path(raw: dict[str, Any], keys: list[str], value: Any, origin: str) -> None:
    """Set `a.b.c` in nested plain data; list items of `pipelines` are addressed by name."""
    node: Any = raw
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(node, list):
            match = [
                p for p in node if isinstance(p, dict) and key in (p.get("label"), p.get("name"))
            ]
            if not match:
                names = [str(p.get("label") or p.get("name")) for p in node if isinstance(p, dict)]
                raise ConfigError(
                    f"{origin}: no pipeline named '{key}' in this config{did_you_mean(key, names)}"
                )
            if last:
                raise ConfigError(f"{origin}: cannot replace a whole pipeline; set one of its keys")
            node = match[0]
            continue
        if not isinstance(node, dict):
            raise ConfigError(f"{origin}: '{'.'.join(keys[:i])}' is not a mapping")
        if last:
            node[key] = value
        else:
            node = node.setdefault(key, {})


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply `--set key.path=value` overrides (values parsed as YAML) to a raw config."""
    raw = copy.deepcopy(raw)
    if "pipelines" in raw:
        raw["pipelines"] = _normalise_pipelines(raw["pipelines"])
    for text in overrides:
        keys, value = _split_assignment(text)
        set_path(raw, keys, value, f"--set {text}")
    return raw


def dataset_from_cli(source: str, path: str | None, overrides: list[str]) -> DatasetConfig:
    """A dataset spec from a source name or a config file's `dataset:`, plus `key=value` options."""
    if source.endswith((".yaml", ".yml")):
        raw = read_yaml(Path(source))
        if not isinstance(raw, dict) or not isinstance(raw.get("dataset", {}), dict):
            raise ConfigError(f"{source}: expected a config with a 'dataset:' mapping")
        data = dict(raw.get("dataset", {}))
    else:
        data = {"source": source}
    if path is not None:
        data["path"] = path
    for text in overrides:
        keys, value = _split_assignment(text)
        set_path(data, keys[1:] if keys[0] == "dataset" else keys, value, f"--set {text}")
    return parse_dataset(data)


def load_config(path: str | Path, overrides: list[str] | None = None) -> Config:
    """Load, override and validate a YAML config file."""
    path = Path(path)
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {describe(raw)}")
    raw = apply_overrides(raw, overrides or [])
    try:
        cfg = parse_config(raw, default_name=path.stem)
        if cfg.grid:
            from featcmp.grid import expand_grid

            expand_grid(cfg)  # every grid point is checked now, before any run starts
        return cfg
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
