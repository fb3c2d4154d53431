"""Plugins: a package installed beside featcmp adds a pipeline and a source via entry points.

tests/plugin_pkg is a real package with its own pyproject.toml. It and featcmp are installed
(offline, no dependencies) into a fresh virtual environment whose heavy dependencies (numpy,
torch, scikit-learn, ...), pip and setuptools come from this interpreter's site-packages
through a .pth line, so nothing is downloaded; then its `featcmp` script lists and runs the
plugin's pipeline.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from featcmp.plugins import Registry
from tests.robustness_helpers import ROOT

PLUGIN = ROOT / "tests" / "plugin_pkg"
PACKAGE = "featcmp-demo-plugin"


def sh(*cmd: str | Path, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    if check:
        assert proc.returncode == 0, (cmd, proc.stdout[-2000:], proc.stderr[-2000:])
    return proc


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment with featcmp and the demo plugin installed; returns its bin/."""
    tmp = tmp_path_factory.mktemp("plugin-env")
    venv = tmp / "venv"
    # --without-pip: pip and setuptools (new enough for PEP 639) come from this interpreter too.
    sh(sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv, cwd=tmp)
    python = venv / "bin" / "python"
    site = sh(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp)
    # The heavy dependencies from this interpreter; a plain path line, so the .pth files there
    # (an editable featcmp's finder) are not run.
    Path(site.stdout.strip(), "featcmp_deps.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    # featcmp from a copy of the source: the build writes build/ and *.egg-info beside it.
    src = tmp / "featcmp-src"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    shutil.copytree(ROOT / "featcmp", src / "featcmp", ignore=ignore)
    shutil.copytree(ROOT / "configs", src / "configs", ignore=ignore)
    for name in ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(PLUGIN, tmp / "plugin", ignore=ignore)
    pip = [python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index"]
    sh(*pip, src, tmp / "plugin", cwd=tmp)
    return venv / "bin"


@pytest.mark.slow  # one environment for the three: about 25 s
def test_list_names_the_plugins_and_the_broken_one(plugin_env: Path, tmp_path: Path):
    proc = sh(plugin_env / "featcmp", "list", cwd=tmp_path)
    lines = {line.split()[1]: line for line in proc.stdout.splitlines()}
    assert lines["block_means_svm"].startswith("pipeline")
    assert lines["block_means_svm"].endswith(f"[from {PACKAGE}]")
    assert lines["stripes"].startswith("source") and lines["stripes"].endswith(f"[from {PACKAGE}]")
    assert "[from" not in lines["hog_svm"]  # built in
    warnings = proc.stderr.strip().splitlines()
    assert len(warnings) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "plugin 'broken'" in warnings[0] and PACKAGE in warnings[0]
    assert "featcmp.sources" in warnings[0] and "ModuleNotFoundError" in warnings[0]


@pytest.mark.slow  # one environment for the three: about 25 s
def test_a_plugin_pipeline_runs_end_to_end(plugin_env: Path, tmp_path: Path):
    config = {
        "name": "stripes",
        "dataset": {"source": "stripes", "n_per_class": 30, "size": 12},
        "pipelines": [{"name": "block_means_svm", "params": {"blocks": {"block": 2}}}, "raw_svm"],
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    sh(plugin_env / "featcmp", "run", "c.yaml", "--out", "runs", "-q", cwd=tmp_path)
    records = {
        r["pipeline"]: r
        for r in (json.loads(p.read_text()) for p in (tmp_path / "runs").rglob("*.json"))
    }
    assert set(records) == {"block_means_svm", "raw_svm"}
    assert records["block_means_svm"]["status"] == "ok"
    assert records["block_means_svm"]["accuracy"] >= 0.9  # 2-px stripes: 2x2 means tell them


@pytest.mark.slow  # one environment for the three: about 25 s
def test_a_plugin_pipeline_is_validated_like_a_built_in(plugin_env: Path, tmp_path: Path):
    config = {
        "dataset": {"source": "stripes"},
        "pipelines": [{"name": "block_means_svm", "params": {"blocks": {"blok": 2}}}],
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    proc = sh(plugin_env / "featcmp", "run", "c.yaml", "--out", "runs", cwd=tmp_path, check=False)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 2 and len(errors) == 1, proc.stderr
    assert "pipelines[0].params.blocks.blok" in errors[0] and "did you mean 'block'" in errors[0]
    assert not (tmp_path / "runs").exists()


# --- the registry itself, in this process -------------------------------------------------


class FakeEntryPoint:
    def __init__(self, name: str, load) -> None:
        self.name, self.value, self.load, self.dist = name, f"fake.{name}", load, None


def registry_with(monkeypatch, *points: FakeEntryPoint) -> Registry:
    monkeypatch.setattr("featcmp.plugins.entry_points", lambda group: list(points))
    registry = Registry("featcmp.test", "thing")
    registry["builtin"] = "kept"
    return registry


def test_plugins_load_once_on_first_read(monkeypatch):
    calls = []

    def load():
        calls.append(1)
        registry["extra"] = "new"

    registry = registry_with(monkeypatch, FakeEntryPoint("p", load))
    assert calls == []  # registering built-ins loads nothing
    assert "extra" in registry and sorted(registry) == ["builtin", "extra"]
    assert calls == [1]
    assert registry.providers == {"builtin": "featcmp", "extra": "an unknown package"}


def test_a_plugin_that_replaces_or_fails_is_left_out(monkeypatch, capsys):
    def replace():
        registry["builtin"] = "hijacked"
        registry["also"] = "x"

    def invalid():
        registry["bad"] = "x"

    registry = registry_with(
        monkeypatch, FakeEntryPoint("a", replace), FakeEntryPoint("b", invalid)
    )
    registry.check = lambda name, entry: (_ for _ in ()).throw(ValueError("no good"))
    assert dict(registry.items()) == {"builtin": "kept"}
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2
    assert "plugin 'a'" in lines[0] and "'builtin' exists already" in lines[0]
    assert "plugin 'b'" in lines[1] and "'bad' is invalid: ValueError: no good" in lines[1]
    assert registry.problems == [
        line.removeprefix("warning: ").removesuffix("; left out") for line in lines
    ]


@pytest.mark.slow
def test_an_installed_featcmp_runs_its_bundled_configs(plugin_env: Path, tmp_path: Path):
    python = plugin_env / "python"
    code = "import featcmp.config.load as m; print(m.bundled_configs_dir())"
    where = sh(python, "-c", code, cwd=tmp_path)
    assert where.stdout.strip().endswith("site-packages/featcmp/configs")  # not the checkout
    # The sub-folders ship too: transfer.yaml's step 1 is there to run by name.
    code = "import featcmp.config.load as m; print(m.resolve_config_path('transfer/{}'))"
    step1 = Path(sh(python, "-c", code.format("cifar10-source"), cwd=tmp_path).stdout.strip())
    assert step1.is_file() and step1.parts[-3:] == ("configs", "transfer", "cifar10-source.yaml")
    assert step1.is_relative_to(Path(where.stdout.strip()))
    small = ["--set", "dataset.n_per_class=10", "--set", "pipelines=[raw_svm]"]
    sh(plugin_env / "featcmp", "run", "compare", "--out", "runs", "-q", *small, cwd=tmp_path)
    assert len(list((tmp_path / "runs" / "compare").glob("raw_svm-*.json"))) == 1
