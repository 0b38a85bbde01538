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
DIAGRAM_COLORS = {
    "signal": "#d6eaf8",
    "carrier": "#fdebd0",
    "output": "#d5f5e3",
    "neutral": "white",
}


def _point(xy, name: str) -> tuple[float, float]:
    xy = checks.sequence(xy, name)
    if len(xy) != 2:
        raise ValueError(f"{name} must be an (x, y) pair, got {len(xy)} values")
    return checks.real(xy[0], f"{name}[0]"), checks.real(xy[1], f"{name}[1]")


def canvas(ax, width: float, height: float, title: str | None = None):
    """Make ``ax`` an empty ``width`` x ``height`` diagram: equal aspect, no axes."""
    width = checks.positive(width, "width")
    height = checks.positive(height, "height")
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    if title is not None:
        ax.set_title(title)
    return ax


def block(
    ax,
    xy,
    text: str,
    width: float = 1.6,
    height: float = 0.8,
    kind: str = "neutral",
    fontsize: float = 9,
):
    """A box centred at ``xy`` with ``text`` inside; ``kind`` picks its fill (DIAGRAM_COLORS)."""
    x, y = _point(xy, "xy")
    width = checks.positive(width, "width")
    height = checks.positive(height, "height")
    kind = checks.choice(kind, "kind", tuple(DIAGRAM_COLORS))
    box = mpatches.FancyBboxPatch(
        (x - width / 2, y - height / 2),
        width,
        height,
        boxstyle="round,pad=0.02,rounding_size=0.08",
        facecolor=DIAGRAM_COLORS[kind],
        edgecolor="black",
        linewidth=1,
    )
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
    patch = mpatches.FancyArrowPatch(
        (x0, y0),
        (x1, y1),
        arrowstyle="-|>",
        mutation_scale=10,
        linewidth=1,
        color="black",
        shrinkA=0,
        shrinkB=0,
    )
    ax.add_patch(patch)
    if text is not None:
        ax.text(
            (x0 + x1) / 2, (y0 + y1) / 2 + offset, text, ha="center", va="bottom", fontsize=fontsize
        )
    return patch


def label(ax, xy, text: str, fontsize: float = 9, **kwargs):
    """Free text centred at ``xy``."""
    x, y = _point(xy, "xy")
    return ax.text(
        x,
        y,
        text,
        ha=kwargs.pop("ha", "center"),
        va=kwargs.pop("va", "center"),
        fontsize=fontsize,
        **kwargs,
    )


# --------------------------------------------------------------------------------------------
# chapter 2: convolution as (MIMO) modulation (Wu et al. 2022, figs 5-7, Table 1)
# --------------------------------------------------------------------------------------------
def _shown(n: int, most: int) -> list[int | None]:
    """Indices 0..n-1 to draw, at most ``most`` of them; ``None`` marks the elided middle."""
    if n <= most:
        return list(range(n))
    return list(range(most - 1)) + [None, n - 1]


def conv_as_multicarrier(ax, kernel_size: int = 3, most: int = 5):
    """Fig 6 of Wu et al. 2022: a one-channel convolution (eq 14) as a multi-carrier modulator.

    ``y[n] = sum_k w[k] x[n + k]``: the input ``x[n]`` is split into ``kernel_size`` shifted copies
    ``x_k[n] = x[n + k]`` (the modulating signals), each is multiplied by a constant carrier
    ``w[k]`` (radio: ``cos(2 pi f_k n)``) and the products are summed, the multi-carrier modulator
    of eq 5. At most ``most`` branches are drawn (the middle ones are elided with a dotted row).
    Returns ``ax``.
    """
    kernel_size = checks.integer(kernel_size, "kernel_size", 1)
    most = checks.integer(most, "most", 3)
    rows = _shown(kernel_size, most)
    height = 1.2 * len(rows) + 1.0
    canvas(
        ax,
        11,
        height,
        title=f"one channel, K = {kernel_size}: eq 14 as a multi-carrier modulator (fig 6)",
    )
    ys = [height - 0.9 - 1.2 * i for i in range(len(rows))]
    mid = sum(ys) / len(ys)
    block(ax, (0.9, mid), "x[n]", width=1.2, kind="signal")
    adder(ax, (8.2, mid))
    for k, y in zip(rows, ys):
        if k is None:
            label(ax, (4.5, y), "⋮", fontsize=14)
            continue
        arrow(ax, (1.5, mid), (2.4, y))
        block(ax, (3.3, y), f"x[n+{k}]", width=1.8, kind="signal")
        mixer(ax, (5.3, y))
        arrow(ax, (4.2, y), (5.05, y))
        label(ax, (5.3, y + 0.45), f"w[{k}]", fontsize=8)
        arrow(ax, (5.55, y), (8.2 - 0.25 * (1 if y == mid else 0.7), mid + (y - mid) * 0.1))
    arrow(ax, (8.45, mid), (9.6, mid))
    block(ax, (10.3, mid), "y[n]", width=1.1, kind="output")
    label(ax, (3.3, 0.3), "modulating signals $x_k[n]$", fontsize=8)
    label(ax, (6.4, 0.3), "constant carriers", fontsize=8)
    return ax


def conv_as_mimo(ax, in_channels: int, out_channels: int, kernel_size: int = 3, most: int = 4):
    """Fig 7 of Wu et al. 2022: a P-to-Q convolution (eq 13) as a multi-carrier MIMO modulator.

    Input channel ``p`` is transmit antenna ``p``: it sends its ``kernel_size`` shifted copies
    ``x_p[n + k]``; receive antenna ``q`` adds ``w_{q,p}[k] x_p[n + k]`` over all ``p`` and ``k``
    (eq 11 with ``h_{q,p} cos(2 pi f_{p,k} n)`` replaced by ``w_{q,p}[k]``). Every drawn transmit
    antenna is linked to every drawn receive antenna; at most ``most`` of each are drawn (the rest
    elided). Returns ``ax``.
    """
    in_channels = checks.integer(in_channels, "in_channels", 1)
    out_channels = checks.integer(out_channels, "out_channels", 1)
    kernel_size = checks.integer(kernel_size, "kernel_size", 1)
    most = checks.integer(most, "most", 3)
    ps, qs = _shown(in_channels, most), _shown(out_channels, most)
    height = 1.3 * max(len(ps), len(qs)) + 1.2
    canvas(
        ax,
        12,
        height,
        title=f"P = {in_channels} inputs, Q = {out_channels} outputs, "
        f"K = {kernel_size}: eq 13 as multi-carrier MIMO (fig 7)",
    )

    def column(items, top):
        return [top - 1.3 * i for i in range(len(items))]

    yp, yq = column(ps, height - 1.0), column(qs, height - 1.0)
    for p, y in zip(ps, yp):
        if p is None:
            label(ax, (0.9, y), "⋮", fontsize=14)
            label(ax, (3.4, y), "⋮", fontsize=14)
            continue
        block(ax, (0.9, y), f"$x_{{{p + 1}}}[n]$", width=1.2, kind="signal")
        arrow(ax, (1.5, y), (2.2, y))
        block(
            ax,
            (3.4, y),
            f"{kernel_size} copies\n$x_{{{p + 1}}}[n+k]$",
            width=2.2,
            height=0.9,
            kind="signal",
            fontsize=8,
        )
    for q, y in zip(qs, yq):
        if q is None:
            label(ax, (9.0, y), "⋮", fontsize=14)
            continue
        adder(ax, (9.0, y))
        arrow(ax, (9.25, y), (10.2, y))
        block(ax, (11.0, y), f"$y_{{{q + 1}}}[n]$", width=1.2, kind="output")
        for p, y0 in zip(ps, yp):
            if p is not None:
                arrow(ax, (4.5, y0), (8.75, y + 0.12 * (y0 - y) / max(abs(y0 - y), 1)))
    label(
        ax,
        (6.6, 0.35),
        r"each path: $\sum_k w_{q,p}[k]\,x_p[n+k]$ (carriers $w_{q,p}[k]$)",
        fontsize=8,
    )
    return ax


def forward_as_modulation(ax, n_units: int, n_convs: int | None = None):
    """Fig 5 of Wu et al. 2022: forward propagation as a chain of modulations.

    Top row, the CNN: input, one Conv-ReLU-Pooling "basic unit" (repeated ``n_units`` times; the
    network has ``n_convs`` conv layers in all, if given), classifier. Bottom row, what each block
    is in modulation theory (Table 1): multi-carrier MIMO amplitude modulation (conv, eq 13),
    single-carrier amplitude modulation (ReLU, DSB-SC, chapter 3), multi-carrier amplitude
    modulation (pooling, chapter 4); the unit as a whole is continuous amplitude modulation.
    Returns ``ax``.
    """
    n_units = checks.integer(n_units, "n_units", 1)
    if n_convs is not None:
        n_convs = checks.integer(n_convs, "n_convs", 1)
    canvas(ax, 14, 4.6, title="forward propagation and modulation (fig 5)")
    top, bottom = 3.4, 1.2
    cnn = [
        ("conv", "multi-carrier\nMIMO AM"),
        ("ReLU", "single-carrier\nAM (DSB-SC)"),
        ("pooling", "multi-carrier\nAM"),
    ]
    block(ax, (1.0, top), "input x", width=1.5, kind="signal")
    block(ax, (1.0, bottom), "message", width=1.5, kind="signal")
    xs = [3.6, 6.3, 9.0]
    for (layer, modulation), x in zip(cnn, xs):
        block(ax, (x, top), layer, width=2.0, kind="carrier")
        block(ax, (x, bottom), modulation, width=2.2, height=1.0, kind="carrier", fontsize=8)
        ax.annotate(
            "",
            (x, bottom + 0.55),
            (x, top - 0.45),
            arrowprops=dict(arrowstyle="<->", ls="--", color="0.4"),
        )
    for row in (top, bottom):
        arrow(ax, (1.75, row), (2.6 if row == top else 2.5, row))
        for x0, x1 in zip(xs[:-1], xs[1:]):
            arrow(ax, (x0 + 1.1, row), (x1 - 1.1, row))
        arrow(ax, (10.1, row), (11.6, row))
    block(ax, (12.6, top), "classifier", width=1.8, kind="output")
    block(ax, (12.6, bottom), "receiver", width=1.8, kind="output")
    unit = f"basic unit x {n_units}" + ("" if n_convs is None else f" ({n_convs} conv layers)")
    label(ax, (6.3, top + 0.75), unit, fontsize=9)
    label(ax, (6.3, 0.25), "the unit: continuous amplitude modulation", fontsize=8)
    return ax


def correspondence_table(ax, rows, headers=("CNNs", "modulation theory")):
    """Table 1 of Wu et al. 2022 drawn as two columns of boxes: ``rows`` is a sequence of
    ``(aspect, cnn_side, modulation_side)`` strings, ``headers`` the two column titles. Returns
    ``ax``."""
    rows = checks.sequence(rows, "rows")
    if not rows or any(len(checks.sequence(r, "rows[i]")) != 3 for r in rows):
        raise ValueError("rows must be a non-empty sequence of (aspect, cnn, modulation) triples")
    if len(checks.sequence(headers, "headers")) != 2:
        raise ValueError(f"headers must be two column titles, got {len(headers)}")
    h = 1.0
    height = h * (len(rows) + 1) + 0.4
    canvas(ax, 13, height, title="CNNs and modulation theory (Table 1)")
    y = height - 0.2 - h / 2
    label(ax, (5.0, y), headers[0], fontsize=10, weight="bold")
    label(ax, (10.0, y), headers[1], fontsize=10, weight="bold")
    for aspect, cnn, modulation in rows:
        y -= h
        label(ax, (1.2, y), aspect, fontsize=9, weight="bold")
        block(ax, (5.0, y), cnn, width=4.6, height=0.85, kind="signal", fontsize=8)
        block(ax, (10.0, y), modulation, width=4.6, height=0.85, kind="carrier", fontsize=8)
        arrow(ax, (7.35, y), (7.65, y))
    return ax


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


# ------------------------------------------------------------------- chapter 4: figs 14 and 15
def pooling_diagram(ax, window: int, stride: int, n_in: int, n_out: int):
    """Chapter 4, figs 14 and 15 of Wu et al. 2022: the two pooling paths side by side.

    Top (fig 15, eq 27): ``x`` -> convolution with the box ``1_K / K`` -> keep every ``stride``-th
    sample -> ``ap(x)``. Bottom (fig 14, eqs 28-30): ``x`` (``n_in`` samples) -> DFT -> keep the
    ``n_out`` lowest bins -> inverse DFT -> ``sp(x)``, which the chapter shows is a circular
    convolution with ``h`` followed by decimation by ``n_in / n_out``. Returns the blocks drawn.
    """
    window = checks.integer(window, "window", 1)
    stride = checks.integer(stride, "stride", 1)
    n_in = checks.integer(n_in, "n_in", 2)
    n_out = checks.integer(n_out, "n_out", 1)
    if n_out >= n_in:
        raise ValueError(f"n_out must be smaller than n_in = {n_in}, got {n_out}")
    canvas(ax, 12, 4)
    boxes = []
    y = 3.0
    label(ax, (0.6, y + 0.6), "average pooling (eq 27)", fontsize=8, ha="left")
    arrow(ax, (0.2, y), (1.6, y), text="$x[n]$")
    boxes.append(
        block(
            ax,
            (2.9, y),
            f"$\\star\\ \\frac{{1}}{{{window}}}1_{{{window}}}$",
            width=2.4,
            kind="carrier",
        )
    )
    arrow(ax, (4.1, y), (5.6, y))
    boxes.append(block(ax, (6.6, y), f"$\\downarrow {stride}$", width=1.8, kind="signal"))
    arrow(ax, (7.5, y), (9.6, y), text="$\\mathrm{ap}(x)$")
    y = 1.0
    label(ax, (0.6, y + 0.6), "spectral pooling (eqs 28-30)", fontsize=8, ha="left")
    arrow(ax, (0.2, y), (1.6, y), text=f"{n_in} samples")
    boxes.append(block(ax, (2.4, y), "DFT", width=1.4, kind="signal"))
    arrow(ax, (3.1, y), (3.9, y))
    boxes.append(
        block(
            ax,
            (5.3, y),
            f"keep {n_out} lowest\nbins of {n_in}",
            width=2.6,
            kind="carrier",
            fontsize=8,
        )
    )
    arrow(ax, (6.6, y), (7.4, y))
    boxes.append(block(ax, (8.2, y), "IDFT", width=1.4, kind="signal"))
    arrow(ax, (8.9, y), (10.8, y), text="$\\mathrm{sp}(x)$")
    label(ax, (6.0, 0.15), f"= $(x \\circledast h)[mD]$, $D = {n_in}/{n_out}$", fontsize=8)
    return boxes
