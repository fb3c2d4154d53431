"""The fixed random rung: the cnn's network, kernels frozen at their seeded initialisation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from featcmp.data.scenes import generate_scenes
from featcmp.models.nets import CNNClassifier
from featcmp.models.random_features import RandomCNNFeatures
from featcmp.models.torch_state import seeded_threads
from featcmp.models.training import TorchClassifier
from featcmp.pipelines import build_pipeline

SMALL = dict(channels=(4, 8), device="cpu")


@pytest.fixture(scope="module")
def scenes() -> tuple[np.ndarray, np.ndarray]:
    X, y, _ = generate_scenes(n_per_class=8, size=32, rgb=True, seed=0)
    return X, y


def kernels(module: nn.Module) -> list[torch.Tensor]:
    return [m.weight.detach().cpu().clone() for m in module.modules() if isinstance(m, nn.Conv2d)]


def test_declares_the_cnn_architecture_without_head_or_training() -> None:
    declared = RandomCNNFeatures.declared_params()
    architecture = set(CNNClassifier.PARAMS) - {"hidden", "dropout"}
    assert set(declared) == architecture | {"seed", "device"}
    assert all(declared[k] is CNNClassifier.PARAMS[k] for k in architecture)  # declared once
    assert declared["seed"] is TorchClassifier.PARAMS["seed"]


def test_frozen_kernels_equal_the_seeded_initialisation_and_do_not_change(scenes) -> None:
    X, y = scenes
    pipe = build_pipeline("random_cnn_svm", {"random_cnn": {**SMALL, "seed": 3}})
    pipe.fit(X, y)
    feats = pipe.named_steps["random_cnn"]
    pipe.predict(X)
    with seeded_threads(3, torch.device("cpu")):
        fresh = CNNClassifier(channels=(4, 8)).build_module((3, 32, 32), 4)
    after = kernels(feats.module_)
    assert len(after) == 2
    for a, b in zip(after, kernels(fresh), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    for name, value in feats.module_.state_dict().items():
        torch.testing.assert_close(value, feats.initial_state_[name], rtol=0, atol=0)
    assert not any(p.requires_grad for p in feats.module_.parameters())


def test_the_same_seed_gives_the_same_features(scenes) -> None:
    X, _ = scenes
    a = RandomCNNFeatures(**SMALL, seed=1).fit(X).transform(X)
    b = RandomCNNFeatures(**SMALL, seed=1).fit(X).transform(X)
    c = RandomCNNFeatures(**SMALL, seed=2).fit(X).transform(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_features_are_the_pooled_maps_the_cnn_head_takes(scenes) -> None:
    X, _ = scenes
    feats = RandomCNNFeatures(**SMALL).fit(X)
    F = feats.transform(X)
    assert F.shape == (len(X), feats.feature_dim_) == (len(X), 8 * 4 * 4)  # 4x4 pooled grid


def test_the_feature_cache_keys_frozen_features_by_their_seed(scenes) -> None:
    from featcmp.features.kmeans import KMeansFeatures
    from featcmp.run.cache import feature_key, learns_in_fit

    X, _ = scenes
    a, b = RandomCNNFeatures(seed=0), RandomCNNFeatures(seed=1)
    assert not learns_in_fit(a)  # seeded, not fitted: the key needs no training data ...
    assert feature_key(a, X) != feature_key(b, X)  # ... but its seed
    assert feature_key(a, X) == feature_key(RandomCNNFeatures(seed=0), X)
    assert learns_in_fit(KMeansFeatures())  # its dictionary: keyed by the data it saw


def test_dry_run_costs_the_frozen_network_with_torch_loaded(scenes) -> None:
    from featcmp.run.cost import BASE_BYTES, estimate_job

    X, _ = scenes
    pipe = build_pipeline("random_cnn_svm", {"random_cnn": SMALL})
    estimate = estimate_job(pipe, len(X), len(X), X, 4)
    assert estimate.fit_s > 0 and estimate.feature_dim == 8 * 4 * 4
    assert estimate.base_bytes > BASE_BYTES  # torch is imported for the network
