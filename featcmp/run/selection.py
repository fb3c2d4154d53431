"""Hyperparameter selection on the training split only (a pipeline's `select:`).

Each candidate of `select.grid` is built and checked like a config's `params` (so its values
are typed as they would be there), then scikit-learn's `GridSearchCV` (or
`HalvingGridSearchCV`) scores every candidate by stratified k-fold cross-validation, or on one
stratified validation split, of the training split, with the job's seed. The search refits
the chosen candidate on the whole training split; the executor then scores it once on the test
set. The record's `selection` holds the candidates, their validation scores and the choice.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from featcmp.config.load import set_path
from featcmp.config.schema import SelectConfig
from featcmp.errors import ConfigError
from featcmp.pipelines import build_pipeline


def candidate_params(params: dict[str, Any], select: SelectConfig) -> list[dict[str, Any]]:
    """Every grid point of `select` merged into `params` (YAML form), in grid order."""
    out = []
    for point in grid_points(select):
        merged = copy.deepcopy(params)
        for key, value in point.items():
            set_path(merged, key.split("."), copy.deepcopy(value), f"select.grid.{key}")
        out.append(merged)
    return out


def grid_points(select: SelectConfig) -> list[dict[str, Any]]:
    """The grid's points as {parameter path: value}, in the order of `candidate_params`."""
    keys = list(select.grid)
    return [
        dict(zip(keys, values, strict=True))
        for values in itertools.product(*(select.grid[k] for k in keys))
    ]


def candidate_pipelines(
    name: str, params: dict[str, Any], select: SelectConfig, where: str
) -> list[Pipeline]:
    """Every candidate of `select` built, in grid order, and so checked like a config's
    `params`: names with did-you-mean, types and values, key paths under `select.grid`."""
    return [_build(name, merged, where) for merged in candidate_params(params, select)]


def _build(name: str, params: dict[str, Any], where: str) -> Pipeline:
    try:
        return build_pipeline(name, params, f"{where}.select.grid")
    except ConfigError as exc:  # the grid's keys are written without `params.`
        raise ConfigError(
            str(exc).replace(f"{where}.select.grid.params", f"{where}.select.grid")
        ) from None


def sklearn_grid(candidates: list[Pipeline], select: SelectConfig) -> list[dict[str, list[Any]]]:
    """One single-point grid per built candidate, each value as `build_pipeline` converted it
    (a YAML list becomes the tuple a HOG cell size is), in `step__param` form."""
    out = []
    for built, point in zip(candidates, grid_points(select), strict=True):
        values = built.get_params()
        keys = [_sklearn_key(values, path) for path in point]
        out.append({key: [values[key]] for key in keys})
    return out


def _sklearn_key(built: dict[str, Any], path: str) -> str:
    """`svm.C` -> `svm__C`; a flat network's `epochs` -> `cnn__epochs`."""
    nested = path.replace(".", "__")
    if nested in built:
        return nested
    flat = [k for k in built if k.count("__") == 1 and k.endswith("__" + nested)]
    if len(flat) == 1:
        return flat[0]
    raise ConfigError(f"select.grid.{path}: not a parameter of this pipeline")


def splitter(select: SelectConfig, seed: int):
    """Stratified folds or one stratified validation split, shuffled with the job's seed."""
    from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit

    if select.validation is not None:
        return StratifiedShuffleSplit(n_splits=1, test_size=select.validation, random_state=seed)
    return StratifiedKFold(n_splits=select.folds, shuffle=True, random_state=seed)


def select_and_fit(
    pipe: Pipeline,
    candidates: list[Pipeline],
    select: SelectConfig,
    X_train: np.ndarray,
    y_train: np.ndarray,
    seed: int,
) -> tuple[Pipeline, dict[str, Any]]:
    """Search the built `candidates` of `select.grid` on the training split alone, from
    `pipe`; return the chosen pipeline, refitted on the whole training split, and the record's
    `selection`. Only X_train and y_train are given to the search: the test set cannot reach
    it."""
    from sklearn.model_selection import GridSearchCV

    grid = sklearn_grid(candidates, select)
    common = {
        "cv": splitter(select, seed),
        "scoring": "accuracy",
        "refit": True,
        "error_score": "raise",  # a failing candidate fails the job, it is not scored 0
    }
    if select.search == "halving":
        from sklearn.experimental import enable_halving_search_cv  # noqa: F401
        from sklearn.model_selection import HalvingGridSearchCV

        search = HalvingGridSearchCV(pipe, grid, random_state=seed, **common)
    else:
        search = GridSearchCV(pipe, grid, **common)
    search.fit(X_train, y_train)
    return search.best_estimator_, selection_record(search, select, grid_points(select))


def selection_record(search, select: SelectConfig, points: list[dict[str, Any]]) -> dict:
    """Candidates (as written in the config), their validation scores, and the choice."""
    res = search.cv_results_
    n_splits = int(search.n_splits_)
    # Halving scores candidates in rounds on growing subsamples: report each candidate's last.
    rows: dict[int, dict[str, Any]] = {}
    for i in range(len(res["params"])):
        index = _candidate_index(search, res["params"][i])
        rows[index] = {
            "params": points[index],
            "mean_score": round(float(res["mean_test_score"][i]), 6),
            "std_score": round(float(res["std_test_score"][i]), 6),
            "fold_scores": [
                round(float(res[f"split{k}_test_score"][i]), 6) for k in range(n_splits)
            ],
            "n_samples": int(res["n_resources"][i]) if "n_resources" in res else None,
        }
    chosen = _candidate_index(search, search.best_params_)
    method = "validation" if select.validation is not None else "cv"
    return {
        "method": method,
        "search": select.search,
        "folds": n_splits,
        "validation": select.validation,
        "scoring": "accuracy",
        "candidates": [rows[i] for i in sorted(rows)],
        "chosen": points[chosen],
        "chosen_index": chosen,
        "best_score": round(float(search.best_score_), 6),
    }


def _candidate_index(search, params: dict[str, Any]) -> int:
    for i, grid in enumerate(search.param_grid):
        if all(_same(params.get(k), v[0]) for k, v in grid.items()):
            return i
    raise RuntimeError(f"selection: candidate {params!r} not in the grid")


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except ValueError:  # arrays
        return bool(np.array_equal(a, b))
