"""The control rung: the `cnn` pipeline's network with its kernels left at their seeded
initialisation, as a fixed feature extractor for the SVM.

Only the classifier on top is trained, so what separates this rung from `cnn` is the learning of
the kernels, not the architecture: the same `build_module`, the same architecture parameters and
defaults, the same seeding (the conv kernels equal those `cnn` starts its training from). The
features are the network's pooled maps, flattened: the input of its dense head. Batch norm stays
at its initial statistics (the identity), so nothing here is fitted to the data.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from torch import nn

from featcmp.config.params import Declared, declare
from featcmp.costs import ExtractionCost, network_size
from featcmp.devices import resolve_device
from featcmp.features.base import ImageTransformer
from featcmp.models.nets import CNNClassifier
from featcmp.models.torch_state import seeded_threads
from featcmp.models.training import TorchClassifier, images_to_tensor, net_input_shape

# Of the cnn's parameters, those of its dense head and its training do not apply to frozen
# features; the architecture's, the device and the seed do.
HEAD_ONLY = ("hidden", "dropout")
KEPT_FROM_TRAINING = ("device", "seed")
# Images in [0, 1] mapped to about unit spread by a fixed map (the cnn standardises with the
# training set's statistics; a fixed map keeps this extractor free of anything fitted).
CENTRE, SPREAD = 0.5, 0.25


class RandomCNNFeatures(Declared, ImageTransformer):
    """Pooled maps of the cnn's network with frozen, seeded random kernels.

    Attributes
    ----------
    module_ : torch.nn.Module
        The network up to its dense head, frozen (no parameter requires a gradient).
    initial_state_ : dict of str to tensor
        A copy of its parameters as initialised: fitting and transforming never change them.
    """

    PARAMS = declare(
        **{k: p for k, p in CNNClassifier.PARAMS.items() if k not in HEAD_ONLY},
        **{k: TorchClassifier.PARAMS[k] for k in KEPT_FROM_TRAINING},
    )
    RULES = CNNClassifier.RULES
    learns_from_data = False  # seeded random kernels: the seed is among the params
    label = "random cnn features"
    chunk_size = 256
    # Seconds per forward multiply-add (`work_units`), from one `configs/ladder.yaml` run on 2
    # shared cores (3.9 s with its SVC; BENCHMARKS.md, "The ladder"): one point, so rough.
    cost = ExtractionCost(4.1e-11, 6.0e-10, loads_torch=True)

    def work_units(self, image_shape: tuple[int, ...]) -> tuple[float, float]:
        return network_size(self.network(), image_shape, 2)[0], 0.0

    def network(self) -> CNNClassifier:
        """The cnn these features come from, without its dense head."""
        arch = {k: getattr(self, k) for k in self.declared_params()}
        return CNNClassifier(**arch, hidden=0, dropout=0.0)

    def check_geometry(self, image_shape: tuple[int, ...]) -> None:
        self.network().check_geometry(image_shape)

    def choices(self, image_shape: tuple[int, ...]) -> dict:
        return self.network().choices(image_shape)

    def fit(self, X, y=None):
        X = self._prepare(X)
        self.image_shape_ = X.shape[1:]
        self.device_ = resolve_device(self.device)
        net = self.network()
        with seeded_threads(self.seed, self.device_):
            full = net.build_module(net_input_shape(X.shape[1:]), 2)
        head = full[-1]
        assert isinstance(head, nn.Linear)
        self.feature_dim_ = head.in_features
        self.module_ = full[:-2].to(self.device_)  # without the dropout and output layer
        self.module_.train(False)  # batch norm at its initial statistics
        self.module_.requires_grad_(False)
        self.initial_state_ = {k: v.clone() for k, v in self.module_.state_dict().items()}
        return self

    def transform(self, X) -> np.ndarray:
        check_is_fitted(self, "module_")
        return super().transform(X)

    @torch.no_grad()
    def _transform_batch(self, X: np.ndarray) -> np.ndarray:
        x = (images_to_tensor(X) - CENTRE) / SPREAD
        with seeded_threads(self.seed, self.device_):
            out = self.module_(x.to(self.device_))
        return out.float().cpu().numpy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        return tags
