"""Post-shift: move the energy spectrum of the input in advance (Wu et al. 2022, sec 5.2, eq 43,
Algorithm 2).

Eq 43 defines the "energy spectrum difference" of a trained network, ``DIFF(f) = FEATURE(f) -
INPUT(f)``, and Algorithm 2 fits a "regression model" from ``fft2(Data_A)`` to
``fft2(feature_A)`` that is then applied to ``fft2(Data_B)`` and inverted. The book reads both as a
**linear time-invariant filter** fitted per frequency:

* :func:`energy_gain` -- the least-squares gain of the energies, bin by bin: ``g(f) = argmin_g
  sum_i (E_Y,i(f) - g E_X,i(f))^2 = sum_i E_X,i E_Y,i / sum_i E_X,i^2``, for the energy spectra of
  the inputs ``E_X,i`` and of the network's features ``E_Y,i`` on the same grid (eq 43 in the
  log domain: ``10 log10 FEATURE - 10 log10 INPUT`` is the gain of a filter in dB);
* :func:`transfer_function` -- the complex least-squares transfer ``H(f) = sum_i conj(X_i) Y_i /
  sum_i |X_i|^2`` (Algorithm 2's regression from DFT to DFT, the Wiener estimate per bin);
* :class:`FourierFilter` -- a fixed filter ``x -> ifft(H fft(x))`` over the last one or two
  dimensions, as a ``torch.nn.Module`` (no parameters; ``H`` is a buffer), with
  :meth:`FourierFilter.impulse_response`: applying it *is* a circular convolution with that
  response, which :func:`circular_convolve` computes tap by tap for the check. A zero-phase gain
  is ``H = sqrt(g)`` (:meth:`FourierFilter.from_gain`).

Controls of chapter 7: :func:`permuted_gain` (the same gains at other frequencies: the same energy
profile, no frequency selectivity), :func:`highpass_gain` (a fixed, hand-chosen mild high-pass,
for images) and :func:`preemphasis_gain` (the energy gain of speech pre-emphasis, for audio).
Nothing here knows about networks or datasets.
"""

from __future__ import annotations

import torch
from torch import nn

from . import checks

__all__ = [
    "energy_gain",
    "transfer_function",
    "FourierFilter",
    "circular_convolve",
    "permuted_gain",
    "highpass_gain",
    "preemphasis_gain",
]


def _dims(ndim: int) -> tuple[int, ...]:
    return tuple(range(-checks.ndim(ndim), 0))


def _pair(inputs, features, ndim: int):
    x = checks.tensor(inputs, "inputs", min_ndim=ndim + 1)
    y = checks.tensor(features, "features", min_ndim=ndim + 1)
    if x.shape[-ndim:] != y.shape[-ndim:]:
        raise ValueError(
            f"inputs and features must share the grid of their last {ndim} dims, got "
            f"{tuple(x.shape[-ndim:])} and {tuple(y.shape[-ndim:])}"
        )
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"inputs and features must pair up (dim 0), got {x.shape[0]} and {y.shape[0]}"
        )
    return _double(x), _double(y)


def _double(t: torch.Tensor) -> torch.Tensor:
    """float64, or complex128 for a complex tensor."""
    return t.to(torch.complex128 if t.is_complex() else torch.float64)


def _flat(t: torch.Tensor, ndim: int) -> torch.Tensor:
    """``(N, ..., grid)`` -> ``(N * ..., grid)``: every leading index (sample, channel) a sample."""
    return t.reshape(-1, *t.shape[-ndim:])


def energy_gain(
    inputs, features, ndim: int = 2, eps: float = 0.0, normalize: bool = False
) -> torch.Tensor:
    """Per-frequency least-squares gain of the energy spectra (unshifted DFT order), float64.

    ``inputs`` ``(N, [C,] *grid)`` and ``features`` ``(N, [C'], *grid)`` on the same grid; their
    channels are averaged first (each sample's mean energy spectrum over its channels), so an
    RGB image and a 32-channel feature map pair up. ``normalize=True``: each sample's spectrum is
    divided by its total first (Algorithm 1's normalisation: the gain then moves the *shape* of
    the spectrum, not its level). ``g = sum_i E_X,i E_Y,i / (sum_i E_X,i^2 + eps)``,
    non-negative; a bin where every input has zero energy gets ``g = 0``.
    """
    ndim = checks.ndim(ndim)
    eps = checks.real(eps, "eps", minimum=0.0)
    normalize = checks.boolean(normalize, "normalize")
    x, y = _pair(inputs, features, ndim)
    dims = _dims(ndim)

    def energy(t):
        e = torch.fft.fftn(t, dim=dims).abs().square()
        e = e.reshape(e.shape[0], -1, *e.shape[-ndim:]).mean(1)
        if normalize:
            total = e.sum(dim=dims, keepdim=True)
            e = e / torch.where(total > 0, total, 1.0)
        return e

    ex, ey = energy(x), energy(y)
    num = (ex * ey).sum(0)
    den = ex.square().sum(0) + eps
    return torch.where(den > 0, num / torch.where(den > 0, den, 1.0), 0.0)


def transfer_function(inputs, features, ndim: int = 2, eps: float = 0.0) -> torch.Tensor:
    """The complex least-squares transfer ``H = sum_i conj(X_i) Y_i / (sum_i |X_i|^2 + eps)`` per
    bin (unshifted DFT order), complex128: the LTI filter that best maps the inputs to the
    features in the mean-square sense. ``inputs`` and ``features`` must have the same shape (a
    channel of the input maps to the same channel of the feature); for a single-channel target
    average the feature channels first."""
    ndim = checks.ndim(ndim)
    eps = checks.real(eps, "eps", minimum=0.0)
    x, y = _pair(inputs, features, ndim)
    if x.shape != y.shape:
        raise ValueError(
            f"inputs and features must have the same shape, got {tuple(x.shape)} and "
            f"{tuple(y.shape)}"
        )
    dims = _dims(ndim)
    X = _flat(torch.fft.fftn(x, dim=dims), ndim)
    Y = _flat(torch.fft.fftn(y, dim=dims), ndim)
    num = (X.conj() * Y).sum(0)
    den = X.abs().square().sum(0) + eps
    return torch.where(den > 0, num / torch.where(den > 0, den, 1.0), 0.0)


class FourierFilter(nn.Module):
    """``x -> real(ifft(H * fft(x)))`` over the last ``ndim`` dims: a fixed LTI filter.

    ``H``: transfer function in unshifted DFT order on the signal's grid (real for a zero-phase
    filter, complex otherwise; Hermitian, ``H(-f) = conj(H(f))``, for a real impulse response,
    which :meth:`impulse_response` checks). A buffer, not a parameter: training never changes it.
    Inputs must have that grid in their last ``ndim`` dims; every leading index (sample, channel)
    is filtered alike.
    """

    def __init__(self, H, ndim: int = 2):
        super().__init__()
        self.ndim = checks.ndim(ndim)
        H = torch.as_tensor(H)
        if H.ndim != self.ndim:
            raise ValueError(f"H must have {self.ndim} dims (the grid), got shape {tuple(H.shape)}")
        self.register_buffer("H", _double(H))

    @classmethod
    def from_gain(cls, gain, ndim: int = 2) -> "FourierFilter":
        """The zero-phase filter ``H = sqrt(gain)`` of an energy gain (:func:`energy_gain`): the
        filtered signal's energy spectrum is the input's times ``gain``, bin by bin."""
        g = checks.tensor(gain, "gain", allow_complex=False)
        if bool((g < 0).any()):
            raise ValueError("gain must be non-negative (an energy gain)")
        return cls(g.sqrt(), ndim)

    def key(self) -> str:
        """16 hex digits of the sha256 of ``H``: names the filter in a network's config (e.g.
        ``SegConfig.skip_key``), so a cached network is reused only with the same filter."""
        import hashlib

        return hashlib.sha256(self.H.detach().cpu().numpy().tobytes()).hexdigest()[:16]

    @property
    def grid(self) -> tuple[int, ...]:
        return tuple(self.H.shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[-self.ndim :]) != self.grid:
            raise ValueError(
                f"x must end with the filter's grid {self.grid}, got shape {tuple(x.shape)}"
            )
        dims = _dims(self.ndim)
        X = torch.fft.fftn(x.to(torch.float64), dim=dims)
        return torch.fft.ifftn(X * self.H, dim=dims).real.to(x.dtype)

    def impulse_response(self, atol: float = 1e-9) -> torch.Tensor:
        """``ifft(H)``, real float64 on the grid (index 0 = zero lag). ``ValueError`` when ``H`` is
        not Hermitian (the response would be complex: the filter would not map real signals to
        real signals; :meth:`forward` keeps the real part)."""
        h = torch.fft.ifftn(self.H, dim=_dims(self.ndim))
        scale = float(h.abs().max()) if h.numel() else 0.0
        if float(h.imag.abs().max()) > atol * max(1.0, scale):
            raise ValueError("H is not Hermitian: its impulse response is complex")
        return h.real


def circular_convolve(x, h, ndim: int = 2) -> torch.Tensor:
    """``y[n] = sum_m h[m] x[(n - m) mod N]`` over the last ``ndim`` dims, written out tap by tap
    (``torch.roll``): the slow reference a :class:`FourierFilter` must equal."""
    ndim = checks.ndim(ndim)
    x = checks.tensor(x, "x", allow_complex=False, min_ndim=ndim).to(torch.float64)
    h = checks.tensor(h, "h", allow_complex=False).to(torch.float64)
    if h.shape != x.shape[-ndim:]:
        raise ValueError(f"h must have the grid of x, got {tuple(h.shape)} and {tuple(x.shape)}")
    dims = _dims(ndim)
    y = torch.zeros_like(x)
    for idx in torch.nonzero(h != 0).tolist():
        y = y + h[tuple(idx)] * torch.roll(x, shifts=tuple(idx), dims=dims)
    return y


def _hermitian_pairs(shape: tuple[int, ...]) -> torch.Tensor:
    """For every bin (flattened, unshifted order), the flat index of its mirror ``-f``."""
    grids = torch.meshgrid(*[torch.arange(n) for n in shape], indexing="ij")
    mirror = [(-g) % n for g, n in zip(grids, shape)]
    flat = torch.zeros(shape, dtype=torch.long)
    stride = 1
    for g, n in zip(reversed(mirror), reversed(shape)):
        flat = flat + g * stride
        stride *= n
    return flat.reshape(-1)


def permuted_gain(gain, generator: torch.Generator | None = None) -> torch.Tensor:
    """The gains of ``gain`` (unshifted order) moved to randomly chosen other frequencies, DC kept,
    mirror bins ``f`` and ``-f`` kept equal (so the filter stays real): the same set of gains, the
    same energy profile as a histogram, and no frequency selectivity left. The control "a random
    transfer function with the same energy profile"."""
    g = checks.tensor(gain, "gain", allow_complex=False).to(torch.float64)
    checks.instance(generator, "generator", torch.Generator, "a torch.Generator", optional=True)
    flat = g.reshape(-1)
    mirror = _hermitian_pairs(tuple(g.shape))
    idx = torch.arange(flat.numel())
    reps = idx[(idx <= mirror) & (idx != 0)]  # one bin of each pair, without DC
    # self-mirrored bins (Nyquist lines) must swap among themselves to stay their own mirror
    out = flat.clone()
    for group in (reps[mirror[reps] == reps], reps[mirror[reps] != reps]):
        if len(group) < 2:
            continue
        perm = group[torch.randperm(len(group), generator=generator)]
        out[group] = flat[perm]
        out[mirror[group]] = flat[perm]
    return out.reshape(g.shape)


def highpass_gain(shape, cutoff: float, order: int = 2, floor: float = 0.1) -> torch.Tensor:
    """A mild high-pass energy gain on a grid (unshifted order): ``floor + (1 - floor) *
    (r / cutoff)^(2 order) / (1 + (r / cutoff)^(2 order))`` of the radial frequency ``r``
    (cycles/sample): ``floor`` at DC, 1 far above ``cutoff``. The hand-chosen fixed filter of
    chapter 7's controls."""
    if isinstance(shape, int):
        shape = (shape,)
    shape = tuple(checks.integer(n, "shape", 2) for n in shape)
    cutoff = checks.real(cutoff, "cutoff", above=0.0, maximum=0.5)
    order = checks.integer(order, "order", 1)
    floor = checks.real(floor, "floor", minimum=0.0, maximum=1.0)
    axes = [torch.fft.fftfreq(n, dtype=torch.float64) for n in shape]
    grids = torch.meshgrid(*axes, indexing="ij")
    r = torch.sqrt(sum(a.square() for a in grids))
    q = (r / cutoff) ** (2 * order)
    return floor + (1 - floor) * q / (1 + q)


def preemphasis_gain(n: int, coef: float = 0.97) -> torch.Tensor:
    """The energy gain ``|1 - coef e^{-j 2 pi f}|^2 = 1 + coef^2 - 2 coef cos(2 pi f)`` of the
    pre-emphasis filter ``y[n] = x[n] - coef x[n-1]`` on an ``n``-point DFT grid (unshifted
    order), float64: speech processing's fixed high-pass, chapter 7's hand-chosen filter for
    audio (applied zero-phase by :meth:`FourierFilter.from_gain`)."""
    n = checks.integer(n, "n", 2)
    coef = checks.real(coef, "coef", minimum=0.0, maximum=1.0)
    f = torch.fft.fftfreq(n, dtype=torch.float64)
    return 1 + coef**2 - 2 * coef * torch.cos(2 * torch.pi * f)
