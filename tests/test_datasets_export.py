"""`featcmp datasets show/export`: a montage a person can look at, and a lossless PNG export."""

from __future__ import annotations

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from featcmp.cli import app
from featcmp.config import DatasetConfig
from featcmp.data.export import all_images
from featcmp.data.loader import load_dataset
from featcmp.run.jobs import parse_dataset

runner = CliRunner()


def test_montage_is_written_and_not_blank(tmp_path):
    out = tmp_path / "m.png"
    result = runner.invoke(
        app, ["datasets", "show", "scenes", "--out", str(out), "--set", "n_per_class=6"]
    )
    assert result.exit_code == 0, result.output
    img = np.asarray(Image.open(out).convert("RGB"), dtype=float)
    assert img.shape[0] > 200 and img.shape[1] > 400
    assert img.std() > 20  # real pictures, not a blank canvas
    assert not list(tmp_path.glob(".*.tmp"))


def test_montage_of_a_config_dataset(tmp_path):
    out = tmp_path / "digits.png"
    result = runner.invoke(app, ["datasets", "show", "configs/hog.yaml", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 1000


def test_export_then_folder_source_gives_back_the_same_images(tmp_path):
    spec = parse_dataset({"source": "scenes", "n_per_class": 10, "size": 16})
    result = runner.invoke(
        app,
        [
            "datasets",
            "export",
            "scenes",
            str(tmp_path / "out"),
            "--set",
            "n_per_class=10",
            "--set",
            "size=16",
        ],
    )
    assert result.exit_code == 0, result.output
    X, y = all_images(load_dataset(spec, seed=0))
    names = load_dataset(spec, seed=0).class_names
    back = load_dataset(
        DatasetConfig(source="folder", path=str(tmp_path / "out"), options={"color": "rgb"}), seed=0
    )
    Xb, yb = all_images(back)
    # The folder source sorts class folders by name; compare by name and by file order.
    assert sorted(back.class_names) == sorted(names)
    files = sorted((tmp_path / "out").rglob("*.png"))
    assert len(files) == len(X)
    for f in files:
        i = int(f.stem)
        img = np.asarray(Image.open(f), dtype=np.float32) / 255
        assert names[y[i]] == f.parent.name
        np.testing.assert_array_equal(img, X[i])  # scenes sit on the 1/255 grid: exact
    assert sorted(map(tuple, Xb.reshape(len(Xb), -1)[:, :8].tolist())) == sorted(
        map(tuple, X.reshape(len(X), -1)[:, :8].tolist())
    )
    assert sorted(back.class_names[k] for k in yb) == sorted(names[k] for k in y)


def test_export_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "x.txt").write_text("keep me")
    result = runner.invoke(app, ["datasets", "export", "digits", str(tmp_path)])
    assert result.exit_code == 2
    assert "not empty" in result.output
    assert (tmp_path / "x.txt").read_text() == "keep me"
