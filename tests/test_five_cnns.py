"""Chapter 6's helpers: the five CNNs (AlexNet-BN built here), their stages, the per-epoch
spectrum recorder and its cache, the fit on small grids, and the statistics of Table 5."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from helpers import claims, nets, probes, spectra, train
from conftest import assert_raises_naming, require_dataset


# ------------------------------------------------------------------ AlexNet-BN and the family
@pytest.mark.parametrize("size, sides", [(224, (55, 27, 13, 6)), (64, (15, 7, 3, 1))])
def test_alexnet_bn_shapes_follow_the_conv_and_pool_arithmetic(size, sides):
    torch.manual_seed(0)
    net = nets.alexnet_bn(10, width=0.25).eval()
    taps = probes.feature_stages(net)
    assert list(taps) == ["input", "relu1", "relu2", "relu3", "relu4", "relu5", "pool5"]
    with torch.no_grad():
        shapes = (
            probes.ClassSpectra(net, taps, 2)
            .run([(torch.randn(2, 3, size, size), torch.tensor([0, 1]))])
            .shapes
        )
    assert [shapes[k][-1] for k in ("relu1", "relu2", "relu5", "pool5")] == list(sides)
    assert [shapes[k][0] for k in ("relu1", "relu2", "relu3", "relu4", "relu5")] == [
        16,
        48,
        96,
        64,
        64,
    ]
    # a batch norm after every convolution, and the 10-way head
    kinds = [type(m) for m in net.features]
    assert kinds.count(nn.BatchNorm2d) == kinds.count(nn.Conv2d) == 5
    assert net(torch.randn(3, 3, size, size)).shape == (3, 10)
    full = nets.alexnet_bn(1000)
    assert [full.features[i].out_channels for i in (0, 4, 8, 11, 14)] == [64, 192, 384, 256, 256]
    # torchvision's AlexNet has the same convolutions (without batch norm)
    from torchvision.models import alexnet

    tv = [m for m in alexnet(weights=None).features if isinstance(m, nn.Conv2d)]
    ours = [m for m in full.features if isinstance(m, nn.Conv2d)]
    assert [(m.kernel_size, m.stride, m.padding, m.out_channels) for m in tv] == [
        (m.kernel_size, m.stride, m.padding, m.out_channels) for m in ours
    ]


@pytest.mark.parametrize("arch", nets.FIVE_CNNS)
def test_every_arch_builds_with_ten_outputs_and_known_stages(arch):
    cfg = nets.ImagenetteConfig(arch=arch, image_size=64)
    torch.manual_seed(0)
    net = cfg.build().eval()
    taps = probes.feature_stages(net)
    assert next(iter(taps)) == "input" and len(taps) >= 6
    with torch.no_grad():
        assert net(torch.randn(2, 3, 64, 64)).shape == (2, 10)
    assert probes.first_conv(net) in dict(net.named_modules())


def test_five_cnn_config_budgets_and_keys():
    quick = nets.five_cnn_config("alexnet_bn", "quick")
    assert (quick.image_size, quick.subset, quick.width) == (64, 400, 0.25)
    full = nets.five_cnn_config("resnet152_scratch", "full", seed=2, labels="shuffled")
    assert (full.image_size, full.width, full.seed, full.labels) == (224, 1.0, 2, "shuffled")
    assert full.key() != full.replace(labels="true").key()
    with pytest.raises(ValueError, match="full mode only"):
        nets.five_cnn_config("vgg19_bn", "quick")
    # chapter 5's trained control loads this network: its key must not drift silently
    assert nets.five_cnn_config("resnet18_scratch", "quick").to_dict() == {
        "arch": "resnet18_scratch",
        "augment": True,
        "batch_size": 32,
        "dataset": "imagenette",
        "epochs": 4,
        "image_size": 64,
        "labels": "true",
        "lr": 0.002,
        "n_classes": 10,
        "optimizer": "adam",
        "schedule": "onecycle",
        "seed": 0,
        "subset": 400,
        "version": 1,
        "weight_decay": 0.0005,
        "width": 1.0,
    }


@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda: nets.ImagenetteConfig(arch="resnet18_scratch", width=0.5), ValueError, "width"),
        (lambda: nets.ImagenetteConfig(arch="alexnet_bn", width=0.0), ValueError, "width"),
        (lambda: nets.ImagenetteConfig(labels="random"), ValueError, "labels"),
        (lambda: nets.ImagenetteConfig(arch="alexnet_bn", image_size=48), ValueError, "image_size"),
        (lambda: nets.shuffled_labels(torch.zeros(4), 0), TypeError, "labels"),
        (lambda: nets.ImagenetteConfig(arch="vgg16"), ValueError, "arch"),
        (lambda: nets.alexnet_bn(10, width=1.5), ValueError, "width"),
        (lambda: nets.five_cnn_config("lenet"), ValueError, "arch"),
        (lambda: nets.imagenet_normalize(torch.zeros(2, 1, 4, 4)), ValueError, "images"),
        (lambda: probes.feature_stages(nn.Linear(2, 2)), ValueError, "feature_stages"),
        (lambda: probes.output_stage({"input": (3, 8, 8), "a": (4, 2, 2)}), ValueError, "stage"),
        (lambda: probes.kernel_spectrum(torch.zeros(2, 3, 3)), ValueError, "weight"),
        (lambda: probes.kernel_spectrum(torch.zeros(2, 1, 3, 3)), ValueError, "weight"),
        (lambda: probes.first_conv(nn.Linear(2, 2)), ValueError, "Conv2d"),
        (
            lambda: probes.SpectrumTrajectory(torch.zeros(2, 3, 4, 4), [0, 0], TINY_TAPS, 2),
            ValueError,
            "labels",
        ),
    ],
)
def test_bad_input_names_the_argument(call, exc, word):
    assert_raises_naming(call, exc, word)


def test_shuffled_labels_keep_counts_cut_links_and_follow_the_seed():
    y = torch.arange(10).repeat(40)
    a, b = nets.shuffled_labels(y, 0), nets.shuffled_labels(y, 1)
    assert torch.equal(torch.bincount(a), torch.bincount(y))
    assert torch.equal(a, nets.shuffled_labels(y, 0)) and not torch.equal(a, b)
    assert 0.03 < float((a == y).double().mean()) < 0.2  # about 1 in 10 agree by chance


def test_imagenet_normalize_reads_uint8_as_k_over_255():
    u = torch.randint(0, 256, (2, 3, 5, 5), dtype=torch.uint8)
    x = nets.imagenet_normalize(u)
    ref = (
        u.double() / 255 - torch.tensor(nets.IMAGENET_MEAN).view(3, 1, 1).double()
    ) / torch.tensor(nets.IMAGENET_STD).view(3, 1, 1).double()
    assert x.dtype == torch.float32 and torch.allclose(x.double(), ref, atol=1e-6)
    assert torch.allclose(nets.imagenet_normalize(u.float() / 255), x, atol=1e-6)


def test_imagenette_loaders_shuffle_only_the_training_labels():
    require_dataset("imagenette")
    cfg = nets.ImagenetteConfig(arch="resnet18_scratch", image_size=32, subset=100)
    tr, te = cfg.loaders(mode="quick")
    true_y = tr.dataset.labels
    shuf_y = cfg.replace(labels="shuffled").loaders(mode="quick")[0].dataset.labels
    assert torch.equal(torch.bincount(true_y), torch.bincount(shuf_y))
    assert not torch.equal(true_y, shuf_y)
    assert torch.equal(
        te.dataset.labels, cfg.replace(labels="shuffled").loaders(mode="quick")[1].dataset.labels
    )
    x, y = next(iter(te))
    assert x.shape[1:] == (3, 32, 32) and x.dtype == torch.float32 and abs(float(x.mean())) < 1.5


# --------------------------------------------------------------------- stages and the fit
def test_output_stage_is_the_deepest_map_of_at_least_min_side():
    shapes = {
        "input": (3, 64, 64),
        "stem": (64, 16, 16),
        "layer1": (64, 16, 16),
        "layer2": (128, 8, 8),
        "layer3": (256, 4, 4),
        "layer4": (512, 2, 2),
    }
    assert probes.output_stage(shapes) == "layer2"
    assert probes.output_stage(shapes, min_side=4) == "layer3"
    assert probes.output_stage(shapes, min_side=9) == "layer1"


@pytest.mark.parametrize("n", [6, 7, 8, 14, 28])
@pytest.mark.parametrize("mu", [0.5, 1.0, 1.5])
def test_power_law_fit_on_small_grids_has_only_its_binning_bias(n, mu):
    """An exact rho^(-2 mu) spectrum: the only error is the Jensen bias of the annulus mean,
    positive and at most 5 % on 6 x 6 to 28 x 28 grids, and shrinking with the grid."""
    g = torch.Generator().manual_seed(0)
    field = spectra.power_law_field(n, mu, g)
    e = spectra.energy_spectrum(field, ndim=2)
    r = spectra.radial_frequency(n, n)
    assert torch.allclose(e[r > 0], r[r > 0] ** (-2 * mu), rtol=1e-9)  # exact by construction
    assert float(e[n // 2, n // 2]) < 1e-20
    fit = spectra.power_law_fit(e, band=(1 / n, 0.5))
    rel = float(fit.mu) / mu - 1
    assert 0 < rel <= 0.05
    big = spectra.power_law_fit(
        spectra.energy_spectrum(spectra.power_law_field(2 * n, mu, g), ndim=2),
        band=(1 / (2 * n), 0.5),
    )
    assert float(big.mu) / mu - 1 < rel


def test_mean_pairwise_distance():
    assert spectra.mean_pairwise_distance(torch.ones(4, 2)) == 0.0
    pts = torch.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 0.0]])
    assert spectra.mean_pairwise_distance(pts) == pytest.approx(10 / 3, rel=1e-15)
    with pytest.raises(ValueError, match="points"):
        spectra.mean_pairwise_distance(torch.ones(1, 2))


def test_kernel_spectrum_of_a_delta_is_flat_and_of_a_box_is_a_sinc_squared():
    w = torch.zeros(2, 3, 3, 3)
    w[..., 1, 1] = 1.0  # every kernel a (shifted) delta: |DFT|^2 flat
    flat = probes.kernel_spectrum(w, 8)
    assert torch.allclose(flat, torch.full((8, 8), 1 / 64, dtype=torch.float64), atol=1e-16)
    box = probes.kernel_spectrum(torch.ones(1, 1, 2, 2), 8)
    f = spectra.frequency_axis(8).double()
    one_d = (2 * torch.cos(math.pi * f)) ** 2  # |1 + e^{-j 2 pi f}|^2
    ref = one_d[:, None] * one_d[None, :]
    assert torch.allclose(box, ref / ref.sum(), atol=1e-15)
    with_zero = torch.cat([torch.ones(1, 1, 2, 2), torch.zeros(1, 1, 2, 2)], 1)
    assert torch.allclose(probes.kernel_spectrum(with_zero, 8), box, atol=1e-16)  # dead skipped


# -------------------------------------------------------------------- the recorder and its cache
class _Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.act = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.pool(self.act(self.conv1(x))).mean((-2, -1)))


def _tiny_probe():
    g = torch.Generator().manual_seed(3)
    return torch.randn(12, 3, 8, 8, generator=g), torch.tensor([0, 1] * 6)


TINY_TAPS = {"input": ("conv1", "input"), "act": ("act", "output"), "pool": ("pool", "output")}


def test_trajectory_records_epoch_zero_and_every_epoch_matching_a_direct_probe():
    x, y = _tiny_probe()
    torch.manual_seed(0)
    model = _Tiny()
    rec = probes.SpectrumTrajectory(x, y, TINY_TAPS, 2, batch_size=5)
    loader = [(x[:6], y[:6]), (x[6:], y[6:])]
    train.fit(model, loader, 3, 1e-2, "cpu", log=None, on_epoch=rec)
    assert rec.epochs == [0, 1, 2, 3] and len(rec.accuracy) == 4
    assert len(rec.class_means["input"]) == 1 and len(rec.class_means["act"]) == 4
    # the last record equals a direct ClassSpectra of the trained model, class counts weighted
    direct = probes.ClassSpectra(model, TINY_TAPS, 2, keep_samples=False).run([(x, y)])
    assert torch.allclose(rec.stage_means("act")[-1], direct.mean("act"), rtol=1e-5, atol=1e-9)
    assert torch.allclose(
        rec.stage_means("act")[-1].sum(), torch.tensor(1.0, dtype=torch.float64), atol=1e-5
    )
    acc = float((model(x).argmax(1) == y).double().mean())
    assert rec.accuracy[-1] == pytest.approx(acc)
    assert torch.allclose(rec.kernel_spectra[-1], probes.kernel_spectrum(model.conv1.weight, 32))
    assert not torch.allclose(rec.kernel_spectra[0], rec.kernel_spectra[-1])
    fit = rec.fit("act")
    assert fit.mu.shape == (4,)
    with pytest.raises(ValueError, match="epoch"):
        rec(2, model, None)  # epochs must increase


def test_trajectory_key_follows_the_probe_and_state_round_trips():
    x, y = _tiny_probe()
    a = probes.SpectrumTrajectory(x, y, TINY_TAPS, 2)
    assert a.key == probes.SpectrumTrajectory(x.clone(), y, TINY_TAPS, 2).key
    assert a.key != probes.SpectrumTrajectory(x + 1e-3, y, TINY_TAPS, 2).key
    assert a.key != probes.SpectrumTrajectory(x, y, {"act": ("act", "output")}, 2).key
    torch.manual_seed(0)
    model = _Tiny().eval()
    a(0, model, None)
    b = probes.SpectrumTrajectory(x, y, TINY_TAPS, 2)
    b.load_state_dict(a.state_dict())
    assert torch.equal(b.stage_means("pool"), a.stage_means("pool")) and b.epochs == [0]
    other = probes.SpectrumTrajectory(x * 2, y, TINY_TAPS, 2)
    with pytest.raises(ValueError, match="probe"):
        other.load_state_dict(a.state_dict())
    with pytest.raises(RuntimeError, match="recorded"):
        other.stage_means("act")


def test_train_or_load_keeps_the_record_with_the_network(tmp_path):
    """A cached network comes back with its trajectory; a new recorder retrains it; a plain load
    ignores records."""
    require_dataset("imagenette")
    cfg = nets.ImagenetteConfig(
        arch="alexnet_bn", width=0.25, image_size=64, subset=40, epochs=1, batch_size=20
    )
    xv, yv, _ = nets.imagenette_tensors("val", 64, "quick", 20, None, 0)
    probe = nets.imagenet_normalize(xv)
    taps = probes.feature_stages(cfg.build())
    rec = probes.SpectrumTrajectory(probe, yv, taps, 10)
    _, first = train.train_or_load(cfg, cache=tmp_path, mode="quick", on_epoch=rec, log=None)
    assert not first.loaded and rec.epochs == [0, 1]
    again = probes.SpectrumTrajectory(probe, yv, taps, 10)
    _, second = train.train_or_load(cfg, cache=tmp_path, mode="quick", on_epoch=again, log=None)
    assert second.loaded and torch.equal(again.stage_means("relu1"), rec.stage_means("relu1"))
    _, plain = train.train_or_load(cfg, cache=tmp_path, mode="quick", log=None)
    assert plain.loaded
    lines = []
    new = probes.SpectrumTrajectory(probe.flip(-1), yv, taps, 10)
    _, third = train.train_or_load(
        cfg, cache=tmp_path, mode="quick", on_epoch=new, log=lines.append
    )
    assert not third.loaded and new.epochs == [0, 1]
    assert any("no record" in line for line in lines)
    with pytest.raises(TypeError, match="on_epoch"):
        train.train_or_load(cfg, cache=tmp_path, mode="quick", on_epoch=lambda *a: None)


# ------------------------------------------------------------------------ Table 5's statistics
def test_permutation_test_against_exact_enumeration_and_its_add_one_rule():
    from itertools import combinations

    a, b = [3.0, 4.0, 5.0], [1.0, 2.0, 2.5]
    pooled = a + b
    obs = np.mean(a) - np.mean(b)
    exact = np.mean(
        [
            np.mean([pooled[i] for i in c]) - np.mean([pooled[i] for i in set(range(6)) - set(c)])
            >= obs - 1e-12
            for c in combinations(range(6), 3)
        ]
    )  # 1 of 20 splits
    stat, p = claims.permutation_test(a, b, n=20000, seed=0)
    assert stat == pytest.approx(obs) and p == pytest.approx(exact, abs=0.01)
    _, p_null = claims.permutation_test(b, a, n=2000, seed=0)
    assert p_null > 0.9
    _, p_same = claims.permutation_test([1.0, 1.0], [1.0, 1.0], n=99, seed=0)
    assert p_same == 1.0
    assert claims.permutation_test(a, b, n=500, seed=1) == claims.permutation_test(
        a, b, n=500, seed=1
    )
    with pytest.raises(ValueError, match="at least one"):
        claims.permutation_test([], b)


def test_cohens_d_closed_form():
    a, b = [1.0, 2.0, 3.0], [3.0, 4.0, 5.0]
    assert claims.cohens_d(a, b) == pytest.approx(-2.0, rel=1e-15)  # pooled sd 1
    assert claims.cohens_d(b, a) == pytest.approx(2.0, rel=1e-15)
    with pytest.raises(ValueError, match="spread"):
        claims.cohens_d([1.0, 1.0], [1.0, 1.0])
