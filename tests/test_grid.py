"""Grid expansion: cartesian product, labels, validation up front, stable and distinct ids."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from featcmp.config.grid import expand_grid
from featcmp.errors import ConfigError
from featcmp.run.jobs import expand_jobs, load_jobs, parse_config

BASE = {
    "name": "g",
    "dataset": {"source": "digits", "test_size": 0.5},
    "pipelines": ["raw_svm", {"name": "hog_svm", "params": {"hog": {"pixels_per_cell": [2, 2]}}}],
}


def config(grid, **extra) -> dict:
    return {**BASE, **extra, "grid": grid}


def test_cartesian_product_sets_every_value():
    cfg = parse_config(
        config({"pipelines.hog_svm.params.svm.C": [1, 10, 100], "dataset.test_size": [0.25, 0.5]})
    )
    points = expand_grid(cfg)
    assert len(points) == 6
    seen = {
        (
            p.pipelines[1].params["svm"]["C"],
            p.dataset.test_size,
            p.pipelines[1].params["hog"]["pixels_per_cell"][0],
        )
        for p in points
    }
    assert seen == {(c, t, 2) for c in (1, 10, 100) for t in (0.25, 0.5)}
    assert all(p.grid is None for p in points)


def test_labels_name_the_grid_values_of_each_pipeline():
    cfg = parse_config(config({"pipelines.hog_svm.params.svm.C": [1, 10], "seed": [0, 1]}))
    labels = {tuple(p.row for p in point.pipelines) for point in expand_grid(cfg)}
    # The SVM's C concerns hog_svm only; seeds are aggregated by the report, so no label.
    assert labels == {("raw_svm", "hog_svm.C-1"), ("raw_svm", "hog_svm.C-10")}


def test_dataset_keys_label_every_pipeline_and_lists_become_tokens():
    cfg = parse_config(
        config(
            {"dataset.test_size": [0.5], "pipelines.hog_svm.params.hog.pixels_per_cell": [[4, 4]]}
        )
    )
    (point,) = expand_grid(cfg)
    assert [p.row for p in point.pipelines] == [
        "raw_svm.test_size-0.5",
        "hog_svm.test_size-0.5.pixels_per_cell-4x4",
    ]


def test_seed_grid_gives_one_job_per_seed_and_pipeline():
    jobs = expand_jobs(parse_config(config({"seed": [0, 1, 2]})))
    assert sorted((j.seed, j.pipeline.row) for j in jobs) == sorted(
        (s, r) for s in (0, 1, 2) for r in ("raw_svm", "hog_svm")
    )


def test_ids_are_stable_and_distinct():
    raw = config({"pipelines.hog_svm.params.svm.C": [1, 10], "seed": [0, 1]})
    ids_a = [j.id for j in expand_jobs(parse_config(raw))]
    ids_b = [j.id for j in expand_jobs(parse_config(raw))]
    assert ids_a == ids_b and len(ids_a) == len(set(ids_a)) == 6
    # raw_svm does not depend on hog_svm's C: its two grid points are one run (one id).
    jobs = expand_jobs(parse_config(raw))
    by_id = {}
    for job in jobs:
        resolved = {k: v for k, v in job.resolved().items() if k != "name"}
        assert by_id.setdefault(job.id, resolved) == resolved  # equal id <=> equal computation
    assert len(by_id) == 6  # 2 seeds x (raw_svm + hog_svm at C=1 and C=10)
    renamed = [j.id for j in expand_jobs(parse_config({**raw, "name": "other"}))]
    assert renamed == ids_a  # the name does not change what a run computes
    assert len({j.record_path(Path("runs")) for j in jobs}) == 6


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        (
            {"pipelines.hog_svm.params.svm.C": [1, -1]},
            "grid point pipelines.hog_svm.params.svm.C=-1",
        ),
        ({"pipelines.hog_sv.params.svm.C": [1]}, "did you mean 'hog_svm'"),
        ({"pipelines.hog_svm.params.svm.CC": [1]}, "did you mean 'C'"),
        ({"dataset.test_size": 0.5}, "grid.dataset.test_size: expected a non-empty list"),
        ({"dataset.test_size": []}, "expected a non-empty list"),
        ({"dataset.source": ["digitz"]}, "did you mean 'digits'"),
        ([1, 2], "grid: expected a mapping"),
    ],
)
def test_bad_grids_fail_before_any_job_naming_the_file_and_key(tmp_path, grid, message):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config(grid)))
    with pytest.raises(ConfigError) as info:
        load_jobs([path])
    text = str(info.value)
    assert str(path) in text and message in text
    assert "\n" not in text


def test_config_without_grid_is_itself():
    cfg = parse_config(BASE)
    assert expand_grid(cfg) == [cfg]
