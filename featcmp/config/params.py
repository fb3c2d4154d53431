"""Estimator parameters declared once, as data: type, default, allowed values, one line of help.

Every featcmp estimator and step declares its parameters in a `PARAMS` mapping of `Param`s
(scikit-learn's `_parameter_constraints`, with the type, default and help beside the
constraint) and its cross-field rules in `RULES`. `Declared` turns the declarations into the
estimator's keyword-only `__init__` and scikit-learn's parameter names, so `get_params`,
`set_params` and `clone` work without a signature written out again. `check_params` is the one
validator: it converts YAML values to the declared types (`config.typed.convert`) and writes
every message (key path, value, what is allowed, did-you-mean); the parameter reference
(`featcmp list --params`, the README) is generated from the same declarations.
"""

from __future__ import annotations

import inspect
import math
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, Union

from featcmp.config.typed import convert, type_name
from featcmp.errors import ConfigError, did_you_mean


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _num_text(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def either(words: list[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    head, last = words[:-1], words[-1]
    return f"{', '.join(head)} or {last}" if head else last


@dataclass(frozen=True)
class Range:
    """Numbers from `low` to `high` (None: unbounded), each end closed unless said open."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        return not (
            self.high is not None and (value > self.high or (self.high_open and value == self.high))
        )

    def text(self) -> str:
        """'1..180', '>= 0', '> 0', 'in [0, 1)'."""
        low, high = self.low, self.high
        if low is not None and high is not None:
            if not (self.low_open or self.high_open):
                return f"{_num_text(low)}..{_num_text(high)}"
            left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
            return f"in {left}{_num_text(low)}, {_num_text(high)}{right}"
        if low is not None:
            return f"{'>' if self.low_open else '>='} {_num_text(low)}"
        if high is not None:
            return f"{'<' if self.high_open else '<='} {_num_text(high)}"
        return "any finite number"


POSITIVE = Range(0, None, low_open=True)
NON_NEGATIVE = Range(0, None)
AT_LEAST_ONE = Range(1, None)


@dataclass(frozen=True)
class Param:
    """One parameter: its type (an annotation `convert` checks), default, help and constraint.

    `range` bounds a number, and each number of a list; `choices` are the words a string may
    be, and `pattern` (regex, shown as text) the other strings it may be; `min_items` is the
    shortest list. Defaults are immutable (tuples, not lists), so estimators never share one.
    """

    type: Any
    default: Any
    help: str
    range: Range | None = None
    choices: tuple[str, ...] = ()
    pattern: tuple[str, str] | None = None  # (regex, how a person writes it: 'cuda[:N]')
    min_items: int = 0
    reads_file: bool = False  # a path the step reads (a network): a job's id follows its content

    def words(self) -> list[str]:
        """The strings it may be, quoted: its choices, then its pattern as a person writes it."""
        words = [f"'{c}'" for c in self.choices]
        if self.pattern is not None:
            words.append(f"'{self.pattern[1]}'")
        return words

    def allowed(self) -> str:
        """What the constraint allows, in words: "'auto', 'cpu' or 'cuda[:N]'", '1..180'."""
        words = self.words()
        parts = []
        if self.range is not None:  # bounding a list's items when the type takes no number
            each = not any(k in ("an integer", "a number") for k in self._other_kinds())
            parts.append(("each " if each else "") + self.range.text())
        if self.min_items:
            parts.append(f"at least {self.min_items} item{'s' * (self.min_items > 1)}")
        if words:
            parts.append(either(words))
        return "; ".join(parts)

    def type_text(self) -> str:
        return type_name(self.type)

    def _other_kinds(self) -> list[str]:
        """The type's alternatives to a string, in words ('a number', 'a list')."""
        args = typing.get_args(self.type) if _is_union(self.type) else (self.type,)
        return [type_name(a) for a in args if a not in (str, type(None))]

    def check(self, value: Any, where: str) -> Any:
        """`value` converted to the declared type, or a ConfigError naming `where`."""
        value = convert(value, self.type, where)
        if isinstance(value, str):
            self._check_word(value, where)
        elif _number(value):
            self._check_number(value, where)
        elif isinstance(value, tuple | list):
            if len(value) < self.min_items:
                raise ConfigError(
                    f"{where}: expected at least {self.min_items} item(s), got {list(value)!r}"
                )
            for i, item in enumerate(value):
                if _number(item):
                    self._check_number(item, f"{where}[{i}]")
                elif isinstance(item, str):
                    self._check_word(item, f"{where}[{i}]", item=True)
        return value

    def _check_word(self, value: str, where: str, item: bool = False) -> None:
        if not self.choices and self.pattern is None:
            return
        if value in self.choices or (
            self.pattern is not None and re.fullmatch(self.pattern[0], value)
        ):
            return
        words = self.words()
        if not item:  # a word where a number or a list may stand too: say so
            words += self._other_kinds()
        raise ConfigError(
            f"{where}: unknown '{value}'{did_you_mean(value, self.choices)}; "
            f"choose from {either(words)}"
        )

    def _check_number(self, value: float, where: str) -> None:
        if self.range is not None and value not in self.range:
            raise ConfigError(f"{where}: must be {self.range.text()}, got {_num_text(value)}")


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (Union, types.UnionType)


def declare(**params: Param) -> Mapping[str, Param]:
    """A class's `PARAMS`, read-only: `PARAMS = declare(max_size=Param(int, 0, "..."))`."""
    return MappingProxyType(params)


@dataclass(frozen=True)
class Rule:
    """A cross-field rule: `holds(**values of keys)` must be true, else `message` (which may
    name the values as {key})."""

    keys: tuple[str, ...]
    holds: Callable[..., bool]
    message: str

    def check(self, values: Mapping[str, Any], where: str) -> None:
        args = {k: values[k] for k in self.keys}
        if not self.holds(**args):
            raise ConfigError(f"{where}: {self.message.format(**args)}")


def _signed_init(cls: type[Declared]) -> Callable[..., None]:
    """`Declared.__init__` with the declarations as its signature: scikit-learn's repr reads
    the defaults there and shows only the values that differ (`HOGFeatures(orientations=12)`)."""

    def __init__(self: Declared, **params: Any) -> None:
        Declared.__init__(self, **params)

    keyword = inspect.Parameter.KEYWORD_ONLY
    __init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [
            inspect.Parameter(n, keyword, default=p.default)
            for n, p in cls.declared_params().items()
        ]
    )
    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    return __init__


class Declared:
    """Mixin of estimators whose parameters are their `PARAMS` (merged along the class's
    bases, a subclass's entries last): a keyword-only `__init__` that only stores them, and
    scikit-learn's `_get_param_names`, so `get_params`, `set_params` and `clone` work."""

    PARAMS: ClassVar[Mapping[str, Param]] = declare()
    RULES: ClassVar[tuple[Rule, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" not in vars(cls):  # a class that writes its own keeps it
            cls.__init__ = _signed_init(cls)  # type: ignore[method-assign]

    def __init__(self, **params: Any) -> None:
        declared = self.declared_params()
        for name in params:
            if name not in declared:
                raise TypeError(
                    f"{type(self).__name__}() got an unexpected keyword argument '{name}'"
                    f"{did_you_mean(name, declared)}"
                )
        for name, param in declared.items():
            setattr(self, name, params.get(name, param.default))

    @classmethod
    def declared_params(cls) -> dict[str, Param]:
        merged: dict[str, Param] = {}
        for klass in reversed(cls.__mro__):
            merged.update(vars(klass).get("PARAMS", {}))
        return merged

    @classmethod
    def declared_rules(cls) -> tuple[Rule, ...]:
        rules: list[Rule] = []
        for klass in reversed(cls.__mro__):
            rules.extend(vars(klass).get("RULES", ()))
        return tuple(rules)

    @classmethod
    def _get_param_names(cls) -> list[str]:  # scikit-learn reads the names from here
        return sorted(cls.declared_params())


def check_params(
    params: Mapping[str, Param],
    rules: tuple[Rule, ...],
    values: Mapping[str, Any],
    where: str,
    current: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The one validator: every given value against its declaration (unknown names get the
    closest valid one), then the cross-field rules over all values: the given ones over
    `current` (the step's own, e.g. as a pipeline factory set them), else the defaults.
    Returns the given values converted to their declared types."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in params:
            raise ConfigError(
                f"unknown key '{where}.{key}'{did_you_mean(str(key), params)}; "
                f"valid: {', '.join(sorted(params))}"
            )
        out[key] = params[key].check(value, f"{where}.{key}")
    base = current if current is not None else {n: p.default for n, p in params.items()}
    full = {**base, **out}
    for rule in rules:
        rule.check(full, where)
    return out


# Estimators featcmp uses but does not define (scikit-learn's StandardScaler): their Params,
# declared featcmp-side by the module that puts them in a pipeline (`declare_foreign`).
FOREIGN: dict[type, Mapping[str, Param]] = {}


def declare_foreign(cls: type, **params: Param) -> None:
    """Declare the parameters of another library's estimator, so `check_params` checks it."""
    FOREIGN[cls] = declare(**params)


def inferred_params(estimator: Any) -> dict[str, Param]:
    """Params of an estimator that declares nothing (a plugin's own class): each type from
    its `__init__` annotation, else from its current value; no range, no help."""
    try:
        hints = typing.get_type_hints(type(estimator).__init__)
    except (NameError, TypeError):  # an annotation that does not resolve: the values decide
        hints = {}
    return {
        name: Param(hints.get(name, _type_of(value)), value, "")
        for name, value in estimator.get_params(deep=False).items()
    }


def _type_of(default: Any) -> Any:
    if isinstance(default, tuple | list):
        ints = default and all(isinstance(d, int) and not isinstance(d, bool) for d in default)
        return tuple[int, ...] if ints else tuple[Any, ...]
    return type(default) if isinstance(default, bool | int | float | str) else Any


def declarations(estimator: Any) -> tuple[dict[str, Param], tuple[Rule, ...]]:
    """An estimator's Params and Rules: its own (`Declared`), those `declare_foreign` gave its
    class, else inferred from its signature."""
    if isinstance(estimator, Declared):
        return estimator.declared_params(), estimator.declared_rules()
    if type(estimator) in FOREIGN:
        return dict(FOREIGN[type(estimator)]), ()
    return inferred_params(estimator), ()


def check_own(estimator: Any, where: str | None = None) -> None:
    """Check the values an estimator holds (one built in Python, not from a config) with the
    same validator; `where` names it in messages (its class name by default)."""
    params, rules = declarations(estimator)
    values = estimator.get_params(deep=False)
    check_params(params, rules, values, where or type(estimator).__name__)
