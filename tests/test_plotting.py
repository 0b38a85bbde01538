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
