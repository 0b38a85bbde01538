"""Adversarial examples, robust accuracy and the training transforms of adversarial robustness.

* :func:`fgsm` -- the fast gradient sign method (Goodfellow, Shlens & Szegedy 2015, eq 3):
  ``x + eps * sign(grad_x L(f(x), y))``, clipped to the image range.
* :func:`pgd` -- projected gradient descent (Madry et al. 2018, eq 2), untargeted, ascending the
  cross-entropy: ``delta <- Proj(delta + a * dir(grad))`` with ``dir = sign`` (L-inf) or
  ``grad / ||grad||_2`` (L2), projected after every step onto the eps ball and the image range;
  optionally confined to a set of 2-D DCT coefficients (``mask``, a frequency band).
* :func:`robust_accuracy` -- accuracy under an attack; :func:`min_epsilon` -- per image the
  smallest eps at which PGD flips the prediction (binary search).
* :class:`GaussianAugment`, :class:`FGSMRandomStart` -- training transforms for
  ``helpers.train.fit(transform=)``: Gaussian noise augmentation, and the FGSM with random start
  of Wong, Rice & Kolter (2020, "Fast is better than free", Algorithm 3).

Inputs are images in pixel space (``clip``, default ``(0, 1)``: the image range); a network that
standardises does so in its first layer, so eps is measured in pixels. Attacks run the model in
the mode it is in (:func:`robust_accuracy` and :func:`min_epsilon` put it in eval mode and restore
it) and leave its parameters' ``.grad`` untouched (gradients are taken with respect to the input
only). The random start draws from ``generator`` (default torch's global generator, which the
trainer seeds), on the CPU, so a seed gives the same attack on every device.

This module imports nothing from ``helpers.train`` or ``helpers.nets`` at import time (the nets
import its transforms); :func:`robust_accuracy` counts through ``train.accuracy_counts``.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from . import checks, frequency

__all__ = [
    "fgsm",
    "pgd",
    "robust_accuracy",
    "min_epsilon",
    "GaussianAugment",
    "FGSMRandomStart",
    "NORMS",
]

#: The norms of :func:`pgd` and :func:`min_epsilon`.
NORMS = ("linf", "l2")


# ------------------------------------------------------------------------------ arguments
def _check_model(model) -> nn.Module:
    return checks.instance(model, "model", nn.Module, "a torch.nn.Module")


def _check_images(x, y):
    x = checks.tensor(x, "x", min_ndim=2, allow_complex=False, promote=False, sequences=False)
    if not isinstance(y, torch.Tensor) or y.shape != x.shape[:1]:
        raise ValueError(
            f"y must be a tensor of {len(x)} class indices (one per image), got "
            f"{type(y).__name__} {tuple(getattr(y, 'shape', ()))}"
        )
    return x, y


def _check_budget(value, name: str, x: torch.Tensor, positive: bool = False) -> torch.Tensor:
    """A number >= 0 (> 0 when ``positive``) or one per image, as a (B, 1, ..., 1) tensor."""
    if isinstance(value, torch.Tensor) and value.numel() != 1:
        if value.shape != x.shape[:1]:
            raise ValueError(
                f"{name} must be a number or a tensor of {len(x)} (one per image), got shape "
                f"{tuple(value.shape)}"
            )
        v = value.detach().to(device=x.device, dtype=x.dtype)
        if not bool(torch.isfinite(v).all()) or bool((v <= 0).any() if positive else (v < 0).any()):
            raise ValueError(f"{name} must be finite and {'> 0' if positive else '>= 0'} per image")
    else:
        scalar = checks.positive(value, name) if positive else checks.real(value, name, 0.0)
        v = torch.full((len(x),), scalar, device=x.device, dtype=x.dtype)
    return v.reshape((-1,) + (1,) * (x.ndim - 1))


def _check_mask(mask, x: torch.Tensor):
    """The band as a 0/1 float tensor broadcastable to ``x`` (last two axes: the DCT grid)."""
    if mask is None:
        return None
    what = "a boolean or 0/1 tensor (H, W) broadcastable to the images"
    checks.instance(mask, "mask", torch.Tensor, what)
    if mask.ndim < 2:
        raise ValueError(f"mask must be {what}, got shape {tuple(mask.shape)}")
    m = mask.detach().to(device=x.device, dtype=x.dtype)
    if not bool(((m == 0) | (m == 1)).all()):
        raise ValueError("mask must hold only 0 and 1 (or False and True)")
    try:
        torch.broadcast_shapes(m.shape, x.shape)
    except RuntimeError:
        raise ValueError(
            f"mask of shape {tuple(m.shape)} does not broadcast to images {tuple(x.shape)}"
        ) from None
    if not bool(m.any()):
        raise ValueError("mask selects no DCT coefficient: the band is empty")
    return m


# ------------------------------------------------------------------------------ the DCT band
def _band_projector(mask: torch.Tensor | None, x: torch.Tensor) -> Callable:
    """``delta -> idct2(mask * dct2(delta))`` on the last two axes (orthogonal projection onto the
    span of the selected DCT basis images); the identity without a mask."""
    if mask is None:
        return lambda d: d
    mask = mask.to(device=x.device)
    return lambda d: frequency.idct2(mask * frequency.dct2(d))


# ------------------------------------------------------------------------------ attacks
def _grad(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """grad_x of the summed cross-entropy (per image, unscaled by the batch size); parameters'
    ``.grad`` untouched."""
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        loss = nn.functional.cross_entropy(model(x), y, reduction="sum")
        (g,) = torch.autograd.grad(loss, x)
    return g


def _per_image_norm(t: torch.Tensor, p) -> torch.Tensor:
    flat = t.flatten(1)
    n = flat.abs().amax(1) if p == "linf" else flat.norm(dim=1)
    return n.reshape((-1,) + (1,) * (t.ndim - 1))


def _to_range(x: torch.Tensor, clip) -> torch.Tensor:
    return x if clip is None else x.clamp(clip[0], clip[1])


def fgsm(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps, clip=(0.0, 1.0)) -> torch.Tensor:
    """The fast gradient sign method (Goodfellow et al. 2015, eq 3): ``clip(x + eps *
    sign(grad_x CE(model(x), y)))``.

    ``eps``: a number >= 0 or one per image; ``clip``: the image range ``(low, high)`` or ``None``.
    Returns the adversarial images (detached, same shape, dtype and device as ``x``).
    """
    model = _check_model(model)
    x, y = _check_images(x, y)
    clip = checks.value_range(clip)
    eps = _check_budget(eps, "eps", x)
    return _to_range(x.detach() + eps * _grad(model, x, y).sign(), clip).detach()


def _random_start(x, eps, norm, generator):
    """A uniform draw in the L-inf ball, or a uniform direction with a U(0, eps) radius in L2."""
    if norm == "linf":
        u = torch.rand(x.shape, generator=generator, dtype=x.dtype)
        return (2 * u - 1).to(x.device) * eps
    g = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)
    r = torch.rand((len(x),) + (1,) * (x.ndim - 1), generator=generator, dtype=x.dtype)
    return g / _per_image_norm(g, "l2").clamp_min(1e-12) * r.to(x.device) * eps


def pgd(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps,
    steps: int,
    step_size,
    norm: str = "linf",
    random_start: bool = True,
    clip=(0.0, 1.0),
    mask=None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Untargeted projected gradient ascent on the cross-entropy (Madry et al. 2018, eq 2).

    ``delta_{t+1} = Proj(delta_t + step_size * dir(grad_delta CE(model(x + delta_t), y)))`` with
    ``dir(g) = sign(g)`` for ``norm="linf"`` and ``g / ||g||_2`` (per image) for ``"l2"``.

    Without a mask, ``Proj`` is the eps ball (L-inf: clamp to ``[-eps, eps]``; L2: rescale an image
    whose ``||delta||_2 > eps`` onto the sphere), then the image range (``delta <- clip(x + delta)
    - x``, which only moves each pixel's perturbation towards 0, so it stays in the ball; for L-inf
    the two clamps are the exact projection onto their intersection).

    With ``mask`` (0/1 over the 2-D DCT grid of the last two axes, broadcastable to ``x``, e.g. a
    band ``(H, W)``), the perturbation lives in the span of the selected DCT basis images:
    ``P(delta) = idct2(mask * dct2(delta))`` (orthonormal DCT-II, so ``P`` is an orthogonal
    projection). The ascent direction is taken inside the band (``P(sign(P g))`` for L-inf, an
    ascent direction since ``<g, P sign(P g)> = ||P g||_1``; ``P g / ||P g||_2`` for L2), and each
    step ends, in this order, with: the image range (``clip(x + delta) - x``), the band (``P``),
    the ball (L2: rescale; L-inf: *scale* by ``min(1, eps / ||delta||_inf)``, since a clamp would
    leave the band). So every iterate ``delta`` is in the band and in the ball exactly; the image
    returned is ``clip(x + delta)``, which is always in the range and whose perturbation is in the
    ball (clipping moves pixels towards ``x``). It is in the band to rounding (1e-6 relative)
    whenever no pixel is clipped: ``clip=None``, or images at least eps inside the range; where the
    range clips, the clipped part of the perturbation leaves the band.

    Args:
        model: class scores ``(B, C)``; run in its current mode.
        x, y: images ``(B, ...)`` in the range and their labels ``(B,)``.
        eps: the budget (>= 0), a number or one per image.
        steps: number of steps (>= 0; 0: the random start alone).
        step_size: the step (> 0), a number or one per image.
        norm: ``"linf"`` or ``"l2"``.
        random_start: start at a uniform draw in the ball (L2: uniform direction, radius
            ``U(0, eps)``), projected like a step; otherwise at ``delta = 0``.
        clip: the image range ``(low, high)``, or ``None`` (no range).
        mask: the DCT band, or ``None`` (every coefficient).
        generator: a ``torch.Generator`` (CPU) for the random start (default: the global one).

    Returns:
        The adversarial images ``x + delta`` (detached; clipped to the range). The last iterate is
        returned (not the best one seen).
    """
    model = _check_model(model)
    x, y = _check_images(x, y)
    steps = checks.integer(steps, "steps", 0)
    norm = checks.choice(norm, "norm", NORMS)
    random_start = checks.boolean(random_start, "random_start")
    clip = checks.value_range(clip)
    generator = checks.instance(
        generator, "generator", torch.Generator, "a torch.Generator", optional=True
    )
    eps = _check_budget(eps, "eps", x)
    alpha = _check_budget(step_size, "step_size", x, positive=True)
    m = _check_mask(mask, x)
    band = _band_projector(m, x)
    x = x.detach()

    def project(delta):
        if m is None:
            if norm == "linf":
                delta = torch.maximum(torch.minimum(delta, eps), -eps)
            else:
                delta = delta * (eps / _per_image_norm(delta, "l2").clamp_min(1e-30)).clamp(max=1)
            return delta if clip is None else _to_range(x + delta, clip) - x
        if clip is not None:
            delta = _to_range(x + delta, clip) - x
        delta = band(delta)
        scale = (eps / _per_image_norm(delta, norm).clamp_min(1e-30)).clamp(max=1)
        return delta * scale

    delta = project(_random_start(x, eps, norm, generator)) if random_start else torch.zeros_like(x)
    for _ in range(steps):
        g = band(_grad(model, _to_range(x + delta, clip), y))
        if norm == "linf":
            step = band(g.sign())
        else:
            step = g / _per_image_norm(g, "l2").clamp_min(1e-30)
        delta = project(delta + alpha * step)
    return _to_range(x + delta, clip).detach()


# ------------------------------------------------------------------------------ measurements
def _batches(data, batch_size: int):
    """``(x, y)`` batches of a loader, or of a pair of tensors ``(images, labels)``."""
    if isinstance(data, (tuple, list)) and len(data) == 2 and isinstance(data[0], torch.Tensor):
        x, y = _check_images(data[0], data[1])
        return list(zip(x.split(batch_size), y.split(batch_size)))
    return checks.iterable(
        data, "data", "a DataLoader of (images, labels) batches or a pair (images, labels)"
    )


def robust_accuracy(
    model: nn.Module,
    data,
    attack: Callable | None,
    batch_size: int = 256,
    device: str | None = None,
    **kw,
) -> float:
    """Fraction of images still classified correctly after ``attack(model, x, y, **kw)``.

    ``data``: a loader of ``(images, labels)`` batches, or a pair of tensors (cut into
    ``batch_size`` batches); ``attack``: e.g. :func:`pgd` or :func:`fgsm` (``None``: the clean
    accuracy); ``kw`` go to the attack (``eps=``, ``steps=``, ...). In eval mode (restored after),
    each batch moved to ``device`` (default: where the model's parameters are). A smoke run reads
    a few batches (``runtime.smoke_batches``).
    """
    from . import runtime, train  # not at import time: nets import this module

    model = _check_model(model)
    attack = checks.function(attack, "attack", "an attack(model, x, y, **kw)", optional=True)
    batch_size = checks.integer(batch_size, "batch_size", 1)
    transform = None if attack is None else (lambda m, x, y: attack(m, x, y, **kw))
    batches = runtime.smoke_batches(_batches(data, batch_size))
    hits = list(train.hits_on(model, batches, transform, device))
    total = sum(h.numel() for h in hits)
    if total == 0:
        raise ValueError("data yielded no images: the accuracy is undefined")
    return int(sum(int(h.sum()) for h in hits)) / total


def min_epsilon(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    norm: str = "linf",
    mask=None,
    lo: float = 0.0,
    hi: float = 1.0,
    iters: int = 10,
    steps: int = 20,
    rel_step: float = 2.5,
    clip=(0.0, 1.0),
    random_start: bool = False,
    batch_size: int = 256,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Per image, the smallest eps at which :func:`pgd` flips the prediction (binary search).

    For each image the bracket ``(lo, hi]`` is halved ``iters`` times: PGD with ``steps`` steps of
    ``rel_step * eps / steps`` (Madry et al.'s 2.5 eps / steps) at the midpoint decides which half
    is kept. The value returned is the bracket's upper end, an eps at which the attack succeeded,
    within ``(hi - lo) / 2**iters`` of the boundary (for an attack whose success is monotone in
    eps, e.g. on a linear model). Images misclassified clean get 0; images PGD does not flip at
    ``hi`` get ``inf``. In eval mode (restored after); ``norm``, ``mask``, ``clip`` and
    ``random_start`` as in :func:`pgd` (no random start by default: deterministic).

    Returns a float tensor ``(N,)`` on the CPU.
    """
    model = _check_model(model)
    x, y = _check_images(x, y)
    norm = checks.choice(norm, "norm", NORMS)
    lo = checks.real(lo, "lo", 0.0)
    hi = checks.real(hi, "hi", above=lo)
    iters = checks.integer(iters, "iters", 1)
    steps = checks.integer(steps, "steps", 1)
    rel_step = checks.positive(rel_step, "rel_step")
    batch_size = checks.integer(batch_size, "batch_size", 1)
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    was_training = model.training
    model.eval()
    out = []
    try:
        for xb, yb in zip(x.split(batch_size), y.split(batch_size)):
            xb, yb = xb.to(device), yb.to(device)

            def flips(eps: torch.Tensor, xb=xb, yb=yb) -> torch.Tensor:
                step = rel_step * eps.clamp_min(1e-12) / steps
                adv = pgd(
                    model, xb, yb, eps, steps, step, norm, random_start, clip, mask, generator
                )
                with torch.no_grad():
                    return model(adv).argmax(1) != yb

            with torch.no_grad():
                wrong = model(xb).argmax(1) != yb
            low = torch.full((len(xb),), lo, dtype=xb.dtype, device=device)
            high = torch.full_like(low, hi)
            never = ~flips(high) & ~wrong
            for _ in range(iters):
                mid = (low + high) / 2
                hit = flips(mid)
                high, low = torch.where(hit, mid, high), torch.where(hit, low, mid)
            result = torch.where(never, torch.full_like(high, float("inf")), high)
            out.append(torch.where(wrong, torch.zeros_like(high), result).cpu())
    finally:
        model.train(was_training)
    return torch.cat(out)


# ------------------------------------------------------------------------------ training transforms
class GaussianAugment:
    """Training transform ``x -> clip(x + sigma * N(0, I))`` (Gaussian data augmentation, the
    training of randomized smoothing, Cohen, Rosenfeld & Kolter 2019), labels unchanged.

    A ``transform(model, inputs, targets)`` for ``helpers.train.fit``; the noise comes from torch's
    global generator (seeded by the trainer), drawn on the CPU. ``clip``: the image range or None.
    """

    def __init__(self, sigma: float, clip=(0.0, 1.0)):
        self.sigma = checks.positive(sigma, "sigma")
        self.clip = checks.value_range(clip)

    def __call__(self, model, inputs: torch.Tensor, targets: torch.Tensor):
        noise = torch.randn(inputs.shape, dtype=inputs.dtype).to(inputs.device)
        return _to_range(inputs + self.sigma * noise, self.clip).detach(), targets

    def __repr__(self) -> str:
        return f"GaussianAugment(sigma={self.sigma}, clip={self.clip})"


class FGSMRandomStart:
    """FGSM adversarial training with a random start (Wong, Rice & Kolter 2020, Algorithm 3).

    ``delta ~ U(-eps, eps)`` (per pixel), one signed-gradient step of size ``alpha`` (default
    ``1.25 * eps``, the paper's choice) from ``x + delta``, ``delta`` clamped to ``[-eps, eps]``
    and to the image range; the batch trained on is ``x + delta``. A ``transform(model, inputs,
    targets)`` for ``helpers.train.fit`` (the model in training mode, as in the paper); the
    random start comes from torch's global generator (seeded by the trainer), drawn on the CPU.
    """

    def __init__(self, eps: float, alpha: float | None = None, clip=(0.0, 1.0)):
        self.eps = checks.positive(eps, "eps")
        self.alpha = 1.25 * self.eps if alpha is None else checks.positive(alpha, "alpha")
        self.clip = checks.value_range(clip)

    def __call__(self, model, inputs: torch.Tensor, targets: torch.Tensor):
        adv = pgd(model, inputs, targets, self.eps, 1, self.alpha, "linf", True, self.clip)
        return adv, targets

    def __repr__(self) -> str:
        return f"FGSMRandomStart(eps={self.eps}, alpha={self.alpha}, clip={self.clip})"
