"""helpers.plotting: the plots run headless (Agg) and label their axes with units."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from helpers import plotting, signals, spectra  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_use_style_sets_rcparams():
    settings = plotting.use_style()
    assert matplotlib.rcParams["figure.dpi"] == 110 and settings["axes.grid"] is True
    assert matplotlib.rcParams["axes.prop_cycle"].by_key()["color"][0] == plotting.COLORS[0]


def test_plot_spectrum_and_waveform_label_axes():
    plotting.use_style()
    x = signals.dsb_sc(torch.randn(400, dtype=torch.float64), 0.25)
    fig, (a1, a2, a3) = plt.subplots(1, 3)
    line = plotting.plot_spectrum(
        a1, spectra.frequency_axis(400), spectra.energy_spectrum(x), label="m"
    )
    assert line.get_label() == "m" and np.isfinite(line.get_ydata()).all()
    assert a1.get_xlabel() == "frequency (cycles/sample)" and "dB" in a1.get_ylabel()
    plotting.plot_spectrum(
        a2, spectra.frequency_axis(400, fs=8000), np.zeros(400), db=False, xlabel="frequency (Hz)"
    )
    assert a2.get_xlabel() == "frequency (Hz)" and a2.get_ylabel() == "energy"
    w = plotting.plot_waveform(a3, x, fs=8000)
    assert a3.get_xlabel() == "time (s)" and a3.get_ylabel() == "amplitude"
    assert w.get_xdata()[-1] == pytest.approx(399 / 8000)
    fig.canvas.draw()


def test_plot_spectrum2d_extent_contours_and_labels():
    imgs = torch.rand(4, 3, 16, 20, dtype=torch.float64).cumsum(-1).cumsum(-2)
    mean = spectra.SpectrumMean(ndim=2).update(imgs).mean
    fig, ax = plt.subplots()
    im = plotting.plot_spectrum2d(ax, mean, title="mean")
    left, right, bottom, top = im.get_extent()
    # pixel centres sit on the DFT frequencies: -1/2 .. 1/2 - 1/W horizontally, same vertically
    assert (left + 0.5 / 20, right - 0.5 / 20) == pytest.approx((-0.5, 0.5 - 1 / 20))
    assert (bottom + 0.5 / 16, top - 0.5 / 16) == pytest.approx((-0.5, 0.5 - 1 / 16))
    assert "cycles/sample" in ax.get_xlabel() and "cycles/sample" in ax.get_ylabel()
    assert ax.get_title() == "mean"
    assert len(ax.collections) >= 1  # the contour set
    assert {t.get_text() for t in ax.texts} <= {"60%", "80%", "90%"} and ax.texts
    fig.colorbar(im, ax=ax)
    fig.canvas.draw()
    _, ax2 = plt.subplots()
    plotting.plot_spectrum2d(ax2, mean.numpy(), contours=None, log=False)
    assert not ax2.collections


def test_plotting_bad_input():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="freqs"):
        plotting.plot_spectrum(ax, np.arange(4), np.arange(5))
    with pytest.raises(ValueError, match="spectrum"):
        plotting.plot_spectrum2d(ax, np.ones(8))
    with pytest.raises(ValueError, match="fs"):
        plotting.plot_waveform(ax, np.ones(8), fs=0)
    with pytest.raises(TypeError, match="ax"):
        plotting.plot_waveform("axes", np.ones(8), fs=1)


def test_spectrum_plot_draws_through_the_plotting_helpers():
    fig, (a1, a2, a3) = plt.subplots(1, 3)
    x = signals.dsb_sc(torch.randn(400, dtype=torch.float64), 0.25)
    s = spectra.Spectrum.of(x + 1.0, fs=8000)
    line = s.plot(a1, label="m")
    assert a1.get_xlabel() == "frequency (Hz)" and len(line.get_xdata()) == 400
    np.testing.assert_allclose(line.get_xdata(), spectra.frequency_axis(400, fs=8000).numpy())
    dropped = s.drop_dc().normalized().plot(a2, db=False)
    assert len(dropped.get_xdata()) == 399 and 0.0 not in dropped.get_xdata(), "DC left out"
    assert a2.get_ylabel() == "energy"
    im = spectra.Spectrum.of(torch.randn(8, 8), ndim=2).plot(a3, contours=None)
    assert a3.get_xlabel().startswith("horizontal frequency") and im.get_array().shape == (8, 8)
    plt.sca(a1)
    assert spectra.Spectrum.of(torch.randn(16)).plot() in a1.lines


def test_plot_stem_takes_tensors_and_checks_shapes():
    """matplotlib 3.10.0 ax.stem fails on tensors (np.min on a Tensor): the helper converts."""
    fig, ax = plt.subplots()
    n = torch.arange(-3, 4)
    out = plotting.plot_stem(ax, n, torch.sinc(n.double() / 2.0))
    np.testing.assert_allclose(out.markerline.get_ydata(), np.sinc(np.arange(-3, 4) / 2.0))
    assert ax.get_xlabel() == "sample $n$"
    with pytest.raises(ValueError, match="same length"):
        plotting.plot_stem(ax, n, torch.ones(3))


def _explore(f1_hz=500, gain=0.5):
    calls.append((f1_hz, gain))


calls: list = []


def test_explorer_builds_sliders_from_the_defaults_or_nothing_when_headless(monkeypatch, capsys):
    calls.clear()
    w = plotting.explorer(
        _explore, headless=False, f1_hz=(0, 1000, 50, "f1 (Hz)"), gain=(0, 1, 0.1, "gain")
    )
    f1, gain = w.children[:2]
    assert type(f1).__name__ == "IntSlider" and (f1.value, f1.min, f1.max, f1.step) == (
        500,
        0,
        1000,
        50,
    )
    assert type(gain).__name__ == "FloatSlider" and gain.value == 0.5
    assert not f1.continuous_update and f1.description == "f1 (Hz)"
    assert calls and calls[-1] == (500, 0.5)  # drawn once at the defaults
    monkeypatch.setenv(plotting.HEADLESS_ENV, "1")
    calls.clear()
    assert plotting.explorer(_explore, f1_hz=(0, 1000, 50, "f1")) is None and not calls
    assert "Colab or Jupyter" in capsys.readouterr().out
    monkeypatch.setenv(plotting.HEADLESS_ENV, "0")
    assert plotting.explorer(_explore, f1_hz=(0, 1000, 50, "f1")) is not None


@pytest.mark.parametrize(
    "controls, match",
    [
        ({}, "at least one"),
        ({"nope": (0, 1, 1, "x")}, "nope must be an argument"),
        ({"f1_hz": (0, 100, 50, "f1")}, "min <= default <= max"),
        ({"f1_hz": (0, 1000, 0, "f1")}, "step > 0"),
    ],
)
def test_explorer_refuses_bad_controls(controls, match):
    with pytest.raises(ValueError, match=match):
        plotting.explorer(_explore, headless=True, **controls)
    with pytest.raises(TypeError, match="f1_hz"):
        plotting.explorer(_explore, headless=True, f1_hz=(0, 1000))
