"""Rounds of `seeds: auto`: after each round, the verdicts of each such config, then stop or add
seeds. `featcmp run` and `featcmp sweep` plan, run and write every round with the one engine
(`cli.run_commands.run_batch`); here only what is between rounds.

Seeds are always 0, 1, 2, ... and a round's verdicts are read from the records of its seeds
alone, so a resumed run replays the same decisions over the records it finds and continues
where the last one stopped (the budget counts the run time the records say was spent).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

from featcmp.config.auto_seeds import AutoSeeds
from featcmp.config.load import read_config
from featcmp.config.schema import Config
from featcmp.records import Record, Stopping, read_record, write_record
from featcmp.report.bayes import Decide, Outcomes
from featcmp.report.load import prepared_runs
from featcmp.report.names import named_for_people
from featcmp.report.table import build_rows
from featcmp.report.verdict import Line
from featcmp.run.jobs import expand_jobs
from featcmp.run.stopping import round_seconds, stop_after


def config_decide(cfg: Config) -> Decide:
    """The verdict's ROPE and threshold as the report reads them from this config's records."""
    if cfg.report is None:
        return Decide()
    return Decide(rope=cfg.report.rope, threshold=cfg.report.decide)


@dataclass
class Look:
    """One config after one round: its records (by file, failed ones too), its verdict lines,
    the run time spent."""

    seeds: int
    found: dict[Path, Record]
    lines: list[Line]

    @property
    def records(self) -> list[Record]:
        return [r for r in self.found.values() if r.succeeded]

    @property
    def outcomes(self) -> list[Outcomes]:
        return [o for line in self.lines if (o := line.outcomes()) is not None]

    @property
    def spent_s(self) -> float:
        return sum((r.fit_seconds or 0.0) + (r.predict_seconds or 0.0) for r in self.records)


def look(cfg: Config, out: Path, seeds: int) -> Look:
    """The verdicts of `cfg` over its first `seeds` seeds, from their records under `out`."""
    from featcmp.report.write import verdict_of

    paths = (job.record_path(out) for job in expand_jobs(cfg, seeds))
    found = {path: r for path in paths if (r := read_record(path)) is not None}
    view = Look(seeds, found, [])
    runs = named_for_people(prepared_runs(view.records))
    _, view.lines = verdict_of(runs, build_rows(runs), config_decide(cfg))
    return view


def progress_line(cfg: Config, view: Look, stop: Stopping | None, auto: AutoSeeds) -> str:
    """After a round: each verdict's probabilities, then the rule's decision."""
    parts = []
    for line in view.lines:
        o = line.outcomes()
        if o is None:
            continue
        order = f"{o.a} ahead / within ±{o.decide.rope_text()} / {o.b} ahead"
        parts.append(f"{line.dataset} n_train {line.n_train}: P = {o.probs_text()} ({order})")
    then = stop.text if stop else f"{auto.next_count(view.seeds) - view.seeds} more seeds"
    verdicts = "; ".join(parts) or "no verdict"
    return f"seeds: auto: {cfg.name} after {view.seeds} seeds: {verdicts} -> {then}"


def mark_stopped(view: Look, stop: Stopping) -> None:
    """Write where the rule stopped into every record of the config's seeds (atomically)."""
    for path, record in view.found.items():
        if record.stopping != stop:
            write_record(path, replace(record, stopping=stop))


@dataclass
class Rounds:
    """The `seeds: auto` configs of a batch and the seeds each has reached."""

    configs: dict[str, Config]
    counts: dict[str, int] = field(default_factory=dict)
    stopped: dict[str, Stopping] = field(default_factory=dict)

    @classmethod
    def of(cls, paths: list[Path], overrides: list[str]) -> Rounds:
        configs = {}
        for path in paths:
            cfg = read_config(path, overrides)
            if cfg.auto is not None:
                configs[cfg.name] = cfg
        counts = {name: len(cfg.seed_list()) for name, cfg in configs.items()}
        return cls(configs, counts)

    def after_round(self, out: Path, stream: TextIO | None = None) -> bool:
        """Look at each config still going: stop it (its records say why) or give it more
        seeds. Returns whether any config wants another round."""
        more = False
        for name, cfg in self.configs.items():
            if name in self.stopped:
                continue
            auto = cfg.auto
            assert auto is not None
            seeds = self.counts[name]
            view = look(cfg, out, seeds)
            per_seed = view.spent_s / seeds if view.records else None
            stop = stop_after(
                view.outcomes, seeds, auto, view.spent_s, round_seconds(per_seed, seeds, auto)
            )
            print(progress_line(cfg, view, stop, auto), file=stream or sys.stderr, flush=True)
            if stop is None:
                self.counts[name] = auto.next_count(seeds)
                more = True
            else:
                self.stopped[name] = stop
                mark_stopped(view, stop)
        return more
