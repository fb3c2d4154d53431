"""`seeds: auto`: re-split seeds added a few at a time until the verdict decides.

A config says `seeds: auto`, with `max_seeds` (default 10) and an optional time `budget`
(`90s`, `20m`, `1h`) beside it. The run starts with the first `FIRST` seeds (0, 1, 2) and adds
`STEP` per round (always 0, 1, 2, ..., so a resumed run and a fresh one run the same jobs) until
every hand-crafted against learned verdict of the config is decided or a limit is reached; the
rule itself is `featcmp.run.stopping`. Declared here once: the keys, their checks, the rule's
numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from featcmp.config.params import Param, Range, declare
from featcmp.config.typed import describe, got_text
from featcmp.errors import ConfigError

AUTO = "auto"
FIRST = 3  # two degrees of freedom: the fewest the correlated t-test reads a spread from
STEP = 2
SETTLE = 5  # seeds before "more seeds cannot decide it" may stop a run (its spread estimated)
INTERIM = 0.975  # the threshold of looks before max_seeds (benchmarks/bayes_calibration.py)
BUDGET_PATTERN = r"(\d+(\.\d+)?)([smh])"
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}

AUTO_PARAMS = declare(
    max_seeds=Param(int, 10, "seeds: auto stops at this many seeds", range=Range(2, None)),
    budget=Param(
        str | None, None, "seeds: auto adds no round past this much run time",
        pattern=(BUDGET_PATTERN, "90s, 20m or 1h"),
    ),
)  # fmt: skip


def budget_seconds(text: str) -> float:
    """'90s' -> 90, '20m' -> 1200, '1.5h' -> 5400 (the text already matched the pattern)."""
    match = re.fullmatch(BUDGET_PATTERN, text)
    if match is None:
        raise ConfigError(f"budget: '{text}' is not a time like 90s, 20m or 1h")
    return float(match.group(1)) * UNIT_SECONDS[match.group(3)]


@dataclass(frozen=True)
class AutoSeeds:
    """The rule's numbers: first round, step, most seeds, and the budget in seconds."""

    max_seeds: int = AUTO_PARAMS["max_seeds"].default
    budget: str | None = None
    first: int = FIRST
    step: int = STEP
    interim: float = INTERIM
    settle: int = SETTLE

    @property
    def budget_s(self) -> float | None:
        return None if self.budget is None else budget_seconds(self.budget)

    def counts(self) -> list[int]:
        """The seed counts after each round: 3, 5, 7, 9, 10 for max_seeds 10."""
        out = [min(self.first, self.max_seeds)]
        while out[-1] < self.max_seeds:
            out.append(self.next_count(out[-1]))
        return out

    def next_count(self, seeds: int) -> int:
        return min(seeds + self.step, self.max_seeds)

    def rule_text(self, threshold: float) -> str:
        """The stopping rule in one line, as records and the report state it."""
        budget = f", or a budget of {self.budget} of run time" if self.budget else ""
        interim = max(threshold, self.interim)
        return (
            f"seeds: auto: {self.first} seeds, then {self.step} more per round until every "
            f"hand-crafted vs learned verdict is decided (P >= {interim:g} before max_seeds, "
            f">= {threshold:g} at it) or, from {self.settle} seeds on, cannot be by more seeds; "
            f"at most {self.max_seeds} seeds{budget}"
        )

    def plan_text(self) -> str:
        """What auto means for this config, for --dry-run."""
        budget = f" or when {self.budget} of run time is spent" if self.budget else ""
        return (
            f"seeds: auto: first round seeds 0-{self.counts()[0] - 1}, then {self.step} more per "
            f"round while a verdict is undecided, stopping at max_seeds {self.max_seeds}{budget}"
        )


def parse_auto(seeds: Any, max_seeds: Any, budget: Any) -> AutoSeeds | None:
    """The `seeds`, `max_seeds` and `budget` keys: AutoSeeds for `seeds: auto`, else None (and
    then neither limit may be given). Raises a one-line ConfigError."""
    if isinstance(seeds, str) and seeds != AUTO:
        raise ConfigError(f"seeds: expected a list of seeds or 'auto', got the string '{seeds}'")
    if seeds is not None and not isinstance(seeds, str | list):
        raise ConfigError(f"seeds: expected a list of seeds or 'auto', got {describe(seeds)}")
    if seeds != AUTO:
        for key, value in (("max_seeds", max_seeds), ("budget", budget)):
            if value is not None:
                raise ConfigError(f"{key}: only with seeds: auto (got seeds: {seeds!r})")
        return None
    out = {}
    if max_seeds is not None:
        out["max_seeds"] = AUTO_PARAMS["max_seeds"].check(max_seeds, "max_seeds")
    if budget is not None:
        if not isinstance(budget, str) or not re.fullmatch(BUDGET_PATTERN, budget):
            raise ConfigError(
                f"budget: expected a time like 90s, 20m or 1h, got {got_text(budget)}"
            )
        if budget_seconds(budget) <= 0:
            raise ConfigError(f"budget: {budget} leaves no time; give e.g. 20m")
        out["budget"] = budget
    return AutoSeeds(**out)
