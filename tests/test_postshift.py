"""helpers.postshift: the fitted transfer functions against constructed data whose true filter is
known, the filter as a convolution, and the controls' invariants."""

from __future__ import annotations

import pytest
import torch

from helpers import postshift as P
from conftest import assert_raises_naming


def _random_filter(shape, seed):
    g = torch.Generator().manual_seed(seed)
    h = torch.randn(shape, generator=g, dtype=torch.float64)
    return h, torch.fft.fftn(h)


@pytest.mark.parametrize("shape, ndim", [((8, 6), 2), ((16,), 1)])
def test_transfer_function_recovers_a_known_filter_exactly(shape, ndim):
    h, H = _random_filter(shape, 0)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(5, 3, *shape, generator=g, dtype=torch.float64)
    y = P.circular_convolve(x, h, ndim)
    est = P.transfer_function(x, y, ndim)
    assert torch.allclose(est, H, rtol=0, atol=1e-12 * float(H.abs().max()))
    # with noise on the features the least-squares estimate is still unbiased and close
    noisy = y + 1e-3 * torch.randn(y.shape, generator=g, dtype=torch.float64)
    assert float((P.transfer_function(x, noisy, ndim) - H).abs().max()) < 1e-2


def test_energy_gain_recovers_the_gain_of_a_zero_phase_filter_exactly():
    g = torch.Generator().manual_seed(2)
    _, H = _random_filter((8, 8), 7)
    gain = H.abs().square() + 0.1  # the energy gain of a real filter: real and Hermitian
    filt = P.FourierFilter.from_gain(gain)
    x = torch.randn(7, 3, 8, 8, generator=g, dtype=torch.float64)
    y = filt(x)
    # every sample's energy spectrum is the input's times the gain: the LS gain is exact
    assert torch.allclose(P.energy_gain(x, y), gain, rtol=1e-12)
    # channel counts may differ (an RGB input, a 1-channel feature): channels are averaged
    assert P.energy_gain(x, y.mean(1, keepdim=True)).shape == (8, 8)


def test_fourier_filter_is_a_circular_convolution_with_its_impulse_response():
    h, H = _random_filter((6, 5), 3)
    filt = P.FourierFilter(H)
    x = torch.randn(2, 3, 6, 5, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    assert torch.allclose(filt.impulse_response(), h, atol=1e-14)
    assert torch.allclose(filt(x), P.circular_convolve(x, h), atol=1e-12)
    # a delta response is the identity; the filter has no trainable parameters
    delta = torch.zeros(6, 5, dtype=torch.float64)
    delta[0, 0] = 1
    assert torch.allclose(P.FourierFilter(torch.ones(6, 5))(x), x, atol=1e-15)
    assert torch.allclose(P.circular_convolve(x, delta), x)
    assert list(filt.parameters()) == [] and "H" in dict(filt.named_buffers())
    with pytest.raises(ValueError, match="Hermitian"):
        P.FourierFilter(torch.ones(6, 5) + 1j * torch.rand(6, 5)).impulse_response()


@pytest.mark.parametrize("shape", [(8, 8), (7, 6), (16,)])
def test_permuted_gain_keeps_values_dc_and_hermitian_symmetry(shape):
    g = torch.Generator().manual_seed(5)
    _, H = _random_filter(shape, 6)
    gain = H.abs().square()  # an energy gain of a real filter: Hermitian, real
    perm = P.permuted_gain(gain, g)
    assert torch.equal(perm.reshape(-1).sort().values, gain.reshape(-1).sort().values)
    assert perm.reshape(-1)[0] == gain.reshape(-1)[0]
    assert not torch.equal(perm, gain)
    ndim = len(shape)
    P.FourierFilter.from_gain(perm, ndim).impulse_response()  # real: no error
    assert torch.equal(P.permuted_gain(gain, torch.Generator().manual_seed(5)), perm)


def test_highpass_gain_floor_and_limit():
    hp = P.highpass_gain((32, 32), cutoff=0.1, floor=0.2)
    assert float(hp[0, 0]) == pytest.approx(0.2, abs=1e-15)
    assert float(hp[16, 16]) > 0.99 and float(hp.max()) <= 1.0
    r = torch.fft.fftfreq(32, dtype=torch.float64)
    row = hp[0, :17]
    assert bool((row.diff() >= 0).all())  # rises with the radius along an axis
    assert float(hp[0, 3]) == pytest.approx(0.2 + 0.8 * (r[3] / 0.1) ** 4 / (1 + (r[3] / 0.1) ** 4))


@pytest.mark.parametrize("n", [2, 7, 16, 233])
@pytest.mark.parametrize("coef", [0.0, 0.5, 0.97, 1.0])
def test_preemphasis_gain_is_the_energy_spectrum_of_the_two_tap_kernel(n, coef):
    kernel = torch.zeros(n, dtype=torch.float64)
    kernel[0], kernel[1] = 1.0, -coef
    want = torch.fft.fft(kernel).abs().square()
    gain = P.preemphasis_gain(n, coef)
    assert gain.shape == (n,) and gain.dtype == torch.float64
    assert torch.allclose(gain, want, rtol=0, atol=1e-12)
    assert float(gain[0]) == pytest.approx((1 - coef) ** 2, abs=1e-12)
    if n % 2 == 0:
        assert float(gain[n // 2]) == pytest.approx((1 + coef) ** 2, abs=1e-12)
    # an energy gain of a real filter: Hermitian, so its zero-phase filter is real
    filt = P.FourierFilter.from_gain(gain, ndim=1)
    filt.impulse_response()
    x = torch.randn(3, 1, n, generator=torch.Generator().manual_seed(n), dtype=torch.float64)
    ex, ey = (torch.fft.fft(v).abs().square() for v in (x, filt(x)))
    assert torch.allclose(ey, gain * ex, rtol=1e-9, atol=1e-9)


def test_preemphasis_gain_default_is_speechs_097():
    assert torch.equal(P.preemphasis_gain(64), P.preemphasis_gain(64, 0.97))
    assert float(P.preemphasis_gain(64).max()) == pytest.approx(1.97**2)


@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda: P.preemphasis_gain(16, 1.5), ValueError, "coef"),
        (lambda: P.preemphasis_gain(16, -0.1), ValueError, "coef"),
        (lambda: P.preemphasis_gain(16, "0.97"), TypeError, "coef"),
        (lambda: P.preemphasis_gain(16, float("nan")), ValueError, "coef"),
        (lambda: P.preemphasis_gain(1, 0.97), ValueError, "n"),
        (lambda: P.preemphasis_gain(16.0, 0.97), TypeError, "n"),
        (lambda: P.energy_gain(torch.zeros(2, 4, 4), torch.zeros(2, 4, 5)), ValueError, "grid"),
        (lambda: P.energy_gain(torch.zeros(2, 4, 4), torch.zeros(3, 4, 4)), ValueError, "pair"),
        (
            lambda: P.transfer_function(torch.zeros(2, 3, 4), torch.zeros(2, 1, 4), 1),
            ValueError,
            "shape",
        ),
        (lambda: P.FourierFilter(torch.ones(4)), ValueError, "H"),
        (lambda: P.FourierFilter(torch.ones(4, 4))(torch.ones(2, 4, 5)), ValueError, "grid"),
        (lambda: P.FourierFilter.from_gain(-torch.ones(4, 4)), ValueError, "gain"),
        (lambda: P.circular_convolve(torch.ones(4, 4), torch.ones(3, 3)), ValueError, "h"),
        (lambda: P.highpass_gain((8, 8), cutoff=0.7), ValueError, "cutoff"),
        (
            lambda: P.energy_gain(torch.zeros(2, 4, 4), torch.zeros(2, 4, 4), eps=-1),
            ValueError,
            "eps",
        ),
    ],
)
def test_bad_input_names_the_argument(call, exc, word):
    assert_raises_naming(call, exc, word)


def test_normalised_energy_gain_ignores_the_level_of_each_sample():
    g = torch.Generator().manual_seed(8)
    _, H = _random_filter((8, 8), 9)
    gain = H.abs().square() + 0.1
    x = torch.randn(6, 3, 8, 8, generator=g, dtype=torch.float64)
    y = P.FourierFilter.from_gain(gain)(x)
    scales = torch.rand(6, 1, 1, 1, generator=g, dtype=torch.float64) * 10 + 0.1
    a = P.energy_gain(x, y, normalize=True)
    b = P.energy_gain(x * scales, y, normalize=True)
    assert torch.allclose(a, b, rtol=1e-12)
    # normalised, sample i's feature/input ratio is gain * c_i, c_i = sum E_X,i / sum gain E_X,i:
    # the fitted gain is gain times a weighted mean of the c_i, bin by bin
    ex = torch.fft.fft2(x).abs().square().mean(1)
    c = ex.sum((-2, -1)) / (gain * ex).sum((-2, -1))
    ratio = a / gain
    assert float(ratio.min()) >= float(c.min()) * (1 - 1e-12)
    assert float(ratio.max()) <= float(c.max()) * (1 + 1e-12)


def test_energy_gain_without_a_channel_axis_and_normalised_with_eps():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(6, 5, 7, generator=g), torch.randn(6, 5, 7, generator=g)
    # (N, H, W) is (N, 1, H, W): the grid is the last ndim axes, whatever comes before them
    assert torch.equal(P.energy_gain(x, y), P.energy_gain(x[:, None], y[:, None]))
    assert P.energy_gain(x, y).shape == (5, 7)
    # normalize=True divides each spectrum by its SUM (Algorithm 1), which eps > 0 can see
    ex = torch.fft.fftn(x.double(), dim=(-2, -1)).abs().square()
    ex = ex / ex.sum((-2, -1), keepdim=True)
    want = ex.square().sum(0) / (ex.square().sum(0) + 1e-3)
    got = P.energy_gain(x, x, normalize=True, eps=1e-3)
    assert torch.allclose(got, want, rtol=1e-12, atol=0)


def test_energy_gain_is_zero_where_no_input_has_energy():
    x = torch.ones(3, 1, 4, 4)  # constant images: energy at DC only
    y = torch.randn(3, 2, 4, 4, generator=torch.Generator().manual_seed(1))
    g = P.energy_gain(x, y)
    assert torch.isfinite(g).all() and g[0, 0] > 0
    assert torch.count_nonzero(g) == 1  # every other bin: 0, not 0/0


def test_flat_keeps_the_grid_for_any_number_of_leading_axes():
    t = torch.arange(2 * 3 * 4 * 5.0).reshape(2, 3, 4, 5)
    assert P._flat(t, 2).shape == (6, 4, 5) and P._flat(t[0], 2).shape == (3, 4, 5)
    assert P._flat(t[0, 0], 1).shape == (4, 5)


def test_highpass_gain_needs_an_order_of_at_least_one():
    with pytest.raises(ValueError, match="order"):
        P.highpass_gain(8, 0.1, order=0)
