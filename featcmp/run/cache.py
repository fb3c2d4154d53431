"""An on-disk cache of extracted features, so a repeated run skips the extraction.

One `.npy` file per (input array, extractor, parameters, code, package versions, and for an
extractor whose fit learns, such as a SIFT vocabulary, the data it was fitted on; its fit still
runs, only the transform is served from the cache). The key hashes
the array's bytes, so it can never serve features of other data; it also hashes the source of
every featcmp module the extractor's code can reach (its module and base classes, and what they
import within featcmp, at any depth, lazy imports in functions included), so editing any code
on the path (features/hog_batch.py for HOG) invalidates its entries without a version bump.
Files are written to a temporary name and renamed, so a reader sees a whole file or none; a
file that fails to load is treated as a miss and replaced. Nothing is ever pickled.

The cache is bounded: `prune` drops the least recently used files beyond a size limit
(`FEATCMP_CACHE_MAX`, default 2G) at the end of every run and sweep; `featcmp cache` shows and
clears it.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

import featcmp
from featcmp.data.loader import hash_array
from featcmp.errors import FeatcmpError
from featcmp.files import atomic_file, remove_stale_temps
from featcmp.provenance import package_versions

ENV_DIR, ENV_MAX = "FEATCMP_CACHE", "FEATCMP_CACHE_MAX"
DEFAULT_MAX = "2G"
# The packages whose code computes features: torch runs the GPU-capable extractors, and
# kymatio builds the scattering filters (both of its backends use them).
KEY_PACKAGES = ("numpy", "scipy", "scikit-image", "scikit-learn", "torch", "kymatio")
UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def resolve_cache_dir(option: Path | None, out_dir: Path, enabled: bool = True) -> Path | None:
    """The feature cache folder: `--cache`, else $FEATCMP_CACHE, else OUT/.cache/features.

    `--no-cache` or FEATCMP_CACHE=off turns it off (None). The path is made absolute so that
    workers in other processes resolve it the same way.
    """
    env = os.environ.get(ENV_DIR)
    if not enabled or (option is None and env is not None and env.lower() in ("off", "0", "")):
        return None
    path = option or (Path(env) if env else out_dir / ".cache" / "features")
    return path.expanduser().absolute()


def parse_size(text: str) -> int:
    """'500M', '2G', '1048576' -> bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*", text.upper())
    if not match:
        raise FeatcmpError(f"cache size '{text}': expected a size like 500M or 2G")
    return int(float(match.group(1)) * UNITS[match.group(2)])


def max_cache_bytes() -> int:
    return parse_size(os.environ.get(ENV_MAX, DEFAULT_MAX))


@functools.cache
def _versions() -> dict[str, str]:
    return package_versions(KEY_PACKAGES)


PACKAGE = "featcmp"
PACKAGE_ROOT = Path(featcmp.__file__).resolve().parent


def module_file(name: str, root: Path = PACKAGE_ROOT) -> Path | None:
    """The source file of featcmp module `name` under `root` (a package's __init__.py)."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = root.joinpath(*parts[1:])
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def imported_modules(name: str, source: str, is_package: bool = False) -> set[str]:
    """The featcmp modules `source` (of module `name`) imports anywhere, functions included.
    `from featcmp.features import hog_batch` may name a module or an attribute: both names are
    returned, and `code_closure` keeps those that are modules."""
    package = name.split(".") if is_package else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == PACKAGE)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from . import x, from ..y import z
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.split(".")[0] != PACKAGE:
                continue
            found.add(target)
            found.update(f"{target}.{a.name}" for a in node.names)
    return found


def code_closure(module: str, root: Path = PACKAGE_ROOT) -> dict[str, Path]:
    """Every featcmp module reachable from `module` by imports within the package (and the
    packages that hold them, whose __init__ runs on import): {module name: source file}."""
    seen: dict[str, Path] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = module_file(name, root)
        if path is None:  # an attribute named in a from-import, not a module
            continue
        seen[name] = path
        parents = [".".join(name.split(".")[:i]) for i in range(1, len(name.split(".")))]
        todo.extend(parents)
        source = path.read_text(encoding="utf-8")
        todo.extend(imported_modules(name, source, path.name == "__init__.py"))
    return seen


def code_digest(modules: list[str], root: Path = PACKAGE_ROOT) -> str:
    """A hash of the source of every featcmp module the given modules reach (names and bytes,
    in name order, so a moved module changes it too)."""
    closure: dict[str, Path] = {}
    for module in modules:
        closure.update(code_closure(module, root))
    h = hashlib.blake2b(digest_size=16)
    for name in sorted(closure):
        h.update(name.encode() + b"\0" + closure[name].read_bytes() + b"\0")
    return h.hexdigest()


@functools.cache
def extractor_code_digest(cls: type) -> str:
    """The code key of an extractor class: its module and its featcmp base classes' modules,
    with everything they import within featcmp."""
    modules = sorted({k.__module__ for k in cls.__mro__ if k.__module__.split(".")[0] == PACKAGE})
    return code_digest(modules)


def array_digest(X: np.ndarray) -> str:
    """A hash of an array's dtype, shape and bytes."""
    h = hashlib.blake2b(digest_size=20)
    hash_array(h, X)
    return h.hexdigest()


def learns_in_fit(extractor: BaseEstimator) -> bool:
    """Whether `fit` may learn state from data (a k-means vocabulary), as the extractor
    declares; a step that does not say is taken to learn."""
    return bool(getattr(extractor, "learns_from_data", True))


def feature_key(extractor: BaseEstimator, X: np.ndarray, fitted_on: str | None = None) -> str:
    """The cache key of `extractor.transform(X)`; `fitted_on` digests the data it was fitted on
    when its fit learns, so features of a vocabulary from other training data never match."""
    cls = type(extractor)
    identity = {
        "fitted_on": fitted_on,
        "extractor": f"{cls.__module__}.{cls.__qualname__}",
        "params": extractor.get_params(deep=False),
        "code": extractor_code_digest(cls),
        "versions": _versions(),
        "data": array_digest(X),
    }
    identity_of = getattr(extractor, "cache_identity", None)
    if identity_of is not None:  # what the params only name: a backbone file's content
        identity["content"] = identity_of()
    text = json.dumps(identity, sort_keys=True, default=repr)
    return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()


def _path(cache_dir: Path, key: str) -> Path:
    return cache_dir / key[:2] / f"{key}.npy"


def load(cache_dir: Path, key: str, n_rows: int) -> np.ndarray | None:
    """The cached array, or None on a miss (a file that does not load counts as a miss)."""
    path = _path(cache_dir, key)
    try:
        arr = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, EOFError):
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    if arr.ndim != 2 or len(arr) != n_rows:
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # least recently used goes first when pruning
    return arr


def store(cache_dir: Path, key: str, features: np.ndarray) -> bool:
    """Write atomically (temporary file, fsync, rename); False when the cache is not writable.

    A cache must never fail a run, so any OS error here only means the entry is not kept.
    """
    try:
        with atomic_file(_path(cache_dir, key)) as f:
            np.save(f, np.ascontiguousarray(features), allow_pickle=False)
        return True
    except OSError:
        return False


class CachedFeatures(TransformerMixin, BaseEstimator):
    """A feature extractor whose `transform` output is cached on disk.

    Its parameters are the extractor's own: `get_params`, `set_params` and `clone` pass
    through, so a pipeline's `hog__orientations` names the same value wrapped or not, and a
    selection's grid is set on it unchanged.

    Parameters
    ----------
    extractor : BaseEstimator
        A feature extractor, e.g. `HOGFeatures` (one whose fit learns is keyed by its data).
    cache_dir : str
        The cache folder.
    """

    def __init__(self, extractor: BaseEstimator, cache_dir: str):
        self.extractor = extractor
        self.cache_dir = cache_dir

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return self.extractor.get_params(deep)

    def set_params(self, **params: Any) -> CachedFeatures:
        self.extractor.set_params(**params)
        return self

    def __sklearn_clone__(self) -> CachedFeatures:
        from sklearn.base import clone

        return CachedFeatures(clone(self.extractor), self.cache_dir)

    def fit(self, X, y=None):
        self.extractor.fit(X, y)
        self.fitted_on_ = None
        if learns_in_fit(self.extractor):
            labels = "" if y is None else array_digest(np.asarray(y))
            self.fitted_on_ = array_digest(np.asarray(X)) + labels
        return self

    def transform(self, X) -> np.ndarray:
        X = np.asarray(X)
        key = feature_key(self.extractor, X, getattr(self, "fitted_on_", None))
        cached = load(Path(self.cache_dir), key, len(X))
        if cached is not None:
            return cached
        features = self.extractor.transform(X)
        store(Path(self.cache_dir), key, features)
        return features

    def fit_transform(self, X, y=None, **fit_params) -> np.ndarray:
        return self.fit(X, y).transform(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags


def worth_caching(step: Any) -> bool:
    """Extractors that compute something; flattening pixels is cheaper than reading a file."""
    from featcmp.features.base import ImageTransformer
    from featcmp.features.raw import RawPixels

    return isinstance(step, ImageTransformer) and not isinstance(step, RawPixels)


def wrap_feature_step(pipe, cache_dir: Path | None):
    """Wrap the first step of a hand-crafted pipeline in `CachedFeatures` (in place)."""
    if cache_dir is None or not pipe.steps:
        return pipe
    name, step = pipe.steps[0]
    if worth_caching(step):
        pipe.steps[0] = (name, CachedFeatures(step, str(cache_dir)))
    return pipe


def unwrap_feature_step(pipe):
    """Put the (fitted) extractor back in place of its `CachedFeatures` wrapper (in place)."""
    if pipe.steps and isinstance(pipe.steps[0][1], CachedFeatures):
        name, wrapper = pipe.steps[0]
        pipe.steps[0] = (name, wrapper.extractor)
    return pipe


def cache_files(cache_dir: Path) -> list[Path]:
    return [p for p in cache_dir.glob("*/*.npy") if not p.name.startswith(".")]


def usage(cache_dir: Path) -> tuple[int, int]:
    """(number of files, total bytes) in the cache."""
    files = cache_files(cache_dir) if cache_dir.is_dir() else []
    sizes = []
    for p in files:
        with contextlib.suppress(OSError):
            sizes.append(p.stat().st_size)
    return len(sizes), sum(sizes)


def prune(cache_dir: Path | None, max_bytes: int | None = None) -> int:
    """Delete least recently used files until the cache fits `max_bytes`; return bytes freed.

    Also removes temporaries left by killed processes (`featcmp.files.remove_stale_temps`:
    a concurrent writer's file in flight is never touched).
    """
    if cache_dir is None or not cache_dir.is_dir():
        return 0
    limit = max_cache_bytes() if max_bytes is None else max_bytes
    remove_stale_temps(cache_dir, pattern="*/.*.tmp")
    entries = []
    for p in cache_files(cache_dir):
        with contextlib.suppress(OSError):
            st = p.stat()
            entries.append((st.st_mtime, st.st_size, p))
    total = sum(size for _, size, _ in entries)
    freed = 0
    for _, size, p in sorted(entries, key=lambda e: e[0]):
        if total - freed <= limit:
            break
        with contextlib.suppress(OSError):
            p.unlink()
            freed += size
    return freed


def clear(cache_dir: Path) -> int:
    """Remove every cache file; return how many."""
    return len([p for p in cache_files(cache_dir) if _unlink(p)]) if cache_dir.is_dir() else 0


def _unlink(p: Path) -> bool:
    try:
        p.unlink()
        return True
    except OSError:
        return False
