"""`seeds: auto`: the stopping rule on fixed probabilities, its calibration under no difference,
and the run: it stops at a decided verdict and at max_seeds, resumes, and records why."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from featcmp.config.auto_seeds import AutoSeeds
from featcmp.records import read_records
from featcmp.report.bayes import ONE_SPLIT, RESPLIT, Decide, Outcomes
from featcmp.run import rounds, stopping
from featcmp.run.stopping import simulate, stop_after
from tests.robustness_helpers import invoke, write_config

AUTO = AutoSeeds(max_seeds=10)


def outcomes(
    probs: tuple[float, float, float],
    question: str = RESPLIT,
    more: int | None = 3,
    floor: float | None = None,
) -> Outcomes:
    return Outcomes("hog_svm", "cnn", *probs, Decide(), question, 3, more, floor=floor)


def test_the_rounds_add_two_seeds_up_to_max_seeds():
    assert AUTO.counts() == [3, 5, 7, 9, 10]
    assert AutoSeeds(max_seeds=2).counts() == [2]


@pytest.mark.parametrize(
    ("probs_by_round", "reason", "seeds"),
    [
        ([(0.01, 0.01, 0.98)], "decided", 3),
        # 0.96 decides only at the last look: before it the stricter interim threshold holds.
        ([(0.0, 0.04, 0.96), (0.0, 0.03, 0.97), (0.0, 0.02, 0.98)], "decided", 7),
        ([(0.0, 0.04, 0.96)] * 5, "decided", 10),
        ([(0.2, 0.5, 0.3)] * 5, "max_seeds", 10),
    ],
)
def test_stops_on_fixed_probability_sequences(probs_by_round, reason, seeds):
    stop = None
    for n, probs in zip(AUTO.counts(), probs_by_round, strict=False):
        stop = stop_after([outcomes(probs)], n, AUTO)
        if stop is not None:
            break
    assert stop is not None and stop.reason == reason and stop.seeds == seeds


def test_stops_when_more_seeds_cannot_decide():
    stuck = outcomes((0.2, 0.5, 0.3), more=None, floor=2.4)  # wider than the ±1 point ROPE
    # Judged from 5 seeds on: the first round's spread is too uncertain to tell.
    assert stop_after([stuck], 3, AUTO) is None
    stop = stop_after([stuck], 5, AUTO)
    assert stop is not None and stop.reason == "cannot_decide"
    assert stop.text == "stopped after 5 seeds: more seeds cannot decide it"
    # One test set: more seeds do not re-split the data.
    one = outcomes((0.2, 0.5, 0.3), question=ONE_SPLIT, more=None)
    assert stop_after([one], 3, AUTO).reason == "cannot_decide"
    # At the ROPE's edge with a floor narrower than it, the mean still moves: go on.
    assert stop_after([outcomes((0.3, 0.6, 0.1), more=None, floor=0.7)], 3, AUTO) is None


def test_every_verdict_must_decide_and_the_budget_stops_a_round_that_would_pass_it():
    decided, open_ = outcomes((0.0, 0.01, 0.99)), outcomes((0.2, 0.5, 0.3))
    assert stop_after([decided, open_], 3, AUTO) is None
    assert stop_after([decided, decided], 3, AUTO).text == "decided after 3 seeds"
    budget = AutoSeeds(budget="2m")
    assert stop_after([open_], 3, budget, spent_s=60, round_s=30) is None
    stop = stop_after([open_], 3, budget, spent_s=100, round_s=30)
    assert stop.reason == "budget" and stop.text == "stopped after 3 seeds: budget spent (2m)"
    assert stop_after([], 3, AUTO).reason == "no_verdict"


def test_the_rule_does_not_inflate_false_decisions_under_no_difference():
    """1,000 simulated datasets with no true difference, the rule as a run applies it: at most
    5% end 'ahead', at the suite's spread and at a four times wider one."""
    for sd in (0.0075, 0.03):
        result = simulate(0.0, 1000, np.random.default_rng(23), AUTO, sd=sd)
        assert result.ahead <= 0.05, (sd, result)


def test_the_rule_decides_a_three_point_difference():
    result = simulate(0.03, 200, np.random.default_rng(5), AUTO)
    assert result.ahead >= 0.9 and result.mean_seeds < AUTO.max_seeds


def config(tmp_path: Path, mlp_epochs: int, max_seeds: int = 6) -> Path:
    return write_config(
        tmp_path / "auto.yaml",
        "name: auto-digits\nseeds: auto\n"
        f"max_seeds: {max_seeds}\n"
        "dataset: {source: digits, test_size: 0.3}\n"
        "pipelines:\n  - raw_svm\n"
        f"  - {{name: mlp, params: {{epochs: {mlp_epochs}, hidden: [16]}}}}\n",
    )


def stops(out: Path) -> list[dict]:
    records, _ = read_records(out)
    return [json.loads(json.dumps(r.stopping.to_json())) for r in records if r.stopping]


def test_a_run_stops_at_a_decided_verdict_records_it_and_resumes(tmp_path: Path):
    cfg, out = config(tmp_path, mlp_epochs=3), tmp_path / "runs"
    first = invoke("run", cfg, "--out", out, "--quiet")
    assert first.exit_code == 0, first.output
    assert "seeds: auto: auto-digits after 3 seeds: digits n_train" in first.stderr
    records, _ = read_records(out)
    assert len(records) == 6 and {r.seed for r in records} == {0, 1, 2}
    assert all(r.stopping is not None for r in records)
    assert {r.stopping.text for r in records} == {"decided after 3 seeds"}
    # A second run adds nothing; one whose records were lost runs those jobs again.
    again = invoke("run", cfg, "--out", out, "--quiet")
    assert "0 to run, 6 already ok" in again.stderr and "decided after 3 seeds" in again.stderr
    lost = sorted((out / "auto-digits").glob("mlp-*.json"))[0]
    lost.unlink()
    resumed = invoke("run", cfg, "--out", out, "--quiet")
    assert "1 to run, 5 already ok" in resumed.stderr
    assert len(stops(out)) == 6
    # The report states where it stopped, in report.md and on the terminal.
    report = invoke("report", out)
    assert report.exit_code == 0, report.output
    assert "seeds: auto decided after 3 seeds" in report.stdout
    as_json = json.loads(invoke("report", out, "--format", "json").stdout)
    assert as_json["verdict"][0]["stopping"] == "decided after 3 seeds"
    text = (out / "report.md").read_text()
    assert "seeds: auto decided after 3 seeds" in text and "Stopping rule (seeds: auto" in text


def test_a_run_undecided_adds_rounds_up_to_max_seeds(tmp_path: Path, monkeypatch):
    # The verdict held undecided (but decidable), whatever the runs say: the rounds go on.
    real = stopping.stop_after

    def undecided(found, seeds, auto, spent_s=0.0, round_s=None):
        assert len(found) == 1
        return real([outcomes((0.3, 0.4, 0.3))], seeds, auto, spent_s, round_s)

    monkeypatch.setattr(rounds, "stop_after", undecided)
    cfg, out = config(tmp_path, mlp_epochs=3, max_seeds=5), tmp_path / "runs"
    result = invoke("run", cfg, "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    assert "after 3 seeds" in result.stderr and "-> 2 more seeds" in result.stderr
    records, _ = read_records(out)
    assert {r.seed for r in records} == set(range(5))
    assert {r.stopping.text for r in records} == {"stopped at max_seeds (5), undecided"}
    assert {r.stopping.reason for r in records} == {"max_seeds"}
    # A budget stops the rounds once the records' run time is spent.
    short = write_config(tmp_path / "budget.yaml", cfg.read_text() + "budget: 0.01s\n")
    spent = invoke("run", short, "--out", tmp_path / "budget", "--quiet")
    assert spent.exit_code == 0, spent.output
    assert "stopped after 3 seeds: budget spent (0.01s)" in spent.stderr
    # --force re-runs each job once, not once a round.
    forced = invoke("run", cfg, "--out", out, "--quiet", "--force")
    assert forced.exit_code == 0 and "run: ran 10 in" in forced.stderr, forced.stderr


def test_dry_run_says_what_auto_means(tmp_path: Path):
    result = invoke("run", config(tmp_path, 3), "--out", tmp_path / "runs", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "seeds: auto: first round seeds 0-2, then 2 more per round" in result.stdout
    assert "stopping at max_seeds 6" in result.stdout
    assert not (tmp_path / "runs").exists()


def test_the_same_network_under_two_labels_is_never_called_ahead(tmp_path: Path):
    """Real runs: one MLP under two labels that differ only in their initialisation seed, over
    five re-split seeds (the issue's case); the pairwise verdict must not call either ahead."""
    from featcmp.report.load import load_runs
    from featcmp.report.significance import compare_pipelines

    cfg = write_config(
        tmp_path / "same.yaml",
        "name: same-net\nseeds: [0, 1, 2, 3, 4]\n"
        "dataset: {source: digits, test_size: 0.3}\npipelines:\n"
        "  - {name: mlp, label: mlp_a, params: {seed: 101, epochs: 5, hidden: [32]}}\n"
        "  - {name: mlp, label: mlp_b, params: {seed: 202, epochs: 5, hidden: [32]}}\n",
    )
    out = tmp_path / "runs"
    assert invoke("run", cfg, "--out", out, "--quiet").exit_code == 0
    pairs = compare_pipelines(load_runs(out).records)
    assert len(pairs) == 1 and pairs[0].outcomes is not None
    assert pairs[0].outcomes.decided() not in ("a", "b"), pairs[0].outcomes
