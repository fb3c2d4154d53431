"""Nystroem features of the RBF kernel in the landmarks' eigenbasis, computed in torch.

phi(x) = k(x, landmarks) U S^(-1/2), with K_landmarks = U S U^T, so that
phi(x) . phi(x') approximates k(x, x'). scikit-learn's Nystroem gives the same inner products
through a full SVD and a symmetric m x m normalisation; the eigendecomposition is several times
cheaper, and the eigenbasis makes the coordinates uncorrelated, which lets a per-coordinate
optimiser (Adam, in `TorchLinearSVM`) train the linear SVM on top quickly. Directions whose
eigenvalue is below `rcond` of the largest carry only rounding noise and are dropped.

`with_linear` appends the input itself, over sqrt(d), to the map: inner products then
approximate x.x'/d + k(x, x'), a linear and a Gaussian kernel summed. On standardised
scattering coefficients (15,552 of them) 4,000 landmarks alone lose what a linear SVM on all
the coefficients keeps; the sum kept both (BENCHMARKS.md, "CIFAR-10 ladder").
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin

from featcmp.config.params import (
    AT_LEAST_ONE,
    NON_NEGATIVE,
    POSITIVE,
    Declared,
    Param,
    declare,
)
from featcmp.devices import DEVICE, resolve_device

CHUNK = 8192  # rows per kernel block: bounds the temporary n x m distance matrix


def rbf_kernel(a: torch.Tensor, b: torch.Tensor, gamma: float) -> torch.Tensor:
    """exp(-gamma |a_i - b_j|^2) through one matrix product (the expanded square)."""
    sq = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    return torch.exp(sq.clamp_(min=0.0).mul_(-gamma))


def as_tensor(X, device: torch.device) -> torch.Tensor:
    """(n, d) float32 tensor on `device`; n-dimensional inputs are flattened per sample."""
    X = np.asarray(X, dtype=np.float32).reshape(len(X), -1)
    return torch.from_numpy(np.ascontiguousarray(X)).to(device)


class TorchStep(Declared):
    """What the torch-side steps of the SVM's scale path share: a seed and a device."""

    PARAMS = declare(
        random_state=Param(int, 0, "seed of its random draws", range=NON_NEGATIVE),
        device=replace(DEVICE, default="cpu"),
    )


class NystroemMap(TorchStep, TransformerMixin, BaseEstimator):
    """RBF-kernel features from `n_components` training landmarks (float32, torch)."""

    PARAMS = declare(
        gamma=Param(float, 1.0, "RBF width, exp(-gamma |x - x'|^2)", range=POSITIVE),
        n_components=Param(
            int, 1000, "landmarks drawn at random from the training set", range=AT_LEAST_ONE
        ),
        rcond=Param(
            float, 1e-5, "eigenvalues below rcond x the largest are dropped", range=NON_NEGATIVE
        ),
        with_linear=Param(bool, False, "append the input over sqrt(d): kernel x.x'/d + rbf"),
    )

    def fit(self, X, y=None):
        device = resolve_device(self.device)
        X = as_tensor(X, device)
        gen = torch.Generator().manual_seed(self.random_state)
        pick = torch.randperm(len(X), generator=gen)[: min(self.n_components, len(X))]
        self.landmarks_ = X[pick.to(device)]
        gram = rbf_kernel(self.landmarks_, self.landmarks_, self.gamma)
        eigvals, eigvecs = torch.linalg.eigh(gram)
        keep = eigvals > eigvals.max() * self.rcond
        self.normalization_ = eigvecs[:, keep] / eigvals[keep].sqrt()
        self.n_features_in_ = X.shape[1]
        self.n_components_ = int(keep.sum()) + (X.shape[1] if self.with_linear else 0)
        return self

    def transform(self, X) -> np.ndarray:
        X = as_tensor(X, self.landmarks_.device)
        # Filled in place: a list of blocks and their concatenation would hold the map twice.
        features = np.empty((len(X), self.n_components_), dtype=np.float32)
        for i in range(0, len(X), CHUNK):
            features[i : i + CHUNK] = self._map(X[i : i + CHUNK]).cpu().numpy()
        return features

    def _map(self, X: torch.Tensor) -> torch.Tensor:
        mapped = rbf_kernel(X, self.landmarks_, self.gamma) @ self.normalization_
        if not self.with_linear:
            return mapped
        return torch.cat([X / np.sqrt(X.shape[1]), mapped], dim=1)
