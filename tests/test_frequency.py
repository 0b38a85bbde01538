"""helpers.frequency: the DCT against scipy and its cosine formula, the bands and masks against
grids written by hand, the low/high split as an exact partition, and the attributions (band
occlusion, integrated gradients, the Fourier heat map) on models whose answer is known in closed
form (a linear read-out of one coefficient, a linear model, a model that ignores its input)."""

from __future__ import annotations

import math

import pytest
import scipy.fft
import torch
from torch import nn

from helpers import frequency as Fq
from conftest import assert_raises_naming

F64 = torch.float64


def _rand(*shape, seed=0):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed), dtype=F64)


def _linear(h, w, k, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(h * w, k)).double()


def _relu_cnn(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(4, 4, 3, stride=2),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(4 * 5 * 5, 3),
    ).double()


class Constant(nn.Module):
    """Logits that ignore the input: always class ``k`` of ``n``."""

    def __init__(self, k, n=4):
        super().__init__()
        self.k, self.n = k, n

    def forward(self, x):
        out = torch.zeros(len(x), self.n, dtype=x.dtype)
        out[:, self.k] = 1.0
        return out


# ------------------------------------------------------------------------------------ DCT
@pytest.mark.parametrize("n", [1, 2, 7, 28])
def test_dct_matrix_is_orthonormal_and_is_scipys_dct_ii(n):
    c = Fq.dct_matrix(n)
    assert c.dtype == F64 and c.shape == (n, n)
    eye = torch.eye(n, dtype=F64)
    assert torch.allclose(c @ c.T, eye, rtol=0, atol=1e-12)
    assert torch.allclose(c.T @ c, eye, rtol=0, atol=1e-12)
    ref = torch.from_numpy(scipy.fft.dct(eye.numpy(), type=2, norm="ortho", axis=0))
    assert torch.allclose(c, ref, rtol=0, atol=1e-13)


def test_dct_matrix_against_the_written_out_cosine_formula():
    n = 5
    c = Fq.dct_matrix(n)
    for k in range(n):
        a = math.sqrt((1 if k == 0 else 2) / n)
        for i in range(n):
            assert abs(float(c[k, i]) - a * math.cos(math.pi * (2 * i + 1) * k / (2 * n))) < 1e-14
    assert Fq.dct_matrix(4, torch.float32).dtype == torch.float32


def test_dct2_round_trip_parseval_and_scipy_on_a_non_square_batch():
    x = _rand(3, 5, 7)
    X = Fq.dct2(x)
    ref = scipy.fft.dctn(x.numpy(), type=2, norm="ortho", axes=(-2, -1))
    assert torch.allclose(X, torch.from_numpy(ref), rtol=0, atol=1e-13)
    assert torch.allclose(Fq.idct2(X), x, rtol=0, atol=1e-13)
    assert torch.allclose(Fq.dct2(Fq.idct2(x)), x, rtol=0, atol=1e-13)
    assert torch.allclose(X.square().sum((-2, -1)), x.square().sum((-2, -1)), rtol=1e-12)
    # the constant image lives in coefficient (0, 0) alone
    ones = Fq.dct2(torch.ones(4, 6, dtype=F64))
    assert abs(float(ones[0, 0]) - math.sqrt(24)) < 1e-12
    assert float(ones.flatten()[1:].abs().max()) < 1e-12
    assert Fq.dct2(x.float()).dtype == torch.float32


# ---------------------------------------------------------------------------------- bands
def test_band_index_on_a_4x5_grid_written_by_hand():
    expected = torch.tensor(
        [
            [0, 1, 2, 3, 4],
            [1, 1, 2, 3, 4],
            [2, 2, 2, 3, 4],
            [3, 3, 3, 3, 4],
        ]
    )
    assert torch.equal(Fq.band_index(4, 5), expected)
    assert torch.equal(Fq.band_index(5, 4), expected.T)


@pytest.mark.parametrize("h, w, n", [(4, 5, None), (4, 5, 2), (28, 28, 7), (28, 28, 5), (3, 9, 4)])
def test_band_masks_partition_the_coefficients_into_nearly_equal_contiguous_groups(h, w, n):
    masks = Fq.band_masks(h, w, n)
    n_expected = max(h, w) if n is None else n
    assert masks.dtype == torch.bool and masks.shape == (n_expected, h, w)
    assert torch.equal(masks.sum(0), torch.ones(h, w, dtype=torch.int64))
    assert bool(masks.flatten(1).any(1).all())  # no band is empty
    edges = Fq.band_edges(h, w, n)
    widths = edges.diff()
    assert int(edges[0]) == 0 and int(edges[-1]) == max(h, w)
    assert int(widths.max() - widths.min()) <= 1 and int(widths.min()) >= 1
    b = Fq.band_index(h, w)
    for g in range(n_expected):  # contiguous: the group is an interval of L-bands
        inside = b[masks[g]]
        assert int(inside.min()) == int(edges[g]) and int(inside.max()) == int(edges[g + 1]) - 1


def test_band_masks_grouping_by_hand():
    # L = 5 L-bands into 2 groups: edges floor(0), floor(5/2), 5 = 0, 2, 5
    assert Fq.band_edges(4, 5, 2).tolist() == [0, 2, 5]
    masks = Fq.band_masks(4, 5, 2)
    assert int(masks[0].sum()) == 4 and int(masks[1].sum()) == 16
    assert bool(masks[0, :2, :2].all())


# ------------------------------------------------------------------------- low / high split
@pytest.mark.parametrize("basis", ["fourier", "dct"])
def test_low_plus_high_is_x(basis):
    x = _rand(2, 3, 9, 8, seed=1)
    low, high = Fq.split_frequencies(x, 0.2, basis)
    assert low.shape == x.shape and low.dtype == F64 and not low.is_complex()
    assert float((low + high - x).abs().max()) <= 1e-12 * float(x.abs().max())
    # neither part is trivial, and the radius moves energy from high to low
    assert float(low.square().sum()) > 0 and float(high.square().sum()) > 0
    low2, _ = Fq.split_frequencies(x, 0.3, basis)
    assert float(low2.square().sum()) > float(low.square().sum())
    # radius 0 keeps only the mean (Fourier) or coefficient (0, 0) (DCT): both are the mean image
    low0, _ = Fq.split_frequencies(x, 0.0, basis)
    assert torch.allclose(low0, x.mean((-2, -1), keepdim=True).expand_as(x), atol=1e-12)


def test_masks_by_hand_and_complementary():
    f = Fq.lowpass_mask(4, 4, 0.25)  # fftfreq(4) = 0, .25, -.5, -.25
    expected = torch.tensor(
        [[1, 1, 0, 1], [1, 0, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0]], dtype=torch.bool
    )
    assert torch.equal(f, expected)
    assert torch.equal(Fq.highpass_mask(4, 4, 0.25), ~expected)
    assert torch.equal(Fq.mirror(f), f)  # Hermitian
    d = Fq.lowpass_mask(4, 4, 0.25, basis="dct")  # coefficient (u, v) at sqrt(u^2+v^2)/8
    assert torch.equal(
        d, torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]) > 0
    )
    assert bool(Fq.lowpass_mask(5, 7, 0.75).all())  # past the corner |f| <= sqrt(1/2)


@pytest.mark.parametrize("u, v", [(1, 2), (3, 0), (4, 4), (0, 0), (7, 5)])
def test_a_fourier_basis_image_is_all_low_or_all_high_by_its_radius(u, v):
    h, w = 8, 10
    img = Fq.fourier_basis(h, w, u, v)
    fu, fv = torch.fft.fftfreq(h, dtype=F64)[u], torch.fft.fftfreq(w, dtype=F64)[v]
    r = math.hypot(float(fu), float(fv))
    low, high = Fq.split_frequencies(img, r + 1e-9)
    assert torch.allclose(low, img, atol=1e-12) and float(high.abs().max()) < 1e-12
    if r > 0:
        low, high = Fq.split_frequencies(img, r - 1e-9)
        assert torch.allclose(high, img, atol=1e-12) and float(low.abs().max()) < 1e-12


# -------------------------------------------------------------------------- Fourier basis
def test_fourier_basis_norm_symmetry_closed_form_and_orthogonality():
    h, w = 6, 5
    i = torch.arange(h, dtype=F64)[:, None]
    j = torch.arange(w, dtype=F64)[None, :]
    seen = []
    for u in range(h):
        for v in range(w):
            b = Fq.fourier_basis(h, w, u, v)
            assert b.shape == (h, w) and b.dtype == F64
            assert abs(float(torch.linalg.vector_norm(b)) - 1) < 1e-12
            assert torch.allclose(b, Fq.fourier_basis(h, w, -u, -v), rtol=0, atol=1e-14)
            self_mirror = (u, v) == ((-u) % h, (-v) % w)
            scale = 1 / math.sqrt(h * w) if self_mirror else math.sqrt(2 / (h * w))
            ref = torch.cos(2 * math.pi * (u * i / h + v * j / w)) * scale
            assert torch.allclose(b, ref, rtol=0, atol=1e-12), (u, v)
            if min((u, v), ((-u) % h, (-v) % w)) == (u, v):
                seen.append(b.flatten())
    gram = torch.stack(seen) @ torch.stack(seen).T
    assert torch.allclose(gram, torch.eye(len(seen), dtype=F64), atol=1e-12)
    assert len(seen) == (h * w + 2) // 2  # 6x5: DC and (3, 0) are their own mirrors


def test_mirror_by_hand():
    g = torch.arange(12.0).reshape(3, 4)
    m = Fq.mirror(g)
    for u in range(3):
        for v in range(4):
            assert m[u, v] == g[(-u) % 3, (-v) % 4]


# ---------------------------------------------------------------------------- occlusion
def _one_coefficient_model(h, w, k0, l0, scale):
    """Logits ``(scale * X[k0, l0], 0)``: a linear read-out of one DCT coefficient."""
    model = _linear(h, w, 2)
    basis = torch.zeros(h, w, dtype=F64)
    basis[k0, l0] = 1
    with torch.no_grad():
        model[1].weight.zero_()
        model[1].bias.zero_()
        model[1].weight[0] = scale * Fq.idct2(basis).flatten()
    return model


@pytest.mark.parametrize("n_bands", [None, 4])
def test_band_occlusion_drops_only_the_band_the_model_reads(n_bands):
    h, w, k0, l0, s = 8, 6, 2, 5, 3.0
    model = _one_coefficient_model(h, w, k0, l0, s)
    x = _rand(5, 1, h, w, seed=3)
    c = Fq.dct2(x)[:, 0, k0, l0]
    model.train()
    drop = Fq.band_occlusion(model, x, target=0, n_bands=n_bands, batch_size=2)
    assert model.training  # mode restored
    n = max(h, w) if n_bands is None else n_bands
    assert drop.shape == (5, n) and drop.dtype == F64
    band = int(torch.nonzero(Fq.band_masks(h, w, n_bands)[:, k0, l0]))
    assert band == (5 if n_bands is None else 2)  # max(2, 5) = 5; edges 0, 2, 4, 6, 8
    p_clean = torch.sigmoid(s * c)
    assert torch.allclose(drop[:, band], p_clean - 0.5, rtol=0, atol=1e-12)
    others = torch.cat([drop[:, :band], drop[:, band + 1 :]], 1)
    assert float(others.abs().max()) < 1e-12
    # fill sets the coefficient rather than removing it: logit s * fill
    drop_fill = Fq.band_occlusion(model, x, target=0, n_bands=n_bands, fill=0.5)
    expected = p_clean - torch.sigmoid(torch.tensor(s * 0.5, dtype=F64))
    assert torch.allclose(drop_fill[:, band], expected, atol=1e-12)
    # target None: the predicted class (0 where s c > 0, else 1, whose probability rises)
    auto = Fq.band_occlusion(model, x, n_bands=n_bands)
    pred = (c < 0).long()
    expected = torch.where(pred == 0, p_clean - 0.5, (1 - p_clean) - 0.5)
    assert torch.allclose(auto[:, band], expected, atol=1e-12)


# ------------------------------------------------------------------ integrated gradients
@pytest.mark.parametrize("basis", ["pixel", "dct"])
@pytest.mark.parametrize("steps", [1, 3, 32])
def test_ig_is_exact_on_a_linear_model(basis, steps):
    h, w = 6, 7
    model = _linear(h, w, 3)
    x = _rand(4, 1, h, w, seed=4)
    base = _rand(1, 1, h, w, seed=5)
    target = torch.tensor([0, 1, 2, 1])
    res = Fq.integrated_gradients(model, x, target, baseline=base, steps=steps, basis=basis)
    assert res.attributions.shape == x.shape and res.attributions.dtype == F64
    assert float(res.gap.abs().max()) < 1e-12
    # closed form: (z - z') * w_t, in pixels or in DCT coefficients
    wt = model[1].weight.detach()[target].reshape(4, 1, h, w)
    diff = x - base
    expected = diff * wt if basis == "pixel" else Fq.dct2(diff) * Fq.dct2(wt)
    assert torch.allclose(res.attributions, expected, rtol=0, atol=1e-13)
    with torch.no_grad():
        delta = (model(x) - model(base))[torch.arange(4), target]
    assert torch.allclose(res.delta, delta, atol=1e-13)
    gap = Fq.check_completeness(res.attributions, model, x, target, baseline=base)
    assert torch.allclose(gap, res.gap, atol=1e-13)
    # a wrong attribution shows a gap of exactly what was added
    assert torch.allclose(
        Fq.check_completeness(res.attributions + 0.01, model, x, target, baseline=base),
        res.gap + 0.01 * h * w,
        atol=1e-12,
    )


class HalfSquare(nn.Module):
    """Logits ``(sum x^2 / 2, 0)``: the gradient ``x`` is linear along a straight path."""

    def forward(self, x):
        f = 0.5 * x.square().flatten(1).sum(1)
        return torch.stack([f, torch.zeros_like(f)], 1)


@pytest.mark.parametrize("steps", [1, 4])
def test_ig_midpoint_rule_is_exact_for_a_quadratic(steps):
    # the mean gradient over midpoints a_k = (k + 1/2) / m is (x + b) / 2 for any m, so IG_i =
    # (x_i^2 - b_i^2) / 2 exactly (a left or right Riemann sum would be off by (x - b)^2 / 2m)
    x = _rand(3, 1, 4, 5, seed=10)
    base = _rand(3, 1, 4, 5, seed=11)
    res = Fq.integrated_gradients(HalfSquare(), x, 0, baseline=base, steps=steps, basis="pixel")
    assert torch.allclose(res.attributions, (x.square() - base.square()) / 2, atol=1e-14)
    assert float(res.gap.abs().max()) < 1e-13


def test_ig_gap_shrinks_with_steps_on_a_relu_cnn_and_both_bases_agree_in_total():
    model = _relu_cnn()
    x = _rand(6, 1, 12, 12, seed=6)
    gaps = {}
    for steps in (8, 32, 128):
        px = Fq.integrated_gradients(model, x, 1, steps=steps, basis="pixel")
        dc = Fq.integrated_gradients(model, x, 1, steps=steps, basis="dct", batch_size=4)
        # the same path of images: the totals agree (orthonormal basis), the maps differ
        assert torch.allclose(px.gap, dc.gap, atol=1e-10)
        assert not torch.allclose(px.attributions, dc.attributions)
        gaps[steps] = float(px.gap.abs().mean())
    assert gaps[8] > 0
    assert gaps[128] < gaps[8] and gaps[128] <= gaps[32] * 1.5
    # default target: the predicted class
    with torch.no_grad():
        pred = model(x).argmax(1)
    assert torch.equal(Fq.integrated_gradients(model, x, steps=2).target, pred)


def test_band_attribution_sums_per_band():
    attr = _rand(3, 2, 5, 4, seed=7)
    out = Fq.band_attribution(attr, 3)
    assert out.shape == (3, 3)
    assert torch.allclose(out.sum(1), attr.sum((1, 2, 3)), atol=1e-12)
    b = Fq.band_index(5, 4)
    edges = Fq.band_edges(5, 4, 3).tolist()  # 0, 1, 3, 5
    assert edges == [0, 1, 3, 5]
    for g in range(3):
        sel = (b >= edges[g]) & (b < edges[g + 1])
        assert torch.allclose(out[:, g], attr[:, :, sel].sum((1, 2)), atol=1e-12)
    assert torch.allclose(out[:, 0], attr[:, :, 0, 0].sum(1))


# ------------------------------------------------------------------------------ heat map
def test_heatmap_of_a_model_that_ignores_its_input_is_its_constant_error_rate():
    x = _rand(10, 1, 6, 5, seed=8)
    y = torch.tensor([0, 1, 2, 3, 2, 2, 1, 2, 0, 2])
    heat = Fq.fourier_heatmap(Constant(2), x, y, eps=1.0, generator=torch.Generator())
    assert heat.shape == (6, 5) and heat.dtype == F64
    assert torch.equal(heat, torch.full((6, 5), 0.5, dtype=F64))


class ReadsOneFrequency(nn.Module):
    """Class 1 when the projection of the input on ``U_{u0, v0}`` exceeds ``thr`` in size."""

    def __init__(self, h, w, u0, v0, thr):
        super().__init__()
        self.register_buffer("basis", Fq.fourier_basis(h, w, u0, v0))
        self.thr = thr

    def forward(self, x):
        proj = (x[:, 0] * self.basis).sum((-2, -1)).abs()
        return torch.stack([self.thr - proj, proj - self.thr], 1)


def test_heatmap_finds_the_one_frequency_a_model_listens_to_and_is_hermitian():
    h, w = 6, 7
    model = ReadsOneFrequency(h, w, 2, 3, thr=0.5)
    x = torch.zeros(8, 1, h, w, dtype=F64)
    y = torch.zeros(8, dtype=torch.long)
    heat = Fq.fourier_heatmap(
        model, x, y, eps=1.0, clip=None, generator=torch.Generator().manual_seed(0)
    )
    expected = torch.zeros(h, w, dtype=F64)
    expected[2, 3] = expected[-2, -3] = 1.0
    assert torch.equal(heat, expected)
    assert torch.equal(Fq.mirror(heat), heat)
    # below threshold nothing is misclassified
    assert float(Fq.fourier_heatmap(model, x, y, eps=0.4, clip=None).max()) == 0.0


def test_heatmap_on_a_cnn_is_exactly_hermitian_seeded_and_a_subset_leaves_nan():
    model = _relu_cnn().float()
    x = _rand(12, 1, 12, 12, seed=9).float()
    with torch.no_grad():
        y = model(x).argmax(1)
    full = Fq.fourier_heatmap(model, x, y, eps=3.0, generator=torch.Generator().manual_seed(1))
    assert not bool(full.isnan().any()) and torch.equal(Fq.mirror(full), full)
    assert 0 <= float(full.min()) and float(full.max()) <= 1 and float(full.max()) > 0
    again = Fq.fourier_heatmap(
        model, x, y, eps=3.0, generator=torch.Generator().manual_seed(1), batch_size=5
    )
    assert torch.equal(full, again)
    part = Fq.fourier_heatmap(model, x, y, eps=3.0, freqs=[(1, 2), (-1, -2), (0, 5)])
    done = ~part.isnan()
    assert int(done.sum()) == 4 and bool(done[1, 2] and done[11, 10] and done[0, 5] and done[0, 7])
    assert torch.equal(Fq.mirror(part).isnan(), part.isnan())


# ------------------------------------------------------------------------- bad arguments
def test_bad_arguments_name_the_argument():
    x = _rand(2, 1, 6, 6)
    lin = _linear(6, 6, 3)
    y = torch.zeros(2, dtype=torch.long)
    assert_raises_naming(lambda: Fq.dct_matrix(0), ValueError, "n")
    assert_raises_naming(lambda: Fq.dct_matrix(2.0), TypeError, "n")
    assert_raises_naming(lambda: Fq.dct_matrix(3, torch.int64), TypeError, "dtype")
    assert_raises_naming(lambda: Fq.dct2(torch.ones(5)), ValueError, "x")
    assert_raises_naming(lambda: Fq.dct2(torch.ones(2, 2, dtype=torch.cfloat)), TypeError, "x")
    assert_raises_naming(lambda: Fq.idct2("image"), TypeError, "X")
    assert_raises_naming(lambda: Fq.band_index(0, 3), ValueError, "h")
    assert_raises_naming(lambda: Fq.band_masks(4, 5, 6), ValueError, "n_bands")
    assert_raises_naming(lambda: Fq.band_masks(4, 5, 0), ValueError, "n_bands")
    assert_raises_naming(lambda: Fq.lowpass_mask(4, 4, -0.1), ValueError, "radius")
    assert_raises_naming(lambda: Fq.lowpass_mask(4, 4, 0.1, "wavelet"), ValueError, "basis")
    assert_raises_naming(lambda: Fq.split_frequencies(x, 0.1, basis=3), TypeError, "basis")
    assert_raises_naming(lambda: Fq.band_occlusion(lambda t: t, x), TypeError, "model")
    assert_raises_naming(lambda: Fq.band_occlusion(lin, x[0, 0]), ValueError, "x")
    assert_raises_naming(lambda: Fq.band_occlusion(lin, x, target=3), ValueError, "target")
    assert_raises_naming(lambda: Fq.band_occlusion(lin, x, target=y.float()), TypeError, "target")
    assert_raises_naming(lambda: Fq.band_occlusion(lin, x, batch_size=0), ValueError, "batch_size")
    assert_raises_naming(lambda: Fq.band_occlusion(nn.Identity(), x), ValueError, "model")
    assert_raises_naming(lambda: Fq.integrated_gradients(lin, x, 0, steps=0), ValueError, "steps")
    assert_raises_naming(
        lambda: Fq.integrated_gradients(lin, x, 0, basis="fourier"), ValueError, "basis"
    )
    assert_raises_naming(
        lambda: Fq.integrated_gradients(lin, x, 0, baseline=torch.ones(3, 3)),
        ValueError,
        "baseline",
    )
    assert_raises_naming(
        lambda: Fq.integrated_gradients(lin, x, torch.tensor([0, 1, 2])), ValueError, "target"
    )
    assert_raises_naming(
        lambda: Fq.check_completeness(torch.ones(3, 36), lin, x, 0), ValueError, "attributions"
    )
    assert_raises_naming(lambda: Fq.band_attribution(torch.ones(4, 4)), ValueError, "attributions")
    assert_raises_naming(lambda: Fq.fourier_basis(4, 4, 1.5, 0), TypeError, "u")
    assert_raises_naming(lambda: Fq.fourier_basis(4, 0, 1, 0), ValueError, "w")
    assert_raises_naming(lambda: Fq.fourier_heatmap(lin, x, y, eps=-1), ValueError, "eps")
    assert_raises_naming(lambda: Fq.fourier_heatmap(lin, x, y[:1], eps=1), ValueError, "y")
    assert_raises_naming(lambda: Fq.fourier_heatmap(lin, x, [0, 0], eps=1), TypeError, "y")
    assert_raises_naming(
        lambda: Fq.fourier_heatmap(lin, x, y, eps=1, generator=0), TypeError, "generator"
    )
    assert_raises_naming(lambda: Fq.fourier_heatmap(lin, x, y, 1, clip=(1, 0)), ValueError, "clip")
    assert_raises_naming(lambda: Fq.fourier_heatmap(lin, x, y, 1, clip=0.5), TypeError, "clip")
    assert_raises_naming(lambda: Fq.fourier_heatmap(lin, x, y, 1, freqs=[]), TypeError, "freqs")
    assert_raises_naming(
        lambda: Fq.fourier_heatmap(lin, x, y, 1, freqs=[(1, 2, 3)]), TypeError, "freqs[0]"
    )
    assert_raises_naming(lambda: Fq.fourier_heatmap(lin, x, y, 1, freqs=[(1.0, 2)]), TypeError, "u")


def test_band_attribution_on_non_square_images_without_channel_axis():
    attr = torch.randn(2, 4, 6, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    got = Fq.band_attribution(attr, 3)
    masks = Fq.band_masks(4, 6, 3).double()
    assert got.shape == (2, 3)
    assert torch.allclose(got, torch.einsum("nhw,bhw->nb", attr, masks), rtol=1e-12, atol=1e-12)
    assert torch.allclose(got.sum(1), attr.sum((1, 2)), rtol=1e-12, atol=1e-12)
    assert torch.equal(Fq.band_attribution(attr[:, None], 3), got)
