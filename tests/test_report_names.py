"""Dataset names as people say them in the report; the records (and baselines) keep theirs."""

from __future__ import annotations

import pytest

from featcmp.records import SCHEMA_VERSION, Record, write_record
from featcmp.report.load import load_runs
from featcmp.report.names import display_name, display_names
from featcmp.report.write import write_report


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("idx:fashion-mnist", "Fashion-MNIST"),
        ("idx:mnist", "MNIST"),
        ("cifar10:cifar-10-binary.tar.gz", "CIFAR-10"),
        ("cifar10:batches", "CIFAR-10"),
        ("folder:holiday-photos", "holiday-photos"),
        ("npz:shapes.npz", "shapes"),
        ("idx:copy", "copy"),
        ("digits", "digits"),
        ("scenes", "scenes"),
        ("faces", "faces"),
    ],
)
def test_display_name(name, shown):
    assert display_name(name) == shown


def test_names_that_would_read_the_same_keep_their_own():
    names = display_names({"folder:mnist", "idx:mnist", "digits"})
    assert names == {"folder:mnist": "folder:mnist", "idx:mnist": "idx:mnist", "digits": "digits"}


def record(pipeline: str, family: str, accuracy: float, name: str, path: str, seed: int) -> Record:
    return Record.from_json(
        {
            "schema": SCHEMA_VERSION,
            "id": f"{pipeline}-{len(name)}-{seed}",
            "pipeline": pipeline,
            "family": family,
            "status": "ok",
            "accuracy": accuracy,
            "seed": seed,
            "dataset": {"name": name, "n_train": 100, "fingerprint": f"fp-{seed}"},
            "config": {"name": "fixed", "dataset": {"source": name.split(":")[0], "path": path}},
        }
    )


PIPELINES = (("hog_svm", "hand-crafted", 0.8), ("cnn", "learned", 0.7))


@pytest.fixture
def runs_dir(tmp_path):
    sources = {
        "idx:fashion-mnist": "/data/fashion-mnist/",
        "cifar10:cifar-10-binary.tar.gz": "/data/cifar10/cifar-10-binary.tar.gz",
    }
    for name, path in sources.items():
        for seed in (0, 1):
            for pipeline, family, acc in PIPELINES:
                r = record(pipeline, family, acc + seed / 100, name, path, seed)
                write_record(tmp_path / f"{r.id}.json", r)
    return tmp_path


def test_the_report_shows_people_names_and_the_source_in_a_note(runs_dir):
    rows, _ = write_report(runs_dir)
    assert {r.dataset for r in rows} == {"Fashion-MNIST", "CIFAR-10"}
    for page in ("report.md", "report.html", "results.csv"):
        text = (runs_dir / page).read_text()
        assert "Fashion-MNIST" in text and "CIFAR-10" in text
        assert "idx:fashion-mnist" not in text and "cifar10:cifar" not in text
    md = (runs_dir / "report.md").read_text()
    assert "- Fashion-MNIST (idx, /data/fashion-mnist/): fingerprint `fp-0`" in md
    html = (runs_dir / "report.html").read_text()
    assert ">cifar10, /data/cifar10/cifar-10-binary.tar.gz</td>" in html


def test_baselines_and_checks_still_match_by_the_records_names(runs_dir):
    assert {r.dataset for r in load_runs(runs_dir).rows} == {
        "idx:fashion-mnist",
        "cifar10:cifar-10-binary.tar.gz",
    }
    assert {r.dataset for r in load_runs(runs_dir).for_people().rows} == {
        "Fashion-MNIST",
        "CIFAR-10",
    }
