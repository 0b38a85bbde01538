"""Pooling and deconvolution read as modulation (paper 001: Wu et al. 2022, section 3.3 and
section 4).

========================================================  ==========================================
eq 27      average pooling = conv with ``1_K / K``, then  :func:`avg_pool_as_conv`
           the pooling stride (exact at padded /
           ceil-mode edges)
(eq 27)    the box filter's response (Dirichlet kernel)   :func:`box_response`
eqs 28-29  spectral pooling (Rippel et al. 2015): keep    :func:`spectral_pool`,
           the centred band of the DFT                    :class:`SpectralPool1d`,
                                                          :class:`SpectralPool2d`,
                                                          :func:`crop_window`
eq 30      spectral pooling = circular conv with ``h``    :func:`spectral_pool_kernel`,
           (the inverse DFT of the crop window), then     :func:`spectral_pool_as_conv`
           decimation
Zhang 2019 anti-aliased pooling: blur, then subsample     :func:`binomial_kernel`,
                                                          :class:`BlurPool1d`, :class:`BlurPool2d`,
                                                          :class:`MaxBlurPool1d`,
                                                          :class:`MaxBlurPool2d`
Springenberg learned pooling: a conv with stride 2        :class:`StridedConvPool1d`
Zhang 2019 shift-equivariance and label consistency       :func:`fourier_shift`,
                                                          :func:`shift_equivariance`,
                                                          :func:`shift_consistency`
section 4  deconvolution = zero insertion + conv with     :func:`zero_insert`,
           the flipped, in/out-swapped kernel             :func:`transposed_conv_as_zero_insertion`
========================================================  ==========================================

Conventions. Signals are ``(B, C, N)`` and images ``(B, C, H, W)``; the last one (two) dimensions
are time (space). Frequencies are in cycles/sample. DFTs are torch's (unnormalised forward
transform, ``1/N`` on the inverse). Decimation by ``D`` keeps the samples ``0, D, 2D, ...``.

**Spectral pooling and the Hermitian corner bins.** Keeping the centred ``M`` of ``N`` DFT bins
keeps the frequencies ``k = -floor(M/2) .. ceil(M/2) - 1``. For odd ``M`` that band is symmetric and
a real input gives a real output. For even ``M`` the band has the single bin ``-M/2`` without its
mirror ``+M/2``; we take **both** input bins ``+-M/2`` with weight 1/2 and add them into the
output's Nyquist bin, ``Y[M/2] = (X[M/2] + X[-M/2]) / 2 = Re X[M/2]`` for a real input. The crop
window is then Hermitian (``H[k] = 1`` for ``|k| < M/2``, ``1/2`` at ``|k| = M/2``, 0 elsewhere),
its inverse DFT ``h`` is real and even, and eqs 28-30 hold exactly (:func:`spectral_pool_as_conv`).
Rippel et al. instead zero the imaginary part of the self-conjugate bins; for a real input the two
rules give the same output. In 2-D the rule is applied along each axis, so each of the four corner
bins ``(+-M1/2, +-M2/2)`` has weight 1/4.

**Scaling.** With torch's transforms, ``ifft_M(crop(fft_N(x)))`` is ``N/M`` times the decimated,
filtered signal. :func:`spectral_pool` divides by ``N/M`` (``rescale=True``, default), so that, like
average pooling, it keeps a constant input constant: then ``spectral_pool(x, M) = (x (*) h)[n N/M]``
with ``h = ifft_N(H)`` exactly, and ``rescale=False`` gives Rippel et al.'s raw crop, ``N/M`` times
that.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .layers import _unify
from . import checks

__all__ = [
    "avg_pool_as_conv",
    "box_response",
    "crop_window",
    "spectral_pool",
    "spectral_pool_kernel",
    "spectral_pool_as_conv",
    "SpectralPool1d",
    "SpectralPool2d",
    "binomial_kernel",
    "BlurPool1d",
    "BlurPool2d",
    "MaxBlurPool1d",
    "MaxBlurPool2d",
    "StridedConvPool1d",
    "fourier_shift",
    "shift_equivariance",
    "shift_consistency",
    "zero_insert",
    "transposed_conv_as_zero_insertion",
]


# --------------------------------------------------------------------------------------------
# argument checks (private)
# --------------------------------------------------------------------------------------------
def _signal(x, name: str = "x") -> tuple[torch.Tensor, int]:
    """A real floating tensor ``(B, C, N)`` (nd=1) or ``(B, C, H, W)`` (nd=2)."""
    t = checks.tensor(x, name, allow_complex=False)
    if t.ndim not in (3, 4):
        raise ValueError(
            f"{name} must have shape (B, C, N) or (B, C, H, W), got shape {tuple(t.shape)}"
        )
    return t, t.ndim - 2


def _signal_nd(x, name: str, nd: int) -> torch.Tensor:
    t = checks.tensor(x, name, allow_complex=False)
    if t.ndim != nd + 2:
        layout = "(B, C, N)" if nd == 1 else "(B, C, H, W)"
        raise ValueError(f"{name} must have shape {layout}, got shape {tuple(t.shape)}")
    return t


# --------------------------------------------------------------------------------------------
# eq 27: average pooling is a convolution with the ones kernel / K, then the stride
# --------------------------------------------------------------------------------------------
def _pool_out_size(n: int, k: int, s: int, p: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output size (a last window must start inside the input or its left
    padding)."""
    span = n + 2 * p - k
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def avg_pool_as_conv(
    x, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True
) -> torch.Tensor:
    """Average pooling written as a convolution (paper 001, eq 27, and its Fig. 15).

    ``ap(x)[n] = (x (*) 1_K / K)[n * stride]``: every channel is convolved on its own (a depthwise
    convolution, ``groups = C``) with the ones kernel scaled by ``1/K`` (``K = k`` in 1-D,
    ``K = k1 k2`` in 2-D) and the result is kept at every ``stride``-th position. At the edges a
    window may overlap the zero padding (``padding``) or, with ``ceil_mode``, reach past it; there
    PyTorch divides by the number of samples the window covers (inside the padded input when
    ``count_include_pad``, inside the input itself otherwise). We get that divisor map exactly by
    convolving a ones map the same way, and rescale: ``y = conv(x, 1/K) * K / count`` (``count = K``
    for every interior window, so there eq 27 holds as written).

    Args:
        x: ``(B, C, N)`` or ``(B, C, H, W)`` real tensor.
        kernel_size, stride, padding: ints or tuples as for ``F.avg_pool1d`` / ``F.avg_pool2d``
            (``stride=None``: equal to ``kernel_size``); ``padding <= kernel_size // 2``.
        ceil_mode, count_include_pad: as in PyTorch.

    Returns:
        The pooled tensor, equal to ``F.avg_pool1d`` / ``F.avg_pool2d`` with the same arguments.
    """
    t, nd = _signal(x)
    k = checks.int_tuple(kernel_size, "kernel_size", nd, 1)
    s = k if stride is None else checks.int_tuple(stride, "stride", nd, 1)
    p = checks.int_tuple(padding, "padding", nd, 0)
    ceil_mode = checks.boolean(ceil_mode, "ceil_mode")
    count_include_pad = checks.boolean(count_include_pad, "count_include_pad")
    if any(pi > ki // 2 for pi, ki in zip(p, k)):
        raise ValueError(
            f"padding must be at most half the kernel_size (as in PyTorch), got padding={p} "
            f"for kernel_size={k}"
        )
    sizes = t.shape[2:]
    if any(n + 2 * pi < ki for n, pi, ki in zip(sizes, p, k)):
        raise ValueError(
            f"kernel_size {k} is larger than the padded input "
            f"{tuple(n + 2 * pi for n, pi in zip(sizes, p))}"
        )
    outs = [_pool_out_size(n, ki, si, pi, ceil_mode) for n, ki, si, pi in zip(sizes, k, s, p)]
    # pad: p zeros on each side, and on the right as many more as the last (ceil-mode) window needs
    extra = [
        max(0, (o - 1) * si + ki - (n + 2 * pi)) for o, si, ki, n, pi in zip(outs, s, k, sizes, p)
    ]
    pads, inside = [], []
    for d in reversed(range(nd)):  # F.pad order: last dimension first
        pads += [p[d], p[d] + extra[d]]
    xp = F.pad(t, pads)
    C = t.shape[1]
    K = math.prod(k)
    conv = F.conv1d if nd == 1 else F.conv2d
    ones_kernel = torch.full(
        (C, 1, *k), 1.0 / K, dtype=t.dtype, device=t.device
    )  # 1_K / K per channel
    y = conv(xp, ones_kernel, stride=s, groups=C)  # eq 27
    # the divisor map: how many samples each window averages over (K in the interior)
    mask = torch.zeros((1, 1, *xp.shape[2:]), dtype=t.dtype, device=t.device)
    for d in range(nd):
        lo, hi = (p[d], p[d] + sizes[d]) if not count_include_pad else (0, sizes[d] + 2 * p[d])
        inside.append(slice(lo, hi))
    mask[(..., *inside)] = 1.0
    ones = torch.ones((1, 1, *k), dtype=t.dtype, device=t.device)
    count = conv(mask, ones, stride=s)
    return y * (K / count)


def box_response(kernel_size, freqs) -> torch.Tensor:
    """Magnitude response of the box filter ``1_K / K`` of eq 27 (the Dirichlet kernel).

    1-D: ``|H(f)| = |sin(pi K f) / (K sin(pi f))|`` with ``f`` in cycles/sample (``w = 2 pi f``),
    1 at ``f = 0`` (and at every integer ``f``). 2-D: the product of the two 1-D responses on the
    grid ``freqs = (f1, f2)``; for 2x2 average pooling this is ``|cos(pi f1) cos(pi f2)|`` =
    ``|cos(w1/2) cos(w2/2)|``.

    Args:
        kernel_size: ``K`` (int) for 1-D, ``(K1, K2)`` for 2-D.
        freqs: 1-D tensor of frequencies for 1-D; a pair ``(f1, f2)`` of 1-D tensors for 2-D.

    Returns:
        ``|H|``, shape ``freqs.shape`` (1-D) or ``(len(f1), len(f2))`` (2-D), float64.
    """
    if isinstance(kernel_size, (tuple, list)):
        k = checks.int_tuple(kernel_size, "kernel_size", 2, 1)
        checks.sequence(
            freqs,
            "freqs",
            "a pair (f1, f2) of 1-D frequency tensors for a 2-D kernel_size",
            length=2,
        )
        f1 = checks.tensor(freqs[0], "freqs[0]", allow_complex=False).double().reshape(-1)
        f2 = checks.tensor(freqs[1], "freqs[1]", allow_complex=False).double().reshape(-1)
        return box_response(k[0], f1)[:, None] * box_response(k[1], f2)[None, :]
    k = checks.integer(kernel_size, "kernel_size", 1)
    f = checks.tensor(freqs, "freqs", allow_complex=False).double()
    num, den = torch.sin(math.pi * k * f), k * torch.sin(math.pi * f)
    near_int = (f - torch.round(f)).abs() < 1e-12  # 0/0: the limit has |H| = 1
    return torch.where(
        near_int, torch.ones_like(f), (num / torch.where(near_int, torch.ones_like(den), den)).abs()
    )


# --------------------------------------------------------------------------------------------
# eqs 28-30: spectral pooling
# --------------------------------------------------------------------------------------------
def crop_window(n: int, size: int) -> torch.Tensor:
    """The crop window ``H[k]`` of eq 29 on the (unshifted) DFT grid of length ``n``, float64.

    ``H[k] = 1`` for ``|k| < size/2``, ``1/2`` at ``|k| = size/2`` when ``size`` is even (the two
    Hermitian corner bins, see the module docstring), 0 elsewhere; ``size == n`` gives all ones.
    """
    n = checks.integer(n, "n", 1)
    size = checks.integer(size, "size", 1)
    if size > n:
        raise ValueError(
            f"size must be at most n (spectral pooling crops the spectrum), got size={size} > n={n}"
        )
    if size == n:
        return torch.ones(n, dtype=torch.float64)
    k = torch.fft.fftfreq(n, 1.0 / n, dtype=torch.float64).round().abs()  # |k| = 0, 1, ..., n//2
    H = (k < size / 2).double()
    if size % 2 == 0:
        H[k == size / 2] = 0.5
    return H


def _crop_axis(X: torch.Tensor, size: int, dim: int) -> torch.Tensor:
    """Keep the centred ``size`` bins of the (unshifted) spectrum along ``dim``; merge the corner
    bins."""
    n = X.shape[dim]
    if size == n:
        return X
    m = torch.fft.fftfreq(size, 1.0 / size).round().long()  # output frequencies
    Y = X.index_select(dim, m % n)
    if size % 2 == 0:  # Nyquist bin of the output
        half = size // 2
        pos = X.narrow(dim, half, 1)
        neg = X.narrow(dim, n - half, 1)
        idx = [slice(None)] * X.ndim
        idx[dim] = slice(half, half + 1)
        Y = Y.clone()
        Y[tuple(idx)] = 0.5 * (pos + neg)
    return Y


def _sizes(x: torch.Tensor, nd: int, size, name: str = "size") -> tuple[int, ...]:
    sz = checks.int_tuple(size, name, nd, 1)
    have = tuple(x.shape[2:])
    if any(m > n for m, n in zip(sz, have)):
        raise ValueError(
            f"{name} must be at most the input size {have} (spectral pooling crops), got {sz}"
        )
    return sz


def spectral_pool(x, size, rescale: bool = True) -> torch.Tensor:
    """Spectral pooling (Rippel, Snoek & Adams 2015; paper 001 eqs 28-29): keep the centred band.

    ``x`` is transformed with the DFT over its last one (``(B, C, N)``) or two (``(B, C, H, W)``)
    dimensions, the centred ``size`` bins (lowest frequencies) are kept -- the window ``H`` of
    eq 29, with the Hermitian treatment of the even-size corner bins of the module docstring -- and
    the inverse DFT of that smaller spectrum is the output, real for even and odd sizes.

    Args:
        x: ``(B, C, N)`` or ``(B, C, H, W)`` real tensor (differentiable).
        size: output length ``M`` (int) or ``(M1, M2)``; each at most the input's size.
        rescale: divide by ``N / M`` (per axis) so a constant stays constant (default); ``False``
            gives the raw ``ifft_M(crop(fft_N(x)))``.

    Returns:
        ``(B, C, M)`` or ``(B, C, M1, M2)``, the dtype of ``x``.
    """
    t, nd = _signal(x)
    sz = _sizes(t, nd, size)
    rescale = checks.boolean(rescale, "rescale")
    dims = tuple(range(-nd, 0))
    X = torch.fft.fftn(t, dim=dims)
    for d, m in zip(dims, sz):
        X = _crop_axis(X, m, d)
    y = torch.fft.ifftn(X, dim=dims).real
    if rescale:
        y = y * (math.prod(sz) / math.prod(t.shape[2:]))
    return y.to(t.dtype)


def spectral_pool_kernel(n, size) -> torch.Tensor:
    """``h = ifft_n(H)``: the time-domain kernel of spectral pooling (paper 001, eq 30), float64.

    ``H`` is :func:`crop_window`; ``h`` is real and even (``h[k] = h[-k]``), a periodic sinc
    (Dirichlet) kernel with ``h[0] = sum(H) / n``, about ``size / n``. For 2-D (``n`` and ``size``
    pairs) it is the outer product of the two 1-D kernels, shape ``(n1, n2)``.
    """
    if isinstance(n, (tuple, list)) or isinstance(size, (tuple, list)):
        nn_ = checks.int_tuple(n, "n", 2, 1)
        ss = checks.int_tuple(size, "size", 2, 1)
        return (
            spectral_pool_kernel(nn_[0], ss[0])[:, None]
            * spectral_pool_kernel(nn_[1], ss[1])[None, :]
        )
    H = crop_window(n, size)
    return torch.fft.ifft(H.to(torch.complex128)).real


def spectral_pool_as_conv(x, size) -> torch.Tensor:
    """Eqs 28-30 in the time domain: circular convolution with ``h``, then decimation by ``N / M``.

    ``(x (*) h)[n] = sum_k h[k] x[(n - k) mod N]`` is computed directly (a depthwise convolution on
    the circularly padded input, no FFT), then every ``D = N / M``-th sample is kept. This equals
    ``spectral_pool(x, size)`` (``rescale=True``) exactly, and
    ``spectral_pool(x, size, rescale=False)`` divided by ``D`` -- the scale factor of the
    unnormalised DFTs. ``N`` must be a multiple of ``M`` (per axis) for decimation to be defined.
    """
    t, nd = _signal(x)
    sz = _sizes(t, nd, size)
    have = tuple(t.shape[2:])
    if any(n % m for n, m in zip(have, sz)):
        raise ValueError(
            f"size must divide the input size {have} (decimation by an integer N / M), got {sz}"
        )
    h = (
        spectral_pool_kernel(have if nd == 2 else have[0], sz if nd == 2 else sz[0])
        .to(t.dtype)
        .to(t.device)
    )
    C = t.shape[1]
    # circular padding of N - 1 samples on the left: xp[i] = x[(i - (N - 1)) mod N]
    xp = t
    for d in range(nd):
        dim = 2 + d
        n = have[d]
        xp = torch.cat([xp.narrow(dim, 1, n - 1), xp], dim=dim) if n > 1 else xp
    w = torch.flip(h, dims=tuple(range(nd)))  # conv (cross-correlation) with flip(h)
    w = w.expand(C, 1, *h.shape)
    conv = F.conv1d if nd == 1 else F.conv2d
    g = conv(xp, w, groups=C)  # (x (*) h), length N per axis
    idx = (..., *(slice(None, None, n // m) for n, m in zip(have, sz)))
    return g[idx]


class _SpectralPool(nn.Module):
    nd = 1

    def __init__(self, size=None, factor=None):
        super().__init__()
        if (size is None) == (factor is None):
            raise ValueError(
                f"give exactly one of size (output size) and factor (reduction), "
                f"got size={size!r}, factor={factor!r}"
            )
        self.size = None if size is None else checks.int_tuple(size, "size", self.nd, 1)
        self.factor = None if factor is None else checks.int_tuple(factor, "factor", self.nd, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.size is not None:
            size = self.size
        else:
            size = tuple(max(1, n // f) for n, f in zip(x.shape[2:], self.factor))
        return spectral_pool(x, size)

    def extra_repr(self) -> str:
        return f"size={self.size}" if self.size is not None else f"factor={self.factor}"


class SpectralPool1d(_SpectralPool):
    """:func:`spectral_pool` as a layer for ``(B, C, N)``: ``size=M`` (fixed output length) or
    ``factor=D`` (output length ``N // D``, e.g. 2 in place of a stride-2 pool). Rescaled
    (``rescale=True``), so a constant input passes unchanged, like average pooling."""

    nd = 1


class SpectralPool2d(_SpectralPool):
    """:func:`spectral_pool` as a layer for ``(B, C, H, W)``: ``size=(M1, M2)`` or
    ``factor=(D1, D2)``."""

    nd = 2


# --------------------------------------------------------------------------------------------
# anti-aliased pooling (Zhang 2019) and learned pooling (Springenberg et al. 2015)
# --------------------------------------------------------------------------------------------
def binomial_kernel(size: int) -> torch.Tensor:
    """The binomial low-pass ``C(size-1, k) / 2^(size-1)`` (float64, sums to 1): Zhang's blur
    filters.

    ``size = 2`` is the box ``[1, 1]/2`` (average pooling), 3 is ``[1, 2, 1]/4``,
    5 ``[1, 4, 6, 4, 1]/16``; its response is ``|cos(pi f)|^(size-1)``, zero at the Nyquist
    frequency ``f = 1/2``.
    """
    size = checks.integer(size, "size", 1)
    c = torch.tensor([math.comb(size - 1, k) for k in range(size)], dtype=torch.float64)
    return c / c.sum()


class _BlurPool(nn.Module):
    nd = 1

    def __init__(self, stride=2, filt_size: int = 3, pad_mode: str = "reflect"):
        super().__init__()
        self.stride = checks.int_tuple(stride, "stride", self.nd, 1)
        self.filt_size = checks.integer(filt_size, "filt_size", 1)
        self.pad_mode = checks.choice(
            pad_mode,
            "pad_mode",
            ("reflect", "replicate", "zeros", "circular"),
            type_error=ValueError,
        )
        k = binomial_kernel(self.filt_size)
        kernel = k if self.nd == 1 else k[:, None] * k[None, :]
        self.register_buffer("kernel", kernel.float(), persistent=False)
        lo = (self.filt_size - 1) // 2
        hi = self.filt_size - 1 - lo
        self.pads = [lo, hi] * self.nd

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        C = x.shape[1]
        if self.pad_mode == "zeros":
            xp = F.pad(x, self.pads)
        else:
            xp = F.pad(x, self.pads, mode=self.pad_mode)
        w = self.kernel.to(x.dtype).expand(C, 1, *self.kernel.shape)
        conv = F.conv1d if self.nd == 1 else F.conv2d
        return conv(xp, w, stride=self.stride, groups=C)

    def extra_repr(self) -> str:
        return f"stride={self.stride}, filt_size={self.filt_size}, pad_mode={self.pad_mode!r}"


class BlurPool1d(_BlurPool):
    """Blur, then subsample (Zhang 2019): a depthwise binomial low-pass of ``filt_size`` taps
    (:func:`binomial_kernel`) on the ``pad_mode``-padded input, kept at every ``stride``-th sample.
    Output length ``ceil(N / stride)``. No parameters."""

    nd = 1


class BlurPool2d(_BlurPool):
    """2-D :class:`BlurPool1d`: the separable binomial kernel ``k k^T``, then the stride."""

    nd = 2


class _MaxBlurPool(nn.Module):
    nd = 1

    def __init__(self, filt_size: int = 3, stride: int = 2, pad_mode: str = "reflect"):
        super().__init__()
        self.max = (nn.MaxPool1d if self.nd == 1 else nn.MaxPool2d)(kernel_size=2, stride=1)
        self.blur = (BlurPool1d if self.nd == 1 else BlurPool2d)(
            stride=stride, filt_size=filt_size, pad_mode=pad_mode
        )
        self.circular = pad_mode == "circular"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if (
            self.circular
        ):  # wrap one sample so the dense max keeps the length and commutes with roll
            x = F.pad(x, [0, 1] * self.nd, mode="circular")
        return self.blur(self.max(x))


class MaxBlurPool1d(_MaxBlurPool):
    """Anti-aliased max pooling (Zhang 2019, "MaxBlurPool"): max over windows of 2 with stride 1
    (a dense, non-decimating max), then :class:`BlurPool1d` (binomial ``filt_size``, stride 2).
    For an even length ``N`` the output has ``N / 2`` samples, as ``MaxPool1d(2, 2)``.
    ``pad_mode="circular"`` wraps the input instead (for circular shift measurements)."""

    nd = 1


class MaxBlurPool2d(_MaxBlurPool):
    """2-D :class:`MaxBlurPool1d`: ``MaxPool2d(2, stride=1)`` then :class:`BlurPool2d`."""

    nd = 2


class StridedConvPool1d(nn.Conv1d):
    """A learned pooling layer (Springenberg et al. 2015, "all-convolutional"): a ``C -> C``
    convolution with kernel 3, stride 2, padding 1 (``N -> ceil(N / 2)``) in place of a 2/2 pool.

    Read as modulation it is a multi-carrier MIMO modulator (eqs 13-14) followed by decimation:
    the network learns its own anti-aliasing filter (or not)."""

    def __init__(self, channels: int):
        channels = checks.integer(channels, "channels", 1)
        super().__init__(channels, channels, kernel_size=3, stride=2, padding=1)


# --------------------------------------------------------------------------------------------
# shift-equivariance (Zhang 2019)
# --------------------------------------------------------------------------------------------
def fourier_shift(x, shift: float, dim: int = -1) -> torch.Tensor:
    """Delay ``x`` by ``shift`` samples (any real number) circularly along ``dim``: the band-limited
    shift.

    ``X[k] -> X[k] exp(-2 pi i k shift / N)``; for even ``N`` the Nyquist bin gets ``cos(pi shift)``
    (its real, Hermitian part) so a real input stays real. An integer shift equals ``torch.roll``.
    """
    t = checks.tensor(x, "x", allow_complex=False)
    shift = checks.real(shift, "shift", note=" of samples")
    if t.ndim == 0:
        raise ValueError("x must have at least one dimension")
    n = t.shape[dim]
    k = torch.fft.fftfreq(n, 1.0 / n, dtype=torch.float64, device=t.device)
    phase = torch.exp(-2j * math.pi * k * float(shift) / n)
    if n % 2 == 0:
        phase[n // 2] = math.cos(math.pi * float(shift))
    shape = [1] * t.ndim
    shape[dim] = n
    X = torch.fft.fft(t.double(), dim=dim)
    return torch.fft.ifft(X * phase.reshape(shape), dim=dim).real.to(t.dtype)


def shift_equivariance(layer, x, shift: int = 1, stride: int = 2) -> float:
    """Relative equivariance error of a down-sampling layer under a circular input shift
    (Zhang 2019).

    ``err = ||layer(roll(x, shift)) - S_{shift/stride} layer(x)|| / ||layer(x)||``, where ``roll``
    is a **circular** shift of the input along its last dimension and ``S_d`` the band-limited
    (:func:`fourier_shift`) delay of the output by ``d = shift / stride`` of its samples. A layer
    that commutes with shifts at every resolution (an ideal low-pass then decimation) scores 0; a
    shift by a multiple of ``stride`` is an integer output shift. Evaluated without gradients, in
    the layer's current mode.

    Args:
        layer: a callable (module or function) mapping ``(B, C, N)`` to ``(B, C, N / stride)``.
        x: ``(B, C, N)`` input.
        shift: input shift in samples (int, may be negative).
        stride: the layer's overall down-sampling factor.
    """
    checks.function(layer, "layer", "callable (an nn.Module or a function)")
    t = checks.tensor(x, "x", allow_complex=False)
    if t.ndim != 3:
        raise ValueError(f"x must have shape (B, C, N), got shape {tuple(t.shape)}")
    shift = checks.integer(shift, "shift", None, note=" number of samples")
    stride = checks.integer(stride, "stride", 1)
    with torch.no_grad():
        y = layer(t)
        ys = layer(torch.roll(t, int(shift), dims=-1))
    if not isinstance(y, torch.Tensor) or y.shape != ys.shape:
        raise ValueError("layer must return a tensor of one shape for x and its shift")
    ref = fourier_shift(y, int(shift) / stride, dim=-1)
    norm = float(y.norm())
    if norm == 0:
        raise ValueError("layer(x) is all zeros: the relative error is undefined")
    return float((ys - ref).norm()) / norm


def shift_consistency(model, x, shift: int = 1) -> float:
    """Zhang's classification consistency: the fraction of inputs whose predicted class does not
    change when the input is shifted circularly (``torch.roll`` along the last dimension) by
    ``shift`` samples.

    ``model`` maps ``x`` (``(B, ...)``) to logits ``(B, classes)``; it is run without gradients in
    its current mode (call ``model.eval()`` first).
    """
    checks.function(model, "model", "callable (an nn.Module)")
    t = checks.tensor(x, "x", allow_complex=False)
    if t.ndim < 2:
        raise ValueError(f"x must be a batch (B, ..., N), got shape {tuple(t.shape)}")
    shift = checks.integer(shift, "shift", None, note=" number of samples")
    with torch.no_grad():
        a = model(t).argmax(-1)
        b = model(torch.roll(t, int(shift), dims=-1)).argmax(-1)
    return float((a == b).double().mean())


# --------------------------------------------------------------------------------------------
# section 4: deconvolution (transposed convolution) = zero insertion + convolution
# --------------------------------------------------------------------------------------------
def zero_insert(x, factor, ndim: int = 1) -> torch.Tensor:
    """Insert ``factor - 1`` zeros after every sample along the last ``ndim`` dimensions
    (expansion).

    Length ``N -> N * factor``: ``z[n * factor] = x[n]``, zero elsewhere. Its DFT is the input's DFT
    repeated ``factor`` times, ``Z[k] = X[k mod N]``: the spectral images of up-sampling, each with
    the energy of the original band. (A transposed convolution uses the first
    ``(N - 1) * factor + 1`` samples.)
    """
    t = checks.tensor(x, "x", allow_complex=False)
    ndim = checks.integer(ndim, "ndim", 1, 2, note=" (dimensions to expand)", type_error=ValueError)
    if t.ndim < ndim:
        raise ValueError(f"x must have at least {ndim} dimension(s), got shape {tuple(t.shape)}")
    f = checks.int_tuple(factor, "factor", ndim, 1)
    shape = list(t.shape)
    for i, fi in enumerate(f):
        shape[t.ndim - ndim + i] *= fi
    z = t.new_zeros(shape)
    idx = (..., *(slice(None, None, fi) for fi in f))
    z[idx] = t
    return z


def transposed_conv_as_zero_insertion(
    x, weight, bias=None, stride=1, padding=0, output_padding=0
) -> torch.Tensor:
    """A transposed convolution ("deconvolution", paper 001 section 4) as zero insertion +
    convolution.

    ``conv_transpose(x, w) = conv(pad(zero_insert(x, stride)), flip(w)^T)``: insert ``stride - 1``
    zeros between samples (length ``(N - 1) stride + 1``), pad ``k - 1 - padding`` zeros on both
    sides (plus ``output_padding`` on the right; a negative pad crops), and correlate with the
    kernel flipped in time (space) and with in- and out-channels swapped,
    ``w'[q, p] = flip(w[p, q])``, stride 1.

    Args:
        x: ``(B, C_in, N)`` or ``(B, C_in, H, W)``.
        weight: ``(C_in, C_out, k)`` or ``(C_in, C_out, k1, k2)`` (PyTorch's transposed-conv
            layout).
        bias: ``(C_out,)`` or ``None``.
        stride, padding, output_padding: ints or tuples as in ``F.conv_transpose1d/2d``
            (``output_padding < stride``).

    Returns:
        Equal to ``F.conv_transpose1d`` / ``F.conv_transpose2d`` (groups 1, dilation 1).
    """
    w = checks.tensor(weight, "weight", allow_complex=False)
    if w.ndim not in (3, 4):
        raise ValueError(
            f"weight must have shape (C_in, C_out, k) or (C_in, C_out, k1, k2), "
            f"got shape {tuple(w.shape)}"
        )
    nd = w.ndim - 2
    t = _signal_nd(x, "x", nd)
    if t.shape[1] != w.shape[0]:
        raise ValueError(
            f"x has {t.shape[1]} channels but weight expects C_in = {w.shape[0]} "
            f"(weight shape {tuple(w.shape)})"
        )
    t, w, b = _unify(t, w, bias, n_out=w.shape[1])
    s = checks.int_tuple(stride, "stride", nd, 1)
    p = checks.int_tuple(padding, "padding", nd, 0)
    op = checks.int_tuple(output_padding, "output_padding", nd, 0)
    if any(o >= si for o, si in zip(op, s)):
        raise ValueError(
            f"output_padding must be smaller than stride, got output_padding={op}, stride={s}"
        )
    k = tuple(w.shape[2:])
    z = zero_insert(t, s, ndim=nd)
    z = z[(..., *(slice(0, (n - 1) * si + 1) for n, si in zip(t.shape[2:], s)))]
    pads = []
    for d in reversed(range(nd)):
        edge = k[d] - 1 - p[d]
        pads += [edge, edge + op[d]]
    z = F.pad(z, pads)
    if any(n <= 0 for n in z.shape[2:]):
        raise ValueError(
            f"padding {p} is too large for the input {tuple(t.shape[2:])} and kernel {k}"
        )
    w_conv = torch.flip(w, dims=tuple(range(2, 2 + nd))).transpose(0, 1)  # (C_out, C_in, k...)
    conv = F.conv1d if nd == 1 else F.conv2d
    return conv(z, w_conv, b)
