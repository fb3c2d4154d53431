"""Security: safe YAML, no unpickling, no shell, names that stay inside the output folder.

The source checks walk the syntax tree of every module under featcmp/, so a new module that
breaks a rule fails here, not in review.
"""

from __future__ import annotations

import ast
import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from featcmp.config import check_name
from featcmp.errors import ConfigError, DataError
from featcmp.run.jobs import expand_jobs, load_config
from tests.robustness_helpers import ROOT, TINY, assert_one_line_error, invoke, write_config

SOURCES = sorted((ROOT / "featcmp").rglob("*.py"))


def calls(tree: ast.AST):
    """(dotted name, call node) of every call, e.g. ('yaml.safe_load', node)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            parts, f = [], node.func
            while isinstance(f, ast.Attribute):
                parts.append(f.attr)
                f = f.value
            if isinstance(f, ast.Name):
                parts.append(f.id)
            yield ".".join(reversed(parts)), node


def keyword(node: ast.Call, name: str):
    for kw in node.keywords:
        if kw.arg == name:
            return kw.value.value if isinstance(kw.value, ast.Constant) else "non-constant"
    return None


def all_calls():
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for name, node in calls(tree):
            yield f"{path.relative_to(ROOT)}:{node.lineno}", name, node


def imports():
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                yield path, [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                yield path, [node.module]


def test_the_source_walk_sees_the_package():
    assert len(SOURCES) > 20
    assert any(name == "StrictLoader" for _, name, _ in all_calls())


def test_the_config_loader_is_a_safe_loader():
    import yaml

    from featcmp.config.load import StrictLoader

    # Configs are read by a subclass of the safe loader (YAML 1.2 floats, no duplicate keys).
    assert issubclass(StrictLoader, yaml.SafeLoader)
    assert not issubclass(StrictLoader, yaml.FullLoader | yaml.UnsafeLoader)


def test_yaml_only_through_the_safe_loader():
    allowed = {"yaml.safe_load", "yaml.safe_dump", "yaml.safe_load_all", "yaml.safe_dump_all"}
    bad = [f"{where} {name}" for where, name, _ in all_calls() if name.startswith("yaml.")]
    assert [b for b in bad if b.split()[1] not in allowed] == []
    text = "\n".join(p.read_text() for p in SOURCES)
    for unsafe in ("yaml.Loader", "FullLoader", "UnsafeLoader", "unsafe_load", "yaml.load("):
        assert unsafe not in text


def test_numpy_load_never_allows_pickle():
    loads = [(w, n) for w, name, n in all_calls() if name in ("np.load", "numpy.load")]
    assert loads, "the npz reader should be found"
    for where, node in loads:
        assert keyword(node, "allow_pickle") is False, where


def test_torch_load_only_with_weights_only():
    for where, name, node in all_calls():
        if name.endswith("torch.load"):
            assert keyword(node, "weights_only") is True, where


def test_no_pickle_based_modules():
    banned = {"pickle", "cPickle", "dill", "shelve", "marshal", "joblib", "cloudpickle"}
    found = [(p.name, m) for p, mods in imports() for m in mods if m.split(".")[0] in banned]
    assert found == []


def test_no_shell_and_no_eval():
    banned = {"os.system", "os.popen", "eval", "exec", "pty.spawn", "os.execl", "os.execlp"}
    assert [(w, n) for w, n, _ in all_calls() if n in banned] == []
    for where, name, node in all_calls():
        if name.startswith("subprocess."):
            # Commands are argument lists, never a string a shell would parse.
            assert keyword(node, "shell") in (None, False), where
            assert node.args and isinstance(node.args[0], ast.List | ast.Tuple), where


def test_yaml_python_tags_are_not_executed(tmp_path: Path):
    marker = tmp_path / "executed"
    config = write_config(
        tmp_path / "c.yaml",
        f"name: !!python/object/apply:os.mkdir ['{marker}']\npipelines: [raw_svm]\n",
    )
    assert_one_line_error(invoke("run", config), None, "could not determine a constructor")
    assert not marker.exists()


def test_npz_object_arrays_are_never_unpickled(tmp_path: Path, monkeypatch):
    np.savez(tmp_path / "d.npz", X=np.array([{"a": 1}] * 4, dtype=object), y=np.arange(4))

    def no_unpickling(*args, **kwargs):
        raise AssertionError("pickle was called")

    monkeypatch.setattr(pickle, "load", no_unpickling)
    monkeypatch.setattr(pickle, "loads", no_unpickling)
    from featcmp.data.npz import read_npz_arrays

    with pytest.raises(DataError, match="pickled object arrays, which featcmp never loads"):
        read_npz_arrays(tmp_path / "d.npz")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "../escape"),
        ("name", "/tmp/escape"),
        ("name", ".hidden"),
        ("name", ".."),
        ("name", "a\\b"),
        ("name", "a\x00b"),
        ("label", "a/b"),
        ("label", "../../x"),
        ("label", "/abs"),
    ],
)
def test_names_never_escape_the_output_dir(tmp_path: Path, field: str, value: str):
    data = {"name": "ok", "dataset": TINY, "pipelines": ["raw_svm"]}
    if field == "label":
        data["pipelines"] = [{"name": "raw_svm", "label": value}]
    else:
        data["name"] = value
    out = tmp_path / "runs"
    config = write_config(tmp_path / "c.yaml", data)
    assert_one_line_error(invoke("run", config, "--out", out), out, "is not a valid name")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_any_accepted_name_is_one_path_component(name: str):
    try:
        check_name(name, "name")
    except ConfigError:
        return
    out = Path("/out")
    assert Path(name).name == name and name not in (".", "..")
    assert (out / name).resolve().parent == out.resolve()


def test_record_paths_stay_inside_the_output_dir(tmp_path: Path):
    config = write_config(
        tmp_path / "c.yaml",
        {
            "name": "n.a-m_e",
            "dataset": TINY,
            "pipelines": [{"name": "raw_svm", "label": "r.a_w-1"}, "hog_svm"],
        },
    )
    out = (tmp_path / "runs").resolve()
    for job in expand_jobs(load_config(config)):
        path = job.record_path(out).resolve()
        assert path.parent.parent == out
