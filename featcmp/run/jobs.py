"""Jobs from configs: the one place where a config meets the registries.

`featcmp.config` checks a config's structure; here its names are checked against the pipeline
and source registries, its grid is expanded once, and what comes out is the list of jobs. A job
is one pipeline at one seed and one training-set size; its id is a hash of everything that
decides its result, so equal jobs share a record file and different ones never collide.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from sklearn.pipeline import Pipeline

from featcmp.config import schema
from featcmp.config.grid import grid_points
from featcmp.config.load import read_config, read_yaml, set_path, split_assignment
from featcmp.config.params import declarations
from featcmp.config.schema import Config, DatasetConfig, PipelineConfig
from featcmp.config.typed import from_dict
from featcmp.data.sources import SOURCES
from featcmp.errors import ConfigError, did_you_mean
from featcmp.families import TUNED
from featcmp.files import file_digest
from featcmp.pipelines import PIPELINES, PipelineSpec, build_pipeline
from featcmp.run.selection import candidate_pipelines


@dataclass(frozen=True)
class Built:
    """A job's pipeline and its selection's candidates (none without `select:`), unfitted."""

    pipe: Pipeline
    candidates: tuple[Pipeline, ...] = ()

    @property
    def every(self) -> list[Pipeline]:
        """The pipeline, then each candidate: what the pre-check checks against the images."""
        return [self.pipe, *self.candidates]


@functools.cache
def file_params(spec: PipelineSpec) -> tuple[tuple[str, str], ...]:
    """(step, parameter) of a pipeline's parameters declared `reads_file`, from its factory's
    steps: found once per pipeline, not each time a job's id is asked for."""
    return tuple(
        (step_name, key)
        for step_name, step in spec.build().steps
        for key, param in declarations(step)[0].items()
        if param.reads_file
    )


@dataclass(frozen=True)
class Job:
    """One pipeline, one seed, one training-set size (None: the whole training split)."""

    config: Config
    pipeline: PipelineConfig
    seed: int
    train_size: int | float | None = None

    def resolved(self) -> dict[str, Any]:
        """The config as this job ran it: the dataset, this pipeline, this seed and size (and
        the `report:` settings the report reads from the records, where the config has them)."""
        out = {
            "name": self.config.name,
            "seed": self.seed,
            "train_size": self.train_size,
            "dataset": self.config.dataset.as_dict(),
            "pipeline": self.pipeline.as_dict(),
        }
        if self.config.report is not None:
            out["report"] = self.config.report.as_dict()
        return out

    @property
    def id(self) -> str:
        identity = self.resolved()
        del identity["name"]  # renaming a config does not change what it computes
        identity.pop("report", None)  # nor does how the report decides
        files = self.input_files()
        if files:  # a network trained elsewhere: retrained at the same path, a new job
            identity["inputs"] = {path: file_digest(path) for path in files}
        text = json.dumps(identity, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def input_files(self) -> list[str]:
        """Files the pipeline reads besides the data (a backbone, an init_from network): the
        values of its steps' parameters declared `reads_file`, read from the config (the id
        does not build the pipeline)."""
        spec = PIPELINES.get(self.pipeline.name)
        if spec is None:
            return []
        params = self.pipeline.params
        files = []
        for step_name, key in file_params(spec):
            values = params if spec.flat else params.get(step_name, {})
            if isinstance(values, dict) and values.get(key):
                files.append(str(values[key]))
        return files

    @property
    def where(self) -> str:
        """The pipeline's key path in the config, for messages."""
        return f"pipelines[{self.config.pipelines.index(self.pipeline)}]"

    def record_path(self, out_dir: Path) -> Path:
        return out_dir / self.config.name / f"{self.pipeline.row}-{self.id}.json"

    def model_path(self, out_dir: Path) -> Path | None:
        """Where `save_model` keeps the trained network (None: not kept): beside the record,
        or at the path the config gives."""
        from featcmp.models.network_file import SUFFIX

        save = self.pipeline.save_model
        if isinstance(save, str):
            return Path(save).expanduser()
        return self.record_path(out_dir).with_suffix(SUFFIX) if save else None

    @property
    def family(self) -> str | None:
        """The family of what this job runs: its pipeline's, except for a network that starts
        from another dataset's (`init_from`): learned elsewhere, then tuned."""
        spec = PIPELINES.get(self.pipeline.name)
        if spec is None:
            return None
        if any(getattr(step, "init_from", None) for _, step in self.built.pipe.steps):
            return TUNED
        return spec.family

    @cached_property
    def built(self) -> Built:
        """The job's pipeline and candidates, built once with its seed: the pre-check, the
        cost estimate and the run share them (what fits takes a clone). They travel with the
        job to a worker, so a job checked here is not built again there."""
        p = self.pipeline
        pipe = build_pipeline(p.name, p.params, self.where)
        params = give_seed(pipe, p.params, self.seed, PIPELINES[p.name].flat)
        candidates = candidate_pipelines(p.name, params, p.select, self.where) if p.select else []
        return Built(pipe, tuple(candidates))


def give_seed(pipe: Pipeline, params: dict[str, Any], seed: int, flat: bool) -> dict[str, Any]:
    """Give every seeded step of `pipe` (network weights, k-means vocabulary) the job's seed
    where `params` sets none: a new seed means a new split and a new initialisation. Returns
    the params with those seeds, for the selection's candidates."""
    params = copy.deepcopy(params)
    for step_name, step in pipe.steps:
        if "seed" not in step.get_params(deep=False):
            continue
        values = params if flat else params.setdefault(step_name, {})
        if "seed" not in values:
            values["seed"] = seed
            pipe.set_params(**{f"{step_name}__seed": seed})
    return params


# --- names against the registries -----------------------------------------------------------


def check_dataset(spec: DatasetConfig) -> DatasetConfig:
    """The source exists and takes these options; options come back converted (lists to
    tuples where the source wants them)."""
    if spec.source not in SOURCES:
        raise ConfigError(
            f"dataset.source: unknown source '{spec.source}'{did_you_mean(spec.source, SOURCES)}; "
            f"choose from: {', '.join(sorted(SOURCES))}"
        )
    options_cls = SOURCES[spec.source].options
    option_names = set(options_cls.__dataclass_fields__)
    for key in spec.options:
        if key not in option_names:
            valid = sorted(set(schema.DATASET_KEYS) | option_names)
            raise ConfigError(
                f"unknown key 'dataset.{key}'{did_you_mean(key, valid)} "
                f"for source '{spec.source}'; valid keys: {', '.join(valid)}"
            )
    options = from_dict(options_cls, spec.options, "dataset")
    spec.options = {k: v for k, v in vars(options).items() if k in spec.options}
    return spec


def parse_dataset(raw: Any) -> DatasetConfig:
    """A plain `dataset:` mapping as a DatasetConfig, its source and options checked."""
    return check_dataset(schema.parse_dataset(raw))


def check_config(cfg: Config) -> Config:
    """Every registry name and parameter of one config (no grid); raises ConfigError."""
    check_dataset(cfg.dataset)
    for i, p in enumerate(cfg.pipelines):
        pipe = build_pipeline(p.name, p.params, f"pipelines[{i}]")  # names, types and values
        if p.save_model and not hasattr(pipe.steps[-1][1], "build_module"):
            raise ConfigError(
                f"pipelines[{i}].save_model: {p.row} trains no network to keep "
                "(save_model is for cnn and mlp)"
            )
        if p.select is not None:  # every candidate of the selection grid, likewise
            candidate_pipelines(p.name, p.params, p.select, f"pipelines[{i}]")
    return cfg


def parse_config(raw: Any, default_name: str = "experiment") -> Config:
    """A plain mapping as a `Config`, its structure and its registry names checked."""
    return check_config(schema.parse_config(raw, default_name))


def load_config(path: str | Path, overrides: list[str] | None = None) -> Config:
    """A config file (with `--set` overrides), its names checked; the grid is left unexpanded
    (`expand_jobs` checks every grid point as it expands it)."""
    cfg = read_config(path, overrides)
    try:
        return check_config(cfg)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


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
        keys, value = split_assignment(text)
        set_path(data, keys[1:] if keys[0] == "dataset" else keys, value, f"--set {text}")
    return parse_dataset(data)


# --- jobs -----------------------------------------------------------------------------------


def expand_jobs(cfg: Config, auto_count: int | None = None) -> list[Job]:
    """Every (grid point, seed, train size, pipeline), each grid point checked against the
    registries as it is expanded; seeds outermost so a split loads once. With `seeds: auto`,
    the first `auto_count` seeds (default: the first round)."""
    jobs: dict[tuple[str, str], Job] = {}  # a run equal at several grid points runs once
    for where, point in grid_points(cfg):
        try:
            check_config(point)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}" if where else str(exc)) from None
        seeds = point.seed_list(auto_count)
        sizes = point.train_sizes or [None]
        for job in (Job(point, p, s, t) for s in seeds for t in sizes for p in point.pipelines):
            jobs.setdefault((job.pipeline.row, job.id), job)
    check_model_paths(list(jobs.values()))
    return list(jobs.values())


def check_model_paths(jobs: list[Job]) -> None:
    """A `save_model` path names one file: refused where several jobs would write it (seeds,
    training sizes, grid points); `save_model: true` keeps one beside each record."""
    writers: dict[str, int] = {}
    for job in jobs:
        if isinstance(job.pipeline.save_model, str):
            writers[job.pipeline.save_model] = writers.get(job.pipeline.save_model, 0) + 1
    for path, count in writers.items():
        if count > 1:
            raise ConfigError(
                f"save_model: {count} jobs (seeds, train sizes or grid points) would write "
                f"{path}; give one job, or save_model: true for a file beside each record"
            )
        check_writable(Path(path).expanduser())


def check_writable(path: Path) -> None:
    """Refuse, before any training, a `save_model` path the network could not be written to:
    a folder, or one under a file or a folder this process cannot write in."""
    if path.is_dir():
        raise ConfigError(f"save_model: {path} is a folder; name the file to write")
    parent = path.parent
    while not parent.exists():  # the writer creates missing folders
        parent = parent.parent
    if not parent.is_dir():
        raise ConfigError(f"save_model: {parent} is a file, so {path} cannot be written")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"save_model: cannot write in {parent}")


def load_jobs(
    configs: list[Path],
    overrides: list[str] | None = None,
    auto_counts: dict[str, int] | None = None,
) -> list[Job]:
    """Every job of every config file (grids expanded once, every point checked); equal jobs
    appear once. `auto_counts`: seeds so far of `seeds: auto` configs, by config name (default
    the first round). Raises ConfigError naming the file before any job runs."""
    jobs: dict[tuple[str, str], Job] = {}
    for path in configs:
        cfg = read_config(path, overrides)
        try:
            expanded = expand_jobs(cfg, (auto_counts or {}).get(cfg.name))
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
        for job in expanded:
            # Same config name, row and id: the same computation and the same record file.
            jobs.setdefault((job.config.name, job.record_path(Path()).name), job)
    # Jobs on the same split side by side, so each worker loads a split once (stable sort).
    return sorted(jobs.values(), key=lambda j: (repr(j.config.dataset.as_dict()), j.seed))
