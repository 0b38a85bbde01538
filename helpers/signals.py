"""Carriers, DSB-SC, multi-carrier (FDM) and multi-carrier MIMO modulation (paper 001, section 2).

Wu et al. 2022 explain a CNN layer as a modulator that *shifts energy spectra*. This module builds
the signal-processing side of that analogy so the chapters can check every identity numerically:

* eq 1, ``c[n] = cos(2 pi fc n)``: :func:`carrier`
* eq 2, ``m[n] = x[n] c[n]``: :func:`dsb_sc`
* eq 3, ``EM(f) = 1/4 |X(f + fc) + X(f - fc)|^2``: :func:`dsb_sc_energy_closed_form`
* eqs 4-5, ``s[n] = sum_k x_k[n] cos(2 pi f_k n)``: :func:`multicarrier`
* eq 6, FDM ``M_p(f) M_q(f) = 0``: :func:`fdm_overlap` measures how far from it a signal is
* eq 7, ``ES(f) = sum_k EM_k(f)`` under FDM: :func:`multicarrier_energy_closed_form`
* eqs 8-11, ``r_q = sum_p h_qp s_p``: :func:`mimo`
* eq 12, ``ER_q(f) = sum_p h_qp^2 ES_p(f)``: :func:`mimo_energy_closed_form`

plus :func:`bandlimit` and :func:`occupied_band` to turn real audio into band-limited messages.

Conventions: tensors in, tensors out (NumPy arrays accepted); time is the last dimension;
frequencies are in cycles/sample; carriers need ``0 <= fc <= 1/2``. The closed forms work on the
DFT grid and return spectra in the unshifted order of ``torch.fft.fft`` (compare them with
``spectra.energy_spectrum(..., shift=False)``; pass ``shift=True`` to centre them for plots).
"""

from __future__ import annotations

import math
import numbers

import torch

from . import checks
from .spectra import energy_spectrum

__all__ = [
    "carrier",
    "dsb_sc",
    "dsb_sc_energy_closed_form",
    "multicarrier",
    "multicarrier_energy_closed_form",
    "fdm_overlap",
    "mimo",
    "mimo_energy_closed_form",
    "bandlimit",
    "occupied_band",
]

_GRID_TOL = 1e-9


# --------------------------------------------------------------------------------------------
# argument checks (private)
# --------------------------------------------------------------------------------------------
def _check_fc(fc, name: str = "fc") -> float:
    return checks.real(fc, name, minimum=0.0, maximum=0.5, note=" cycles/sample")


def _check_fcs(fcs, shape: tuple[int, ...], name: str = "fcs") -> torch.Tensor:
    """fcs as a float64 CPU tensor of the given shape, every entry in [0, 0.5]."""
    if (
        isinstance(fcs, numbers.Real)
        and not isinstance(fcs, bool)
        and len(shape) == 1
        and shape[0] == 1
    ):
        fcs = [fcs]
    f = checks.tensor(fcs, name, allow_complex=False).detach().to("cpu", torch.float64)
    if tuple(f.shape) != tuple(shape):
        raise ValueError(
            f"{name} must have shape {tuple(shape)} (one carrier per message), got {tuple(f.shape)}"
        )
    bad = (f < 0) | (f > 0.5)
    if bool(bad.any()):
        idx = tuple(int(i) for i in bad.nonzero()[0])
        where = idx[0] if len(idx) == 1 else idx
        raise ValueError(f"{name}[{where}] must be in [0, 0.5] cycles/sample, got {float(f[idx])}")
    return f


def _grid_index(fc: float, n: int, name: str = "fc") -> int:
    """``fc * n`` as an int, or ValueError when the carrier is not on the DFT grid."""
    k = fc * n
    if abs(k - round(k)) > _GRID_TOL:
        raise ValueError(
            f"{name} * N must be an integer (within {_GRID_TOL:g}) for the closed form on the "
            f"DFT grid: got {name}={fc!r}, N={n}, {name}*N={k!r}. The shifted spectra "
            f"X(f +- {name}) are only sampled by the N-point DFT when {name} = k/N; "
            f"pick {name} = round({name}*N)/N"
        )
    return int(round(k))


def _carriers(fcs: torch.Tensor, n: int, dtype: torch.dtype, device) -> torch.Tensor:
    """cos(2 pi f n) for every f in ``fcs`` (any shape) -> ``fcs.shape + (n,)``, computed in
    float64."""
    t = torch.arange(n, dtype=torch.float64)
    return torch.cos(2 * math.pi * fcs.to(torch.float64)[..., None] * t).to(
        dtype=dtype, device=device
    )


def _closed_form_sum(X: torch.Tensor, ks: torch.Tensor) -> torch.Tensor:
    """sum over the second-to-last dim of 1/4 |X_k(f+fc_k) + X_k(f-fc_k)|^2, via circular shifts.

    ``X``: (..., K, N) DFTs; ``ks``: (K,) integer carrier bins. ``X(f + fc)`` at bin m is
    ``X[(m + k) mod N]``; ``X(f - fc)`` is ``X[(m - k) mod N]``.
    """
    n = X.shape[-1]
    m = torch.arange(n, device=X.device)
    up = torch.remainder(m[None, :] + ks.to(X.device)[:, None], n)  # (K, N)
    down = torch.remainder(m[None, :] - ks.to(X.device)[:, None], n)
    up = up.expand(X.shape)
    down = down.expand(X.shape)
    Y = torch.gather(X, -1, up) + torch.gather(X, -1, down)
    return 0.25 * (Y.real.square() + Y.imag.square()).sum(dim=-2)


def _maybe_shift(E: torch.Tensor, shift) -> torch.Tensor:
    return torch.fft.fftshift(E, dim=-1) if checks.boolean(shift, "shift") else E


# --------------------------------------------------------------------------------------------
# single carrier: eqs 1-3
# --------------------------------------------------------------------------------------------
def carrier(length: int, fc: float, phase: float = 0.0, dtype=torch.float64) -> torch.Tensor:
    """Carrier ``c[n] = cos(2 pi fc n + phase)``, ``n = 0 .. length-1`` (Wu et al. 2022, eq 1).

    Args:
        length: number of samples N >= 1.
        fc: carrier frequency in cycles/sample, ``0 <= fc <= 0.5``.
        phase: phase offset in radians (eq 1 has ``phase = 0``).
        dtype: floating torch dtype of the result (computed in float64, then cast).

    Returns:
        Tensor ``(length,)``.
    """
    length = checks.integer(length, "length", note=" (number of samples)")
    fc = _check_fc(fc)
    phase = checks.real(phase, "phase")
    checks.floating_dtype(dtype)
    n = torch.arange(int(length), dtype=torch.float64)
    return torch.cos(2 * math.pi * fc * n + phase).to(dtype)


def dsb_sc(x, fc: float) -> torch.Tensor:
    """Double-sideband suppressed-carrier modulation ``m[n] = x[n] cos(2 pi fc n)`` (Wu et al. 2022,
    eq 2).

    Args:
        x: real message ``(..., N)``; time is the last dim, leading dims are a batch.
        fc: carrier frequency in cycles/sample, ``0 <= fc <= 0.5``.

    Returns:
        ``(..., N)`` modulated signal, dtype of ``x`` (float64 for integer input), device of ``x``.
    """
    x = checks.tensor(x, "x", allow_complex=False, min_ndim=1)
    fc = _check_fc(fc)
    return x * carrier(x.shape[-1], fc, dtype=x.dtype).to(x.device)


def dsb_sc_energy_closed_form(x, fc: float, shift: bool = False) -> torch.Tensor:
    """Right-hand side of Wu et al. 2022, eq 3: ``EM(f) = 1/4 |X(f + fc) + X(f - fc)|^2`` on the DFT
    grid.

    ``X = fft(x)`` is shifted circularly by ``k = fc N`` bins each way, so ``fc`` must lie on the
    DFT grid (``fc N`` an integer within 1e-9; ValueError otherwise). On the grid the identity is
    exact: the result equals ``energy_spectrum(dsb_sc(x, fc), shift=False)`` to rounding.

    Args:
        x: real message ``(..., N)``.
        fc: carrier frequency ``k / N`` in cycles/sample, ``0 <= fc <= 0.5``.
        shift: return fftshift-centred (default: unshifted ``torch.fft.fft`` order).

    Returns:
        ``(..., N)`` real energy spectrum, float64 for float64 input.
    """
    x = checks.tensor(x, "x", allow_complex=False, min_ndim=1)
    fc = _check_fc(fc)
    k = _grid_index(fc, x.shape[-1])
    X = torch.fft.fft(x, dim=-1)
    E = _closed_form_sum(X.unsqueeze(-2), torch.tensor([k]))
    return _maybe_shift(E, shift)


# --------------------------------------------------------------------------------------------
# multi-carrier (FDM): eqs 4-7
# --------------------------------------------------------------------------------------------
def _messages(xs, fcs, name_x="xs"):
    xs = checks.tensor(xs, name_x, allow_complex=False)
    if xs.ndim != 2:
        raise ValueError(
            f"{name_x} must have shape (K, N): K messages of N samples, got shape {tuple(xs.shape)}"
        )
    if xs.shape[0] < 1 or xs.shape[1] < 1:
        raise ValueError(
            f"{name_x} must have K >= 1 messages of N >= 1 samples, got shape {tuple(xs.shape)}"
        )
    fcs = _check_fcs(fcs, (xs.shape[0],))
    return xs, fcs


def multicarrier(xs, fcs) -> torch.Tensor:
    """Multi-carrier signal ``s[n] = sum_k x_k[n] cos(2 pi f_k n)`` (Wu et al. 2022, eqs 4-5).

    Args:
        xs: ``(K, N)`` real messages ``x_k``.
        fcs: ``K`` carrier frequencies in cycles/sample, each in [0, 0.5].

    Returns:
        ``(N,)`` the sum of the ``m_k[n]`` of eq 4.
    """
    xs, fcs = _messages(xs, fcs)
    return (xs * _carriers(fcs, xs.shape[-1], xs.dtype, xs.device)).sum(dim=0)


def multicarrier_energy_closed_form(xs, fcs, shift: bool = False) -> torch.Tensor:
    """Right-hand side of Wu et al. 2022, eq 7: ``sum_k 1/4 |X_k(f - f_k) + X_k(f + f_k)|^2``.

    This is ``sum_k EM_k(f)``, the sum of the sub-carriers' own energy spectra. It equals the true
    energy spectrum ``|sum_k M_k(f)|^2`` of :func:`multicarrier` only under the FDM condition of
    eq 6 (``M_p(f) M_q(f) = 0`` for ``p != q``); otherwise the cross terms
    ``2 Re(M_p M_q^*)`` are missing (measure how far from eq 6 you are with :func:`fdm_overlap`).
    Every carrier must lie on the DFT grid (``f_k N`` integer), see
    :func:`dsb_sc_energy_closed_form`.

    Args:
        xs: ``(K, N)`` real messages.
        fcs: ``K`` carriers ``k / N`` in [0, 0.5].
        shift: return fftshift-centred (default: unshifted DFT order).

    Returns:
        ``(N,)`` real tensor.
    """
    xs, fcs = _messages(xs, fcs)
    n = xs.shape[-1]
    ks = torch.tensor([_grid_index(float(f), n, name=f"fcs[{i}]") for i, f in enumerate(fcs)])
    return _maybe_shift(_closed_form_sum(torch.fft.fft(xs, dim=-1), ks), shift)


def fdm_overlap(xs, fcs) -> float:
    """How far a multi-carrier signal is from the FDM condition of Wu et al. 2022, eq 6.

    ``max_{p != q} sum_f |M_p(f)| |M_q(f)| / sqrt(sum_f |M_p(f)|^2 sum_f |M_q(f)|^2)``, with ``M_k``
    the DFT of ``m_k[n] = x_k[n] cos(2 pi f_k n)`` (eq 4). By Cauchy-Schwarz it lies in [0, 1]:
    0 when every pair of modulated bands is disjoint (eq 6 holds, eq 7 is exact), 1 when two
    sub-carriers have identically shaped magnitude spectra. A single message (K = 1) and an all-zero
    message (which occupies no band) contribute 0.

    Args:
        xs: ``(K, N)`` real messages.
        fcs: ``K`` carriers in [0, 0.5] (any value; no DFT-grid requirement).

    Returns:
        Python float.
    """
    xs, fcs = _messages(xs, fcs)
    if xs.shape[0] < 2:
        return 0.0
    mk = xs * _carriers(fcs, xs.shape[-1], xs.dtype, xs.device)
    A = torch.fft.fft(mk, dim=-1).abs().to(torch.float64)  # (K, N)
    norms = torch.sqrt((A * A).sum(dim=-1))  # (K,)
    gram = A @ A.T  # sum_f |M_p||M_q|
    denom = norms[:, None] * norms[None, :]
    ratio = torch.where(
        denom > 0,
        gram / torch.where(denom > 0, denom, torch.ones_like(denom)),
        torch.zeros_like(gram),
    )
    ratio.fill_diagonal_(0.0)
    return float(ratio.max().clamp(0.0, 1.0))


# --------------------------------------------------------------------------------------------
# multi-carrier MIMO: eqs 8-12
# --------------------------------------------------------------------------------------------
def _mimo_inputs(xs, fcs, H):
    xs = checks.tensor(xs, "xs", allow_complex=False)
    if xs.ndim != 3 or 0 in xs.shape:
        raise ValueError(
            f"xs must have shape (P, K, N): P transmit streams of K messages of N samples, "
            f"got shape {tuple(xs.shape)}"
        )
    p, k, _ = xs.shape
    fcs = _check_fcs(fcs, (p, k))
    H = checks.tensor(H, "H", allow_complex=False).to(device=xs.device, dtype=xs.dtype)
    if H.ndim != 2 or H.shape[1] != p or H.shape[0] < 1:
        raise ValueError(
            f"H must have shape (Q, P) with P = {p} transmit streams (xs.shape[0]), "
            f"got shape {tuple(H.shape)}"
        )
    return xs, fcs, H


def _streams(xs, fcs):
    """s_p[n] = sum_k x_{p,k}[n] cos(2 pi f_{p,k} n) -> (P, N) (eq 11, inner sum)."""
    return (xs * _carriers(fcs, xs.shape[-1], xs.dtype, xs.device)).sum(dim=1)


def mimo(xs, fcs, H) -> torch.Tensor:
    """Received signals of a multi-carrier MIMO system ``r = H s`` (Wu et al. 2022, eqs 8-11).

    ``r_q[n] = sum_p h_{q,p} s_p[n]`` with ``s_p[n] = sum_k x_{p,k}[n] cos(2 pi f_{p,k} n)``.

    Args:
        xs: ``(P, K, N)`` real messages ``x_{p,k}`` (P transmit antennas, K carriers each).
        fcs: ``(P, K)`` carrier frequencies ``f_{p,k}`` in [0, 0.5].
        H: ``(Q, P)`` real channel matrix, ``h_{q,p}`` from transmitter p to receiver q (eq 9).

    Returns:
        ``(Q, N)`` received signals ``r_q[n]``.
    """
    xs, fcs, H = _mimo_inputs(xs, fcs, H)
    return H @ _streams(xs, fcs)


def mimo_energy_closed_form(
    xs, fcs, H, per_carrier: bool = False, shift: bool = False
) -> torch.Tensor:
    """Right-hand side of Wu et al. 2022, eq 12: ``ER_q(f) = sum_p h_{q,p}^2 ES_p(f)``.

    When is it exact? The true energy spectrum of ``r_q = sum_p h_qp s_p`` is
    ``|sum_p h_qp S_p(f)|^2 = sum_p h_qp^2 |S_p(f)|^2 + 2 sum_{p<r} h_qp h_qr Re(S_p(f) S_r(f)^*)``.
    Eq 12 drops the cross terms, so it holds exactly only when the transmit streams' spectra do not
    overlap (``S_p(f) S_r(f) = 0`` for ``p != r``, FDM across antennas), or in expectation over
    independent zero-mean messages. For overlapping streams it is wrong by the cross terms -- the
    tests check both cases.

    Args:
        xs: ``(P, K, N)`` real messages; fcs: ``(P, K)`` carriers; H: ``(Q, P)`` channel.
        per_carrier: ``False`` (default) uses the exact ``ES_p(f) = |S_p(f)|^2`` (first equality of
            eq 12); ``True`` expands it as eq 12's last expression,
            ``1/4 sum_k |X_{p,k}(f + f_{p,k}) + X_{p,k}(f - f_{p,k})|^2`` (eq 7), which additionally
            needs FDM within each stream and every carrier on the DFT grid.
        shift: return fftshift-centred (default: unshifted DFT order).

    Returns:
        ``(Q, N)`` real tensor; compare with ``energy_spectrum(mimo(xs, fcs, H), shift=False)``.
    """
    xs, fcs, H = _mimo_inputs(xs, fcs, H)
    per_carrier = checks.boolean(per_carrier, "per_carrier")
    n = xs.shape[-1]
    if per_carrier:
        ks = torch.tensor(
            [
                [
                    _grid_index(float(fcs[p, k]), n, name=f"fcs[{p}, {k}]")
                    for k in range(fcs.shape[1])
                ]
                for p in range(fcs.shape[0])
            ]
        )
        X = torch.fft.fft(xs, dim=-1)  # (P, K, N)
        ES = torch.stack([_closed_form_sum(X[p], ks[p]) for p in range(X.shape[0])])
    else:
        ES = energy_spectrum(_streams(xs, fcs), shift=False)  # (P, N)
    return _maybe_shift(H.square() @ ES.to(H.dtype), shift)


# --------------------------------------------------------------------------------------------
# band-limited messages from real signals
# --------------------------------------------------------------------------------------------
def bandlimit(x, cutoff: float) -> torch.Tensor:
    """Ideal low-pass: zero every DFT bin with ``|f| > cutoff`` (cycles/sample), keep the rest.

    Makes a message band-limited to ``|f| <= cutoff`` so the spectra of eqs 3, 6 and 7
    (Wu et al. 2022) have a known support: after modulation by ``fc`` the energy sits in
    ``fc - cutoff <= |f| <= fc + cutoff``. Bin ``m`` (``f = m/N``) is kept when ``m <= cutoff N``
    (with a 1e-9 tolerance, so ``cutoff = k/N`` keeps bin k). The filter is circular (it acts on
    the N-point DFT), so the output wraps around at the ends like any DFT-domain filter.

    Args:
        x: real ``(..., N)``; time is the last dim.
        cutoff: ``0 < cutoff <= 0.5`` cycles/sample (0.5 keeps everything).

    Returns:
        Real ``(..., N)``, dtype of ``x``.
    """
    x = checks.tensor(x, "x", allow_complex=False, min_ndim=1)
    cutoff = checks.real(cutoff, "cutoff", above=0.0, maximum=0.5, note=" cycles/sample")
    n = x.shape[-1]
    X = torch.fft.rfft(x, dim=-1)
    m = torch.arange(X.shape[-1], device=x.device)
    X = X * (m <= cutoff * n + _GRID_TOL)
    return torch.fft.irfft(X, n=n, dim=-1)


def occupied_band(x, energy: float = 0.99) -> float:
    """Smallest ``f`` such that the fraction ``energy`` of ``x``'s energy lies in ``|f| <= f``.

    The (one-sided) bandwidth of a message in cycles/sample, on the DFT grid (``f = m/N``), from the
    energy spectrum of Wu et al. 2022, eq 3. Use it to choose carriers with disjoint bands (eq 6):
    two messages of bandwidths ``B_p, B_q`` on carriers ``f_p < f_q`` do not overlap when
    ``f_p + B_p < f_q - B_q``. For ``x`` of shape ``(..., N)`` the energy spectra of all leading
    entries are pooled (the band of the whole set).

    Args:
        x: real ``(..., N)``, not all zero.
        energy: fraction in (0, 1].

    Returns:
        Python float in [0, 0.5].
    """
    x = checks.tensor(x, "x", allow_complex=False, min_ndim=1)
    energy = checks.real(energy, "energy", above=0.0, maximum=1.0, note=" (a fraction)")
    n = x.shape[-1]
    E = energy_spectrum(x.reshape(-1, n).to(torch.float64), shift=False).sum(dim=0)  # (N,)
    m = torch.arange(n)
    fold = torch.minimum(m, n - m)  # |f| * N of each bin
    per_m = torch.zeros(n // 2 + 1, dtype=torch.float64).index_add_(0, fold, E.cpu())
    total = float(per_m.sum())
    if total <= 0:
        raise ValueError("x must not be all zeros: an all-zero signal occupies no band")
    cum = torch.cumsum(per_m, 0)
    idx = int(
        torch.searchsorted(cum, torch.tensor([energy * total * (1 - 1e-12)], dtype=torch.float64))
    )
    return min(idx, n // 2) / n
