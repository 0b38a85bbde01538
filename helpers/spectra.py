"""Energy spectra of signals, images and feature maps (paper 001: Wu et al. 2022).

The book's one place for |DFT|^2 and what is built on it:

* :func:`energy_spectrum` -- |DFT|^2 over the last one or two dimensions of a batch
  (Wu et al. 2022, eqs 3, 39, 40).
* :class:`SpectrumMean` / :func:`mean_energy_spectrum` -- the streaming mean spectrum of a data set,
  averaged over samples and channels (Wu et al. 2022, Algorithm 1, lines 1-7; eqs 37-40).
* :func:`algorithm1_reference` -- the literal per-sample, per-channel NumPy loop of Algorithm 1,
  kept as ground truth for tests and ``benchmarks/bench_spectra.py``.
* :func:`energy_contours` -- the 60 / 80 / 90 % energy thresholds (Algorithm 1, lines 8-12).
* :func:`frequency_axis`, :func:`radial_frequency`, :func:`radial_profile`,
  :func:`spectral_centroid`, :func:`band_energy_fraction` -- axes and summaries later chapters use
  to put a number on an "energy spectrum shift".
* :class:`Spectrum` -- an energy spectrum that carries its frequency grid and sample rate, with the
  summaries above as methods (``drop_dc``, ``normalized``, ``centroid``, ``band_share``,
  ``radial_profile``, ``plot``), in the spirit of ThinkDSP's ``Spectrum``.
* :func:`relative_error` -- ``||a - b|| / ||b||``, for tensors or spectra on the same grid.
* :func:`sample_spectra`, :func:`class_mean_spectra`, :func:`js_divergence`, :func:`js_spread`,
  :func:`resampled_spreads` -- per-sample spectra, the class means of Algorithm 1 built from them,
  and the spread between class means (mean pairwise Jensen-Shannon divergence) with its
  resampling distributions (bootstrap over samples, random partitions).
* :func:`power_law_fit` -- the 1/rho^2 law of natural images, ``log AE(rho) = mu log(1/rho^2) +
  nu`` (Wu et al. 2022, eqs 41-42), on the radial profile.
* :func:`phase_scramble` -- the same amplitude spectrum with random phases (a real image).

Conventions. Tensors in, tensors out (NumPy arrays are converted with ``torch.as_tensor``).
Frequencies are in cycles/sample, in [-1/2, 1/2), unless a sample rate ``fs`` is given.
A float64 input gives a float64 spectrum, float32 gives float32, integers are promoted to float64.
Spectra are fftshift-centred (DC at index ``n // 2``) when ``shift=True``.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np
import torch

from . import checks

__all__ = [
    "energy_spectrum",
    "frequency_axis",
    "radial_frequency",
    "SpectrumMean",
    "mean_energy_spectrum",
    "algorithm1_reference",
    "energy_contours",
    "radial_profile",
    "spectral_centroid",
    "band_energy_fraction",
    "Spectrum",
    "relative_error",
    "sample_spectra",
    "class_mean_spectra",
    "js_divergence",
    "js_spread",
    "resampled_spreads",
    "PowerLawFit",
    "power_law_fit",
    "phase_scramble",
    "power_law_field",
    "mean_pairwise_distance",
]


# --------------------------------------------------------------------------------------------
# private helpers
# --------------------------------------------------------------------------------------------
def _real_dtype(t: torch.Tensor) -> torch.dtype:
    return t.real.dtype if t.is_complex() else t.dtype


# --------------------------------------------------------------------------------------------
# energy spectra and frequency axes
# --------------------------------------------------------------------------------------------
def energy_spectrum(x, ndim: int = 1, shift: bool = True, normalize: bool = False) -> torch.Tensor:
    """Energy spectrum |DFT|^2 over the last ``ndim`` dimensions (Wu et al. 2022, eqs 3, 39, 40).

    For a signal ``x[n]`` this is ``EX(f) = |X(f)|^2`` on the DFT grid ``f = k/N`` (eq 3); for a
    channel of an image ``|sum_u sum_v x(u, v) exp(-j 2 pi (alpha u / N1 + beta v / N2))|^2``
    (eqs 39, 40, before their channel average -- average with ``.mean(dim=-3)`` or use
    :class:`SpectrumMean`).

    Args:
        x: tensor (or array) of shape ``(..., N)`` for ``ndim=1`` or ``(..., H, W)`` for ``ndim=2``;
            any leading (batch, channel) dimensions are kept. Real or complex.
        ndim: 1 (transform the last dim) or 2 (the last two dims).
        shift: apply ``fftshift`` over the transformed dims, so DC sits at index ``N // 2``
            (matching :func:`frequency_axis` with ``shift=True``). ``False`` keeps the unshifted
            DFT order of ``torch.fft.fft``.
        normalize: divide each spectrum by its own sum, so it sums to 1 (Algorithm 1, line 4).
            An all-zero signal has no normalised spectrum: ValueError.

    Returns:
        Real tensor with the shape of ``x``: float64 for float64 (or integer) input, float32 for
        float32; on the device of ``x``.
    """
    ndim = checks.ndim(ndim)
    shift = checks.boolean(shift, "shift")
    normalize = checks.boolean(normalize, "normalize")
    x = checks.tensor(x, "x", min_ndim=ndim)
    dims = tuple(range(-ndim, 0))
    X = torch.fft.fftn(x, dim=dims)
    E = X.real.square() + X.imag.square()
    if normalize:
        total = E.sum(dim=dims, keepdim=True)
        if bool((total <= 0).any()):
            bad = int((total.reshape(-1) <= 0).nonzero()[0])
            raise ValueError(
                f"x has an all-zero signal (flattened leading index {bad}); its energy "
                f"spectrum cannot be normalized (normalize=True divides by the total energy)"
            )
        E = E / total
    if shift:
        E = torch.fft.fftshift(E, dim=dims)
    return E


def frequency_axis(n: int, fs: float = 1.0, shift: bool = True) -> torch.Tensor:
    """Frequencies of the ``n`` DFT bins, float64, shape ``(n,)`` (the ``f`` of Wu et al. 2022,
    eq 3).

    With ``fs=1`` the unit is cycles/sample and the values are ``k / n``:
    ``shift=True`` gives the fftshift-centred order ``[-n//2, ..., (n-1)//2] / n`` (so
    ``[-1/2, 1/2)`` for even ``n``), matching :func:`energy_spectrum` with ``shift=True``;
    ``shift=False`` gives the ``torch.fft.fftfreq`` order ``[0, 1, ..., -1] / n``. With a sample
    rate ``fs`` (e.g. Hz) the values are multiplied by ``fs``.
    """
    n = checks.integer(n, "n")
    fs = checks.positive(fs, "fs")
    shift = checks.boolean(shift, "shift")
    f = torch.fft.fftfreq(int(n), d=1.0 / fs, dtype=torch.float64)
    return torch.fft.fftshift(f) if shift else f


def radial_frequency(h: int, w: int, shift: bool = True, fs: float = 1.0) -> torch.Tensor:
    """Radial frequency ``sqrt(fy^2 + fx^2)`` of each bin of an ``(h, w)`` 2-D DFT, float64
    ``(h, w)``.

    Per-axis normalised frequencies in cycles/sample (``fy = k/h``, ``fx = l/w``, as in the
    ``alpha / N1``, ``beta / N2`` of Wu et al. 2022, eq 39), so non-square inputs work; times
    ``fs`` (samples per unit length, the same along both axes) when given.
    ``shift=True`` matches an fftshift-centred spectrum (DC at ``(h//2, w//2)``).
    """
    fy = frequency_axis(h, fs=fs, shift=shift)
    fx = frequency_axis(w, fs=fs, shift=shift)
    return torch.sqrt(fy[:, None] ** 2 + fx[None, :] ** 2)


# --------------------------------------------------------------------------------------------
# Algorithm 1: the mean energy spectrum of a data set
# --------------------------------------------------------------------------------------------
def _full_from_half(half: torch.Tensor, last: int, ndim: int) -> torch.Tensor:
    """Rebuild a full (unshifted) |DFT|^2 of a real signal from its ``rfft`` half (Hermitian
    symmetry).

    ``E[k] = E[-k mod N]`` in 1-D; ``E[k1, k2] = E[-k1 mod H, -k2 mod W]`` in 2-D.
    """
    n_missing = last - half.shape[-1]  # bins last//2+1 .. last-1
    src = half[..., 1 : 1 + n_missing].flip(
        -1
    )  # bins n_missing .. 1, i.e. -(last//2+1) .. -(last-1)
    if ndim == 2:
        src = torch.roll(src.flip(-2), shifts=1, dims=-2)  # row k1 -> -k1 mod H
    return torch.cat([half, src], dim=-1)


def _sum_squares(rows: torch.Tensor) -> torch.Tensor:
    """``sum |x|^2`` of each row of a 2-D tensor, as float64.

    float64 rows are reduced directly. float32 rows longer than 512 values are split into blocks
    of at most 512 (a divisor of the row length), each block's norm computed in float32 (relative
    error ~6e-8, ~1.2e-7 once squared) and the squares added in float64: the block errors average
    out, to ~1e-7 for a row of two blocks (32 x 32 images) and ~1e-8 over thousands of values, at
    a fifth of the cost of a float64 cast; below the float32 FFT's own error (~1e-7) in every case.
    Shorter rows, and rows whose length has no such divisor, are cast to float64 first.
    """
    n = rows.shape[-1]
    if rows.dtype in (torch.float32, torch.complex64) and n > 512:
        block = next((d for d in range(512, 15, -1) if n % d == 0), None)
        if block is not None:
            parts = torch.linalg.vector_norm(rows.reshape(rows.shape[0], n // block, block), dim=-1)
            return parts.to(torch.float64).square().sum(dim=-1)
    wide = torch.complex128 if rows.is_complex() else torch.float64
    return torch.linalg.vector_norm(rows, dim=-1, dtype=wide).to(torch.float64).square()


class SpectrumMean:
    """Streaming mean energy spectrum of a data set (Wu et al. 2022, Algorithm 1 lines 1-7;
    eqs 37-40).

    Feed batches with :meth:`update`; nothing but one running sum is kept, so a data set larger than
    memory can be averaged. Each (sample, channel) energy spectrum ``|fft|^2`` (line 3) is divided
    by its own sum when ``normalize=True`` (line 4), all of them are added (line 5) and divided by
    the number of samples times channels (line 6); :attr:`mean` returns the result fftshift-centred
    (line 7). With ``normalize=False`` it is the plain average of eqs 37-40.

    Args:
        ndim: 1 for batches ``(B, C, N)`` (audio, 1-D features), 2 for ``(B, C, H, W)`` (images,
            feature maps).
        normalize: divide each spectrum by its sum first (Algorithm 1, line 4).
        on_zero: what to do with an all-zero (sample, channel), whose normalised spectrum is
            0/0 (dead ReLU channels do this): ``"error"`` (default) raises ValueError, ``"skip"``
            leaves it out of both the sum and the divisor (then ``mean`` is the average over the
            non-zero spectra, :attr:`n_spectra` of them). Only used when ``normalize=True``.

        compute_dtype: precision of the FFT. ``None`` (default) follows the batch: float64 (and
            integer) batches are transformed in float64, float32/float16 batches in float32 --
            the usual case for images and feature maps, about 3x faster. ``torch.float64`` forces
            float64.

    Numerics: the running sum is float64 on the batch's device (CPU for MPS, which has no
    float64). Real input uses ``rfft`` plus Hermitian symmetry; the line-4 denominator
    ``sum |fft|^2`` comes from Parseval (``size * sum x^2``, accumulated in float64); lines 4-5
    are one weighted sum per chunk of about 4 MiB of input, so memory stays small whatever the
    batch size. With float64 batches the result equals :func:`algorithm1_reference` to rounding
    (~1e-15 relative); with float32 batches to ~1e-7.

    Attributes:
        count: number of samples seen (the ``N_s`` of Algorithm 1).
        n_spectra: number of (sample, channel) spectra in the sum.
        mean: fftshift-centred mean spectrum, float64 CPU tensor, ``(N,)`` or ``(H, W)``.
    """

    _CHUNK_BYTES = 4 << 20

    def __init__(
        self,
        ndim: int = 1,
        normalize: bool = True,
        on_zero: str = "error",
        compute_dtype: torch.dtype | None = None,
    ):
        self.ndim = checks.ndim(ndim)
        if compute_dtype not in (None, torch.float32, torch.float64):
            raise ValueError(
                f"compute_dtype must be None, torch.float32 or torch.float64, got {compute_dtype!r}"
            )
        self.compute_dtype = compute_dtype
        self.normalize = checks.boolean(normalize, "normalize")
        self.on_zero = checks.choice(on_zero, "on_zero", ("error", "skip"))
        self.count = 0
        self.n_spectra = 0
        self._sum: torch.Tensor | None = None  # float64, unshifted, half spectrum for real input
        self._shape: tuple[int, ...] | None = None  # (C, N) or (C, H, W)
        self._half = True

    def __repr__(self) -> str:
        shape = None if self._shape is None else self._shape[1:]
        return (
            f"SpectrumMean(ndim={self.ndim}, normalize={self.normalize}, count={self.count}, "
            f"channels={None if self._shape is None else self._shape[0]}, shape={shape})"
        )

    @torch.no_grad()
    def update(self, batch) -> "SpectrumMean":
        """Add a batch ``(B, C, N)`` (``ndim=1``) or ``(B, C, H, W)`` (``ndim=2``); returns
        ``self``.

        The channel count and the signal/image size must stay the same across updates (ValueError
        otherwise); the batch size may change. Implements Algorithm 1, lines 1-5, for the batch.
        """
        x = checks.tensor(
            batch, "batch", check_finite=False
        )  # NaN/inf are caught on the (small) norms
        want = self.ndim + 2
        if x.ndim != want:
            layout = "(B, C, N)" if self.ndim == 1 else "(B, C, H, W)"
            raise ValueError(
                f"batch must have shape {layout} for ndim={self.ndim}, got shape {tuple(x.shape)}"
            )
        if self._shape is not None and tuple(x.shape[1:]) != self._shape:
            raise ValueError(
                f"batch has per-sample shape (C, ...) = {tuple(x.shape[1:])}, but earlier "
                f"updates had {self._shape}; channels and size must not change between updates"
            )
        if x.shape[0] == 0:
            return self
        if any(s == 0 for s in x.shape[1:]):
            raise ValueError(
                f"batch must have non-empty channel and signal dims, got shape {tuple(x.shape)}"
            )
        if self._sum is not None and x.device != self._sum.device:
            x = x.to(self._sum.device)
        elif x.device.type == "mps":  # no float64 on MPS
            x = x.cpu()
        complex_in = x.is_complex()
        if self._sum is not None and complex_in != (not self._half):
            raise ValueError("batch must stay real (or complex) across updates")
        real_dtype = self.compute_dtype or (
            torch.float64 if _real_dtype(x) == torch.float64 else torch.float32
        )
        dtype = (
            (torch.complex128 if real_dtype == torch.float64 else torch.complex64)
            if complex_in
            else real_dtype
        )
        dims = tuple(range(-self.ndim, 0))
        b, c = x.shape[:2]
        spatial = tuple(x.shape[2:])
        size = int(np.prod(spatial))
        flat = x.reshape(b * c, *spatial)
        # Work through the (sample, channel) spectra in chunks of ~4 MiB of input: the batch's
        # spectra are never all in memory at once, and the FFT/square/sum stay cache-sized (about
        # 2x faster than one big pass on a 2-core CPU).
        chunk = max(1, self._CHUNK_BYTES // (size * dtype.itemsize))
        batch_sum = None
        n_new = 0
        for start in range(0, b * c, chunk):
            xc = flat[start : start + chunk].to(dtype)  # cast per chunk: no full-batch copy
            m = xc.shape[0]
            # Line 3 for the chunk; real input needs only the rfft half (Hermitian symmetry).
            X = torch.fft.fftn(xc, dim=dims) if complex_in else torch.fft.rfftn(xc, dim=dims)
            V = torch.view_as_real(X).reshape(m, -1)  # (m, bins*2): re, im interleaved
            del X
            # Line 4's denominator sum_k |X_k|^2 by Parseval: size * sum_n |x_n|^2
            # (float64 accurate).
            total = size * _sum_squares(xc.reshape(m, size))
            if not bool(torch.isfinite(total).all()):
                raise ValueError("batch contains NaN or inf values")
            keep = torch.ones(m, dtype=torch.bool, device=x.device)
            if self.normalize:
                zero = total <= 0
                if bool(zero.any()):
                    if self.on_zero == "error":
                        i = start + int(zero.nonzero()[0])
                        raise ValueError(
                            f"batch has an all-zero signal (sample {i // c}, channel {i % c}) "
                            f"whose spectrum cannot be normalized; pass on_zero='skip' to leave "
                            f"such spectra out"
                        )
                    keep = ~zero
                weights = torch.where(
                    keep,
                    1.0 / torch.where(keep, total, torch.ones_like(total)),
                    torch.zeros_like(total),
                )
            else:
                weights = torch.ones(m, dtype=torch.float64, device=x.device)
            n_new += int(keep.sum())
            # Lines 4-5 fused: sum_i w_i |X_i|^2 as one vector-matrix product over the chunk.
            part = (weights.to(V.dtype) @ V.square_()).reshape(-1, 2).sum(dim=-1).to(torch.float64)
            batch_sum = part if batch_sum is None else batch_sum + part
        batch_sum = batch_sum.reshape(spatial[:-1] + (-1,))
        if self._sum is None:
            self._sum = batch_sum
            self._shape = tuple(x.shape[1:])
            self._half = not complex_in
        else:
            self._sum += batch_sum
        self.count += int(x.shape[0])
        self.n_spectra += n_new
        return self

    @property
    def mean(self) -> torch.Tensor:
        """The fftshift-centred mean spectrum (Algorithm 1, lines 6-7), float64 CPU ``(N,)`` or
        ``(H, W)``."""
        if self._sum is None or self.n_spectra == 0:
            raise RuntimeError(
                "SpectrumMean.mean: no spectra accumulated yet; call update(batch) first"
            )
        s = self._sum
        if self._half:
            s = _full_from_half(s, self._shape[-1], self.ndim)
        m = s / self.n_spectra
        return torch.fft.fftshift(m, dim=tuple(range(-self.ndim, 0))).cpu()

    def spectrum(self, fs: float | None = None) -> "Spectrum":
        """:attr:`mean` as a centred :class:`Spectrum` with its grid (``fs``: its sample rate)."""
        return Spectrum(self.mean, ndim=self.ndim, shift=True, fs=fs)


def mean_energy_spectrum(batches: Iterable, ndim: int = 1, normalize: bool = True) -> torch.Tensor:
    """Mean energy spectrum of an iterable of batches (Wu et al. 2022, Algorithm 1 lines 1-7).

    ``batches`` yields tensors ``(B, C, N)`` / ``(B, C, H, W)``, or ``(inputs, labels, ...)`` tuples
    as a ``DataLoader`` does (the first element is used). Returns the fftshift-centred float64 mean,
    ``(N,)`` or ``(H, W)``. See :class:`SpectrumMean` for the numerics.
    """
    if isinstance(batches, (str, bytes, torch.Tensor, np.ndarray)) or not isinstance(
        batches, Iterable
    ):
        raise TypeError(
            "batches must be an iterable of batches (e.g. a list of tensors or a DataLoader), "
            f"got {type(batches).__name__}; for one batch use SpectrumMean(...).update(x).mean"
        )
    acc = SpectrumMean(ndim=ndim, normalize=normalize)
    for item in batches:
        if isinstance(item, (tuple, list)):
            if not item:
                raise ValueError(
                    "batches yielded an empty tuple/list; expected a tensor or (inputs, labels)"
                )
            item = item[0]
        acc.update(item)
    if acc.count == 0:
        raise ValueError("batches was empty: no samples to average")
    return acc.mean


def algorithm1_reference(images: np.ndarray) -> np.ndarray:
    """Literal NumPy transcription of Wu et al. 2022, Algorithm 1 lines 1-7 (ground truth).

    One ``fft2`` (or ``fft`` for 1-D signals) per sample and channel, in float64, normalised by its
    sum, added up, divided by ``N_s * C`` and fftshifted. Slow on purpose: it is what the
    tests and ``benchmarks/bench_spectra.py`` compare :class:`SpectrumMean` against.

    Args:
        images: NumPy array ``(N_s, C, H, W)`` or ``(N_s, C, N)``, real.

    Returns:
        float64 array ``(H, W)`` or ``(N,)``, fftshift-centred, summing to 1.
    """
    if not isinstance(images, np.ndarray):
        raise TypeError(
            "images must be a numpy array (N_s, C, H, W) or (N_s, C, N), "
            f"got {type(images).__name__}"
        )
    if images.dtype.kind not in "iuf":
        raise TypeError(f"images must hold real numbers, got numpy dtype {images.dtype}")
    if images.ndim not in (3, 4) or images.shape[0] == 0 or images.shape[1] == 0:
        raise ValueError(
            "images must have shape (N_s, C, H, W) or (N_s, C, N) with N_s, C >= 1, "
            f"got {images.shape}"
        )
    n_s, c = images.shape[:2]
    transform = np.fft.fft2 if images.ndim == 4 else np.fft.fft
    average_fft = np.zeros(images.shape[2:], dtype=np.float64)
    for i in range(n_s):  # line 1
        for p in range(c):  # line 2
            fft_img = np.abs(transform(images[i, p].astype(np.float64))) ** 2  # line 3
            fft_img = fft_img / np.sum(fft_img)  # line 4
            average_fft = average_fft + fft_img  # line 5
    average_fft = average_fft / (n_s * c)  # line 6
    return np.fft.fftshift(average_fft)  # line 7


# --------------------------------------------------------------------------------------------
# summaries of a spectrum
# --------------------------------------------------------------------------------------------
def _check_levels(levels) -> tuple[float, ...]:
    if isinstance(levels, numbers.Real) and not isinstance(levels, bool):
        levels = (levels,)
    if isinstance(levels, (np.ndarray, torch.Tensor)):
        levels = levels.reshape(-1).tolist()
    checks.sequence(levels, "levels", "a sequence of energy fractions in (0, 1)")
    out = []
    for lv in levels:
        v = checks.real(lv, "levels")
        if not 0.0 < v < 1.0:
            raise ValueError(f"levels must be energy fractions in (0, 1), got {v}")
        out.append(v)
    if not out:
        raise ValueError(
            "levels must contain at least one energy fraction in (0, 1), got an empty sequence"
        )
    return tuple(out)


def energy_contours(spectrum, levels=(0.6, 0.8, 0.9)) -> dict[float, float]:
    """Energy thresholds for the 60/80/90 % contours (Wu et al. 2022, Algorithm 1, lines 8-12).

    The bins of the spectrum (1-D or 2-D, e.g. the mean of :class:`SpectrumMean`) are sorted in
    decreasing order (line 8) and cumulatively summed, as fractions of the total (line 9). The
    paper's ``min(abs(energySections - 0.9))`` (lines 10-12) is meant as an argmin; we use the
    convention "smallest set of bins whose energy reaches the level": ``ndx`` is the first index
    with ``cumsum >= level`` and the threshold is the value of that bin. Hence the region
    ``{spectrum >= threshold}`` holds at least ``level`` of the energy, while
    ``{spectrum > threshold}`` holds less than ``level`` -- no smaller set of bins reaches it.
    Drawing ``contour(spectrum, levels=[threshold])`` outlines that region.

    Args:
        spectrum: non-negative tensor/array (any shape; the mean spectrum of Algorithm 1).
        levels: energy fractions, each in (0, 1) (a single float is accepted).

    Returns:
        ``{level: threshold}``; each threshold is one of the values of ``spectrum`` (same units, so
        ``contour(spectrum, levels=...)`` and ``spectrum >= threshold`` are exact; for the mean of
        Algorithm 1, which sums to 1, these are the paper's ``th60, th80, th90``). A higher level
        gives a lower (or equal) threshold.
    """
    levels = _check_levels(levels)
    s = (
        checks.tensor(spectrum, "spectrum", allow_complex=False, min_ndim=1)
        .detach()
        .to("cpu", torch.float64)
    )
    if bool((s < 0).any()):
        raise ValueError("spectrum must be non-negative (an energy spectrum), got negative values")
    total = s.sum()
    if total <= 0:
        raise ValueError("spectrum must have positive total energy, got an all-zero spectrum")
    thresholds = torch.sort(s.reshape(-1), descending=True).values  # line 8
    sections = torch.cumsum(thresholds, 0) / total  # line 9, as fractions
    out = {}
    for lv in levels:  # lines 10-12
        ndx = int(torch.searchsorted(sections, torch.tensor([lv], dtype=torch.float64)))
        ndx = min(ndx, thresholds.numel() - 1)  # rounding: cumsum may end a hair below 1
        out[lv] = float(thresholds[ndx])
    return out


def radial_profile(spectrum2d, nbins: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Average of an fftshift-centred 2-D spectrum over annuli of equal radial frequency.

    Used to summarise the 2-D spectra of eqs 39-40 (Wu et al. 2022) as a function of |f|.

    Binning convention. Each bin ``(i, j)`` (DC at ``(H//2, W//2)``) has radius
    ``r = sqrt(((i - H//2)/H)^2 + ((j - W//2)/W)^2)`` in cycles/sample (per-axis normalised
    frequencies, so non-square spectra work). With bin width ``dr = 0.5 / (nbins - 1)``, annulus
    ``k`` holds the bins with ``round(r / dr) == k``, ``k = 0 .. nbins-1``, so annulus 0 is DC alone
    and the last annulus is centred on the Nyquist radius 0.5; bins beyond it (the corners) are
    left out. Default ``nbins = min(H, W) // 2 + 1``, i.e. ``dr = 1 / min(H, W)`` for even sizes:
    for a square ``N x N`` spectrum annulus ``k`` holds the pixels ``k`` (rounded) steps from DC.

    Args:
        spectrum2d: ``(..., H, W)`` real tensor/array, fftshift-centred; leading dims are kept.
        nbins: number of annuli, >= 2.

    Returns:
        ``(radii, profile)``: ``radii`` float64 ``(nbins,)`` annulus centres ``k * dr`` in
        cycles/sample; ``profile`` ``(..., nbins)`` the mean over each annulus (NaN for an empty
        annulus, which only happens when ``nbins`` is larger than the default).
    """
    s = checks.tensor(spectrum2d, "spectrum2d", allow_complex=False, min_ndim=2)
    h, w = s.shape[-2:]
    if h < 2 or w < 2:
        raise ValueError(
            f"spectrum2d must be at least 2 x 2 in its last two dims, got shape {tuple(s.shape)}"
        )
    if nbins is None:
        nbins = min(h, w) // 2 + 1
    nbins = checks.integer(nbins, "nbins", minimum=2)
    dr = 0.5 / (nbins - 1)
    r = radial_frequency(h, w, shift=True)
    k = torch.round(r / dr).to(torch.long).reshape(-1)
    keep = k < nbins
    k = k[keep].to(s.device)
    flat = s.reshape(*s.shape[:-2], h * w)[..., keep.to(s.device)]
    sums = torch.zeros(*s.shape[:-2], nbins, dtype=s.dtype, device=s.device).index_add_(-1, k, flat)
    counts = torch.bincount(k, minlength=nbins).to(s.dtype)
    profile = sums / counts  # 0/0 -> NaN for empty annuli
    radii = torch.arange(nbins, dtype=torch.float64) * dr
    return radii, profile


def _check_freqs(spectrum, freqs, name_spectrum="spectrum"):
    s = checks.tensor(spectrum, name_spectrum, allow_complex=False, min_ndim=1)
    f = checks.tensor(freqs, "freqs", allow_complex=False, min_ndim=1).to(
        device=s.device, dtype=s.dtype
    )
    if f.ndim > s.ndim or tuple(s.shape[s.ndim - f.ndim :]) != tuple(f.shape):
        raise ValueError(
            f"freqs must have the shape of the last dim(s) of spectrum: spectrum {tuple(s.shape)}, "
            f"freqs {tuple(f.shape)}"
        )
    if bool((s < 0).any()):
        raise ValueError(
            f"{name_spectrum} must be non-negative (an energy spectrum), got negative values"
        )
    dims = tuple(range(-f.ndim, 0))
    total = s.sum(dim=dims)
    if bool((total <= 0).any()):
        raise ValueError(
            f"{name_spectrum} has an all-zero spectrum; its energy fractions are undefined"
        )
    return s, f, dims, total


def spectral_centroid(spectrum, freqs) -> torch.Tensor:
    """Energy-weighted mean |frequency|: ``sum |f| E(f) / sum E(f)`` over the last dim(s).

    A one-number summary of where the energy of a spectrum (Wu et al. 2022, eq 3 / eqs 39-40) sits;
    modulation by a carrier ``fc`` moves it from near 0 to near ``fc`` (eq 3).

    Args:
        spectrum: ``(..., N)`` non-negative energy spectrum.
        freqs: ``(N,)`` frequencies of its bins, in the same order (e.g. :func:`frequency_axis`
            with the same ``shift``); or ``(H, W)`` radial frequencies (:func:`radial_frequency`)
            for ``(..., H, W)`` spectra.

    Returns:
        ``(...)`` tensor, in the unit of ``freqs`` (cycles/sample by default).
    """
    s, f, dims, total = _check_freqs(spectrum, freqs)
    return (f.abs() * s).sum(dim=dims) / total


def band_energy_fraction(spectrum, freqs, f_lo: float, f_hi: float) -> torch.Tensor:
    """Fraction of a spectrum's energy in the band ``f_lo <= |f| < f_hi``.

    The band is two-sided (both ``+f`` and ``-f``); when ``f_hi >= max |freqs|`` the top edge is
    included so that ``(0, max|f|)`` covers every bin (e.g. the Nyquist bin at -1/2). Later chapters
    use it to measure the energy-spectrum shift of Wu et al. 2022 (eqs 3, 7, 12) in numbers.

    Args:
        spectrum: ``(..., N)`` non-negative energy spectrum (or ``(..., H, W)`` with radial
            ``freqs``).
        freqs: ``(N,)`` (or ``(H, W)``) frequencies of its bins, same order as ``spectrum``.
        f_lo, f_hi: band edges in the unit of ``freqs``, ``0 <= f_lo < f_hi``.

    Returns:
        ``(...)`` tensor of fractions in [0, 1].
    """
    f_lo = checks.real(f_lo, "f_lo")
    f_hi = checks.real(f_hi, "f_hi")
    if f_lo < 0 or f_hi <= f_lo:
        raise ValueError(f"f_lo, f_hi must satisfy 0 <= f_lo < f_hi, got f_lo={f_lo}, f_hi={f_hi}")
    s, f, dims, total = _check_freqs(spectrum, freqs)
    a = f.abs()
    inside = (a >= f_lo) & ((a < f_hi) | (f_hi >= float(a.max())))
    return (s * inside).sum(dim=dims) / total


# --------------------------------------------------------------------------------------------
# a spectrum that carries its grid
# --------------------------------------------------------------------------------------------
class Spectrum:
    """An energy spectrum with its frequency grid: values, ``ndim``, centring and sample rate.

    ``Spectrum.of(x)`` computes one (:func:`energy_spectrum`); ``SpectrumMean.spectrum()`` and
    ``probes.LayerSpectra.spectra`` return them. The grid is never passed around separately:
    :attr:`freqs` is built, once, by :func:`frequency_axis` (1-D) or :func:`radial_frequency` (2-D),
    and the summaries delegate to :func:`spectral_centroid`, :func:`band_energy_fraction` and
    :func:`radial_profile`, so each formula has one definition.

    Args:
        values: real tensor/array ``(..., N)`` (``ndim=1``) or ``(..., H, W)`` (``ndim=2``); leading
            (batch, channel) dims are kept and every method works per leading index. Not copied:
            a Spectrum is immutable (its attributes cannot be set), so do not modify ``values``
            in place either.
        ndim: 1 or 2, the number of trailing frequency dims.
        shift: the values are fftshift-centred (DC at index ``N // 2``), as
            ``energy_spectrum(shift=True)`` gives; ``False`` for the ``torch.fft`` order (DC first).
        fs: sample rate (e.g. Hz); frequencies are then in its unit. ``None``: cycles/sample.

    ``numpy.asarray(spectrum)`` and :attr:`values` give the numbers, so numeric code keeps working.
    """

    __slots__ = ("_values", "_ndim", "_shift", "_fs", "_dc_dropped", "_freqs")

    def __init__(
        self,
        values,
        ndim: int = 1,
        shift: bool = True,
        fs: float | None = None,
        dc_dropped: bool = False,
    ):
        ndim = checks.ndim(ndim)
        values = checks.tensor(values, "values", allow_complex=False, min_ndim=ndim)
        for name, value in (
            ("_values", values),
            ("_ndim", ndim),
            ("_shift", checks.boolean(shift, "shift")),
            ("_fs", None if fs is None else checks.positive(fs, "fs")),
            ("_dc_dropped", checks.boolean(dc_dropped, "dc_dropped")),
            ("_freqs", None),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError(
            f"Spectrum is immutable: cannot set {name!r} (methods return new spectra)"
        )

    @classmethod
    def of(
        cls, x, ndim: int = 1, fs: float | None = None, shift: bool = True, normalize: bool = False
    ) -> "Spectrum":
        """The energy spectrum ``|DFT|^2`` of ``x`` over its last ``ndim`` dims
        (:func:`energy_spectrum`)."""
        return cls(
            energy_spectrum(x, ndim=ndim, shift=shift, normalize=normalize),
            ndim=ndim,
            shift=shift,
            fs=fs,
        )

    def _like(self, values, dc_dropped=None) -> "Spectrum":
        return Spectrum(
            values,
            self._ndim,
            self._shift,
            self._fs,
            self._dc_dropped if dc_dropped is None else dc_dropped,
        )

    # the numbers and the grid ----------------------------------------------------------
    @property
    def values(self) -> torch.Tensor:
        """The energy values, ``(..., N)`` or ``(..., H, W)``."""
        return self._values

    def __array__(self, dtype=None, copy=None):
        a = self._values.detach().cpu().numpy()
        return a if dtype is None else a.astype(dtype)

    @property
    def ndim(self) -> int:
        return self._ndim

    @property
    def shift(self) -> bool:
        return self._shift

    @property
    def fs(self) -> float | None:
        return self._fs

    @property
    def dc_dropped(self) -> bool:
        """Whether :meth:`drop_dc` zeroed the DC bin (:meth:`plot` then leaves it out)."""
        return self._dc_dropped

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._values.shape)

    @property
    def n(self) -> int | tuple[int, int]:
        """Bins of the grid: ``N`` (1-D) or ``(H, W)`` (2-D)."""
        grid = self.shape[-self._ndim :]
        return grid[0] if self._ndim == 1 else grid

    @property
    def freqs(self) -> torch.Tensor:
        """The frequency of each bin, float64, in the order of :attr:`values`: ``(N,)`` from
        :func:`frequency_axis`, or the ``(H, W)`` radial frequencies of :func:`radial_frequency`;
        in the unit of :attr:`fs` (cycles/sample when ``fs`` is None). Built once."""
        if self._freqs is None:
            fs = 1.0 if self._fs is None else self._fs
            if self._ndim == 1:
                f = frequency_axis(self.n, fs=fs, shift=self._shift)
            else:
                f = radial_frequency(*self.n, shift=self._shift, fs=fs)
            object.__setattr__(self, "_freqs", f.to(self._values.device))
        return self._freqs

    @property
    def df(self) -> float | tuple[float, float]:
        """Bin spacing ``fs / N`` (``1 / N`` without ``fs``); ``(fs / H, fs / W)`` in 2-D."""
        fs = 1.0 if self._fs is None else self._fs
        return fs / self.n if self._ndim == 1 else (fs / self.n[0], fs / self.n[1])

    @property
    def dc_index(self) -> tuple[int, ...]:
        """Index of the DC bin within the grid dims: ``(N // 2,)`` / ``(H // 2, W // 2)`` when
        centred, zeros otherwise."""
        grid = self.shape[-self._ndim :]
        return tuple(g // 2 if self._shift else 0 for g in grid)

    def __repr__(self) -> str:
        unit = "cycles/sample" if self._fs is None else f"fs={self._fs:g}"
        return (
            f"Spectrum(shape={self.shape}, ndim={self._ndim}, shift={self._shift}, {unit}"
            f"{', DC dropped' if self._dc_dropped else ''})"
        )

    def same_grid(self, other: "Spectrum", name: str = "other") -> "Spectrum":
        """``other`` if it is a Spectrum on this grid (same ``ndim``, bins, centring and ``fs``);
        TypeError / ValueError naming ``name`` otherwise."""
        if not isinstance(other, Spectrum):
            raise TypeError(f"{name} must be a Spectrum, got {type(other).__name__}")
        for what, mine, theirs in (
            ("ndim", self._ndim, other._ndim),
            ("n", self.n, other.n),
            ("shift", self._shift, other._shift),
            ("fs", self._fs, other._fs),
        ):
            if mine != theirs:
                raise ValueError(
                    f"{name} is on another grid: {name} has {what}={theirs!r}, "
                    f"this spectrum {what}={mine!r}"
                )
        return other

    # summaries ---------------------------------------------------------------------------
    @property
    def _dims(self) -> tuple[int, ...]:
        return tuple(range(-self._ndim, 0))

    def total(self) -> torch.Tensor:
        """Total energy per leading index, ``(...)``."""
        return self._values.sum(dim=self._dims)

    def mean(self, dim: int | None = None) -> "Spectrum":
        """The average over the leading dim ``dim`` (e.g. 0: over a batch), or over all leading dims
        (``None``: one spectrum, e.g. a channel average as in Wu et al. 2022, eq 40)."""
        lead = self._values.ndim - self._ndim
        if dim is None:
            dims = tuple(range(lead))
        else:
            dim = checks.integer(dim, "dim", minimum=-lead if lead else 0)
            if not -lead <= dim < lead:
                raise ValueError(
                    f"dim must index a leading (not a frequency) dim, one of "
                    f"{list(range(lead))}, got {dim}"
                )
            dims = (dim % lead,)
        return self._like(self._values.mean(dim=dims) if dims else self._values)

    def drop_dc(self) -> "Spectrum":
        """The same spectrum with the DC bin (``f = 0``) set to **zero**; shape and grid unchanged.

        Zeroing rather than removing keeps every spectrum on its DFT grid (2-D ones stay 2-D), and
        the summaries that follow see exactly the other bins: the centroid, band shares and
        :meth:`normalized` equal those computed on the spectrum without its DC bin. :meth:`plot`
        leaves the bin out.
        """
        v = self._values.clone()
        v[(Ellipsis,) + self.dc_index] = 0
        return self._like(v, dc_dropped=True)

    def normalized(self) -> "Spectrum":
        """Divided by :meth:`total`, so each leading index sums to 1 (ValueError if all zero)."""
        total = self.total()
        if bool((total <= 0).any()):
            raise ValueError(
                "spectrum has an all-zero (or negative-total) entry; it cannot be "
                "normalized to unit total energy"
            )
        return self._like(self._values / total.reshape(total.shape + (1,) * self._ndim))

    def centroid(self) -> torch.Tensor:
        """Energy-weighted mean |frequency| per leading index (:func:`spectral_centroid`),
        in the unit of :attr:`fs`."""
        return spectral_centroid(self._values, self.freqs)

    def band_share(self, lo: float, hi: float) -> torch.Tensor:
        """Share of the energy in ``lo <= |f| < hi`` per leading index
        (:func:`band_energy_fraction`; radial ``|f|`` in 2-D); edges in the unit of :attr:`fs`."""
        return band_energy_fraction(self._values, self.freqs, lo, hi)

    def radial_profile(self, nbins: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """2-D only: ``(radii, profile)``, the mean over annuli of equal radial frequency
        (:func:`radial_profile`); ``radii`` in the unit of :attr:`fs`."""
        if self._ndim != 2:
            raise ValueError("radial_profile needs a 2-D spectrum (ndim=2), this one has ndim=1")
        v = self._values if self._shift else torch.fft.fftshift(self._values, dim=self._dims)
        radii, profile = radial_profile(v, nbins)
        return (radii if self._fs is None else radii * self._fs), profile

    def relative_error(self, other) -> float:
        """``||self - other|| / ||other||`` (:func:`relative_error`; ``other`` is the reference)."""
        return relative_error(self, other)

    def plot(self, ax=None, **kw):
        """Draw with :func:`helpers.plotting.plot_spectrum` (1-D, against :attr:`freqs`; the DC bin
        left out after :meth:`drop_dc`) or :func:`helpers.plotting.plot_spectrum2d` (2-D).

        ``ax``: a matplotlib Axes (default: the current one); ``**kw`` go to the plotting function
        (``label``, ``db``, ``color``, ... in 1-D; ``contours``, ``log``, ``title`` in 2-D).
        Only a single spectrum (no leading dims) can be drawn. Returns the artist.
        """
        from . import plotting  # plotting imports this module

        if self._values.ndim != self._ndim:
            raise ValueError(
                f"plot draws one spectrum: values must have shape (N,) or (H, W), "
                f"got {self.shape}; index the leading dims first"
            )
        if ax is None:
            import matplotlib.pyplot as plt

            ax = plt.gca()
        if self._ndim == 2:
            v = self._values if self._shift else torch.fft.fftshift(self._values)
            return plotting.plot_spectrum2d(ax, v, **kw)
        f = self.freqs
        keep = f != 0 if self._dc_dropped else torch.ones_like(f, dtype=torch.bool)
        unit = "cycles/sample" if self._fs is None else "Hz"
        kw.setdefault("xlabel", f"frequency ({unit})")
        return plotting.plot_spectrum(ax, f[keep], self._values[keep], **kw)


def relative_error(a, b) -> float:
    """``||a - b|| / ||b||`` (Frobenius norms; ``b`` is the reference), as a float.

    ``a`` and ``b``: tensors/arrays of one shape, or :class:`Spectrum` values -- two spectra must be
    on the same grid (ValueError naming ``b`` otherwise). Complex inputs use ``|a - b|``. Computed
    in the inputs' precision (no cast), as ``float((a - b).norm() / b.norm())`` would be.
    """
    if isinstance(a, Spectrum) and isinstance(b, Spectrum):
        a.same_grid(b, "b")
    a = checks.tensor(a.values if isinstance(a, Spectrum) else a, "a")
    b = checks.tensor(b.values if isinstance(b, Spectrum) else b, "b")
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    den = b.norm()
    if not den > 0:
        raise ValueError("b is all zero: the relative error ||a - b|| / ||b|| is undefined")
    return float((a - b).norm() / den)


# --------------------------------------------------------------------------------------------
# per-sample spectra, class means and the spread between them (Wu et al. 2022, sec 5.1.1)
# --------------------------------------------------------------------------------------------
@torch.no_grad()
def sample_spectra(batch, ndim: int = 2, compute_dtype: torch.dtype | None = None):
    """Per-sample normalised energy spectra, summed over channels (Algorithm 1, lines 2-4).

    For each sample ``i`` of a batch ``(B, C, H, W)`` (``ndim=2``) or ``(B, C, N)`` (``ndim=1``):
    every channel's ``|fft|^2`` divided by its own sum (line 4), all-zero channels (dead ReLU
    channels) left out, the rest added up. Returned as ``(sums, counts)``: ``sums`` float64 CPU
    ``(B, H, W)`` fftshift-centred, ``counts`` int64 ``(B,)`` the number of channels in each sum.
    ``sums[i] / counts[i]`` is sample ``i``'s channel-averaged spectrum (eq 39 / 40 normalised);
    ``sums[S].sum(0) / counts[S].sum()`` over a set ``S`` of samples is exactly the
    :class:`SpectrumMean` of those samples with ``on_zero="skip"`` (see
    :func:`class_mean_spectra`). A sample with no non-zero channel has ``counts == 0``.

    ``compute_dtype``: FFT precision, as in :class:`SpectrumMean` (``None`` follows the batch:
    float32 batches are transformed in float32, the sums accumulated in float64).
    """
    ndim = checks.ndim(ndim)
    x = checks.tensor(batch, "batch", allow_complex=False, min_ndim=ndim + 2)
    if x.ndim != ndim + 2:
        layout = "(B, C, N)" if ndim == 1 else "(B, C, H, W)"
        raise ValueError(f"batch must have shape {layout} for ndim={ndim}, got {tuple(x.shape)}")
    if compute_dtype not in (None, torch.float32, torch.float64):
        raise ValueError(
            f"compute_dtype must be None, torch.float32 or torch.float64, got {compute_dtype!r}"
        )
    dtype = compute_dtype or (torch.float64 if x.dtype == torch.float64 else torch.float32)
    b, c = x.shape[:2]
    e = energy_spectrum(x.to(dtype), ndim=ndim, shift=True).reshape(b, c, -1)
    total = e.sum(dim=-1, dtype=torch.float64)  # line 4's denominators, accumulated in float64
    keep = total > 0
    weights = torch.where(keep, 1.0 / torch.where(keep, total, 1.0), 0.0)
    # lines 4 and the channel sum fused: sum_p E_p / total_p, one batched product
    sums = torch.bmm(weights.to(e.dtype)[:, None, :], e)[:, 0].to(torch.float64)
    return sums.reshape((b,) + tuple(x.shape[2:])).cpu(), keep.sum(dim=1).cpu()


def _check_samples(sums, counts, labels, n_classes):
    sums = checks.tensor(sums, "sums", allow_complex=False, min_ndim=2).to(torch.float64)
    counts = checks.tensor(counts, "counts", allow_complex=False, min_ndim=1).to(torch.float64)
    labels = torch.as_tensor(checks.tensor(labels, "labels", allow_complex=False, min_ndim=1))
    n_classes = checks.integer(n_classes, "n_classes", minimum=2)
    n = sums.shape[0]
    if counts.shape != (n,) or labels.shape != (n,):
        raise ValueError(
            f"sums, counts and labels must describe the same samples: sums {tuple(sums.shape)}, "
            f"counts {tuple(counts.shape)}, labels {tuple(labels.shape)}"
        )
    if bool((labels != labels.round()).any()) or bool(((labels < 0) | (labels >= n_classes)).any()):
        raise ValueError(f"labels must be integers in [0, {n_classes}), got {labels.unique()}")
    return sums, counts, labels.to(torch.long), n_classes


def class_mean_spectra(sums, counts, labels, n_classes: int) -> torch.Tensor:
    """The mean spectrum of each class (Algorithm 1 lines 1-6 per class; eqs 37-38) from
    :func:`sample_spectra`: ``(n_classes, ...)`` float64, class ``k`` =
    ``sums[labels == k].sum(0) / counts[labels == k].sum()``. A class with no spectrum:
    ValueError naming it."""
    sums, counts, labels, n_classes = _check_samples(sums, counts, labels, n_classes)
    total = torch.zeros((n_classes,) + tuple(sums.shape[1:]), dtype=torch.float64)
    total.index_add_(0, labels, sums)
    n = torch.zeros(n_classes, dtype=torch.float64).index_add_(0, labels, counts)
    if bool((n <= 0).any()):
        raise ValueError(
            f"labels leave class(es) {(n <= 0).nonzero().reshape(-1).tolist()} without any "
            f"spectrum; every class needs at least one sample with a non-zero channel"
        )
    return total / n.reshape((-1,) + (1,) * (sums.ndim - 1))


def _distributions(p, name: str) -> torch.Tensor:
    p = checks.tensor(p, name, allow_complex=False, min_ndim=1).to(torch.float64)
    if bool((p < 0).any()):
        raise ValueError(f"{name} must be non-negative (energy spectra), got negative values")
    return p


def _kl_terms(p: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """``p log(p / m)`` with ``0 log 0 = 0`` (``m >= p / 2 > 0`` wherever ``p > 0``)."""
    return torch.where(p > 0, p * torch.log(p / torch.where(p > 0, m, 1.0)), 0.0)


def js_divergence(p, q) -> float:
    """Jensen-Shannon divergence (nats) between two spectra read as distributions over bins.

    ``p`` and ``q`` (same shape, non-negative, any number of dims) are each divided by their sum;
    ``JS = KL(p || m) / 2 + KL(q || m) / 2`` with ``m = (p + q) / 2``. Symmetric, 0 for equal
    spectra, ``ln 2`` (its maximum) for spectra with disjoint supports. The book's distance
    between class mean spectra (chapter 5).
    """
    p, q = _distributions(p, "p"), _distributions(q, "q")
    if p.shape != q.shape:
        raise ValueError(
            f"p and q must have the same shape, got {tuple(p.shape)}, {tuple(q.shape)}"
        )
    return float(js_spread(torch.stack([p, q])))


def js_spread(spectra) -> float:
    """Spread of ``K >= 2`` spectra: the mean over the ``K (K - 1) / 2`` pairs of their
    Jensen-Shannon divergence (nats, in ``[0, ln 2]``).

    ``spectra``: ``(K, ...)``, e.g. the ten class mean spectra of :func:`class_mean_spectra`; each
    is normalised to sum 1 over its bins first (a spectrum with no energy: ValueError). 0 when all
    are equal, ``ln 2`` when every pair has disjoint supports. Used to put a number on "the network
    normalises different classes to a similar distribution" (Wu et al. 2022, sec 5.1.1, Table 4).
    """
    s = _distributions(spectra, "spectra")
    if s.ndim < 2 or s.shape[0] < 2:
        raise ValueError(f"spectra must have shape (K, ...) with K >= 2, got {tuple(s.shape)}")
    s = s.reshape(s.shape[0], -1)
    total = s.sum(dim=1, keepdim=True)
    if bool((total <= 0).any()):
        raise ValueError("spectra holds an all-zero spectrum: it is no distribution")
    p = s / total
    i, j = torch.triu_indices(p.shape[0], p.shape[0], offset=1)
    m = (p[i] + p[j]) / 2
    js = 0.5 * (_kl_terms(p[i], m).sum(dim=1) + _kl_terms(p[j], m).sum(dim=1))
    return float(js.clamp(min=0.0).mean())


def _js_spreads(p: torch.Tensor) -> torch.Tensor:
    """:func:`js_spread` of each ``(K, F)`` slice of ``p`` ``(R, K, F)`` (non-negative, positive
    totals), as a float64 ``(R,)`` tensor."""
    p = p / p.sum(dim=-1, keepdim=True)
    i, j = torch.triu_indices(p.shape[1], p.shape[1], offset=1)
    m = (p[:, i] + p[:, j]) / 2
    js = 0.5 * (_kl_terms(p[:, i], m).sum(dim=-1) + _kl_terms(p[:, j], m).sum(dim=-1))
    return js.clamp(min=0.0).mean(dim=-1)


def resampled_spreads(
    sums, counts, labels, n_classes: int, n: int, seed: int, kind: str = "bootstrap"
) -> torch.Tensor:
    """``n`` resampled values of :func:`js_spread` of the class means, float64 ``(n,)``.

    ``kind="bootstrap"``: each class's samples are drawn with replacement, as many as it has
    (the uncertainty of the spread from the finite set of images). ``kind="partition"``: the labels
    are randomly permuted (class sizes kept), so each "class" is a random set of images: the spread
    that averaging alone leaves (a control). The draws depend only on ``labels``, ``n``, ``seed``
    and ``kind``: two calls on different spectra of the same samples (e.g. two layers) use the same
    resamples, so their differences are paired.
    """
    sums, counts, labels, n_classes = _check_samples(sums, counts, labels, n_classes)
    n = checks.integer(n, "n")
    seed = checks.integer(seed, "seed", minimum=0)
    kind = checks.choice(kind, "kind", ("bootstrap", "partition"))
    g = torch.Generator().manual_seed(seed)
    n_samples = labels.numel()
    # weights[r, k, i]: how often sample i enters class k in resample r (a bootstrap draws with
    # replacement within each class; a partition gives every sample a random class)
    weights = torch.zeros(n, n_classes, n_samples, dtype=torch.float64)
    if kind == "partition":
        for r in range(n):
            weights[r, labels[torch.randperm(n_samples, generator=g)], torch.arange(n_samples)] = 1
    else:
        members = [(labels == k).nonzero().reshape(-1) for k in range(n_classes)]
        for r in range(n):
            for k, m in enumerate(members):
                pick = m[torch.randint(m.numel(), (m.numel(),), generator=g)]
                weights[r, k].index_add_(0, pick, torch.ones(m.numel(), dtype=torch.float64))
    count = weights @ counts
    if bool((count <= 0).any()):
        raise ValueError("a resampled class holds no spectrum (every sample of it is all zero)")
    flat = sums.reshape(n_samples, -1)
    out = torch.empty(n, dtype=torch.float64)
    step = max(1, (32 << 20) // (8 * n_classes * flat.shape[1] * max(1, n_classes // 2)))
    for start in range(0, n, step):  # chunks of resamples, ~32 MiB of pair terms each
        means = (weights[start : start + step] @ flat) / count[start : start + step, :, None]
        out[start : start + step] = _js_spreads(means)
    return out


# --------------------------------------------------------------------------------------------
# the 1/rho^2 law of natural images (Wu et al. 2022, eqs 41-42)
# --------------------------------------------------------------------------------------------
class PowerLawFit(tuple):
    """``(mu, nu)`` of ``log AE(rho) = mu log(1/rho^2) + nu``, with the data of the fit:
    ``radii`` and ``profile`` (the annuli used), ``band`` and ``binning``."""

    __slots__ = ()
    _fields = ("mu", "nu", "radii", "profile", "band", "binning")

    def __new__(cls, mu, nu, radii, profile, band, binning):
        return tuple.__new__(cls, (mu, nu, radii, profile, band, binning))

    mu = property(lambda self: self[0])
    nu = property(lambda self: self[1])
    radii = property(lambda self: self[2])
    profile = property(lambda self: self[3])
    band = property(lambda self: self[4])
    binning = property(lambda self: self[5])

    def __repr__(self) -> str:
        return (
            f"PowerLawFit(mu={self.mu}, nu={self.nu}, band={self.band}, binning={self.binning!r})"
        )


def power_law_fit(spectrum2d, band=None, binning: str = "mean") -> PowerLawFit:
    """Fit ``log AE(rho) = mu log(1/rho^2) + nu`` (Wu et al. 2022, eqs 41-42) by least squares.

    ``AE(rho)`` is the radially averaged energy spectrum: :func:`radial_profile` of the
    fftshift-centred ``(..., H, W)`` spectrum (its default annuli, ``dr = 1 / min(H, W)``; rho in
    cycles/sample). Natural images give ``mu`` near 1 (``AE ~ 1/rho^2``).

    Conventions (they change the number, so they are part of the result):

    * ``binning="mean"`` (default): ``AE`` is the *mean* energy over each annulus, the spectral
      density the law is about. ``"sum"``: the annulus *sum*, which grows with the annulus'
      circumference (``~ rho``) and so lowers ``mu`` by about 1/2.
    * ``band=(lo, hi)``: annuli with ``lo <= rho <= hi`` cycles/sample, ``0 < lo < hi <= 0.5``;
      the DC annulus (``rho = 0``, where ``log(1/rho^2)`` is infinite) is always excluded. Default
      ``(2 / min(H, W), 0.25)``: from the second annulus to half the Nyquist radius, leaving out the
      top octave, where resampling filters and JPEG quantisation act.
    * the abscissa of annulus ``k`` is its geometric-mean radius ``exp(mean log rho)`` over its
      bins, not the nominal centre ``k dr``: on a square grid the rounded rings are lopsided at
      small ``k`` (annulus 2 of a 64 x 64 grid averages rho = 2.15 / 64), and the nominal centres
      bias ``mu`` by about -2 % for an exact ``1/rho^2`` field, the geometric means by +0.2 %.
    * annuli with zero (or NaN) energy are left out; at least 3 annuli must remain.

    Returns:
        :class:`PowerLawFit` with ``mu``, ``nu`` float64 tensors of the leading shape ``(...)``,
        ``radii`` (the abscissae above) and ``profile`` (``(..., n_annuli)``) of the fitted annuli.
    """
    s = checks.tensor(spectrum2d, "spectrum2d", allow_complex=False, min_ndim=2).to(torch.float64)
    binning = checks.choice(binning, "binning", ("mean", "sum"))
    h, w = s.shape[-2:]
    if band is None:
        band = (2.0 / min(h, w), 0.25)
    band = tuple(checks.sequence(band, "band", "a pair (lo, hi) of radii in cycles/sample"))
    if len(band) != 2:
        raise ValueError(f"band must be a pair (lo, hi), got {band!r}")
    lo, hi = (checks.real(b, "band") for b in band)
    if not 0 < lo < hi <= 0.5:
        raise ValueError(f"band must satisfy 0 < lo < hi <= 0.5 cycles/sample, got {(lo, hi)}")
    centres, profile = radial_profile(s)
    counts, radii = _annulus_geometry(h, w, centres.numel())
    if binning == "sum":
        profile = profile * counts
    use = (centres >= lo - 1e-12) & (centres <= hi + 1e-12) & (centres > 0)
    prof = profile[..., use]
    good = torch.isfinite(prof) & (prof > 0)
    if bool((good.sum(dim=-1) < 3).any()):
        raise ValueError(
            f"band {(lo, hi)} leaves fewer than 3 annuli with energy on a {h} x {w} grid "
            f"(annulus width {float(centres[1]):.3g} cycles/sample); widen the band"
        )
    x = torch.log(1.0 / radii[use] ** 2).expand_as(prof)
    y = torch.log(torch.where(good, prof, 1.0))
    wts = good.to(torch.float64)
    n = wts.sum(dim=-1, keepdim=True)
    xm = (wts * x).sum(dim=-1, keepdim=True) / n
    ym = (wts * y).sum(dim=-1, keepdim=True) / n
    mu = (wts * (x - xm) * (y - ym)).sum(dim=-1) / (wts * (x - xm) ** 2).sum(dim=-1)
    nu = ym.squeeze(-1) - mu * xm.squeeze(-1)
    return PowerLawFit(mu, nu, radii[use], prof, (lo, hi), binning)


def mean_pairwise_distance(points) -> float:
    """The mean Euclidean distance over all pairs of the rows of ``points`` ``(K, D)`` (K >= 2):
    how far apart K networks' ``(mu, nu)`` lie (chapter 6). 0 when all rows are equal."""
    p = checks.tensor(points, "points", allow_complex=False, min_ndim=2).to(torch.float64)
    if p.ndim != 2 or p.shape[0] < 2:
        raise ValueError(f"points must be (K, D) with K >= 2, got shape {tuple(p.shape)}")
    d = torch.cdist(p, p)
    k = p.shape[0]
    return float(d.sum() / (k * (k - 1)))


def power_law_field(
    n: int, mu: float, generator: torch.Generator | None = None, dtype=torch.float64
) -> torch.Tensor:
    """A real ``n x n`` field whose energy spectrum is exactly ``rho^(-2 mu)`` (0 at DC): the
    amplitude ``rho^-mu`` with the (odd-symmetric) phases of the DFT of real white noise, so
    ``AE(rho) ~ 1/rho^(2 mu)`` and :func:`power_law_fit` should return ``mu``. The test field of
    the fit (eqs 41-42); ``generator`` seeds the phases."""
    n = checks.integer(n, "n", 4)
    mu = checks.real(mu, "mu")
    checks.instance(generator, "generator", torch.Generator, "a torch.Generator", optional=True)
    r = radial_frequency(n, n, shift=False)
    amplitude = torch.where(r > 0, r ** (-mu), 0.0)
    noise = torch.randn(n, n, generator=generator, dtype=torch.float64)
    phase = torch.angle(torch.fft.fft2(noise))
    return torch.fft.ifft2(amplitude * torch.exp(1j * phase)).real.to(dtype)


def _annulus_geometry(h: int, w: int, nbins: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Bins per annulus of :func:`radial_profile` (the same rounding rule) and each annulus'
    geometric-mean radius ``exp(mean log rho)`` over its bins (DC: 0), both float64 ``(nbins,)``."""
    r = radial_frequency(h, w).reshape(-1)
    k = torch.round(r / (0.5 / (nbins - 1))).to(torch.long)
    keep = (k < nbins) & (r > 0)
    counts = torch.bincount(k[k < nbins], minlength=nbins).to(torch.float64)
    logs = torch.zeros(nbins, dtype=torch.float64).index_add_(0, k[keep], torch.log(r[keep]))
    n = torch.bincount(k[keep], minlength=nbins).to(torch.float64)
    radii = torch.where(n > 0, torch.exp(logs / torch.where(n > 0, n, 1.0)), 0.0)
    return counts, radii


# --------------------------------------------------------------------------------------------
# phase scrambling: the same energy spectrum, no content
# --------------------------------------------------------------------------------------------
def phase_scramble(x, generator: torch.Generator | None = None, ndim: int = 2) -> torch.Tensor:
    """Images with the amplitude spectrum of ``x`` and random phases (a real tensor).

    ``X = fft(x)`` over the last ``ndim`` dims; the phase of the DFT of a real white-noise field is
    added to the phase of ``X``; that phase is odd-symmetric (the noise is real), so the result
    stays Hermitian and its inverse DFT is real (the imaginary rounding residue is dropped). The
    added phase is set to 0 at DC, so each channel keeps its mean, and it is shared by the
    channels (dim ``-ndim - 1``) of a sample, so the relations between colour channels stay.
    Hence every (sample, channel) energy spectrum is unchanged (to floating-point rounding) while
    the spatial structure -- edges, objects -- is gone. Shape and dtype of ``x`` are kept.

    ``generator``: a seeded ``torch.Generator`` (``None``: torch's global generator).
    """
    ndim = checks.ndim(ndim)
    x = checks.tensor(x, "x", allow_complex=False, min_ndim=ndim)
    checks.instance(generator, "generator", torch.Generator, "a torch.Generator", optional=True)
    dims = tuple(range(-ndim, 0))
    shape = list(x.shape)
    if x.ndim > ndim:
        shape[-ndim - 1] = 1
    noise = torch.randn(shape, generator=generator, dtype=torch.float64).to(x.device)
    phase = torch.angle(torch.fft.fftn(noise, dim=dims))
    phase[(Ellipsis,) + (0,) * ndim] = 0.0
    X = torch.fft.fftn(x.to(torch.float64), dim=dims)
    y = torch.fft.ifftn(X * torch.exp(1j * phase), dim=dims).real
    return y.to(x.dtype)


# --------------------------------------------------------------------------------------------
# the width of a spectrum: the band that holds a given share of the energy
# --------------------------------------------------------------------------------------------
def occupied_bandwidth(spectrum, freqs, energy: float = 0.9) -> torch.Tensor:
    """The smallest ``B`` on the grid with ``sum_{|f| <= B} E(f) >= energy * sum_f E(f)``.

    A width measure for the "concentrated area" of Wu et al. 2022 (sec 3.1.3, figs 9-10): the
    (one-sided, two-sided band ``|f| <= B``) bandwidth that holds the fraction ``energy`` of a
    spectrum's energy; the 1-D analogue of the energy contours of Algorithm 1, and of
    :func:`helpers.signals.occupied_band` for a mean spectrum. A spectrum whose energy concentrates
    near DC has a small ``B``; white noise has ``B ~ energy / 2``. The edge is a grid value
    ``|f|`` (bins of equal ``|f|`` enter together; a relative slack of ``1e-12`` absorbs rounding).

    Args:
        spectrum: ``(..., N)`` non-negative energy spectrum (or ``(..., H, W)`` with radial freqs).
        freqs: ``(N,)`` (or ``(H, W)``) frequencies of its bins, same order as ``spectrum``.
        energy: fraction in (0, 1].

    Returns:
        ``(...)`` tensor of bandwidths in the unit of ``freqs``.
    """
    energy = checks.real(energy, "energy", above=0.0, maximum=1.0, note=" (a fraction)")
    s, f, dims, total = _check_freqs(spectrum, freqs)
    a = f.abs().reshape(-1)
    radii, inverse = torch.unique(a, sorted=True, return_inverse=True)
    flat = s.reshape(*s.shape[: s.ndim - f.ndim], -1)
    per_radius = torch.zeros(*flat.shape[:-1], len(radii), dtype=s.dtype, device=s.device)
    per_radius.index_add_(-1, inverse, flat)
    cum = per_radius.cumsum(-1)
    target = (energy * total * (1 - 1e-12)).unsqueeze(-1)
    idx = (cum < target).sum(-1).clamp(max=len(radii) - 1)
    return radii[idx]
