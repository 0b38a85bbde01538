"""Layers read as modulators (paper 001: Wu et al. 2022, sections 3-4).

==========================================================  ======================================
eqs 13-14  conv = multi-carrier MIMO modulation              :func:`modulating_signals`,
           ``y_q[n] = sum_p sum_k w_qp[k] x_p[n+k]``          :func:`conv1d_as_mimo`,
                                                              :func:`conv2d_as_mimo`
(DFT)      the MIMO channel matrix of a conv layer           :func:`conv_channel_matrix`
Table 2    conv parameters <-> MIMO parameters               :func:`table2`, :func:`carrier_reading`
eqs 21-23  ReLU = DSB-SC with carrier ``H(y)``                :func:`relu_as_dsb_sc`
(eq 22)    ReLU of a cosine: the rectified-cosine spectrum   :func:`rectified_cosine_coefficients`,
                                                              :func:`rectified_cosine_spectrum_closed_form`
eqs 31-34  CDIFF, ADIFF, ACDIFF, AADIFF                       :func:`cdiff`, :func:`adiff`,
                                                              :func:`acdiff`, :func:`aadiff`,
                                                              :func:`layer_differences`
eq 36      AADIFF = -lambda ACDIFF                            :func:`fit_lambda`
==========================================================  ======================================

Conventions. Indices are 0-based: the paper's ``k = 1..K`` (eq 13) is our ``k = 0..K-1``, so
``y_q[n] = sum_p sum_k w_qp[k] x_p[n*stride + k]`` on the (zero- or circularly-) padded input,
exactly what ``torch.nn.functional.conv1d`` computes (a cross-correlation, as eq 13 says most
libraries do). Frequencies are in cycles/sample. Spectra of eqs 31-34 are the fftshift-centred mean
spectra of ``helpers.spectra.SpectrumMean`` (``psi`` of eqs 17, 18, 26).
"""

from __future__ import annotations

import math
from collections import namedtuple
from collections.abc import Mapping

import torch
import torch.nn.functional as F

from . import checks

__all__ = [
    "modulating_signals",
    "conv1d_as_mimo",
    "conv2d_as_mimo",
    "conv_channel_matrix",
    "carrier_reading",
    "table2",
    "relu_as_dsb_sc",
    "rectified_cosine_coefficients",
    "rectified_cosine_spectrum_closed_form",
    "cdiff",
    "adiff",
    "to_grid",
    "acdiff",
    "aadiff",
    "layer_differences",
    "LambdaFit",
    "fit_lambda",
]

PADDING_MODES = ("zeros", "circular")


# --------------------------------------------------------------------------------------------
# argument checks (private)
# --------------------------------------------------------------------------------------------
def _conv_inputs(x, weight, bias, nd: int):
    """Tensors for a conv: ``x`` gets a batch axis if it lacks one; dtypes are unified."""
    w = checks.tensor(weight, "weight", allow_complex=False)
    if w.ndim != nd + 2:
        layout = "(Q, P, K)" if nd == 1 else "(Q, P, K1, K2)"
        raise ValueError(
            f"weight must have shape {layout} (out channels, in channels, kernel), "
            f"got shape {tuple(w.shape)}"
        )
    t = checks.tensor(x, "x", allow_complex=False)
    unbatched = t.ndim == nd + 1
    if unbatched:
        t = t[None]
    if t.ndim != nd + 2:
        layout = "(B, P, N) or (P, N)" if nd == 1 else "(B, P, H, W) or (P, H, W)"
        raise ValueError(
            f"x must have shape {layout}, got shape {tuple(checks.tensor(x, 'x').shape)}"
        )
    if t.shape[1] != w.shape[1]:
        raise ValueError(
            f"x has {t.shape[1]} input channels but weight expects {w.shape[1]} "
            f"(weight shape {tuple(w.shape)})"
        )
    t, w, b = _unify(t, w, bias, n_out=w.shape[0])
    return t, w, b, unbatched


def _unify(t: torch.Tensor, w: torch.Tensor, bias, n_out: int):
    """Input and weight in their common dtype (on the input's device), and the bias ``(n_out,)``
    cast to it (``None`` stays ``None``); shared by the convolution and transposed-convolution
    identities."""
    dtype = torch.promote_types(t.dtype, w.dtype)
    t, w = t.to(dtype), w.to(dtype=dtype, device=t.device)
    b = None
    if bias is not None:
        b = checks.tensor(bias, "bias", allow_complex=False).to(dtype=dtype, device=t.device)
        if b.shape != (n_out,):
            raise ValueError(
                f"bias must have shape ({n_out},) (one per output channel), got {tuple(b.shape)}"
            )
    return t, w, b


def _pad(t: torch.Tensor, pads: tuple[int, ...], mode: str) -> torch.Tensor:
    """Pad the last len(pads)//2 dims (F.pad order); circular padding may exceed the size by
    wrapping."""
    if not any(pads):
        return t
    if mode == "zeros":
        return F.pad(t, pads)
    # circular: index arithmetic, so any padding works (F.pad limits it to the input size)
    nd = len(pads) // 2
    for i in range(nd):
        dim = t.ndim - 1 - i
        lo, hi = pads[2 * i], pads[2 * i + 1]
        n = t.shape[dim]
        idx = torch.arange(-lo, n + hi, device=t.device) % n
        t = t.index_select(dim, idx)
    return t


# --------------------------------------------------------------------------------------------
# convolution as multi-carrier MIMO modulation (eqs 11, 13, 14)
# --------------------------------------------------------------------------------------------
def modulating_signals(
    x, kernel_size: int, stride: int = 1, padding: int = 0, padding_mode: str = "zeros"
) -> torch.Tensor:
    """The modulating signals ``x_{p,k}[n] = x_p[n*stride + k]`` of a 1-D conv (paper 001,
    eqs 11, 13).

    Section 3.1.1: "replace ``x_{p,k}[n]`` by ``x_p[n+k]``" -- the k-th modulating signal of
    transmit antenna ``p`` is input channel ``p`` shifted by ``k`` samples (then decimated by
    ``stride``).

    Args:
        x: ``(B, P, N)`` or ``(P, N)`` real signals (P input channels = transmit antennas).
        kernel_size: ``K``, the number of carriers per antenna.
        stride, padding: as in ``torch.nn.functional.conv1d`` (``padding`` samples on each side).
        padding_mode: ``"zeros"`` or ``"circular"`` (wrap around).

    Returns:
        ``(B, P, K, L)`` (or ``(P, K, L)``) with ``L = (N + 2 padding - K) // stride + 1``.
    """
    (k,) = checks.int_tuple(kernel_size, "kernel_size", 1, 1)
    (s,) = checks.int_tuple(stride, "stride", 1, 1)
    (p,) = checks.int_tuple(padding, "padding", 1, 0)
    mode = checks.choice(padding_mode, "padding_mode", PADDING_MODES, type_error=ValueError)
    t = checks.tensor(x, "x", allow_complex=False)
    unbatched = t.ndim == 2
    if unbatched:
        t = t[None]
    if t.ndim != 3:
        raise ValueError(f"x must have shape (B, P, N) or (P, N), got shape {tuple(t.shape)}")
    t = _pad(t, (p, p), mode)
    if t.shape[-1] < k:
        raise ValueError(
            f"kernel_size={k} is longer than the padded signal ({t.shape[-1]} samples)"
        )
    xs = t.unfold(-1, k, s).transpose(-1, -2)  # (B, P, K, L): xs[b, p, k, n] = t[b, p, n*s + k]
    return xs[0] if unbatched else xs


def conv1d_as_mimo(
    x, weight, bias=None, stride: int = 1, padding: int = 0, padding_mode: str = "zeros"
) -> torch.Tensor:
    """A 1-D conv layer computed as a multi-carrier MIMO modulator (paper 001, eqs 11, 13, 14).

    ``y_q[n] = sum_{p=1}^{I} sum_{k=0}^{K-1} w_{q,p}[k] x_p[n*stride + k] (+ b_q)``: each input
    channel ``p`` (transmit antenna) carries ``K`` modulating signals ``x_{p,k}``
    (:func:`modulating_signals`), each multiplied by its "carrier" value ``w_{q,p}[k]`` (the paper's
    ``h_{q,p} cos(2 pi f_{p,k} n)``), and receive antenna ``q`` adds everything up (eq 11 with
    eq 13's substitutions). Written with explicit loops over antennas and carriers -- never
    ``conv1d`` -- and equal to ``torch.nn.functional.conv1d(x, weight, bias, stride, padding)`` to
    rounding.

    Args:
        x: ``(B, P, N)`` or ``(P, N)``.
        weight: ``(Q, P, K)``, as ``nn.Conv1d.weight``.
        bias: ``(Q,)`` or None.
        stride, padding: ints as in ``conv1d``; ``padding_mode`` ``"zeros"`` or ``"circular"``.

    Returns:
        ``(B, Q, L)`` (or ``(Q, L)``), ``L = (N + 2 padding - K) // stride + 1``.
    """
    t, w, b, unbatched = _conv_inputs(x, weight, bias, 1)
    q_out, p_in, k_size = w.shape
    xs = modulating_signals(t, k_size, stride, padding, padding_mode)  # (B, P, K, L)
    y = torch.zeros(t.shape[0], q_out, xs.shape[-1], dtype=t.dtype, device=t.device)
    for p in range(p_in):  # transmit antennas (input channels)
        for k in range(k_size):  # carriers of antenna p (kernel taps)
            # every receive antenna q gets w[q, p, k] * x_{p,k}[n]
            y += w[:, p, k, None] * xs[:, p, None, k, :]
    if b is not None:
        y += b[:, None]
    return y[0] if unbatched else y


def conv2d_as_mimo(
    x, weight, bias=None, stride=1, padding=0, padding_mode: str = "zeros"
) -> torch.Tensor:
    """A 2-D conv layer as a multi-carrier MIMO modulator (paper 001, section 3.1.1, 2-D case).

    ``y_q[u, v] = sum_p sum_{k1, k2} w_{q,p}[k1, k2] x_p[u*s1 + k1, v*s2 + k2] (+ b_q)``: the
    carriers of antenna ``p`` are now indexed by the ``K1 x K2`` taps, the modulating signals are
    the shifted copies ``x_p[u + k1, v + k2]``. Explicit loops, never ``conv2d``; equal to
    ``torch.nn.functional.conv2d(x, weight, bias, stride, padding)`` to rounding.

    Args:
        x: ``(B, P, H, W)`` or ``(P, H, W)``; weight ``(Q, P, K1, K2)``; bias ``(Q,)`` or None.
        stride, padding: int or pair of ints; ``padding_mode`` ``"zeros"`` or ``"circular"``.
    """
    t, w, b, unbatched = _conv_inputs(x, weight, bias, 2)
    s1, s2 = checks.int_tuple(stride, "stride", 2, 1)
    p1, p2 = checks.int_tuple(padding, "padding", 2, 0)
    mode = checks.choice(padding_mode, "padding_mode", PADDING_MODES, type_error=ValueError)
    q_out, p_in, k1, k2 = w.shape
    t = _pad(t, (p2, p2, p1, p1), mode)
    h, wd = t.shape[-2:]
    if h < k1 or wd < k2:
        raise ValueError(f"kernel {k1}x{k2} is larger than the padded input {h}x{wd}")
    lh, lw = (h - k1) // s1 + 1, (wd - k2) // s2 + 1
    y = torch.zeros(t.shape[0], q_out, lh, lw, dtype=t.dtype, device=t.device)
    for p in range(p_in):  # transmit antennas
        for i in range(k1):  # carriers (k1, k2) of antenna p
            for j in range(k2):
                shifted = t[
                    :, p, i : i + s1 * (lh - 1) + 1 : s1, j : j + s2 * (lw - 1) + 1 : s2
                ]  # x_p[u s1 + i, v s2 + j]
                y += w[:, p, i, j, None, None] * shifted[:, None]
    if b is not None:
        y += b[:, None, None]
    return y[0] if unbatched else y


def conv_channel_matrix(weight, n, padding=0) -> torch.Tensor:
    """The MIMO channel matrix ``H(f)`` (``Q x P``) of a conv layer at every DFT frequency.

    For the circular cross-correlation ``y_q[n] = sum_p sum_k w_qp[k] x_p[(n + k - padding) mod N]``
    (``conv1d`` on a circularly padded input, e.g. ``nn.Conv1d(..., padding=padding,
    padding_mode="circular")`` with ``2 padding = K - 1``), the DFT turns the layer into one
    ``Q x P`` MIMO channel per frequency (no sum over frequencies, no leakage):

        ``Y(f) = H(f) X(f)``,   ``H(f) = sum_k w[:, :, k] exp(+j 2 pi f (k - padding))``,
        ``f = m / N``.

    Sign: the ``+`` in the exponent is the cross-correlation of eq 13 (``x[n + k]``, a time
    advance); a true convolution (``x[n - k]``) would give ``exp(-j 2 pi f k)``. ``|H_qp(f)|^2`` is
    the energy gain from antenna ``p`` to antenna ``q`` at frequency ``f`` (the ``h_qp^2``
    of eq 12).

    Args:
        weight: ``(Q, P, K)`` for 1-D, or ``(Q, P, K1, K2)`` for 2-D.
        n: number of DFT bins ``N`` (1-D) or ``(H, W)`` (2-D).
        padding: the left (top) offset of the circular padding, int or pair for 2-D.

    Returns:
        complex128 ``(N, Q, P)`` (or ``(H, W, Q, P)``) in the unshifted order of ``torch.fft.fft``
        (``f = torch.fft.fftfreq(N)``); ``torch.fft.fftshift(H, dim=0)`` centres it.
    """
    w = checks.tensor(weight, "weight", allow_complex=False).detach().to("cpu", torch.float64)
    if w.ndim not in (3, 4):
        raise ValueError(
            f"weight must have shape (Q, P, K) or (Q, P, K1, K2), got shape {tuple(w.shape)}"
        )
    nd = w.ndim - 2
    sizes = checks.int_tuple(n, "n", nd, 1)
    pads = checks.int_tuple(padding, "padding", nd, 0)
    kernel = w.shape[2:]
    # H(f) = sum_k w[k] e^{+j 2 pi f (k - pad)} = conj(DFT_n(w placed at k)) * e^{-j 2 pi f pad}
    if any(kd > nd_ for kd, nd_ in zip(kernel, sizes)):
        raise ValueError(
            f"n={sizes if nd > 1 else sizes[0]} must be at least the kernel size {tuple(kernel)}"
        )
    W = torch.fft.fftn(w, s=sizes, dim=tuple(range(2, 2 + nd))).conj()
    for d, (size, pad) in enumerate(zip(sizes, pads)):
        if pad:
            f = torch.fft.fftfreq(size, dtype=torch.float64)
            shape = [1] * (2 + nd)
            shape[2 + d] = size
            W = W * torch.exp(-2j * math.pi * f * pad).reshape(shape)
    # (Q, P, *n) -> (*n, Q, P)
    return W.permute(*range(2, 2 + nd), 0, 1).contiguous()


def carrier_reading(weight, n_fft: int = 256) -> dict[str, torch.Tensor]:
    """Each kernel ``w_qp`` read as a carrier ``h_qp cos(2 pi f_qp n)`` (paper 001, section 3.1.1).

    The paper replaces ``h_qp cos(2 pi f_{p,k} n)`` by ``w_qp[k]``; a 3-tap kernel is far too short
    to *be* a cosine, so we describe each kernel by what a carrier is described by:

    * ``f_dominant`` ``(Q, P)``: frequency in ``[0, 1/2]`` cycles/sample where ``|W_qp(f)|`` peaks
      (the kernel's zero-padded DFT on ``n_fft`` bins; 0 = low-pass, 1/2 = high-pass);
    * ``peak_gain`` ``(Q, P)``: ``|W_qp(f_dominant)|``, the largest amplitude gain of the channel;
    * ``h`` ``(Q, P)``: ``||w_qp||_2``, the channel coefficient (``sqrt`` of the mean energy gain
      ``mean_f |W_qp(f)|^2`` on a grid of at least ``K`` bins, Parseval);
    * ``freqs`` ``(n_fft//2 + 1,)`` and ``gain`` ``(Q, P, n_fft//2 + 1)``: the whole ``|W_qp(f)|``.
    """
    w = checks.tensor(weight, "weight", allow_complex=False).detach().to("cpu", torch.float64)
    if w.ndim != 3:
        raise ValueError(
            f"weight must have shape (Q, P, K) (a 1-D conv layer), got shape {tuple(w.shape)}"
        )
    (n_fft,) = checks.int_tuple(n_fft, "n_fft", 1, 2)
    if n_fft < w.shape[-1]:
        raise ValueError(f"n_fft must be at least the kernel size {w.shape[-1]}, got {n_fft}")
    gain = torch.fft.rfft(w, n=n_fft, dim=-1).abs()
    freqs = torch.fft.rfftfreq(n_fft, dtype=torch.float64)
    peak, idx = gain.max(dim=-1)
    return {
        "f_dominant": freqs[idx],
        "peak_gain": peak,
        "h": w.square().sum(-1).sqrt(),
        "freqs": freqs,
        "gain": gain,
    }


def table2(
    weight, input_shape=None, stride: int = 1, padding: int = 0
) -> list[tuple[str, str, str]]:
    """Paper 001's Table 2 for one conv layer: ``(convolution, MIMO modulation, value)`` rows.

    The first six rows mirror Table 2 (samples, input maps = transmit antennas, output maps =
    receive antennas, input size = modulating-signal length, kernel parameters = subcarrier
    parameters, output size = modulated signal); the paper's output size ``N - K + 1`` is for
    stride 1 and no padding, we print the general ``(N + 2 padding - K) // stride + 1``. Three more
    rows give the carriers per antenna (``K_M = K_C``) and the carrier reading of the kernels
    (:func:`carrier_reading`: median [min, max] dominant frequency and channel coefficient ``h``).

    Args:
        weight: ``(Q, P, K)`` conv weight (e.g. ``model.features.conv2.weight``).
        input_shape: ``(S, P, N)`` of the data fed to the layer, or None (sizes shown as symbols).
        stride, padding: of the layer, for the output size.
    """
    w = checks.tensor(weight, "weight", allow_complex=False).detach().to("cpu", torch.float64)
    if w.ndim != 3:
        raise ValueError(
            f"weight must have shape (Q, P, K) (a 1-D conv layer), got shape {tuple(w.shape)}"
        )
    q, p, k = w.shape
    (stride,) = checks.int_tuple(stride, "stride", 1, 1)
    (padding,) = checks.int_tuple(padding, "padding", 1, 0)
    if input_shape is None:
        s_txt, n_txt, out_txt = "S", "N", f"{q} x ((N + {2 * padding} - {k}) // {stride} + 1)"
    else:
        checks.sequence(input_shape, "input_shape", "a tuple (S, P, N)", length=3)
        s, p_in, n = (int(v) for v in input_shape)
        if p_in != p:
            raise ValueError(f"input_shape has {p_in} channels but weight expects {p}")
        s_txt, n_txt = f"{s:,}", f"{n:,}"
        out_txt = f"{q} x {(n + 2 * padding - k) // stride + 1:,}"
    cr = carrier_reading(w)
    fd, h = cr["f_dominant"].reshape(-1), cr["h"].reshape(-1)
    return [
        ("number of data samples S_C", "number of modulating signals S_M", s_txt),
        ("number of input feature maps I_C", "number of transmit antennas I_M", str(p)),
        ("number of output feature maps O_C", "number of receive antennas O_M", str(q)),
        ("size of input feature map N_C", "length of modulating signal N_M", n_txt),
        (
            "kernel parameters O_C x I_C x K_C",
            "subcarrier parameters O_M x I_M x K_M",
            f"{q} x {p} x {k} = {q * p * k:,}",
        ),
        (
            "output feature map O_C x (N_C - K_C + 1)",
            "modulated signal O_M x (N_M - K_M + 1)",
            out_txt,
        ),
        ("kernel size K_C", "carriers per transmit antenna K_M", str(k)),
        (
            "dominant frequency of w_qp (cycles/sample)",
            "carrier frequency f_qp",
            f"median {fd.median():.3f} [{fd.min():.3f}, {fd.max():.3f}]",
        ),
        (
            "norm ||w_qp||",
            "channel coefficient h_qp",
            f"median {h.median():.3g} [{h.min():.3g}, {h.max():.3g}]",
        ),
    ]


# --------------------------------------------------------------------------------------------
# activation as DSB-SC (eqs 21-23) and the rectified cosine
# --------------------------------------------------------------------------------------------
def relu_as_dsb_sc(y) -> tuple[torch.Tensor, torch.Tensor]:
    """ReLU as DSB-SC modulation with a data-dependent carrier (paper 001, eqs 21-23).

    ``a[n] = max(0, y[n]) = y[n] H(y[n])`` (eq 22): the modulating signal ``y`` times the carrier
    ``H(y[n])``, the Heaviside step of eq 23 (we take ``H(0) = 0``; eq 23 leaves it open and the
    product is 0 there either way).

    Returns:
        ``(carrier, product)``: ``H(y)`` (0/1, dtype of ``y``) and ``y * H(y)``, equal to
        ``relu(y)``.
    """
    t = checks.tensor(y, "y", allow_complex=False)
    carrier = (t > 0).to(t.dtype)
    return carrier, t * carrier


def rectified_cosine_coefficients(n_harmonics: int) -> torch.Tensor:
    """Fourier-series coefficients of ``max(0, cos(theta)) = sum_k c_k cos(k theta)``,
    k = 0..n_harmonics.

    ``c_0 = 1/pi`` (DC), ``c_1 = 1/2`` (the fundamental),
    ``c_k = 2 (-1)^(k/2 + 1) / (pi (k^2 - 1))`` for even ``k >= 2`` (``2/(3 pi)``, ``-2/(15 pi)``,
    ``2/(35 pi)``, ...; magnitude ``2 / (pi (k^2 - 1))``), and 0 for odd ``k >= 3``. From
    ``c_k = (2/pi) int_0^{pi/2} cos(theta) cos(k theta) d theta``. This is ReLU (eq 22) applied to a
    pure carrier: the output has energy at DC and at even harmonics that the input did not have --
    the spectrum moves.
    """
    (n_harmonics,) = checks.int_tuple(n_harmonics, "n_harmonics", 1, 0)
    k = torch.arange(n_harmonics + 1, dtype=torch.float64)
    c = torch.zeros_like(k)
    even = (k % 2 == 0) & (k >= 2)
    sign = torch.where((k / 2) % 2 == 1, 1.0, -1.0).to(torch.float64)  # k = 2, 6, 10, ... -> +
    c[even] = (2.0 * sign / (math.pi * (k * k - 1.0)))[even]
    c[0] = 1.0 / math.pi
    if n_harmonics >= 1:
        c[1] = 0.5
    return c


def rectified_cosine_spectrum_closed_form(
    n: int, f0: float, amplitude: float = 1.0, n_harmonics: int = 200_000, shift: bool = False
) -> torch.Tensor:
    """Energy spectrum ``|R(f)|^2`` of ``r[t] = amplitude * max(0, cos(2 pi f0 t))``, t = 0..n-1.

    From :func:`rectified_cosine_coefficients`: harmonic ``k`` of amplitude ``amplitude * c_k``
    puts ``n c_k / 2`` on DFT bins ``+-k m0 (mod n)`` (``m0 = f0 n``; ``n c_k`` when that bin is DC
    or Nyquist). Harmonics above Nyquist alias back onto the grid; we add them (as real amplitudes,
    all cosines have phase 0) up to ``n_harmonics``; the neglected tail is below
    ``amplitude * n * 2 / (pi n_harmonics)`` per bin.

    Args:
        n: number of samples (DFT bins).
        f0: carrier frequency, on the DFT grid (``f0 * n`` an integer), ``0 < f0 <= 1/2``.
        amplitude: ``>= 0`` (``max(0, a cos) = a max(0, cos)``).
        n_harmonics: harmonics included.
        shift: fftshift-centre the result (as ``spectra.energy_spectrum(..., shift=True)``).

    Returns:
        float64 ``(n,)``, the unshifted ``torch.fft.fft`` order unless ``shift``.
    """
    (n,) = checks.int_tuple(n, "n", 1, 2)
    f0 = checks.real(f0, "f0", above=0.0, maximum=0.5, note=" cycles/sample")
    m0 = round(f0 * n)
    if abs(f0 * n - m0) > 1e-9:
        raise ValueError(
            f"f0 must lie on the DFT grid of n={n} (f0 * n an integer), got f0={f0} "
            f"(f0 * n = {f0 * n:g})"
        )
    amplitude = checks.real(amplitude, "amplitude", minimum=0.0)
    shift = checks.boolean(shift, "shift")
    c = rectified_cosine_coefficients(n_harmonics) * amplitude
    k = torch.arange(n_harmonics + 1, dtype=torch.int64)
    pos = (k * m0) % n
    neg = (-k * m0) % n
    R = torch.zeros(n, dtype=torch.float64)
    R.index_add_(0, pos, c * n / 2)
    R.index_add_(0, neg, c * n / 2)  # for bins where pos == neg (DC, Nyquist) this doubles to n c_k
    E = R.square()
    return torch.fft.fftshift(E) if shift else E


# --------------------------------------------------------------------------------------------
# layer energy-spectrum differences (eqs 31-36)
# --------------------------------------------------------------------------------------------
def _spectrum(s, name: str) -> torch.Tensor:
    t = checks.tensor(s, name, allow_complex=False, min_ndim=1).detach().to("cpu", torch.float64)
    return t


def _same_grid(a: torch.Tensor, b: torch.Tensor, na: str, nb: str):
    if a.shape != b.shape:
        raise ValueError(
            f"{na} and {nb} must be spectra on the same frequency grid, got shapes "
            f"{tuple(a.shape)} and {tuple(b.shape)} (a layer that changes the length, "
            f"e.g. pooling, has no per-bin difference; use to_grid first)"
        )


def cdiff(psi_x, psi_y) -> torch.Tensor:
    """``CDIFF(f) = psi^y(f) - psi^x(f)`` (paper 001, eq 31): what a convolution layer does to the
    mean energy spectrum (``psi^x`` of its input, eq 17; ``psi^y`` of its output, eq 18)."""
    x, y = _spectrum(psi_x, "psi_x"), _spectrum(psi_y, "psi_y")
    _same_grid(x, y, "psi_x", "psi_y")
    return y - x


def adiff(psi_y, psi_a) -> torch.Tensor:
    """``ADIFF(f) = psi^a(f) - psi^y(f)`` (paper 001, eq 32): what an activation layer does to the
    mean energy spectrum (``psi^y`` of its input, eq 18; ``psi^a`` of its output, eq 26)."""
    y, a = _spectrum(psi_y, "psi_y"), _spectrum(psi_a, "psi_a")
    _same_grid(y, a, "psi_y", "psi_a")
    return a - y


def to_grid(spectrum, n: int) -> torch.Tensor:
    """Move an fftshift-centred 1-D spectrum (or spectrum difference) of ``N`` bins onto ``n`` bins.

    Layers after a pooling layer run at half the sample rate, so their spectra have fewer bins. To
    add the differences of layers at different depths (eqs 33-34) we put them on one grid of
    normalised frequency ``[-1/2, 1/2)`` (cycles per sample *of that layer*), conserving energy: the
    spectrum is read as piecewise constant over its bins (bin ``j`` spans ``(j - N//2 +- 1/2) / N``,
    periodic in ``f``), and each new bin receives the energy that falls inside it. Sums are
    preserved exactly, so a spectrum normalised to 1 stays normalised and a difference of such
    spectra still sums to 0. ``n == N`` returns the spectrum unchanged.
    """
    s = _spectrum(spectrum, "spectrum")
    if s.ndim != 1:
        raise ValueError(f"spectrum must be 1-D (N,), got shape {tuple(s.shape)}")
    (n,) = checks.int_tuple(n, "n", 1, 1)
    big_n = s.shape[0]
    if n == big_n:
        return s.clone()
    total = s.sum()
    cum = torch.cat(
        [torch.zeros(1, dtype=torch.float64), torch.cumsum(s, 0)]
    )  # mass up to each old edge
    old_lo = (0 - big_n // 2 - 0.5) / big_n  # first old edge

    def mass_below(f: torch.Tensor) -> torch.Tensor:  # periodic CDF
        u = (f - old_lo) * big_n  # in old-bin units
        wraps = torch.floor(u / big_n)
        u = u - wraps * big_n
        i = torch.clamp(torch.floor(u).long(), 0, big_n - 1)
        frac = u - i
        return wraps * total + cum[i] + frac * s[i]

    edges = (torch.arange(n + 1, dtype=torch.float64) - n // 2 - 0.5) / n
    m = mass_below(edges)
    return m[1:] - m[:-1]


def _accumulate(diffs, n, name: str) -> torch.Tensor:
    checks.sequence(
        diffs, name, "a non-empty list of 1-D spectrum differences (one per layer)", nonempty=True
    )
    ds = [_spectrum(d, f"{name}[{i}]") for i, d in enumerate(diffs)]
    if any(d.ndim != 1 for d in ds):
        raise ValueError(
            f"{name} must hold 1-D spectrum differences, got shapes {[tuple(d.shape) for d in ds]}"
        )
    if n is None:
        n = min(d.shape[0] for d in ds)
    return sum(to_grid(d, n) for d in ds)


def hz_band(spectrum, n: int, rate: float, band_rate: float) -> torch.Tensor:
    """The bins of an fftshift-centred spectrum (or difference) at a layer of sample rate ``rate``
    that lie inside the band ``|f| < band_rate / 2`` Hz of a layer of rate ``band_rate``, moved
    onto that layer's ``n`` bins: the physical-frequency (absolute Hz) counterpart of
    :func:`to_grid` for eqs 33-34 of paper 001.

    Bin ``j`` of an ``N``-bin spectrum at ``rate`` Hz is the frequency ``(j - N//2) rate / N`` Hz.
    :func:`to_grid` maps bin ``j`` of every layer to the same *normalised* frequency, so after a
    pooling layer (half the rate) the same bin means half as many Hz; here instead every output bin
    ``k`` means ``(k - n//2) band_rate / n`` Hz at every layer. The layer's spectrum is cut to the
    band of the slower layer (what lies above ``band_rate / 2`` is dropped: a band restriction, not
    a conservation law) and then moved to ``n`` bins by :func:`to_grid`, which conserves the energy
    inside the band. When both layers have the same bin width in Hz (``N / rate == n /
    band_rate``, as along a network whose every pooling halves both), this is exactly the central
    ``n`` bins of the spectrum.
    """
    s = _spectrum(spectrum, "spectrum")
    if s.ndim != 1:
        raise ValueError(f"spectrum must be 1-D (N,), got shape {tuple(s.shape)}")
    (n,) = checks.int_tuple(n, "n", 1, 1)
    rate = checks.positive(rate, "rate")
    band_rate = checks.positive(band_rate, "band_rate")
    if band_rate > rate:
        raise ValueError(
            f"band_rate ({band_rate:g} Hz) must not exceed the layer's rate ({rate:g} Hz): the "
            f"band |f| < band_rate / 2 has to lie inside the layer's own band"
        )
    big_n = s.shape[0]
    m = big_n * band_rate / rate  # the band, in bins of this layer
    if abs(m - round(m)) > 1e-9 * big_n:
        raise ValueError(
            f"the band |f| < {band_rate / 2:g} Hz covers {m:g} bins of a {big_n}-bin spectrum at "
            f"{rate:g} Hz; it must be a whole number of bins"
        )
    m = int(round(m))
    lo = big_n // 2 - m // 2
    return to_grid(s[lo : lo + m], n)


def acdiff(cdiffs, n: int | None = None) -> torch.Tensor:
    """``ACDIFF(f) = sum_{n=1}^{N_CL} CDIFF_n(f)`` (paper 001, eq 33), on a common grid of ``n``
    bins.

    ``cdiffs``: the CDIFF of every convolution layer (:func:`cdiff`), possibly of different lengths;
    each is moved to ``n`` bins by :func:`to_grid` (default: the fewest bins among them, i.e. the
    deepest layer's grid) before summing.
    """
    return _accumulate(cdiffs, n, "cdiffs")


def aadiff(adiffs, n: int | None = None) -> torch.Tensor:
    """``AADIFF(f) = sum_{n=1}^{N_AL} ADIFF_n(f)`` (paper 001, eq 34), on a common grid (see
    :func:`acdiff`)."""
    return _accumulate(adiffs, n, "adiffs")


def layer_differences(results: Mapping, pairs) -> dict[str, list]:
    """CDIFF and ADIFF of every (convolution, activation) block from probed spectra.

    ``results`` maps layer names to ``(psi_in, psi_out)`` (what ``probes.LayerSpectra`` returns);
    ``pairs`` lists ``(conv_name, act_name)`` per block (``probes.conv_act_pairs(model)``). For
    block ``i``: ``psi^x`` = input of the convolution, ``psi^y`` = input of the activation (the conv
    output, after batch-norm when the network has it: the paper's ``convolution_bn``, Fig. 18a),
    ``psi^a`` = output of the activation; ``CDIFF_i = psi^y - psi^x`` (eq 31),
    ``ADIFF_i = psi^a - psi^y`` (eq 32).

    Returns:
        ``{"blocks": [(conv, act), ...], "cdiff": [...], "adiff": [...]}``.
    """
    checks.instance(results, "results", Mapping, "a dict name -> (psi_in, psi_out)")
    pairs = list(pairs)
    if not pairs:
        raise ValueError("pairs must name at least one (conv_name, act_name) block")
    out = {"blocks": [], "cdiff": [], "adiff": []}
    for pair in pairs:
        checks.sequence(pair, "pairs", "a list of (conv_name, act_name) tuples", length=2)
        conv, act = pair
        for name in pair:
            if name not in results:
                raise ValueError(
                    f"pairs names layer {name!r}, which is not in results "
                    f"(probed: {sorted(results)})"
                )
        psi_x = results[conv][0]
        psi_y, psi_a = results[act]
        out["blocks"].append((conv, act))
        out["cdiff"].append(cdiff(psi_x, psi_y))
        out["adiff"].append(adiff(psi_y, psi_a))
    return out


LambdaFit = namedtuple("LambdaFit", ["lam", "pearson", "explained"])
LambdaFit.__doc__ = """Result of :func:`fit_lambda`: ``lam`` (least-squares lambda of eq 36),
``pearson`` (correlation of ACDIFF and AADIFF; about -1 when they mirror each other) and
``explained`` (``1 - ||AADIFF + lam ACDIFF||^2 / ||AADIFF||^2``, the fraction of AADIFF the fit
accounts for)."""


def fit_lambda(acdiff_f, aadiff_f) -> LambdaFit:
    """Fit ``AADIFF(f) ~ -lambda ACDIFF(f)`` by least squares (paper 001, eq 36).

    Eq 36 writes ``FEATURE = INPUT + ACDIFF + AADIFF = INPUT + (1 - lambda) ACDIFF`` with
    "lambda the correlation coefficient decided by the specific convolution layer". We estimate it
    as the least-squares slope through the origin,
    ``lambda = -<ACDIFF, AADIFF> / <ACDIFF, ACDIFF>``, and report the Pearson correlation of the two
    curves beside it (the paper's wording admits either; they agree in sign, and ``lambda`` near 1
    with Pearson near -1 is the paper's claim "opposite directions, close amplitudes").
    """
    c = _spectrum(acdiff_f, "acdiff").reshape(-1)
    a = _spectrum(aadiff_f, "aadiff").reshape(-1)
    if c.shape != a.shape:
        raise ValueError(
            f"acdiff and aadiff must have the same shape, got {tuple(c.shape)} and {tuple(a.shape)}"
        )
    cc = float(c @ c)
    if cc <= 0:
        raise ValueError("acdiff is identically zero; lambda is undefined")
    lam = -float(c @ a) / cc
    cz, az = c - c.mean(), a - a.mean()
    denom = float(cz.norm() * az.norm())
    pearson = float(cz @ az) / denom if denom > 0 else float("nan")
    aa = float(a @ a)
    explained = 1.0 - float((a + lam * c).square().sum()) / aa if aa > 0 else float("nan")
    return LambdaFit(lam, pearson, explained)
