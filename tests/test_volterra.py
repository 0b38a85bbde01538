"""volterra: order-n Volterra convolution, kernel composition, closed-form (white-box) kernels,
autograd and finite-difference proxy kernels, the hacking network (Li et al. 2021,
arXiv:2110.09902)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from conftest import assert_raises_naming
from helpers import nets, volterra as V

DT = torch.float64


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


class Square(nn.Module):
    """z -> z^2, a polynomial activation (marked element-wise for network_series)."""

    elementwise = True

    def forward(self, z):
        return z * z


def _set(conv, w):
    with torch.no_grad():
        conv.weight.copy_(w.flip(-1).reshape(conv.weight.shape))


def _one_ch(ks: dict) -> dict:
    """Single-channel 1-D kernels {n: (K,)*n} -> the module layout {n: (1,) + n*(1, K)}."""
    return {
        n: (k.reshape(1) if n == 0 else k.reshape((1,) + (1, k.shape[0]) * n))
        for n, k in ks.items()
    }


# ------------------------------------------------------------------ Volterra convolution
def test_order1_is_conv_with_flipped_kernel_1d_and_2d():
    g = _gen(1)
    x = torch.randn(3, 2, 23, generator=g, dtype=DT)
    w = torch.randn(4, 2, 5, generator=g, dtype=DT)
    for stride, padding in ((1, 0), (2, 1), (3, 2)):
        y = V.volterra_conv(x, w.flip(-1), 1, stride=stride, padding=padding)
        assert (y - F.conv1d(x, w, stride=stride, padding=padding)).abs().max() < 1e-12
    x2 = torch.randn(2, 3, 13, 11, generator=g, dtype=DT)
    w2 = torch.randn(5, 3, 3, 3, generator=g, dtype=DT)
    y2 = V.volterra_conv(x2, w2.flip(-1, -2), 1, ndim=2, stride=2, padding=1)
    assert (y2 - F.conv2d(x2, w2, stride=2, padding=1)).abs().max() < 1e-12


def test_full_mode_is_full_convolution():
    g = _gen(2)
    x = torch.randn(1, 1, 10, generator=g, dtype=DT)
    h = torch.randn(1, 1, 4, generator=g, dtype=DT)
    y = V.volterra_conv(x, h, 1, mode="full")[0, 0]
    ref = torch.from_numpy(np.convolve(x[0, 0].numpy(), h[0, 0].numpy(), mode="full"))
    assert y.shape == (13,) and (y - ref).abs().max() < 1e-12


@pytest.mark.parametrize("order", [2, 3])
def test_order_n_matches_the_definition_1d(order):
    g = _gen(order)
    K, L = 3, 9
    x = torch.randn(2, 2, L, generator=g, dtype=DT)
    H = torch.randn((3,) + (2, K) * order, generator=g, dtype=DT)
    y = V.volterra_conv(x, H, order, stride=2)
    T = (L - K) // 2 + 1
    ref = torch.zeros(2, 3, T, dtype=DT)
    for t in range(T):
        for idx in itertools.product(*[range(2), range(K)] * order):
            prod = torch.ones(2, dtype=DT)
            for i in range(order):
                c, tau = idx[2 * i], idx[2 * i + 1]
                prod = prod * x[:, c, 2 * t + K - 1 - tau]
            ref[:, :, t] += H[(slice(None),) + idx][None, :] * prod[:, None]
    assert y.shape == ref.shape and (y - ref).abs().max() < 1e-10


def test_order2_matches_the_definition_2d():
    g = _gen(5)
    x = torch.randn(1, 1, 5, 6, generator=g, dtype=DT)
    H = torch.randn(2, 1, 2, 2, 1, 2, 2, generator=g, dtype=DT)
    y = V.volterra_conv(x, H, 2, ndim=2)
    ref = torch.zeros(1, 2, 4, 5, dtype=DT)
    for t0, t1 in itertools.product(range(4), range(5)):
        for a0, a1, b0, b1 in itertools.product(range(2), repeat=4):
            ref[0, :, t0, t1] += (
                H[:, 0, a0, a1, 0, b0, b1]
                * x[0, 0, t0 + 1 - a0, t1 + 1 - a1]
                * x[0, 0, t0 + 1 - b0, t1 + 1 - b1]
            )
    assert (y - ref).abs().max() < 1e-10


def test_series_order0_broadcasts_and_symmetrize_keeps_the_term():
    g = _gen(6)
    x = torch.randn(2, 1, 12, generator=g, dtype=DT)
    H2 = torch.randn(1, 1, 3, 1, 3, generator=g, dtype=DT)
    y = V.volterra_series(x, {0: torch.tensor([0.5], dtype=DT), 2: H2})
    assert y.shape == (2, 1, 10)
    assert (y - 0.5 - V.volterra_conv(x, H2, 2)).abs().max() < 1e-12
    Hs = V.symmetrize(H2, 2)
    assert torch.allclose(Hs, Hs.permute(0, 3, 4, 1, 2))
    assert (V.volterra_conv(x, Hs, 2) - V.volterra_conv(x, H2, 2)).abs().max() < 1e-12
    assert not torch.allclose(Hs, H2)  # H2 was not symmetric


def test_symmetrize_order3_averages_over_all_3_factorial_permutations():
    """Order 3 has 3! = 6 permutations, not 3: the average keeps the term and fixes a symmetric
    kernel."""
    g = _gen(16)
    x = torch.randn(2, 2, 11, generator=g, dtype=DT)
    H3 = torch.randn(2, 2, 3, 2, 3, 2, 3, generator=g, dtype=DT)
    Hs = V.symmetrize(H3, 3)
    assert V.relative_error(V.volterra_conv(x, Hs, 3), V.volterra_conv(x, H3, 3)) < 1e-12
    assert V.relative_error(V.symmetrize(Hs, 3), Hs) < 1e-14
    for p in itertools.permutations(range(3)):
        dims = [0] + [1 + 2 * q + j for q in p for j in range(2)]
        assert torch.allclose(Hs.permute(dims), Hs, atol=1e-14), p
    # one entry with three distinct (channel, tap) blocks spreads over 6 entries of 1/6 each
    e = torch.zeros(1, 2, 3, 2, 3, 2, 3, dtype=DT)
    e[0, 0, 0, 1, 1, 0, 2] = 1.0
    es = V.symmetrize(e, 3)
    assert int((es != 0).sum()) == 6
    assert torch.allclose(es[es != 0], torch.full((6,), 1 / 6, dtype=DT))
    assert float(es.sum()) == pytest.approx(1.0, abs=1e-15)


def test_relative_error_known_answers():
    """``||a - b|| / ||b||`` with ``b`` the reference (not ``||a||``)."""
    b = torch.tensor([1.0, 2.0, 2.0], dtype=DT)  # ||b|| = 3
    assert V.relative_error(3 * b, b) == 2.0
    assert V.relative_error(b, 3 * b) == pytest.approx(2 / 3, rel=1e-15)
    assert V.relative_error(b, b) == 0.0
    assert V.relative_error(np.array([[4.0, 0.0]]), np.array([[0.0, 3.0]])) == pytest.approx(5 / 3)


# -------------------------------------------------------------------------- composition
@pytest.mark.parametrize("ndim", [1, 2])
def test_conv_after_conv_is_one_conv_with_composed_kernel(ndim):
    g = _gen(7)
    ks = (3,) * ndim
    h = torch.randn((3, 2) + ks, generator=g, dtype=DT)
    w = torch.randn((4, 3) + ks, generator=g, dtype=DT)
    c = V.compose_conv(h, w, stride=2, ndim=ndim)
    assert c.shape == (4, 2) + (7,) * ndim  # 3 + 2 * (3 - 1)
    x = torch.randn((2, 2) + (21,) * ndim, generator=g, dtype=DT)
    two = V.volterra_conv(V.volterra_conv(x, h, 1, ndim=ndim, stride=2), w, 1, ndim=ndim)
    one = V.volterra_conv(x, c, 1, ndim=ndim, stride=2)
    assert V.relative_error(one, two) < 1e-12


def test_compose_conv_single_channel_is_full_convolution():
    h = torch.tensor([1.0, 2.0, 3.0], dtype=DT)
    g = torch.tensor([1.0, -1.0], dtype=DT)
    c = V.compose_conv(h.reshape(1, 1, 3), g.reshape(1, 1, 2))[0, 0]
    assert torch.allclose(c, torch.from_numpy(np.convolve(h.numpy(), g.numpy())))


def test_receptive_fields_of_the_paper_net():
    assert [V.receptive_field([3] * k, [2, 2, 2, 1][:k])[0] for k in range(1, 5)] == [3, 7, 15, 31]
    assert V.receptive_field([3] * 4, [2, 2, 2, 1], [1] * 4) == (31, 8, 15)
    net = nets.volterra_mnist_cnn()
    assert V.conv_geometry(net.first(3)) == (15, 8, 7)


def test_order_n_into_order_m_by_outer_convolution():
    g = _gen(8)
    inner = {
        0: torch.tensor(0.3, dtype=DT),
        1: torch.randn(3, generator=g, dtype=DT),
        2: torch.randn(3, 3, generator=g, dtype=DT),
    }
    outer = {
        0: torch.tensor(-0.2, dtype=DT),
        1: torch.randn(2, generator=g, dtype=DT),
        2: torch.randn(2, 2, generator=g, dtype=DT),
    }
    comp = V.compose_series(outer, inner, max_order=4, stride=2)
    assert max(comp) == 4 and comp[4].shape == (5,) * 4  # order 2 into order 2: order 4
    x = torch.randn(3, 1, 31, generator=g, dtype=DT)
    direct = V.volterra_series(V.volterra_series(x, _one_ch(inner), stride=2), _one_ch(outer))
    composed = V.volterra_series(x, _one_ch(comp), stride=2)
    assert V.relative_error(composed, direct) < 1e-12


# ---------------------------------------------------- exactness for polynomial networks
def _poly_net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv1d(2, 3, 3, stride=2), Square(), nn.Conv1d(3, 2, 3), Square(), nn.Conv1d(2, 1, 2)
    ).double()


def test_polynomial_network_is_reproduced_exactly_by_its_finite_series():
    net = _poly_net()
    series = V.network_series(net, max_order=4)  # degree 2 x 2 = 4
    assert sorted(series.kernels) == [0, 1, 2, 3, 4]
    x = torch.randn(5, 2, 45, generator=_gen(9), dtype=DT)
    assert V.relative_error(series(x), net(x)) < 1e-6
    # and truncating below the degree is not exact (the test can fail)
    assert V.relative_error(series.truncate(3)(x), net(x)) > 1e-3


def test_quadratic_network_is_reproduced_exactly_by_autograd_kernels_2d():
    torch.manual_seed(1)
    net = nn.Sequential(
        nn.Conv2d(1, 3, 3, stride=2, padding=1), Square(), nn.Conv2d(3, 2, 3, padding=1)
    ).double()
    K, S, P = V.conv_geometry(net)
    proxy = V.local_kernels(net, 1, K, S, P, ndim=2, order=2)
    x = torch.randn(4, 1, 20, 20, generator=_gen(10), dtype=DT)
    y, yp = net(x), proxy(x)
    inner = (slice(None), slice(None), slice(1, -1), slice(1, -1))  # away from the zero padding
    assert V.relative_error(yp[inner], y[inner]) < 1e-6


# ------------------------------------------------ closed form == autograd == finite diffs
def _sigmoid_stack(kernels, bias=False, seed=0):
    mods = []
    for i, k in enumerate(kernels):
        conv = nn.Conv1d(1, 1, len(k), bias=bias, dtype=DT)
        _set(conv, k)
        mods.append(conv)
        if i < len(kernels) - 1:
            mods.append(nn.Sigmoid())
    return nn.Sequential(*mods).double()


def test_two_layer_sigmoid_closed_form_equals_composition_and_autograd():
    g = _gen(11)
    h, w = 0.7 * torch.randn(3, generator=g, dtype=DT), 0.7 * torch.randn(4, generator=g, dtype=DT)
    cf = V.sigmoid_two_layer_kernels(h, w)
    assert torch.isclose(cf[0], w.sum() / 2) and torch.allclose(
        cf[1], torch.from_numpy(np.convolve(w, h)) / 4
    )
    net = _sigmoid_stack([h, w])
    comp = V.network_series(net, 3)
    auto = V.local_kernels(net, 1, 6, order=2)
    for n in range(4):
        c = V.symmetrize(comp.kernels[n], n).reshape(cf[n].shape)
        assert (
            c - V.symmetrize(_one_ch({n: cf[n]})[n], n).reshape(cf[n].shape)
        ).abs().max() < 1e-12
    for n in range(3):
        assert (auto.kernels[n].reshape(cf[n].shape) - cf[n]).abs().max() < 1e-12


def test_three_layer_sigmoid_closed_form_equals_autograd():
    g = _gen(12)
    h, w, f = (0.8 * torch.randn(k, generator=g, dtype=DT) for k in (3, 3, 2))
    cf = V.sigmoid_three_layer_kernels(h, w, f)
    auto = V.local_kernels(_sigmoid_stack([h, w, f]), 1, 6, order=2)
    for n in range(3):
        assert V.relative_error(auto.kernels[n].reshape(cf[n].shape), cf[n]) < 1e-10
    assert cf[2].abs().max() > 1e-4  # a non-trivial order-2 kernel


def test_biased_2d_sigmoid_net_composition_equals_autograd_and_finite_differences():
    torch.manual_seed(3)
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3, stride=2, padding=1),
        nn.Sigmoid(),
        nn.Conv2d(4, 3, 3, stride=2, padding=1),
        nn.Sigmoid(),
    ).double()
    K, S, P = V.conv_geometry(net)
    comp = V.network_series(net, 2)
    assert comp.kernel_size == (K, K) and comp.stride == (S, S) and comp.padding == (P, P)
    auto = V.local_kernels(net, 1, K, S, P, ndim=2, order=2)
    fd = V.local_kernels(net, 1, K, S, P, ndim=2, order=2, method="fd")
    for n in range(3):
        assert V.relative_error(auto.kernels[n], V.symmetrize(comp.kernels[n], n, 2)) < 1e-10
        assert V.relative_error(fd.kernels[n], auto.kernels[n]) < 1e-5


def test_dense_proxy_kernels_match_local_kernels():
    h, w = torch.tensor([0.3, -0.5, 0.2], dtype=DT), torch.tensor([0.4, 0.1], dtype=DT)
    net = _sigmoid_stack([h, w])
    f = lambda x: net(x[None, None])[0, 0]  # noqa: E731
    pk = V.proxy_kernels(f, torch.zeros(10, dtype=DT), order=2)
    assert pk[1].shape == (7, 10) and pk[2].shape == (7, 10, 10)
    cf = V.sigmoid_two_layer_kernels(h, w)
    assert torch.allclose(pk[1][0, :4], cf[1].flip(0))  # Jacobian row = flipped kernel
    assert torch.allclose(pk[0], torch.full((7,), float(cf[0]), dtype=DT))
    assert pk[2].abs().max() < 1e-12  # sigmoid''(0) = 0


# ----------------------------------------------------------------- small-signal regime
def test_proxy_error_grows_with_input_scale():
    g = _gen(13)
    net = _sigmoid_stack(
        [torch.randn(3, generator=g, dtype=DT), torch.randn(4, generator=g, dtype=DT)]
    )
    proxy = V.local_kernels(net, 1, 6, order=1)
    x = torch.randn(16, 1, 64, generator=g, dtype=DT)
    errs = [
        V.relative_error(
            proxy(a * x) - proxy.kernels[0].reshape(1, -1, 1),
            net(a * x) - proxy.kernels[0].reshape(1, -1, 1),
        )
        for a in (0.01, 0.1, 1.0)
    ]
    assert errs[0] < errs[1] < errs[2]
    assert errs[0] < 1e-3 and errs[2] > 1e-2
    assert 50 < errs[1] / errs[0] < 200  # cubic remainder: error ~ scale^2


def test_sigmoid_taylor_coefficients():
    z = torch.linspace(-0.3, 0.3, 21, dtype=DT)
    assert (V.sigmoid_taylor(z, 7) - torch.sigmoid(z)).abs().max() < 1e-9
    d = V.activation_derivatives(torch.sigmoid, torch.zeros(1, dtype=DT), 5)[:, 0]
    assert torch.allclose(d, torch.tensor([0.5, 0.25, 0.0, -1 / 48, 0.0, 1 / 480], dtype=DT))


# --------------------------------------------------------------------- hacking network
def test_hacking_network_recovers_known_kernels_from_forward_calls():
    g = _gen(14)
    true = {
        0: torch.tensor([0.2], dtype=DT),
        1: torch.randn(1, 1, 5, generator=g, dtype=DT),
        2: V.symmetrize(torch.randn(1, 1, 5, 1, 5, generator=g, dtype=DT), 2),
    }
    calls = []

    def black_box(x):
        calls.append(x.shape)
        with torch.no_grad():
            return V.volterra_series(x, true)

    x = torch.randn(200, 1, 32, generator=g, dtype=DT)
    lin = V.fit_hacking_network(lambda z: V.volterra_series(z, {0: true[0], 1: true[1]}), x, 5)
    k = lin.kernels().kernels
    assert V.relative_error(k[1], true[1]) < 1e-10 and abs(float(k[0] - true[0])) < 1e-10
    quad = V.fit_hacking_network(
        black_box, x[:64, :, :24], 5, rank=5, steps=400, lr=2e-2, batch_size=64
    )
    kq = quad.kernels().kernels  # a 5x5 symmetric H2 has rank <= 5
    assert calls and V.relative_error(kq[2], true[2]) < 1e-3
    assert V.relative_error(kq[1], true[1]) < 1e-3


def test_hacking_network_on_sigmoid_black_box_small_inputs():
    g = _gen(15)
    h, w = torch.randn(3, generator=g, dtype=DT), torch.randn(4, generator=g, dtype=DT)
    net = _sigmoid_stack([h, w])
    cf = V.sigmoid_two_layer_kernels(h, w)
    err = {}
    for scale in (0.05, 1.0):
        x = scale * torch.randn(256, 1, 32, generator=g, dtype=DT)
        err[scale] = V.relative_error(
            V.fit_hacking_network(net, x, 6).kernels().kernels[1].reshape(-1), cf[1]
        )
    assert err[0.05] < 1e-2 and err[1.0] > err[0.05]


def test_mnist_cnn_split_and_series():
    torch.manual_seed(0)
    net = nets.volterra_mnist_cnn().double()
    x = torch.randn(2, 1, 28, 28, generator=_gen(16), dtype=DT)
    for k in range(5):
        assert torch.allclose(net.rest(k)(net.first(k)(x)), net(x))
    comp = V.network_series(net.first(2), 1)
    auto = V.local_kernels(net.first(2), 1, *V.conv_geometry(net.first(2)), ndim=2, order=1)
    assert V.relative_error(auto.kernels[1], comp.kernels[1]) < 1e-10
    assert V.relative_error(auto.kernels[0], comp.kernels[0]) < 1e-12


# ---------------------------------------------------------------------------- bad input
def test_bad_inputs_raise_errors_naming_the_argument():
    x = torch.zeros(1, 1, 10)
    k1 = torch.zeros(1, 1, 3)
    assert_raises_naming(lambda: V.volterra_conv(x, k1, -1), ValueError, "order")
    assert_raises_naming(lambda: V.volterra_conv(x, k1, 1.5), TypeError, "order")
    assert_raises_naming(
        lambda: V.volterra_conv(x, k1, 2), ValueError, "kernel"
    )  # wrong dims for order
    assert_raises_naming(
        lambda: V.volterra_conv(x, torch.zeros(1, 2, 3), 1), ValueError, "kernel"
    )  # C_in
    assert_raises_naming(
        lambda: V.volterra_conv(x, torch.zeros(1, 1, 3, 3), 1, ndim=2), ValueError, "x"
    )
    assert_raises_naming(lambda: V.volterra_conv(x, k1, 1, ndim=3), ValueError, "ndim")
    assert_raises_naming(lambda: V.volterra_conv([1, 2], k1, 1), TypeError, "x")
    assert_raises_naming(lambda: V.volterra_conv(x, "k", 1), TypeError, "kernel")
    assert_raises_naming(lambda: V.volterra_conv(x, k1, 1, mode="same"), ValueError, "mode")
    assert_raises_naming(lambda: V.volterra_conv(x, k1, 1, stride=0), ValueError, "stride")
    assert_raises_naming(lambda: V.volterra_conv(x, torch.zeros(1, 1, 12), 1), ValueError, "x")
    assert_raises_naming(
        lambda: V.volterra_conv(x, torch.zeros(1, 1, 3, 1, 4), 2), ValueError, "kernel"
    )
    assert_raises_naming(lambda: V.volterra_series(x, 3), TypeError, "kernels")
    assert_raises_naming(lambda: V.volterra_series(x, {-1: k1}), ValueError, "kernels order")
    assert_raises_naming(lambda: V.symmetrize(k1, -2), ValueError, "order")
    assert_raises_naming(
        lambda: V.compose_conv(torch.zeros(3, 1, 3), torch.zeros(2, 4, 3)), ValueError, "g"
    )
    assert_raises_naming(
        lambda: V.compose_conv(torch.zeros(3, 3), torch.zeros(2, 3, 3)), ValueError, "h"
    )
    assert_raises_naming(
        lambda: V.outer_conv(torch.zeros(2, 2), [torch.zeros(3)]), ValueError, "factors"
    )
    assert_raises_naming(lambda: V.outer_conv(torch.zeros(2), torch.zeros(3)), TypeError, "factors")
    assert_raises_naming(
        lambda: V.network_series(nn.Sequential(nn.Conv1d(1, 1, 3), nn.MaxPool1d(2)), 2),
        TypeError,
        "model",
    )
    assert_raises_naming(lambda: V.network_series("net", 2), TypeError, "model")
    assert_raises_naming(
        lambda: V.network_series(nn.Sequential(nn.Conv1d(1, 1, 3)), -1), ValueError, "max_order"
    )
    assert_raises_naming(lambda: V.proxy_kernels(3, torch.zeros(3)), TypeError, "f")
    assert_raises_naming(
        lambda: V.proxy_kernels(torch.sin, torch.zeros(3), order=3), ValueError, "order"
    )
    assert_raises_naming(lambda: V.local_kernels(torch.sin, 1, 3, order=-1), ValueError, "order")
    assert_raises_naming(
        lambda: V.local_kernels(torch.sin, 1, 3, method="numeric"), ValueError, "method"
    )
    assert_raises_naming(lambda: V.local_kernels(torch.sin, 0, 3), ValueError, "in_channels")
    assert_raises_naming(lambda: V.receptive_field([3, 3], [2]), ValueError, "strides")
    assert_raises_naming(
        lambda: V.fit_hacking_network(nn.Identity(), torch.zeros(4, 10), 3), ValueError, "inputs"
    )
    assert_raises_naming(
        lambda: V.fit_hacking_network(None, torch.zeros(4, 1, 10), 3), TypeError, "black_box"
    )
    assert_raises_naming(
        lambda: V.fit_hacking_network(nn.Identity(), torch.zeros(4, 1, 10), 3),
        ValueError,
        "kernel_size",
    )
    assert_raises_naming(lambda: V.HackingNetwork(1, 1, 3, rank=-1), ValueError, "rank")
    assert_raises_naming(lambda: V.relative_error(torch.zeros(2), torch.zeros(3)), ValueError, "a")
    assert_raises_naming(
        lambda: V.sigmoid_two_layer_kernels(torch.zeros(2, 2), torch.zeros(3)), ValueError, "h"
    )
    assert_raises_naming(lambda: nets.volterra_mnist_cnn(strides=()), TypeError, "strides")
    assert_raises_naming(lambda: nets.volterra_mnist_cnn().first(5), ValueError, "k")


def test_series_conv_refuses_a_weight_with_the_wrong_input_channel_count():
    """series_conv must refuse a weight whose C1 is not the series' output channel count."""
    series = V.identity_series(2)  # 2 output channels
    for w in (torch.zeros(3, 3, 3, dtype=DT), torch.zeros(1, 1, 3, dtype=DT)):
        assert_raises_naming(lambda w=w: V.series_conv(series, w), ValueError, "weight")
    assert V.series_conv(series, torch.zeros(3, 2, 3, dtype=DT)).kernels[1].shape == (3, 2, 3)


def test_sigmoid_taylor_refuses_orders_beyond_the_tabulated_z7():
    """sigmoid_taylor(z, order > 7) must raise (terms tabulated to z^7), not return the z^7 sum."""
    z = torch.linspace(-0.3, 0.3, 5, dtype=DT)
    for order in (8, 9, 11):
        assert_raises_naming(lambda o=order: V.sigmoid_taylor(z, o), ValueError, "order")


def test_time_kernel_methods_agree_and_restore_the_threads():
    """The chapter-10 / benchmark timing helper: both methods agree, threads are restored."""
    torch.manual_seed(0)
    sub = nets.volterra_mnist_cnn().double().eval().first(2)
    before = torch.get_num_threads()
    t = V.time_kernel_methods(sub, order=1, repeat=1, threads=1)
    assert torch.get_num_threads() == before
    assert (t.receptive_field, t.order) == (7, 1) and t.error < 1e-5
    assert t.autograd_s > 0 and t.fd_s > 0 and t.ratio == t.fd_s / t.autograd_s
    assert_raises_naming(lambda: V.time_kernel_methods(sub, repeat=0), ValueError, "repeat")


# ------------------------------------- ridge, term counts, rank identity, perturbation helpers
def _windows_design(x, K):
    """The least-squares design of an order-(0, 1) fit: flipped windows and a column of ones."""
    win = x.unfold(-1, K, 1).flip(-1)[:, 0]  # (N, T, K), true-convolution orientation
    A = win.reshape(-1, K)
    return torch.cat([A, torch.ones(len(A), 1, dtype=A.dtype)], 1)


def test_ridge_hacking_fit_is_the_closed_form_tikhonov_solution_and_reports_conditioning():
    g = _gen(21)
    true = {0: torch.tensor([0.3], dtype=DT), 1: torch.randn(1, 1, 4, generator=g, dtype=DT)}
    x = torch.randn(30, 1, 12, generator=g, dtype=DT)
    y = V.volterra_series(x, true) + 0.1 * torch.randn(30, 1, 9, generator=g, dtype=DT)
    A = _windows_design(x, 4)
    Y = y[:, 0].reshape(-1, 1)
    plain = V.fit_hacking_network(lambda z: y, x, 4)
    w_ls = torch.linalg.lstsq(A, Y).solution[:, 0]
    k0 = plain.kernels().kernels
    assert torch.allclose(k0[1].flatten(), w_ls[:-1], atol=1e-12)
    assert abs(float(k0[0]) - w_ls[-1]) < 1e-12
    s = torch.linalg.svdvals(A)
    assert abs(plain.fit_info["condition"] / float(s[0] / s[-1]) - 1) < 1e-12
    assert abs(plain.fit_info["condition_ridge"] / float(s[0] / s[-1]) ** 2 - 1) < 1e-10
    ridge = 0.5
    fit = V.fit_hacking_network(lambda z: y, x, 4, ridge=ridge)
    AtA = A.T @ A
    lam = ridge * float(torch.diagonal(AtA).mean())
    reg = torch.diag(torch.tensor([lam] * 4 + [0.0], dtype=DT))
    w_r = torch.linalg.solve(AtA + reg, A.T @ Y)[:, 0]  # the bias column is not shrunk
    kr = fit.kernels().kernels
    assert torch.allclose(kr[1].flatten(), w_r[:-1], atol=1e-12)
    assert abs(float(kr[0]) - w_r[-1]) < 1e-12
    assert fit.fit_info["lam"] == pytest.approx(lam, rel=1e-12)
    # a DC offset makes the taps nearly collinear with the bias: ridge repairs the conditioning
    xo = x + 20.0
    ill = V.fit_hacking_network(lambda z: y, xo, 4)
    fixed = V.fit_hacking_network(lambda z: y, xo, 4, ridge=1e-2)
    assert ill.fit_info["condition"] > 100
    Ao = _windows_design(xo, 4)
    No = Ao.T @ Ao + torch.diag(torch.tensor([fixed.fit_info["lam"]] * 4 + [0.0], dtype=DT))
    ev = torch.linalg.eigvalsh(No)
    assert fixed.fit_info["condition_ridge"] == pytest.approx(float(ev[-1] / ev[0]), rel=1e-8)
    assert fixed.fit_info["condition_ridge"] < 0.5 * ill.fit_info["condition_ridge"]
    assert float(kr[1].norm()) < float(k0[1].norm())  # ridge shrinks the taps
    assert_raises_naming(
        lambda: V.fit_hacking_network(lambda z: y, x, 4, ridge=-1.0), ValueError, "ridge"
    )


def test_composition_term_counts_closed_form():
    assert V.composition_term_counts(2, 2) == [3, 3, 4, 2, 1]  # the official code's "3 3 4 2 1"
    for N, M in ((1, 3), (2, 3), (3, 2), (0, 4)):
        c = V.composition_term_counts(N, M)
        assert len(c) == N * M + 1 and sum(c) == sum((N + 1) ** m for m in range(M + 1))
        poly = np.zeros(N * M + 1)  # coefficient of x^k in sum_m (1 + ... + x^N)^m
        for m in range(M + 1):
            p = np.array([1.0])
            for _ in range(m):
                p = np.convolve(p, np.ones(N + 1))
            poly[: len(p)] += p
        assert c == poly.astype(int).tolist()
    inner = {n: torch.randn((3,) * n, generator=_gen(n), dtype=DT) for n in range(3)}
    outer = {n: torch.randn((2,) * n, generator=_gen(5 + n), dtype=DT) for n in range(3)}
    assert sorted(V.compose_series(outer, inner, max_order=4)) == list(range(5))


def test_outer_convolution_keeps_the_rank_of_an_order2_kernel():
    g = _gen(22)
    for r, stride in ((1, 1), (2, 2), (3, 1)):
        G = torch.randn(5, r, generator=g, dtype=DT) @ torch.randn(r, 5, generator=g, dtype=DT)
        h1, h2 = torch.randn(3, generator=g, dtype=DT), torch.randn(3, generator=g, dtype=DT)
        H = V.outer_conv(G, [h1, h2], stride=stride)
        assert H.shape[0] == 3 + stride * 4
        assert int(torch.linalg.matrix_rank(H)) == int(torch.linalg.matrix_rank(G)) == r


def test_spectrum_matched_has_the_same_power_spectrum_and_random_phases():
    d = torch.randn(3, 8, 9, generator=_gen(23), dtype=DT).cumsum(-1)  # coloured
    r = V.spectrum_matched(d, _gen(24))
    assert r.shape == d.shape and r.dtype == DT
    D, R = torch.fft.fft2(d).abs(), torch.fft.fft2(r).abs()
    assert float((D - R).abs().max() / D.max()) < 1e-12
    assert torch.allclose(r.flatten(1).norm(dim=1), d.flatten(1).norm(dim=1), rtol=1e-12)
    assert V.relative_error(r, d) > 0.1  # not the same signal
    r1 = V.spectrum_matched(torch.randn(2, 16, generator=_gen(25), dtype=DT), _gen(26))
    assert r1.shape == (2, 16)
    assert_raises_naming(lambda: V.spectrum_matched(torch.zeros(4)), ValueError, "d")


def test_official_perturbation_known_answer():
    x = torch.tensor([[[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0]]], dtype=DT)
    k = torch.tensor([[2.0]], dtype=DT)  # padded at the end: lands on pixel (0, 0)
    E = torch.tensor([[[2.0, -1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, -1.0]]], dtype=DT)
    E = (E + 1) / 3
    out = V.official_perturbation(k, x, strength=0.4)
    assert torch.allclose(out, x + 0.4 * E, atol=1e-15)
    # the official FFT route: ifft(fft(kernel, s=x.shape) - fft(x)), then min-max
    xr = torch.rand(2, 6, 5, generator=_gen(27), dtype=DT)
    kr = torch.randn(8, 4, generator=_gen(28), dtype=DT)  # cropped to 6 rows
    fk = np.fft.fftn(kr.numpy(), s=(6, 5), axes=(0, 1))
    for i in range(2):
        Ep = np.fft.ifftn(fk - np.fft.fftn(xr[i].numpy(), axes=(0, 1)), axes=(0, 1)).real
        Ep = (Ep - Ep.min()) / (Ep - Ep.min()).max()
        got = V.official_perturbation(kr, xr, strength=0.5)[i].numpy()
        assert np.abs(got - (0.5 * Ep + xr[i].numpy())).max() < 1e-12
    assert_raises_naming(lambda: V.official_perturbation(k, torch.zeros(3, 3)), ValueError, "x")


def test_perturbation_growth_closed_forms():
    x = torch.randn(32, generator=_gen(29), dtype=DT)
    x = x / x.norm()
    eps = (0.25, 0.5, 3.0)
    # order 1: H_1 * (eps delta) has the norm eps ||H_1|| = eps for every unit-norm kernel
    got = V.perturbation_growth(x, eps, orders=(1, 2, 3), n_kernels=7, generator=_gen(30))
    assert got.shape == (3, 3) and got.dtype == DT
    assert torch.allclose(got[:, 0], torch.tensor(eps, dtype=DT), rtol=1e-13, atol=0)
    # a zero signal: order n changes by eps^n ||diag H_n||, the same kernels for every eps
    zero = V.perturbation_growth(
        torch.zeros(16, dtype=DT),
        eps,
        orders=(1, 2, 4),
        n_kernels=5,
        position=7,
        generator=_gen(31),
    )
    for j, n in enumerate((1, 2, 4)):
        ratio = zero[:, j] / zero[0, j]
        assert torch.allclose(ratio, (torch.tensor(eps, dtype=DT) / eps[0]) ** n, rtol=1e-12)
    # the definition, for one kernel per order (drawn as the helper draws them)
    g = _gen(32)
    direct = []
    for n in (1, 2):
        H = torch.randn((5,) * n, generator=g, dtype=DT)
        H = (H / H.norm()).reshape((1,) + (1, 5) * n)
        y = x.clone()
        y[16] += 0.5
        direct.append(
            float(
                (V.volterra_conv(y[None, None], H, n) - V.volterra_conv(x[None, None], H, n)).norm()
            )
        )
    one = V.perturbation_growth(x, [0.5], orders=(1, 2), n_kernels=1, generator=_gen(32))
    assert torch.allclose(one[0], torch.tensor(direct, dtype=DT), rtol=1e-13)
    assert_raises_naming(lambda: V.perturbation_growth(x, []), TypeError, "eps")
    assert_raises_naming(
        lambda: V.perturbation_growth(x, [1.0], position=32), ValueError, "position"
    )
    assert_raises_naming(lambda: V.perturbation_growth(x[None], [1.0]), ValueError, "signal")
