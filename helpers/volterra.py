"""Volterra kernels of convolutional networks (Li, Zhou, Qiu & Zhao 2021, arXiv:2110.09902).

A network is approximated by a finite Volterra series ``y = sum_n H_n * x^n`` whose kernels are the
network's "proxy kernels". This module provides

* :func:`volterra_conv` / :func:`volterra_series` -- order-n Volterra convolution, 1-D and 2-D,
  multi-channel, ``"valid"`` (default) or ``"full"``, with stride and zero padding;
* :func:`compose_conv` (a convolution after a convolution is one convolution with the full
  convolution of the kernels), :func:`outer_conv` and :func:`compose_series` (an order-N series fed
  into an order-M series: kernels by "outer convolution");
* :class:`VolterraSeries` with :func:`network_series`: the closed-form kernels of a stack of
  convolutions and smooth element-wise activations (Taylor series of the activation at the
  layer's operating point), and :func:`sigmoid_two_layer_kernels` /
  :func:`sigmoid_three_layer_kernels`, the paper's white-box formulas written out;
* :func:`proxy_kernels` (dense derivatives with ``torch.func``) and :func:`local_kernels` (the
  shift-invariant kernels of a convolutional network, cut to its receptive field), by automatic
  differentiation or by central finite differences (``method="fd"``), for comparison;
* :class:`HackingNetwork` and :func:`fit_hacking_network`: the black-box route, a truncated Volterra
  series (bias + order-1 convolution + optional rank-R order-2 term) fitted by mean squared error
  to a black box's forward outputs;
* :func:`perturbation_growth`: how much a spike changes the output of random order-n Volterra
  convolutions, order by order (the official ``perturbation_draw.py`` experiment).

Conventions (stated once, used everywhere):

* **Orientation: true convolution**, as in the paper: an order-n kernel multiplies
  ``x(t - tau_1) ... x(t - tau_n)``. In ``"valid"`` mode with stride ``S`` and zero padding ``P``
  (per spatial dimension) the output at ``t`` is (eq V1)

  ``y[o, t] = sum_{c_i, tau_i} H_n[o, c_1, tau_1, ..., c_n, tau_n]
  prod_i x_P[c_i, S t + K - 1 - tau_i]``

  where ``x_P`` is ``x`` zero-padded by ``P`` and ``K`` the kernel size; ``"full"`` is
  ``P = K - 1``. PyTorch's ``Conv`` layers correlate (``w[j]`` multiplies ``x[S t - P + j]``), so
  a conv weight is a Volterra order-1 kernel after a flip of its spatial axes;
  :func:`network_series` does that.
* **Kernel layout**: order 0 ``(C_out,)``; order n ``(C_out,) + n * (C_in, *K)``, i.e.
  ``1 + n (1 + ndim)`` dimensions, where ``ndim`` is 1 (signals) or 2 (images); inputs are
  ``(B, C_in, *spatial)``.
* **Proxy kernels** (autograd): order 0 ``= f(0)``, order 1 ``=`` the Jacobian at 0, order 2 ``=``
  half the Hessian at 0 (symmetric; compare other order-2 kernels after :func:`symmetrize`).
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from . import checks, spectra

__all__ = [
    "volterra_conv",
    "volterra_series",
    "symmetrize",
    "compose_conv",
    "outer_conv",
    "compose_series",
    "VolterraSeries",
    "identity_series",
    "series_conv",
    "series_activation",
    "network_series",
    "sigmoid_taylor",
    "activation_derivatives",
    "sigmoid_two_layer_kernels",
    "sigmoid_three_layer_kernels",
    "receptive_field",
    "conv_geometry",
    "proxy_kernels",
    "local_kernels",
    "HackingNetwork",
    "fit_hacking_network",
    "relative_error",
    "KernelTiming",
    "time_kernel_methods",
    "composition_term_counts",
    "perturbation_growth",
    "spectrum_matched",
    "official_perturbation",
]


# ------------------------------------------------------------------------------------- checks
def _tensor(x, name: str) -> torch.Tensor:
    """A tensor or NumPy array as given (no lists; dtype kept, complex and non-finite allowed)."""
    return checks.tensor(x, name, sequences=False, promote=False, check_finite=False)


def _per_dim(value, ndim: int, name: str, minimum: int) -> tuple[int, ...]:
    if isinstance(value, (tuple, list)):
        if len(value) != ndim:
            raise ValueError(f"{name} must be an int or a tuple of {ndim} ints, got {value!r}")
        return tuple(checks.integer(v, name, minimum) for v in value)
    return (checks.integer(value, name, minimum),) * ndim


def _kernel_blocks(kernel: torch.Tensor, order: int, ndim: int, name: str = "kernel"):
    """Check an order-n kernel's layout; return ``(C_out, C_in, K)``."""
    want = 1 + order * (1 + ndim)
    if kernel.dim() != want:
        raise ValueError(
            f"{name} of order {order} with ndim={ndim} must have 1 + order*(1 + ndim) = {want} "
            f"dimensions (C_out,) + order x (C_in, *K), got shape {tuple(kernel.shape)}"
        )
    if order == 0:
        return kernel.shape[0], None, None
    block = tuple(kernel.shape[1 : 2 + ndim])
    for i in range(order):
        b = tuple(kernel.shape[1 + i * (1 + ndim) : 1 + (i + 1) * (1 + ndim)])
        if b != block:
            raise ValueError(
                f"{name}: every (C_in, *K) block of an order-{order} kernel must have the same "
                f"shape, got {block} and {b} in shape {tuple(kernel.shape)}"
            )
    return kernel.shape[0], block[0], block[1:]


def relative_error(a, b) -> float:
    """``||a - b|| / ||b||`` (Frobenius norms; ``b`` is the reference) in float64:
    :func:`helpers.spectra.relative_error` on float64 copies, so kernels and series compare near
    rounding error whatever their dtype; ``||a - b||`` when ``b`` is all zero."""
    a, b = _tensor(a, "a").detach().double(), _tensor(b, "b").detach().double()
    if a.shape == b.shape and not bool(b.any()):
        return float((a - b).norm())
    return spectra.relative_error(a, b)


# ---------------------------------------------------------------------- Volterra convolution
def _patches(x: torch.Tensor, K: tuple, stride: tuple, padding: tuple) -> torch.Tensor:
    """``(B, C, *L)`` -> ``(B, *T, C * prod K)``: flipped windows,
    ``p[.., c, tau] = x_P[c, S t + K - 1 - tau]``."""
    ndim = len(K)
    pad = []
    for p in reversed(padding):
        pad += [p, p]
    x = F.pad(x, pad)
    for d in range(ndim):
        if x.shape[2 + d] < K[d]:
            raise ValueError(
                f"x is too small for the kernel: spatial size {tuple(x.shape[2:])} (after padding "
                f"{padding}) < kernel size {K}"
            )
        x = x.unfold(2 + d, K[d], stride[d])  # (B, C, *T, *K)
    x = x.flip(dims=tuple(range(x.dim() - ndim, x.dim())))
    B, C = x.shape[:2]
    T = x.shape[2 : 2 + ndim]
    perm = (0,) + tuple(range(2, 2 + ndim)) + (1,) + tuple(range(2 + ndim, 2 + 2 * ndim))
    return x.permute(perm).reshape(B, *T, C * math.prod(K))


def volterra_conv(
    x, kernel, order: int, ndim: int = 1, mode: str = "valid", stride=1, padding=0
) -> torch.Tensor:
    """Order-n Volterra convolution ``H_n * x^n`` (eq V1 of the module docstring; Li et al. 2021,
    eq 1).

    ``y[b, o, t] = sum_{c_i, tau_i} H_n[o, c_1, tau_1, ..., c_n, tau_n]
    prod_{i=1..n} x_P[b, c_i, S t + K - 1 - tau_i]``

    Args:
        x: input ``(B, C_in, L)`` (``ndim=1``) or ``(B, C_in, H, W)`` (``ndim=2``).
        kernel: ``(C_out,)`` for order 0, else ``(C_out,) + order * (C_in, *K)``.
        order: n >= 0. Order 0 returns ``H_0`` shaped ``(B, C_out, 1, ...)`` (broadcasts to any
            output).
        ndim: 1 or 2 spatial dimensions.
        mode: ``"valid"`` (only positions where the kernel fits inside the zero-padded input) or
            ``"full"`` (zero padding ``K - 1`` on every side, overriding ``padding``).
        stride, padding: int or one per spatial dimension (``S`` and ``P`` of eq V1).

    Returns:
        ``(B, C_out, *T)`` with ``T = (L + 2P - K) // S + 1`` per dimension; dtype of
        ``x``/``kernel``.
    """
    order = checks.integer(order, "order", 0)
    ndim = checks.ndim(ndim)
    x, kernel = _tensor(x, "x"), _tensor(kernel, "kernel")
    if x.dim() != 2 + ndim:
        raise ValueError(
            f"x must have shape (B, C_in, *spatial) with {ndim} spatial dimension(s) "
            f"({2 + ndim} dims) for ndim={ndim}, got shape {tuple(x.shape)}"
        )
    mode = checks.choice(mode, "mode", ("valid", "full"), type_error=ValueError)
    C_out, C_in, K = _kernel_blocks(kernel, order, ndim)
    stride = _per_dim(stride, ndim, "stride", 1)
    padding = _per_dim(padding, ndim, "padding", 0)
    dtype = torch.promote_types(x.dtype, kernel.dtype)
    x, kernel = x.to(dtype), kernel.to(dtype)
    if order == 0:
        return kernel.reshape(1, C_out, *([1] * ndim)).expand(x.shape[0], C_out, *([1] * ndim))
    if C_in != x.shape[1]:
        raise ValueError(
            f"kernel has C_in = {C_in} input channels but x has {x.shape[1]} "
            f"(kernel shape {tuple(kernel.shape)}, x shape {tuple(x.shape)})"
        )
    if mode == "full":
        padding = tuple(k - 1 for k in K)
    P = _patches(x, K, stride, padding)  # (B, *T, D)
    B, T, D = P.shape[0], P.shape[1:-1], P.shape[-1]
    P = P.reshape(-1, D)  # (M, D)
    R = (
        kernel.reshape(C_out * D ** (order - 1), D) @ P.T
    )  # contract the last block: (C_out D^(n-1), M)
    for _ in range(order - 1):
        R = (R.reshape(-1, D, R.shape[-1]) * P.T[None]).sum(1)  # contract the next block
    return R.reshape(C_out, B, *T).movedim(0, 1)


def _as_kernel_dict(kernels, name="kernels") -> dict:
    if isinstance(kernels, dict):
        items = kernels.items()
    elif isinstance(kernels, (list, tuple)):
        items = enumerate(kernels)
    else:
        raise TypeError(
            f"{name} must be a dict {{order: kernel}} or a list indexed by order, "
            f"got {type(kernels).__name__}"
        )
    out = {}
    for n, k in items:
        n = checks.integer(n, f"{name} order", 0)
        if k is not None:
            out[n] = _tensor(k, f"{name}[{n}]")
    if not out:
        raise ValueError(f"{name} must contain at least one kernel")
    return out


def volterra_series(
    x, kernels, ndim: int = 1, mode: str = "valid", stride=1, padding=0
) -> torch.Tensor:
    """A finite Volterra series ``y = sum_n H_n * x^n`` (Li et al. 2021, eq 2), each term by
    :func:`volterra_conv`.

    ``kernels``: ``{order: kernel}`` or a list indexed by order (``None`` entries are skipped).
    All kernels of order >= 1 must share ``C_in`` and ``K`` (the output grid); an order-0 kernel
    broadcasts over it. A series with only an order-0 term returns ``(B, C_out, 1, ...)``.
    """
    kernels = _as_kernel_dict(kernels)
    ndim = checks.ndim(ndim)
    out = None
    for n in sorted(kernels, reverse=True):  # highest order first: fixes the grid
        term = volterra_conv(x, kernels[n], n, ndim=ndim, mode=mode, stride=stride, padding=padding)
        if out is not None and n > 0 and term.shape != out.shape:
            raise ValueError(
                f"kernels of orders {sorted(kernels)} do not share one output grid "
                f"(order {n} gives {tuple(term.shape)}, higher orders {tuple(out.shape)})"
            )
        out = term if out is None else out + term
    return out


def symmetrize(kernel, order: int, ndim: int = 1) -> torch.Tensor:
    """Average an order-n kernel over the n! permutations of its ``(C_in, *K)`` blocks.

    A Volterra term only sees the symmetric part of its kernel, so two kernels describe the same
    term iff their symmetrizations agree (this is how half the Hessian is compared).
    """
    kernel = _tensor(kernel, "kernel")
    order = checks.integer(order, "order", 0)
    ndim = checks.ndim(ndim)
    _kernel_blocks(kernel, order, ndim)
    if order < 2:
        return kernel.clone()
    w = 1 + ndim
    perms = list(itertools.permutations(range(order)))
    acc = torch.zeros_like(kernel)
    for p in perms:
        dims = [0] + [1 + q * w + j for q in p for j in range(w)]
        acc = acc + kernel.permute(dims)
    return acc / len(perms)


# ------------------------------------------------------------------------------- composition
def compose_conv(h, g, stride=1, ndim: int = 1) -> torch.Tensor:
    """One convolution equal to ``g`` applied after ``h`` (kernels in true-convolution orientation).

    With ``h``: ``(C1, C0, *K1)`` applied with stride ``s`` and ``g``: ``(C2, C1, *K2)`` after it,
    the composite is the full convolution of ``h`` with ``g`` dilated by ``s``:

    ``H[c2, c0, m] = sum_{c1} sum_{s sigma + tau = m} g[c2, c1, sigma] h[c1, c0, tau]``,
    of size ``K1 + s (K2 - 1)`` and stride ``s s_g`` (receptive fields 3, 7, 15, 31 for four
    kernels of size 3 with strides 2, 2, 2, 1). Bias-free; for biases and activations use
    :func:`network_series`.
    """
    ndim = checks.ndim(ndim)
    h, g = _tensor(h, "h"), _tensor(g, "g")
    _kernel_blocks(h, 1, ndim, "h")
    _kernel_blocks(g, 1, ndim, "g")
    if g.shape[1] != h.shape[0]:
        raise ValueError(
            f"g has {g.shape[1]} input channels but h has {h.shape[0]} output channels "
            f"(g {tuple(g.shape)}, h {tuple(h.shape)})"
        )
    s = _per_dim(stride, ndim, "stride", 1)
    series = VolterraSeries({1: h}, ndim=ndim, stride=s)
    return series_conv(series, g, None, 1).kernels[1]


def outer_conv(G, factors, stride: int = 1) -> torch.Tensor:
    """Outer convolution (single channel, 1-D): an order-M kernel ``G`` applied to factors of
    orders n_i.

    ``K[rho_1, ..., rho_M] = sum_{tau_1..tau_M} G[tau_1..tau_M] prod_i F_i[rho_i - s tau_i 1]``,
    where ``rho_i`` is the block of ``n_i`` indices of factor ``F_i`` and ``s`` the stride of the
    inner system. The result has order ``sum n_i``; an order-0 factor (a scalar) just multiplies.
    This is how an order-M series applied to an order-N one gives order ``N M`` (Li et al. 2021,
    sec 3). ``G``: shape ``(K_G,) * M``; ``factors``: M tensors of shapes ``(K_i,) * n_i``, all
    ``K_i`` equal.
    """
    G = _tensor(G, "G")
    checks.sequence(factors, "factors", "a list of tensors")
    factors = [_tensor(f, f"factors[{i}]") for i, f in enumerate(factors)]
    M = G.dim()
    if len(factors) != M:
        raise ValueError(
            f"factors must have one tensor per axis of G (order M = {M}), got {len(factors)}"
        )
    if M and len(set(G.shape)) != 1:
        raise ValueError(f"G must have equal sizes on all axes, got shape {tuple(G.shape)}")
    s = checks.integer(stride, "stride", 1)
    sizes = {n for f in factors for n in f.shape}
    if len(sizes) > 1:
        raise ValueError(
            f"factors must share one kernel size on all axes, "
            f"got shapes {[tuple(f.shape) for f in factors]}"
        )
    Kf = sizes.pop() if sizes else 1
    Kg = G.shape[0] if M else 1
    Kout = Kf + s * (Kg - 1)
    dtype = G.dtype
    for f in factors:
        dtype = torch.promote_types(dtype, f.dtype)
    prod = torch.ones((), dtype=dtype)
    for f in factors:
        prod = torch.tensordot(prod, f.to(dtype), dims=0)
    n_axes = [f.dim() for f in factors]
    out = torch.zeros((Kout,) * sum(n_axes), dtype=dtype)
    for tau in itertools.product(range(Kg), repeat=M):
        coef = G[tau] if M else G
        if coef == 0:
            continue
        idx = []
        for t, n in zip(tau, n_axes):
            idx += [slice(s * t, s * t + Kf)] * n
        out[tuple(idx)] += coef.to(dtype) * prod
    return out


def compose_series(outer: dict, inner: dict, max_order: int, stride: int = 1) -> dict:
    """Kernels of ``outer(inner(x))`` for single-channel 1-D series (``{order: (K,) * order}``), up
    to ``max_order``.

    ``K_k = sum_m sum_{n_1 + ... + n_m = k} outer_conv(G_m, [H_{n_1}, ..., H_{n_m}])``, including
    order-0 factors of ``inner`` (Li et al. 2021, sec 3, order-N into order-M gives order N M).
    ``stride`` is the stride of ``inner``. Orders are truncated at ``max_order``.
    """
    outer, inner = _as_kernel_dict(outer, "outer"), _as_kernel_dict(inner, "inner")
    max_order = checks.integer(max_order, "max_order", 0)
    result: dict[int, torch.Tensor] = {}
    inner_orders = sorted(inner)
    for m, G in outer.items():
        if G.dim() != m:
            raise ValueError(
                f"outer[{m}] must have {m} axes (single channel, 1-D), got shape {tuple(G.shape)}"
            )
        for combo in itertools.product(inner_orders, repeat=m):
            k = sum(combo)
            if k > max_order:
                continue
            term = outer_conv(G, [inner[n] for n in combo], stride=stride)
            result[k] = term if k not in result else result[k] + term
    return result


# ------------------------------------------------------------ closed forms: series algebra
@dataclass
class VolterraSeries:
    """A multi-channel Volterra series with its geometry: ``kernels[n]`` in the module's layout.

    ``stride`` and ``padding`` (per spatial dimension) say how the series is evaluated on an input
    (eq V1), so ``series(x)`` equals the network it was built from wherever no zero padding of an
    intermediate layer reaches (everywhere for unpadded networks).
    """

    kernels: dict
    ndim: int = 1
    stride: tuple = (1,)
    padding: tuple = field(default=None)

    def __post_init__(self):
        self.ndim = checks.ndim(self.ndim)
        self.kernels = _as_kernel_dict(self.kernels)
        self.stride = _per_dim(self.stride, self.ndim, "stride", 1)
        self.padding = _per_dim(
            0 if self.padding is None else self.padding, self.ndim, "padding", 0
        )

    @property
    def max_order(self) -> int:
        return max(self.kernels)

    @property
    def kernel_size(self) -> tuple:
        for n in sorted(self.kernels):
            if n > 0:
                return tuple(self.kernels[n].shape[2 : 2 + self.ndim])
        return (1,) * self.ndim

    def __call__(self, x, orders=None) -> torch.Tensor:
        ks = {n: k for n, k in self.kernels.items() if orders is None or n in orders}
        return volterra_series(x, ks, ndim=self.ndim, stride=self.stride, padding=self.padding)

    def truncate(self, max_order: int) -> "VolterraSeries":
        return VolterraSeries(
            {n: k for n, k in self.kernels.items() if n <= max_order},
            self.ndim,
            self.stride,
            self.padding,
        )


def identity_series(channels: int, ndim: int = 1, dtype=torch.float64) -> VolterraSeries:
    """``y = x``: order 0 zero, order 1 a unit impulse per channel (kernel size 1)."""
    channels = checks.integer(channels, "channels", 1)
    ndim = checks.ndim(ndim)
    eye = torch.eye(channels, dtype=dtype).reshape(channels, channels, *([1] * ndim))
    return VolterraSeries({0: torch.zeros(channels, dtype=dtype), 1: eye}, ndim=ndim, stride=1)


def series_conv(series: VolterraSeries, weight, bias=None, stride=1, padding=0) -> VolterraSeries:
    """Apply a convolution (kernel in true-convolution orientation) after ``series``.

    ``weight``: ``(C2, C1, *Kw)``. Order 0:
    ``H0'[c2] = sum_{c1} (sum_sigma w[c2, c1, sigma]) H0[c1] + b[c2]``.
    Order n: ``H_n'[c2, (c0, rho_1), ..., (c0, rho_n)] =
    sum_{c1, sigma} w[c2, c1, sigma] H_n[c1, rho_1 - S sigma, ...]``
    (every block shifted by the same ``S sigma``, ``S`` the series' stride), of size
    ``K + S (Kw - 1)``.
    """
    checks.instance(series, "series", VolterraSeries, "a VolterraSeries")
    nd = series.ndim
    w = _tensor(weight, "weight")
    _kernel_blocks(w, 1, nd, "weight")
    s = _per_dim(stride, nd, "stride", 1)
    p = _per_dim(padding, nd, "padding", 0)
    S, K = series.stride, series.kernel_size
    Kw = tuple(w.shape[2:])
    Knew = tuple(k + S_d * (kw - 1) for k, S_d, kw in zip(K, S, Kw))
    out = {}
    for n, H in series.kernels.items():
        if H.shape[0] != w.shape[1]:
            raise ValueError(
                f"weight has {w.shape[1]} input channels but the series has {H.shape[0]} "
                f"output channels"
            )
        wt = w.to(H.dtype)
        if n == 0:
            new = torch.einsum("ab,b->a", wt.sum(dim=tuple(range(2, 2 + nd))), H)
            if bias is not None:
                new = new + _tensor(bias, "bias").to(H.dtype)
            out[0] = new
            continue
        C0 = H.shape[1]
        new = torch.zeros((w.shape[0],) + ((C0,) + Knew) * n, dtype=H.dtype)
        for sigma in itertools.product(*[range(k) for k in Kw]):
            idx = [slice(None)]
            for _ in range(n):
                idx.append(slice(None))
                idx += [slice(S_d * sg, S_d * sg + k) for S_d, sg, k in zip(S, sigma, K)]
            new[tuple(idx)] += torch.einsum(
                "ab,b...->a...", wt[(slice(None), slice(None)) + sigma], H
            )
        out[n] = new
    if bias is not None and 0 not in out:
        out[0] = _tensor(bias, "bias").to(next(iter(out.values())).dtype)
    new_pad = tuple(P + S_d * pd for P, S_d, pd in zip(series.padding, S, p))
    return VolterraSeries(out, nd, tuple(a * b for a, b in zip(S, s)), new_pad)


def activation_derivatives(fn: Callable, at, max_order: int) -> torch.Tensor:
    """``fn^(j)(at) / j!`` for ``j = 0..max_order`` (rows) at every entry of ``at`` (columns), by
    nested ``torch.func.grad``."""
    checks.function(fn, "fn", "a callable element-wise activation")
    at = _tensor(at, "at")
    max_order = checks.integer(max_order, "max_order", 0)
    rows = []
    d = lambda z: fn(z)  # noqa: E731
    for j in range(max_order + 1):
        rows.append(torch.func.vmap(d)(at.reshape(-1)) / math.factorial(j))
        d = torch.func.grad(d)
    return torch.stack(rows)


def _series_product(A: dict, B: dict, max_order: int) -> dict:
    """Point-wise product of two series (orders >= 1, same channels and grid):
    ``H = A_n1 (x) B_n2`` per channel."""
    out = {}
    for n1, a in A.items():
        for n2, b in B.items():
            n = n1 + n2
            if n > max_order:
                continue
            C = a.shape[0]
            t = (a.reshape(C, -1, 1) * b.reshape(C, 1, -1)).reshape(
                (C,) + a.shape[1:] + b.shape[1:]
            )
            out[n] = t if n not in out else out[n] + t
    return out


def series_activation(series: VolterraSeries, fn: Callable, max_order: int) -> VolterraSeries:
    """Apply an element-wise activation after ``series``, by its Taylor series at the operating
    point.

    With ``z = c + Z`` (``c = H_0`` per channel, ``Z`` the orders >= 1),
    ``fn(z) = sum_j fn^(j)(c) / j! Z^j`` (Li et al. 2021, sec 4:
    sigmoid(z) = 1/2 + z/4 - z^3/48 + ...), products of series taken order by order, truncated at
    ``max_order``. Exact when ``fn`` is a polynomial of degree ``d`` and ``max_order`` covers every
    product.
    """
    checks.instance(series, "series", VolterraSeries, "a VolterraSeries")
    max_order = checks.integer(max_order, "max_order", 0)
    ks = series.kernels
    some = next(iter(ks.values()))
    C = some.shape[0]
    c = ks.get(0, torch.zeros(C, dtype=some.dtype))
    coef = activation_derivatives(fn, c, max_order).to(some.dtype)  # (max_order + 1, C)
    Z = {n: k for n, k in ks.items() if n > 0 and n <= max_order}
    out = {0: coef[0].clone()}
    power = dict(Z)  # Z^1
    for j in range(1, max_order + 1):
        for n, k in power.items():
            shape = (C,) + (1,) * (k.dim() - 1)
            t = coef[j].reshape(shape) * k
            out[n] = t if n not in out else out[n] + t
        power = _series_product(power, Z, max_order)
        if not power:
            break
    return VolterraSeries(out, series.ndim, series.stride, series.padding)


#: Element-wise activations :func:`network_series` knows (any module with ``elementwise = True``
#: works too).
ELEMENTWISE = (nn.Sigmoid, nn.Tanh, nn.Identity, nn.SiLU, nn.Softplus, nn.GELU, nn.ELU)


def network_series(
    model: nn.Module,
    max_order: int,
    in_channels: int | None = None,
    ndim: int | None = None,
    dtype=torch.float64,
) -> VolterraSeries:
    """Closed-form ("white-box") Volterra kernels of a stack of convolutions and element-wise
    activations.

    ``model``: an ``nn.Sequential`` (nested ones are flattened) of ``Conv1d``/``Conv2d`` (groups 1,
    dilation 1, zero padding) and element-wise activations (:data:`ELEMENTWISE`, or any module with
    an attribute ``elementwise = True``). Each convolution composes by :func:`series_conv`, each
    activation by its Taylor series at the layer's operating point (:func:`series_activation`),
    truncated at ``max_order``. For polynomial activations the series is exact once ``max_order``
    reaches the network's degree; for sigmoid it is the small-input approximation of Li et al.
    (2021).
    """
    checks.instance(
        model, "model", nn.Module, "a torch.nn.Module (an nn.Sequential of convs and activations)"
    )
    max_order = checks.integer(max_order, "max_order", 0)
    layers = []

    def flatten(m):
        if isinstance(m, nn.Sequential):
            for c in m.children():
                flatten(c)
        else:
            layers.append(m)

    flatten(model)
    convs = [m for m in layers if isinstance(m, (nn.Conv1d, nn.Conv2d))]
    if not convs:
        raise ValueError("model must contain at least one Conv1d or Conv2d layer")
    nd = ndim or (1 if isinstance(convs[0], nn.Conv1d) else 2)
    series = identity_series(in_channels or convs[0].in_channels, nd, dtype)
    for m in layers:
        if isinstance(m, (nn.Conv1d, nn.Conv2d)):
            if (
                m.groups != 1
                or any(d != 1 for d in m.dilation)
                or m.padding_mode != "zeros"
                or isinstance(m.padding, str)
                or (1 if isinstance(m, nn.Conv1d) else 2) != nd
            ):
                raise ValueError(
                    f"layer {m} is not supported (need groups=1, dilation=1, integer zero padding, "
                    f"ndim={nd})"
                )
            w = (
                m.weight.detach().to(dtype).flip(dims=tuple(range(2, 2 + nd)))
            )  # correlation -> convolution
            b = None if m.bias is None else m.bias.detach().to(dtype)
            series = series_conv(series, w, b, m.stride, m.padding)
        elif isinstance(m, ELEMENTWISE) or getattr(m, "elementwise", False):
            series = series_activation(series, m, max_order)
        else:
            raise TypeError(
                f"model contains a layer network_series cannot expand: {type(m).__name__} "
                f"(only Conv1d/Conv2d and element-wise activations)"
            )
    return series.truncate(max_order)


def sigmoid_taylor(z, order: int = 5) -> torch.Tensor:
    """Maclaurin polynomial of the sigmoid: ``1/2 + z/4 - z^3/48 + z^5/480 - 17 z^7/80640`` up to
    ``order``."""
    z = _tensor(z, "z")
    order = checks.integer(order, "order", 0, 7, note=" (terms tabulated up to z^7)")
    coefs = {0: 0.5, 1: 0.25, 3: -1 / 48, 5: 1 / 480, 7: -17 / 80640}
    return sum(c * z**n for n, c in coefs.items() if n <= order) + 0 * z


def _full1d(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Full 1-D convolution of two vectors (length ``len(a) + len(b) - 1``)."""
    return torch.nn.functional.conv1d(
        a.reshape(1, 1, -1), b.flip(0).reshape(1, 1, -1), padding=len(b) - 1
    ).reshape(-1)


def _outer(*vs: torch.Tensor) -> torch.Tensor:
    out = vs[0]
    for v in vs[1:]:
        out = torch.tensordot(out, v, dims=0)
    return out


def _kernel_vector(v, name):
    v = _tensor(v, name)
    if v.dim() != 1 or v.numel() == 0:
        raise ValueError(f"{name} must be a non-empty 1-D kernel (K,), got shape {tuple(v.shape)}")
    return v


def sigmoid_two_layer_kernels(h, g) -> dict:
    """Closed-form kernels of the two-layer net ``y = g * sigmoid(h * x)`` (1-D, single channel,
    no bias).

    From ``sigmoid(z) = 1/2 + z/4 - z^3/48 + ...`` (Li et al. 2021, sec 4.1):
    ``H_0 = sum(g)/2``, ``H_1 = (1/4) g * h`` (full convolution), ``H_2 = 0``,
    ``H_3 = -(1/48) outer_conv(g, [h (x) h (x) h])`` (g applied to the cubic term ``(h * x)^3``,
    whose kernel is the outer product ``h (x) h (x) h``). Kernels in true-convolution orientation,
    shapes ``()``, ``(K,)``, ``(K, K)``, ``(K, K, K)`` with ``K = len(h) + len(g) - 1``.
    """
    h, g = _kernel_vector(h, "h"), _kernel_vector(g, "g")
    K = len(h) + len(g) - 1
    return {
        0: g.sum() / 2,
        1: _full1d(g, h) / 4,
        2: torch.zeros(K, K, dtype=h.dtype),
        3: -outer_conv(g, [_outer(h, h, h)]) / 48,
    }


def sigmoid_three_layer_kernels(h, g, f) -> dict:
    """Closed-form kernels of ``y = f * sigmoid(g * sigmoid(h * x))`` up to order 2 (1-D, single
    channel, no bias).

    With ``c = sum(g)/2`` (the inner sigmoid layer's output at x = 0 summed by g) and
    ``u = (1/4) g * h``: ``H_0 = sum(f) sigmoid(c)``, ``H_1 = sigmoid'(c) f * u``,
    ``H_2 = (sigmoid''(c)/2) outer_conv(f, [u (x) u])``, where ``sigmoid' = s(1 - s)`` and
    ``sigmoid'' = s(1 - s)(1 - 2s)``, ``s = sigmoid(c)`` (Li et al. 2021, sec 4.1, the three-layer
    case).
    """
    h, g, f = _kernel_vector(h, "h"), _kernel_vector(g, "g"), _kernel_vector(f, "f")
    c = g.sum() / 2
    s = torch.sigmoid(c)
    d1, d2 = s * (1 - s), s * (1 - s) * (1 - 2 * s)
    u = _full1d(g, h) / 4
    return {0: f.sum() * s, 1: d1 * _full1d(f, u), 2: d2 / 2 * outer_conv(f, [_outer(u, u)])}


# ------------------------------------------------------------------ proxy kernels: autograd
def receptive_field(kernel_sizes, strides, paddings=None) -> tuple[int, int, int]:
    """``(K, S, P)`` of a stack of convolutions: receptive field, total stride, total padding.

    ``K = 1 + sum_l (k_l - 1) prod_{j<l} s_j``, ``S = prod s_l``, ``P = sum_l p_l prod_{j<l} s_j``:
    kernels 3, 3, 3, 3 with strides 2, 2, 2, 1 give K = 3, 7, 15, 31 after 1..4 layers.
    """
    ks = [checks.integer(k, "kernel_sizes", 1) for k in kernel_sizes]
    ss = [checks.integer(s, "strides", 1) for s in strides]
    ps = [0] * len(ks) if paddings is None else [checks.integer(p, "paddings", 0) for p in paddings]
    if not (len(ks) == len(ss) == len(ps)) or not ks:
        raise ValueError(
            f"kernel_sizes, strides and paddings must be non-empty and of equal length, "
            f"got {len(ks)}, {len(ss)}, {len(ps)}"
        )
    K, S, P = 1, 1, 0
    for k, s, p in zip(ks, ss, ps):
        K += (k - 1) * S
        P += p * S
        S *= s
    return K, S, P


def conv_geometry(model: nn.Module) -> tuple[int, int, int]:
    """:func:`receptive_field` of the Conv layers of ``model`` in order (square kernels, first
    spatial axis)."""
    convs = [m for m in model.modules() if isinstance(m, (nn.Conv1d, nn.Conv2d))]
    if not convs:
        raise ValueError("model must contain at least one Conv1d or Conv2d layer")
    return receptive_field(
        [m.kernel_size[0] for m in convs],
        [m.stride[0] for m in convs],
        [m.padding[0] if not isinstance(m.padding, str) else 0 for m in convs],
    )


def proxy_kernels(f: Callable, x0, order: int = 2) -> dict:
    """Dense proxy kernels of ``f`` at ``x0`` (a single input, no batch axis), by ``torch.func``.

    Order 0 ``= f(x0)``; order 1 ``= J = d f / d x`` at ``x0`` (``torch.func.jacrev``: one batched
    vector-Jacobian product per output, vmapped); order 2 ``= (1/2) d^2 f / d x^2`` at ``x0``
    (``jacfwd(jacrev(f))``). Shapes: ``out``, ``out + in``, ``out + in + in``. Then
    ``f(x0 + d) = H_0 + <H_1, d> + <H_2, d d> + O(|d|^3)``; with ``x0 = 0`` these are the
    Volterra kernels of Li et al. (2021) in the input's own indexing (no flip, no cropping).
    """
    checks.function(f, "f", "callable (a network or function of one tensor)")
    x0 = _tensor(x0, "x0")
    order = checks.integer(order, "order", 0, 2, note=" (f(0), Jacobian, half Hessian)")
    out = {0: f(x0).detach()}
    if order >= 1:
        out[1] = torch.func.jacrev(f)(x0).detach()
    if order >= 2:
        out[2] = 0.5 * torch.func.jacfwd(torch.func.jacrev(f))(x0).detach()
    return out


def local_kernels(
    f: Callable,
    in_channels: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    ndim: int = 1,
    order: int = 1,
    method: str = "autograd",
    eps: float | None = None,
    dtype=torch.float64,
) -> VolterraSeries:
    """Shift-invariant Volterra kernels of a convolutional network ``f``, cut to its receptive
    field.

    ``f`` maps ``(B, in_channels, *N)`` to ``(B, C_out, *T)`` and is a stack of convolutions (total
    receptive field ``kernel_size``, stride, padding: :func:`receptive_field`) and point-wise
    layers. An input canvas of zeros is made large enough that one output position ``p`` sees no
    padding of any layer; the input window ``[S p - P, S p - P + K)`` is the variable. The kernels
    are the derivatives of ``f(.)[:, :, p]`` at 0 with respect to the window, flipped into the
    true-convolution orientation: order 0 ``f(0)``, order 1 the Jacobian, order 2 half the Hessian.

    ``method="autograd"``: ``torch.func`` (order 1: ``jacrev``; order 2: ``jacfwd(jacrev)``).
    ``method="fd"``: central finite differences in one batched forward call per order
    (``eps`` default 1e-4 for order 1, 1e-3 for order 2 in float64).

    Returns a :class:`VolterraSeries` with the network's stride and padding, so that ``series(x)``
    is the proxy of ``f`` (equal to ``f`` away from the borders for a polynomial network).
    """
    checks.function(f, "f", "callable (a network mapping (B, C, *N) to (B, C_out, *T))")
    C = checks.integer(in_channels, "in_channels", 1)
    K = checks.integer(kernel_size, "kernel_size", 1)
    S = checks.integer(stride, "stride", 1)
    P = checks.integer(padding, "padding", 0)
    nd = checks.ndim(ndim)
    order = checks.integer(order, "order", 0, 2, note=" (f(0), Jacobian, half Hessian)")
    method = checks.choice(method, "method", ("autograd", "fd"), type_error=ValueError)
    p = -(-(P + K) // S)  # output position whose window starts at >= K
    start = S * p - P
    N = start + 2 * K + S
    win = (slice(None), slice(None)) + (slice(start, start + K),) * nd
    pos = (slice(None), slice(None)) + (p,) * nd

    def g_batch(w):  # (B, C, *K) -> (B, C_out)
        canvas = torch.zeros((w.shape[0], C) + (N,) * nd, dtype=w.dtype)
        canvas[win] = w
        return f(canvas)[pos]

    zero = torch.zeros((C,) + (K,) * nd, dtype=dtype)
    flip1 = tuple(range(2, 2 + nd))
    kernels = {0: g_batch(zero[None])[0].detach()}
    C_out = kernels[0].shape[0]
    D = C * K**nd
    if method == "autograd":
        g = lambda w: g_batch(w[None])[0]  # noqa: E731
        if order >= 1:
            J = torch.func.jacrev(g)(zero).detach()  # (C_out, C, *K)
            kernels[1] = J.flip(dims=flip1)
        if order >= 2:
            Hs = 0.5 * torch.func.jacfwd(torch.func.jacrev(g))(zero).detach()
            kernels[2] = Hs.flip(dims=flip1 + tuple(range(3 + nd, 3 + 2 * nd)))
    else:
        e = torch.eye(D, dtype=dtype).reshape((D, C) + (K,) * nd)
        if order >= 1:
            h = eps or 1e-4
            with torch.no_grad():
                y = g_batch(torch.cat([h * e, -h * e]))
            J = ((y[:D] - y[D:]) / (2 * h)).T.reshape((C_out, C) + (K,) * nd)
            kernels[1] = J.flip(dims=flip1)
        if order >= 2:
            h = eps or 1e-3
            iu = torch.triu_indices(D, D)
            ei, ej = e[iu[0]], e[iu[1]]
            H = torch.zeros(C_out, D, D, dtype=dtype)
            with torch.no_grad():
                for chunk in torch.split(torch.arange(iu.shape[1]), 4096):
                    a, b = ei[chunk], ej[chunk]
                    y = g_batch(torch.cat([h * (a + b), h * (a - b), h * (b - a), -h * (a + b)]))
                    n = len(chunk)
                    d2 = (y[:n] - y[n : 2 * n] - y[2 * n : 3 * n] + y[3 * n :]) / (
                        4 * h * h
                    )  # (n, C_out)
                    H[:, iu[0][chunk], iu[1][chunk]] = d2.T
                    H[:, iu[1][chunk], iu[0][chunk]] = d2.T
            Hs = 0.5 * H.reshape((C_out, C) + (K,) * nd + (C,) + (K,) * nd)
            kernels[2] = Hs.flip(dims=flip1 + tuple(range(3 + nd, 3 + 2 * nd)))
    return VolterraSeries({n: k for n, k in kernels.items() if n <= order}, nd, S, P)


# ------------------------------------------------------------------ black box: hacking network
class HackingNetwork(nn.Module):
    """A truncated Volterra series as a network (Li et al. 2021, sec 4.2, the "hacking network").

    ``y = H_0 + H_1 * x + sum_{r=1..R} (A_r * x)(B_r * x)`` with ``*`` a convolution of kernel size
    ``K``, stride ``S``, zero padding ``P`` (a PyTorch correlation; :meth:`kernels` returns them in
    the module's true-convolution orientation). The order-2 term has rank ``R``
    (``H_2 = sum_r A_r (x) B_r``, symmetrised); ``rank=0`` gives the order-(0, 1) model.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        ndim: int = 1,
        rank: int = 0,
    ):
        super().__init__()
        self.ndim = checks.ndim(ndim)
        Conv = nn.Conv1d if self.ndim == 1 else nn.Conv2d
        self.in_channels = checks.integer(in_channels, "in_channels", 1)
        self.out_channels = checks.integer(out_channels, "out_channels", 1)
        self.kernel_size = checks.integer(kernel_size, "kernel_size", 1)
        self.stride, self.padding = (
            checks.integer(stride, "stride", 1),
            checks.integer(padding, "padding", 0),
        )
        self.rank = checks.integer(rank, "rank", 0)
        self.order1 = Conv(
            self.in_channels, self.out_channels, self.kernel_size, self.stride, self.padding
        )
        if self.rank:
            self.a = Conv(
                self.in_channels,
                self.out_channels * self.rank,
                self.kernel_size,
                self.stride,
                self.padding,
                bias=False,
            )
            self.b = Conv(
                self.in_channels,
                self.out_channels * self.rank,
                self.kernel_size,
                self.stride,
                self.padding,
                bias=False,
            )
            nn.init.normal_(self.a.weight, std=1e-2)
            nn.init.normal_(self.b.weight, std=1e-2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.order1(x)
        if self.rank:
            q = self.a(x) * self.b(x)
            y = y + q.reshape(q.shape[0], self.out_channels, self.rank, *q.shape[2:]).sum(2)
        return y

    def kernels(self) -> VolterraSeries:
        """The fitted kernels as a :class:`VolterraSeries` (order 2 symmetrised)."""
        nd, flip = self.ndim, tuple(range(2, 2 + self.ndim))
        ks = {0: self.order1.bias.detach().clone(), 1: self.order1.weight.detach().flip(dims=flip)}
        if self.rank:
            shape = (self.out_channels, self.rank, self.in_channels) + (self.kernel_size,) * nd
            A = self.a.weight.detach().reshape(shape).flip(dims=tuple(range(3, 3 + nd)))
            B = self.b.weight.detach().reshape(shape).flip(dims=tuple(range(3, 3 + nd)))
            D = self.in_channels * self.kernel_size**nd
            H2 = torch.einsum(
                "ord,ore->ode",
                A.reshape(self.out_channels, self.rank, D),
                B.reshape(self.out_channels, self.rank, D),
            )
            H2 = H2.reshape((self.out_channels,) + shape[2:] + shape[2:])
            ks[2] = symmetrize(H2, 2, nd)
        return VolterraSeries(ks, nd, self.stride, self.padding)


def fit_hacking_network(
    black_box: Callable,
    inputs,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    ndim: int = 1,
    rank: int = 0,
    steps: int = 500,
    lr: float = 1e-2,
    batch_size: int = 256,
    seed: int = 0,
    ridge: float = 0.0,
) -> HackingNetwork:
    """Fit a :class:`HackingNetwork` to a black box by mean squared error, using forward calls only.

    ``inputs``: ``(N, C_in, *L)`` probe signals (Li et al. use small random inputs); targets are
    ``black_box(inputs)`` (no gradients of the black box are taken). The order-(0, 1) part is linear
    in its parameters, so its MSE minimiser is computed exactly by least squares on the input
    windows; with ``rank > 0`` the rank-R order-2 term is then trained with Adam (``steps``, ``lr``,
    mini-batches of ``batch_size`` signals) on the residual MSE together with the order-(0, 1) part.

    ``ridge`` (dimensionless, >= 0) adds Tikhonov regularisation to the order-1 taps (not the bias):
    ``w = (A^T A + lam I')^{-1} A^T y`` with ``lam = ridge * trace(A^T A) / D`` (``D`` taps +
    1 bias column, ``I'`` the identity without the bias entry), so ``ridge`` is relative to the mean
    diagonal of the normal matrix; ``ridge=0`` is plain least squares. The fitted module carries
    ``fit_info``: the 2-norm condition number of the design matrix ``A`` (windows plus a column of
    ones), ``condition`` = ``s_max / s_min``, the condition number of the regularised normal matrix
    (``condition_ridge``, for ``ridge=0`` the square of ``condition``), and ``ridge``/``lam``.
    (Li et al. fit the hacking network by gradient descent instead; the official code,
    github.com/tenghuilee/nnvolterra, uses Adam.)
    """
    checks.function(black_box, "black_box", "callable (forward calls only)")
    x = _tensor(inputs, "inputs")
    nd = checks.ndim(ndim)
    if x.dim() != 2 + nd:
        raise ValueError(
            f"inputs must have shape (N, C_in, *spatial) with {nd} spatial dimension(s), "
            f"got {tuple(x.shape)}"
        )
    steps = checks.integer(steps, "steps", 0)
    ridge = checks.real(ridge, "ridge", minimum=0.0)
    with torch.no_grad():
        y = black_box(x)
    y = _tensor(y, "black_box(inputs)")
    net = HackingNetwork(x.shape[1], y.shape[1], kernel_size, stride, padding, nd, rank).to(x.dtype)
    K = net.kernel_size
    P = _patches(
        x, (K,) * nd, (net.stride,) * nd, (net.padding,) * nd
    )  # flipped windows (N, *T, D)
    if tuple(P.shape[1:-1]) != tuple(y.shape[2:]):
        raise ValueError(
            f"black_box output grid {tuple(y.shape[2:])} does not match kernel_size={K}, "
            f"stride={net.stride}, padding={net.padding} on inputs {tuple(x.shape[2:])} "
            f"(which give {tuple(P.shape[1:-1])})"
        )
    A = torch.cat(
        [P.reshape(-1, P.shape[-1]), torch.ones(P[..., :1].reshape(-1, 1).shape, dtype=x.dtype)], 1
    )
    Y = y.movedim(1, -1).reshape(-1, y.shape[1])
    A64, Y64 = A.double(), Y.double()
    sv = torch.linalg.svdvals(A64)
    cond = float(sv[0] / sv[-1]) if float(sv[-1]) > 0 else math.inf
    AtA = A64.T @ A64
    lam = ridge * float(torch.diagonal(AtA).mean())
    if lam > 0:
        reg = torch.full((A64.shape[1],), lam, dtype=torch.float64)
        reg[-1] = 0.0  # the bias is not shrunk
        N = AtA + torch.diag(reg)
        sol = torch.linalg.solve(N, A64.T @ Y64).to(x.dtype)  # (D + 1, C_out)
        ev = torch.linalg.eigvalsh(N)
        cond_r = float(ev[-1] / ev[0]) if float(ev[0]) > 0 else math.inf
    else:
        sol = torch.linalg.lstsq(A64, Y64).solution.to(x.dtype)  # (D + 1, C_out)
        cond_r = cond**2
    with torch.no_grad():
        w = (
            sol[:-1]
            .T.reshape((y.shape[1], x.shape[1]) + (K,) * nd)
            .flip(dims=tuple(range(2, 2 + nd)))
        )
        net.order1.weight.copy_(w)
        net.order1.bias.copy_(sol[-1])
    if net.rank and steps:
        gen = torch.Generator().manual_seed(seed)
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        for _ in range(steps):
            idx = torch.randint(0, x.shape[0], (min(batch_size, x.shape[0]),), generator=gen)
            opt.zero_grad()
            loss = F.mse_loss(net(x[idx]), y[idx])
            loss.backward()
            opt.step()
    net.fit_info = {"condition": cond, "condition_ridge": cond_r, "ridge": ridge, "lam": lam}
    return net.eval()


# ------------------------------------------------- timing: autograd vs finite differences
@dataclass(frozen=True)
class KernelTiming:
    """What :func:`time_kernel_methods` measured for one network and order."""

    receptive_field: int
    order: int
    autograd_s: float
    fd_s: float
    error: float

    @property
    def ratio(self) -> float:
        """Finite-difference time over autograd time."""
        return self.fd_s / self.autograd_s


def time_kernel_methods(
    model: nn.Module,
    order: int = 1,
    in_channels: int = 1,
    ndim: int = 2,
    repeat: int = 3,
    threads: int | None = 1,
) -> KernelTiming:
    """Time :func:`local_kernels` of ``model`` by autograd and by finite differences.

    The model's geometry comes from :func:`conv_geometry`. One untimed autograd call warms up
    ``torch.func``; then each method runs ``repeat`` times and the best time counts (a shared
    machine only ever slows a run down), on ``threads`` torch threads (``None``: as set; restored
    afterwards). ``error``: the largest relative difference of the kernels of orders 1..``order``
    between the two methods.
    """
    order = checks.integer(order, "order", 1)
    repeat = checks.integer(repeat, "repeat", 1)
    if threads is not None:
        threads = checks.integer(threads, "threads", 1)
    K, S, P = conv_geometry(model)
    run = lambda method: local_kernels(
        model, in_channels, K, S, P, ndim=ndim, order=order, method=method
    )
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        run("autograd")  # warm-up, not timed
        best = {}
        for method in ("autograd", "fd"):
            for _ in range(repeat):
                t0 = time.perf_counter()
                out = run(method)
                best[method] = min(best.get(method, float("inf")), time.perf_counter() - t0)
            best[method, "kernels"] = out
    finally:
        torch.set_num_threads(before)
    ag, fd = best["autograd", "kernels"], best["fd", "kernels"]
    error = max(relative_error(fd.kernels[n], ag.kernels[n]) for n in range(1, order + 1))
    return KernelTiming(K, order, best["autograd"], best["fd"], error)


# ---------------------------------------- composition counts, rank, perturbation directions
def composition_term_counts(inner_order: int, outer_order: int) -> list[int]:
    """Number of kernel terms per order when an order-N series is fed into an order-M series.

    Each term of the composition is one outer order ``m <= M`` with one inner order ``n_i <= N``
    per factor (ordered): it has order ``n_1 + ... + n_m``. The count for order ``k`` is therefore
    the coefficient of ``x^k`` in ``sum_{m=0..M} (1 + x + ... + x^N)^m``; the list has ``N M + 1``
    entries (orders 0..NM) and sums to ``sum_m (N + 1)^m``. For N = M = 2 it is ``[3, 3, 4, 2, 1]``,
    the count printed by the official code of Li et al. 2021 (github.com/tenghuilee/nnvolterra).
    """
    N = checks.integer(inner_order, "inner_order", 0)
    M = checks.integer(outer_order, "outer_order", 0)
    counts = [0] * (N * M + 1)
    for m in range(M + 1):
        for ns in itertools.product(range(N + 1), repeat=m):
            counts[sum(ns)] += 1
    return counts


def perturbation_growth(
    signal,
    eps,
    orders=(1, 2, 3, 4, 5),
    n_kernels: int = 100,
    kernel_size: int = 5,
    position: int | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Median output change of random order-n Volterra convolutions when a spike is added: the
    experiment of the official code of Li et al. 2021 (``perturbation_draw.py``).

    ``y = signal`` with ``eps`` added at ``position`` (default: the middle sample). For each order
    ``n`` in ``orders``, ``n_kernels`` kernels ``H_n`` of size ``kernel_size`` per axis with i.i.d.
    Gaussian entries, each scaled to unit Frobenius norm, are drawn from ``generator`` (order by
    order, once: every ``eps`` sees the same kernels); the result is the median over the kernels
    of ``||H_n * y^n - H_n * x^n||`` ("valid" mode, eq V1), shape ``(len(eps), len(orders))``.

    Closed forms (tested): order 1 changes by exactly ``eps`` when the spike is at least
    ``kernel_size - 1`` samples from both ends (``H_1 * (eps delta)`` has the norm
    ``eps ||H_1|| = eps``); on a zero signal order ``n`` changes by ``eps^n ||diag H_n||``, so its
    median scales as ``eps^n``.
    """
    x = _tensor(signal, "signal")
    if x.dim() != 1 or not x.dtype.is_floating_point:
        raise ValueError(
            f"signal must be a real 1-D tensor, got shape {tuple(x.shape)}, dtype {x.dtype}"
        )
    eps = [checks.real(e, "eps") for e in checks.sequence(eps, "eps", nonempty=True)]
    orders = [
        checks.integer(n, "orders", 1) for n in checks.sequence(orders, "orders", nonempty=True)
    ]
    n_kernels = checks.integer(n_kernels, "n_kernels", 1)
    K = checks.integer(kernel_size, "kernel_size", 1, len(x), note=" (the signal's length at most)")
    pos = len(x) // 2 if position is None else checks.integer(position, "position", 0, len(x) - 1)
    ys = x.repeat(len(eps) + 1, 1)  # row 0: the signal; rows 1..: with a spike
    ys[1:, pos] += torch.tensor(eps, dtype=x.dtype)
    ys = ys[:, None]  # (1 + len(eps), 1 channel, L)
    out = torch.empty(len(eps), len(orders), dtype=x.dtype)
    for j, n in enumerate(orders):
        H = torch.randn((n_kernels,) + (K,) * n, generator=generator, dtype=x.dtype)
        H = H / H.flatten(1).norm(dim=1).reshape((-1,) + (1,) * n)
        H = H.reshape((n_kernels,) + (1, K) * n)  # n_kernels output channels, one input channel
        z = volterra_conv(ys, H, n)  # (1 + len(eps), n_kernels, T)
        out[:, j] = (z[1:] - z[:1]).norm(dim=-1).median(dim=-1).values
    return out


def spectrum_matched(d, generator: torch.Generator | None = None) -> torch.Tensor:
    """A random signal with exactly the power spectrum of ``d``: ``|FFT(r)| = |FFT(d)|`` per item.

    ``d``: ``(B, *spatial)`` with 1 or 2 trailing spatial dimensions taken as ``(..., H, W)`` when
    ``d.dim() >= 3`` (2-D DFT over the last two axes), else 1-D over the last axis. The phases are
    those of white Gaussian noise (Hermitian-symmetric, so ``r`` is real), so ``r`` has the same
    energy (Parseval) and autocorrelation as ``d`` but random phases: a "coloured noise" control.
    """
    d = _tensor(d, "d")
    if d.dim() < 2:
        raise ValueError(f"d must have shape (B, *spatial), got {tuple(d.shape)}")
    dims = (-2, -1) if d.dim() >= 3 else (-1,)
    noise = torch.randn(d.shape, generator=generator, dtype=d.dtype)
    Nf = torch.fft.fftn(noise, dim=dims)
    mag = torch.fft.fftn(d, dim=dims).abs()
    phase = Nf / Nf.abs().clamp_min(torch.finfo(d.dtype).tiny)
    shape = [d.shape[i] for i in dims]
    return torch.fft.ifftn(mag * phase, s=shape, dim=dims).real


def official_perturbation(kernel, x, strength: float = 0.4) -> torch.Tensor:
    """The perturbation of the official code of Li et al. 2021 (github.com/tenghuilee/nnvolterra,
    ``mnist_hack.py``, ``compute_ker_perturbation``).

    ``E_p = minmax(pad(kernel) - x)``, ``x' = x + strength * E_p``: the kernel zero-padded at the
    end of each axis to the image size (cropped there if larger; what ``ifft(fft(kernel, s=x.shape)
    - fft(x))`` computes), minus the image, min-max normalised to ``[0, 1]`` per image.
    ``kernel``: ``(H_k, W_k)`` or one per image ``(B, H_k, W_k)``; ``x``: ``(B, H, W)`` images in
    pixel units ``[0, 1]``. Returns ``x'`` (same shape).
    """
    x = _tensor(x, "x")
    k = _tensor(kernel, "kernel").to(x.dtype)
    strength = checks.real(strength, "strength", minimum=0.0)
    if x.dim() != 3 or k.dim() not in (2, 3):
        raise ValueError(
            f"x must be (B, H, W) and kernel (H_k, W_k) or (B, H_k, W_k), "
            f"got {tuple(x.shape)} and {tuple(k.shape)}"
        )
    H, W = x.shape[-2:]
    ch, cw = min(k.shape[-2], H), min(k.shape[-1], W)
    pad = torch.zeros(k.shape[:-2] + (H, W), dtype=x.dtype)
    pad[..., :ch, :cw] = k[..., :ch, :cw]
    E = pad - x
    lo = E.flatten(1).min(1).values[:, None, None]
    hi = E.flatten(1).max(1).values[:, None, None]
    E = (E - lo) / (hi - lo).clamp_min(torch.finfo(x.dtype).tiny)
    return x + strength * E
