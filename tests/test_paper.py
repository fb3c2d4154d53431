"""docs/results.md: published figures next to ours, protocol flagged when it differs."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from featcmp.cli import app
from featcmp.records import SCHEMA_VERSION
from featcmp.report.paper import SECTIONS, results_markdown
from tests.reportdata import write_json


def write(
    folder: Path, config: str, row: str, acc: float, n_train: int, own: bool, **dataset
) -> None:
    record = {
        "schema": SCHEMA_VERSION,
        "id": f"{config}-{row}",
        "config_name": config,
        "pipeline": row,
        "registry_name": "raw_svm",
        "status": "ok",
        "accuracy": acc,
        "macro_f1": acc,
        "family": "hand-crafted",
        "seed": 0,
        "dataset": {
            "name": "idx:x",
            "n_train": n_train,
            "n_test": 10_000,
            "own_test_split": own,
            **dataset,
        },
        "config": {
            "dataset": {"source": "idx", "path": "/data/x", "test_size": 0.2},
            "pipeline": {"name": "raw_svm", "params": {"svm": {"C": 10}}},
        },
        "versions": {"numpy": "2.0", "torch": "absent"},
        "feature_dim": 784,
        "learned_params": 10,
        "fit_seconds": 100.0,
        "predict_seconds": 20.0,
    }
    write_json(folder / config / f"{row}.json", record)


def test_published_next_to_ours_on_the_published_protocol(tmp_path):
    write(tmp_path, "paper-fashion-mnist", "rbf_svc", 0.8912, 60_000, own=True)
    write(tmp_path, "paper-fashion-mnist", "cnn", 0.915, 60_000, own=True)
    text = results_markdown(tmp_path, wall_seconds=600)
    line = next(ln for ln in text.splitlines() if ln.startswith("| rbf_svc"))
    assert "| 0.897 | 0.891 | -0.006 | 60,000 / 10,000 | published protocol | 120 s |" in line
    assert '`raw_svm {"svm":{"C":10}}`' in line and "Xiao et al. 2017" in line
    cnn = next(ln for ln in text.splitlines() if ln.startswith("| cnn"))
    assert "| 0.900-0.930 | 0.915 | within range |" in cnn
    assert "wall time of the whole run 10.0 min" in text and "Run: " in text
    assert "Not the published protocol" not in text and "numpy 2.0" in text


def test_a_re_split_is_flagged_as_not_the_published_protocol(tmp_path):
    write(tmp_path, "paper-mnist", "lenet5", 0.98, 8_000, own=False)
    text = results_markdown(tmp_path)
    line = next(ln for ln in text.splitlines() if ln.startswith("| lenet5"))
    assert "| 0.9905 | 0.980 | -0.011 |" in line and "NOT the published protocol" in line
    assert "a re-split of the 10k test set" in text and "MNIST (LeCun et al. 1998)" in text


def test_the_data_line_says_what_the_images_are_not_the_record_name(tmp_path):
    # The record's dataset name is the source and the path's last part: "idx:x" beside `/data/x`.
    gray = {"image_shape": [28, 28], "class_names": [str(k) for k in range(10)]}
    write(tmp_path, "paper-mnist", "lenet5", 0.98, 8_000, own=False, **gray)
    write(tmp_path, "paper-fashion-mnist", "cnn", 0.915, 60_000, own=True)  # no shape, no classes
    lines = [ln for ln in results_markdown(tmp_path).splitlines() if ln.startswith("Data: ")]
    fashion, mnist = lines  # in the sections' order
    assert fashion.startswith("Data: `/data/x` (source `idx`), 60,000 training")
    assert mnist.startswith("Data: `/data/x` (source `idx`; 28x28 grayscale, 10 classes), 8,")
    assert "idx:x" not in "".join(lines)


def test_paper_command_writes_the_file_and_refuses_foreign_records(tmp_path):
    write(tmp_path / "runs", "paper-mnist", "rbf_svc", 0.97, 8_000, own=False)
    write(tmp_path / "other", "compare", "raw_svm", 0.5, 100, own=False)
    runner = CliRunner()
    ok = runner.invoke(app, ["paper", str(tmp_path / "runs"), "--out", str(tmp_path / "r.md")])
    assert ok.exit_code == 0
    assert "| rbf_svc | 0.986 | 0.970 |" in (tmp_path / "r.md").read_text()
    bad = runner.invoke(app, ["paper", str(tmp_path / "other"), "--out", str(tmp_path / "x.md")])
    assert bad.exit_code == 2
    assert "no records of paper-" in bad.output and not (tmp_path / "x.md").exists()


def test_published_rows_exist_in_the_paper_configs():
    from featcmp.run.jobs import load_config

    root = Path(__file__).resolve().parents[1]
    for name, section in SECTIONS.items():
        rows = section.published
        cfg = load_config(root / section.config)
        assert cfg.name == name
        assert set(rows) <= {p.row for p in cfg.pipelines}


def test_one_dataset_rerun_keeps_the_other_sections_as_they_were(tmp_path):
    write(tmp_path / "a", "paper-mnist", "rbf_svc", 0.97, 8_000, own=False)
    write(tmp_path / "a", "paper-fashion-mnist", "cnn", 0.915, 60_000, own=True)
    first = results_markdown(tmp_path / "a", wall_seconds=600)
    write(tmp_path / "b", "cifar10", "hog_svm", 0.60, 50_000, own=True)
    second = results_markdown(tmp_path / "b", previous=first)
    fashion = first[first.index("## Fashion-MNIST") : first.index("## MNIST")]
    assert fashion in second and "| rbf_svc | 0.986 | 0.970 |" in second
    hog = next(ln for ln in second.splitlines() if ln.startswith("| hog_svm"))
    assert "| 0.620 | 0.600 | -0.020 | 50,000 / 10,000 | published protocol |" in hog
    assert "Coates" in second and second.count("## ") == 3


def test_a_hand_written_section_survives_a_rerun(tmp_path):
    write(tmp_path / "a", "paper-mnist", "rbf_svc", 0.97, 8_000, own=False)
    mine = "## Learned elsewhere\n\nMeasured by hand: | cnn_tuned | 0.9 |\n"
    first = results_markdown(tmp_path / "a", wall_seconds=600) + "\n" + mine
    second = results_markdown(tmp_path / "a", previous=first)
    assert mine in second and second.count("## Learned elsewhere") == 1
    assert second.index("## MNIST") < second.index("## Learned elsewhere")
