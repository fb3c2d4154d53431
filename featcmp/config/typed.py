"""Strict conversion of plain YAML data to declared types: the one type check of featcmp.

Config sections are dataclasses (`from_dict`); estimator parameters are checked with the same
`convert` against their declared types when a pipeline is built (`featcmp.pipelines`). Every
unknown key is an error naming its key path and the closest valid name; every value is checked
against its annotation; YAML lists become tuples where a tuple or sequence is declared.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import types
import typing
from typing import Any, TypeVar, Union

from featcmp.errors import ConfigError, did_you_mean

T = TypeVar("T")


def describe(value: Any) -> str:
    """A short human name for a YAML value's type."""
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    names.update({list: "a list", dict: "a mapping", type(None): "null"})
    return names.get(type(value), type(value).__name__)


def got_text(value: Any) -> str:
    """The type of a value, with the value itself when it is a short scalar: a string 'nine'."""
    text = repr(value)
    if isinstance(value, str | int | float) and len(text) <= 40:
        return f"{describe(value)} {text}"
    return describe(value)


def type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        return " or ".join(type_name(a) for a in typing.get_args(tp))
    if origin in (list, tuple, collections.abc.Sequence):
        return "a list"
    if origin is dict:
        return "a mapping"
    if dataclasses.is_dataclass(tp):
        return "a mapping"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}.get(
        tp, "null" if tp is type(None) else getattr(tp, "__name__", str(tp))
    )


def _same_kind(value: Any, tp: Any) -> bool:
    """Whether `value` is the kind of YAML value `tp` takes (a list for a tuple, ...)."""
    origin = typing.get_origin(tp)
    if origin in (list, tuple, collections.abc.Sequence):
        return isinstance(value, list | tuple)
    return isinstance(tp, type) and isinstance(value, tp) and not isinstance(value, bool)


def convert(value: Any, tp: Any, where: str) -> Any:
    """Check `value` against the annotation `tp`; return it converted (lists to tuples etc.)."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        return _convert_union(value, tp, where)
    if origin in (list, tuple, collections.abc.Sequence):
        return _convert_sequence(value, tp, where)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {got_text(value)}")
        return {str(k): v for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value, where)
    return _convert_scalar(value, tp, where)


def _convert_union(value: Any, tp: Any, where: str) -> Any:
    args = typing.get_args(tp)
    if value is None and type(None) in args:
        return None
    errors = []
    for arg in args:
        if arg is type(None):
            continue
        try:
            return convert(value, arg, where)
        except ConfigError as exc:
            errors.append(exc)
            if _same_kind(value, arg):
                # A list given where a pair or a word is allowed: say what is wrong with the
                # list ("[0]: expected an integer"), not only that it is not a word.
                raise
    if len(errors) == 1:
        raise errors[0]
    raise ConfigError(f"{where}: expected {type_name(tp)}, got {got_text(value)}")


def _convert_sequence(value: Any, tp: Any, where: str) -> Any:
    if not isinstance(value, list | tuple):
        raise ConfigError(f"{where}: expected {type_name(tp)}, got {got_text(value)}")
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is tuple and args and args[-1] is not Ellipsis:  # a fixed length: a pair
        if len(value) != len(args):
            raise ConfigError(
                f"{where}: expected a list of {len(args)} items, got {len(value)}: {value!r}"
            )
        pairs = enumerate(zip(value, args, strict=True))
        return tuple(convert(v, t, f"{where}[{i}]") for i, (v, t) in pairs)
    item_tp = args[0] if args else Any
    items = [convert(v, item_tp, f"{where}[{i}]") for i, v in enumerate(value)]
    return items if origin is list else tuple(items)


# What each scalar annotation accepts from YAML (bool is not an int here, an int is a float).
_SCALARS: dict[type, tuple[type, ...]] = {bool: (bool,), int: (int,), float: (int, float)}
_SCALARS[str] = (str,)


def _convert_scalar(value: Any, tp: Any, where: str) -> Any:
    if tp in _SCALARS:
        is_bool = isinstance(value, bool)
        if not isinstance(value, _SCALARS[tp]) or (is_bool and tp is not bool):
            raise ConfigError(f"{where}: expected {type_name(tp)}, got {got_text(value)}")
        return float(value) if tp is float else value
    if isinstance(tp, type) and not isinstance(value, tp):
        raise ConfigError(f"{where}: expected {type_name(tp)}, got {got_text(value)}")
    return value


def from_dict(cls: type[T], data: Any, where: str = "") -> T:
    """Build dataclass `cls` from a mapping, strictly: unknown keys and wrong types are errors."""
    label = where or "config"
    if not isinstance(data, dict):
        raise ConfigError(f"{label}: expected a mapping, got {describe(data)}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    for key in data:
        if key not in fields:
            path = f"{where}.{key}" if where else str(key)
            raise ConfigError(f"unknown key '{path}'{did_you_mean(str(key), fields)}")
    kwargs = {}
    for name, field in fields.items():
        path = f"{where}.{name}" if where else name
        if name in data:
            kwargs[name] = convert(data[name], hints[name], path)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ConfigError(f"missing key '{path}'")
    try:
        return cls(**kwargs)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{label}: {exc}") from None
