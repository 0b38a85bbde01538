"""attacks: FGSM and PGD (L-inf, L2, confined to a DCT band) stay in their ball, range and band,
reach the closed-form worst case of linear models; min_epsilon against the analytic margin; the
training transforms (Gaussian noise of the right std, FGSM with random start in closed form);
nets.robust's config (validation, keys) and train_or_load's per-batch transform hook."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.fft
import torch
from torch import nn

from helpers import attacks, nets, train


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _conv_model(seed=0, channels=1, side=8):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(channels, 4, 3, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(4 * side * side, 3),
    ).eval()


def _images(n=6, channels=1, side=8, seed=1):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, channels, side, side, generator=g)
    x[0] = 0.0  # images at the range's edges: clipping must act
    x[1] = 1.0
    return x, torch.randint(0, 3, (n,), generator=g)


def _linear_binary(side=4, seed=0):
    """Two-class linear model on (B, 1, side, side); returns it, w = w1 - w0 and b = b1 - b0."""
    torch.manual_seed(seed)
    lin = nn.Linear(side * side, 2)
    model = nn.Sequential(nn.Flatten(), lin).eval()
    w = (lin.weight[1] - lin.weight[0]).detach().double()
    b = float((lin.bias[1] - lin.bias[0]).detach())
    return model, w, b


def _margin(x, y, w, b):
    """Logit of the true class minus the other's: > 0 means correct."""
    s = x.flatten(1).double() @ w + b
    return torch.where(y == 1, s, -s)


# ------------------------------------------------------------------------------ ball and range
@pytest.mark.parametrize("norm", ["linf", "l2"])
@pytest.mark.parametrize("eps", [0.03, 0.1, 0.5, 2.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_pgd_stays_in_its_ball_and_in_the_image_range(norm, eps, seed):
    model, (x, y) = _conv_model(), _images()
    g = torch.Generator().manual_seed(seed)
    adv = attacks.pgd(model, x, y, eps, 7, eps / 3, norm=norm, generator=g)
    delta = (adv - x).flatten(1)
    size = delta.abs().amax(1) if norm == "linf" else delta.norm(dim=1)
    assert bool((size <= eps * (1 + 1e-6)).all()), (size.max(), eps)
    assert float(adv.min()) >= 0.0 and float(adv.max()) <= 1.0
    assert float(size.max()) > 0.5 * min(eps, 0.5), "the attack moved nothing"
    assert adv.shape == x.shape and adv.dtype == x.dtype and not adv.requires_grad


def test_pgd_moves_no_parameter_gradient_and_keeps_the_mode():
    model, (x, y) = _conv_model(), _images()
    model.train()
    attacks.pgd(model, x, y, 0.1, 3, 0.05)
    assert model.training and all(p.grad is None for p in model.parameters())


def test_pgd_raises_the_loss_and_zero_eps_is_the_identity():
    model, (x, y) = _conv_model(), _images()
    x = x.clamp(0.2, 0.8)
    ce = lambda z: float(nn.functional.cross_entropy(model(z), y).detach())  # noqa: E731
    adv = attacks.pgd(model, x, y, 0.1, 10, 0.02, random_start=False)
    assert ce(adv) > ce(x)
    assert torch.equal(attacks.pgd(model, x, y, 0.0, 5, 0.01), x)


def test_pgd_random_start_follows_the_generator():
    model, (x, y) = _conv_model(), _images()
    run = lambda s: attacks.pgd(  # noqa: E731
        model, x, y, 0.1, 0, 0.1, generator=torch.Generator().manual_seed(s)
    )
    assert torch.equal(run(3), run(3)) and not torch.equal(run(3), run(4))


def test_pgd_takes_one_eps_per_image():
    model, (x, y) = _conv_model(), _images()
    eps = torch.tensor([0.0, 0.05, 0.1, 0.2, 0.3, 0.4])
    adv = attacks.pgd(model, x, y, eps, 5, eps.clamp_min(1e-3) / 2)
    assert bool(((adv - x).flatten(1).abs().amax(1) <= eps + 1e-6).all())


# ------------------------------------------------------------------------------ DCT band
def _band(side=8, k=3):
    """The low-frequency corner: DCT coefficients (u, v) with u + v < k."""
    u = torch.arange(side)
    return (u[:, None] + u[None, :]) < k


def _out_of_band(delta, mask):
    """Relative energy outside the band, by scipy's orthonormal DCT (an independent transform)."""
    c = scipy.fft.dctn(delta.double().numpy(), axes=(-2, -1), norm="ortho")
    outside = c * (~mask.numpy())
    return np.linalg.norm(outside) / max(np.linalg.norm(c), 1e-300)


@pytest.mark.parametrize("norm", ["linf", "l2"])
@pytest.mark.parametrize("eps", [0.05, 0.3])
def test_masked_pgd_stays_in_its_band_without_clip(norm, eps):
    """In float64, so that ``adv - x`` recovers delta (in float32 the subtraction alone costs
    about 1e-7 / eps relative)."""
    model, (x, y) = _conv_model().double(), _images()
    x = x.double()
    mask = _band()
    g = torch.Generator().manual_seed(0)
    adv = attacks.pgd(model, x, y, eps, 6, eps / 2, norm=norm, clip=None, mask=mask, generator=g)
    delta = adv - x
    assert _out_of_band(delta, mask) < 1e-9
    size = delta.flatten(1).abs().amax(1) if norm == "linf" else delta.flatten(1).norm(dim=1)
    assert bool((size <= eps * (1 + 1e-6)).all()) and float(size.min()) > 0


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_masked_pgd_with_clip_keeps_the_range_always_and_the_band_when_nothing_clips(norm):
    model, (x, y) = _conv_model().double(), _images()
    x = x.double()
    mask, eps = _band(k=4), 0.2
    adv = attacks.pgd(model, x, y, eps, 6, 0.1, norm=norm, mask=mask)
    assert float(adv.min()) >= 0.0 and float(adv.max()) <= 1.0
    size = (
        (adv - x).flatten(1).abs().amax(1) if norm == "linf" else (adv - x).flatten(1).norm(dim=1)
    )
    assert bool((size <= eps * (1 + 1e-6)).all())
    # images at least eps inside the range (L-inf: every pixel moves by <= eps): no clip acts
    inner = 0.2 + 0.6 * x
    adv = attacks.pgd(model, inner, y, eps, 6, 0.1, norm="linf", mask=mask)
    assert _out_of_band(adv - inner, mask) < 1e-9


def test_mask_broadcasts_per_channel_and_refuses_bad_masks():
    model, (x, y) = _conv_model(channels=2).double(), _images(channels=2)
    x = x.double()
    mask = torch.stack([_band(k=2), _band(k=5)])  # (2, 8, 8): one band per channel
    adv = attacks.pgd(model, x, y, 0.1, 3, 0.05, clip=None, mask=mask)
    for c in range(2):
        assert _out_of_band((adv - x)[:, c], mask[c]) < 1e-9
    with pytest.raises(ValueError, match="broadcast"):
        attacks.pgd(model, x, y, 0.1, 1, 0.05, mask=torch.ones(3, 8, 8))
    with pytest.raises(ValueError, match="no DCT"):
        attacks.pgd(model, x, y, 0.1, 1, 0.05, mask=torch.zeros(8, 8))
    with pytest.raises(ValueError, match="0 and 1"):
        attacks.pgd(model, x, y, 0.1, 1, 0.05, mask=torch.full((8, 8), 0.5))


# ------------------------------------------------------------------------------ closed forms
def test_fgsm_on_a_linear_model_is_eps_times_the_sign_of_the_closed_form_gradient():
    torch.manual_seed(0)
    lin = nn.Linear(16, 3)
    model = nn.Sequential(nn.Flatten(), lin)
    x, y = torch.rand(5, 1, 4, 4).clamp(0.2, 0.8), torch.tensor([0, 1, 2, 1, 0])
    with torch.no_grad():
        p = torch.softmax(model(x), 1)
    grad = (p - nn.functional.one_hot(y, 3)) @ lin.weight  # d CE / d x of a linear model
    expected = x + 0.1 * grad.sign().reshape(x.shape)
    assert torch.allclose(attacks.fgsm(model, x, y, 0.1, clip=None), expected, atol=1e-7)
    clipped = (x + 0.5 * grad.sign().reshape(x.shape)).clamp(0, 1)
    assert torch.allclose(attacks.fgsm(model, x, y, 0.5), clipped, atol=1e-7)


@pytest.mark.parametrize("norm", ["linf", "l2"])
@pytest.mark.parametrize("random_start", [False, True])
def test_pgd_on_a_linear_model_reaches_the_analytic_worst_case(norm, random_start):
    """The worst case of a linear margin over the eps ball is a decrease of eps ||w||_dual:
    eps ||w||_1 in L-inf, eps ||w||_2 in L2. From an L2 random start the part of delta across w
    only shrinks like 1 / (steps * step_size / eps) under rescaling: 400 steps there."""
    model, w, b = _linear_binary()
    x = torch.rand(8, 1, 4, 4, generator=torch.Generator().manual_seed(2))
    y = torch.randint(0, 2, (8,), generator=torch.Generator().manual_seed(3))
    eps = 0.07
    steps = 400 if (norm == "l2" and random_start) else 20
    adv = attacks.pgd(
        model, x, y, eps, steps, eps / 4, norm=norm, random_start=random_start, clip=None
    )
    dual = w.abs().sum() if norm == "linf" else w.norm()
    drop = _margin(x, y, w, b) - _margin(adv, y, w, b)
    assert torch.allclose(drop, eps * dual.expand_as(drop), rtol=1e-4), (drop, eps * dual)


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_min_epsilon_on_a_linear_model_is_margin_over_the_dual_norm(norm):
    model, w, b = _linear_binary()
    g = torch.Generator().manual_seed(5)
    x = 0.5 + 0.1 * torch.randn(40, 1, 4, 4, generator=g)
    x[5:7] += 20 * w.float().reshape(1, 4, 4)  # far from the boundary: never flipped below hi
    y = (x.flatten(1).double() @ w + b > 0).long()  # correct on all ...
    y[:5] = 1 - y[:5]  # ... but five
    dual = w.abs().sum() if norm == "linf" else w.norm()
    truth = _margin(x, y, w, b) / dual
    hi, iters = 1.0, 12
    found = attacks.min_epsilon(model, x, y, norm=norm, hi=hi, iters=iters, clip=None)
    tol = hi / 2**iters + 1e-6
    wrong, never = truth <= 0, truth > hi
    assert bool((found[wrong] == 0).all()) and int(wrong.sum()) == 5
    assert bool(torch.isinf(found[never]).all()) and int(never.sum()) >= 1
    ok = ~wrong & ~never
    err = found[ok].double() - truth[ok]
    assert bool((err >= -1e-6).all()) and bool((err <= tol).all()), err


def test_robust_accuracy_of_tensors_and_of_a_loader_agree_and_clean_is_accuracy_on():
    model, (x, y) = _conv_model(), _images(n=20)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=7)
    clean = attacks.robust_accuracy(model, (x, y), None, batch_size=6)
    assert clean == pytest.approx(train.accuracy_on(model, x, y))
    kw = dict(eps=0.3, steps=5, step_size=0.1, random_start=False)
    a = attacks.robust_accuracy(model, (x, y), attacks.pgd, batch_size=7, **kw)
    assert a == attacks.robust_accuracy(model, loader, attacks.pgd, **kw) and a <= clean


# ------------------------------------------------------------------------------ transforms
def test_gaussian_augment_adds_noise_of_its_sigma():
    """Std estimate of 2e5 draws: sd about sigma / sqrt(2n) = 0.03 %; a 1 % tolerance rejects
    sigma^2, sqrt(2) sigma or sigma / 2."""
    x, y = torch.zeros(2000, 1, 10, 10), torch.zeros(2000, dtype=torch.long)
    torch.manual_seed(0)
    noisy, same = attacks.GaussianAugment(0.2, clip=None)(None, x, y)
    assert same is y
    assert float(noisy.std()) == pytest.approx(0.2, rel=0.01)
    assert abs(float(noisy.mean())) < 0.002
    torch.manual_seed(0)
    assert torch.equal(attacks.GaussianAugment(0.2, clip=None)(None, x, y)[0], noisy)
    clipped, _ = attacks.GaussianAugment(0.2)(None, x + 0.5, y)
    assert float(clipped.min()) >= 0 and float(clipped.max()) <= 1


def test_fgsm_random_start_is_wong_et_al_in_closed_form_on_a_linear_model():
    """delta = clamp(u + alpha sign(grad), -eps, eps) with u ~ U(-eps, eps) from the global
    generator; on a linear binary model sign(grad) = -sign(w) for label 1, +sign(w) for 0."""
    model, w, _ = _linear_binary()
    x = torch.rand(6, 1, 4, 4, generator=torch.Generator().manual_seed(0)).clamp(0.3, 0.7)
    y = torch.tensor([0, 1, 0, 1, 1, 0])
    eps = 0.1
    t = attacks.FGSMRandomStart(eps, clip=None)
    assert t.alpha == pytest.approx(1.25 * eps)
    torch.manual_seed(7)
    adv, same = t(model, x, y)
    torch.manual_seed(7)
    u = (2 * torch.rand(x.shape) - 1) * eps
    s = torch.where(y == 1, -1.0, 1.0)[:, None] * w.float().sign()[None]
    expected = x + (u + 1.25 * eps * s.reshape(x.shape)).clamp(-eps, eps)
    assert same is y and torch.allclose(adv, expected, atol=1e-7)
    model2, (xi, yi) = _conv_model(), _images()
    torch.manual_seed(1)
    adv2, _ = attacks.FGSMRandomStart(0.3)(model2, xi, yi)
    assert float((adv2 - xi).abs().max()) <= 0.3 + 1e-6
    assert float(adv2.min()) >= 0 and float(adv2.max()) <= 1


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda m, x, y: attacks.pgd(m, x, y, 0.1, 2, 0.1, norm="l1"), ValueError, "norm"),
        (lambda m, x, y: attacks.pgd(m, x, y, -0.1, 2, 0.1), ValueError, "eps"),
        (lambda m, x, y: attacks.pgd(m, x, y, 0.1, 2, 0.0), ValueError, "step_size"),
        (lambda m, x, y: attacks.pgd(m, x, y, 0.1, -1, 0.1), ValueError, "steps"),
        (lambda m, x, y: attacks.pgd(m, x, y, 0.1, 2, 0.1, clip=(1, 0)), ValueError, "clip"),
        (lambda m, x, y: attacks.pgd(m, x, y[:2], 0.1, 2, 0.1), ValueError, "y"),
        (lambda m, x, y: attacks.pgd(m, x, y, torch.ones(2), 2, 0.1), ValueError, "eps"),
        (lambda m, x, y: attacks.fgsm("net", x, y, 0.1), TypeError, "model"),
        (lambda m, x, y: attacks.min_epsilon(m, x, y, lo=0.5, hi=0.1), ValueError, "hi"),
        (lambda m, x, y: attacks.robust_accuracy(m, (x, y), "pgd"), TypeError, "attack"),
        (lambda m, x, y: attacks.GaussianAugment(0.0), ValueError, "sigma"),
        (lambda m, x, y: attacks.FGSMRandomStart(0.1, alpha=-1), ValueError, "alpha"),
    ],
)
def test_bad_inputs_name_the_argument(call, exc, word):
    model, (x, y) = _conv_model(), _images()
    with pytest.raises(exc, match=word):
        call(model, x, y)


# ------------------------------------------------------------------------------ nets.robust
def test_robust_config_validates_with_clear_messages():
    with pytest.raises(ValueError, match="needs sigma"):
        nets.RobustConfig(training="gaussian")
    with pytest.raises(ValueError, match="needs train_eps"):
        nets.RobustConfig(training="fgsm")
    with pytest.raises(ValueError, match="train_eps is not used"):
        nets.RobustConfig(training="standard", train_eps=0.1)
    with pytest.raises(ValueError, match="sigma is not used"):
        nets.RobustConfig(training="fgsm", train_eps=0.1, sigma=0.2)
    with pytest.raises(ValueError, match="training"):
        nets.RobustConfig(training="trades")
    with pytest.raises(ValueError, match="cifar10"):
        nets.RobustConfig(arch="resnet_cifar", dataset="mnist")
    with pytest.raises(ValueError, match="augment"):
        nets.RobustConfig(augment=True)
    with pytest.raises(ValueError, match="train_eps"):
        nets.RobustConfig(training="fgsm", train_eps=-0.1)
    with pytest.raises(ValueError, match="depth"):
        nets.RobustConfig(arch="resnet_cifar", dataset="cifar10", depth=21)


def test_robust_configs_keys_differ_by_training_and_transforms_match():
    quick = {t: nets.robust_config(t, "quick") for t in nets.TRAININGS}
    assert len({c.key() for c in quick.values()}) == 3
    assert quick["standard"].train_transform() is None
    g, f = quick["gaussian"].train_transform(), quick["fgsm"].train_transform()
    assert isinstance(g, attacks.GaussianAugment) and g.sigma == quick["gaussian"].sigma
    assert isinstance(f, attacks.FGSMRandomStart) and f.eps == quick["fgsm"].train_eps
    assert f.alpha == pytest.approx(1.25 * f.eps)
    full = nets.robust_config("fgsm", "full")
    assert full.dataset == "cifar10" and full.train_eps == pytest.approx(8 / 255)
    assert full.train_transform().transforms[1].alpha == pytest.approx(10 / 255)
    assert (
        nets.from_dict(full.to_dict()) == full and nets.family("resnet_cifar") is nets.RobustConfig
    )
    assert nets.robust_config("fgsm", "quick", train_eps=0.1).key() != quick["fgsm"].key()
    assert nets.NetConfig.train_transform(quick["standard"]) is None  # the default hook


def test_robust_networks_take_pixels_and_standardise_first():
    cfg = nets.robust_config("standard", "quick")
    torch.manual_seed(0)
    model = cfg.build()
    assert isinstance(model.normalize, nets.PixelNormalize)
    x = torch.rand(2, 1, 28, 28)
    assert torch.allclose(model(x), model.net((x - nets.MNIST_MEAN) / nets.MNIST_STD))
    resnet = nets.robust_config("standard", "full").build()
    assert resnet(torch.rand(2, 3, 32, 32)).shape == (2, 10)
    assert sum(p.numel() for p in resnet.parameters()) < 300_000  # ResNet-20


def test_crop_flip_gives_shifted_or_flipped_crops_of_the_padded_image():
    x = torch.rand(4, 3, 8, 8)
    torch.manual_seed(0)
    out, _ = nets.robust._CropFlip(pad=2)(None, x, None)
    padded = nn.functional.pad(x, (2, 2, 2, 2))
    for i in range(4):
        crops = [
            c
            for dy in range(5)
            for dx in range(5)
            for c in (padded[i, :, dy : dy + 8, dx : dx + 8],)
            for c in (c, c.flip(-1))
        ]
        assert any(torch.equal(out[i], c) for c in crops)


# ------------------------------------------------------------------------------ train_or_load hook
_CALLS: list = []


def _record(model, x, y):
    _CALLS.append((model.training, len(x)))
    return x, y


def _tiny_mnist(config):
    g = torch.Generator().manual_seed(config.seed)
    x, y = torch.rand(48, 1, 28, 28, generator=g), torch.randint(0, 10, (48,), generator=g)
    ds = torch.utils.data.TensorDataset(x, y)
    loader = torch.utils.data.DataLoader(
        ds, batch_size=config.batch_size, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    return loader, torch.utils.data.DataLoader(ds, batch_size=16)


@nets.register
@dataclasses.dataclass(frozen=True)
class RecordingConfig(nets.RobustConfig):
    """A test family: the small MNIST CNN whose training transform records its calls."""

    archs = ("toy_recording_cnn",)
    _pairs = {"toy_recording_cnn": "mnist"}
    arch: str = "toy_recording_cnn"
    epochs: int = 2
    batch_size: int = 16

    def build(self):
        return nets.small_cnn_2d()

    def train_transform(self):
        return _record


def test_train_or_load_applies_the_configs_transform_to_every_batch(tmp_path):
    _CALLS.clear()
    cfg = RecordingConfig()
    train.train_or_load(cfg, make_loaders=_tiny_mnist, cache=tmp_path, device="cpu", log=None)
    assert _CALLS == [(True, 16)] * (2 * 3)  # 2 epochs of 3 batches, in training mode
    _CALLS.clear()
    train.train_or_load(cfg, make_loaders=_tiny_mnist, cache=tmp_path, device="cpu", log=None)
    assert _CALLS == []  # loaded: nothing trained


def test_fgsm_training_through_train_or_load_differs_from_standard(tmp_path):
    states = {}
    for t in ("standard", "fgsm"):
        cfg = nets.robust_config(t, "quick", epochs=1, batch_size=16)
        model, _ = train.train_or_load(
            cfg, make_loaders=_tiny_mnist, cache=tmp_path, device="cpu", log=None
        )
        states[t] = model.state_dict()["net.classifier.weight"]
    assert not torch.equal(states["standard"], states["fgsm"])


def _tiny_cifar(config):
    g = torch.Generator().manual_seed(config.seed)
    x, y = torch.rand(16, 3, 32, 32, generator=g), torch.randint(0, 10, (16,), generator=g)
    ds = torch.utils.data.TensorDataset(x, y)
    return torch.utils.data.DataLoader(ds, batch_size=8), torch.utils.data.DataLoader(ds)


def test_the_full_mode_fgsm_resnet_trains_through_train_or_load(tmp_path):
    """The CIFAR-10 path (crops, flips, FGSM-RS at 8/255, SGD one-cycle) on 16 random images."""
    cfg = nets.robust_config("fgsm", "full", epochs=1, batch_size=8)
    model, record = train.train_or_load(
        cfg, make_loaders=_tiny_cifar, cache=tmp_path, device="cpu", log=None
    )
    assert isinstance(model.net, nets.ResNetCIFAR) and len(record.history) == 1
    assert np.isfinite(record.history[0]["loss"])
