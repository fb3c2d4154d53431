"""Every declared parameter constraint, exercised over the registries.

The cases are derived from the declarations themselves: every step of every pipeline (a new
pipeline or estimator is tested by being registered), every other `Declared` class of featcmp,
and the config sections declared the same way. Each default passes; a value out of range, not
among the choices or of the wrong type is refused naming the key path, the value and what is
allowed; a misspelt name gets the closest one; each cross-field rule is both met and broken.
"""

from __future__ import annotations

import itertools
import types
import typing
from collections.abc import Mapping
from typing import Any, Union

import numpy as np
import pytest

import featcmp.models.kernel_map
import featcmp.models.linear_svm_torch  # noqa: F401  (registers its Declared class)
from featcmp.config.params import (
    FOREIGN,
    Declared,
    Param,
    Rule,
    check_own,
    check_params,
    declarations,
)
from featcmp.config.schema import SELECT_PARAMS, SELECT_RULES
from featcmp.errors import ConfigError
from featcmp.features.hog import HOGFeatures
from featcmp.models.svm import SVM
from featcmp.pipelines import PIPELINES, build_pipeline


def _all_declared(cls: type = Declared) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        if sub.__module__.startswith("featcmp.") and hasattr(sub, "get_params"):  # estimators
            out.append(sub)
        out += _all_declared(sub)
    return sorted(set(out), key=lambda c: c.__qualname__)


class Target:
    """One set of declarations and how a config reaches it: `check(values)` validates values
    the way that target's users give them; `path` is the key path its messages name."""

    def __init__(self, name: str, params: Mapping[str, Param], rules: tuple[Rule, ...], check,
                 path: str, declared: bool = True) -> None:  # fmt: skip
        self.name, self.params, self.rules, self.check, self.path = name, params, rules, check, path
        self.declared = declared


def _pipeline_targets() -> list[Target]:
    targets = []
    for name in sorted(PIPELINES):
        spec = PIPELINES[name]
        for step_name, step in spec.build().steps:
            params, rules = declarations(step)

            def check(values, name=name, step_name=step_name, flat=spec.flat):
                return build_pipeline(name, values if flat else {step_name: values}, "p[0]")

            path = "p[0].params" + ("" if spec.flat else f".{step_name}")
            declared = isinstance(step, Declared) or type(step) in FOREIGN
            targets.append(Target(f"{name}.{step_name}", params, rules, check, path, declared))
    return targets


def _class_targets() -> list[Target]:
    targets = []
    for cls in _all_declared():

        def check(values, cls=cls):
            check_own(cls(**values))

        targets.append(
            Target(cls.__qualname__, cls.declared_params(), cls.declared_rules(), check,
                   cls.__qualname__)
        )  # fmt: skip
    return targets


def _select_target() -> Target:
    def check(values):
        check_params(SELECT_PARAMS, SELECT_RULES, values, "pipelines[0].select")

    return Target("select", SELECT_PARAMS, SELECT_RULES, check, "pipelines[0].select")


TARGETS = [*_pipeline_targets(), *_class_targets(), _select_target()]
PARAMS = [(t, name, p) for t in TARGETS for name, p in t.params.items()]


def _ids(cases: list) -> list[str]:
    return [f"{target.name}.{name}" for target, name, _ in cases]


PARAM_IDS = _ids(PARAMS)


def _kinds(tp: Any) -> list[Any]:
    """The alternatives of a (union) type."""
    return list(typing.get_args(tp)) if typing.get_origin(tp) in (Union, types.UnionType) else [tp]


def _list_kind(tp: Any) -> Any | None:
    return next((k for k in _kinds(tp) if typing.get_origin(k) in (tuple, list)), None)


def _numeric_kind(tp: Any) -> type | None:
    kinds = _kinds(tp)
    lists = _list_kind(tp)
    if int in kinds or float in kinds:
        return float if float in kinds else int
    if lists is not None:
        items = typing.get_args(lists)
        return float if float in items else int if int in items else None
    return None


def _outside(param: Param) -> float:
    r, number = param.range, _numeric_kind(param.type)
    step = 1 if number is int else 0.5
    if r.low is not None:
        return r.low if r.low_open else r.low - step
    return r.high if r.high_open else r.high + step


def _text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _refused(target: Target, values: dict) -> str:
    with pytest.raises(ConfigError) as info:
        target.check(values)
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(("target", "name", "param"), PARAMS, ids=PARAM_IDS)
def test_default_passes(target, name, param):
    target.check({name: param.default})


@pytest.mark.parametrize(("target", "name", "param"), PARAMS, ids=PARAM_IDS)
def test_declared_params_have_one_line_of_help(target, name, param):
    if not target.declared:
        pytest.skip("the step declares nothing: its parameters are inferred")
    assert param.help and "\n" not in param.help and len(param.help) <= 100


RANGED = [(t, n, p) for t, n, p in PARAMS if p.range is not None]


@pytest.mark.parametrize(
    ("target", "name", "param"), RANGED, ids=[f"{t.name}.{n}" for t, n, _ in RANGED]
)
def test_value_out_of_range_is_refused(target, name, param):
    bad = _outside(param)
    if _list_kind(param.type) is not None and _numeric_kind(param.type) not in _kinds(param.type):
        default = list(param.default) if isinstance(param.default, tuple | list) else [1, 1]
        value, key = [bad, *default[1:]], f"{target.path}.{name}[0]"
    else:
        value, key = bad, f"{target.path}.{name}"
    message = _refused(target, {name: value})
    assert key in message and _text(bad) in message and param.range.text() in message


CHOOSING = [(t, n, p) for t, n, p in PARAMS if p.choices]


@pytest.mark.parametrize(
    ("target", "name", "param"), CHOOSING, ids=[f"{t.name}.{n}" for t, n, _ in CHOOSING]
)
def test_word_not_among_the_choices_is_refused_with_the_closest(target, name, param):
    typo = param.choices[0] + "x"  # one letter off the first choice
    value = [typo] if str not in _kinds(param.type) else typo
    message = _refused(target, {name: value})
    assert f"{target.path}.{name}" in message and f"'{typo}'" in message
    assert f"did you mean '{param.choices[0]}'" in message
    assert all(f"'{choice}'" in message for choice in param.choices)


TYPED = [(t, n, p) for t, n, p in PARAMS if p.type is not Any]


@pytest.mark.parametrize(
    ("target", "name", "param"), TYPED, ids=[f"{t.name}.{n}" for t, n, _ in TYPED]
)
def test_wrong_type_is_refused(target, name, param):
    message = _refused(target, {name: {"a": 1}})  # a mapping: no parameter takes one
    assert f"{target.path}.{name}: expected " in message and "got a mapping" in message


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_misspelt_name_gets_the_closest(target):
    if not target.params:
        pytest.skip("no parameters")
    real = max(target.params, key=len)
    typo = real[:-1] + "q"
    if target.path == target.name:  # a class called in Python: Python's own TypeError
        with pytest.raises(TypeError, match=rf"'{typo}' \(did you mean '{real}'\?\)"):
            target.check({typo: 1})
        return
    message = _refused(target, {typo: target.params[real].default})
    assert f"unknown key '{target.path}.{typo}' (did you mean '{real}'?)" in message


def _candidates(param: Param) -> list[Any]:
    """Values a rule's search tries for one key: the choices, the default, a few numbers, a
    word (a path)."""
    values = [*param.choices, param.default, None, True, False, 1, 2, 3, 10, 100, 0.5, "a-word"]
    if param.range is not None:
        values += [v for v in (param.range.low, param.range.high) if v is not None]
    out = []
    for value in values:
        try:
            param.check(value, "candidate")
        except ConfigError:
            continue
        if value not in out:
            out.append(value)
    return out


RULES = [(t, rule) for t in TARGETS for rule in t.rules]


@pytest.mark.parametrize(("target", "rule"), RULES, ids=[f"{t.name}:{r.keys}" for t, r in RULES])
def test_each_rule_is_checked(target, rule):
    combos = [
        dict(zip(rule.keys, values, strict=True))
        for values in itertools.product(*(_candidates(target.params[k]) for k in rule.keys))
    ]
    broken = [c for c in combos if not rule.holds(**c)]
    met = [c for c in combos if rule.holds(**c)]
    assert broken and met, f"no values found that break and meet the rule on {rule.keys}"
    target.check(met[0])
    message = _refused(target, broken[0])
    assert message.startswith(target.path) or f"{target.path}:" in message
    assert rule.message.format(**broken[0]) in message


def test_an_extractor_built_in_python_is_checked_by_the_same_validator():
    X = np.zeros((4, 16, 16), dtype=np.float32)
    with pytest.raises(ConfigError, match=r"HOGFeatures\.orientations: must be 1\.\.180, got 0"):
        HOGFeatures(orientations=0).fit(X)
    with pytest.raises(ConfigError, match=r"SVM\.C: must be > 0, got -1"):
        SVM(C=-1.0).fit(X.reshape(4, -1), np.array([0, 1, 0, 1]))


def test_every_hand_crafted_step_declares_its_parameters():
    # The networks' steps declare theirs in their own modules.
    for target in TARGETS:
        if target.path.startswith("p[0].params."):
            assert target.declared, f"{target.name} declares no parameters"
