"""layers: conv = multi-carrier MIMO (eqs 13-14), channel matrix, ReLU = DSB-SC (eq 22), the
rectified-cosine spectrum, CDIFF/ADIFF/ACDIFF/AADIFF (eqs 31-34) and lambda (eq 36)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import assert_raises_naming
from helpers import layers, spectra


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


# ------------------------------------------------------------------------------ conv = MIMO
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("padding", [0, 1, 3])
def test_conv1d_equals_mimo_modulator(stride, padding):
    g = _gen(stride * 10 + padding)
    x = torch.randn(4, 5, 41, generator=g)
    w = torch.randn(6, 5, 3, generator=g)
    b = torch.randn(6, generator=g)
    y = layers.conv1d_as_mimo(x, w, b, stride=stride, padding=padding)
    ref = F.conv1d(x, w, b, stride=stride, padding=padding)
    assert y.shape == ref.shape
    assert (y - ref).abs().max() < 1e-5


def test_conv1d_mimo_unbatched_float64_and_circular():
    g = _gen(1)
    x = torch.randn(3, 32, generator=g, dtype=torch.float64)
    w = torch.randn(2, 3, 5, generator=g, dtype=torch.float64)
    y = layers.conv1d_as_mimo(x, w, padding=2, padding_mode="circular")
    ref = F.conv1d(F.pad(x[None], (2, 2), mode="circular"), w)[0]
    assert y.dtype == torch.float64 and y.shape == (2, 32)
    assert (y - ref).abs().max() < 1e-12


def test_modulating_signals_are_shifted_copies():
    x = torch.arange(10.0).reshape(1, 1, 10)
    xs = layers.modulating_signals(x, kernel_size=3, stride=2)
    # x_{p,k}[n] = x_p[2n + k]
    assert xs.shape == (1, 1, 3, 4)
    assert torch.equal(xs[0, 0, 0], torch.tensor([0.0, 2, 4, 6]))
    assert torch.equal(xs[0, 0, 2], torch.tensor([2.0, 4, 6, 8]))


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), ((1, 2), (2, 0))])
def test_conv2d_equals_mimo_modulator(stride, padding):
    g = _gen(7)
    x = torch.randn(2, 3, 12, 11, generator=g)
    w = torch.randn(4, 3, 3, 2, generator=g)
    b = torch.randn(4, generator=g)
    y = layers.conv2d_as_mimo(x, w, b, stride=stride, padding=padding)
    ref = F.conv2d(x, w, b, stride=stride, padding=padding)
    assert y.shape == ref.shape
    assert (y - ref).abs().max() < 1e-5


def test_conv2d_mimo_circular():
    g = _gen(8)
    x = torch.randn(3, 8, 9, generator=g, dtype=torch.float64)
    w = torch.randn(2, 3, 3, 3, generator=g, dtype=torch.float64)
    y = layers.conv2d_as_mimo(x, w, padding=1, padding_mode="circular")
    ref = F.conv2d(F.pad(x[None], (1, 1, 1, 1), mode="circular"), w)[0]
    assert (y - ref).abs().max() < 1e-12


# --------------------------------------------------------------------------- channel matrix
@pytest.mark.parametrize("k, pad", [(3, 1), (5, 2), (4, 0)])
def test_channel_matrix_diagonalises_circular_conv(k, pad):
    g = _gen(k)
    n = 64
    x = torch.randn(2, 3, n, generator=g, dtype=torch.float64)
    w = torch.randn(4, 3, k, generator=g, dtype=torch.float64)
    y = F.conv1d(F.pad(x, (pad, k - 1 - pad), mode="circular"), w)  # y[n] = sum w[k] x[n+k-pad]
    H = layers.conv_channel_matrix(w, n, padding=pad)  # (n, Q, P)
    Y, X = torch.fft.fft(y, dim=-1), torch.fft.fft(x, dim=-1)
    pred = torch.einsum("fqp,bpf->bqf", H, X)
    assert H.shape == (n, 4, 3)
    assert (Y - pred).abs().max() < 1e-10 * Y.abs().max()


def test_channel_matrix_sign_convention():
    # a single tap at k=1 is a time advance: y[n] = x[n+1]  ->  H(f) = exp(+j 2 pi f)
    w = torch.tensor([[[0.0, 1.0]]], dtype=torch.float64)
    H = layers.conv_channel_matrix(w, 8)[:, 0, 0]
    f = torch.fft.fftfreq(8, dtype=torch.float64)
    assert torch.allclose(H, torch.exp(2j * math.pi * f))


def test_channel_matrix_2d():
    g = _gen(3)
    x = torch.randn(1, 2, 8, 10, generator=g, dtype=torch.float64)
    w = torch.randn(3, 2, 3, 3, generator=g, dtype=torch.float64)
    y = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="circular"), w)
    H = layers.conv_channel_matrix(w, (8, 10), padding=1)
    pred = torch.einsum("uvqp,bpuv->bquv", H, torch.fft.fft2(x))
    assert (torch.fft.fft2(y) - pred).abs().max() < 1e-10 * pred.abs().max()


def test_table2_and_carrier_reading():
    w = torch.zeros(2, 3, 3)
    w[0, :, :] = torch.tensor([1.0, 1.0, 1.0])  # low-pass: dominant frequency 0
    w[1, :, :] = torch.tensor([1.0, -2.0, 1.0])  # high-pass: dominant frequency 1/2
    cr = layers.carrier_reading(w, n_fft=64)
    assert torch.all(cr["f_dominant"][0] == 0) and torch.all(cr["f_dominant"][1] == 0.5)
    assert torch.allclose(cr["peak_gain"][0], torch.full((3,), 3.0, dtype=torch.float64))
    assert torch.allclose(cr["h"][1], torch.full((3,), math.sqrt(6.0), dtype=torch.float64))
    rows = layers.table2(w, input_shape=(1000, 3, 128), padding=1)
    table = {conv: value for conv, _, value in rows}
    assert table["number of input feature maps I_C"] == "3"
    assert table["number of output feature maps O_C"] == "2"
    assert table["kernel parameters O_C x I_C x K_C"] == "2 x 3 x 3 = 18"
    assert table["output feature map O_C x (N_C - K_C + 1)"] == "2 x 128"
    assert table["number of data samples S_C"] == "1,000"
    assert len(layers.table2(w)) == len(rows)


# ------------------------------------------------------------------------------- ReLU, cosine
def test_relu_is_dsb_sc_with_heaviside_carrier():
    y = torch.randn(4, 8, 100, generator=_gen(5))
    carrier, product = layers.relu_as_dsb_sc(y)
    assert torch.equal(product, torch.relu(y))
    assert set(carrier.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(carrier, (y > 0).float())


def test_rectified_cosine_coefficients_match_integral():
    c = layers.rectified_cosine_coefficients(12)
    theta = np.linspace(-np.pi, np.pi, 200_001)
    r = np.maximum(0.0, np.cos(theta))
    for k in range(13):
        num = np.trapezoid(r * np.cos(k * theta), theta) / (np.pi if k else 2 * np.pi)
        assert abs(num - float(c[k])) < 1e-8, k
    assert float(c[0]) == pytest.approx(1 / math.pi)
    assert float(c[1]) == pytest.approx(0.5)
    assert float(c[2]) == pytest.approx(2 / (3 * math.pi))
    assert float(c[4]) == pytest.approx(-2 / (15 * math.pi))
    assert torch.all(c[3::2] == 0)


@pytest.mark.parametrize("n, m0", [(256, 4), (256, 3), (512, 85), (128, 64), (200, 25)])
def test_rectified_cosine_spectrum_matches_fft(n, m0):
    f0, a = m0 / n, 1.7
    t = torch.arange(n, dtype=torch.float64)
    r = a * torch.clamp(torch.cos(2 * math.pi * f0 * t), min=0)
    e_fft = spectra.energy_spectrum(r, shift=False)
    e_cf = layers.rectified_cosine_spectrum_closed_form(n, f0, amplitude=a)
    assert (e_fft - e_cf).abs().max() < 2e-5 * e_fft.max()
    shifted = layers.rectified_cosine_spectrum_closed_form(n, f0, amplitude=a, shift=True)
    assert torch.equal(shifted, torch.fft.fftshift(e_cf))


# --------------------------------------------------------------------------- eqs 31-36
def _mean_spectrum(x, normalize=True):
    return spectra.SpectrumMean(ndim=1, normalize=normalize).update(x).mean


def test_identity_layer_has_zero_differences():
    x = torch.randn(16, 4, 64, generator=_gen(9), dtype=torch.float64)
    psi = _mean_spectrum(x)
    assert torch.equal(layers.cdiff(psi, psi), torch.zeros_like(psi))
    assert torch.equal(layers.adiff(psi, psi), torch.zeros_like(psi))


def test_known_filter_gives_computable_cdiff():
    # a 1 -> 1 circular conv multiplies every energy spectrum by |H(f)|^2 (unnormalised means)
    n = 64
    x = torch.randn(32, 1, n, generator=_gen(10), dtype=torch.float64)
    w = torch.tensor([[[0.25, 0.5, 0.25]]], dtype=torch.float64)  # a low-pass carrier
    y = F.conv1d(F.pad(x, (1, 1), mode="circular"), w)
    psi_x, psi_y = _mean_spectrum(x, False), _mean_spectrum(y, False)
    gain = torch.fft.fftshift(layers.conv_channel_matrix(w, n, padding=1)[:, 0, 0].abs().square())
    d = layers.cdiff(psi_x, psi_y)
    assert torch.allclose(d, (gain - 1) * psi_x, atol=1e-9 * psi_x.max())
    # a low-pass layer removes energy at high |f| and keeps DC: CDIFF <= 0, = 0 at DC
    assert torch.all(d <= 1e-9) and abs(float(d[n // 2])) < 1e-9 * float(psi_x.max())


def test_relu_on_a_cosine_moves_energy_to_dc_and_even_harmonics():
    n, m0 = 128, 8
    t = torch.arange(n, dtype=torch.float64)
    y = torch.cos(2 * math.pi * m0 / n * t).reshape(1, 1, n)
    psi_y = _mean_spectrum(y)
    psi_a = _mean_spectrum(torch.relu(y))
    d = layers.adiff(psi_y, psi_a)
    freqs = spectra.frequency_axis(n)
    assert float(d[freqs == 0]) > 0 and float(d[freqs == 2 * m0 / n]) > 0
    assert float(d[freqs == m0 / n]) < 0
    assert abs(float(d.sum())) < 1e-12, "normalised spectra: differences sum to 0"


def test_to_grid_conserves_energy_and_is_identity_on_same_grid():
    s = torch.rand(64, generator=_gen(11), dtype=torch.float64)
    assert torch.equal(layers.to_grid(s, 64), s)
    for n in (8, 16, 31, 100, 256):
        assert float(layers.to_grid(s, n).sum()) == pytest.approx(float(s.sum()), rel=1e-12)
    flat = torch.full((64,), 1 / 64, dtype=torch.float64)
    assert torch.allclose(layers.to_grid(flat, 16), torch.full((16,), 1 / 16, dtype=torch.float64))
    # a spectrum concentrated at DC stays at DC
    dc = torch.zeros(64, dtype=torch.float64)
    dc[32] = 1
    assert int(layers.to_grid(dc, 16).argmax()) == 8


def test_to_grid_bin_edges_and_symmetry():
    """Old bin j spans (j - N//2 +- 1/2) / N: a misplaced first edge moves every bin by one.

    On 16 bins, new bin 8 spans [-2/64, 2/64], so each of the bins at +-2/64 (spanning
    [1.5, 2.5]/64 and mirrored) gives half its mass to bin 8 and half to bin 9 (or 7).
    """
    pair = torch.zeros(64, dtype=torch.float64)
    pair[32 - 2] = pair[32 + 2] = 1
    want = torch.zeros(16, dtype=torch.float64)
    want[7:10] = torch.tensor([0.5, 1.0, 0.5], dtype=torch.float64)
    assert torch.allclose(layers.to_grid(pair, 16), want, atol=1e-12)
    # a spectrum symmetric about DC (s[N//2 + k] = s[N//2 - k], periodic) stays symmetric
    r = torch.rand(64, generator=_gen(13), dtype=torch.float64)
    sym = r + torch.roll(r.flip(0), 1)
    assert torch.equal(sym, torch.roll(sym.flip(0), 1))
    for n in (16, 32, 100):
        g = layers.to_grid(sym, n)
        assert torch.allclose(g, torch.roll(g.flip(0), 1), atol=1e-12), n
    for n in (15, 31):  # odd grid: DC at n//2, no Nyquist bin
        g = layers.to_grid(sym, n)
        assert torch.allclose(g, g.flip(0), atol=1e-12), n


def test_accumulated_differences_and_lambda():
    g = _gen(12)
    c1, c2 = (
        torch.randn(64, generator=g, dtype=torch.float64),
        torch.randn(32, generator=g, dtype=torch.float64),
    )
    acd = layers.acdiff([c1, c2])
    assert acd.shape == (32,)
    assert torch.allclose(acd, layers.to_grid(c1, 32) + c2)
    assert torch.allclose(layers.acdiff([c2, c2]), 2 * c2)
    aad = layers.aadiff([-0.7 * c1, -0.7 * c2])
    fit = layers.fit_lambda(acd, aad)
    assert (
        fit.lam == pytest.approx(0.7)
        and fit.pearson == pytest.approx(-1.0)
        and fit.explained == pytest.approx(1.0)
    )
    noisy = aad + 0.05 * torch.randn(32, generator=g, dtype=torch.float64)
    fit = layers.fit_lambda(acd, noisy)
    assert 0.6 < fit.lam < 0.8 and fit.pearson < -0.9


def test_fit_lambda_pearson_is_centred_on_curves_with_a_mean():
    """``pearson`` is the Pearson correlation (centred), not the cosine similarity of the curves."""
    g = _gen(14)
    c = torch.randn(32, generator=g, dtype=torch.float64) + 3.0
    a = -0.5 * c + 2.0 + 0.3 * torch.randn(32, generator=g, dtype=torch.float64)
    fit = layers.fit_lambda(c, a)
    assert fit.pearson == pytest.approx(float(np.corrcoef(c.numpy(), a.numpy())[0, 1]), abs=1e-12)
    assert fit.lam == pytest.approx(-float(c @ a) / float(c @ c), rel=1e-12)  # through the origin
    assert layers.fit_lambda(c, 5.0 - 2.0 * c).pearson == pytest.approx(-1.0, abs=1e-12)
    assert layers.fit_lambda(c, 2.0 * c - 7.0).pearson == pytest.approx(1.0, abs=1e-12)


def test_layer_differences_from_results():
    psi = {n: torch.rand(16, dtype=torch.float64, generator=_gen(i)) for i, n in enumerate("xyza")}
    results = {"conv1": (psi["x"], psi["z"]), "act1": (psi["y"], psi["a"])}
    out = layers.layer_differences(results, [("conv1", "act1")])
    assert torch.equal(out["cdiff"][0], psi["y"] - psi["x"])
    assert torch.equal(out["adiff"][0], psi["a"] - psi["y"])
    with pytest.raises(ValueError, match="act9"):
        layers.layer_differences(results, [("conv1", "act9")])


# ---------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    "call, exc, word",
    [
        (
            lambda: layers.conv1d_as_mimo(torch.zeros(1, 2, 8), torch.zeros(3, 4, 3)),
            ValueError,
            "channels",
        ),
        (
            lambda: layers.conv1d_as_mimo(torch.zeros(1, 2, 8), torch.zeros(3, 2)),
            ValueError,
            "weight",
        ),
        (lambda: layers.conv1d_as_mimo("x", torch.zeros(3, 2, 3)), TypeError, "x"),
        (
            lambda: layers.conv1d_as_mimo(torch.zeros(1, 2, 8), torch.zeros(3, 2, 3), stride=0),
            ValueError,
            "stride",
        ),
        (
            lambda: layers.conv1d_as_mimo(torch.zeros(1, 2, 8), torch.zeros(3, 2, 3), padding=-1),
            ValueError,
            "padding",
        ),
        (
            lambda: layers.conv1d_as_mimo(
                torch.zeros(1, 2, 8), torch.zeros(3, 2, 3), padding_mode="reflect"
            ),
            ValueError,
            "padding_mode",
        ),
        (
            lambda: layers.conv1d_as_mimo(
                torch.zeros(1, 2, 8), torch.zeros(3, 2, 3), bias=torch.zeros(2)
            ),
            ValueError,
            "bias",
        ),
        (
            lambda: layers.conv2d_as_mimo(
                torch.zeros(1, 2, 8, 8), torch.zeros(3, 2, 3, 3), stride=(1, 2, 3)
            ),
            TypeError,
            "stride",
        ),
        (lambda: layers.conv_channel_matrix(torch.zeros(3, 2, 5), 4), ValueError, "n="),
        (lambda: layers.rectified_cosine_spectrum_closed_form(100, 0.013), ValueError, "f0"),
        (lambda: layers.rectified_cosine_spectrum_closed_form(100, 0.7), ValueError, "f0"),
        (
            lambda: layers.rectified_cosine_spectrum_closed_form(100, 0.25, amplitude=-1),
            ValueError,
            "amplitude",
        ),
        (lambda: layers.cdiff(torch.zeros(8), torch.zeros(16)), ValueError, "psi_x"),
        (lambda: layers.acdiff(torch.zeros(8)), TypeError, "cdiffs"),
        (lambda: layers.fit_lambda(torch.zeros(8), torch.ones(8)), ValueError, "acdiff"),
        (lambda: layers.to_grid(torch.zeros(4, 4), 2), ValueError, "spectrum"),
        (
            lambda: layers.table2(torch.zeros(2, 3, 3), input_shape=(10, 4, 32)),
            ValueError,
            "input_shape",
        ),
    ],
)
def test_bad_inputs_name_the_argument(call, exc, word):
    with pytest.raises(exc, match=word):
        call()


# ---------------------------------------------------------------------------- edge cases
def test_circular_pad_follows_f_pad_order_with_unequal_sides():
    """_pad takes F.pad order (last dim first, (lo, hi) per dim): unequal sides must not swap."""
    t = torch.arange(24.0, dtype=torch.float64).reshape(1, 2, 3, 4)
    for pads in [(1, 2), (0, 3), (1, 2, 2, 0), (2, 1, 0, 2)]:
        u = t.reshape(1, 6, 4) if len(pads) == 2 else t  # F.pad's circular mode needs
        want = F.pad(u, pads, mode="circular")  # 3-D input for 1-D padding
        assert torch.equal(layers._pad(u, pads, "circular"), want), pads
    x1 = torch.arange(5.0, dtype=torch.float64).reshape(1, 1, 5)
    assert layers._pad(x1, (2, 7), "circular")[0, 0].tolist() == [
        3,
        4,
        0,
        1,
        2,
        3,
        4,
        0,
        1,
        2,
        3,
        4,
        0,
        1,
    ]  # wraps past N


def test_conv2d_mimo_circular_with_unequal_paddings():
    """Circular padding (p1, p2) with p1 != p2 pads rows by p1 and columns by p2 on both sides."""
    g = _gen(15)
    x = torch.randn(2, 3, 7, 9, generator=g, dtype=torch.float64)
    w = torch.randn(2, 3, 3, 5, generator=g, dtype=torch.float64)
    y = layers.conv2d_as_mimo(x, w, padding=(1, 2), padding_mode="circular")
    ref = F.conv2d(F.pad(x, (2, 2, 1, 1), mode="circular"), w)
    assert y.shape == ref.shape == (2, 2, 7, 9) and (y - ref).abs().max() < 1e-12


def test_carrier_reading_n_fft_equal_to_the_kernel_size():
    """n_fft = K is enough (n_fft >= K); n_fft < K must be refused whatever Q and P are."""
    w = torch.ones(1, 1, 4, dtype=torch.float64)
    cr = layers.carrier_reading(w, n_fft=4)
    assert torch.allclose(cr["gain"][0, 0], torch.tensor([4.0, 0.0, 0.0], dtype=torch.float64))
    assert float(cr["f_dominant"][0, 0]) == 0.0 and float(cr["peak_gain"][0, 0]) == 4.0
    for shape in [(1, 1, 5), (2, 3, 5), (6, 1, 5)]:
        assert_raises_naming(
            lambda s=shape: layers.carrier_reading(torch.ones(s), n_fft=4), ValueError, "n_fft"
        )


@pytest.mark.parametrize("shape", [(10, 3), (10, 3, 32, 1), 128, "10, 3, 32"])
def test_table2_refuses_input_shapes_that_are_not_a_triple(shape):
    """input_shape must be a 3-tuple (S, P, N): anything else is a TypeError naming it."""
    w = torch.zeros(2, 3, 3)
    assert_raises_naming(lambda: layers.table2(w, input_shape=shape), TypeError, "input_shape")


def test_rectified_cosine_spectrum_at_n_2():
    """n = 2 is valid (n >= 2): max(0, cos(pi t)) = [1, 0] has the energy spectrum [1, 1]."""
    e = layers.rectified_cosine_spectrum_closed_form(2, 0.5)
    assert torch.allclose(e, torch.ones(2, dtype=torch.float64), atol=1e-4)
    assert_raises_naming(
        lambda: layers.rectified_cosine_spectrum_closed_form(1, 0.5), ValueError, "n"
    )


@pytest.mark.parametrize("n, m0", [(101, 10), (9, 2)])
def test_rectified_cosine_spectrum_shift_at_odd_n_puts_dc_at_n_over_2(n, m0):
    """shift=True is fftshift (DC at n // 2), not ifftshift: the two differ only at odd n."""
    t = torch.arange(n, dtype=torch.float64)
    r = torch.clamp(torch.cos(2 * math.pi * m0 / n * t), min=0)
    want = spectra.energy_spectrum(r, shift=True)
    got = layers.rectified_cosine_spectrum_closed_form(n, m0 / n, shift=True)
    assert (got - want).abs().max() < 2e-5 * want.max()
    assert int(got.argmax()) == n // 2  # DC (n c_0 = n / pi) is the largest bin


BAD_SPECTRA = [
    (
        lambda: layers.cdiff(torch.ones(8, dtype=torch.complex128), torch.ones(8)),
        TypeError,
        "psi_x",
    ),
    (lambda: layers.adiff(torch.ones(8), torch.ones(8, dtype=torch.complex64)), TypeError, "psi_a"),
    (lambda: layers.cdiff(torch.tensor(1.0), torch.tensor(2.0)), ValueError, "psi_x"),
    (lambda: layers.fit_lambda(torch.tensor(1.0), torch.tensor(-1.0)), ValueError, "acdiff"),
    (
        lambda: layers.layer_differences({"c": (1, 2), "a": (3, 4)}, [("c", "a", "c")]),
        TypeError,
        "pairs",
    ),
    (lambda: layers.layer_differences({"c": (1, 2), "a": (3, 4)}, [["c"]]), TypeError, "pairs"),
]


@pytest.mark.parametrize(
    "call, exc, name",
    BAD_SPECTRA,
    ids=[f"{b[1].__name__}-{b[2]}-{i}" for i, b in enumerate(BAD_SPECTRA)],
)
def test_complex_or_scalar_spectra_and_bad_pairs_are_refused(call, exc, name):
    """Spectra must be real and at least 1-D, pairs must be 2-tuples: refused, naming them."""
    assert_raises_naming(call, exc, name)


def test_fit_lambda_explained_known_answer_and_zero_aadiff():
    """explained = 1 - ||a + lam c||^2 / ||a||^2 on a hand example; NaN (no crash) for a = 0."""
    c = torch.tensor([1.0, 0.0, 0.0, 0.0], dtype=torch.float64)
    a = torch.tensor([-2.0, 1.0, 1.0, 0.0], dtype=torch.float64)
    fit = layers.fit_lambda(c, a)  # lam = -<c, a> / <c, c> = 2; residual [0, 1, 1, 0]
    assert fit.lam == pytest.approx(2.0) and fit.explained == pytest.approx(1.0 - 2.0 / 6.0)
    zero = layers.fit_lambda(c, torch.zeros(4, dtype=torch.float64))  # an idle activation
    assert zero.lam == 0.0 and math.isnan(zero.explained) and math.isnan(zero.pearson)


def test_hz_band_keeps_physical_frequency_where_to_grid_keeps_normalised():
    # 64 bins at 8 kHz: 125 Hz per bin; the band of a 2 kHz layer with 16 bins (also 125 Hz/bin)
    line = torch.zeros(64, dtype=torch.float64)
    line[32 + 4] = 1.0  # a line at +500 Hz
    band = layers.hz_band(line, 16, rate=8000, band_rate=2000)
    assert int(band.argmax()) == 8 + 4  # still 500 Hz = 4 bins of 125 Hz
    assert int(layers.to_grid(line, 16).argmax()) == 8 + 1  # normalised: 1/16 cycle/sample
    s = torch.rand(64, generator=_gen(), dtype=torch.float64)
    assert torch.equal(layers.hz_band(s, 16, 8000, 2000), s[24:40])  # equal bin widths: a cut
    assert torch.equal(layers.hz_band(s, 64, 8000, 8000), s)
    coarse = layers.hz_band(s, 8, 8000, 2000)  # 250 Hz bins: the band's energy kept
    assert float(coarse.sum()) == pytest.approx(float(s[24:40].sum()), rel=1e-12)
    with pytest.raises(ValueError, match="band_rate"):
        layers.hz_band(s, 16, 2000, 8000)
    with pytest.raises(ValueError, match="whole number"):
        layers.hz_band(s, 16, 8000, 3100)
