"""pooling: eq 27 (avg pool = conv), the box response, spectral pooling and eqs 28-30, blur pooling,
shift-equivariance measures and the transposed convolution as zero insertion + convolution."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from helpers import pooling as P
from tests.conftest import assert_raises_naming

DT = torch.float64


def _rand(*shape, seed=0, dtype=DT):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


# ---------------------------------------------------------------------------------- eq 27
AVG_CASES = [
    (k, s, p, c, ci)
    for k, s, p, c, ci in itertools.product(
        [1, 2, 3, 4, 5], [None, 1, 2, 3], [0, 1, 2], [False, True], [False, True]
    )
    if p <= k // 2
]


@pytest.mark.parametrize("n", [7, 8, 13])
def test_avg_pool_1d_equals_torch_for_every_option(n):
    x = _rand(2, 3, n, seed=n)
    checked = 0
    for k, s, p, c, ci in AVG_CASES:
        if n + 2 * p < k:
            continue
        ref = F.avg_pool1d(x, k, s, p, c, ci)
        y = P.avg_pool_as_conv(x, k, s, p, c, ci)
        assert y.shape == ref.shape, (k, s, p, c, ci)
        assert torch.allclose(y, ref, atol=1e-12, rtol=0), (k, s, p, c, ci)
        checked += 1
    assert checked > 100


def test_avg_pool_2d_equals_torch_including_ceil_mode_and_padding():
    x = _rand(2, 3, 9, 12, seed=1)
    for k, s, p, c, ci in AVG_CASES:
        ref = F.avg_pool2d(x, k, s, p, c, ci)
        y = P.avg_pool_as_conv(x, k, s, p, c, ci)
        assert y.shape == ref.shape and torch.allclose(y, ref, atol=1e-12, rtol=0), (k, s, p, c, ci)
    # rectangular kernels, strides and paddings
    ref = F.avg_pool2d(x, (3, 2), (2, 1), (1, 0), True, False)
    assert torch.allclose(
        P.avg_pool_as_conv(x, (3, 2), (2, 1), (1, 0), True, False), ref, atol=1e-12
    )


def test_avg_pool_interior_is_the_plain_box_convolution_float32():
    x = _rand(1, 2, 32, seed=2, dtype=torch.float32)
    y = P.avg_pool_as_conv(x, 4, 2)
    assert y.dtype == torch.float32
    box = torch.full((2, 1, 4), 0.25)
    assert torch.allclose(y, F.conv1d(x, box, stride=2, groups=2), atol=1e-6)
    assert torch.allclose(y, F.avg_pool1d(x, 4, 2), atol=1e-6)


def test_box_response_closed_forms():
    f = torch.linspace(-0.5, 0.5, 101, dtype=DT)
    assert torch.allclose(P.box_response(2, f), torch.cos(math.pi * f).abs(), atol=1e-12)
    H2 = P.box_response((2, 2), (f, f))
    assert H2.shape == (101, 101)
    assert torch.allclose(
        H2, (torch.cos(math.pi * f)[:, None] * torch.cos(math.pi * f)[None, :]).abs(), atol=1e-12
    )
    # against the DFT of the zero-padded box, for several K
    n = 64
    for K in (1, 3, 4, 7):
        h = torch.zeros(n, dtype=DT)
        h[:K] = 1.0 / K
        assert torch.allclose(
            torch.fft.fft(h).abs(), P.box_response(K, torch.fft.fftfreq(n, dtype=DT)), atol=1e-12
        )
    assert float(P.box_response(5, torch.tensor([0.0, 1.0, -2.0])).min()) == 1.0  # the 0/0 limits
    assert float(P.box_response(4, torch.tensor([0.25]))) < 1e-12  # first zero at 1/K


# ---------------------------------------------------------------------------------- eqs 28-30
@pytest.mark.parametrize("n", [8, 9, 12, 15, 16])
def test_spectral_pool_real_and_equal_to_conv_then_decimate(n):
    x = _rand(2, 3, n, seed=n)
    for m in range(1, n + 1):
        y = P.spectral_pool(x, m)
        assert y.shape == (2, 3, m) and y.dtype == DT
        # the output is real: the kept spectrum (with the corner rule) is Hermitian
        X = torch.fft.fft(x)
        idx = torch.fft.fftfreq(m, 1 / m).round().long() % n
        Y = X[..., idx].clone()
        if m % 2 == 0 and m < n:
            Y[..., m // 2] = 0.5 * (X[..., m // 2] + X[..., n - m // 2])
        assert torch.allclose(torch.fft.fft(y), Y * m / n, atol=1e-10)
        assert float(torch.fft.ifft(Y).imag.abs().max()) < 1e-12
        if n % m == 0:
            z = P.spectral_pool_as_conv(x, m)
            assert torch.allclose(z, y, atol=1e-12), (n, m)
            raw = P.spectral_pool(x, m, rescale=False)
            assert torch.allclose(raw, (n / m) * z, atol=1e-11), (
                "the raw crop is N/M times conv + decimation"
            )


def test_spectral_pool_kernel_is_the_inverse_dft_of_the_window():
    for n, m in ((16, 8), (16, 5), (15, 5), (12, 12)):
        H = P.crop_window(n, m)
        h = P.spectral_pool_kernel(n, m)
        assert torch.allclose(torch.fft.fft(h), H.to(torch.complex128), atol=1e-12)
        assert torch.allclose(h, torch.roll(h.flip(0), 1), atol=1e-15), "h is even"
        assert abs(float(h[0]) - float(H.sum()) / n) < 1e-15
    assert (
        P.crop_window(16, 8).tolist().count(0.5) == 2
        and P.crop_window(16, 7).tolist().count(0.5) == 0
    )
    assert torch.equal(P.crop_window(10, 10), torch.ones(10, dtype=DT))
    assert P.spectral_pool_kernel((8, 6), (4, 3)).shape == (8, 6)


def test_spectral_pool_2d_and_constant_preservation():
    x = _rand(2, 3, 12, 16, seed=3)
    for size in ((6, 8), (4, 4), (3, 8), (12, 16), (1, 2)):
        y = P.spectral_pool(x, size)
        assert y.shape == (2, 3, *size)
        assert torch.allclose(y, P.spectral_pool_as_conv(x, size), atol=1e-12)
    c = torch.full((1, 1, 12, 16), 2.5, dtype=DT)
    assert torch.allclose(P.spectral_pool(c, (5, 7)), torch.full((1, 1, 5, 7), 2.5, dtype=DT))
    assert torch.allclose(P.spectral_pool(x, (12, 16)), x, atol=1e-12), "no crop: identity"


def test_spectral_pool_removes_what_lies_above_the_band():
    n = 64
    t = torch.arange(n, dtype=DT)
    low, high = torch.cos(2 * math.pi * 3 * t / n), torch.cos(2 * math.pi * 20 * t / n)
    y = P.spectral_pool((low + high)[None, None], 16)[0, 0]
    expected = torch.cos(2 * math.pi * 3 * torch.arange(16, dtype=DT) / 16)
    assert torch.allclose(y, expected, atol=1e-12)  # the tone above 8 cycles is gone, no alias


def test_spectral_pool_modules_float32_and_gradient():
    x = _rand(2, 4, 33, seed=4, dtype=torch.float32).requires_grad_()
    layer = P.SpectralPool1d(factor=2)
    y = layer(x)
    assert y.shape == (2, 4, 16) and y.dtype == torch.float32
    y.square().sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    assert P.SpectralPool1d(size=10)(x).shape == (2, 4, 10)
    assert P.SpectralPool2d(factor=(2, 3))(torch.randn(1, 2, 8, 9)).shape == (1, 2, 4, 3)
    assert "factor" in repr(layer)


# ---------------------------------------------------------------------------------- blur pooling
def test_binomial_kernel_and_its_response():
    assert torch.allclose(P.binomial_kernel(3), torch.tensor([0.25, 0.5, 0.25], dtype=DT))
    assert torch.allclose(P.binomial_kernel(5) * 16, torch.tensor([1, 4, 6, 4, 1], dtype=DT))
    n = 32
    f = torch.fft.fftfreq(n, dtype=DT)
    for size in (2, 3, 4):
        h = torch.zeros(n, dtype=DT)
        h[:size] = P.binomial_kernel(size)
        assert torch.allclose(
            torch.fft.fft(h).abs(), torch.cos(math.pi * f).abs() ** (size - 1), atol=1e-12
        )


def test_blurpool_equals_binomial_conv_then_subsample():
    x = _rand(2, 3, 20, seed=5, dtype=torch.float32)
    y = P.BlurPool1d(stride=2, filt_size=3)(x)
    ref = F.conv1d(
        F.pad(x, [1, 1], mode="reflect"),
        torch.tensor([[[0.25, 0.5, 0.25]]]).expand(3, 1, 3),
        stride=2,
        groups=3,
    )
    assert torch.allclose(y, ref, atol=1e-7) and y.shape == (2, 3, 10)
    x2 = torch.randn(1, 2, 8, 10)
    assert P.BlurPool2d()(x2).shape == (1, 2, 4, 5)
    assert P.MaxBlurPool1d()(x).shape == (2, 3, 10)
    assert P.MaxBlurPool2d()(x2).shape == (1, 2, 4, 5)
    mb = P.MaxBlurPool1d()
    assert torch.allclose(mb(x), mb.blur(F.max_pool1d(x, 2, 1)))
    assert not list(mb.parameters()), "no learnable parameters"


def test_strided_conv_pool_shape_and_parameters():
    layer = P.StridedConvPool1d(8)
    assert isinstance(layer, nn.Conv1d) and layer.stride == (2,) and layer.kernel_size == (3,)
    assert layer.padding == (1,)
    assert layer(torch.randn(2, 8, 64)).shape == (2, 8, 32)


# ---------------------------------------------------------------------------------- shift measures
def test_fourier_shift_integer_is_roll_and_half_shifts_compose():
    x = _rand(3, 16, seed=6)
    assert torch.allclose(P.fourier_shift(x, 3), torch.roll(x, 3, -1), atol=1e-12)
    assert torch.allclose(
        P.fourier_shift(P.fourier_shift(x[..., :15], 0.5), 0.5),
        torch.roll(x[..., :15], 1, -1),
        atol=1e-12,
    ), "odd length: two half shifts make one"
    assert P.fourier_shift(x, 0.3).dtype == DT


def test_shift_equivariance_exact_for_shifts_by_the_stride_with_circular_layers():
    x = _rand(4, 3, 64, seed=7)
    layers = {
        "max": nn.MaxPool1d(2, 2),
        "avg": nn.AvgPool1d(2, 2),
        "spectral": P.SpectralPool1d(factor=2),
        "blur": P.MaxBlurPool1d(pad_mode="circular"),
        "blurpool": P.BlurPool1d(pad_mode="circular"),
    }
    errs = {}
    for name, layer in layers.items():
        assert P.shift_equivariance(layer, x, shift=2, stride=2) < 1e-6, name
        errs[name] = P.shift_equivariance(layer, x, shift=1, stride=2)
    # the band-limited shift is what an ideal decimator does: spectral pooling is close to 0
    # (only its merged Nyquist bin breaks it), max and average pooling are far from it
    assert errs["spectral"] < 0.2 < errs["blurpool"] < errs["max"]
    assert errs["avg"] > 0.5 and errs["max"] > 0.5
    # a band-limited input (nothing at |k| >= 16 of 64): spectral pooling is exactly equivariant
    # even for the one-sample shift, which moves its output by half a sample
    X = torch.fft.fft(x)
    X[..., (torch.fft.fftfreq(64, 1 / 64).abs() >= 16)] = 0
    xb = torch.fft.ifft(X).real
    assert P.shift_equivariance(P.SpectralPool1d(factor=2), xb, shift=1, stride=2) < 1e-10
    assert P.shift_equivariance(nn.MaxPool1d(2, 2), xb, shift=1, stride=2) > 0.05


def _circular_max_blur_reference(x):
    """The documented circular MaxBlurPool1d: m[n] = max(x[n], x[n+1 mod N]) (the dense max,
    wrapped), then the binomial [1, 2, 1]/4 blur with circular padding, kept at even n."""
    m = torch.maximum(x, torch.roll(x, -1, -1))
    return (0.25 * torch.roll(m, 1, -1) + 0.5 * m + 0.25 * torch.roll(m, -1, -1))[..., ::2]


def test_circular_max_blur_pool_matches_a_direct_reference_at_odd_shifts():
    """pad_mode="circular" wraps the *next* sample for the dense max: padding on the wrong side
    shifts the output by one input sample, which only odd shifts reveal."""
    layer = P.MaxBlurPool1d(pad_mode="circular")
    x = _rand(2, 3, 16, seed=12)
    for shift in (0, 1, 2, 3):
        xs = torch.roll(x, shift, -1)
        assert torch.allclose(layer(xs), _circular_max_blur_reference(xs), atol=1e-12), shift
    # known answers: an impulse at sample p of 8 gives m = 1 at p - 1 and p, blurred to
    # [.25, .75, .75, .25] at p - 2 .. p + 1, of which the even samples are kept
    want = {0: [0.75, 0, 0, 0.25], 1: [0.75, 0.25, 0, 0], 3: [0, 0.75, 0.25, 0]}
    for p, w in want.items():
        delta = torch.zeros(1, 1, 8, dtype=DT)
        delta[..., p] = 1
        assert torch.allclose(layer(delta)[0, 0], torch.tensor(w, dtype=DT), atol=1e-12), p
    # 2-D: the dense 2x2 max and the binomial blur are both separable, so rows then columns
    x2 = _rand(1, 2, 6, 8, seed=13)
    m2 = torch.maximum(x2, torch.roll(x2, -1, -1))
    m2 = torch.maximum(m2, torch.roll(m2, -1, -2))
    b2 = 0.25 * torch.roll(m2, 1, -1) + 0.5 * m2 + 0.25 * torch.roll(m2, -1, -1)
    b2 = 0.25 * torch.roll(b2, 1, -2) + 0.5 * b2 + 0.25 * torch.roll(b2, -1, -2)
    got = P.MaxBlurPool2d(pad_mode="circular")(x2)
    assert torch.allclose(got, b2[..., ::2, ::2], atol=1e-12)


def test_shift_consistency_counts_unchanged_labels():
    torch.manual_seed(0)

    class Peak(nn.Module):  # the class is the position of the maximum mod 10
        def forward(self, x):
            return F.one_hot(x[:, 0].argmax(-1) % 10, 10).double()

    x = _rand(50, 1, 40, seed=8)
    assert P.shift_consistency(Peak(), x, shift=0) == 1.0
    assert P.shift_consistency(Peak(), x, shift=1) < 0.2  # a shift moves every peak by one
    assert P.shift_consistency(Peak(), x, shift=10) > 0.6  # except those that wrap around


# ---------------------------------------------------------------------------------- deconvolution
@pytest.mark.parametrize(
    "stride, padding, output_padding, k",
    [
        (s, p, op, k)
        for s, p, op, k in itertools.product([1, 2, 3], [0, 1, 2], [0, 1, 2], [1, 2, 3, 4])
        if op < s
    ],
)
def test_transposed_conv_is_zero_insertion_then_flipped_conv(stride, padding, output_padding, k):
    x = _rand(2, 3, 7, seed=9)
    w = _rand(3, 4, k, seed=10)
    b = _rand(4, seed=11)
    try:
        ref = F.conv_transpose1d(x, w, b, stride, padding, output_padding)
    except RuntimeError:
        pytest.skip("torch rejects this combination")
    y = P.transposed_conv_as_zero_insertion(x, w, b, stride, padding, output_padding)
    assert y.shape == ref.shape and torch.allclose(y, ref, atol=1e-10)
    x2, w2 = _rand(2, 3, 5, 6, seed=12), _rand(3, 4, k, k + 1, seed=13)
    ref2 = F.conv_transpose2d(x2, w2, b, stride, padding, output_padding)
    y2 = P.transposed_conv_as_zero_insertion(x2, w2, b, stride, padding, output_padding)
    assert y2.shape == ref2.shape and torch.allclose(y2, ref2, atol=1e-10)


def test_transposed_conv_float32_to_1e5_and_module():
    layer = nn.ConvTranspose1d(4, 6, kernel_size=5, stride=2, padding=2, output_padding=1)
    x = torch.randn(3, 4, 50)
    y = P.transposed_conv_as_zero_insertion(x, layer.weight.detach(), layer.bias.detach(), 2, 2, 1)
    assert y.dtype == torch.float32 and torch.allclose(y, layer(x).detach(), atol=1e-5)


def test_zero_insert_spectrum_is_repeated():
    x = _rand(2, 10, seed=14)
    z = P.zero_insert(x, 3)
    assert (
        z.shape == (2, 30) and torch.equal(z[..., ::3], x) and float(z[..., 1::3].abs().max()) == 0
    )
    X, Z = torch.fft.fft(x), torch.fft.fft(z)
    assert torch.allclose(Z, X.repeat(1, 3), atol=1e-12), "Z[k] = X[k mod N]: the spectral images"
    z2 = P.zero_insert(_rand(1, 4, 5, seed=15), (2, 3), ndim=2)
    assert z2.shape == (1, 8, 15)


# -------------------------------------------------------------------- determinism, bad inputs
def test_deterministic():
    x = _rand(2, 3, 32, seed=16)
    assert torch.equal(P.spectral_pool(x, 8), P.spectral_pool(x, 8))
    assert torch.equal(P.avg_pool_as_conv(x, 3, 2, 1), P.avg_pool_as_conv(x, 3, 2, 1))


@pytest.mark.parametrize(
    "call, exc, name",
    [
        (lambda: P.avg_pool_as_conv(torch.randn(4, 8), 2), ValueError, "x"),
        (lambda: P.avg_pool_as_conv("signal", 2), TypeError, "x"),
        (lambda: P.avg_pool_as_conv(torch.randn(1, 1, 8), 0), ValueError, "kernel_size"),
        (lambda: P.avg_pool_as_conv(torch.randn(1, 1, 8), 2.5), TypeError, "kernel_size"),
        (lambda: P.avg_pool_as_conv(torch.randn(1, 1, 8), 2, padding=2), ValueError, "padding"),
        (lambda: P.avg_pool_as_conv(torch.randn(1, 1, 8), 2, stride=0), ValueError, "stride"),
        (lambda: P.avg_pool_as_conv(torch.randn(1, 1, 8), 2, ceil_mode=1), TypeError, "ceil_mode"),
        (lambda: P.avg_pool_as_conv(torch.randn(1, 1, 3, 3), (2, 2, 2)), TypeError, "kernel_size"),
        (lambda: P.box_response(0, torch.zeros(3)), ValueError, "kernel_size"),
        (lambda: P.box_response((2, 2), torch.zeros(3)), TypeError, "freqs"),
        (lambda: P.crop_window(8, 9), ValueError, "size"),
        (lambda: P.spectral_pool(torch.randn(1, 1, 8), 9), ValueError, "size"),
        (lambda: P.spectral_pool(torch.randn(1, 1, 8), 0), ValueError, "size"),
        (lambda: P.spectral_pool(torch.randn(8), 4), ValueError, "x"),
        (lambda: P.spectral_pool(torch.randn(1, 1, 8, dtype=torch.complex64), 4), TypeError, "x"),
        (lambda: P.spectral_pool(torch.full((1, 1, 8), float("nan")), 4), ValueError, "x"),
        (lambda: P.spectral_pool_as_conv(torch.randn(1, 1, 8), 3), ValueError, "size"),
        (lambda: P.SpectralPool1d(), ValueError, "size"),
        (lambda: P.SpectralPool1d(size=4, factor=2), ValueError, "factor"),
        (lambda: P.binomial_kernel(0), ValueError, "size"),
        (lambda: P.BlurPool1d(filt_size=0), ValueError, "filt_size"),
        (lambda: P.BlurPool1d(pad_mode="mirror"), ValueError, "pad_mode"),
        (lambda: P.StridedConvPool1d(0), ValueError, "channels"),
        (lambda: P.fourier_shift(torch.randn(8), "1"), TypeError, "shift"),
        (lambda: P.shift_equivariance(3, torch.randn(1, 1, 8)), TypeError, "layer"),
        (lambda: P.shift_equivariance(nn.Identity(), torch.randn(1, 8)), ValueError, "x"),
        (
            lambda: P.shift_equivariance(nn.Identity(), torch.randn(1, 1, 8), shift=0.5),
            TypeError,
            "shift",
        ),
        (lambda: P.shift_equivariance(lambda t: t * 0, torch.randn(1, 1, 8)), ValueError, "layer"),
        (lambda: P.shift_consistency(None, torch.randn(2, 8)), TypeError, "model"),
        (lambda: P.zero_insert(torch.randn(4), 0), ValueError, "factor"),
        (lambda: P.zero_insert(torch.randn(4), 2, ndim=3), ValueError, "ndim"),
        (
            lambda: P.transposed_conv_as_zero_insertion(torch.randn(1, 2, 5), torch.randn(2, 3)),
            ValueError,
            "weight",
        ),
        (
            lambda: P.transposed_conv_as_zero_insertion(torch.randn(1, 3, 5), torch.randn(2, 3, 3)),
            ValueError,
            "x",
        ),
        (
            lambda: P.transposed_conv_as_zero_insertion(
                torch.randn(1, 2, 5), torch.randn(2, 3, 3), stride=2, output_padding=2
            ),
            ValueError,
            "output_padding",
        ),
        (
            lambda: P.transposed_conv_as_zero_insertion(
                torch.randn(1, 2, 5), torch.randn(2, 3, 3), torch.randn(2)
            ),
            ValueError,
            "bias",
        ),
        (
            lambda: P.transposed_conv_as_zero_insertion(torch.randn(1, 2, 5), np.array(["a"])),
            TypeError,
            "weight",
        ),
    ],
)
def test_bad_inputs_name_the_argument(call, exc, name):
    assert_raises_naming(call, exc, name)


# ----------------------------------------------------------------------------- defaults, 2-D box
def test_avg_pool_defaults_are_pytorchs():
    """Default stride/padding/ceil_mode/count_include_pad must be those of F.avg_pool1d/2d."""
    x = _rand(2, 3, 7, seed=17)  # 7 = 3 windows of 2 (floor), 4 with ceil_mode
    assert torch.allclose(P.avg_pool_as_conv(x, 2), F.avg_pool1d(x, 2), atol=1e-12)
    assert P.avg_pool_as_conv(x, 2).shape == (2, 3, 3)
    assert torch.allclose(P.avg_pool_as_conv(x, 3, 2, 1), F.avg_pool1d(x, 3, 2, 1), atol=1e-12)
    x2 = _rand(1, 2, 7, 9, seed=18)
    assert torch.allclose(P.avg_pool_as_conv(x2, 2), F.avg_pool2d(x2, 2), atol=1e-12)
    assert torch.allclose(
        P.avg_pool_as_conv(x2, (3, 2), 2, (1, 0)), F.avg_pool2d(x2, (3, 2), 2, (1, 0)), atol=1e-12
    )


def test_box_response_2d_with_different_kernels_and_axes():
    """2-D: |H1(f1)| |H2(f2)| with K1 on the f1 axis and K2 on the f2 axis, not swapped."""
    f1 = torch.linspace(-0.5, 0.5, 11, dtype=DT)
    f2 = torch.linspace(0.0, 0.45, 7, dtype=DT)
    h = P.box_response((2, 3), (f1, f2))
    assert h.shape == (11, 7)
    h1 = torch.cos(math.pi * f1).abs()  # K = 2
    s = torch.sin(math.pi * f2)
    h2 = torch.where(s == 0, torch.ones_like(f2), (torch.sin(3 * math.pi * f2) / (3 * s)).abs())
    assert torch.allclose(h, h1[:, None] * h2[None, :], atol=1e-12)


@pytest.mark.parametrize("which", [0, 1])
def test_box_response_refuses_complex_frequencies(which):
    """freqs[0] and freqs[1] must be real, like the 1-D freqs: TypeError naming the entry."""
    f = [torch.zeros(3, dtype=DT), torch.zeros(3, dtype=DT)]
    f[which] = f[which].to(torch.complex128)
    assert_raises_naming(lambda: P.box_response((2, 2), tuple(f)), TypeError, f"freqs[{which}]")


def test_transposed_conv_defaults_are_pytorchs():
    """Default stride 1, padding 0, output_padding 0 and no bias: F.conv_transpose1d/2d's."""
    x, w = _rand(2, 3, 7, seed=19), _rand(3, 4, 3, seed=20)
    y = P.transposed_conv_as_zero_insertion(x, w)
    assert y.shape == (2, 4, 9) and torch.allclose(y, F.conv_transpose1d(x, w), atol=1e-12)
    x2, w2 = _rand(1, 3, 4, 5, seed=21), _rand(3, 2, 2, 3, seed=22)
    assert torch.allclose(
        P.transposed_conv_as_zero_insertion(x2, w2), F.conv_transpose2d(x2, w2), atol=1e-12
    )
