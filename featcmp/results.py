"""Result records: plain JSON, one per pipeline run, written atomically.

This module is the only thing runner and reporter share; it imports neither torch nor sklearn.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from featcmp.errors import FeatcmpError

SCHEMA_VERSION = 1
# Keys at a record's top level that scripts rely on.
REQUIRED_KEYS = ("schema", "id", "pipeline", "status", "accuracy", "dataset", "config", "seed")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A temporary file beside `path` to write into; fsynced and renamed over `path` when the
    block ends cleanly, removed when it raises: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results are for sharing
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        _name_the_file(exc, path, tmp)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically (see `atomic_file`)."""
    with atomic_file(path) as f:
        f.write(data)


def _name_the_file(exc: BaseException, path: Path, tmp: str) -> None:
    """A failed write (disk full, quota) names the target, not the temporary file or nothing."""
    if isinstance(exc, OSError) and exc.filename in (None, tmp):
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def package_versions(names: tuple[str, ...]) -> dict[str, str]:
    """featcmp's version and each installed package's ('absent' when not installed)."""
    from importlib import metadata

    from featcmp import __version__

    versions = {"featcmp": __version__}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def write_record(path: Path, record: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(record, indent=1, sort_keys=True) + "\n")


def classification_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, n_classes: int
) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class accuracy (recall) and the confusion matrix, in plain numpy."""
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    tp = np.diag(cm).astype(float)
    support, predicted = cm.sum(axis=1), cm.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = np.where(support > 0, tp / support, 0.0)
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    # Macro-F1 over classes that occur in truth or predictions, as scikit-learn averages it.
    present = (support > 0) | (predicted > 0)
    return {
        "accuracy": float(tp.sum() / max(len(y_true), 1)),
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "per_class_accuracy": [float(r) for r in recall],
        "confusion_matrix": cm.tolist(),
    }


def iter_record_files(root: Path) -> Iterator[Path]:
    """Record files under `root`, skipping temporary files of interrupted writes."""
    for path in sorted(root.rglob("*.json")):
        if not path.name.startswith("."):
            yield path


def read_record(path: Path) -> dict[str, Any] | None:
    """A record, or None when the file is not a featcmp record (other JSON is ignored)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_VERSION:
        return None
    if any(k not in data for k in REQUIRED_KEYS):
        return None
    return data


def load_records(root: str | Path) -> list[dict[str, Any]]:
    """Every record under `root` (recursively)."""
    root = Path(root)
    if not root.exists():
        raise FeatcmpError(f"{root}: no such results folder")
    if not root.is_dir():
        raise FeatcmpError(f"{root}: is a file; expected a folder of run records")
    records = [r for p in iter_record_files(root) if (r := read_record(p)) is not None]
    return records
