"""A one-vs-rest linear L2-SVM trained by minibatch Adam in torch, for tens of thousands of
samples x thousands of kernel features.

The objective is LinearSVC's default (squared hinge, one-vs-rest), scaled by 1/(C n):
    mean_i sum_k max(0, 1 - y_ik (w_k . x_i + b_k))^2 + 1/(2 C n) |W|^2.
scikit-learn's SGDClassifier walks the samples one at a time per class in Cython; here each
step is one BLAS product over a batch for all classes at once, which is what makes thousands
of Nystroem components affordable at 60k images. The gradient is written out (no autograd).
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin

from featcmp.config.params import AT_LEAST_ONE, POSITIVE, Param, declare
from featcmp.devices import resolve_device
from featcmp.models.kernel_map import TorchStep, as_tensor


class TorchLinearSVM(TorchStep, ClassifierMixin, BaseEstimator):
    """Linear SVM (squared hinge, one-vs-rest) by minibatch Adam with a one-cycle schedule."""

    PARAMS = declare(
        C=Param(float, 10.0, "inverse regularisation, as in LinearSVC", range=POSITIVE),
        epochs=Param(int, 15, "passes over the training set", range=AT_LEAST_ONE),
        batch_size=Param(int, 256, "samples per step", range=AT_LEAST_ONE),
        lr=Param(float, 0.02, "peak Adam learning rate of the one-cycle schedule", range=POSITIVE),
    )

    def fit(self, X, y):
        X = as_tensor(X, resolve_device(self.device))
        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        n, d = X.shape
        n_out = len(self.classes_)
        targets = -torch.ones(n, n_out, device=X.device)
        targets[torch.arange(n), torch.from_numpy(codes).to(X.device)] = 1.0
        W = torch.zeros(d, n_out, device=X.device)
        b = torch.zeros(n_out, device=X.device)
        lam = 1.0 / (self.C * n)
        opt = torch.optim.Adam([W, b], lr=self.lr)
        steps_per_epoch = -(-n // self.batch_size)
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=self.lr, total_steps=self.epochs * steps_per_epoch
        )
        gen = torch.Generator().manual_seed(self.random_state)
        for _ in range(self.epochs):
            order = torch.randperm(n, generator=gen).to(X.device)
            for start in range(0, n, self.batch_size):
                idx = order[start : start + self.batch_size]
                xb, tb = X[idx], targets[idx]
                slack = (1.0 - tb * torch.addmm(b, xb, W)).clamp_(min=0.0)
                d_out = slack.mul_(tb).mul_(-2.0 / len(idx))  # d(mean squared hinge)/d(out)
                W.grad = torch.addmm(W, xb.T, d_out, beta=lam)
                b.grad = d_out.sum(0)
                opt.step()
                schedule.step()
        self.coef_ = W.T.cpu().numpy()
        self.intercept_ = b.cpu().numpy()
        self.n_features_in_ = d
        return self

    def decision_function(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        scores = X.reshape(len(X), -1) @ self.coef_.T + self.intercept_
        return scores[:, 1] - scores[:, 0] if len(self.classes_) == 2 else scores

    def predict(self, X) -> np.ndarray:
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]
