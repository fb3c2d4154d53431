"""Run records: one typed `Record` per job, stored as plain JSON, written atomically. The only
thing run/ and report/ share; imports neither torch nor scikit-learn.

Format versions: 1 is the first; 2 adds `error_kind` to failed records ("run": the job failed
in a way the user can act on, "internal": a bug). Version 1 records read unchanged (a failed one
counts as a run-time failure). `stopping` (seeds: auto) is an optional key of format 3: older
records lack it, and an older reader ignores it.

Reading checks each field against its annotation below, and that the numbers agree with each
other (`Record.problem`): a record that does not is `Unreadable`, named and left out, like a
truncated file.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

from featcmp.config.typed import convert, describe
from featcmp.errors import ConfigError, FeatcmpError
from featcmp.families import canonical
from featcmp.files import atomic_write_text

# Version 3 names the families of featcmp.families; 1 and 2 had "learned" for the networks.
SCHEMA_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
STATUSES = ("ok", "failed")
ERROR_KINDS = ("run", "internal")
ACCURACY_TOLERANCE = 1e-6  # the stored accuracy against the share of correct predictions

T = TypeVar("T")


class _Json:
    """A record part stored as a JSON object: its fields under their names. Fields named in
    `OMITTED_WHEN_NONE` are left out of the file while they are None."""

    OMITTED_WHEN_NONE: typing.ClassVar[frozenset[str]] = frozenset()

    def to_json(self) -> dict[str, Any]:
        return {
            f.name: _json_value(getattr(self, f.name))
            for f in fields(self)  # type: ignore[arg-type]
            if not (f.name in self.OMITTED_WHEN_NONE and getattr(self, f.name) is None)
        }

    @classmethod
    def from_json(cls: type[T], data: Any) -> T:
        """The part in `data` (parsed JSON), checked; ValueError says what is wrong."""
        try:
            return _build(cls, data, "")
        except ConfigError as exc:
            raise ValueError(str(exc)) from None


def _json_value(value: Any) -> Any:
    if isinstance(value, _Json):
        return value.to_json()
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value


@dataclass(frozen=True)
class DatasetSummary(_Json):
    """The split a run used; a job that failed before loading its data knows only the name."""

    OMITTED_WHEN_NONE = frozenset(
        {"fingerprint", "test_fingerprint", "n_train", "n_test", "image_shape", "class_names"}
        | {"own_test_split", "source_info"}
    )

    name: str
    fingerprint: str | None = None  # of the whole split
    test_fingerprint: str | None = None  # of the test part alone
    n_train: int | None = None
    n_test: int | None = None
    image_shape: list[int] | None = None
    class_names: list[str] | None = None
    own_test_split: bool | None = None
    source_info: dict[str, Any] | None = None  # the source's account of what it chose


@dataclass(frozen=True)
class Misclassified(_Json):
    index: int
    true: int
    pred: int
    image: str  # PNG, base64


@dataclass(frozen=True)
class HogSample(_Json):
    OMITTED_WHEN_NONE = frozenset({"pixels_per_cell"})

    index: int
    label: int
    image: str  # PNG, base64
    hog: str  # skimage's picture of the descriptor, PNG, base64, drawn `scale` times larger
    scale: int = 1
    pixels_per_cell: list[int] | None = None


@dataclass(frozen=True)
class ReferenceKernel(_Json):
    name: str
    weights: list[list[float]]


@dataclass(frozen=True)
class LayerKernels(_Json):
    """A network's first convolution: `weights` of `shape` (out, in, h, w), and the hand-coded
    kernel they are drawn beside."""

    shape: list[int]
    weights: list[Any]
    reference: ReferenceKernel


@dataclass(frozen=True)
class Artifacts(_Json):
    """The small pictures the report draws from a run."""

    OMITTED_WHEN_NONE = frozenset({"first_layer_kernels", "hog_samples"})

    misclassified: list[Misclassified] = field(default_factory=list)
    first_layer_kernels: LayerKernels | None = None
    hog_samples: list[HogSample] | None = None


# Why a `seeds: auto` run stopped adding seeds (featcmp.run.stopping says each in words).
STOP_REASONS = ("decided", "max_seeds", "budget", "cannot_decide", "no_verdict")


@dataclass(frozen=True)
class Stopping(_Json):
    """How a `seeds: auto` run chose its seeds: the rule, why and after how many seeds it
    stopped; written into every record of the config when it stops."""

    rule: str  # the stopping rule in one line
    reason: str  # one of STOP_REASONS
    seeds: int  # seeds run when it stopped
    text: str  # "decided after 5 seeds", "stopped at max_seeds (10), undecided"


# Written for every record / only for a finished one (a failed record has none of them).
COMMON_KEYS = ("schema", "id", "config_name", "pipeline", "registry_name", "family", "seed")
COMMON_KEYS += ("train_size", "dataset", "config", "versions", "timestamp", "accuracy")
COMMON_KEYS += ("status", "error")
OK_KEYS = ("macro_f1", "per_class_accuracy", "confusion_matrix", "feature_dim")
OK_KEYS += ("learned_params", "solver", "chosen", "kernels", "fit_seconds", "predict_seconds")
OK_KEYS += ("predictions", "y_true", "artifacts")


@dataclass(frozen=True)
class Record(_Json):
    """One job's outcome. The fields without a default are the keys scripts rely on."""

    schema: int
    id: str
    pipeline: str  # the row label (a grid point's `hog_svm.C-10`); the report adds settings
    status: str  # "ok" or "failed"
    accuracy: float | None
    dataset: DatasetSummary
    config: dict[str, Any]  # the job's resolved config
    seed: int
    config_name: str = ""
    registry_name: str | None = None  # the pipeline's name in the registry (hog_svm)
    family: str | None = None  # a name of featcmp.families (formats 1-2: "learned" too)
    train_size: int | float | None = None
    versions: dict[str, str] = field(default_factory=dict)
    timestamp: str | None = None
    error: str | None = None
    error_kind: str | None = None  # of a failed record: "run" or "internal"
    macro_f1: float | None = None
    per_class_accuracy: list[float] | None = None
    confusion_matrix: list[list[int]] | None = None
    feature_dim: int | None = None
    learned_params: int | None = None
    solver: str | None = None
    chosen: dict[str, Any] | None = None  # what the data decided where the config said nothing
    kernels: dict[str, Any] | None = None  # fixed kernels a feature step applied
    fit_seconds: float | None = None
    predict_seconds: float | None = None
    predictions: list[int] | None = None
    y_true: list[int] | None = None
    artifacts: Artifacts = field(default_factory=Artifacts)
    selection: dict[str, Any] | None = None  # candidates, validation scores and the choice
    model_file: str | None = None  # the trained network `save_model` kept (featcmp.models.saved)
    stopping: Stopping | None = None  # seeds: auto: the rule and where it stopped
    # The kept network itself, on its way from the job to the writer of its file: never
    # written into the record (tensors and plain data; featcmp.models.saved.network_payload).
    network: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def succeeded(self) -> bool:
        """A run that finished and has an accuracy to count."""
        return self.status == "ok" and self.accuracy is not None

    @property
    def n_train(self) -> int:
        return self.dataset.n_train or 0

    @property
    def name(self) -> str:
        """The record's name in tables: config/row-id."""
        return f"{self.config_name}/{self.pipeline}-{self.id}"

    def config_value(self, dotted: str, default: Any = None) -> Any:
        """A value of the resolved config by its key path (`dataset.path`), or `default`."""
        value: Any = self.config
        for key in dotted.split("."):
            if not isinstance(value, dict) or key not in value:
                return default
            value = value[key]
        return value

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        keys = [*COMMON_KEYS, *(OK_KEYS if self.status == "ok" else ("error_kind",))]
        optional = ("selection", "model_file", "stopping")
        keys += [k for k in optional if getattr(self, k) is not None]
        return {k: data[k] for k in keys}

    def problem(self) -> str | None:
        """Why the numbers cannot all be true, or None: the checks beyond each field's type."""
        if self.status not in STATUSES:
            return f"status {self.status!r}, expected one of {', '.join(STATUSES)}"
        if self.error_kind is not None and self.error_kind not in ERROR_KINDS:
            return f"error_kind {self.error_kind!r}, expected one of {', '.join(ERROR_KINDS)}"
        if self.stopping is not None and self.stopping.reason not in STOP_REASONS:
            return f"stopping.reason {self.stopping.reason!r}, expected one of {STOP_REASONS}"
        acc = self.accuracy
        if acc is not None and not (math.isfinite(acc) and 0.0 <= acc <= 1.0):
            return f"accuracy {acc!r} is not in [0, 1]"
        return self._predictions_problem()

    def _predictions_problem(self) -> str | None:
        pred, truth, n_test = self.predictions, self.y_true, self.dataset.n_test
        if pred is None and truth is None:
            return None
        if pred is None or truth is None:
            return f"{'predictions' if pred is None else 'y_true'} missing beside the other"
        if len(pred) != len(truth):
            return f"{len(pred)} predictions for {len(truth)} test labels (y_true)"
        if n_test is not None and len(truth) != n_test:
            return f"{len(truth)} test labels (y_true), but n_test is {n_test}"
        if self.accuracy is not None and truth:
            share = sum(p == t for p, t in zip(pred, truth, strict=True)) / len(truth)
            if abs(share - self.accuracy) > ACCURACY_TOLERANCE:
                return f"accuracy {self.accuracy:.6g}, but {share:.6g} of its predictions are right"
        return None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        """The record in `data` (one parsed file); ValueError says what is wrong with it."""
        missing = [f.name for f in fields(cls) if _required(f) and f.name not in data]
        if missing:
            raise ValueError("missing " + ", ".join(missing))
        record = super().from_json(data)
        if record.status == "failed" and record.error_kind is None:
            record = replace(record, error_kind="run")  # version 1 recorded run-time failures
        if record.family != canonical(record.family):  # formats 1-2 had "learned"
            record = replace(record, family=canonical(record.family))
        if problem := record.problem():
            raise ValueError(problem)
        return record


def _required(f: dataclasses.Field) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """A record part's field annotations, resolved once per class, not once per record."""
    return typing.get_type_hints(cls)


def _build(cls: type[T], data: Any, where: str) -> T:
    """`cls` from a JSON object, each field checked against its annotation; keys the class
    does not declare are ignored (a later format may add some)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where or 'record'}: expected a mapping, got {describe(data)}")
    hints = _hints(cls)
    values = {}
    for f in fields(cls):  # type: ignore[arg-type]
        path = f"{where}.{f.name}" if where else f.name
        if f.name in data:
            values[f.name] = _value(data[f.name], hints[f.name], path)
        elif _required(f):
            raise ConfigError(f"missing key '{path}'")
    return cls(**values)


def _value(value: Any, tp: Any, where: str) -> Any:
    """`value` checked against `tp`; record parts (dataclasses) are built, lists of them too."""
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            return _value(value, inner[0], where)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, where)
    if typing.get_origin(tp) is list and args and dataclasses.is_dataclass(args[0]):
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {describe(value)}")
        return [_build(args[0], v, f"{where}[{i}]") for i, v in enumerate(value)]
    if tp == list[int] and isinstance(value, list) and all(type(v) is int for v in value):
        return value  # predictions and labels: thousands of them, plainly right
    return convert(value, tp, where)


def write_record(path: Path, record: Record) -> None:
    atomic_write_text(path, json.dumps(record.to_json(), indent=1, sort_keys=True) + "\n")


def iter_record_files(root: Path) -> Iterator[Path]:
    """Record files under `root`, skipping temporary files of interrupted writes."""
    for path in sorted(root.rglob("*.json")):
        if not path.name.startswith("."):
            yield path


@dataclass(frozen=True)
class Unreadable:
    """A record file that cannot be used, and why: named wherever records are read, so a lost
    run does not go unnoticed (the report leaves it out, `check` counts its row as missing,
    a resumed run re-runs its job)."""

    path: Path
    reason: str

    def line(self, consequence: str = "left out of the report") -> str:
        return f"{self.path}: unreadable record ({self.reason}); {consequence}"


def read_one(path: Path) -> Record | Unreadable | None:
    """The one record reader: a record; `Unreadable` for a broken record (truncated JSON, a
    foreign format version, missing keys, a wrong type, numbers that disagree); None for a file
    that is not a featcmp record (other JSON without a `schema` key, or no file at all)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except OSError as exc:
        return Unreadable(path, exc.strerror or type(exc).__name__)
    except UnicodeDecodeError:
        return Unreadable(path, "not UTF-8 text")
    except json.JSONDecodeError as exc:
        return Unreadable(path, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")
    if not isinstance(data, dict) or "schema" not in data:
        return None  # some other JSON file in the folder, not a run record
    if data["schema"] not in READABLE_VERSIONS:
        versions = ", ".join(map(str, READABLE_VERSIONS))
        return Unreadable(path, f"schema {data['schema']!r}, this featcmp reads {versions}")
    try:
        return Record.from_json(data)
    except ValueError as exc:
        return Unreadable(path, str(exc))


def read_record(path: Path) -> Record | None:
    """A usable record, or None (not a record, or unreadable: `read_one` tells them apart)."""
    got = read_one(path)
    return None if isinstance(got, Unreadable) else got


def read_records(root: str | Path) -> tuple[list[Record], list[Unreadable]]:
    """Every record under `root` (recursively), and the record files that could not be read."""
    root = Path(root)
    if not root.exists():
        raise FeatcmpError(f"{root}: no such results folder")
    if not root.is_dir():
        raise FeatcmpError(f"{root}: is a file; expected a folder of run records")
    records: list[Record] = []
    unreadable: list[Unreadable] = []
    for path in iter_record_files(root):
        got = read_one(path)
        if isinstance(got, Unreadable):
            unreadable.append(got)
        elif got is not None:
            records.append(got)
    return records, unreadable


def load_records(root: str | Path) -> list[Record]:
    """Every readable record under `root` (recursively); `read_records` also names the rest."""
    return read_records(root)[0]


REQUIRED_KEYS = tuple(f.name for f in fields(Record) if _required(f))
