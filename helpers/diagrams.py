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



# ------------------------------------------------------------ chapter 10: Volterra composition
def volterra_composition(ax, inner_order: int, outer_order: int):
    """Chapter 10: an order-N Volterra series fed into an order-M one (Li et al. 2021, sec 3).

    Draws ``x`` -> the inner kernels ``H_0 .. H_N`` in parallel -> a sum ``y`` -> the outer kernels
    ``G_0 .. G_M`` -> a sum ``z``, and below it the composed series: orders ``0 .. N M`` with the
    number of terms of each (:func:`helpers.volterra.composition_term_counts`), the identity that
    makes the drawing exact. Returns the list of the kernel boxes (inner first).
    """
    from .volterra import composition_term_counts  # local: diagrams stays light to import

    N = checks.integer(inner_order, "inner_order", 1)
    M = checks.integer(outer_order, "outer_order", 1)
    rows = max(N, M) + 1
    height = 1.0 * rows + 1.6
    canvas(ax, 12.0, height)
    top = height - 0.8
    ys = lambda k: [top - (top - 1.6) * i / max(k, 1) for i in range(k + 1)]  # noqa: E731
    mid = (top + 1.6) / 2
    label(ax, (0.4, mid), "$x$", fontsize=11)
    boxes = []
    for n, y in zip(range(N + 1), ys(N)):
        boxes.append(block(ax, (2.6, y), f"$H_{n} * x^{n}$", width=1.6, height=0.6, kind="signal"))
        arrow(ax, (0.7, mid), (1.8, y))
        arrow(ax, (3.4, y), (4.25, mid))
    adder(ax, (4.5, mid))
    arrow(ax, (4.75, mid), (5.8, mid), text="$y$")
    for m, y in zip(range(M + 1), ys(M)):
        boxes.append(block(ax, (7.4, y), f"$G_{m} * y^{m}$", width=1.6, height=0.6, kind="carrier"))
        arrow(ax, (5.8, mid), (6.6, y))
        arrow(ax, (8.2, y), (9.25, mid))
    adder(ax, (9.5, mid))
    arrow(ax, (9.75, mid), (11.0, mid), text="$z$")
    counts = composition_term_counts(N, M)
    label(
        ax,
        (6.0, 0.6),
        f"$z$: orders 0 to {N * M}, terms per order "
        + " ".join(map(str, counts))
        + f" ({sum(counts)} in all)",
        fontsize=9,
    )
    return boxes
