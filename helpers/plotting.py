"""One plotting style for the book, and the three plots every chapter uses.

* :func:`use_style` -- sizes, grid, colour cycle (Okabe-Ito, colour-blind safe), dpi 110.
* :func:`plot_spectrum` -- an energy spectrum against frequency (Wu et al. 2022, eq 3; Figs 1, 3).
* :func:`plot_spectrum2d` -- a centred 2-D energy spectrum with the 60/80/90 % energy contours of
  Wu et al. 2022, Algorithm 1 (lines 8-12; Fig. 20).
* :func:`plot_waveform` -- a signal against time in seconds.
* :func:`plot_stem` -- a sequence ``h[n]`` as stems (kernels, impulse responses).
* :func:`explorer` -- sliders for a chapter's ``explore(...)`` function, drawn only where a kernel
  is live (ipywidgets 7, Colab's, and 8); a batch run (papermill, the book's build) skips them.

Every function draws on an ``ax`` the caller made (``fig, ax = plt.subplots()``), labels both axes
with units and returns the artist it drew. Tensors and arrays are both accepted.
"""

from __future__ import annotations

import inspect
import os

import matplotlib as mpl
import numpy as np

from . import checks
from .spectra import energy_contours, frequency_axis

__all__ = [
    "use_style",
    "plot_spectrum",
    "plot_spectrum2d",
    "plot_waveform",
    "plot_stem",
    "explorer",
    "HEADLESS_ENV",
    "COLORS",
]

#: Set (to 1) by the book's runner in the chapters' kernels: no frontend will ever draw a widget.
HEADLESS_ENV = "CMT_HEADLESS"

#: Okabe-Ito palette (colour-blind safe), the book's colour cycle.
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")

STYLE = {
    "figure.dpi": 110,
    "savefig.dpi": 110,
    "figure.figsize": (6.4, 3.6),
    "figure.constrained_layout.use": True,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=COLORS),
    "lines.linewidth": 1.4,
    "image.cmap": "viridis",
    "legend.frameon": False,
}


def use_style() -> dict:
    """Apply the book's matplotlib style (sizes, grid, Okabe-Ito colours, dpi 110); returns the
    settings.

    Call once at the top of a chapter. It only updates ``matplotlib.rcParams`` (the backend is
    untouched), so it is safe on headless machines and in papermill runs.
    """
    mpl.rcParams.update(STYLE)
    return dict(STYLE)


def _numpy(x, name: str) -> np.ndarray:
    t = checks.tensor(x, name, allow_complex=False, check_finite=False)
    return t.detach().cpu().numpy()


def _check_ax(ax):
    from matplotlib.axes import Axes

    checks.instance(ax, "ax", Axes, "a matplotlib Axes (e.g. from plt.subplots())")


def plot_spectrum(ax, freqs, energy, label=None, db=True, xlabel="frequency (cycles/sample)", **kw):
    """Plot an energy spectrum ``E(f)`` (Wu et al. 2022, eq 3) against frequency.

    Args:
        ax: matplotlib Axes.
        freqs: ``(N,)`` frequencies (e.g. :func:`helpers.spectra.frequency_axis`).
        energy: ``(N,)`` non-negative energy spectrum in the same order as ``freqs``.
        label: legend label.
        db: plot ``10 log10(E)`` (dB; values below ``1e-12`` of the maximum are clipped there so
            exact zeros do not become -inf); otherwise linear.
        xlabel: x-axis label (pass e.g. ``"frequency (Hz)"`` with ``frequency_axis(n, fs)``).
        **kw: passed to ``ax.plot`` (colour, linestyle, ...).

    Returns:
        The ``Line2D``.
    """
    _check_ax(ax)
    f = _numpy(freqs, "freqs")
    e = _numpy(energy, "energy")
    if f.ndim != 1 or e.shape != f.shape:
        raise ValueError(f"freqs and energy must both have shape (N,), got {f.shape} and {e.shape}")
    if db:
        floor = max(float(np.max(e)) * 1e-12, np.finfo(np.float64).tiny)
        e = 10 * np.log10(np.maximum(e, floor))
    (line,) = ax.plot(f, e, label=label, **kw)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("energy (dB)" if db else "energy")
    if label is not None:
        ax.legend()
    return line


def plot_spectrum2d(ax, spectrum, contours=(0.6, 0.8, 0.9), log=True, title=None):
    """Show a centred 2-D energy spectrum with its energy contours (Wu et al. 2022, Algorithm 1;
    Fig. 20).

    Args:
        ax: matplotlib Axes.
        spectrum: ``(H, W)`` fftshift-centred, non-negative (e.g. ``SpectrumMean(ndim=2).mean``).
        contours: energy fractions whose :func:`helpers.spectra.energy_contours` thresholds are
            drawn as labelled lines (the region inside a line holds that fraction of the energy);
            ``None`` or ``()`` for none.
        log: colour by ``log10`` of the spectrum (clipped at ``1e-12`` of the maximum).
        title: axes title.

    Returns:
        The ``AxesImage`` (for ``fig.colorbar(im, ax=ax)``). Both axes are in cycles/sample:
        horizontal frequency ``beta / W`` and vertical ``alpha / H`` of eq 39, DC at the centre.
    """
    _check_ax(ax)
    s = _numpy(spectrum, "spectrum")
    if s.ndim != 2 or min(s.shape) < 2:
        raise ValueError(f"spectrum must be a 2-D (H, W) array with H, W >= 2, got shape {s.shape}")
    h, w = s.shape
    fy = frequency_axis(h).numpy()
    fx = frequency_axis(w).numpy()
    extent = (fx[0] - 0.5 / w, fx[-1] + 0.5 / w, fy[0] - 0.5 / h, fy[-1] + 0.5 / h)
    shown = (
        np.log10(np.maximum(s, max(float(s.max()) * 1e-12, np.finfo(np.float64).tiny)))
        if log
        else s
    )
    im = ax.imshow(
        shown,
        origin="lower",
        extent=extent,
        aspect="auto" if h != w else "equal",
        interpolation="nearest",
    )
    im.set_label("log10 energy" if log else "energy")
    if contours:
        th = energy_contours(s, contours)
        by_value = {}
        for level, value in th.items():  # equal thresholds (flat spectra) share one line
            by_value.setdefault(value, []).append(level)
        values = sorted(by_value)
        drawn = np.log10(values) if log else np.asarray(values)
        if len(np.unique(drawn)) == len(drawn) and np.ptp(shown) > 0:
            cs = ax.contour(fx, fy, shown, levels=drawn, colors="white", linewidths=1.0)
            names = {d: "/".join(f"{lv:.0%}" for lv in by_value[v]) for d, v in zip(drawn, values)}
            ax.clabel(cs, fmt=lambda d: names[min(names, key=lambda k: abs(k - d))], fontsize=8)
    ax.set_xlabel("horizontal frequency (cycles/sample)")
    ax.set_ylabel("vertical frequency (cycles/sample)")
    ax.grid(False)
    if title is not None:
        ax.set_title(title)
    return im


def plot_waveform(ax, x, fs, label=None, **kw):
    """Plot a signal ``x[n]`` against time ``n / fs`` in seconds (the messages of Wu et al. 2022,
    eq 2).

    Args:
        ax: matplotlib Axes.
        x: ``(N,)`` signal.
        fs: sample rate in Hz (8000 for FSDD).
        label: legend label.
        **kw: passed to ``ax.plot``.

    Returns:
        The ``Line2D``.
    """
    _check_ax(ax)
    y = _numpy(x, "x")
    if y.ndim != 1:
        raise ValueError(f"x must be a 1-D signal (N,), got shape {y.shape}")
    t = np.arange(len(y)) / checks.positive(fs, "fs")
    (line,) = ax.plot(t, y, label=label, **kw)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("amplitude")
    if label is not None:
        ax.legend()
    return line


def plot_stem(ax, n, h, **kw):
    """Plot ``h[n]`` as stems against the sample index ``n`` (``ax.stem``, which in matplotlib
    3.10.0 refuses tensors: both are converted here).

    Returns:
        The ``StemContainer``.
    """
    _check_ax(ax)
    x, y = _numpy(n, "n"), _numpy(h, "h")
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"n and h must be 1-D of the same length, got {x.shape} and {y.shape}")
    out = ax.stem(x, y, **kw)
    ax.set_xlabel("sample $n$")
    return out


def explorer(fn, headless: bool | None = None, **controls):
    """Sliders for ``fn`` (``ipywidgets.interactive``), displayed when a kernel is live.

    ``controls`` maps each argument of ``fn`` to ``(min, max, step, label)``; the slider starts at
    the argument's default in ``fn``'s signature (an ``IntSlider`` when min, max, step and the
    default are ints, else a ``FloatSlider``), with ``continuous_update=False`` so a figure is
    redrawn when the slider is released. Only API common to ipywidgets 7 and 8 is used.

    In a batch run (``headless``; default: the environment variable :data:`HEADLESS_ENV`, which
    the book's runner sets) nothing is built: no frontend would draw the sliders, and a widget's
    output capture can stall a headless kernel client. The chapter draws the figure at the
    default values in a cell of its own, so the page shows it either way. Returns the displayed
    ``interactive`` widget, or ``None`` when headless.
    """
    checks.function(fn, "fn", "a function of the controlled arguments")
    if not controls:
        raise ValueError(
            "controls must name at least one argument of fn, e.g. f1_hz=(0, 1000, 50, 'f1')"
        )
    params = inspect.signature(fn).parameters
    specs = {}
    for name, spec in controls.items():
        if name not in params or params[name].default is inspect.Parameter.empty:
            raise ValueError(f"{name} must be an argument of fn with a default value")
        checks.sequence(spec, name, "a (min, max, step, label) tuple", length=4)
        lo, hi, step = (checks.real(v, name) for v in spec[:3])
        if not lo <= params[name].default <= hi or not step > 0:
            raise ValueError(
                f"{name} must satisfy min <= default <= max and step > 0, got {tuple(spec[:3])} "
                f"with default {params[name].default!r}"
            )
        specs[name] = (spec, params[name].default)
    if headless is None:
        headless = os.environ.get(HEADLESS_ENV, "") not in ("", "0")
    if checks.boolean(headless, "headless"):
        print("(sliders: run this chapter in Colab or Jupyter to move them)")
        return None
    import ipywidgets as widgets
    from IPython.display import display

    sliders = {}
    for name, ((lo, hi, step, label), default) in specs.items():
        ints = all(isinstance(v, int) and not isinstance(v, bool) for v in (lo, hi, step, default))
        kind = widgets.IntSlider if ints else widgets.FloatSlider
        sliders[name] = kind(
            value=default,
            min=lo,
            max=hi,
            step=step,
            description=str(label),
            continuous_update=False,
        )
    widget = widgets.interactive(fn, **sliders)
    display(widget)
    return widget
