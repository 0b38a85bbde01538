"""Frequency masks and frequency attribution: which frequencies a classifier listens to (chapter 9).

The bases (orthonormal, so energies and attributions add up across coefficients):

* :func:`dct_matrix`, :func:`dct2`, :func:`idct2` -- the orthonormal DCT-II, ``C[k, i] = a_k
  cos(pi (2 i + 1) k / (2 n))`` with ``a_0 = sqrt(1/n)``, ``a_k = sqrt(2/n)``: ``C C^T = I``;
  over the last two dims ``X = C_H x C_W^T`` and ``x = C_H^T X C_W`` (scipy's ``dctn(type=2,
  norm="ortho")``). Coefficient ``(u, v)`` is a cosine of ``u / (2 H)`` cycles/sample down the
  rows and ``v / (2 W)`` across the columns.
* :func:`band_index`, :func:`band_masks`, :func:`band_edges` -- the L-shaped DCT bands ``b(u, v)
  = max(u, v)`` (``max(H, W)`` of them), optionally grouped into ``n_bands`` contiguous groups of
  nearly equal width: group ``g`` holds the L-bands ``[floor(g L / n), floor((g + 1) L / n))``.
* :func:`lowpass_mask`, :func:`highpass_mask`, :func:`split_frequencies` -- the low/high split of
  Wang, Wu, Yin & Xing 2019 (HFC): ``low = F^-1(M F(x))``, ``high = F^-1((1 - M) F(x))``, so
  ``low + high = x``. The radius is in **cycles per sample** in both bases: Fourier bin ``(u, v)``
  (unshifted order, ``torch.fft.fftfreq``) is in the low band when ``sqrt(f_u^2 + f_v^2) <=
  radius``; DCT coefficient ``(u, v)`` when ``sqrt((u / 2H)^2 + (v / 2W)^2) <= radius``. The
  Fourier mask depends only on ``|f|``, so it is Hermitian (``M[u, v] = M[-u, -v]``) and both
  parts of a real image are real.
* :func:`fourier_basis`, :func:`mirror` -- the real unit-norm image of Fourier frequency ``(u,
  v)`` (Yin et al. 2019): the real part of ``ifft2`` of deltas at ``(u, v)`` and ``(-u, -v)``,
  normalised, i.e. ``cos(2 pi (u i / H + v j / W))`` scaled to unit norm (a constant at DC, an
  alternating sign at a Nyquist bin); ``fourier_basis(u, v) == fourier_basis(-u, -v)``.

What a network does with them (any ``nn.Module`` mapping ``(N, ..., H, W)`` to logits ``(N, K)``;
the module imports nothing from the network or training layers):

* :func:`band_occlusion` -- per image and band, the drop of the target's softmax probability when
  that band's DCT coefficients are set to ``fill`` (Wang et al., the frequency-based explanation).
* :func:`integrated_gradients` (Sundararajan et al. 2017) in pixels or in DCT coefficients, with
  its completeness gap; :func:`check_completeness`; :func:`band_attribution` (sums per band).
* :func:`fourier_heatmap` -- the Fourier heat map of Yin et al. 2019: the error rate under
  ``x + eps r U_{u, v}`` (``r = +-1`` at random per image and channel), clipped, per frequency.

Identities are asserted in float64 (``tests/test_frequency.py``); the transforms keep the
floating dtype they are given.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

from . import checks

__all__ = [
    "dct_matrix",
    "dct2",
    "idct2",
    "band_index",
    "band_edges",
    "band_masks",
    "lowpass_mask",
    "highpass_mask",
    "split_frequencies",
    "band_occlusion",
    "IntegratedGradients",
    "integrated_gradients",
    "check_completeness",
    "band_attribution",
    "fourier_basis",
    "mirror",
    "fourier_heatmap",
]

BASES = ("fourier", "dct")
IG_BASES = ("pixel", "dct")


# --------------------------------------------------------------------------------- the DCT
def dct_matrix(n: int, dtype: torch.dtype = torch.float64, device=None) -> torch.Tensor:
    """The orthonormal DCT-II matrix ``C`` (``n x n``): ``C[k, i] = a_k cos(pi (2 i + 1) k /
    (2 n))``, ``a_0 = sqrt(1 / n)``, ``a_k = sqrt(2 / n)`` for ``k >= 1``; ``C C^T = C^T C = I``.
    Row ``k`` is the cosine of ``k / (2 n)`` cycles/sample. Built in float64, then cast."""
    n = checks.integer(n, "n", 1)
    dtype = checks.floating_dtype(dtype)
    k = torch.arange(n, dtype=torch.float64)[:, None]
    i = torch.arange(n, dtype=torch.float64)[None, :]
    c = torch.cos(math.pi * (2 * i + 1) * k / (2 * n)) * math.sqrt(2.0 / n)
    c[0] = math.sqrt(1.0 / n)
    return c.to(dtype=dtype, device=device)


def _image(x, name: str = "x") -> torch.Tensor:
    return checks.tensor(x, name, allow_complex=False, min_ndim=2)


def dct2(x) -> torch.Tensor:
    """2-D orthonormal DCT-II over the last two dims (any leading dims, any ``H x W``): ``X = C_H
    x C_W^T``. Energy is kept, ``sum X^2 = sum x^2`` (Parseval), and :func:`idct2` inverts it."""
    x = _image(x)
    ch = dct_matrix(x.shape[-2], x.dtype, x.device)
    cw = dct_matrix(x.shape[-1], x.dtype, x.device)
    return ch @ x @ cw.T


def idct2(X) -> torch.Tensor:
    """Inverse of :func:`dct2`: ``x = C_H^T X C_W`` over the last two dims."""
    X = _image(X, "X")
    ch = dct_matrix(X.shape[-2], X.dtype, X.device)
    cw = dct_matrix(X.shape[-1], X.dtype, X.device)
    return ch.T @ X @ cw


# ------------------------------------------------------------------------------- DCT bands
def _size(h, w) -> tuple[int, int]:
    return checks.integer(h, "h", 1), checks.integer(w, "w", 1)


def band_index(h: int, w: int) -> torch.Tensor:
    """``(h, w)`` int64 tensor of the L-shaped band ``max(u, v)`` of each DCT coefficient (``u``
    the row, ``v`` the column frequency index); values ``0 .. max(h, w) - 1``."""
    h, w = _size(h, w)
    u = torch.arange(h)[:, None]
    v = torch.arange(w)[None, :]
    return torch.maximum(u, v)


def _n_bands(h: int, w: int, n_bands) -> int:
    top = max(h, w)
    if n_bands is None:
        return top
    return checks.integer(n_bands, "n_bands", 1, top, note=f" (max(h, w) L-bands of {h}x{w})")


def band_edges(h: int, w: int, n_bands: int | None = None) -> torch.Tensor:
    """``(n_bands + 1,)`` int64 edges of the grouped bands: group ``g`` holds the L-bands ``edges[g]
    <= max(u, v) < edges[g + 1]``, ``edges[g] = floor(g L / n_bands)`` for ``L = max(h, w)``, so
    the widths differ by at most one. ``n_bands=None``: every L-band its own group."""
    h, w = _size(h, w)
    n = _n_bands(h, w, n_bands)
    top = max(h, w)
    return torch.tensor([(g * top) // n for g in range(n + 1)], dtype=torch.int64)


def band_masks(h: int, w: int, n_bands: int | None = None) -> torch.Tensor:
    """Boolean ``(n_bands, h, w)`` masks of the grouped L-bands (:func:`band_edges`): every DCT
    coefficient lies in exactly one band, and each band is non-empty."""
    edges = band_edges(h, w, n_bands)
    b = band_index(h, w)
    return (b >= edges[:-1, None, None]) & (b < edges[1:, None, None])


# ------------------------------------------------------------------------- low / high split
def _radial(h: int, w: int, basis: str) -> torch.Tensor:
    """Radial frequency (cycles/sample, float64) of each coefficient of the basis."""
    if basis == "fourier":
        fu = torch.fft.fftfreq(h, dtype=torch.float64)[:, None]
        fv = torch.fft.fftfreq(w, dtype=torch.float64)[None, :]
    else:
        fu = torch.arange(h, dtype=torch.float64)[:, None] / (2 * h)
        fv = torch.arange(w, dtype=torch.float64)[None, :] / (2 * w)
    return torch.sqrt(fu.square() + fv.square())


def lowpass_mask(h: int, w: int, radius: float, basis: str = "fourier") -> torch.Tensor:
    """Boolean ``(h, w)`` mask of the coefficients whose radial frequency is ``<= radius``
    (cycles/sample). ``basis="fourier"``: the DFT bins in unshifted order (``fftfreq``),
    ``sqrt(f_u^2 + f_v^2)``, Hermitian by construction; ``basis="dct"``: coefficient ``(u, v)`` at
    ``sqrt((u / 2h)^2 + (v / 2w)^2)``. Radius 0 keeps only DC."""
    h, w = _size(h, w)
    radius = checks.real(radius, "radius", minimum=0.0, note=" cycles/sample")
    basis = checks.choice(basis, "basis", BASES)
    return _radial(h, w, basis) <= radius


def highpass_mask(h: int, w: int, radius: float, basis: str = "fourier") -> torch.Tensor:
    """The complement of :func:`lowpass_mask`: radial frequency ``> radius``."""
    return ~lowpass_mask(h, w, radius, basis)


def split_frequencies(
    x, radius: float, basis: str = "fourier"
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(low, high)`` over the last two dims of ``x``, the split of Wang et al. 2019 (HFC):
    ``low = Re F^-1(M F(x))`` and ``high = Re F^-1((1 - M) F(x))`` with ``M`` the
    :func:`lowpass_mask`; both are computed from the spectrum, and ``low + high = x`` to rounding
    (the masks are complementary and ``F`` is linear). For ``basis="fourier"`` the mask is
    Hermitian, so the imaginary parts dropped are rounding only."""
    x = _image(x)
    basis = checks.choice(basis, "basis", BASES)
    mask = lowpass_mask(x.shape[-2], x.shape[-1], radius, basis).to(x.device)
    if basis == "fourier":
        spec = torch.fft.fft2(x)
        low = torch.fft.ifft2(spec * mask).real
        high = torch.fft.ifft2(spec * ~mask).real
    else:
        spec = dct2(x)
        low = idct2(spec * mask)
        high = idct2(spec * ~mask)
    return low.to(x.dtype), high.to(x.dtype)


# --------------------------------------------------------------------------- model plumbing
def _model(model) -> nn.Module:
    return checks.instance(model, "model", nn.Module, "a torch.nn.Module")


def _placement(model: nn.Module, x: torch.Tensor) -> tuple[torch.device, torch.dtype]:
    """Device and floating dtype of the model's first parameter (``x``'s for a parameter-free
    model): the inputs are moved there."""
    p = next((p for p in model.parameters() if p.is_floating_point()), None)
    return (x.device, x.dtype) if p is None else (p.device, p.dtype)


def _batch(x, name: str = "x") -> torch.Tensor:
    x = checks.tensor(x, name, allow_complex=False, min_ndim=3)
    if x.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one image (dim 0), got shape {tuple(x.shape)}")
    return x


def _logits(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    out = model(x)
    if not isinstance(out, torch.Tensor) or out.ndim != 2 or out.shape[0] != x.shape[0]:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(
            f"model must map a batch of {x.shape[0]} images to logits (N, classes), got {shape}"
        )
    return out


def _targets(target, n: int, n_classes: int, name: str = "target") -> torch.Tensor:
    """``(n,)`` int64 class indices from an int (one class for all) or a tensor of ``n``."""
    if isinstance(target, torch.Tensor):
        if target.is_floating_point() or target.is_complex() or target.dtype == torch.bool:
            raise TypeError(f"{name} must hold integer class indices, got dtype {target.dtype}")
        t = target.reshape(-1).to(torch.int64).cpu()
        if t.numel() == 1:
            t = t.expand(n)
        if t.numel() != n:
            raise ValueError(f"{name} must give one class per image ({n}), got {t.numel()}")
    else:
        t = torch.full((n,), checks.integer(target, name, 0), dtype=torch.int64)
    if bool(((t < 0) | (t >= n_classes)).any()):
        raise ValueError(f"{name} must be class indices in [0, {n_classes - 1}], got {t.tolist()}")
    return t


class _Eval:
    """Eval mode inside the ``with``, the model's mode restored on leaving."""

    def __init__(self, model: nn.Module):
        self.model, self.was_training = model, model.training

    def __enter__(self):
        self.model.eval()
        return self.model

    def __exit__(self, *exc):
        self.model.train(self.was_training)
        return False


@torch.no_grad()
def _predict(model, x, batch_size, device, dtype) -> torch.Tensor:
    """Logits of ``x`` (float64, on the CPU), ``batch_size`` images at a time."""
    return torch.cat(
        [
            _logits(model, xb.to(device=device, dtype=dtype)).double().cpu()
            for xb in x.split(batch_size)
        ]
    )


# ---------------------------------------------------------------------------- band occlusion
def band_occlusion(
    model,
    x,
    target=None,
    n_bands: int | None = None,
    fill: float = 0.0,
    batch_size: int = 256,
) -> torch.Tensor:
    """Drop of the target's softmax probability when a DCT band is occluded: ``(N, n_bands)``.

    For band ``b`` (:func:`band_masks` of ``x``'s last two dims) every image's DCT coefficients in
    the band (every channel) are set to ``fill`` (0: the band removed), the image is inverted
    (:func:`idct2`) and ``drop[n, b] = p(t_n | x_n) - p(t_n | occluded x_n)``. ``target``: the
    class of each image (an int or ``N`` indices; ``None``: the model's prediction on the clean
    image). The model runs in eval mode without gradients (its mode is restored), ``batch_size``
    images at a time on its own device; the drops are float64 on the CPU.
    """
    model = _model(model)
    x = _batch(x)
    fill = checks.real(fill, "fill")
    batch_size = checks.integer(batch_size, "batch_size", 1)
    h, w = x.shape[-2:]
    masks = band_masks(h, w, n_bands)
    device, dtype = _placement(model, x)
    with _Eval(model):
        clean = _predict(model, x, batch_size, device, dtype)
        t = clean.argmax(1) if target is None else _targets(target, len(x), clean.shape[1])
        rows = torch.arange(len(x))
        p_clean = clean.softmax(1)[rows, t]
        spec = dct2(x.to(torch.float64))
        drops = torch.empty(len(x), len(masks), dtype=torch.float64)
        for b, mask in enumerate(masks):
            occluded = idct2(torch.where(mask.to(spec.device), fill, spec))
            p = _predict(model, occluded, batch_size, device, dtype).softmax(1)[rows, t]
            drops[:, b] = p_clean - p
    return drops


# ----------------------------------------------------------------------- integrated gradients
class IntegratedGradients(NamedTuple):
    """What :func:`integrated_gradients` returns.

    ``attributions``: ``x``'s shape (DCT coefficients for ``basis="dct"``), float64 on the CPU;
    ``gap``: ``(N,)`` completeness gap ``sum attributions - (F(x) - F(baseline))``;
    ``delta``: ``(N,)`` ``F(x) - F(baseline)`` for the target logit ``F``; ``target``: ``(N,)``.
    """

    attributions: torch.Tensor
    gap: torch.Tensor
    delta: torch.Tensor
    target: torch.Tensor


def _baseline(baseline, x: torch.Tensor) -> torch.Tensor:
    if baseline is None:
        return torch.zeros_like(x)
    b = checks.tensor(baseline, "baseline", allow_complex=False)
    try:
        return torch.broadcast_to(b.to(x.dtype), x.shape).clone()
    except RuntimeError:
        raise ValueError(
            f"baseline must broadcast to x's shape {tuple(x.shape)}, got {tuple(b.shape)}"
        ) from None


def _target_logit(model, x, t, batch_size, device, dtype) -> torch.Tensor:
    logits = _predict(model, x, batch_size, device, dtype)
    return logits[torch.arange(len(x)), t]


def integrated_gradients(
    model,
    x,
    target=None,
    baseline=None,
    steps: int = 32,
    basis: str = "dct",
    batch_size: int = 256,
) -> IntegratedGradients:
    """Integrated gradients (Sundararajan et al. 2017) of the target logit ``F``, by the midpoint
    rule on the straight path from the baseline to ``x``.

    ``IG_i = (z_i - z'_i) (1 / m) sum_{k=0}^{m-1} dF/dz_i (z' + a_k (z - z'))``, ``a_k = (k +
    1/2) / m`` with ``m = steps``, where ``z`` is the pixel image (``basis="pixel"``) or its DCT
    coefficients (``basis="dct"``: the model sees ``idct2`` of each path point, and ``dF/dz`` is
    taken through it). ``baseline`` is an image (pixel domain, broadcast to ``x``; default zeros,
    which are zero coefficients too); for ``basis="dct"`` the path runs from ``dct2(baseline)``,
    the same images as the pixel path since the DCT is linear, so both bases give the same total.
    Completeness: ``sum_i IG_i = F(x) - F(baseline)`` exactly for a model linear in its input (any
    ``steps``); for a ReLU network the midpoint rule converges as ``steps`` grows. ``target``: an
    int or ``N`` indices (``None``: the predicted class). The model runs in eval mode (restored).
    """
    model = _model(model)
    x = _batch(x)
    steps = checks.integer(steps, "steps", 1)
    basis = checks.choice(basis, "basis", IG_BASES)
    batch_size = checks.integer(batch_size, "batch_size", 1)
    base = _baseline(baseline, x)
    device, dtype = _placement(model, x)
    n = len(x)
    rows = torch.arange(n)
    to_model = idct2 if basis == "dct" else _identity
    with _Eval(model):
        fx_all = _predict(model, x, batch_size, device, dtype)
        t = fx_all.argmax(1) if target is None else _targets(target, n, fx_all.shape[1])
        fx = fx_all[rows, t]
        fb = _target_logit(model, base, t, batch_size, device, dtype)
        z = (dct2(x) if basis == "dct" else x).to(device=device, dtype=dtype)
        zb = (dct2(base) if basis == "dct" else base).to(device=device, dtype=dtype)
        grads = torch.zeros_like(z)
        for k in range(steps):
            alpha = (k + 0.5) / steps
            for sl in _slices(n, batch_size):
                point = (zb[sl] + alpha * (z[sl] - zb[sl])).detach().requires_grad_(True)
                with torch.enable_grad():
                    out = _logits(model, to_model(point))
                    picked = out[torch.arange(len(point)), t[sl].to(out.device)]
                    (g,) = torch.autograd.grad(picked.sum(), point)
                grads[sl] += g.detach()
    attr = ((z - zb) * grads / steps).double().cpu()
    gap = attr.reshape(n, -1).sum(1) - (fx - fb)
    return IntegratedGradients(attr, gap, fx - fb, t)


def _identity(z: torch.Tensor) -> torch.Tensor:
    return z


def _slices(n: int, size: int):
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


def check_completeness(attributions, model, x, target, baseline=None, batch_size: int = 256):
    """``(N,)`` completeness gap ``sum attributions[n] - (F(x_n) - F(baseline_n))`` of given
    attributions (any basis: the sum is over every non-batch entry) for the target logit ``F``;
    ``target`` an int or ``N`` indices, ``baseline`` an image (default zeros)."""
    model = _model(model)
    x = _batch(x)
    attr = checks.tensor(attributions, "attributions", allow_complex=False, min_ndim=1)
    if attr.shape[0] != x.shape[0]:
        raise ValueError(
            f"attributions must have one row per image ({x.shape[0]}), got {attr.shape[0]}"
        )
    batch_size = checks.integer(batch_size, "batch_size", 1)
    base = _baseline(baseline, x)
    device, dtype = _placement(model, x)
    with _Eval(model):
        fx_all = _predict(model, x, batch_size, device, dtype)
        t = _targets(target, len(x), fx_all.shape[1])
        fx = fx_all[torch.arange(len(x)), t]
        fb = _target_logit(model, base, t, batch_size, device, dtype)
    return attr.double().cpu().reshape(len(x), -1).sum(1) - (fx - fb)


def band_attribution(attributions, n_bands: int | None = None) -> torch.Tensor:
    """``(N, n_bands)`` sums of DCT-domain attributions ``(N, ..., H, W)`` over each band of
    :func:`band_masks` (and over every channel): the bands partition the coefficients, so each
    row sums to the image's total attribution."""
    attr = checks.tensor(attributions, "attributions", allow_complex=False, min_ndim=3)
    masks = band_masks(attr.shape[-2], attr.shape[-1], n_bands).to(attr.device, attr.dtype)
    flat = attr.reshape(attr.shape[0], -1, *attr.shape[-2:]).sum(1)
    return torch.einsum("nhw,bhw->nb", flat, masks)


# --------------------------------------------------------------------- the Fourier heat map
def _freq(u, v, h: int, w: int) -> tuple[int, int]:
    u = checks.integer(u, "u", None) % h
    v = checks.integer(v, "v", None) % w
    return u, v


def fourier_basis(h: int, w: int, u: int, v: int, dtype: torch.dtype = torch.float64):
    """The real unit-norm ``(h, w)`` image of Fourier frequency ``(u, v)`` (unshifted indices; any
    int, taken modulo ``h``, ``w``): ``Re ifft2(delta_{u,v} + delta_{-u,-v})`` normalised to unit
    L2 norm (Yin et al. 2019), i.e. ``cos(2 pi (u i / h + v j / w)) sqrt(2 / (h w))`` when ``(u,
    v) != (-u, -v)`` and ``cos(...) / sqrt(h w)`` (a constant at DC, +-1 at a Nyquist bin) when
    it is its own mirror. ``fourier_basis(u, v) == fourier_basis(-u, -v)``, and the images of two
    distinct mirror pairs are orthogonal."""
    h, w = _size(h, w)
    u, v = _freq(u, v, h, w)
    dtype = checks.floating_dtype(dtype)
    spec = torch.zeros(h, w, dtype=torch.complex128)
    spec[u, v] += 1
    spec[(-u) % h, (-v) % w] += 1
    img = torch.fft.ifft2(spec).real
    return (img / torch.linalg.vector_norm(img)).to(dtype)


def mirror(grid) -> torch.Tensor:
    """``G[(-u) mod h, (-v) mod w]`` over the last two dims (unshifted order; any dtype, masks
    too): a map on the DFT grid is Hermitian-symmetric exactly when ``mirror(G) == G``."""
    g = checks.instance(grid, "grid", torch.Tensor, "a tensor (a map or a mask on the DFT grid)")
    if g.ndim < 2:
        raise ValueError(f"grid must have at least 2 dimensions, got shape {tuple(g.shape)}")
    return torch.roll(torch.flip(g, dims=(-2, -1)), shifts=(1, 1), dims=(-2, -1))


def _half_plane(h: int, w: int, freqs) -> list[tuple[int, int]]:
    """One representative ``(u, v)`` per mirror pair, in the order given (all pairs, row-major,
    when ``freqs`` is ``None``), duplicates dropped."""
    if freqs is None:
        pairs = [(u, v) for u in range(h) for v in range(w)]
    else:
        checks.sequence(freqs, "freqs", "a list of (u, v) int pairs", nonempty=True)
        pairs = []
        for i, f in enumerate(freqs):
            checks.sequence(f, f"freqs[{i}]", "a (u, v) pair of ints", length=2)
            pairs.append(_freq(f[0], f[1], h, w))
    seen, out = set(), []
    for u, v in pairs:
        key = min((u, v), ((-u) % h, (-v) % w))
        if key not in seen:
            seen.add(key)
            out.append(key)
    return out


def fourier_heatmap(
    model,
    x,
    y,
    eps: float,
    freqs=None,
    generator: torch.Generator | None = None,
    clip=(0.0, 1.0),
    batch_size: int = 256,
) -> torch.Tensor:
    """The Fourier heat map of Yin et al. 2019: ``(h, w)`` float64 error rates, unshifted order.

    For each frequency ``(u, v)`` the model classifies ``clip(x_n + eps r_n U_{u,v})`` where
    ``U_{u,v}`` is :func:`fourier_basis` and ``r_n = +-1`` is drawn at random (``generator``) for
    every image and channel (every index of ``x`` but the last two); the entry is the fraction
    misclassified (arg-max of the logits ``!= y``). ``U_{u,v} = U_{-u,-v}``, so each mirror pair
    is evaluated once (at the representative ``min((u, v), (-u, -v))``, the signs drawn up front
    in that order) and written to both bins: the map is Hermitian-symmetric exactly (``mirror(H)
    == H``). ``freqs``: a list of ``(u, v)`` to evaluate (with their mirrors), NaN elsewhere;
    ``None``: the whole grid. ``clip=None``: no clipping. Eval mode, no gradients; each forward
    pass holds ``batch_size`` images (several frequencies at once when ``N < batch_size``).
    Cost: about ``N h w / 2`` forward images for the whole grid (a tiny CNN on 50 MNIST images,
    394 frequency pairs: a few seconds on two cores).
    """
    model = _model(model)
    x = _batch(x)
    h, w = x.shape[-2:]
    labels = checks.instance(y, "y", torch.Tensor, "a tensor of class indices")
    if labels.shape != (len(x),) or labels.is_floating_point() or labels.dtype == torch.bool:
        raise ValueError(
            f"y must be {len(x)} integer class indices (one per image), got "
            f"{labels.dtype} {tuple(labels.shape)}"
        )
    eps = checks.real(eps, "eps", minimum=0.0)
    checks.instance(generator, "generator", torch.Generator, "a torch.Generator", optional=True)
    bounds = checks.value_range(clip)
    batch_size = checks.integer(batch_size, "batch_size", 1)
    todo = _half_plane(h, w, freqs)
    labels = labels.to(torch.int64).cpu()
    device, dtype = _placement(model, x)
    signs = torch.randint(0, 2, (len(todo), *x.shape[:-2]), generator=generator) * 2.0 - 1.0
    signs = signs.to(x.dtype).reshape(len(todo), *x.shape[:-2], 1, 1)
    heat = torch.full((h, w), float("nan"), dtype=torch.float64)
    per = max(1, batch_size // len(x))  # frequencies per forward pass
    with _Eval(model):
        for start in range(0, len(todo), per):
            group = todo[start : start + per]
            bases = torch.stack([fourier_basis(h, w, u, v, x.dtype) for u, v in group])
            bases = bases.reshape(len(group), *([1] * (x.ndim - 2)), h, w).to(x.device)
            noisy = x + eps * signs[start : start + len(group)].to(x.device) * bases
            if bounds is not None:
                noisy = noisy.clamp(*bounds)
            pred = _predict(model, noisy.flatten(0, 1), batch_size, device, dtype).argmax(1)
            wrong = (pred.reshape(len(group), len(x)) != labels).double().mean(1)
            for (u, v), rate in zip(group, wrong.tolist()):
                heat[u, v] = rate
                heat[(-u) % h, (-v) % w] = rate
    return heat
