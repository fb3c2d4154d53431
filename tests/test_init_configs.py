"""`featcmp init` writes configs that load and run; bundled configs resolve by bare name."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from featcmp.config.load import bundled_configs, read_config, resolve_config_path
from featcmp.errors import ConfigError
from featcmp.records import load_records
from featcmp.run.jobs import load_config
from tests.robustness_helpers import ROOT, assert_one_line_error, invoke

rng = np.random.default_rng(0)


def images(folder: Path, n: int, size: tuple[int, int], rgb: bool, shade: int) -> None:
    """`n` PNGs of a class: noise around a class-specific shade, so classes are separable."""
    folder.mkdir(parents=True, exist_ok=True)
    h, w = size
    for i in range(n):
        base = np.full((h, w, 3) if rgb else (h, w), shade, dtype=np.int16)
        if rgb:
            base[..., 0] = 255 - shade  # red and blue differ: real colour
        pixels = np.clip(base + rng.integers(-20, 21, base.shape), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"{i}.png")


def init(tmp_path: Path, *args: str) -> tuple[Path, dict]:
    out = tmp_path / "mine.yaml"
    result = invoke("init", *args, "--out", out)
    assert result.exit_code == 0, result.output
    return out, yaml.safe_load(out.read_text(encoding="utf-8"))


def test_init_on_gray_class_folders(tmp_path: Path):
    for k, name in enumerate(["cat", "dog"]):
        images(tmp_path / "photos" / name, 6 + k, (20, 20), rgb=False, shade=60 + 120 * k)
    out, raw = init(tmp_path, str(tmp_path / "photos"))
    text = out.read_text(encoding="utf-8")
    assert raw["dataset"]["source"] == "folder" and raw["dataset"]["color"] == "gray"
    assert raw["dataset"]["path"] == str((tmp_path / "photos").resolve())
    assert "cat 6, dog 7" in text and "20x20" in text and "Layout: classes" in text
    cfg = load_config(out)  # names, types and values checked against the registries
    assert [p.name for p in cfg.pipelines] == [
        "raw_svm",
        "hog_svm",
        "sift_bovw_svm",
        "scattering_svm",
        "cnn",
        "mlp",
    ]


def test_init_on_rgb_mixed_sizes(tmp_path: Path):
    images(tmp_path / "p" / "a", 5, (40, 60), rgb=True, shade=40)
    images(tmp_path / "p" / "b", 5, (50, 50), rgb=True, shade=200)
    out, raw = init(tmp_path, str(tmp_path / "p"))
    assert raw["dataset"]["color"] == "rgb"
    assert "centre-cropped to 48x48" in out.read_text(encoding="utf-8")
    load_config(out)


def test_init_on_train_val_folders(tmp_path: Path):
    for split, n in (("train", 6), ("val", 3)):
        for k, name in enumerate(["x", "y"]):
            images(tmp_path / "tv" / split / name, n, (16, 16), rgb=False, shade=50 + 150 * k)
    out, raw = init(tmp_path, str(tmp_path / "tv"))
    text = out.read_text(encoding="utf-8")
    assert "Layout: train/val" in text and "Held out (val/): x 3, y 3" in text
    assert "test_size" not in raw["dataset"]
    load_config(out)


def test_init_config_runs_end_to_end(tmp_path: Path):
    for k, name in enumerate(["dark", "light"]):
        images(tmp_path / "tiny" / name, 12, (16, 16), rgb=True, shade=30 + 190 * k)
    out, _ = init(tmp_path, str(tmp_path / "tiny"))
    runs = tmp_path / "runs"
    small = ["--set", "pipelines.cnn.params.epochs=1", "--set", "pipelines.mlp.params.epochs=1"]
    result = invoke("run", out, "--out", runs, "-q", *small)
    assert result.exit_code == 0, result.output
    records = {r.pipeline: r for r in load_records(runs)}
    # 18 training images of 16x16 give too few SIFT descriptors for its vocabulary: left out.
    assert set(records) == {"raw_svm", "hog_svm", "scattering_svm", "cnn", "mlp"}
    assert all(r.status == "ok" for r in records.values())
    assert records["raw_svm"].accuracy == 1.0  # two shades apart: trivially separable


def test_init_scenes_without_a_folder_loads(tmp_path: Path):
    out, raw = init(tmp_path)
    assert raw["dataset"]["source"] == "scenes"
    assert str(out) in out.read_text(encoding="utf-8")  # the run line names the file written
    load_config(out)


def test_init_refuses_to_overwrite_unless_forced(tmp_path: Path):
    out = tmp_path / "mine.yaml"
    out.write_text("keep me\n", encoding="utf-8")
    result = invoke("init", "--out", out)
    assert_one_line_error(result, None, "already exists", "--force")
    assert out.read_text(encoding="utf-8") == "keep me\n"
    assert invoke("init", "--out", out, "--force").exit_code == 0
    assert "source: scenes" in out.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["mine.yaml"]  # no temporary file left


def test_init_on_a_bad_folder_is_one_line(tmp_path: Path):
    (tmp_path / "flat").mkdir()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "flat" / "a.png")
    result = invoke("init", tmp_path / "flat", "--out", tmp_path / "x.yaml")
    assert_one_line_error(result, None, "no class sub-folders")
    assert not (tmp_path / "x.yaml").exists()


# --- bundled configs --------------------------------------------------------------------------


def test_bundled_configs_are_the_repository_configs():
    bundled = bundled_configs()
    assert bundled["compare"] == ROOT / "configs" / "compare.yaml"
    assert set(bundled) == {p.stem for p in (ROOT / "configs").glob("*.yaml")}


def test_a_bare_name_is_the_bundled_config_even_beside_a_local_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("compare").write_text("name: local\n", encoding="utf-8")
    Path("compare.yaml").write_text(
        "name: local\ndataset: {source: digits}\npipelines: [raw_svm]\n", encoding="utf-8"
    )
    assert read_config("compare").name == "compare"  # bare: bundled
    assert read_config("compare.yaml").name == "local"  # a file name: the path
    assert read_config(f".{os.sep}compare.yaml").name == "local"
    assert resolve_config_path("sub/compare") == Path("sub/compare")


def test_a_bundled_folder_and_name_is_the_bundled_config_in_that_folder():
    # transfer.yaml's step 1: what an installed featcmp runs before `featcmp run transfer`.
    source = ROOT / "configs" / "transfer" / "cifar10-source.yaml"
    assert resolve_config_path("transfer/cifar10-source") == source
    assert resolve_config_path("transfer/cifar10-source.yaml") == Path(
        "transfer/cifar10-source.yaml"
    )  # a file name: the path
    with pytest.raises(ConfigError, match=r"transfer/mnst: no bundled.*mean 'transfer/mnist'"):
        resolve_config_path("transfer/mnst")


def test_an_unknown_name_suggests_the_closest():
    with pytest.raises(ConfigError, match=r"comapre: no bundled config.*did you mean 'compare'"):
        resolve_config_path("comapre")
    result = invoke("run", "comapre")
    assert_one_line_error(result, None, "did you mean 'compare'")


def test_configs_lists_names_and_first_comment_lines():
    result = invoke("configs")
    assert result.exit_code == 0, result.output
    lines = dict(line.split(None, 1) for line in result.stdout.strip().splitlines())
    assert set(lines) == set(bundled_configs())
    assert lines["compare"].startswith("The lecture's comparison")


def test_bundled_compare_runs_by_name_on_a_small_setting(tmp_path: Path):
    runs = tmp_path / "runs"
    small = ["--set", "dataset.n_per_class=10", "--set", "pipelines=[raw_svm]"]
    result = invoke("run", "compare", "--out", runs, "-q", *small)
    assert result.exit_code == 0, result.output
    assert [r.config_name for r in load_records(runs)] == ["compare"]


def test_a_description_is_the_first_sentence_of_the_opening_comment(tmp_path: Path):
    from featcmp.config.load import first_comment

    path = tmp_path / "c.yaml"
    path.write_text("# Data (Xiao et al. 2017): images. More\n# here.\nname: c\n", encoding="utf-8")
    assert first_comment(path) == "Data (Xiao et al. 2017): images."
    path.write_text("# " + "word " * 40 + "\nname: c\n", encoding="utf-8")
    assert first_comment(path).endswith("word...") and len(first_comment(path)) <= 100


def test_init_leaves_scattering_out_where_its_scales_do_not_fit() -> None:
    from featcmp.cli.config_commands import pipelines_yaml

    assert "scattering_svm" in pipelines_yaml((8, 8))
    assert "scattering_svm" not in pipelines_yaml((3, 8))  # 2**J = 4 px: more than 3 rows
