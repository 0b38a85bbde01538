"""Alpha-stable noise, image SNR, concentrated noise and the bit error rate of a BPSK link.

The ``noise`` module of the book (chapter 8), after the seed paper "What's the relationship between
CNNs and communication systems?" (``commnoise``), which adds symmetric alpha-stable (SaS) noise to
images and to a communication channel and compares accuracy-vs-SNR with BER-vs-SNR curves.

* :func:`sas` -- SaS samples by the Chambers-Mallows-Stuck method (Chambers, Mallows & Stuck 1976,
  eq 2.3 with beta = 0). Parametrisation: characteristic function ``exp(-|c t|^alpha)`` with scale
  ``c``, i.e. ``scipy.stats.levy_stable(alpha, 0, scale=c)`` in scipy's default S1 parametrisation
  (for beta = 0 the S0 and S1 parametrisations coincide). Facts used by the book: alpha = 2 is
  Gaussian with variance ``2 c^2``; alpha = 1 is Cauchy with scale ``c``; the variance is infinite
  for every alpha < 2 and the mean does not exist for alpha <= 1.
* :func:`image_snr_db` -- the seed's eq 1 (lost in the extraction; our reconstruction):
  ``SNR = 10 log10( sum P_ori^2 / sum (P_attacked - P_ori)^2 )`` summed over the W x L pixels
  (and the colour channels) of one image.
* :func:`add_noise_at_snr` -- noise added, clipped to [0, 1] and quantised to 8 bits (what the
  network sees), with the per-image noise scale found by false position (Illinois variant, with a
  bisection fallback) on a fixed noise draw so that the image SNR of the *clipped, quantised*
  image hits a target.
* :func:`saturated_fraction`, :func:`shape_mask`, :func:`concentrated_noise` -- salt-and-pepper
  diagnostics and the seed's "concentrated" noise (squares, triangles, rhombi; its fig 4).
* BPSK over additive SaS noise: :func:`geometric_power`, :func:`gsnr_db` and :func:`scale_for_gsnr`
  (the geometric SNR of Tsihrintzis & Nikias 1995), :func:`ber_montecarlo` (with Clopper-Pearson
  bands), and the closed forms :func:`ber_gaussian` ``= Q(sqrt(2 Eb/N0))`` and :func:`ber_cauchy`
  ``= 1/2 - arctan(A / gamma) / pi``.

All functions take and return torch tensors; randomness comes only from the ``generator`` argument
(or torch's global generator when it is ``None``), so a seeded generator gives the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from . import checks

__all__ = [
    "EULER_GAMMA",
    "C_G",
    "sas",
    "tail_constant",
    "image_snr_db",
    "quantize",
    "NoisyImages",
    "add_noise_at_snr",
    "saturated_fraction",
    "saturated_energy_share",
    "median_filter",
    "SHAPES",
    "shape_mask",
    "concentrated_noise",
    "geometric_power",
    "gsnr_db",
    "scale_for_gsnr",
    "q_function",
    "ber_gaussian",
    "ber_cauchy",
    "clopper_pearson",
    "BERCurve",
    "ber_montecarlo",
    "RECEIVERS",
]

EULER_GAMMA = 0.5772156649015329
#: ``C_g = exp(Euler's constant)``, the constant of the geometric power (Tsihrintzis & Nikias 1995).
C_G = math.exp(EULER_GAMMA)


# ------------------------------------------------------------------------------------------ checks
def _check_alpha(alpha) -> float:
    """The stability index of a SaS law: a real number in (0, 2]."""
    return checks.real(alpha, "alpha", above=0.0, maximum=2.0, note=" (stability index)")


def _odd_size(size, what: str, type_error: type[Exception] = TypeError) -> int:
    """A window side: an odd positive int."""
    size = checks.integer(size, "size", note=f" (odd: {what})", type_error=type_error)
    if size % 2 == 0:
        raise ValueError(f"size must be an odd positive int ({what}), got {size}")
    return size


def _tensor(x, name: str, min_ndim: int = 0) -> torch.Tensor:
    """A real tensor as given (dtype kept; NaN and inf allowed: heavy-tailed draws hold them)."""
    return checks.tensor(
        x, name, allow_complex=False, min_ndim=min_ndim, check_finite=False, promote=False
    )


# ---------------------------------------------------------------------------------- alpha-stable
def sas(
    shape,
    alpha: float,
    scale: float = 1.0,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float64,
    device=None,
) -> torch.Tensor:
    """Symmetric alpha-stable samples by Chambers-Mallows-Stuck (Chambers, Mallows & Stuck 1976).

    With ``V ~ U(-pi/2, pi/2)`` and ``W ~ Exp(1)`` independent (CMS eq 2.3, beta = 0):

    * alpha != 1:
      ``X = sin(alpha V) / cos(V)^(1/alpha) * (cos((1 - alpha) V) / W)^((1 - alpha)/alpha)``;
    * alpha = 1: ``X = tan(V)`` (standard Cauchy);

    and the result is ``scale * X``. Its characteristic function is ``exp(-|scale t|^alpha)``, the
    parametrisation of ``scipy.stats.levy_stable(alpha, beta=0, scale=scale)`` (scipy's default S1,
    equal to S0 when beta = 0). alpha = 2 gives ``2 sin(V) sqrt(W)``, a Gaussian of variance
    ``2 scale^2``; alpha = 1 the Cauchy law with scale ``scale``; for alpha < 2 the variance is
    infinite (tails ``P(|X| > x) ~ C x^-alpha``).

    Args:
        shape: output shape (int or tuple of ints).
        alpha: stability index in (0, 2].
        scale: the scale ``c > 0`` (dispersion ``gamma = c^alpha``).
        generator: a seeded ``torch.Generator`` for reproducible draws (``None``: torch's global
            one).
        dtype: floating dtype of the result; samples are computed in float64 first (alpha = 0.5
            produces values beyond float32's range now and then; those become +-inf in float32).
        device: torch device of the result.
    """
    shape = checks.int_tuple(shape, "shape", None, 0)
    alpha = _check_alpha(alpha)
    scale = checks.positive(scale, "scale")
    checks.instance(generator, "generator", torch.Generator, "a torch.Generator", optional=True)
    checks.floating_dtype(dtype)
    f64 = torch.float64
    u = torch.rand(shape, generator=generator, dtype=f64)
    v = math.pi * (u - 0.5)  # U[-pi/2, pi/2)
    tiny = torch.finfo(f64).tiny
    if alpha == 1.0:
        x = torch.tan(v)
    else:
        w = -torch.log1p(-torch.rand(shape, generator=generator, dtype=f64))  # Exp(1), in [0, inf)
        w = w.clamp_min(tiny)
        cos_v = torch.cos(v).clamp_min(tiny)
        x = (
            torch.sin(alpha * v)
            / cos_v.pow(1.0 / alpha)
            * (torch.cos((1.0 - alpha) * v) / w).pow((1.0 - alpha) / alpha)
        )
    x = scale * x
    return x.to(dtype=dtype, device=device)


# --------------------------------------------------------------------------------------- image SNR
def tail_constant(alpha: float) -> float:
    """The tail constant ``C_alpha = Gamma(alpha) sin(pi alpha / 2) / pi`` of SaS noise.

    For ``0 < alpha < 2`` and scale ``c``, ``P(X > x) ~ C_alpha (c / x)^alpha`` as ``x -> inf``, so
    ``P(|X| > x) ~ 2 C_alpha (c / x)^alpha`` (Samorodnitsky & Taqqu 1994, property 1.2.15, whose
    ``C_alpha = (1 - alpha) / (Gamma(2 - alpha) cos(pi alpha / 2))`` is twice this one, by the
    reflection formula); the first correction is smaller by a factor of order ``(c / x)^alpha``.
    Cauchy (alpha = 1): ``1 / pi``, from ``1/2 - arctan(x)/pi ~ 1/(pi x)``. At alpha = 2 the value
    (0) says that the Gaussian has no power-law tail.
    """
    alpha = _check_alpha(alpha)
    return math.gamma(alpha) * math.sin(math.pi * alpha / 2.0) / math.pi


def image_snr_db(clean, noisy) -> torch.Tensor:
    """Image SNR in dB, our reconstruction of eq 1 of the seed paper (lost in its text extraction).

    ``SNR = 10 log10( sum_{i,j} P_ori(i, j)^2 / sum_{i,j} (P_attacked(i, j) - P_ori(i, j))^2 )``,
    the sums running over the W x L pixels of one image (and its colour channels): the energy of the
    original image over the energy of the change. Images ``(C, H, W)`` give a scalar, batches
    ``(B, C, H, W)`` (or any ``(..., C, H, W)``) one value per image; ``(H, W)`` is one grey image.
    An unchanged image has SNR ``+inf``. Pixel values in any common unit (the ratio is scale-free).
    """
    clean = _tensor(clean, "clean", 2)
    noisy = _tensor(noisy, "noisy", 2)
    if clean.shape != noisy.shape:
        raise ValueError(
            f"noisy must have the shape of clean {tuple(clean.shape)}, got {tuple(noisy.shape)}"
        )
    dims = (-3, -2, -1) if clean.ndim >= 3 else (-2, -1)
    c = clean.double()
    signal = c.square().sum(dims)
    noise = (noisy.double() - c).square().sum(dims)
    return 10.0 * torch.log10(signal / noise)


def quantize(images, levels: int = 255) -> torch.Tensor:
    """Clip to [0, 1] and round to the grid ``k / levels`` (``levels = 255``: an 8-bit image)."""
    images = _tensor(images, "images")
    levels = checks.integer(levels, "levels", note=" (255 for 8-bit images)", type_error=ValueError)
    return torch.round(images.clamp(0.0, 1.0) * levels) / levels


@dataclass
class NoisyImages:
    """What :func:`add_noise_at_snr` returns.

    ``images``: the noisy images, clipped and quantised (same shape and dtype as the input);
    ``scale``: the per-image noise scale found by false position ``(B,)``; ``snr_db``: the SNR
    achieved, measured by :func:`image_snr_db` on the returned images ``(B,)``; ``target_db``: the
    target ``(B,)``; ``reached``: ``|snr_db - target_db| <= tol_db`` ``(B,)`` (False where the
    target lies below the lowest SNR the clipped noise can produce, or a quantisation step jumps
    over it).
    """

    images: torch.Tensor
    scale: torch.Tensor
    snr_db: torch.Tensor
    target_db: torch.Tensor
    reached: torch.Tensor

    @property
    def error_db(self) -> torch.Tensor:
        return self.snr_db - self.target_db


def _apply(x: torch.Tensor, z: torch.Tensor, s: torch.Tensor, levels: int | None) -> torch.Tensor:
    y = (x + s.view(-1, *([1] * (x.ndim - 1))) * z).clamp_(0.0, 1.0)
    if levels is not None:
        y = torch.round(y * levels).div_(levels)
    return y


def add_noise_at_snr(
    images,
    snr_db,
    alpha: float | None = None,
    noise=None,
    generator: torch.Generator | None = None,
    levels: int | None = 255,
    tol_db: float = 0.05,
    max_iter: int = 60,
) -> NoisyImages:
    """Add SaS (or given) noise to each image at a target image SNR, after clipping and quantising.

    The network sees ``y(s) = Q(clip(x + s z, 0, 1))`` where ``x`` is the clean image in [0, 1],
    ``z`` a fixed noise draw (``sas(images.shape, alpha, 1)`` or the ``noise`` tensor), ``s`` the
    noise scale and ``Q`` rounding to 8 bits (``levels=None``: no quantisation). For a fixed draw
    and clean pixels on the 8-bit grid, ``|y(s) - x|`` is non-decreasing in ``s`` pixel by pixel, so
    the SNR of :func:`image_snr_db` is non-increasing in ``s`` and false position on ``log s``
    (Illinois variant: the retained end's value is halved when the same end is kept twice; a step
    too close to an end falls back to bisection) finds,
    per image, the scale at which it crosses ``snr_db``. The SNR is a step function of ``s``
    (quantisation); the returned scale is the end of the final bracket whose SNR is closer to the
    target, and the achieved SNR is reported. A target below the SNR of fully saturated noise
    (every pixel with ``z != 0`` driven to 0 or 1) cannot be reached: ``reached`` is False there.

    Args:
        images: ``(B, C, H, W)`` float tensor in [0, 1] (quantise it first for exact monotonicity).
        snr_db: target SNR in dB, a number or a ``(B,)`` tensor.
        alpha: stability index of the SaS draw (give ``alpha`` or ``noise``, not both).
        noise: a fixed noise draw of the images' shape (e.g. :func:`concentrated_noise`).
        generator: for the SaS draw.
        levels: quantisation levels (255) or ``None``.
        tol_db: the search stops once every image is within ``tol_db`` of its target.
        max_iter: most false-position (or bisection) steps on the bracket in ``log s``.
    """
    x = _tensor(images, "images", 4)
    if not x.is_floating_point():
        raise TypeError(f"images must be a floating tensor in [0, 1], got dtype {x.dtype}")
    if x.numel() and (float(x.min()) < 0.0 or float(x.max()) > 1.0):
        raise ValueError(
            f"images must lie in [0, 1], got values in [{float(x.min()):.3g}, {float(x.max()):.3g}]"
        )
    B = x.shape[0]
    if isinstance(snr_db, torch.Tensor):
        target = snr_db.to(torch.float64).reshape(-1)
        if target.numel() == 1:
            target = target.expand(B).clone()
        if target.numel() != B:
            raise ValueError(
                f"snr_db must be a number or a ({B},) tensor (one target per image), "
                f"got shape {tuple(snr_db.shape)}"
            )
        if not torch.isfinite(target).all():
            raise ValueError("snr_db must be finite (dB)")
    else:
        target = torch.full((B,), checks.real(snr_db, "snr_db"), dtype=torch.float64)
    if (alpha is None) == (noise is None):
        raise ValueError("give exactly one of alpha (draw SaS noise) and noise (a fixed draw)")
    if noise is None:
        alpha = _check_alpha(alpha)
        z = sas(x.shape, alpha, 1.0, generator=generator, dtype=torch.float64)
    else:
        z = _tensor(noise, "noise")
        if z.shape != x.shape:
            raise ValueError(
                f"noise must have the shape of images {tuple(x.shape)}, got {tuple(z.shape)}"
            )
    z = (
        torch.nan_to_num(z.to(torch.float64), nan=0.0)
        .clamp(-1e30, 1e30)
        .to(device=x.device, dtype=x.dtype)
    )
    target = target.to(x.device)
    if levels is not None:
        levels = checks.integer(levels, "levels", note=" or None", type_error=ValueError)
    tol_db = checks.positive(tol_db, "tol_db")
    max_iter = checks.integer(max_iter, "max_iter", type_error=ValueError)

    # Work with g(u) = log E(e^u) - log E*, u = log s, E the noise energy of the clipped, quantised
    # image and E* the energy of the target: g is non-decreasing and nearly linear (slope 2 while
    # few pixels saturate), so false position (Illinois variant) on a bracket converges in a few
    # steps; a step that lands too close to an end, or an end where E = 0, falls back to bisection.
    dims = tuple(range(1, x.ndim))
    signal = x.double().square().sum(dims)
    log_target = torch.log(signal) - target * (math.log(10.0) / 10.0)
    zabs = z.abs().flatten(1).double()
    lo = torch.log(1e-4 / zabs.amax(1).clamp_min(1e-300))  # s max|z| below half a level
    hi = torch.log(1e4 / zabs[:, :4096].median(1).values.clamp_min(1e-300))  # most pixels saturated
    hi = torch.maximum(hi, lo + 1.0)

    if levels is not None:
        # fast path in units of quantisation levels: L y = round(clip(L x + s L z, 0, L)), so the
        # change energy is sum (L y - L x)^2 / L^2, the same number as with _apply in fewer passes
        xl, zl = x * levels, z * levels

        def g(u):
            y = torch.addcmul(xl, u.exp().to(x.dtype).view(-1, *([1] * (x.ndim - 1))), zl)
            e = (
                y.clamp_(0.0, float(levels)).round_().sub_(xl).square_().sum(dims).double()
                / levels**2
            )
            return torch.log(e.clamp_min(1e-300)) - log_target, e > 0
    else:

        def g(u):
            y = _apply(x, z, u.exp().to(x.dtype), levels)
            e = (y - x).double().square().sum(dims)
            return torch.log(e.clamp_min(1e-300)) - log_target, e > 0

    g_lo, ok_lo = g(lo)
    g_hi, ok_hi = g(hi)
    side = torch.zeros_like(lo)  # Illinois: which end moved last
    tol = tol_db * math.log(10.0) / 10.0
    for _ in range(int(max_iter)):
        width = hi - lo
        fp = lo - g_lo * width / (g_hi - g_lo)
        usable = ok_lo & ok_hi & (g_hi > g_lo) & torch.isfinite(fp)
        fp = torch.where(usable, fp, lo + 0.5 * width)
        mid = fp.clamp(lo + 0.02 * width, hi - 0.02 * width)
        g_mid, ok_mid = g(mid)
        low_side = g_mid < 0  # too little noise: move lo up
        # Illinois: halve the retained end's value when the same end is kept twice in a row
        g_hi = torch.where(low_side & (side < 0), 0.5 * g_hi, g_hi)
        g_lo = torch.where(~low_side & (side > 0), 0.5 * g_lo, g_lo)
        lo, g_lo, ok_lo = (
            torch.where(low_side, mid, lo),
            torch.where(low_side, g_mid, g_lo),
            torch.where(low_side, ok_mid, ok_lo),
        )
        hi, g_hi, ok_hi = (
            torch.where(low_side, hi, mid),
            torch.where(low_side, g_hi, g_mid),
            torch.where(low_side, ok_hi, ok_mid),
        )
        side = torch.where(low_side, -torch.ones_like(side), torch.ones_like(side))
        if bool(((g_mid.abs() <= tol) | ((hi - lo) < 1e-9)).all()):
            break
    # g without the Illinois halving: |log E - log E*| is |SNR - target| in nepers/10 units
    pick_hi = g(hi)[0].abs() <= g(lo)[0].abs()
    logs = torch.where(pick_hi, hi, lo)
    scale = logs.exp()
    out = _apply(x, z, scale.to(x.dtype), levels)
    achieved = image_snr_db(x, out)
    return NoisyImages(out, scale, achieved, target, (achieved - target).abs() <= tol_db)


def saturated_fraction(images, low: float = 0.0, high: float = 1.0) -> torch.Tensor:
    """Fraction of the values of each image at or beyond ``low`` or ``high`` (``(B,)`` for a batch).

    For clipped noise this counts the "salt" (``>= high``) and "pepper" (``<= low``) pixels; the sum
    runs over the last three dims ``(C, H, W)`` (two for a grey ``(H, W)`` image).
    """
    x = _tensor(images, "images", 2)
    low, high = checks.real(low, "low"), checks.real(high, "high")
    if not low < high:
        raise ValueError(f"low must be smaller than high, got low={low}, high={high}")
    dims = (-3, -2, -1) if x.ndim >= 3 else (-2, -1)
    return ((x <= low) | (x >= high)).double().mean(dims)


def saturated_energy_share(clean, noisy, low: float = 0.0, high: float = 1.0) -> torch.Tensor:
    """Share of the noise energy ``sum (noisy - clean)^2`` carried by saturated pixels of ``noisy``.

    The "salt-and-pepper" measure of chapter 8: near 1 when the change is a few pixels driven to
    0 or 1 (impulsive noise after clipping), 0 for noise that never reaches the bounds. Per image
    (last three dims), ``nan`` for an unchanged image.
    """
    clean = _tensor(clean, "clean", 2)
    noisy = _tensor(noisy, "noisy", 2)
    if clean.shape != noisy.shape:
        raise ValueError(
            f"noisy must have the shape of clean {tuple(clean.shape)}, got {tuple(noisy.shape)}"
        )
    low, high = checks.real(low, "low"), checks.real(high, "high")
    dims = (-3, -2, -1) if clean.ndim >= 3 else (-2, -1)
    e = (noisy.double() - clean.double()).square()
    sat = (noisy <= low) | (noisy >= high)
    return (e * sat).sum(dims) / e.sum(dims)


def median_filter(images, size: int = 3) -> torch.Tensor:
    """``size x size`` median filter of each channel (edge-replicating padding): the image-side
    version of the classic impulsive-noise receiver (a median before the decision). ``(..., H, W)``
    in and out."""
    x = _tensor(images, "images", 2)
    size = _odd_size(size, "window side", type_error=ValueError)
    if size == 1:
        return x.clone()
    shape = x.shape
    flat = x.reshape(-1, 1, *shape[-2:])
    r = size // 2
    padded = torch.nn.functional.pad(flat, (r, r, r, r), mode="replicate")
    windows = padded.unfold(2, size, 1).unfold(3, size, 1)  # (n, 1, H, W, size, size)
    return windows.reshape(*windows.shape[:4], -1).median(-1).values.reshape(shape)


# ------------------------------------------------------------------------------ concentrated noise
SHAPES = ("square", "triangle", "rhombus")


def shape_mask(kind: str, size: int) -> torch.Tensor:
    """Binary ``(size, size)`` mask of a square, an isosceles triangle (apex up) or a rhombus.

    ``size`` is the odd side of the bounding box; ``size = 1`` is one pixel for every kind (the
    salt-and-pepper limit). Rhombus: ``|i - c| + |j - c| <= c``; triangle: row ``i`` covers
    ``|j - c| <= i c / (size - 1)``, with ``c = (size - 1) / 2``.
    """
    kind = checks.choice(kind, "kind", SHAPES)
    size = _odd_size(size, "side of the bounding box")
    c = (size - 1) / 2
    i = torch.arange(size, dtype=torch.float64)[:, None]
    j = torch.arange(size, dtype=torch.float64)[None, :]
    if kind == "square":
        m = torch.ones(size, size, dtype=torch.bool)
    elif kind == "rhombus":
        m = (i - c).abs() + (j - c).abs() <= c + 1e-9
    else:
        m = (j - c).abs() <= (i * c / max(size - 1, 1)) + 1e-9
    return m.double()


def concentrated_noise(
    noise, kind: str, size: int, generator: torch.Generator | None = None
) -> torch.Tensor:
    """The seed's concentrated noise (its fig 4): each noise point enlarged to a shape, thinned.

    Every point of ``noise`` ``(B, C, H, W)`` (e.g. an alpha = 0.9 SaS draw) is kept with
    probability ``1 / area`` of :func:`shape_mask` ``(kind, size)``, and each kept point is stamped
    as that shape with its own amplitude (a depthwise 2-D convolution with the mask, zero padding,
    centred). The expected number of noisy pixels stays about the same (up to overlaps) while the
    noise comes in blobs; :func:`add_noise_at_snr` with ``noise=`` then sets the scale for a target
    SNR, so the comparison is at equal SNR. ``size = 1`` returns ``noise`` unchanged.
    """
    z = _tensor(noise, "noise", 4)
    mask = shape_mask(kind, size)
    checks.instance(generator, "generator", torch.Generator, "a torch.Generator", optional=True)
    if size == 1:
        return z.clone()
    area = float(mask.sum())
    keep = (torch.rand(z.shape, generator=generator, dtype=torch.float64) < 1.0 / area).to(z.device)
    thin = torch.where(keep, z.double(), torch.zeros((), dtype=torch.float64))
    thin = torch.nan_to_num(thin, nan=0.0).clamp(-1e30, 1e30)
    C = z.shape[1]
    weight = (
        mask.flip(0, 1)[None, None].expand(C, 1, size, size).contiguous().to(z.device)
    )  # a true convolution
    out = torch.nn.functional.conv2d(thin, weight, padding=size // 2, groups=C)
    return out.to(z.dtype if z.is_floating_point() else torch.float64)


# ---------------------------------------------------------------------------- BPSK over SaS noise
def geometric_power(alpha: float, scale: float = 1.0) -> float:
    """Geometric power ``S0 = exp(E log|X|)`` of SaS noise (Tsihrintzis & Nikias 1995).

    For characteristic function ``exp(-gamma |t|^alpha)``, ``E log|X| = (1/alpha - 1) gamma_E +
    (1/alpha) log gamma``, so with ``gamma = scale^alpha``: ``S0 = C_g^(1/alpha - 1) * scale``.
    (Gaussian, alpha = 2, variance ``sigma^2 = 2 scale^2``: ``S0^2 = sigma^2 / (2 C_g)``.)
    """
    alpha = _check_alpha(alpha)
    scale = checks.positive(scale, "scale")
    return C_G ** (1.0 / alpha - 1.0) * scale


def gsnr_db(amplitude: float, alpha: float, scale: float) -> float:
    """Geometric SNR of antipodal amplitude ``A`` in SaS noise: ``10 log10( A^2 / (2 C_g S0^2) )``.

    The geometric power ``S0`` (:func:`geometric_power`) exists for every alpha, where the variance
    does not (Tsihrintzis & Nikias 1995). The factor ``2 C_g`` normalises it so that for Gaussian
    noise (alpha = 2) GSNR equals the ordinary ``A^2 / sigma^2 = 2 Eb/N0`` of BPSK.
    """
    amplitude = checks.positive(amplitude, "amplitude")
    s0 = geometric_power(alpha, scale)
    return 10.0 * math.log10(amplitude**2 / (2.0 * C_G * s0**2))


def scale_for_gsnr(snr_db, alpha: float, amplitude: float = 1.0) -> torch.Tensor:
    """The SaS ``scale`` at which :func:`gsnr_db` equals ``snr_db`` (inverse of it; tensor in,
    out)."""
    snr = _tensor(snr_db, "snr_db").double()
    if not torch.isfinite(snr).all():
        raise ValueError("snr_db must be finite (dB)")
    alpha = _check_alpha(alpha)
    amplitude = checks.positive(amplitude, "amplitude")
    s0 = amplitude / torch.sqrt(2.0 * C_G * 10.0 ** (snr / 10.0))
    return s0 / C_G ** (1.0 / alpha - 1.0)


def q_function(x) -> torch.Tensor:
    """Gaussian tail ``Q(x) = P(N(0,1) > x) = erfc(x / sqrt 2) / 2``."""
    x = _tensor(x, "x").double()
    return 0.5 * torch.erfc(x / math.sqrt(2.0))


def ber_gaussian(snr_db) -> torch.Tensor:
    """BPSK bit error rate in Gaussian noise, ``Q(sqrt(A^2/sigma^2)) = Q(sqrt(2 Eb/N0))`` (Proakis).

    ``snr_db`` is the GSNR of :func:`gsnr_db`, which for alpha = 2 is ``A^2 / sigma^2 = 2 Eb/N0``.
    """
    snr = _tensor(snr_db, "snr_db").double()
    return q_function(torch.sqrt(10.0 ** (snr / 10.0)))


def ber_cauchy(
    snr_db=None, amplitude: float | None = None, gamma: float | None = None
) -> torch.Tensor:
    """BPSK bit error rate in Cauchy noise: ``P(n < -A) = 1/2 - arctan(A / gamma) / pi``.

    A sign detector errs on bit +1 when ``A + n < 0``; the Cauchy CDF is
    ``1/2 + arctan(x/gamma)/pi``. Give either ``snr_db`` (the GSNR; for alpha = 1, ``S0 = gamma`` so
    ``A/gamma = sqrt(2 C_g GSNR)``) or ``amplitude`` and ``gamma`` (numbers or tensors).
    """
    if snr_db is not None:
        if amplitude is not None or gamma is not None:
            raise ValueError("give snr_db, or amplitude and gamma, not both")
        snr = _tensor(snr_db, "snr_db").double()
        ratio = torch.sqrt(2.0 * C_G * 10.0 ** (snr / 10.0))
    else:
        if amplitude is None or gamma is None:
            raise ValueError("give snr_db, or both amplitude and gamma")
        a = _tensor(amplitude, "amplitude").double()
        g = _tensor(gamma, "gamma").double()
        if (g <= 0).any():
            raise ValueError("gamma must be positive (Cauchy scale)")
        ratio = a / g
    return 0.5 - torch.atan(ratio) / math.pi


def clopper_pearson(errors, n, level: float = 0.95) -> tuple[torch.Tensor, torch.Tensor]:
    """Exact (Clopper-Pearson) two-sided binomial confidence interval for ``errors / n``."""
    from scipy.stats import beta

    k = _tensor(errors, "errors").double()
    n = _tensor(n, "n").double()
    level = checks.real(level, "level", above=0.0, below=1.0)
    if (k < 0).any() or (k > n).any() or (n < 1).any():
        raise ValueError("errors must lie in [0, n] and n must be >= 1")
    a = (1.0 - level) / 2.0
    kk, nn = k.numpy(), n.expand_as(k).numpy()
    lo = torch.as_tensor(beta.ppf(a, kk, nn - kk + 1)).nan_to_num(0.0)
    hi = torch.as_tensor(beta.ppf(1 - a, kk + 1, nn - kk)).nan_to_num(1.0)
    lo = torch.where(k == 0, torch.zeros_like(lo), lo)
    hi = torch.where(k == n, torch.ones_like(hi), hi)
    return lo, hi


@dataclass
class BERCurve:
    """Monte Carlo bit error rates: ``ber = errors / n_bits`` with a Clopper-Pearson band
    ``[low, high]``."""

    snr_db: torch.Tensor
    alpha: float
    errors: torch.Tensor
    n_bits: int
    low: torch.Tensor
    high: torch.Tensor
    level: float
    receiver: str
    samples_per_bit: int

    @property
    def ber(self) -> torch.Tensor:
        return self.errors.double() / self.n_bits


RECEIVERS = ("sum", "clip", "median")


def ber_montecarlo(
    snr_db,
    alpha: float,
    n_bits: int,
    generator: torch.Generator | None = None,
    samples_per_bit: int = 1,
    receiver: str = "sum",
    clip_level: float = 2.0,
    level: float = 0.95,
    chunk: int = 1_000_000,
    burst: int = 1,
) -> BERCurve:
    """BPSK over additive SaS noise: Monte Carlo bit error rate at each GSNR in ``snr_db``.

    Bits ``b = +-1`` (equiprobable) are sent with amplitude ``A = 1`` as ``samples_per_bit = L``
    identical samples; the channel adds i.i.d. SaS noise ``c Z`` with the scale ``c`` of
    :func:`scale_for_gsnr` (GSNR per sample); the receiver decides ``sign`` of

    * ``"sum"``: the sum of the ``L`` samples (the matched filter, optimal for Gaussian noise);
    * ``"clip"``: the sum of the samples clipped to ``[-clip_level A, clip_level A]`` (the classic
      impulsive-noise front end);
    * ``"median"``: the median of the ``L`` samples.

    With ``L = 1`` all three decide ``sign(r)``. ``burst = B > 1`` concentrates the impulses in
    time: the noise stream is ``z_t = Z_{floor(t / B)}``, one SaS draw held for ``B`` consecutive
    samples (bursts are aligned with the stream, which starts with a bit, so ``B = L`` holds one
    draw over each bit).
    Every sample keeps the same marginal law, hence the same GSNR per sample, and with ``L = 1``
    the same bit error rate; what changes is that the ``L`` samples of a bit no longer carry
    independent noise (with ``B = L`` every receiver decides ``sign(b + c Z)``, the ``L = 1``
    link). The same noise draw ``Z`` is used for every SNR
    (common random numbers: each point is an unbiased estimate, the curve is smooth). The band is
    the ``level`` Clopper-Pearson interval of each point. Ties ``r = 0`` count as errors.
    """
    snr = _tensor(snr_db, "snr_db").double().reshape(-1)
    if not torch.isfinite(snr).all():
        raise ValueError("snr_db must be finite (dB)")
    alpha = _check_alpha(alpha)
    n_bits = checks.integer(n_bits, "n_bits", type_error=ValueError)
    samples_per_bit = checks.integer(samples_per_bit, "samples_per_bit", type_error=ValueError)
    receiver = checks.choice(receiver, "receiver", RECEIVERS, type_error=ValueError)
    clip_level = checks.positive(clip_level, "clip_level")
    checks.instance(generator, "generator", torch.Generator, "a torch.Generator", optional=True)
    chunk = checks.integer(chunk, "chunk", type_error=ValueError)
    burst = checks.integer(burst, "burst", type_error=ValueError)
    L, B = int(samples_per_bit), int(burst)
    c = scale_for_gsnr(snr, alpha)  # (K,)
    errors = torch.zeros(snr.numel(), dtype=torch.int64)
    per = max(1, int(chunk) // L)
    if B > 1:  # whole bursts per chunk, so a burst never straddles two chunks
        per = max(B, per - per % B)
    done = 0
    while done < n_bits:
        m = min(per, n_bits - done)
        b = torch.randint(0, 2, (m,), generator=generator, dtype=torch.int64).double() * 2 - 1
        if B == 1:
            z = sas((m, L), alpha, 1.0, generator=generator)
        else:
            n_draw = -(-m * L // B)  # ceil
            z = sas(n_draw, alpha, 1.0, generator=generator).repeat_interleave(B)[: m * L]
            z = z.reshape(m, L)
        if L == 1:
            # sign(b + c z) != b  <=>  b z < -1/c (ties count as errors)
            bz = b * z[:, 0]
            errors += (bz[None, :] <= -1.0 / c[:, None]).sum(1)
        else:
            for k in range(snr.numel()):
                r = b[:, None] + c[k] * z  # (m, L), A = 1
                if receiver == "sum":
                    stat = r.sum(1)
                elif receiver == "clip":
                    stat = r.clamp(-clip_level, clip_level).sum(1)
                else:
                    stat = r.median(1).values
                errors[k] += int((stat * b <= 0).sum())
        done += m
    low, high = clopper_pearson(errors, torch.tensor(float(n_bits)), level)
    return BERCurve(snr, alpha, errors, int(n_bits), low, high, level, receiver, L)
