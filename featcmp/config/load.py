"""Reading a config: strict YAML (1.2 numbers, no duplicate keys), `--set` overrides, schema.

`--set key.path=value` addresses any field; pipelines are addressed by their name or label:
`--set pipelines.hog_svm.params.svm.C=10`.

A bare name (`compare`: no `.yaml`, no path separator) is a config bundled with featcmp: the
repository's `configs/*.yaml`, shipped in the wheel as `featcmp/configs/`; a bundled folder
and a bare name (`transfer/cifar10-source`) is one of its sub-folders' configs. Anything else is
a path, so `./compare.yaml` or `compare.yaml` is always the local file.
"""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError

from featcmp.config.schema import Config, normalise_pipelines, parse_config
from featcmp.config.typed import describe
from featcmp.errors import ConfigError, did_you_mean

# YAML 1.1 (PyYAML's default) reads `1e-3` and `1e30` as strings: a float needs a dot there.
# YAML 1.2's core schema reads them as floats, as every other YAML and JSON reader does.
_FLOAT_12 = re.compile(
    r"""^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.VERBOSE,
)


class StrictLoader(yaml.SafeLoader):
    """The safe loader with YAML 1.2 floats, rejecting a key given twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *anchor`: merged keys may be overridden by the mapping's own
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, list | dict):
                continue  # unhashable: the base class reports it
            if key in seen:
                raise ConstructorError(None, None, f"duplicate key '{key}'", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:float"]
    for first, resolvers in StrictLoader.yaml_implicit_resolvers.items()
}
StrictLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_12, list("-+0123456789."))


def bundled_configs_dir() -> Path | None:
    """Where the bundled configs are: `featcmp/configs/` in an installed wheel, the
    repository's `configs/` in a checkout or an editable install (the one source of both)."""
    package = Path(__file__).resolve().parents[1]
    for folder in (package / "configs", package.parent / "configs"):
        if (folder / "compare.yaml").is_file():
            return folder
    return None


def bundled_configs() -> dict[str, Path]:
    """Bundled config name -> file, for the top-level configs (the sub-folders' steps and
    workflows are named `FOLDER/NAME`: bundled_subfolder_configs)."""
    folder = bundled_configs_dir()
    if folder is None:
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))}


def first_comment(path: Path, width: int = 100) -> str:
    """A config's one-line description: the first sentence of its opening comment, cut at a
    word to `width` characters."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    text = " ".join(lines)
    for end in re.finditer(r"[.?!](?=\s|$)", text):  # not inside "(Xiao et al. 2017)"
        head = text[: end.end()]
        if head.count("(") == head.count(")"):
            text = head
            break
    if len(text) > width:
        text = text[: width - 3].rsplit(" ", 1)[0].rstrip(",;:") + "..."
    return text


def is_bare_name(text: str) -> bool:
    """`compare` is a bundled config's name; `compare.yaml`, `./compare`, `a/b` are paths."""
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return (
        bool(text)
        and not any(s in text for s in separators)
        and not text.endswith((".yaml", ".yml"))
        and text not in (".", "..")
    )


def bundled_subfolder_configs(text: str) -> dict[str, Path] | None:
    """For `FOLDER/NAME` with FOLDER a bundled sub-folder and NAME bare: that folder's configs,
    `FOLDER/STEM` -> file (transfer.yaml's step 1 is `transfer/cifar10-source`); else None."""
    folder_name, _, name = text.partition("/")
    folder = bundled_configs_dir()
    if not (is_bare_name(folder_name) and is_bare_name(name)) or folder is None:
        return None
    if not (folder / folder_name).is_dir():
        return None  # `sub/compare`: a path
    return {f"{folder_name}/{p.stem}": p for p in sorted((folder / folder_name).glob("*.yaml"))}


def resolve_config_path(path: str | Path) -> Path:
    """A config argument as a file: a bare name, or a bundled folder and a bare name -> the
    bundled config, else the path itself."""
    text = str(path)
    bundled = bundled_configs() if is_bare_name(text) else bundled_subfolder_configs(text)
    if bundled is None:
        return Path(path)
    if text in bundled:
        return bundled[text]
    names = sorted(bundled)
    listed = " (see 'featcmp configs')" if "/" not in text else ""  # it lists the top level
    choices = f"; bundled configs: {', '.join(names)}{listed}" if names else ""
    raise ConfigError(
        f"{text}: no bundled config of that name{did_you_mean(text, names)}{choices}; "
        "a file needs its .yaml suffix or a path (./NAME)"
    )


def parse_yaml(text: str) -> Any:
    """YAML text as plain data (the safe loader: no objects, 1.2 floats, unique keys)."""
    loader = StrictLoader(text)  # a SafeLoader: plain data only, never Python objects
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def read_yaml(path: Path) -> Any:
    """Read a YAML file; a syntax error or a duplicate key names the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        bundled = bundled_configs()
        hint = f" (the bundled config is '{path.stem}')" if path.stem in bundled else ""
        raise ConfigError(f"{path}: config file not found{hint}") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None
    try:
        return parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ConfigError(f"{path}: invalid YAML{at}: {problem}") from None


def split_assignment(text: str) -> tuple[list[str], Any]:
    """`a.b=value` -> (['a', 'b'], value parsed as YAML; text that is not YAML stays text)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set '{text}': expected KEY=VALUE, e.g. --set seed=3")
    try:
        parsed = parse_yaml(value) if value.strip() else ""
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
        raw["pipelines"] = normalise_pipelines(raw["pipelines"])
    for text in overrides:
        keys, value = split_assignment(text)
        set_path(raw, keys, value, f"--set {text}")
    return raw


def read_config(path: str | Path, overrides: list[str] | None = None) -> Config:
    """Load a YAML config file, apply overrides and check its structure (not its registry
    names: `featcmp.run.jobs.load_config` does that); errors name the file. A bare name is a
    bundled config (`resolve_config_path`)."""
    path = resolve_config_path(path)
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {describe(raw)}")
    raw = apply_overrides(raw, overrides or [])
    try:
        return parse_config(raw, default_name=path.stem)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
