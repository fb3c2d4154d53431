"""Our batched 2-D wavelet scattering in torch, equal to Kymatio's `Scattering2D` (float32).

Kymatio's own filters (`kymatio.scattering2d.filter_bank`, Morlet wavelets and a Gaussian
low-pass, built in the Fourier domain at the padded size) and its cascade, computed another way:

- all L orientations of a scale, and every image and channel of a chunk, in one tensor op;
- a wavelet product is periodized (summed over its k x k aliases: the subsampling by k) in
  the Fourier domain before its inverse FFT, as Kymatio does, on real views of the spectra;
- each first-order modulus is transformed once and reused by every second-order scale;
- the low-pass phi_J, its subsampling to 2**-J and the unpadding are one real linear map of a
  modulus map; Kymatio's phi is a Gaussian, so that map is separable: two small matrix
  products in space (rows, then columns; one with their Kronecker product on small maps)
  instead of an FFT, a product and an inverse FFT;
- on a CPU, small chunks (cache-sized), buffers reused, and one thread per core each taking
  whole chunks.

The output is Kymatio's: (n, 1 + J L [+ L^2 J (J - 1) / 2], H_out, W_out) per channel image,
the paths in its order (order 0; order 1 by scale then angle; order 2 by (j1, theta1, j2,
theta2)). It runs on whatever device its tensors are on, so CUDA takes the same code.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

# Kymatio's phi is exactly separable in exact arithmetic; a second singular value above this
# (relative) would mean a filter bank this code was not written for.
SEPARABLE_TOL = 1e-6
# Channel images per pass through the cascade (see ScatteringTorch).
CPU_CHUNK, GPU_CHUNK = 16, 1024
# The low-pass is one Kronecker product while that costs at most this many times the
# multiply-adds of the two separable products.
KRON_RATIO = 8


def n_coefficients(J: int, L: int, max_order: int) -> int:
    """Scattering coefficients per channel and position: 1 + J L (+ L^2 J (J - 1) / 2)."""
    first = 1 + J * L
    return first if max_order == 1 else first + L * L * J * (J - 1) // 2


def padded_side(side: int, J: int) -> int:
    """The side Kymatio pads an image to: past 2**J on each border, a multiple of 2**J."""
    return ((side + 2**J) // 2**J + 1) * 2**J


def reflect_index(side: int, before: int, after: int) -> np.ndarray:
    """Source index of each padded position under symmetric reflection (edge not repeated),
    what Kymatio's padding gives, including its fix for a pad as wide as the image."""
    pos = np.arange(-before, side + after)
    period = 2 * (side - 1)
    pos = np.mod(pos, period)
    return np.where(pos >= side, period - pos, pos)


@dataclass
class LowPass:
    """phi at one resolution, subsampled to 2**-J and unpadded: rows @ U @ cols^T.

    For small maps as one matrix product of the flattened map with the Kronecker product of
    the two (more arithmetic, but one well-shaped product runs faster than two thin ones)."""

    rows: torch.Tensor  # (H_out, h)
    cols_t: torch.Tensor  # (w, W_out)
    kron: torch.Tensor | None  # (h w, H_out W_out), or None: the two products

    def __call__(self, U: torch.Tensor) -> torch.Tensor:
        """(..., h, w) real maps -> (..., H_out, W_out)."""
        if self.kron is None:
            return self.rows @ (U @ self.cols_t)
        out = U.reshape(-1, self.kron.shape[0]) @ self.kron
        return out.view(*U.shape[:-2], len(self.rows), self.cols_t.shape[1])


@dataclass
class ScatteringTorch:
    """The scattering of (n, H, W) float32 images, built once per shape, J, L, order, device.

    `chunk` channel images go through the cascade at a time: on a CPU few enough that the
    second order's products stay in cache, on a GPU enough to fill it.
    """

    shape: tuple[int, int]
    J: int
    L: int
    max_order: int
    device: torch.device
    chunk: int = 0  # 0: by device
    psi1: list[torch.Tensor] = field(init=False)  # per j1: (L, 4**j1, ...) (see `filters`)
    psi2: dict[tuple[int, int], torch.Tensor] = field(init=False)  # (j1, j2): at res j1
    low: list[LowPass] = field(init=False)  # per resolution 0..J-1
    pad_rows: torch.Tensor = field(init=False)
    pad_cols: torch.Tensor = field(init=False)

    def __post_init__(self) -> None:
        import torch
        from kymatio.scattering2d.filter_bank import filter_bank

        J = self.J
        (M, N), Mp, Np = self.shape, padded_side(self.shape[0], J), padded_side(self.shape[1], J)
        bank = filter_bank(Mp, Np, J, self.L)
        if not self.chunk:
            self.chunk = CPU_CHUNK if self.device.type == "cpu" else GPU_CHUNK

        def filters(scale: int, res: int) -> torch.Tensor:
            """The wavelets of one scale at resolution `res`, periodized by 2**(scale - res)
            after the product: (L, aliases, h, w, 2) float32, one value for the real and the
            imaginary part.

            Two constants ride on them (a wavelet product is linear): Kymatio's mean over the
            aliases when it periodizes the product (1/k^2) and the inverse FFT's 1/size at
            the periodized size: together 1 / (size at `res`)."""
            levels = [p["levels"][res] for p in bank["psi"] if p["j"] == scale]
            f = np.stack(levels).astype(np.float64) * (4.0**res / (Mp * Np))
            t = torch.from_numpy(f.astype(np.float32))[..., None].expand(*f.shape, 2)
            return blocks(t, 2 ** (scale - res)).contiguous().to(self.device)

        self.psi1 = [filters(j1, 0) for j1 in range(J)]
        self.psi2 = {(j1, j2): filters(j2, j1) for j2 in range(J) for j1 in range(j2)}
        self.low = [self._low_pass(level, res) for res, level in enumerate(bank["phi"]["levels"])]
        top, left = (Mp - M) // 2, (Np - N) // 2
        self.pad_rows = torch.from_numpy(reflect_index(M, top, Mp - M - top)).to(self.device)
        self.pad_cols = torch.from_numpy(reflect_index(N, left, Np - N - left)).to(self.device)

    def _low_pass(self, phi: np.ndarray, res: int) -> LowPass:
        """Kymatio's low-pass of a real map at resolution `res` (FFT, times phi, periodize by
        2**(J - res), inverse FFT, real part, drop one border pixel) as a separable map.

        The real part of the inverse FFT of U's spectrum times phi is U circularly convolved
        with g = Re(ifft2(phi)); periodizing the spectrum by k samples that at multiples of k.
        """
        import torch

        h, w = phi.shape
        k = 2 ** (self.J - res)
        g = np.fft.ifft2(phi.astype(np.float64)).real
        u, s, vt = np.linalg.svd(g)
        if s[1] > SEPARABLE_TOL * s[0]:
            raise RuntimeError(f"scattering low-pass is not separable ({s[1] / s[0]:.2g})")
        a, b = u[:, 0] * np.sqrt(s[0]), vt[0] * np.sqrt(s[0])
        # Output m (after unpadding) sits at k (m + 1); it sums U[p] g[(k (m + 1) - p) mod h].
        rows = a[(k * (np.arange(h // k - 2)[:, None] + 1) - np.arange(h)) % h]
        cols = b[(k * (np.arange(w // k - 2)[:, None] + 1) - np.arange(w)) % w]

        def tensor(m: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(np.ascontiguousarray(m, np.float32)).to(self.device)

        separable = h * w * len(cols) + len(rows) * h * len(cols)
        small = h * w * len(rows) * len(cols) <= KRON_RATIO * separable
        kron = tensor(np.kron(rows, cols).T) if small else None
        return LowPass(tensor(rows), tensor(cols.T), kron)

    @property
    def out_shape(self) -> tuple[int, int]:
        return tuple(padded_side(side, self.J) // 2**self.J - 2 for side in self.shape)  # type: ignore[return-value]

    @property
    def n_paths(self) -> int:
        return n_coefficients(self.J, self.L, self.max_order)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """(n, H, W) float32 on this device -> (n, paths, H_out, W_out)."""
        import torch

        out = x.new_empty((len(x), self.n_paths, *self.out_shape))
        starts = range(0, len(x), self.chunk)
        workers = min(len(starts), torch.get_num_threads()) if x.device.type == "cpu" else 1

        def run(part: range) -> None:
            space = Workspace(x.device)
            with torch.no_grad():  # grad mode is per thread
                for start in part:
                    end = start + self.chunk
                    self._scatter(x[start:end], out[start:end], space)

        if workers <= 1:
            run(starts)
            return out
        # On a CPU the chunks are too small for torch to split each operation well across
        # cores: each core takes every workers-th chunk, one torch thread each.
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(run, [starts[i::workers] for i in range(workers)]))
        finally:
            torch.set_num_threads(before)
        return out

    def _scatter(self, x: torch.Tensor, out: torch.Tensor, space: Workspace) -> None:
        """The cascade of one chunk, written into its rows of `out`."""
        import torch

        n, (J, L) = len(x), (self.J, self.L)
        xp = x.index_select(1, self.pad_rows).index_select(2, self.pad_cols)
        out[:, 0] = self.low[0](xp)
        X = torch.fft.fft2(xp)[:, None]  # (n, 1, H_p, W_p)
        second = 1 + J * L  # where order 2 starts
        for j1 in range(J):
            U1 = modulus_of_filtered(X, self.psi1[j1], space, f"1.{j1}")  # (n, L, h, w)
            out[:, 1 + j1 * L : 1 + (j1 + 1) * L] = self.low[j1](U1)
            later = J - 1 - j1  # the scales j2 > j1
            if self.max_order < 2 or later == 0:
                continue
            U1_hat = real_spectrum(U1, space, f"1.{j1}")[:, :, None]  # (n, L, 1, h, w), once
            block = out[:, second : second + L * later * L].view(n, L, later, L, *self.out_shape)
            for j2 in range(j1 + 1, J):
                U2 = modulus_of_filtered(U1_hat, self.psi2[j1, j2], space, f"2.{j1}.{j2}")
                block[:, :, j2 - j1 - 1] = self.low[j2](U2)
            second += L * later * L


def modulus_of_filtered(
    X_hat: torch.Tensor, psi: torch.Tensor, space: Workspace, name: str
) -> torch.Tensor:
    """|ifft2(periodize_k(X_hat * psi))| for every filter: (..., 1, h, w) complex spectra and
    (L, k^2, h/k, w/k, 2) real filters cut into their k x k alias blocks (see `blocks`; the
    mean over aliases and the inverse FFT's 1/size folded in) -> (..., L, h/k, w/k) real."""
    import torch

    n_blocks, hk, wk = psi.shape[1:4]
    X = blocks(torch.view_as_real(X_hat), math.isqrt(n_blocks))  # (..., 1, k^2, hk, wk, 2)
    shape = (*X.shape[:-5], len(psi), hk, wk)
    Z = space.get(name + "Z", (*shape, 2), X.dtype)
    # Periodizing sums the aliases of the product: one multiply-add per alias block, on
    # contiguous blocks, so the full-size product is never written.
    torch.mul(X[..., 0, :, :, :], psi[:, 0], out=Z)
    for b in range(1, n_blocks):
        Z.addcmul_(X[..., b, :, :, :], psi[:, b])
    V = torch.fft.ifft2(torch.view_as_complex(Z), norm="forward")
    R = torch.view_as_real(V).square_()
    return torch.add(R[..., 0], R[..., 1], out=space.get(name + "U", shape, X.dtype)).sqrt_()


def blocks(X: torch.Tensor, k: int) -> torch.Tensor:
    """(..., h, w, 2) -> (..., k^2, h/k, w/k, 2): the k x k alias blocks of a spectrum, each
    contiguous (block (a, b) holds rows a h/k .. (a + 1) h/k and the same for columns)."""
    h, w = X.shape[-3:-1]
    if k == 1:
        return X.unsqueeze(-4)
    split = X.reshape(*X.shape[:-3], k, h // k, k, w // k, 2).transpose(-4, -3)
    return split.reshape(*X.shape[:-3], k * k, h // k, w // k, 2)


def real_spectrum(U: torch.Tensor, space: Workspace, name: str) -> torch.Tensor:
    """fft2 of real maps (..., h, w), the whole spectrum: the half from rfft2, the other half
    its conjugate mirror (torch's fft2 of a real tensor first copies it to complex, slowly)."""
    import torch

    h, w = U.shape[-2:]
    half = torch.fft.rfft2(U)  # (..., h, w // 2 + 1)
    full = space.get(name + "F", (*U.shape[:-2], h, w), half.dtype)
    full[..., : w // 2 + 1] = half
    # X[r, c] = conj(X[-r, -c]): the columns past w/2 mirror columns w/2 - 1 .. 1, rows r -> -r.
    mirror = half[..., 1 : (w + 1) // 2].flip(-1, -2).conj()  # rows h-1 .. 0
    full[..., 1:, w // 2 + 1 :] = mirror[..., :-1, :]
    full[..., 0, w // 2 + 1 :] = mirror[..., -1, :]
    return full


class Workspace:
    """Buffers reused from chunk to chunk: profiled on a CPU, the first multiply of a product
    into a fresh buffer each chunk took about 3x as long as the multiply-adds into it."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.buffers: dict[str, torch.Tensor] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        import torch

        buf = self.buffers.get(name)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = self.buffers[name] = torch.empty(shape, dtype=dtype, device=self.device)
        return buf
