"""The config schema: typed dataclasses for an experiment, converted strictly from plain data.

Only the structure is checked here (keys, types, ranges, names). What needs the registries (is
`hog_svm` a pipeline, does the `scenes` source take `difficulty`) is checked one layer up, in
`featcmp.run.jobs`, so this package imports nothing from run, report, models, features or data.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from featcmp.config.auto_seeds import AutoSeeds, parse_auto
from featcmp.config.params import Param, Range, Rule, check_params, declare
from featcmp.config.typed import convert, describe, from_dict
from featcmp.errors import ConfigError, did_you_mean

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


SEARCHES = ("grid", "halving")


def check_key_lists(grid: Any, where: str, example: str) -> dict[str, list[Any]]:
    """`grid` as {dotted key path: non-empty list of values}: what a config's `grid:` and a
    pipeline's `select.grid` both take (`example` shows a path)."""
    if not isinstance(grid, dict) or not grid:
        raise ConfigError(
            f"{where}: expected a mapping of key paths to lists of values, got {grid!r}"
        )
    for key, values in grid.items():
        if not isinstance(key, str) or not key or any(not part for part in key.split(".")):
            raise ConfigError(f"{where}: '{key}' is not a key path like {example}")
        if not isinstance(values, list) or not values:
            raise ConfigError(
                f"{where}.{key}: expected a non-empty list of values, got {values!r} "
                f"(write [{values!r}] for a single value)"
            )
    return grid


SELECT_PARAMS = declare(
    cv=Param(int | None, None, "stratified k-fold cross-validation folds", range=Range(2, None)),
    validation=Param(
        float | None, None, "one stratified validation split, a fraction of the training split",
        range=Range(0, 1, low_open=True, high_open=True),
    ),
    search=Param(
        str, "grid", "grid: every candidate; halving: successive halving", choices=SEARCHES
    ),
)  # fmt: skip
SELECT_RULES = (
    Rule(
        ("cv", "validation"),
        lambda cv, validation: cv is None or validation is None,
        "give cv (k-fold cross-validation) or validation (one split), not both",
    ),
    Rule(
        ("search", "validation"),
        lambda search, validation: search != "halving" or validation is None,
        "search: halving needs cv folds, not one validation split",
    ),
)


@dataclass
class SelectConfig:
    """Choose a pipeline's hyperparameters on the training split only, then score the chosen
    setting once on the test set. `grid` maps parameter paths as in `params` (`svm.C` for a
    step's parameter, `epochs` for a network) to the values to try; candidates are scored by
    stratified k-fold cross-validation (`cv`, the default 3) or on one stratified validation
    split carved from the training split (`validation`, a fraction), never on the test set."""

    grid: dict[str, list[Any]]
    cv: int | None = None
    validation: float | None = None
    search: str = "grid"  # grid: every candidate; halving: successive halving over samples

    def check(self, where: str) -> None:
        check_key_lists(self.grid, f"{where}.grid", "svm.C")
        values = {name: getattr(self, name) for name in SELECT_PARAMS}
        check_params(SELECT_PARAMS, SELECT_RULES, values, where)

    @property
    def folds(self) -> int:
        return 3 if self.cv is None and self.validation is None else (self.cv or 1)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"grid": copy.deepcopy(self.grid), "search": self.search}
        if self.validation is not None:
            out["validation"] = self.validation
        else:
            out["cv"] = self.folds
        return out


@dataclass
class ReportConfig:
    """How `featcmp report` decides a verdict: the region of practical equivalence (`rope`, in
    accuracy: 0.01 is ±1 point) and the probability at which one outcome decides (`decide`).
    Read by the report from the records; they do not change what a run computes."""

    rope: float = 0.01
    decide: float = 0.95

    def check(self) -> None:
        if not 0 <= self.rope < 1:
            raise ConfigError(f"report.rope: {self.rope} is not an accuracy margin in [0, 1)")
        if not 0.5 < self.decide < 1:
            raise ConfigError(f"report.decide: {self.decide} is not a probability in (0.5, 1)")

    def as_dict(self) -> dict[str, Any]:
        return {"rope": self.rope, "decide": self.decide}


@dataclass
class PipelineConfig:
    """One pipeline: a registry name, an optional row label, its parameters per step, and
    optionally the parameters to choose on the training split (`select`)."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    label: str | None = None
    select: SelectConfig | None = None
    # Keep the trained network (featcmp.models.saved): true, beside the record; a path
    # (`runs/models/cifar10-cnn.pt`), there, for a later config's `init_from` or `backbone`.
    save_model: bool | str = False

    @property
    def row(self) -> str:
        return self.label or self.name

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "params": copy.deepcopy(self.params)}
        if self.label:
            out["label"] = self.label
        if self.select is not None:
            out["select"] = self.select.as_dict()
        if self.save_model:  # a job that saves is another job: its network is kept
            out["save_model"] = self.save_model
        return out


@dataclass
class Config:
    """A whole experiment: one dataset, several pipelines, one or more seeds and train sizes."""

    name: str
    dataset: DatasetConfig
    pipelines: list[PipelineConfig]
    seed: int = 0
    seeds: list[int] | str | None = None  # a list, or "auto" (featcmp.config.auto_seeds)
    max_seeds: int | None = None  # seeds: auto only
    budget: str | None = None  # seeds: auto only: 90s, 20m, 1h
    train_sizes: list[int | float] | None = None
    grid: dict[str, list[Any]] | None = None  # expanded by featcmp.config.grid; docs/sweeps.md
    report: ReportConfig | None = None  # the verdict's ROPE and threshold (featcmp report)

    @property
    def auto(self) -> AutoSeeds | None:
        """The rule's numbers with `seeds: auto`; None with a list of seeds or one seed."""
        return parse_auto(self.seeds, self.max_seeds, self.budget)

    def seed_list(self, auto_count: int | None = None) -> list[int]:
        """The seeds to run: the list, the one seed, or with `seeds: auto` the first
        `auto_count` of 0, 1, 2, ... (default: the first round)."""
        auto = self.auto
        if auto is not None:
            return list(range(auto_count or auto.counts()[0]))
        return list(self.seeds) if isinstance(self.seeds, list) else [self.seed]

    def as_dict(self) -> dict[str, Any]:
        out = {
            "name": self.name,
            "seed": self.seed,
            "seeds": self.seeds,
            "train_sizes": self.train_sizes,
            "dataset": self.dataset.as_dict(),
            "pipelines": [p.as_dict() for p in self.pipelines],
        }
        if self.auto is not None:
            out.update(max_seeds=self.auto.max_seeds, budget=self.auto.budget)
        if self.report is not None:
            out["report"] = self.report.as_dict()
        return out


def normalise_pipelines(raw: Any) -> Any:
    """Accept `[hog_svm, {name: cnn, params: ...}]`: bare names become `{name: ...}` mappings."""
    if isinstance(raw, list):
        return [{"name": p} if isinstance(p, str) else p for p in raw]
    return raw


DATASET_KEYS = ("source", "path", "test_size", "max_train", "max_test", "hint")


def parse_dataset(raw: Any) -> DatasetConfig:
    """The common dataset keys, typed; any other key is kept as a source option, which
    `featcmp.run.jobs` checks against the named source's own options."""
    if not isinstance(raw, dict):
        raise ConfigError(f"dataset: expected a mapping, got {describe(raw)}")
    source = raw.get("source", "digits")
    if not isinstance(source, str):
        raise ConfigError(f"dataset.source: expected a string, got {describe(source)}")
    base = from_dict(DatasetConfig, {k: v for k, v in raw.items() if k in DATASET_KEYS}, "dataset")
    base.options = {str(k): v for k, v in raw.items() if k not in DATASET_KEYS}
    return base


def parse_config(raw: Any, default_name: str = "experiment") -> Config:
    """Convert a plain mapping (as loaded from YAML) into a `Config`, checking its structure."""
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
    raw["pipelines"] = normalise_pipelines(raw["pipelines"])
    pipelines = convert(raw.pop("pipelines"), list[PipelineConfig], "pipelines")
    if not pipelines:
        raise ConfigError("pipelines: the list is empty; name at least one pipeline")
    # `seeds: auto` and its limits first: one line for each way they can be wrong.
    auto = parse_auto(raw.get("seeds"), raw.pop("max_seeds", None), raw.pop("budget", None))
    cfg = from_dict(Config, {**raw, "dataset": {}, "pipelines": []})
    cfg.dataset, cfg.pipelines = dataset, pipelines
    if auto is not None:
        cfg.max_seeds, cfg.budget = auto.max_seeds, auto.budget
    check_name(cfg.name, "name")
    if cfg.report is not None:
        cfg.report.check()
    _check_pipelines(pipelines)
    _check_repeats(cfg)
    return cfg


def _check_pipelines(pipelines: list[PipelineConfig]) -> None:
    """Labels are file names, selections well formed, and every row is told apart."""
    rows: set[str] = set()
    for i, p in enumerate(pipelines):
        where = f"pipelines[{i}]"
        if p.label is not None:
            check_name(p.label, f"{where}.label")
        if p.select is not None:
            p.select.check(f"{where}.select")
        if isinstance(p.save_model, str) and not p.save_model.strip():
            raise ConfigError(f"{where}.save_model: true, or a file path; got an empty string")
        if p.row in rows:
            raise ConfigError(
                f"{where}: duplicate pipeline '{p.row}'; give one of them a distinct 'label'"
            )
        rows.add(p.row)


def _check_repeats(cfg: Config) -> None:
    """Seeds and training sizes, where given, are lists a run can repeat over."""
    if cfg.seeds is not None and not cfg.seeds:
        raise ConfigError("seeds: the list is empty; give at least one seed or drop the key")
    for i, size in enumerate(cfg.train_sizes or []):
        if size <= 0 or (isinstance(size, float) and size > 1.0):
            raise ConfigError(
                f"train_sizes[{i}]: {size} is neither a count >= 1 nor a fraction in (0, 1]"
            )
