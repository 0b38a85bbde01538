"""Schematics drawn from code: the block diagrams of the papers (Wu et al. 2022 figs 2, 4-7, 14, 15;
Table 1), kept in the repository as source rather than as images.

A diagram is drawn on an ``ax`` in *diagram units* (the axes' data coordinates, equal aspect, no
ticks): :func:`canvas` makes one, and the primitives place blocks, mixers, adders and arrows on it.
Each primitive returns the artist it drew, so a test can count and read them back
(``ax.patches``, ``ax.texts``). A chapter's schematic is a function of this module that takes its
sizes (carriers, channels, window) as arguments, so the drawing follows the numbers the chapter
uses; it never hard-codes one the chapter computes.

* :func:`canvas` -- an empty diagram axes of a given extent.
* :func:`block` -- a labelled box (a filter, a modulator, a layer).
* :func:`mixer` / :func:`adder` -- the circled x and + of a modulation block diagram.
* :func:`arrow` -- a signal path from one point to another, optionally labelled.
* :func:`label` -- free text at a point.
"""

from __future__ import annotations

import matplotlib.patches as mpatches

from . import checks

__all__ = ["canvas", "block", "mixer", "adder", "arrow", "label", "DIAGRAM_COLORS"]

#: Fill colours of the diagrams: signal blocks, carriers/kernels, outputs (Okabe-Ito, light).
DIAGRAM_COLORS = {"signal": "#d6eaf8", "carrier": "#fdebd0", "output": "#d5f5e3", "neutral": "white"}


def _point(xy, name: str) -> tuple[float, float]:
    xy = checks.sequence(xy, name)
    if len(xy) != 2:
        raise ValueError(f"{name} must be an (x, y) pair, got {len(xy)} values")
    return checks.real(xy[0], f"{name}[0]"), checks.real(xy[1], f"{name}[1]")


def canvas(ax, width: float, height: float, title: str | None = None):
    """Make ``ax`` an empty diagram of ``width`` x ``height`` diagram units: equal aspect, no axes."""
    width = checks.positive(width, "width")
    height = checks.positive(height, "height")
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    if title is not None:
        ax.set_title(title)
    return ax


def block(ax, xy, text: str, width: float = 1.6, height: float = 0.8, kind: str = "neutral",
          fontsize: float = 9):
    """A box centred at ``xy`` with ``text`` inside; ``kind`` picks its fill (:data:`DIAGRAM_COLORS`)."""
    x, y = _point(xy, "xy")
    width = checks.positive(width, "width")
    height = checks.positive(height, "height")
    kind = checks.choice(kind, "kind", tuple(DIAGRAM_COLORS))
    box = mpatches.FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                  boxstyle="round,pad=0.02,rounding_size=0.08",
                                  facecolor=DIAGRAM_COLORS[kind], edgecolor="black", linewidth=1)
    ax.add_patch(box)
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)
    return box


def _circle(ax, xy, symbol: str, radius: float):
    x, y = _point(xy, "xy")
    radius = checks.positive(radius, "radius")
    circle = mpatches.Circle((x, y), radius, facecolor="white", edgecolor="black", linewidth=1)
    ax.add_patch(circle)
    ax.text(x, y, symbol, ha="center", va="center", fontsize=11)
    return circle


def mixer(ax, xy, radius: float = 0.25):
    """The circled multiplication sign: a signal times a carrier (DSB-SC, eq 2)."""
    return _circle(ax, xy, "×", radius)


def adder(ax, xy, radius: float = 0.25):
    """The circled plus: the sum of several paths (multi-carrier eq 4, a channel's outputs)."""
    return _circle(ax, xy, "+", radius)


def arrow(ax, start, end, text: str | None = None, offset: float = 0.15, fontsize: float = 8):
    """A signal path from ``start`` to ``end``; ``text`` is written ``offset`` above its middle."""
    (x0, y0), (x1, y1) = _point(start, "start"), _point(end, "end")
    if (x0, y0) == (x1, y1):
        raise ValueError(f"start and end must differ, both are {(x0, y0)}")
    patch = mpatches.FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=10,
                                     linewidth=1, color="black", shrinkA=0, shrinkB=0)
    ax.add_patch(patch)
    if text is not None:
        ax.text((x0 + x1) / 2, (y0 + y1) / 2 + offset, text, ha="center", va="bottom",
                fontsize=fontsize)
    return patch


def label(ax, xy, text: str, fontsize: float = 9, **kwargs):
    """Free text centred at ``xy``."""
    x, y = _point(xy, "xy")
    return ax.text(x, y, text, ha=kwargs.pop("ha", "center"), va=kwargs.pop("va", "center"),
                   fontsize=fontsize, **kwargs)


# ------------------------------------------------------------------------------------------
# chapter 3: ReLU as DSB-SC modulation (paper 001, sec 3.2, eqs 22-23)
# ------------------------------------------------------------------------------------------
def relu_dsb_sc(ax, n_samples: int, on_fraction: float):
    """ReLU drawn as a DSB-SC modulator, ``a[n] = y[n] H(y[n])`` (paper 001, eqs 22-23): the
    message ``y`` feeds both the mixer and a comparator ``y > 0`` that switches the 0/1 carrier
    ``H(y)``; ``n_samples`` and ``on_fraction`` (the share of samples where the carrier is on, i.e.
    the carrier's DC term over ``N``) label the paths with the chapter's measured sizes."""
    n_samples = checks.int_tuple(n_samples, "n_samples", 1, 1)[0]
    on_fraction = checks.real(on_fraction, "on_fraction")
    if not 0 <= on_fraction <= 1:
        raise ValueError(f"on_fraction must lie in [0, 1], got {on_fraction}")
    canvas(ax, 10, 3.4, title="ReLU as DSB-SC: the message switches its own carrier")
    block(ax, (1.2, 2.4), f"$y[n]$\n{n_samples:,} samples", width=2.0, height=0.9, kind="signal")
    mixer(ax, (5.0, 2.4))
    block(ax, (5.0, 0.7), "$y > 0$ ?", width=1.6, height=0.7, kind="carrier")
    block(ax, (8.6, 2.4), "$a[n] = y\\,H(y)$\n= max(0, y)", width=2.2, height=0.9, kind="output")
    arrow(ax, (2.2, 2.4), (4.75, 2.4), text="message")
    arrow(ax, (3.2, 2.4), (3.2, 0.7))
    arrow(ax, (3.2, 0.7), (4.2, 0.7))
    arrow(ax, (5.0, 1.05), (5.0, 2.15), text=None)
    carrier = f"carrier $H(y[n]) \\in \\{{0, 1\\}}$\non {on_fraction:.0%} of the time"
    label(ax, (6.3, 1.55), carrier, fontsize=8)
    arrow(ax, (5.25, 2.4), (7.5, 2.4), text="DSB-SC output")
    return ax
