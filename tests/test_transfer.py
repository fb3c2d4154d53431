"""Learned elsewhere: networks kept as files, frozen backbones, fine-tuning from saved weights."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import clone
from torch import nn
from typer.testing import CliRunner

from featcmp.cli import app
from featcmp.errors import ConfigError
from featcmp.families import ELSEWHERE, TUNED
from featcmp.models.backbone import open_backbone
from featcmp.models.nets import CNNClassifier
from featcmp.models.saved import load_network, load_payload
from featcmp.models.transfer import TransferFeatures
from featcmp.pipelines import build_pipeline
from featcmp.records import read_record
from featcmp.run.cost import estimate_job
from featcmp.run.jobs import load_jobs
from featcmp.run.sweep import run_jobs
from tests.helpers import TINY_NET, pattern_images, save_tiny_network

runner = CliRunner()


def bars(rgb: bool = False, n_classes: int = 4, seed: int = 2) -> tuple[np.ndarray, np.ndarray]:
    X, y = pattern_images(10, size=16, n_classes=n_classes, seed=seed, rgb=rgb)
    return X / np.float32(255), y


def export(module: nn.Module, path: Path, shape=(1, 16, 16)) -> Path:
    """`module` as a torch.export file, any batch size (what a user brings as `file:`)."""
    module = module.eval()
    batch = torch.export.Dim("batch", min=1, max=4096)
    program = torch.export.export(module, (torch.rand(2, *shape),), dynamic_shapes=({0: batch},))
    torch.export.save(program, path)
    return path


class Vector(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3, padding=1)
        self.dense = nn.Linear(3 * 8 * 8, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dense(torch.flatten(nn.functional.max_pool2d(self.conv(x).relu(), 2), 1))


def transfer_config(tmp_path: Path, backbone: dict, name: str = "t") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        json.dumps(
            {
                "name": name,
                "dataset": {"source": "digits", "max_train": 60, "max_test": 30},
                "pipelines": [{"name": "transfer_svm", "params": {"backbone": backbone}}],
            }
        )
    )
    return path


# --- a network kept as a file -----------------------------------------------------------------


def test_a_saved_network_round_trips_with_equal_predictions(tmp_path):
    X, y = bars()
    net = CNNClassifier(**TINY_NET).fit(X, y)
    from featcmp.models.network_file import save_network
    from featcmp.models.saved import network_payload

    path = tmp_path / "net.model.pt"
    save_network(path, network_payload(net, ["a", "b", "c", "d"], "fp", {"name": "x"}))
    raw = torch.load(path, weights_only=True)  # tensors and plain data only: no code runs
    assert raw["class_names"] == ["a", "b", "c", "d"] and raw["fingerprint"] == "fp"
    assert raw["params"]["channels"] == [4, 8] and raw["config"] == {"name": "x"}
    again = load_network(path)
    np.testing.assert_array_equal(again.predict(X), net.predict(X))
    np.testing.assert_allclose(again.predict_proba(X), net.predict_proba(X), rtol=0, atol=1e-6)


def test_a_pickled_object_is_not_a_featcmp_network(tmp_path):
    path = tmp_path / "module.pt"
    torch.save(nn.Linear(2, 2), path)  # a whole module: unpickling it would run code
    with pytest.raises(ConfigError, match="not a featcmp network"):
        load_payload(path)


def test_save_model_writes_the_network_beside_its_record(tmp_path, write_config):
    cfg = write_config(
        {
            "name": "keep",
            "dataset": {"source": "digits", "max_train": 80, "max_test": 40},
            "pipelines": [{"name": "cnn", "params": {**TINY_NET, "epochs": 1}, "save_model": True}],
        }
    )
    jobs = load_jobs([cfg])
    run_jobs(jobs, tmp_path / "runs")
    model = jobs[0].model_path(tmp_path / "runs")
    assert model.is_file() and model.parent == jobs[0].record_path(tmp_path / "runs").parent
    stored = read_record(jobs[0].record_path(tmp_path / "runs"))
    assert stored.model_file == str(model)
    from featcmp.data.loader import load_dataset

    data = load_dataset(jobs[0].config.dataset, 0)
    net = load_network(model)
    assert net.predict(data.X_test).tolist() == stored.predictions
    assert load_payload(model)["fingerprint"] == data.fingerprint


def test_one_save_model_path_for_several_jobs_is_refused(write_config):
    cfg = write_config(
        {
            "seeds": [0, 1],
            "dataset": {"source": "digits"},
            "pipelines": [{"name": "cnn", "save_model": "net.pt"}],
        }
    )
    with pytest.raises(ConfigError, match=r"2 jobs .* would write net\.pt"):
        load_jobs([cfg])


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("folder", r"is a folder; name the file"),
        ("file/net.pt", r"file\.txt is a file, so .* cannot be written"),
        ("file/deeper/net.pt", r"file\.txt is a file"),
    ],
)
def test_a_save_model_path_that_cannot_be_written_is_refused_before_training(
    tmp_path, write_config, where, message
):
    (tmp_path / "folder").mkdir()
    (tmp_path / "file.txt").write_text("not a folder")
    target = tmp_path / where.replace("file/", "file.txt/")
    cfg = write_config(
        {
            "dataset": {"source": "digits"},
            "pipelines": [{"name": "cnn", "params": TINY_NET, "save_model": str(target)}],
        }
    )
    result = runner.invoke(app, ["run", str(cfg), "--out", str(tmp_path / "runs")])
    assert result.exit_code == 2
    assert re.search(message, result.output) and "Traceback" not in result.output
    assert not (tmp_path / "runs").exists()


def test_save_model_on_a_pipeline_without_a_network_is_refused(write_config):
    cfg = write_config({"pipelines": [{"name": "hog_svm", "save_model": True}]})
    with pytest.raises(ConfigError, match="save_model: hog_svm trains no network"):
        load_jobs([cfg])


# --- frozen backbones -------------------------------------------------------------------------


def test_an_exported_module_gives_exactly_its_own_output_as_features(tmp_path):
    torch.manual_seed(0)
    module = Vector()
    path = export(module, tmp_path / "vector.pt2")
    X, _ = bars()
    features = TransferFeatures(file=str(path)).fit(X).transform(X)
    with torch.no_grad():
        own = module.eval()(torch.from_numpy(X[:, None]))
    np.testing.assert_array_equal(features, own.numpy())


def test_an_export_for_one_image_at_a_time_serves_too(tmp_path):
    torch.manual_seed(0)
    module = Vector().eval()
    program = torch.export.export(module, (torch.rand(1, 1, 16, 16),))  # batch fixed at 1
    torch.export.save(program, tmp_path / "one.pt2")
    X, _ = bars()
    features = TransferFeatures(file=str(tmp_path / "one.pt2")).fit(X).transform(X)
    with torch.no_grad():
        np.testing.assert_allclose(features, module(torch.from_numpy(X[:, None])).numpy(),
                                   rtol=0, atol=1e-6)  # fmt: skip


def test_a_map_output_is_averaged_over_its_positions(tmp_path):
    torch.manual_seed(0)
    module = nn.Sequential(nn.Conv2d(1, 6, 3), nn.ReLU())
    path = export(module, tmp_path / "map.pt2")
    X, _ = bars()
    features = TransferFeatures(file=str(path)).fit(X).transform(X)
    with torch.no_grad():
        own = module.eval()(torch.from_numpy(X[:, None])).mean(dim=(2, 3))
    np.testing.assert_allclose(features, own.numpy(), rtol=0, atol=1e-6)


def test_inputs_are_fitted_to_the_backbone(tmp_path):
    torch.manual_seed(0)
    path = export(nn.Sequential(nn.Conv2d(3, 2, 1), nn.Flatten()), tmp_path / "rgb.pt2", (3, 8, 8))
    step = TransferFeatures(file=str(path), mean=[0.5, 0.5, 0.5], std=[0.25, 0.25, 0.25])
    chosen = step.choices((16, 16))
    assert chosen["channels"] == "gray repeated to 3 channels"
    assert chosen["resize"] == "16x16 -> 8x8" and chosen["input_size"] == [8, 8]
    X, _ = bars()
    assert step.fit(X).transform(X).shape == (len(X), 2 * 8 * 8)


def test_the_backbone_does_not_change_during_fit(tmp_path):
    torch.manual_seed(0)
    path = export(
        nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU()), tmp_path / "b.pt2"
    )
    X, y = bars()
    for backbone in ({"file": str(path)}, {"model": str(save_tiny_network(tmp_path / "n.pt"))}):
        opened = open_backbone(backbone.get("model"), backbone.get("file"))
        before = {k: v.clone() for k, v in opened.parameters.items()}
        pipe = build_pipeline("transfer_svm", {"backbone": backbone}).fit(X, y)
        pipe.predict(X)
        after = pipe.named_steps["backbone"].backbone_.parameters
        assert before.keys() == after.keys() and before
        assert all(torch.equal(before[k], after[k]) for k in before)


def test_export_of_a_saved_network_gives_its_features(tmp_path):
    model = save_tiny_network(tmp_path / "n.model.pt")
    out = tmp_path / "n.pt2"
    result = runner.invoke(app, ["export", str(model), "--out", str(out)])
    assert result.exit_code == 0, result.output
    X, _ = bars(rgb=True)  # colour to a gray network: averaged, the same way for both
    a = TransferFeatures(model=str(model)).fit(X).transform(X)
    b = TransferFeatures(file=str(out)).fit(X).transform(X)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)


def test_a_transfer_run_records_its_family_and_the_input_fit(tmp_path):
    model = save_tiny_network(tmp_path / "n.model.pt")
    jobs = load_jobs([transfer_config(tmp_path, {"model": str(model)})])
    (record,) = run_jobs(jobs, tmp_path / "runs")
    assert record.status == "ok" and record.family == ELSEWHERE
    assert record.chosen["pipeline"]["backbone"]["resize"] == "8x8 -> 16x16"
    assert record.feature_dim == 8 * 4 * 4  # the pooled maps of the tiny cnn
    estimate = estimate_job(jobs[0].built.pipe, 60, 30, np.zeros((2, 8, 8), np.float32), 10)
    assert estimate.fit_s > 0 and estimate.feature_dim == 8 * 4 * 4


def test_a_new_backbone_file_is_a_new_job(tmp_path):
    model = tmp_path / "n.model.pt"
    save_tiny_network(model)
    config = transfer_config(tmp_path, {"model": str(model)})
    first = load_jobs([config])[0].id
    save_tiny_network(model, seed=5)  # retrained at the same path
    assert load_jobs([config])[0].id != first


class ThreeD(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(2)  # (N, C, H * W): neither a vector nor a map


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "absent.pt2", "no such file"),
        (lambda d: (d / "notes.pt2").write_text("not a network") and d / "notes.pt2",
         "not a torch export"),
        (lambda d: export(ThreeD(), d / "three.pt2"), "neither a vector (N, D) nor a map"),
    ],
    ids=["missing", "not-an-export", "wrong-rank"],
)  # fmt: skip
def test_a_bad_backbone_is_one_line_and_exit_2_before_any_work(tmp_path, make, message):
    path = make(tmp_path)
    out = tmp_path / "runs"
    config = transfer_config(tmp_path, {"file": str(path)})
    result = runner.invoke(app, ["run", str(config), "--out", str(out)])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert "Traceback" not in result.output and not any(out.rglob("*.json"))


def test_a_featcmp_network_where_an_export_is_expected_is_refused(tmp_path):
    model = save_tiny_network(tmp_path / "n.model.pt")
    with pytest.raises(ConfigError, match="not a torch export"):
        TransferFeatures(file=str(model)).fit(bars()[0])
    with pytest.raises(ConfigError, match="not a featcmp network"):
        TransferFeatures(model=str(export(Vector(), tmp_path / "v.pt2"))).fit(bars()[0])


# --- fine-tuning ------------------------------------------------------------------------------


def first_conv(net: CNNClassifier) -> torch.Tensor:
    return next(m for m in net.module_.modules() if isinstance(m, nn.Conv2d)).weight.detach()


def test_init_from_starts_from_the_saved_weights(tmp_path):
    model = save_tiny_network(tmp_path / "n.model.pt")
    saved = load_network(model)
    X, y = bars(seed=3)
    # A learning rate of 1e-12: the kernels after one epoch are the kernels it started from.
    still = dict(TINY_NET, epochs=1, lr=1e-12, augment=False)
    tuned = CNNClassifier(**still, init_from=str(model)).fit(X, y)
    scratch = CNNClassifier(**still).fit(X, y)
    torch.testing.assert_close(first_conv(tuned), first_conv(saved), rtol=0, atol=1e-9)
    assert not torch.allclose(first_conv(scratch), first_conv(saved))


def test_init_from_gets_a_new_output_layer_for_other_classes(tmp_path):
    model = save_tiny_network(tmp_path / "n.model.pt", n_classes=4)
    X, y = bars(n_classes=2)
    net = CNNClassifier(**TINY_NET, init_from=str(model)).fit(X, y)
    assert net.new_head_ and net.predict_proba(X).shape == (len(X), 2)
    same_count = CNNClassifier(**TINY_NET, init_from=str(model))
    same_count.class_names_hint = ["w", "x", "y", "z"]  # four classes, but other ones
    assert same_count.fit(*bars()).new_head_
    kept = CNNClassifier(**TINY_NET, init_from=str(model))
    kept.class_names_hint = ["bar0", "bar1", "bar2", "bar3"]  # the saved classes
    assert not kept.fit(*bars()).new_head_
    assert not clone(kept).fit(*bars()).new_head_  # as a `select:` search clones it


def test_a_fine_tuned_network_under_select_keeps_the_saved_output_layer(tmp_path, write_config):
    model = save_tiny_network(
        tmp_path / "n.model.pt", n_classes=10, class_names=[str(d) for d in range(10)]
    )
    params = {**TINY_NET, "epochs": 1, "init_from": str(model)}
    cfg = write_config(
        {
            "dataset": {"source": "digits", "max_train": 60, "max_test": 30},
            "pipelines": [
                {
                    "name": "cnn",
                    "params": params,
                    "select": {"grid": {"lr": [0.01, 0.001]}, "validation": 0.25},
                }
            ],
        }
    )
    (record,) = run_jobs(load_jobs([cfg]), tmp_path / "runs")
    assert record.status == "ok", record.error
    assert record.chosen["pipeline"]["cnn"]["output_layer"] == "kept"


def test_init_from_needs_the_same_architecture(tmp_path):
    model = save_tiny_network(tmp_path / "n.model.pt")
    net = CNNClassifier(**{**TINY_NET, "channels": [4, 16]}, init_from=str(model))
    with pytest.raises(ConfigError, match=r"has channels \[4, 8\], this config \[4, 16\]"):
        net.check_geometry((16, 16))


def test_a_fine_tuned_run_is_learned_elsewhere_then_tuned(tmp_path, write_config):
    model = save_tiny_network(tmp_path / "n.model.pt")
    params = {**TINY_NET, "epochs": 1, "init_from": str(model)}
    cfg = write_config(
        {
            "dataset": {"source": "digits", "max_train": 60, "max_test": 30},
            "pipelines": [{"name": "cnn", "params": params}],
        }
    )
    (record,) = run_jobs(load_jobs([cfg]), tmp_path / "runs")
    assert record.status == "ok" and record.family == TUNED
    cnn = record.chosen["pipeline"]["cnn"]
    assert cnn["output_layer"] == "new (other classes)" and cnn["resize"] == "8x8 -> 16x16"


def test_explain_says_what_is_frozen_and_what_is_learned(tmp_path):
    model = save_tiny_network(tmp_path / "n.model.pt")
    result = runner.invoke(app, ["explain", str(transfer_config(tmp_path, {"model": str(model)}))])
    assert result.exit_code == 0, result.output
    assert "frozen backbone" in result.output and "the scaler and the SVM only" in result.output


def test_cached_features_follow_the_backbone_file_not_its_name(tmp_path):
    from featcmp.run.cache import feature_key

    model = save_tiny_network(tmp_path / "n.model.pt")
    X, _ = bars()
    step = TransferFeatures(model=str(model))
    before = feature_key(step, X)
    assert feature_key(step, X) == before
    save_tiny_network(model, seed=5)  # retrained at the same path
    assert feature_key(step, X) != before


def test_a_saved_network_whose_weights_do_not_fit_is_one_line(tmp_path):
    model = save_tiny_network(tmp_path / "n.model.pt")
    payload = torch.load(model, weights_only=True)
    payload["params"]["channels"] = [4, 16]  # edited: the weights no longer fit
    torch.save(payload, model)
    with pytest.raises(ConfigError, match="the saved network does not rebuild"):
        load_network(model)


def test_dry_run_says_where_a_network_is_kept(tmp_path, write_config):
    cfg = write_config(
        {"dataset": {"source": "digits"}, "pipelines": [{"name": "cnn", "save_model": "k.pt"}]}
    )
    result = runner.invoke(app, ["run", str(cfg), "--out", str(tmp_path / "o"), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "keeps its network in k.pt" in result.output and not (tmp_path / "o").exists()
