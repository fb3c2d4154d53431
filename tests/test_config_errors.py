"""Config checking: each bad config (a row of docs/robustness.md) is one stderr line, exit 2,
nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.robustness_helpers import TINY, assert_one_line_error, invoke, write_config

DS = "dataset: {source: digits, max_train: 60, max_test: 30}\n"


def cnn(params: str) -> str:
    return DS + f"pipelines:\n  - name: cnn\n    params: {params}\n"


# (row id, config text, fragments the one error line must hold)
CASES = [
    ("invalid-yaml", "name: x\npipelines: [raw_svm\n", ["invalid YAML at line 3, column 1"]),
    ("yaml-list", "- raw_svm\n- cnn\n", ["expected a mapping at the top level, got a list"]),
    ("yaml-scalar", "42\n", ["expected a mapping at the top level, got an integer"]),
    ("yaml-empty", "", ["expected a mapping at the top level, got null"]),
    ("python-tag", "name: !!python/object/apply:os.system [echo hi]\n", ["could not determine"]),
    ("wrong-type", "seed: three\n" + DS + "pipelines: [raw_svm]\n", ["seed: expected an integer"]),
    ("wrong-type-deep", cnn("{epochs: ten}"), ["pipelines[0].params.epochs", "'ten'"]),
    ("unknown-key-top", "sed: 3\n" + DS + "pipelines: [raw_svm]\n", ["'sed'", "'seed'"]),
    (
        "unknown-key-dataset",
        "dataset: {source: digits, max_trian: 9}\npipelines: [raw_svm]\n",
        ["'dataset.max_trian'", "did you mean 'max_train'"],
    ),
    (
        "unknown-key-deep",
        DS + "pipelines:\n  - name: hog_svm\n    params: {hog: {pixels_per_cel: [2, 2]}}\n",
        ["'pipelines[0].params.hog.pixels_per_cel'", "did you mean 'pixels_per_cell'"],
    ),
    (
        "unknown-step",
        DS + "pipelines:\n  - name: hog_svm\n    params: {hgo: {orientations: 9}}\n",
        ["'pipelines[0].params.hgo' (did you mean 'hog'?); steps of hog_svm: hog, scaler, svm"],
    ),
    ("seeds-word", "seeds: some\n" + DS + "pipelines: [raw_svm]\n", ["seeds:", "'auto'"]),
    ("seeds-number", "seeds: 3\n" + DS + "pipelines: [raw_svm]\n", ["seeds: expected a list"]),
    (
        "max-seeds-small",
        "seeds: auto\nmax_seeds: 1\n" + DS + "pipelines: [raw_svm]\n",
        ["max_seeds: must be >= 2, got 1"],
    ),
    (
        "max-seeds-without-auto",
        "seeds: [0, 1]\nmax_seeds: 5\n" + DS + "pipelines: [raw_svm]\n",
        ["max_seeds: only with seeds: auto"],
    ),
    (
        "budget-no-unit",
        "seeds: auto\nbudget: 20\n" + DS + "pipelines: [raw_svm]\n",
        ["budget: expected a time like 90s, 20m or 1h, got an integer 20"],
    ),
    (
        "budget-bad-unit",
        "seeds: auto\nbudget: 20 minutes\n" + DS + "pipelines: [raw_svm]\n",
        ["budget: expected a time like 90s, 20m or 1h", "'20 minutes'"],
    ),
    (
        "max-train-negative",
        "dataset: {source: digits, max_train: -5}\npipelines: [raw_svm]\n",
        ["dataset.max_train: must be at least 1, got -5"],
    ),
    (
        "test-size-zero",
        "dataset: {source: digits, test_size: 0}\npipelines: [raw_svm]\n",
        ["dataset.test_size: must be between 0 and 1"],
    ),
    ("epochs-zero", cnn("{epochs: 0}"), ["pipelines[0].params.epochs: must be 1..10000, got 0"]),
    (
        "epochs-negative",
        DS + "pipelines:\n  - name: mlp\n    params: {epochs: -3}\n",
        ["pipelines[0].params.epochs: must be 1..10000, got -3"],
    ),
    (
        "batch-size-zero",
        cnn("{batch_size: 0}"),
        ["pipelines[0].params.batch_size: must be >= 1, got 0"],
    ),
    (
        "channels-zero",
        cnn("{channels: [0, 8]}"),
        ["pipelines[0].params.channels[0]: must be 1..4096, got 0"],
    ),
    (
        "image-size-zero",
        "dataset: {source: folder, path: x, image_size: 0}\npipelines: [raw_svm]\n",
        ["dataset.image_size: each side must be 4..4096 pixels, got 0"],
    ),
    (
        "image-size-negative",
        "dataset: {source: folder, path: x, image_size: [-4, 8]}\npipelines: [raw_svm]\n",
        ["dataset.image_size: each side must be 4..4096 pixels, got [-4, 8]"],
    ),
    (
        "scenes-size-zero",
        "dataset: {source: scenes, size: 0}\npipelines: [raw_svm]\n",
        ["scene size must be in 8..512, got 0"],
    ),
    ("empty-pipelines", DS + "pipelines: []\n", ["pipelines: the list is empty"]),
    ("no-pipelines", DS, ["missing key 'pipelines'"]),
    (
        "unknown-pipeline",
        DS + "pipelines: [hog_svn]\n",
        ["unknown pipeline 'hog_svn'", "did you mean 'hog_svm'"],
    ),
    (
        "unknown-source",
        "dataset: {source: digit}\npipelines: [raw_svm]\n",
        ["unknown source 'digit'", "did you mean 'digits'"],
    ),
    (
        "duplicate-pipelines",
        DS + "pipelines: [raw_svm, raw_svm]\n",
        ["pipelines[1]: duplicate pipeline 'raw_svm'"],
    ),
    (
        "absurd-image-size",
        "dataset: {source: folder, path: x, image_size: 1000000000}\npipelines: [raw_svm]\n",
        ["dataset.image_size: each side must be 4..4096 pixels, got 1000000000"],
    ),
    (
        "absurd-scenes-size",
        "dataset: {source: scenes, size: 1000000000}\npipelines: [raw_svm]\n",
        ["scene size must be in 8..512, got 1000000000"],
    ),
    (
        "absurd-scenes-count",
        "dataset: {source: scenes, n_per_class: 100000, size: 512}\npipelines: [raw_svm]\n",
        ["400000 scenes of 512x512 RGB would take 1,171.9 GiB"],
    ),
    (
        "absurd-channels",
        cnn("{channels: [1000000000]}"),
        ["params.channels[0]: must be 1..4096, got 1000000000"],
    ),
    (
        "absurd-cnn-hidden",
        cnn("{hidden: 1000000000}"),
        ["params.hidden: must be 0..65536, got 1000000000"],
    ),
    (
        "absurd-kernel",
        cnn("{kernel_size: 1000000000}"),
        ["params.kernel_size: must be 1..64, got 1000000000"],
    ),
    (
        "absurd-epochs",
        cnn("{epochs: 1000000000}"),
        ["params.epochs: must be 1..10000, got 1000000000"],
    ),
    (
        "absurd-mlp-hidden",
        DS + "pipelines:\n  - name: mlp\n    params: {hidden: [1000000000]}\n",
        ["params.hidden[0]: must be 1..65536, got 1000000000"],
    ),
    (
        "absurd-orientations",
        DS + "pipelines:\n  - name: hog_svm\n    params: {hog: {orientations: 1000000000}}\n",
        ["params.hog.orientations: must be 1..180, got 1000000000"],
    ),
    ("shift-not-a-number", cnn("{shift: abc}"), ["params.shift: expected an integer"]),
    ("padding-not-a-number", cnn("{padding: abc}"), ["params.padding: expected an integer"]),
    (
        "seeds-empty",
        "seeds: []\n" + DS + "pipelines: [raw_svm]\n",
        ["seeds: the list is empty"],
    ),
    (
        "train-size-zero",
        "train_sizes: [0]\n" + DS + "pipelines: [raw_svm]\n",
        ["train_sizes[0]: 0 is neither a count"],
    ),
]


@pytest.mark.parametrize(("text", "fragments"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_config_rejected(tmp_path: Path, text: str, fragments: list[str]):
    config = write_config(tmp_path / "bad.yaml", text)
    out = tmp_path / "runs"
    result = invoke("run", config, "--out", out)
    assert_one_line_error(result, out, *fragments)


def test_binary_config_file(tmp_path: Path):
    config = tmp_path / "bad.yaml"
    config.write_bytes(b"\xff\xfe\x00bad")
    assert_one_line_error(invoke("run", config), None, "cannot read config", "utf-8")


def test_config_is_a_directory(tmp_path: Path):
    assert_one_line_error(invoke("run", tmp_path), None, "is a directory, not a config file")


def test_cnn_that_shrinks_images_to_nothing_is_refused_before_any_fit(tmp_path: Path):
    config = write_config(
        tmp_path / "deep.yaml",
        {
            "dataset": TINY,
            "pipelines": [
                "raw_svm",
                {"name": "cnn", "params": {"channels": [4] * 5, "kernel_size": 5, "padding": 0}},
            ],
        },
    )
    out = tmp_path / "runs"
    result = invoke("run", config, "--out", out)
    assert_one_line_error(result, out, "pipelines[1] (cnn)", "shrink 8x8 images to nothing")
