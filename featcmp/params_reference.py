"""The parameter reference, generated from the steps' declarations (`featcmp.config.params`).

One source for `featcmp list --params [PIPELINE]` (plain text or markdown) and the README's
parameter section, which `python -m featcmp.params_reference README.md` (`make docs`) rewrites
between its markers; a test fails when the two drift. Each row is one parameter of one step of
one pipeline: its key path in `params`, type, default (the value the pipeline's factory sets),
allowed values and one line of help.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from featcmp.config.params import declarations
from featcmp.errors import ConfigError, unknown_name
from featcmp.files import atomic_write_text
from featcmp.pipelines import PIPELINES
from featcmp.plugins import BUILT_IN

BEGIN, END = "<!-- params:begin -->", "<!-- params:end -->"
NOT_DECLARED = "(not declared)"
COLUMNS = ("parameter", "type", "default", "allowed", "help")


@dataclass(frozen=True)
class ParamRow:
    pipeline: str
    step: str
    key: str  # the path under the pipeline's `params`: `hog.orientations`, or `epochs`
    type: str
    default: str
    allowed: str
    help: str

    def cells(self) -> tuple[str, ...]:
        return (self.key, self.type, self.default, self.allowed, self.help)


def value_text(value: Any) -> str:
    """A value as YAML writes it: [4, 4], null, true, L2-Hys."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    return str(value)


def _type_text(text: str) -> str:
    return re.sub(r"\b(an?) ", "", text)  # 'an integer or a string' -> 'integer or string'


def step_rows(pipeline: str, step_name: str, step: Any, flat: bool) -> Iterator[ParamRow]:
    params, _ = declarations(step)
    current = step.get_params(deep=False)
    for name, param in params.items():
        yield ParamRow(
            pipeline=pipeline,
            step=step_name,
            key=name if flat else f"{step_name}.{name}",
            type=_type_text(param.type_text()),
            default=value_text(current.get(name, param.default)),
            allowed=param.allowed() or ("true or false" if param.type is bool else "any"),
            help=param.help or NOT_DECLARED,
        )


def pipeline_names(pipeline: str | None = None, built_in: bool = False) -> list[str]:
    """The pipelines a reference covers: the one named (a ConfigError when unknown), else all
    (only featcmp's own with `built_in`, as the README lists)."""
    if pipeline is not None:
        if pipeline not in PIPELINES:
            raise ConfigError(unknown_name("pipeline", pipeline, PIPELINES))
        return [pipeline]
    return [n for n in PIPELINES if not built_in or PIPELINES.providers.get(n) == BUILT_IN]


def parameter_rows(pipeline: str | None = None) -> Iterator[ParamRow]:
    """Every parameter of every step of each pipeline (or of the one named)."""
    for name in pipeline_names(pipeline):
        spec = PIPELINES[name]
        for step_name, step in spec.build().steps:
            yield from step_rows(name, step_name, step, spec.flat)


def text_reference(pipeline: str | None = None) -> str:
    """Aligned plain text: a line per pipeline, then its parameters indented."""
    lines = []
    for name in pipeline_names(pipeline):
        rows = list(parameter_rows(name))
        lines.append(f"{name}: {PIPELINES[name].summary}")
        # Columns as wide as their longest cell, up to a cap past which a cell runs on.
        widths = [min(44, max((len(r.cells()[i]) for r in rows), default=0)) for i in range(4)]
        for row in rows:
            cells = [c.ljust(w) for c, w in zip(row.cells(), widths, strict=False)]
            lines.append("  " + "  ".join([*cells, row.help]).rstrip())
    return "\n".join(lines) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def _step_key(step: Any) -> tuple[str, str]:
    """Two steps with the same key are documented once: same class, same values."""
    values = sorted((k, repr(v)) for k, v in step.get_params(deep=False).items())
    return type(step).__qualname__, repr(values)


def markdown_reference(pipeline: str | None = None, built_in: bool = False) -> str:
    """A table per pipeline; a step met before with the same values is named, not repeated."""
    seen: dict[tuple[str, str], str] = {}
    out = []
    for name in pipeline_names(pipeline, built_in):
        spec = PIPELINES[name]
        rows, again = [], []
        for step_name, step in spec.build().steps:
            key = _step_key(step)
            if key in seen:
                again.append(f"`{step_name}` as in `{seen[key]}`")
                continue
            seen[key] = name
            rows += step_rows(name, step_name, step, spec.flat)
        out.append(f"#### `{name}`: {spec.summary}\n")
        out.append("| " + " | ".join(COLUMNS) + " |")
        out.append("|" + "---|" * len(COLUMNS))
        for row in rows:
            key, *rest = row.cells()
            out.append(f"| `{key}` | " + " | ".join(_md_cell(c) for c in rest) + " |")
        if again:
            out.append(f"\nAlso {', '.join(again)}.")
        out.append("")
    return "\n".join(out)


def readme_section() -> str:
    """What stands between the README's markers: every built-in pipeline's table."""
    note = (
        "<!-- generated from the declarations by `make docs`"
        " (featcmp list --params --format md); do not edit by hand -->"
    )
    return f"{BEGIN}\n{note}\n\n{markdown_reference(built_in=True)}{END}"


def with_reference(text: str) -> str:
    """`text` (the README) with its section between the markers regenerated."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ConfigError(f"no '{BEGIN}' ... '{END}' markers to write the parameters between")
    return text[:start] + readme_section() + text[end + len(END) :]


def main(argv: list[str]) -> int:
    """Rewrite the parameter section of each file named (the README)."""
    for name in argv:
        path = Path(name)
        atomic_write_text(path, with_reference(path.read_text(encoding="utf-8")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
