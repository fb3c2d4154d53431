"""How the folder source decodes its files (`data/decode.py`): every image mode to the same
values, transparent pixels white, a given size reached while decoding, each file decoded once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from featcmp.data import decode
from featcmp.data.folder import read_folder
from featcmp.records import load_records
from tests.robustness_helpers import invoke, noise_folder, save_png, write_config


def folder(tmp: Path, **extra) -> dict:
    return {"source": "folder", "path": str(tmp / "imgs"), **extra}


def folder_mixed_sizes(tmp: Path) -> dict:
    noise_folder(tmp / "imgs", {"car": 4}, size=(16, 16))
    noise_folder(tmp / "imgs", {"bus": 4}, size=(20, 24))
    return folder(tmp)


def test_mixed_sizes_load_once_resized(tmp_path: Path, monkeypatch):
    """16x16 and 20x24 photos under `image_size: [10, 12]`: every image comes out 10x12, and
    each file is decoded once in the whole run (the pre-check's load is the run's)."""
    decoded: list[Path] = []
    original = decode.decode_file

    def counting(path: Path, plan: decode.DecodePlan) -> np.ndarray:
        decoded.append(path)
        return original(path, plan)

    monkeypatch.setattr(decode, "decode_file", counting)
    spec = folder_mixed_sizes(tmp_path) | {"image_size": [10, 12]}
    config = write_config(tmp_path / "c.yaml", {"dataset": spec, "pipelines": ["raw_svm"]})
    out = tmp_path / "runs"
    result = invoke("run", config, "--out", out, "-q")
    assert result.exit_code == 0, result.output
    (record,) = load_records(out)
    assert record.dataset.image_shape[:2] == [10, 12]
    assert sorted(decoded) == sorted((tmp_path / "imgs").rglob("*.png"))  # each once


# -- mixed image modes: each converts to the same gray (or RGB) values ----------------------


def gray_ramp() -> np.ndarray:
    return (np.arange(64, dtype=np.uint8) * 4).reshape(8, 8)


def write_mode(path: Path, mode: str) -> None:
    g = gray_ramp()
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode == "L":
        save_png(path, g)
    elif mode == "RGB":
        save_png(path, np.dstack([g, g, g]))
    elif mode == "RGBA":
        save_png(path, np.dstack([g, g, g, np.full_like(g, 255)]))
    elif mode == "P":
        img = Image.fromarray(g, mode="L").convert("P")  # palette image of the 256 gray levels
        img.putpalette([v for i in range(256) for v in (i, i, i)])
        img.save(path)
    elif mode == "I;16":
        Image.fromarray(g.astype(np.uint16) * 257).save(path)  # full 16-bit range
    elif mode == "JPEG":
        Image.fromarray(np.dstack([g, g, g])).save(path.with_suffix(".jpg"), quality=100)


MODES = ["L", "RGB", "RGBA", "P", "I;16"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("color", ["gray", "rgb"])
def test_each_image_mode_reads_as_the_same_values(tmp_path: Path, mode: str, color: str):
    for cls in ("a", "b"):
        write_mode(tmp_path / cls / "img.png", mode)
    with Image.open(tmp_path / "a" / "img.png") as img:
        assert img.mode == mode
    images = read_folder(tmp_path, color, None, "fail")
    X, y, names = images.X, images.y, images.class_names
    expected = gray_ramp().astype(np.float32) / 255
    if color == "rgb":
        expected = np.repeat(expected[..., None], 3, axis=-1)
    assert X.shape == (2, *expected.shape) and X.dtype == np.float32
    np.testing.assert_allclose(X[0], expected, atol=1e-6)
    assert names == ["a", "b"] and y.tolist() == [0, 1]


def test_transparent_pixels_become_white(tmp_path: Path):
    g = gray_ramp()
    alpha = np.full_like(g, 255)
    alpha[0, :] = 0
    for cls in ("a", "b"):
        save_png(tmp_path / cls / "img.png", np.dstack([g, g, g, alpha]))
    X = read_folder(tmp_path, "gray", None, "fail").X
    assert np.all(X[0, 0] == 1.0)
    np.testing.assert_allclose(X[0, 1:], g[1:] / 255, atol=1e-6)


def test_mixed_modes_in_one_folder_run_end_to_end(tmp_path: Path):
    for cls in ("a", "b"):
        for i, mode in enumerate([*MODES, "JPEG"]):
            write_mode(tmp_path / "imgs" / cls / f"{i}.png", mode)
    config = write_config(
        tmp_path / "c.yaml", {"dataset": folder(tmp_path), "pipelines": ["raw_svm"]}
    )
    result = invoke("run", config, "--out", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr
