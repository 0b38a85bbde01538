"""nets: every family builds, configs validate and name the bad argument, cache keys stay put,
the registry names unknown archs and datasets; the audio family's crops and loaders."""

from __future__ import annotations

import hashlib
import http.server
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch
from torch import nn

from helpers import data, nets, train
from conftest import require_dataset, write_urbansound8k

ROOT = Path(__file__).resolve().parents[1]


def test_vgg11_structure_and_names():
    net = nets.vgg11_1d(width=0.25)
    names = dict(net.named_modules())
    convs = [n for n, m in names.items() if isinstance(m, nn.Conv1d)]
    pools = [n for n, m in names.items() if isinstance(m, nn.MaxPool1d)]
    assert convs == [f"features.conv{i}" for i in range(1, 9)]
    assert pools == [f"features.pool{i}" for i in range(1, 6)]
    for i in range(1, 9):
        assert isinstance(names[f"features.bn{i}"], nn.BatchNorm1d)
        assert isinstance(names[f"features.act{i}"], nn.ReLU)
    widths = [names[c].out_channels for c in convs]
    assert widths == [16, 32, 64, 64, 128, 128, 128, 128]
    conv = names["features.conv2"]
    assert conv.kernel_size == (3,) and conv.padding == (1,) and conv.stride == (1,)
    # the order of the first block is conv -> bn -> act -> pool
    assert list(net.features._modules)[:4] == ["conv1", "bn1", "act1", "pool1"]
    assert net.classifier.in_features == 128 and net.classifier.out_features == 10


def test_forward_shapes_and_length_preservation():
    torch.manual_seed(0)
    net = nets.vgg11_1d(width=0.125, batch_norm=False).eval()
    x = torch.randn(3, 1, 256)
    assert net(x).shape == (3, 10)
    assert net(x[:, 0]).shape == (3, 10), "(B, N) waveforms get a channel axis"
    # convolutions and activations keep the length; each pool halves it
    feats = net.features_of(x)
    assert feats.shape == (3, 64, 256 // 32)
    assert not any(isinstance(m, nn.BatchNorm1d) for m in net.modules())


@pytest.mark.parametrize("name", sorted(nets.ACTIVATIONS))
def test_activation_choices(name):
    net = nets.vgg11_1d(width=0.0625, activation=name, pool="avg")
    act = dict(net.named_modules())["features.act3"]
    assert isinstance(act, nets.ACTIVATIONS[name])
    assert isinstance(dict(net.named_modules())["features.pool1"], nn.AvgPool1d)
    assert net(torch.randn(2, 1, 64)).shape == (2, 10)


def test_sine_activation():
    y = torch.linspace(-4, 4, 101)
    assert torch.allclose(nets.Sine()(y), torch.sin(y))
    assert torch.allclose(nets.Sine(w0=3.0)(y), torch.sin(3 * y))


def test_width_rounding_never_zero():
    assert nets.scaled_channels(0.001)[0] == 1
    assert nets.scaled_channels(1.0) == list(nets.VGG11_CFG)


def test_config_key_is_sha256_of_canonical_json_and_stable():
    cfg = nets.AudioConfig()
    text = json.dumps(cfg.to_dict(), sort_keys=True, separators=(",", ":"))
    assert cfg.key() == hashlib.sha256(text.encode()).hexdigest()
    assert nets.AudioConfig().key() == cfg.key()
    assert cfg.replace(seed=1).key() != cfg.key()
    assert cfg.replace(batch_norm=False).key() != cfg.key()
    assert nets.AudioConfig.from_dict(cfg.to_dict()) == cfg
    # another process (fresh hash seeds) gives the same key
    code = "from helpers import nets; print(nets.AudioConfig().key())"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == cfg.key()


def test_config_normalises_and_builds():
    cfg = nets.AudioConfig(activation="ReLU", width=1 / 16)
    assert cfg.activation == "relu" and isinstance(cfg.width, float)
    torch.manual_seed(0)
    a = cfg.build()
    torch.manual_seed(0)
    b = cfg.build()
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters())), (
        "seeded builds are equal"
    )


@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda: nets.vgg11_1d(width=0), ValueError, "width"),
        (lambda: nets.vgg11_1d(width=-0.5), ValueError, "width"),
        (lambda: nets.vgg11_1d(width="wide"), TypeError, "width"),
        (lambda: nets.vgg11_1d(width=float("nan")), ValueError, "width"),
        (lambda: nets.vgg11_1d(activation="gelu"), ValueError, "activation"),
        (lambda: nets.vgg11_1d(activation=None), TypeError, "activation"),
        (lambda: nets.vgg11_1d(pool="min"), ValueError, "pool"),
        (lambda: nets.vgg11_1d(batch_norm="yes"), TypeError, "batch_norm"),
        (lambda: nets.vgg11_1d(n_classes=1), ValueError, "n_classes"),
        (lambda: nets.vgg11_1d(in_channels=0), ValueError, "in_channels"),
        (lambda: nets.AudioConfig(width=0), ValueError, "width"),
        (lambda: nets.AudioConfig(activation="swish"), ValueError, "activation"),
        (lambda: nets.AudioConfig(optimizer="rmsprop"), ValueError, "optimizer"),
        (lambda: nets.AudioConfig(lr=-1), ValueError, "lr"),
        (lambda: nets.AudioConfig(crop=8), ValueError, "crop"),
        (lambda: nets.AudioConfig(input_norm="max"), ValueError, "input_norm"),
        (lambda: nets.AudioConfig.from_dict({"widht": 1}), ValueError, "widht"),
        (lambda: nets.small_cnn_2d(channels="8M"), TypeError, "channels"),
        (lambda: nets.small_cnn_2d(channels=("M",)), ValueError, "channels"),
        (lambda: nets.small_cnn_2d(channels=(8, 0)), ValueError, "channels"),
        (lambda: nets.small_cnn_2d(image_size=2, channels=(4, "M", "M")), ValueError, "image_size"),
        (lambda: nets.small_cnn_2d(activation="swish"), ValueError, "activation"),
    ],
)
def test_bad_inputs_name_the_argument(call, exc, word):
    with pytest.raises(exc, match=word):
        call()


def test_network_audio_1_config_by_mode():
    quick = nets.network_audio_1_config("quick")
    assert quick.width == 0.25 and quick.batch_norm and quick.activation == "relu"
    assert quick.crop == 4096
    assert nets.network_audio_1_config("quick").key() == quick.key(), "chapters share one cache key"
    full = nets.network_audio_1_config("full", activation="tanh")
    assert full.width == 1.0 and full.activation == "tanh" and full.key() != quick.key()
    with pytest.raises(ValueError, match="mode"):
        nets.network_audio_1_config("fast")


def test_small_cnn_2d_structure_shapes_and_training_step():
    torch.manual_seed(0)
    net = nets.small_cnn_2d()
    names = dict(net.named_modules())
    convs = [n for n, m in names.items() if isinstance(m, nn.Conv2d)]
    assert convs == ["features.conv1", "features.conv2", "features.conv3"]
    assert [names[c].out_channels for c in convs] == [8, 16, 32]
    for c in convs:  # size-preserving 3x3 convs: input and output spectra share one grid
        assert names[c].kernel_size == (3, 3) and names[c].padding == (1, 1)
    assert isinstance(names["features.bn2"], nn.BatchNorm2d)
    assert isinstance(names["features.act2"], nn.ReLU)
    assert isinstance(names["features.pool2"], nn.MaxPool2d)
    assert net.classifier.in_features == 32 * 7 * 7
    x = torch.rand(4, 1, 28, 28)
    assert net(x).shape == (4, 10)
    f = net.features
    assert f.conv2(f.act1(f.bn1(f.conv1(x)))).shape == (4, 16, 28, 28)
    plain = nets.small_cnn_2d(
        channels=(4, "M"), image_size=8, batch_norm=False, n_classes=3, in_channels=3
    )
    assert not any(isinstance(m, nn.BatchNorm2d) for m in plain.modules())
    assert plain(torch.rand(2, 3, 8, 8)).shape == (2, 3)
    # it learns: one Adam step on a fixed batch lowers the loss
    y = torch.arange(4)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    losses = []
    for _ in range(2):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[1] < losses[0]


# ------------------------------------------------------------------ chapter 4's pooling choices
#: keys and parameters computed from the code before chapter 4 added pool choices: cached max/avg
#: networks must stay valid (same key) and bit-identical (same seeded parameters)
_KEYS_BEFORE_CH4 = {
    ("quick", "max"): "bbcfcb9a995135fd0a6a258e92098a343f191deaf6e648fac8425ccbc9da9c9d",
    ("quick", "avg"): "de3550badc9c72b0c2c3767a02b2d178a9d689e8901a289cb2474e85ed80c519",
    ("full", "max"): "0e12ba283d89e757b45a49b853df41ca8d6717af005a167cc959e55066299fba",
    ("full", "avg"): "d112c34f6712e3fe30de1e8e83d0a7d812fe9744f53a926a2ba49141eb6256de",
}
_PARAMS_BEFORE_CH4 = "dcb36f9fa15eda958b904629d856f1cb82c04b9a69f5384ca17ee64d54faf147"
_OUTPUT_BEFORE_CH4 = {"max": -0.139641672372818, "avg": -0.1395851969718933}


@pytest.mark.parametrize("mode, pool", sorted(_KEYS_BEFORE_CH4))
def test_max_and_avg_keys_unchanged_by_new_pool_choices(mode, pool):
    assert nets.network_audio_1_config(mode, pool=pool).key() == _KEYS_BEFORE_CH4[(mode, pool)]


@pytest.mark.parametrize("pool", ["max", "avg"])
def test_max_and_avg_networks_bit_identical(pool):
    torch.manual_seed(0)
    net = nets.vgg11_1d(width=0.25, pool=pool).eval()
    h = hashlib.sha256()
    for k, v in net.state_dict().items():
        h.update(k.encode())
        h.update(v.detach().cpu().numpy().tobytes())
    assert h.hexdigest() == _PARAMS_BEFORE_CH4
    with torch.no_grad():
        out = float(net(torch.linspace(-1, 1, 4096).reshape(1, 1, 4096)).sum())
    assert abs(out - _OUTPUT_BEFORE_CH4[pool]) < 1e-6


@pytest.mark.parametrize(
    "pool, cls",
    [("strided", "StridedConvPool1d"), ("spectral", "SpectralPool1d"), ("blur", "MaxBlurPool1d")],
)
def test_new_pool_choices_shapes_names_and_config(pool, cls):
    from helpers import pooling

    torch.manual_seed(0)
    net = nets.vgg11_1d(width=0.125, pool=pool)
    names = dict(net.named_modules())
    for i in range(1, 6):
        assert isinstance(names[f"features.pool{i}"], getattr(pooling, cls))
    assert list(net.features._modules)[:4] == ["conv1", "bn1", "act1", "pool1"]
    x = torch.randn(2, 1, 256)
    assert net(x).shape == (2, 10)
    assert net.features_of(x).shape == (2, 64, 256 // 32), "each pool halves the length"
    assert names["features.pool1"](torch.randn(2, 8, 100)).shape == (2, 8, 50)
    has_params = bool(list(names["features.pool1"].parameters()))
    assert has_params == (pool == "strided"), "only the strided conv learns"
    if pool == "strided":
        layer = names["features.pool2"]
        assert layer.in_channels == layer.out_channels == 16
        assert layer.stride == (2,) and layer.kernel_size == (3,)
    cfg = nets.network_audio_1_config("quick", pool=pool.upper())
    assert cfg.pool == pool and cfg.key() != nets.network_audio_1_config("quick").key()
    assert isinstance(dict(cfg.build().named_modules())["features.pool3"], getattr(pooling, cls))


def test_pool_layer_rejects_unknown_pool():
    with pytest.raises(ValueError, match="pool"):
        nets.pool_layer("lp", 4)
    with pytest.raises(ValueError, match="pool"):
        nets.AudioConfig(pool="median")


# ---------------------------------------------------------------------------------- FSDD
def test_crop_dataset_centre_is_fix_length_and_random_is_seeded():
    require_dataset("fsdd")
    from helpers import data

    ds = data.load("fsdd", split="test", subset=20)
    centre = nets.CropDataset(ds, 4096, input_norm=None)
    x, y = centre[0]
    assert x.shape == (1, 4096) and x.dtype == torch.float32 and y == int(ds.labels[0])
    assert torch.equal(x[0], data.fix_length(ds[0][0], 4096))
    peak = nets.CropDataset(ds, 4096)[0][0]
    assert float(peak.abs().max()) == pytest.approx(1.0)
    a = nets.CropDataset(ds, 1024, random=True, generator=torch.Generator().manual_seed(3))
    b = nets.CropDataset(ds, 1024, random=True, generator=torch.Generator().manual_seed(3))
    assert all(torch.equal(a[i][0], b[i][0]) for i in range(5))


def test_fsdd_loaders_split_and_shapes():
    require_dataset("fsdd")
    tr, te = nets.fsdd_loaders(crop=512, batch_size=8, subset=40)
    assert len(tr.dataset) == 40 and len(te.dataset) == 300, "test split = takes 0-4 (300 clips)"
    assert all(int(t) < 5 for t in te.dataset.base.takes)
    assert all(int(t) >= 5 for t in tr.dataset.base.takes)
    x, y = next(iter(tr))
    assert x.shape == (8, 1, 512) and y.shape == (8,)


def test_fsdd_eval_loader_centre_crops_in_fixed_order():
    require_dataset("fsdd")
    te = nets.fsdd_eval_loader(crop=512, batch_size=50)
    assert len(te.dataset) == 300
    ref = nets.CropDataset(te.dataset.base, 512, random=False)
    x, y = next(iter(te))
    assert x.shape == (50, 1, 512)
    assert torch.equal(x[7], ref[7][0]) and int(y[7]) == ref[7][1], "centre crop, dataset order"
    both = nets.fsdd_eval_loader(splits=("train", "test"), crop=512, batch_size=500)
    assert len(both.dataset) == 3000
    assert torch.equal(next(iter(both))[0], next(iter(both))[0]), "no shuffling"


def test_train_or_load_on_fsdd_tiny_is_deterministic(tmp_path, monkeypatch):
    require_dataset("fsdd")
    monkeypatch.setenv("CMT_CACHE", str(tmp_path))
    cfg = nets.AudioConfig(width=1 / 16, crop=512, subset=40, epochs=1, batch_size=8, lr=3e-3)

    def loaders(c):
        return nets.fsdd_loaders(
            crop=c.crop, batch_size=c.batch_size, seed=c.seed, subset=c.subset, test_subset=50
        )

    m1, r1 = train.train_or_load(cfg, make_loaders=loaders, device="cpu", log=None)
    m2, r2 = train.train_or_load(cfg, make_loaders=loaders, device="cpu", log=None, retrain=True)
    assert not r2.loaded and r1.accuracy == r2.accuracy
    assert all(
        torch.equal(a, b) for a, b in zip(m1.state_dict().values(), m2.state_dict().values())
    )
    _, r3 = train.train_or_load(cfg, make_loaders=loaders, device="cpu", log=None)
    assert r3.loaded and r3.accuracy == r1.accuracy


def _us8k_root(tmp_path):
    """A data directory with a tiny UrbanSound8K in its real layout: 12 clips, 3 folds, 8 kHz."""
    clips = [
        (f"{200 + i}-{i % 10}-0-0.wav", 200 + i, 1 + i % 3, i % 10, 8000, 1, 700 + 50 * i)
        for i in range(12)
    ]
    write_urbansound8k(tmp_path / "data" / "UrbanSound8K", clips, seed=0)
    return tmp_path / "data"


def test_audio_loaders_urbansound8k_keep_the_official_folds(tmp_path, monkeypatch):
    monkeypatch.setenv("CMT_CACHE", str(tmp_path / "cache"))
    root = _us8k_root(tmp_path)
    # the data directory's copy is verified against the per-fold counts: those of the tiny copy
    monkeypatch.setattr(data, "URBANSOUND8K_FOLD_COUNTS", {1: 4, 2: 4, 3: 4})
    for fold in (1, 2, 3):
        tr, te = nets.audio_loaders("urbansound8k", crop=256, batch_size=4, root=root, fold=fold)
        assert set(te.dataset.base.folds.tolist()) == {fold} and len(te.dataset) == 4
        assert fold not in set(tr.dataset.base.folds.tolist()) and len(tr.dataset) == 8
        x, y = next(iter(tr))
        assert x.shape == (4, 1, 256) and y.dtype == torch.int64
    ev = nets.audio_eval_loader(
        "urbansound8k", splits=("train", "test"), crop=256, root=root, fold=3
    )
    assert len(ev.dataset) == 12
    # the config's dataset and fold reach its loaders: fold 2 held out
    cfg = nets.AudioConfig(dataset="urbansound8k", fold=2, crop=256, batch_size=4)
    monkeypatch.setenv("CMT_DATA", str(root))
    tr, te = cfg.loaders()
    assert set(te.dataset.base.folds.tolist()) == {2}


def test_model_config_fold_is_urbansound8k_only_and_keeps_old_keys():
    assert nets.AudioConfig(dataset="urbansound8k").fold == 10
    assert "fold" not in nets.AudioConfig().to_dict(), "FSDD keys must not change with fold"
    assert (
        nets.AudioConfig(dataset="urbansound8k", fold=3).key()
        != nets.AudioConfig(dataset="urbansound8k", fold=4).key()
    )
    with pytest.raises(ValueError, match="fold"):
        nets.AudioConfig(fold=3)
    with pytest.raises(ValueError, match="fold"):
        nets.AudioConfig(dataset="urbansound8k", fold=11)


@pytest.mark.parametrize("depth, n_pool", [(1, 1), (2, 2), (3, 2), (4, 3), (6, 4), (8, 5)])
def test_depth_is_a_prefix_of_vgg11_with_its_layer_counts(depth, n_pool):
    cfg = nets.vgg_cfg(depth)
    assert cfg == nets.VGG11_CFG[: len(cfg)], "a shallower network is a prefix of VGG-11"
    assert sum(v != "M" for v in cfg) == depth and cfg.count("M") == n_pool
    net = nets.AudioConfig(width=0.0625, depth=depth).build().eval()
    names = [n for n, _ in net.features.named_children()]
    for kind, count in (("conv", depth), ("bn", depth), ("act", depth), ("pool", n_pool)):
        assert sum(n.rstrip("0123456789") == kind for n in names) == count, kind
    with torch.no_grad():
        x = torch.randn(2, 1, 256)
        assert net.features_of(x).shape[-1] == 256 // 2**n_pool
        assert net(x).shape == (2, 10)


def test_depth_8_is_vgg11_and_keeps_the_cached_keys():
    assert nets.vgg_cfg() == nets.vgg_cfg(8) == nets.VGG11_CFG and nets.VGG11_DEPTH == 8
    cfg = nets.network_audio_1_config("quick")
    assert cfg.depth == 8 and "depth" not in cfg.to_dict(), "VGG-11's depth stays out of the key"
    assert cfg.replace(depth=8).key() == cfg.key() == _KEYS_BEFORE_NETS[("quick", ())]
    keys = {cfg.replace(depth=d).key() for d in (2, 4, 8)}
    assert len(keys) == 3 and cfg.replace(depth=4).to_dict()["depth"] == 4
    assert nets.AudioConfig.from_dict(cfg.replace(depth=2).to_dict()).depth == 2
    a, b = nets.vgg11_1d(width=0.25), cfg.build()
    assert [n for n, _ in a.named_modules()] == [n for n, _ in b.named_modules()]


@pytest.mark.parametrize(
    "depth, exc", [(0, ValueError), (9, ValueError), (2.5, TypeError), ("4", TypeError)]
)
def test_bad_depth_names_the_argument(depth, exc):
    with pytest.raises(exc, match="depth"):
        nets.AudioConfig(depth=depth)
    with pytest.raises(exc, match="depth"):
        nets.vgg11_1d(depth=depth)


@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda: nets.CropDataset([], 0), ValueError, "crop"),
        (lambda: nets.CropDataset([], 16, input_norm="max"), ValueError, "input_norm"),
        (lambda: nets.fsdd_loaders(batch_size=0), ValueError, "batch_size"),
        (lambda: nets.fsdd_eval_loader(splits=("val",)), ValueError, "splits"),
        (lambda: nets.fsdd_eval_loader(batch_size=0), ValueError, "batch_size"),
        (lambda: nets.audio_loaders("esc50"), ValueError, "dataset"),
        (lambda: nets.audio_loaders("fsdd", fold=3), ValueError, "fold"),
        (lambda: nets.audio_loaders("urbansound8k", fold=0), ValueError, "fold"),
        (lambda: nets.audio_eval_loader("urbansound8k", splits=("val",)), ValueError, "splits"),
    ],
)
def test_audio_data_bad_inputs_name_the_argument(call, exc, word):
    with pytest.raises(exc, match=word):
        call()


# ------------------------------------------------------------------ cache keys of cached networks
#: Keys recorded from helpers/models.py before the nets package existed (commit bb62c53): the
#: networks in the shared cache are stored under them, so they must never change.
_KEYS_BEFORE_NETS = {
    ("quick", ()): "bbcfcb9a995135fd0a6a258e92098a343f191deaf6e648fac8425ccbc9da9c9d",
    ("full", ()): "0e12ba283d89e757b45a49b853df41ca8d6717af005a167cc959e55066299fba",
    (
        "quick",
        (("activation", "tanh"),),
    ): "4fc13728cb167632462075e9bf4f618c9d46d243af12891fdb5b2051561f6f78",
    (
        "quick",
        (("batch_norm", False),),
    ): "263079747611380f21b43b977d28fa8ca4da41dc563e035fdb1937d497d80e96",
    (
        "quick",
        (("pool", "blur"),),
    ): "6f9f9718938d6ebb3108e161e1f87e8128363d9d5b14591bf39906ea92c92c21",
    (
        "quick",
        (("width", 0.125),),
    ): "17913fa74213bb19f48c3e757adbb583098bd96df301ffe84375308b9e83d745",
    (
        "quick",
        (("subset", 500),),
    ): "ee20534441967e012dbe900d4dd4fe7dd365bcb9b1f4be7b11bf677b7275f1cb",
    (
        "quick",
        (("dataset", "urbansound8k"),),
    ): "f31a53e52ab6302c4dab79915be3c5024ac0b785211d8c6935f958359f8c9aa5",
    ("quick", (("seed", 1),)): "8a37814dd08173e85907701bde865b89ee308f5948d46cb477f147f03b781518",
}
_FLOWERS_KEYS_BEFORE_NETS = {
    ("quick", 0): "2fded95b3d512d251e853d4e22c975534b5035b53f0d901eca44ac514236fbdf",
    ("full", 0): "6a8ea2c57860921ac47da94f6de5fc627f1e893fef1b2e0c00d3f535f4fa7843",
    ("quick", 1): "0bab3a8480be0130d7e20b915ef1d14d7044991d057029ae14781a250783744d",
}


@pytest.mark.parametrize("mode, overrides", sorted(_KEYS_BEFORE_NETS, key=repr))
def test_network_audio_1_keys_unchanged_by_the_nets_package(mode, overrides):
    cfg = nets.network_audio_1_config(mode, **dict(overrides))
    assert cfg.key() == _KEYS_BEFORE_NETS[(mode, overrides)]
    assert "loss" not in cfg.to_dict() and "metric" not in cfg.to_dict()


@pytest.mark.parametrize("mode, seed", sorted(_FLOWERS_KEYS_BEFORE_NETS))
def test_flowers_keys_unchanged_by_the_nets_package(mode, seed):
    assert nets.flowers_config(mode, seed=seed).key() == _FLOWERS_KEYS_BEFORE_NETS[(mode, seed)]


def test_a_non_default_loss_or_metric_changes_the_key():
    cfg = nets.network_audio_1_config("quick")
    assert cfg.replace(loss="pixel_cross_entropy").key() != cfg.key()
    assert cfg.replace(metric="pixel_accuracy").key() != cfg.key()
    assert cfg.replace(loss="cross_entropy", metric="accuracy").key() == cfg.key()


# ------------------------------------------------------------------ the registry and the families
def test_registry_finds_every_family_by_arch():
    assert nets.family("vgg11_1d") is nets.AudioConfig
    assert nets.family("flowers_cnn") is nets.family("resnet18") is nets.ImageConfig
    assert nets.family("volterra_mnist_cnn") is nets.MNISTConfig
    for arch, cls in nets.REGISTRY.items():
        assert issubclass(cls, nets.NetConfig) and arch in cls.archs
    cfg = nets.config("vgg11_1d", width=0.5)
    assert isinstance(cfg, nets.AudioConfig) and cfg.width == 0.5
    assert nets.from_dict(nets.mnist_config("quick").to_dict()) == nets.mnist_config("quick")
    assert nets.from_dict(nets.flowers_config("full").to_dict()) == nets.flowers_config("full")


@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda: nets.family("unet"), ValueError, "arch"),
        (lambda: nets.config("unet"), ValueError, "arch"),
        (lambda: nets.from_dict({"width": 1}), TypeError, "arch"),
        (lambda: nets.from_dict({"arch": "unet"}), ValueError, "unet"),
        (lambda: nets.AudioConfig(arch="flowers_cnn"), ValueError, "arch"),
        (lambda: nets.AudioConfig(dataset="flowers"), ValueError, "dataset"),
        (lambda: nets.ImageConfig(dataset="fsdd"), ValueError, "dataset"),
        (lambda: nets.MNISTConfig(dataset="cifar10"), ValueError, "cifar10"),
        (lambda: nets.AudioConfig(loss=""), TypeError, "loss"),
        (lambda: nets.AudioConfig(metric=3), TypeError, "metric"),
        (lambda: nets.AudioConfig(epochs=-1), ValueError, "epochs"),
        (lambda: nets.AudioConfig(batch_size=0), ValueError, "batch_size"),
        (lambda: nets.AudioConfig(seed=1.5), TypeError, "seed"),
        (lambda: nets.AudioConfig(subset=0), ValueError, "subset"),
        (lambda: nets.AudioConfig(weight_decay=-1e-4), ValueError, "weight_decay"),
        (lambda: nets.AudioConfig(schedule="cosine"), ValueError, "schedule"),
        (lambda: nets.ImageConfig(channels="16"), TypeError, "channels"),
        (lambda: nets.ImageConfig(channels=(16, 0)), ValueError, "channels"),
        (lambda: nets.ImageConfig(augment=1), TypeError, "augment"),
        (lambda: nets.flowers_cnn(dropout=1.0), ValueError, "dropout"),
        (lambda: nets.MNISTConfig(strides=()), TypeError, "strides"),
        (lambda: nets.MNISTConfig(activation="gelu"), ValueError, "activation"),
        (lambda: nets.MNISTConfig(test_subset=0), ValueError, "test_subset"),
        (lambda: nets.MNISTConfig(channels=1), ValueError, "channels"),
        (lambda: nets.MNISTConfig.from_dict({"stride": 2}), ValueError, "stride"),
        (lambda: nets.register(int), TypeError, "NetConfig"),
    ],
)
def test_configs_and_registry_name_the_bad_argument(call, exc, word):
    with pytest.raises(exc, match=word):
        call()


def test_an_arch_cannot_be_registered_by_two_families():
    import dataclasses

    with pytest.raises(ValueError, match="vgg11_1d"):

        @nets.register
        @dataclasses.dataclass(frozen=True)
        class Impostor(nets.NetConfig):
            archs = ("vgg11_1d",)
            datasets = ("fsdd",)

    assert nets.family("vgg11_1d") is nets.AudioConfig


def test_every_family_builds_a_network_of_the_right_output():
    torch.manual_seed(0)
    audio = nets.network_audio_1_config("quick", width=1 / 16).build()
    assert audio(torch.randn(2, 1, 256)).shape == (2, 10)
    image = nets.flowers_config("quick", channels=(4, 8), image_size=16).build()
    assert isinstance(image, nets.FlowersCNN) and image(torch.rand(2, 3, 16, 16)).shape == (2, 5)
    mnist = nets.mnist_config("quick").build()
    assert isinstance(mnist, nets.VolterraMNISTCNN)
    assert mnist(torch.randn(2, 1, 28, 28)).shape == (2, 10)
    assert nets.small_cnn_2d()(torch.rand(2, 1, 28, 28)).shape == (2, 10)


def test_mnist_config_by_mode_and_its_architecture():
    quick, full = nets.mnist_config("quick"), nets.mnist_config("full", seed=2)
    assert (quick.subset, quick.test_subset, quick.epochs) == (20_000, 2_000, 8)
    assert (full.subset, full.test_subset, full.epochs, full.seed) == (None, None, 10, 2)
    assert (quick.lr, quick.batch_size, quick.optimizer, quick.schedule) == (
        2e-2,
        64,
        "adam",
        "onecycle",
    )
    assert quick.n_classes == quick.channels == 10 and quick.cpu_threads == 1
    assert quick.replace(seed=1).key() != quick.key() and len(quick.key()) == 64
    assert quick.replace(activation="ReLU").activation == "relu"
    net = quick.build()
    names = list(net.features._modules)
    assert names == ["conv1", "act1", "conv2", "act2", "conv3", "act3", "conv4"]
    assert isinstance(net.features.act1, torch.nn.Sigmoid)
    assert "sigmoid" in quick.short() and "20,000" in quick.short()


def test_mnist_loaders_are_the_chapters_standardised_subsets():
    require_dataset("mnist", "MNIST")
    cfg = nets.mnist_config("quick", subset=100, test_subset=2_000, batch_size=10)
    tr, te = cfg.loaders()
    x, y = next(iter(tr))
    assert x.shape == (10, 1, 28, 28) and len(tr.dataset) == 100 and len(te.dataset) == 2_000
    test_ds = data.load("mnist", split="test", mode="quick")  # the quick test set
    expected = (test_ds.data.float() / 255 - nets.MNIST_MEAN) / nets.MNIST_STD
    assert torch.equal(te.dataset.tensors[0][:, 0], expected)
    assert torch.equal(te.dataset.tensors[1], test_ds.targets)
    again = next(iter(cfg.loaders()[0]))[0]
    assert torch.equal(again, x), "the shuffle is seeded by the config's seed"


# ------------------------------------------------- ImageNet ResNet-18 weights, loopback download
class _WeightsHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.routes[path] = body`` (404 otherwise); counts the requests."""

    def do_GET(self):
        self.server.requests.append(self.path)
        body = self.server.routes.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def weights_server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _WeightsHandler)
    httpd.routes, httpd.requests = {}, []
    httpd.url = lambda path: f"http://127.0.0.1:{httpd.server_address[1]}{path}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _resnet18_weights() -> tuple[bytes, dict]:
    import io

    from torchvision.models import resnet18

    torch.manual_seed(5)
    state = resnet18(weights=None).state_dict()
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue(), state


def test_resnet18_weights_download_is_hash_checked_then_cached(
    weights_server, tmp_path, monkeypatch
):
    """The full-mode download of chapter 8's ImageNet weights, against a loopback server: torch's
    hub checks the sha256 prefix in the file name, keeps the file in $TORCH_HOME, and a second
    build (or a smoke run) reads it from there without a request; bad bytes are refused."""
    from helpers.nets import image

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("CMT_SMOKE", "0")
    body, state = _resnet18_weights()
    name = f"resnet18-{hashlib.sha256(body).hexdigest()[:8]}.pth"
    weights_server.routes[f"/models/{name}"] = body
    monkeypatch.setattr(
        image, "resnet18_weights_url", lambda: weights_server.url(f"/models/{name}")
    )
    net = nets.resnet18_imagenet(5)
    assert torch.equal(net.backbone.conv1.weight, state["conv1.weight"])
    assert net.backbone.fc.out_features == 5 and len(weights_server.requests) == 1
    assert image.resnet18_weights_file() == tmp_path / "torch" / "hub" / "checkpoints" / name
    assert image.resnet18_weights_file().is_file()
    nets.resnet18_imagenet(5)
    monkeypatch.setenv("CMT_SMOKE", "1")
    smoke_net = nets.resnet18_imagenet(5)  # cached weights: a smoke run uses them
    assert torch.equal(smoke_net.backbone.conv1.weight, state["conv1.weight"])
    assert len(weights_server.requests) == 1, "the cached file is read, not downloaded again"

    monkeypatch.setenv("CMT_SMOKE", "0")
    bad = f"resnet18-{'0' * 8}.pth"
    weights_server.routes[f"/models/{bad}"] = body  # bytes that do not match the name's hash
    monkeypatch.setattr(image, "resnet18_weights_url", lambda: weights_server.url(f"/models/{bad}"))
    with pytest.raises(RuntimeError, match="ImageNet weights.*hash"):
        nets.resnet18_imagenet(5)
    assert not (tmp_path / "torch" / "hub" / "checkpoints" / bad).exists()
    missing = weights_server.url("/models/resnet18-12345678.pth")
    monkeypatch.setattr(image, "resnet18_weights_url", lambda: missing)
    with pytest.raises(RuntimeError, match="could not be loaded"):
        nets.resnet18_imagenet(5)


def test_imagenet_resnet_is_seeded_untrained_and_refuses_bad_input():
    a = nets.imagenet_resnet(18, seed=3)
    b = nets.imagenet_resnet(18, seed=3)
    c = nets.imagenet_resnet(18, seed=4)
    assert not a.training
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not torch.equal(sa["conv1.weight"], sc["conv1.weight"])
    with torch.no_grad():
        assert a(torch.rand(1, 3, 32, 32)).shape == (1, 1000)
    with pytest.raises(ValueError, match="depth"):
        nets.imagenet_resnet(20)
    with pytest.raises(TypeError, match="pretrained"):
        nets.imagenet_resnet(18, pretrained="yes")
    t = nets.imagenet_transform(16)
    from PIL import Image

    x = t(Image.new("RGB", (40, 30), (124, 116, 104)))  # about the ImageNet mean colour
    assert x.shape == (3, 16, 16) and float(x.abs().max()) < 0.05


def test_tensor_loader_batches_in_order_or_by_seed_and_checks_lengths():
    x, y = torch.arange(10.0)[:, None], torch.arange(10)
    plain = [yb.tolist() for _, yb in nets.tensor_loader(x, y, 4)]
    assert plain == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    a = [yb.tolist() for _, yb in nets.tensor_loader(x, y, 4, shuffle=True, seed=3)]
    b = [yb.tolist() for _, yb in nets.tensor_loader(x, y, 4, shuffle=True, seed=3)]
    c = [yb.tolist() for _, yb in nets.tensor_loader(x, y, 4, shuffle=True, seed=4)]
    assert a == b != c and sorted(sum(a, [])) == list(range(10))
    assert next(iter(nets.tensor_loader(x, y, 4)))[1].dtype == torch.int64  # labels stay ints
    with pytest.raises(ValueError, match="same length"):
        nets.tensor_loader(x, y[:9], 4)
    with pytest.raises(ValueError, match="batch_size"):
        nets.tensor_loader(x, y, 0)
    with pytest.raises(TypeError, match="y"):
        nets.tensor_loader(x, [1] * 10, 4)
