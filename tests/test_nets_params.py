"""The networks' parameters, declared once: the training parameters on `TorchClassifier`, each
network only its architecture; scikit-learn's get_params, set_params, clone and repr work from
the declarations, and fit refuses a value outside them on an estimator built in Python."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from sklearn.base import clone

from featcmp.config.params import Param
from featcmp.errors import ConfigError
from featcmp.models.nets import CNNClassifier, MLPClassifier
from featcmp.models.training import TorchClassifier

NETS = [CNNClassifier, MLPClassifier]
TRAINING = {
    "epochs": 30, "batch_size": "auto", "lr": 3e-3, "optimizer": "adamw", "weight_decay": 5e-4,
    "norm_lr_scale": 1.0, "schedule": "onecycle", "label_smoothing": 0.1, "augment": True,
    "shift": None, "flip": False, "tta": False, "precision": "auto", "layout": "auto",
    "compile": False, "device": "auto", "seed": 0, "init_from": None,
}  # fmt: skip
# The defaults the configs and the recorded results rely on.
ARCHITECTURE = {
    CNNClassifier: {
        "channels": (32, 64, 128), "convs_per_block": 1, "kernel_size": 3, "stride": 1,
        "padding": None, "pool": 2, "batch_norm": True, "pool_early": False, "head": "pool",
        "grid": 4, "hidden": 128, "dropout": 0.25, "max_size": 64,
    },
    MLPClassifier: {"hidden": (256, 128), "dropout": 0.2, "max_area": 1024},
}  # fmt: skip


def tiny_images() -> tuple[np.ndarray, np.ndarray]:
    return np.random.default_rng(0).random((12, 8, 8)).astype(np.float32), np.arange(12) % 3


def test_the_training_parameters_are_declared_once_on_the_base():
    assert dict(TorchClassifier.PARAMS).keys() == TRAINING.keys()
    for cls in NETS:
        assert not set(cls.PARAMS) & set(TorchClassifier.PARAMS), cls.__name__


@pytest.mark.parametrize("cls", NETS)
def test_defaults_are_unchanged(cls):
    assert cls().get_params(deep=False) == {**TRAINING, **ARCHITECTURE[cls]}


@pytest.mark.parametrize("cls", NETS)
def test_get_params_names_the_declarations(cls):
    assert sorted(cls().get_params(deep=False)) == sorted(cls.declared_params())


@pytest.mark.parametrize("cls", NETS)
def test_clone_and_set_params_round_trip(cls):
    net = cls(epochs=3, lr=0.1, flip=True, tta=True, seed=7, dropout=0.5)
    copy = clone(net)
    assert copy is not net and copy.get_params() == net.get_params()
    copy.set_params(epochs=5, device="cpu")
    assert (copy.epochs, copy.device, net.epochs) == (5, "cpu", 3)


@pytest.mark.parametrize("cls", NETS)
def test_repr_shows_only_what_differs_from_the_defaults(cls):
    assert repr(cls()) == f"{cls.__name__}()"
    assert repr(cls(epochs=3, flip=True)) == f"{cls.__name__}(epochs=3, flip=True)"


def test_an_unknown_name_suggests_the_closest():
    with pytest.raises(TypeError, match="did you mean 'epochs'"):
        CNNClassifier(epoch=3)


def _outside(param: Param) -> list:
    """Values just outside a declared range or set of choices."""
    values: list = []
    if param.range is not None:
        low, high = param.range.low, param.range.high
        step = 1 if param.type in (int, tuple[int, ...], int | None, int | str) else 0.5
        values += [low - step] if low is not None and not param.range.low_open else []
        values += [low] if low is not None and param.range.low_open else []
        values += [high + step] if high is not None and not param.range.high_open else []
        values += [high] if high is not None and param.range.high_open else []
        if isinstance(param.default, tuple):
            values = [(v,) for v in values]
    if param.choices:
        values.append(param.choices[0] + "x")
    if param.min_items:
        values.append(())
    return values


CASES = [
    (cls, name, value)
    for cls in NETS
    for name, param in cls.declared_params().items()
    for value in _outside(param)
]


@pytest.mark.parametrize(
    ("cls", "name", "value"), CASES, ids=[f"{c.__name__}-{n}-{v}" for c, n, v in CASES]
)
def test_fit_refuses_every_value_outside_the_declarations(cls, name, value):
    with pytest.raises(ConfigError, match=rf"^{cls.__name__}\.{name}\b"):
        cls(**{name: value}).fit(*tiny_images())


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"padding": 3}, "padding must be null or below kernel_size (3), got 3"),
        ({"tta": True}, "tta averages each image with its mirror: it needs flip: true"),
        ({"device": "gpu"}, "device: unknown 'gpu'"),
    ],
)
def test_fit_refuses_cross_field_and_device_errors(params, fragment):
    with pytest.raises(ConfigError, match=r"^CNNClassifier") as info:
        CNNClassifier(**params).fit(*tiny_images())
    assert fragment in str(info.value)


@pytest.mark.parametrize("cls", NETS)
def test_choices_before_fit_are_what_fit_records(cls):
    X, y = tiny_images()
    net = cls(epochs=1, device="cpu", hidden=(4,) if cls is MLPClassifier else 4)
    before = net.choices(X.shape[1:])
    assert before == net.fit(X, y).choices(X.shape[1:])
    assert before["input_size"] == [8, 8] and before["downsample"] == 1
