"""Package metadata: a licence file and SPDX string, every third-party import declared."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from importlib.metadata import packages_distributions

import pytest

from tests.helpers import ROOT

tomllib = pytest.importorskip("tomllib")


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def distribution(requirement: str) -> str:
    """'dask[distributed]>=2024.1' -> 'dask'; names compared in their normal form."""
    name = re.match(r"[A-Za-z0-9._-]+", requirement).group(0)
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules() -> set[str]:
    """Top-level names of every absolute import in featcmp/, the lazy ones inside functions too."""
    names = set()
    for path in (ROOT / "featcmp").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"featcmp", "__future__"}


def test_licence_is_an_spdx_string_with_its_file():
    meta = project()
    assert meta["license"] == "MIT"
    assert meta["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "featcmp developers" in text
    # PEP 639: the SPDX string replaces licence classifiers; setuptools rejects both at once.
    assert not any(c.startswith("License ::") for c in meta["classifiers"])
    assert set(meta["urls"]) >= {"Homepage", "Source", "Issues"}


def test_every_third_party_import_is_declared():
    meta = project()
    declared = {distribution(r) for r in meta["dependencies"]}
    declared |= {distribution(r) for extra in meta["optional-dependencies"].values() for r in extra}
    declared |= {"distributed"}  # installed by dask[distributed], imported only for --dask
    providers = packages_distributions()
    missing = {}
    for module in imported_modules():
        dists = {distribution(d) for d in providers.get(module, [module])}
        if not dists & declared:
            missing[module] = sorted(dists)
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def test_readme_links_resolve_in_the_repository_and_the_sdist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\((?!https?:|#)([^)#]+)", readme)
    assert targets
    for target in targets:
        assert (ROOT / target).is_file(), target
    manifest = (ROOT / "MANIFEST.in").read_text(encoding="utf-8").split("\n")
    shipped = [line.split()[1] for line in manifest if line.startswith(("graft", "include"))]
    for target in targets:
        assert target == "README.md" or any(
            target == s or target.startswith(s.rstrip("/") + "/") for s in shipped
        ), f"{target} is not in the sdist (MANIFEST.in)"


def test_readme_lists_every_command_with_one_line():
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
    proc = subprocess.run(
        [sys.executable, "-m", "featcmp", "--help"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    panel = proc.stdout[proc.stdout.index("Commands") :]
    commands = re.findall(r"^[│|]\s+([a-z][a-z-]*)\s{2,}\S", panel, flags=re.MULTILINE)
    assert {"run", "report", "sweep"} <= set(commands), proc.stdout
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("## Commands") :].split("```")[1]
    lines = block.strip().splitlines()[1:] if block.startswith("text") else block.splitlines()
    listed = {line.split()[1] for line in lines if line.startswith("featcmp ")}
    missing = [c for c in commands if c not in listed]
    assert not missing, f"commands missing from README's command list: {missing}"


def test_every_package_is_listed_and_configs_ship_as_package_data():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]
    found = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "featcmp").rglob("__init__.py")
    }
    # Every config ships, the sub-folders' too: transfer.yaml needs transfer/cifar10-source.yaml
    # run first, and `featcmp run transfer/cifar10-source` finds it in the wheel. setuptools
    # takes a sub-folder's files as data only when its package is listed.
    configs = ROOT / "configs"
    folders = {p.parent.relative_to(ROOT).parts for p in configs.rglob("*.yaml")}
    data_packages = {".".join(("featcmp", *parts)) for parts in folders}
    assert set(setuptools["packages"]) == found | data_packages
    # One copy of the example configs: the repository's configs/ is the package's data.
    assert setuptools["package-dir"] == {"featcmp.configs": "configs"}
    assert not (ROOT / "featcmp" / "configs").exists()
    globs = setuptools["package-data"]["featcmp.configs"]
    shipped = {p for glob in globs for p in configs.glob(glob)}
    missing = sorted(str(p.relative_to(configs)) for p in set(configs.rglob("*.yaml")) - shipped)
    assert not missing, f"configs the wheel leaves out: {missing}"
