"""Configs: YAML into typed objects, defaults, `--set` overrides, strict errors with key paths."""

from __future__ import annotations

import pytest

from featcmp.config import Config, DatasetConfig, PipelineConfig
from featcmp.errors import ConfigError
from featcmp.run.jobs import load_config
from tests.helpers import ROOT

SHIPPED = sorted((ROOT / "configs").glob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_configs_load(path):
    cfg = load_config(path)
    assert isinstance(cfg, Config)
    assert cfg.name == path.stem
    assert cfg.pipelines


def test_compare_runs_all_five_pipelines():
    cfg = load_config(ROOT / "configs" / "compare.yaml")
    assert [p.name for p in cfg.pipelines] == ["raw_svm", "edges_svm", "hog_svm", "cnn", "mlp"]


def test_defaults(write_config):
    cfg = load_config(write_config("pipelines: [raw_svm]\n", name="mini"))
    assert cfg.name == "mini"  # the file name, when the config has no name
    assert cfg.seed == 0 and cfg.seeds is None and cfg.train_sizes is None
    assert cfg.dataset == DatasetConfig(source="digits", path=None, test_size=0.25)
    assert cfg.pipelines == [PipelineConfig(name="raw_svm", params={})]


def test_bare_names_and_mappings(write_config):
    text = """
name: mixed
dataset: {source: faces, test_size: 0.5, max_train: 40}
pipelines:
  - raw_svm
  - name: hog_svm
    params: {hog: {pixels_per_cell: [5, 5]}, svm: {C: 3}}
  - {name: hog_svm, label: hog_big, params: {hog: {pixels_per_cell: [8, 8]}}}
"""
    cfg = load_config(write_config(text))
    assert [p.row for p in cfg.pipelines] == ["raw_svm", "hog_svm", "hog_big"]
    assert cfg.pipelines[1].params == {"hog": {"pixels_per_cell": [5, 5]}, "svm": {"C": 3}}
    assert cfg.dataset.source == "faces" and cfg.dataset.max_train == 40
    assert cfg.as_dict()["pipelines"][2] == {
        "name": "hog_svm",
        "params": {"hog": {"pixels_per_cell": [8, 8]}},
        "label": "hog_big",
    }


def test_source_options_sit_beside_source(write_config, tmp_path):
    text = f"dataset: {{source: folder, path: {tmp_path}, color: rgb, image_size: [20, 30]}}\n"
    cfg = load_config(write_config(text + "pipelines: [raw_svm]\n"))
    assert cfg.dataset.options == {"color": "rgb", "image_size": [20, 30]}
    assert cfg.dataset.as_dict()["color"] == "rgb"


def test_set_overrides(write_config):
    path = write_config(
        "name: o\ndataset: {source: digits}\n"
        "pipelines:\n  - name: hog_svm\n    params: {svm: {C: 10}}\n  - raw_svm\n"
    )
    cfg = load_config(
        path,
        [
            "seed=3",
            "dataset.source=faces",
            "pipelines.hog_svm.params.svm.C=100",
            "pipelines.raw_svm.params.svm.kernel=linear",
            "dataset.max_train=20",
        ],
    )
    assert cfg.seed == 3
    assert cfg.dataset.source == "faces" and cfg.dataset.max_train == 20
    assert cfg.pipelines[0].params["svm"]["C"] == 100
    assert cfg.pipelines[1].params == {"svm": {"kernel": "linear"}}
    # The file itself is untouched.
    assert load_config(path).seed == 0


def test_set_values_are_yaml(write_config):
    path = write_config("pipelines: [hog_svm]\n")
    cfg = load_config(path, ["pipelines.hog_svm.params.hog.pixels_per_cell=[2, 2]", "seeds=[1,2]"])
    assert cfg.pipelines[0].params["hog"]["pixels_per_cell"] == [2, 2]
    assert cfg.seeds == [1, 2]


@pytest.mark.parametrize(
    ("text", "overrides", "expected"),
    [
        ("pipelnes: [raw_svm]\n", [], "unknown key 'pipelnes' (did you mean 'pipelines'?)"),
        (
            "dataset: {sourc: digits}\npipelines: [raw_svm]\n",
            [],
            "unknown key 'dataset.sourc' (did you mean 'source'?)",
        ),
        (
            "pipelines: [{name: hog_svm, params: {hog: {orientatons: 9}}}]\n",
            [],
            "unknown key 'pipelines[0].params.hog.orientatons' (did you mean 'orientations'?)",
        ),
        (
            "pipelines: [raw_svm, {name: cnn, parms: {}}]\n",
            [],
            "unknown key 'pipelines[1].parms' (did you mean 'params'?)",
        ),
        ("seed: three\npipelines: [raw_svm]\n", [], "seed: expected an integer, got a string"),
        ("pipelines: raw_svm\n", [], "pipelines: expected a list, got a string"),
        (
            "dataset: {test_size: high}\npipelines: [raw_svm]\n",
            [],
            "dataset.test_size: expected a number",
        ),
        ("dataset: {test_size: 1.5}\npipelines: [raw_svm]\n", [], "dataset.test_size: must be"),
        ("dataset: {max_train: 0}\npipelines: [raw_svm]\n", [], "dataset.max_train: must be"),
        (
            "dataset: {source: digts}\npipelines: [raw_svm]\n",
            [],
            "unknown source 'digts' (did you mean 'digits'?)",
        ),
        ("pipelines: [hog_svn]\n", [], "unknown pipeline 'hog_svn' (did you mean 'hog_svm'?)"),
        ("pipelines: []\n", [], "pipelines: the list is empty"),
        ("name: x\n", [], "missing key 'pipelines'"),
        ("pipelines: [raw_svm, raw_svm]\n", [], "duplicate pipeline 'raw_svm'"),
        ("name: ../up\npipelines: [raw_svm]\n", [], "name: '../up' is not a valid name"),
        ("- raw_svm\n", [], "expected a mapping at the top level"),
        ("pipelines: [raw_svm]\n", ["seed"], "expected KEY=VALUE"),
        ("pipelines: [raw_svm]\n", ["seed=x"], "seed: expected an integer"),
        ("pipelines: [raw_svm]\n", ["pipelines.hog_sv.params.svm.C=1"], "no pipeline named"),
        ("pipelines: [raw_svm]\n", ["dataset.colour=rgb"], "unknown key 'dataset.colour'"),
        (
            "dataset: {source: scenes, n_per_class: many}\npipelines: [raw_svm]\n",
            [],
            "dataset.n_per_class: expected an integer",
        ),
        (
            "dataset: {source: folder, path: x, color: blue}\npipelines: [raw_svm]\n",
            [],
            "dataset.color: must be 'auto', 'gray' or 'rgb'",
        ),
    ],
)
def test_errors_name_the_key(write_config, text, overrides, expected):
    path = write_config(text, name="bad")
    with pytest.raises(ConfigError) as info:
        load_config(path, overrides)
    message = str(info.value)
    # The file names the origin, or the --set option for a malformed override.
    assert message.startswith(f"{path}: ") or (overrides and message.startswith("--set "))
    assert expected in message
    assert "\n" not in message


def test_invalid_yaml_names_file_and_line(write_config):
    path = write_config("name: a\npipelines: [raw_svm\n")
    with pytest.raises(ConfigError, match=r"invalid YAML at line 3"):
        load_config(path)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
