"""The feature cache key covers every featcmp module on an extractor's code path."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from featcmp.features.hog import HOGFeatures
from featcmp.run import cache as feature_cache
from featcmp.run.cache import PACKAGE_ROOT, code_closure, code_digest, imported_modules


def package_copy(tmp_path: Path) -> Path:
    root = tmp_path / "featcmp"
    shutil.copytree(PACKAGE_ROOT, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_hog_closure_holds_its_helpers_and_not_the_report():
    closure = code_closure("featcmp.features.hog")
    for helper in ("featcmp.features.hog_batch", "featcmp.features.hog_geometry"):
        assert helper in closure
    assert "featcmp.features.base" in closure  # the base class's module, and its package
    assert "featcmp.features" in closure
    assert not any(name.startswith("featcmp.report") for name in closure)


def test_editing_a_helper_the_extractor_imports_changes_the_key(tmp_path):
    root = package_copy(tmp_path)
    before = code_digest(["featcmp.features.hog"], root)
    helper = root / "features" / "hog_geometry.py"
    helper.write_text(helper.read_text() + "\n# an edit on HOG's code path\n")
    assert code_digest(["featcmp.features.hog"], root) != before


def test_editing_code_off_the_path_keeps_the_key(tmp_path):
    root = package_copy(tmp_path)
    before = code_digest(["featcmp.features.hog"], root)
    other = root / "report" / "html.py"
    other.write_text(other.read_text() + "\n# not on HOG's code path\n")
    assert code_digest(["featcmp.features.hog"], root) == before


def test_scattering_key_covers_our_transform_its_backend_and_kymatio(tmp_path):
    from featcmp.features.scattering import ScatteringFeatures

    # Our transform is on the path of the scattering extractor.
    assert "featcmp.features.scattering_torch" in code_closure("featcmp.features.scattering")
    root = package_copy(tmp_path)
    before = code_digest(["featcmp.features.scattering"], root)
    ours = root / "features" / "scattering_torch.py"
    ours.write_text(ours.read_text() + "\n# an edit to the batched transform\n")
    assert code_digest(["featcmp.features.scattering"], root) != before
    X = np.zeros((2, 16, 16), np.float32)
    keys = {
        feature_cache.feature_key(ScatteringFeatures(backend=b), X) for b in ("featcmp", "kymatio")
    }
    assert len(keys) == 2
    assert {"torch", "kymatio"} <= set(feature_cache.KEY_PACKAGES)  # the filters are Kymatio's


def test_lazy_and_relative_imports_count():
    source = (
        "import numpy\n"
        "from . import hog_batch\n"
        "from ..errors import ConfigError\n"
        "def f():\n"
        "    from featcmp.features.hog_geometry import cells\n"
    )
    found = imported_modules("featcmp.features.hog", source)
    assert {"featcmp.features.hog_batch", "featcmp.errors", "featcmp.features.hog_geometry"} <= (
        found
    )
    assert not any(name.startswith("numpy") for name in found)


def test_feature_key_follows_the_code_digest(monkeypatch):
    X = np.zeros((2, 16, 16), np.float32)
    hog = HOGFeatures(pixels_per_cell=(4, 4), cells_per_block=(2, 2))
    before = feature_cache.feature_key(hog, X)
    # What an edit anywhere on HOG's code path does to the digest the key is made from.
    monkeypatch.setattr(feature_cache, "extractor_code_digest", lambda cls: "edited")
    assert feature_cache.feature_key(hog, X) != before
