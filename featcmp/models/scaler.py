"""The hand-crafted pipelines' scaler: scikit-learn's StandardScaler, fitted in row chunks.

StandardScaler's fit takes the variance through a float64 temporary the size of the features,
twice the float32 matrix: on a wide scale-path job that temporary is the job's peak (k-means'
50,000 x 28,800 features on CIFAR-10 are 5.8 GB; the temporary 11.5 GB). Here the mean and
the variance accumulate in float64 over chunks of rows, two passes (the mean, then squared
deviations from it, as the two-pass formula keeps precision), so fitting allocates a chunk.
Everything else, transform included, is scikit-learn's.
"""

from __future__ import annotations

import numpy as np
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import FLOAT_DTYPES, validate_data

# Float64 values per chunk of rows (8 MB): small next to any matrix worth chunking.
CHUNK_VALUES = 1 << 20


class Standardiser(StandardScaler):
    """StandardScaler whose fit on a dense matrix allocates no copy of it (same attributes:
    `mean_`, `var_`, `scale_`, `n_samples_seen_`; a sparse matrix or sample weights take
    scikit-learn's own fit)."""

    def fit(self, X, y=None, sample_weight=None):
        if sample_weight is not None or hasattr(X, "tocsr"):
            return super().fit(X, y, sample_weight)
        X = validate_data(self, X, reset=True, dtype=FLOAT_DTYPES, ensure_all_finite=True)
        n, d = X.shape
        self.n_samples_seen_ = n
        self.mean_ = self.var_ = self.scale_ = None
        if not (self.with_mean or self.with_std):  # the identity (raw_svm's default): no pass
            return self
        rows = max(1, CHUNK_VALUES // max(d, 1))
        chunks = [slice(s, s + rows) for s in range(0, n, rows)]
        mean = np.zeros(d)
        for part in chunks:
            mean += X[part].sum(axis=0, dtype=np.float64)
        self.mean_ = mean = mean / n
        if self.with_std:
            squares = np.zeros(d)
            for part in chunks:
                deviations = X[part] - mean
                squares += np.square(deviations, out=deviations).sum(axis=0)
            self.var_ = squares / n
            self.scale_ = np.where(constant(self.var_, mean, n), 1.0, np.sqrt(self.var_))
        return self


def constant(var: np.ndarray, mean: np.ndarray, n: int) -> np.ndarray:
    """Features whose variance is within float64 rounding of zero, which scikit-learn leaves
    unscaled (its bound on the error of the computed variance)."""
    eps = np.finfo(np.float64).eps
    return var <= n * eps * var + (n * mean * eps) ** 2
