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


# ------------------------------------------------------------------- chapter 1: figs 2 and 4
def _to_circle(start, centre, radius: float = 0.25):
    """The point of the circle of ``radius`` around ``centre`` that faces ``start``."""
    dx, dy = centre[0] - start[0], centre[1] - start[1]
    d = (dx * dx + dy * dy) ** 0.5
    return centre[0] - radius * dx / d, centre[1] - radius * dy / d


def multicarrier_diagram(ax, n_carriers: int = 4):
    """Wu et al. 2022, fig 2: the multi-carrier modulator of eqs 4-5 (chapter 1, eq ``ch1-mc``).

    Each of ``n_carriers`` messages ``x_k[n]`` enters a mixer with its carrier ``cos(2 pi f_k n)``;
    one adder sums the products into ``s[n] = sum_k x_k[n] cos(2 pi f_k n)``. Draws
    ``n_carriers`` mixers and carrier blocks and one adder; returns ``ax``.
    """
    n = checks.integer(n_carriers, "n_carriers", minimum=1, type_error=ValueError)
    height = 1.2 * n + 0.4
    canvas(ax, 8.0, height)
    ys = [height - 0.6 - 1.2 * k for k in range(n)]
    centre = (5.6, sum(ys) / n)
    adder(ax, centre)
    for k, y in enumerate(ys, start=1):
        arrow(ax, (0.3, y), (2.75, y), text=f"$x_{{{k}}}[n]$")
        mixer(ax, (3.0, y))
        block(
            ax,
            (3.0, y - 0.5),
            f"$\\cos(2\\pi f_{{{k}}} n)$",
            width=1.9,
            height=0.34,
            kind="carrier",
            fontsize=7,
        )
        arrow(ax, (3.25, y), _to_circle((3.25, y), centre))
    arrow(ax, (centre[0] + 0.25, centre[1]), (7.8, centre[1]), text="$s[n]$")
    return ax


def mimo_diagram(ax, n_tx: int = 2, n_rx: int = 3, n_carriers: int = 2):
    """Wu et al. 2022, fig 4: a multi-carrier MIMO system, eqs 8-11 (chapter 1, eq ``ch1-mimo``).

    ``n_tx`` multi-carrier modulators (``n_carriers`` carriers each, as in
    :func:`multicarrier_diagram`) send ``s_p[n]``; each pair (p, q) is a channel gain ``h_{q,p}``;
    receive antenna ``q`` sums its ``n_tx`` paths into ``r_q[n] = sum_p h_{q,p} s_p[n]``
    (``r = H s``). Draws ``n_tx`` modulator blocks, ``n_rx`` adders and ``n_tx * n_rx`` gain
    paths; returns ``ax``.
    """
    p = checks.integer(n_tx, "n_tx", minimum=1, type_error=ValueError)
    q = checks.integer(n_rx, "n_rx", minimum=1, type_error=ValueError)
    k = checks.integer(n_carriers, "n_carriers", minimum=1, type_error=ValueError)
    height = 1.3 * max(p, q) + 0.8
    canvas(ax, 10.0, height)
    ytx = [height / 2 + 0.2 + 1.3 * ((p - 1) / 2 - i) for i in range(p)]
    yrx = [height / 2 + 0.2 + 1.3 * ((q - 1) / 2 - j) for j in range(q)]
    for i, y in enumerate(ytx, start=1):
        arrow(ax, (0.1, y), (0.9, y), text=f"$x_{{{i},k}}$", fontsize=7)
        block(
            ax,
            (1.9, y),
            f"{k}-carrier\nmodulator {i}",
            width=2.0,
            height=0.8,
            kind="signal",
            fontsize=7,
        )
    for j, y in enumerate(yrx, start=1):
        adder(ax, (7.6, y))
        arrow(ax, (7.85, y), (9.7, y), text=f"$r_{{{j}}}[n]$")
        for i, y0 in enumerate(ytx, start=1):
            end = _to_circle((2.9, y0), (7.6, y))
            arrow(ax, (2.9, y0), end)
            w = 0.75  # gain label three quarters along the path
            label(
                ax,
                (2.9 + w * (end[0] - 2.9), y0 + w * (end[1] - y0) + 0.13),
                f"$h_{{{j},{i}}}$",
                fontsize=7,
            )
    for i, y in enumerate(ytx, start=1):
        label(ax, (3.3, y + 0.25), f"$s_{{{i}}}[n]$", fontsize=8)
    label(ax, (5.2, 0.2), f"channel $\\mathbf{{H}}$: {q} x {p} gains", fontsize=8)
    return ax
