"""`select:` chooses a pipeline's hyperparameters on the training split only: the test set never
reaches the search, the record keeps the candidates and the choice, and the report shows one
row for the selected pipeline, not marked exploratory."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import yaml
from sklearn.pipeline import Pipeline

from featcmp.data.loader import load_dataset
from featcmp.errors import ConfigError
from featcmp.report.write import exploratory_rows, write_report
from featcmp.run import selection
from featcmp.run.executor import run_job
from featcmp.run.jobs import expand_jobs, load_jobs, parse_config
from featcmp.run.sweep import run_sweep

DIGITS = {"source": "digits", "test_size": 0.5, "max_train": 240, "max_test": 120}
HOG = {"hog": {"pixels_per_cell": [2, 2], "cells_per_block": [2, 2]}}
SELECT = {"grid": {"svm.C": [0.01, 10], "hog.orientations": [6, 9]}, "cv": 3}


def config(select: dict, **pipeline) -> dict:
    entry = {"name": "hog_svm", "params": HOG, "select": select, **pipeline}
    return {"name": "sel", "dataset": DIGITS, "pipelines": [entry]}


@pytest.fixture
def spy(monkeypatch):
    """Every X given to a Pipeline's fit, predict or score, and whether selection was running."""
    seen: list[tuple[bool, np.ndarray]] = []
    inside = [False]
    for method in ("fit", "predict", "score"):
        original = getattr(Pipeline, method)

        def spying(self, X, *args, _original=original, **kwargs):
            seen.append((inside[0], np.asarray(X).copy()))
            return _original(self, X, *args, **kwargs)

        # scikit-learn's scorers look the method up by its name: keep it
        monkeypatch.setattr(Pipeline, method, functools.wraps(original)(spying))
    original_select = selection.select_and_fit

    def selecting(*args, **kwargs):
        inside[0] = True
        try:
            return original_select(*args, **kwargs)
        finally:
            inside[0] = False

    monkeypatch.setattr(selection, "select_and_fit", selecting)
    return seen


def rows_of(X: np.ndarray) -> set[bytes]:
    return {row.tobytes() for row in X.reshape(len(X), -1)}


@pytest.mark.parametrize("select", [SELECT, {**SELECT, "cv": None, "validation": 0.25}])
def test_the_test_set_never_reaches_the_selection(spy, tmp_path, select):
    cfg = parse_config(config({k: v for k, v in select.items() if v is not None}))
    (job,) = expand_jobs(cfg)
    data = load_dataset(cfg.dataset, job.seed)
    record = run_job(job, data, feature_cache=tmp_path / "cache")  # the cached HOG step too
    train, test_only = rows_of(data.X_train), rows_of(data.X_test) - rows_of(data.X_train)
    during = [X for inside, X in spy if inside]
    n_fits = 4 * (3 if select.get("cv") else 1) + 1  # candidates x splits + refit
    assert len([X for X in during if len(X)]) >= n_fits
    for X in during:
        assert rows_of(X) <= train and not rows_of(X) & test_only
    assert all(len(X) < len(data.X_train) for X in during[:-1])  # folds, then the refit
    assert rows_of(during[-1]) == train
    # After the search, the chosen pipeline is scored once on the test set.
    after = [X for inside, X in spy if not inside]
    assert len(after) == 1 and np.array_equal(after[0], data.X_test)
    assert record.status == "ok" and len(record.predictions) == len(data.y_test)


def test_the_record_keeps_candidates_scores_and_choice(tmp_path):
    cfg = parse_config(config(SELECT))
    (job,) = expand_jobs(cfg)
    record = run_job(job, load_dataset(cfg.dataset, job.seed))
    sel = record.selection
    assert (sel["method"], sel["folds"], sel["search"]) == ("cv", 3, "grid")
    assert [c["params"] for c in sel["candidates"]] == [
        {"svm.C": 0.01, "hog.orientations": 6},
        {"svm.C": 0.01, "hog.orientations": 9},
        {"svm.C": 10, "hog.orientations": 6},
        {"svm.C": 10, "hog.orientations": 9},
    ]
    for c in sel["candidates"]:
        assert len(c["fold_scores"]) == 3
        assert c["mean_score"] == pytest.approx(np.mean(c["fold_scores"]), abs=1e-5)
    best = max(sel["candidates"], key=lambda c: c["mean_score"])
    assert sel["chosen"] == best["params"] and sel["best_score"] == best["mean_score"]
    assert sel["chosen"]["svm.C"] == 10  # C=0.01 underfits 10 classes badly
    assert record.config["pipeline"]["select"]["cv"] == 3


def test_the_report_shows_one_row_for_the_selected_pipeline(tmp_path):
    path = tmp_path / "sel.yaml"
    raw = config({"grid": {"svm.C": [0.1, 10]}, "cv": 2})
    raw["seeds"] = [0, 1]
    path.write_text(yaml.safe_dump(raw))
    out = tmp_path / "runs"
    outcome = run_sweep(load_jobs([path]), out)
    assert outcome.failed == 0
    rows, _ = write_report(out)
    assert [(r.pipeline, r.runs) for r in rows] == [("hog_svm", 2)]
    records = [r for r in outcome.records if r.selection]
    assert len(records) == 2 and exploratory_rows(records) == set()
    assert "exploratory" not in (out / "report.md").read_text().split("## ")[1]


@pytest.mark.parametrize(
    "select, message",
    [
        ({"grid": {"svm.Cx": [1]}}, "pipelines[0].select.grid.svm.Cx' (did you mean 'C'?)"),
        ({"grid": {"svm.C": ["big"]}}, "pipelines[0].select.grid.svm.C: expected a number"),
        (
            {"grid": {"svm.C": [1]}, "vaildation": 0.2},
            "select.vaildation' (did you mean 'validation'",
        ),
        ({"grid": {"svm.C": [1]}, "cv": 3, "validation": 0.2}, "not both"),
        ({"grid": {"svm.C": [1]}, "validation": 1.5}, "pipelines[0].select.validation"),
        ({"grid": {"svm.C": []}}, "non-empty list"),
    ],
)
def test_bad_select_is_named_by_key_path(select, message):
    with pytest.raises(ConfigError) as err:
        parse_config(config(select))
    assert message in str(err.value)


def test_halving_search_chooses_on_the_training_split():
    raw = config({"grid": {"svm.C": [0.001, 0.01, 1, 10]}, "cv": 3, "search": "halving"})
    raw["pipelines"][0] = {"name": "raw_svm", "select": raw["pipelines"][0]["select"]}
    cfg = parse_config(raw)
    (job,) = expand_jobs(cfg)
    data = load_dataset(cfg.dataset, job.seed)
    sel = run_job(job, data).selection
    assert sel["search"] == "halving" and len(sel["candidates"]) == 4
    # Successive halving: the survivors were scored on more training images than the rest.
    sizes = {c["params"]["svm.C"]: c["n_samples"] for c in sel["candidates"]}
    assert max(sizes.values()) <= len(data.y_train)
    assert sizes[sel["chosen"]["svm.C"]] == max(sizes.values())
    assert sel["chosen"]["svm.C"] in (1, 10)


def test_a_candidate_that_does_not_fit_the_images_stops_the_run_before_any_fit(tmp_path):
    from typer.testing import CliRunner

    from featcmp.cli import app

    path = tmp_path / "sel.yaml"
    path.write_text(yaml.safe_dump(config({"grid": {"hog.pixels_per_cell": [[2, 2], [16, 16]]}})))
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "runs")])
    assert result.exit_code == 2
    assert "pipelines[0] (hog_svm)" in result.output
    assert not list((tmp_path / "runs").rglob("*.json"))
