"""The pipeline registry: one name everywhere (YAML, registry, table row) -> a sklearn Pipeline.

Feature pipelines (hand-crafted, fixed random, learned without labels, learned elsewhere:
featcmp.families) are `features -> scaler -> svm`; their YAML params are nested by step, `{hog:
{pixels_per_cell: [2, 2]}, svm: {C: 10}}`. Networks are one torch classifier and take its
parameters flat (`flat=True`), `{epochs: 20, channels: [16, 32]}`; one that starts from a saved
network (`init_from`) is learned elsewhere, then tuned (the job's family, featcmp.run.jobs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline

from featcmp.config.params import Param, check_params, declarations, declare_foreign
from featcmp.errors import ConfigError, did_you_mean, unknown_name
from featcmp.families import (
    BY_NAME,
    ELSEWHERE,
    END_TO_END,
    FIXED_RANDOM,
    HAND_CRAFTED,
    UNSUPERVISED,
    canonical,
)
from featcmp.features.bank import KernelBankFeatures
from featcmp.features.edges import EdgeFeatures
from featcmp.features.hog import AUTO, HOGFeatures
from featcmp.features.kmeans import KMeansFeatures
from featcmp.features.raw import RawPixels
from featcmp.features.sift import SIFTBagOfWords
from featcmp.models.scaler import Standardiser
from featcmp.models.svm import SVM
from featcmp.plugins import Registry

# The name plugins written for two families import for a network trained end to end.
LEARNED = END_TO_END
__all__ = ["END_TO_END", "FIXED_RANDOM", "HAND_CRAFTED", "LEARNED", "UNSUPERVISED"]


@dataclass(frozen=True)
class PipelineSpec:
    name: str
    family: str  # one of featcmp.families.FAMILIES
    summary: str
    build: Callable[[], Pipeline]
    flat: bool = False  # a single step whose YAML params are given flat, not nested by step


# Built-in pipelines below; other packages' through the `featcmp.pipelines` entry points
# (featcmp.plugins), loaded on the first read and checked by `check_plugin_pipeline`.
PIPELINES: Registry = Registry("featcmp.pipelines", "pipeline")


def register_pipeline(name: str, family: str, summary: str, flat: bool = False):
    """Decorator: add a pipeline factory to the registry under `name`; `flat` for a single
    step whose params a config gives flat (the networks)."""

    def wrap(build: Callable[[], Pipeline]) -> Callable[[], Pipeline]:
        PIPELINES[name] = PipelineSpec(name, canonical(family) or family, summary, build, flat)
        return build

    return wrap


def svm_pipeline(step: str, features: BaseEstimator, standardise: bool = True) -> Pipeline:
    # The scaler sits inside the pipeline, so it is fitted on training data only.
    scaler = Standardiser(with_mean=standardise, with_std=standardise)
    return Pipeline([(step, features), ("scaler", scaler), ("svm", SVM())])


# Pixels and edge responses share one unit across dimensions, and SVC's gamma='scale' already
# adapts to their overall spread. Standardising them blows up near-constant pixels (borders,
# backgrounds) to unit variance: measured on scenes, seeds 0-2, raw_svm 0.632 -> 0.702 and
# edges_svm 0.395 -> 0.449 without it; published raw-pixel SVMs use [0, 1] pixels as well.
# Their scaler is the identity by default; `scaler: {with_mean: true, with_std: true}` turns
# standardisation on.
#
# Pixel and edge vectors grow with the image area, and a kernel SVM's time with their width:
# images with a side over MAX_SIZE are averaged down by a whole factor first (96 px photos to
# 48 px: 27,648 -> 6,912 dims in RGB), as the CNN's input is. Digits, MNIST, CIFAR and faces
# (62x47) are below it and keep their features; `max_size: 0` turns the bound off.
MAX_SIZE = 64


@register_pipeline("raw_svm", HAND_CRAFTED, "flattened pixels -> SVM (scaler off by default)")
def raw_svm() -> Pipeline:
    return svm_pipeline("raw", RawPixels(max_size=MAX_SIZE), standardise=False)


@register_pipeline(
    "edges_svm", HAND_CRAFTED, "hand-coded edge kernel (8/-1, Sobel) -> SVM (scaler off by default)"
)
def edges_svm() -> Pipeline:
    return svm_pipeline("edges", EdgeFeatures(max_size=MAX_SIZE), standardise=False)


# HOG's cells follow the working image size unless the config sets them ('auto': 4 px cells
# below 64 px, as featcmp always used on digits and CIFAR, then doubling with the shorter
# side), so a folder of large photos gets a descriptor of bounded width, not 4 px cells.
@register_pipeline("hog_svm", HAND_CRAFTED, "histogram of oriented gradients -> scaler -> SVM")
def hog_svm() -> Pipeline:
    return svm_pipeline("hog", HOGFeatures(pixels_per_cell=AUTO))


@register_pipeline(
    "sift_bovw_svm",
    HAND_CRAFTED,
    "dense SIFT -> k-means visual words -> pyramid histogram -> scaler -> SVM",
)
def sift_bovw_svm() -> Pipeline:
    return svm_pipeline("sift", SIFTBagOfWords())


# Scattering coefficients grow with the image area (81 per position at J=2, L=8, order 2):
# images past MAX_SIZE are averaged down first, as raw pixels are. An RBF SVM on the
# standardised log-scattering, as Oyallon and Mallat's Gaussian SVM.
@register_pipeline(
    "scattering_svm",
    HAND_CRAFTED,
    "wavelet scattering (fixed Morlet wavelets, modulus, averaging) -> scaler -> SVM",
)
def scattering_svm() -> Pipeline:
    from featcmp.features.scattering import ScatteringFeatures  # torch loads only when used

    return svm_pipeline("scattering", ScatteringFeatures(max_size=MAX_SIZE))


@register_pipeline(
    "kernels_svm", HAND_CRAFTED, "bank of blur/sharpen/edge kernels, grid-pooled -> scaler -> SVM"
)
def kernels_svm() -> Pipeline:
    return svm_pipeline("bank", KernelBankFeatures())


@register_pipeline(
    "kmeans_svm",
    UNSUPERVISED,
    "whitened patches -> k-means dictionary, triangle code, quadrant sums -> scaler -> linear SVM",
)
def kmeans_svm() -> Pipeline:
    pipe = svm_pipeline("kmeans", KMeansFeatures())
    # Coates et al. (2011) classify the 4 x n_centroids code with a linear SVM.
    return pipe.set_params(svm__kernel="linear")


@register_pipeline(
    "random_cnn_svm",
    FIXED_RANDOM,
    "the cnn's network with its kernels frozen at their seeded initialisation -> scaler -> SVM",
)
def random_cnn_svm() -> Pipeline:
    from featcmp.models.random_features import RandomCNNFeatures

    return svm_pipeline("random_cnn", RandomCNNFeatures())


# A network trained on other data, frozen: its pooled features standardised for the RBF SVM
# (Kornblith et al. 2019 fit a logistic regression on them; the SVM keeps the comparison's
# classifier). The backbone has no default: `backbone: {model: PATH}` or `{file: PATH.pt2}`.
@register_pipeline(
    "transfer_svm",
    ELSEWHERE,
    "a frozen network trained elsewhere (saved featcmp cnn, torch export) -> scaler -> SVM",
)
def transfer_svm() -> Pipeline:
    from featcmp.models.transfer import TransferFeatures

    return svm_pipeline("backbone", TransferFeatures())


@register_pipeline(
    "cnn",
    END_TO_END,
    "convolutional network, kernels learned by backpropagation (init_from: fine-tuned)",
    flat=True,
)
def cnn() -> Pipeline:
    from featcmp.models.nets import CNNClassifier  # torch loads only when a network is used

    return Pipeline([("cnn", CNNClassifier())])


@register_pipeline(
    "mlp",
    END_TO_END,
    "dense feed-forward network on raw pixels (every unit sees every pixel)",
    flat=True,
)
def mlp() -> Pipeline:
    from featcmp.models.nets import MLPClassifier

    return Pipeline([("mlp", MLPClassifier())])


def check_plugin_pipeline(name: str, spec: Any) -> None:
    """What every built-in pipeline satisfies: a spec of a known family whose factory builds
    a Pipeline that passes `build_pipeline`'s checks with its default parameters."""
    if not isinstance(spec, PipelineSpec):
        raise ConfigError("not registered with featcmp.pipelines.register_pipeline")
    if spec.family not in BY_NAME:
        known = ", ".join(f"'{f}'" for f in BY_NAME)
        raise ConfigError(f"family must be one of {known}, got '{spec.family}'")
    if not isinstance(spec.build(), Pipeline):
        raise ConfigError("its factory must return a sklearn.pipeline.Pipeline")
    build_pipeline(name)


PIPELINES.check = check_plugin_pipeline


# scikit-learn's own steps in our pipelines (the scaler: its StandardScaler, fitted in row
# chunks), declared here so the one validator checks them.
declare_foreign(
    Standardiser,
    with_mean=Param(bool, True, "centre each feature on its training mean"),
    with_std=Param(bool, True, "scale each feature to unit training variance"),
    copy=Param(bool, True, "scale a copy, not the input array in place"),
)


def _step_params(spec: PipelineSpec, pipe: Pipeline, params: Any, where: str) -> dict:
    """YAML params as `step__param` keys, every step checked by `check_params` (names,
    types, ranges, choices, then its cross-field rules over all its values)."""
    if not isinstance(params, dict):
        raise ConfigError(f"{where}.params: expected a mapping, got {type(params).__name__}")
    steps = dict(pipe.steps)
    grouped = {pipe.steps[0][0]: params} if spec.flat else params
    for step_name in grouped:
        if step_name not in steps:
            raise ConfigError(
                f"unknown key '{where}.params.{step_name}'{did_you_mean(str(step_name), steps)}; "
                f"steps of {spec.name}: {', '.join(steps)}"
            )
    flat: dict[str, Any] = {}
    for step_name, step in pipe.steps:
        values = grouped.get(step_name, {})
        prefix = where + ".params" + ("" if spec.flat else f".{step_name}")
        if not isinstance(values, dict):
            raise ConfigError(f"{prefix}: expected a mapping of parameters, got {values!r}")
        declared, rules = declarations(step)
        current = step.get_params(deep=False)
        checked = check_params(declared, rules, values, prefix, current=current)
        flat.update({f"{step_name}__{key}": value for key, value in checked.items()})
    return flat


def build_pipeline(
    name: str, params: dict[str, Any] | None = None, where: str = "pipeline"
) -> Pipeline:
    """A fresh Pipeline for a registry name and its YAML params, validated once, here, by the
    declarations of its steps (`featcmp.config.params`). Errors carry the key path."""
    if name not in PIPELINES:
        raise ConfigError(f"{where}: {unknown_name('pipeline', name, PIPELINES)}")
    spec = PIPELINES[name]
    pipe = spec.build()
    return pipe.set_params(**_step_params(spec, pipe, params or {}, where))


def feature_dim(pipe: Pipeline) -> int:
    """Width of the representation the final classifier sees (learned or hand-crafted)."""
    last = pipe.steps[-1][1]
    if hasattr(last, "feature_dim_"):
        return int(last.feature_dim_)
    return int(last.n_features_in_)


def learned_params(pipe: Pipeline) -> int:
    """Parameters fitted by the classifier (torch weights; SVM dual or primal coefficients)."""
    last = pipe.steps[-1][1]
    if hasattr(last, "n_params_"):
        return int(last.n_params_)
    est = getattr(last, "estimator_", last)
    if hasattr(est, "dual_coef_"):
        return int(np.size(est.dual_coef_) + np.size(est.intercept_))
    return int(np.size(est.coef_) + np.size(est.intercept_))
