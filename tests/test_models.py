"""models: Network-audio-1 (VGG-11 for 1-D audio), activations, ModelConfig and its cache key."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from helpers import models

ROOT = Path(__file__).resolve().parents[1]


def test_vgg11_structure_and_names():
    net = models.vgg11_1d(width=0.25)
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
    net = models.vgg11_1d(width=0.125, batch_norm=False).eval()
    x = torch.randn(3, 1, 256)
    assert net(x).shape == (3, 10)
    assert net(x[:, 0]).shape == (3, 10), "(B, N) waveforms get a channel axis"
    # convolutions and activations keep the length; each pool halves it
    feats = net.features_of(x)
    assert feats.shape == (3, 64, 256 // 32)
    assert not any(isinstance(m, nn.BatchNorm1d) for m in net.modules())


@pytest.mark.parametrize("name", sorted(models.ACTIVATIONS))
def test_activation_choices(name):
    net = models.vgg11_1d(width=0.0625, activation=name, pool="avg")
    act = dict(net.named_modules())["features.act3"]
    assert isinstance(act, models.ACTIVATIONS[name])
    assert isinstance(dict(net.named_modules())["features.pool1"], nn.AvgPool1d)
    assert net(torch.randn(2, 1, 64)).shape == (2, 10)


def test_sine_activation():
    y = torch.linspace(-4, 4, 101)
    assert torch.allclose(models.Sine()(y), torch.sin(y))
    assert torch.allclose(models.Sine(w0=3.0)(y), torch.sin(3 * y))


def test_width_rounding_never_zero():
    assert models.scaled_channels(0.001)[0] == 1
    assert models.scaled_channels(1.0) == list(models.VGG11_CFG)


def test_config_key_is_sha256_of_canonical_json_and_stable():
    cfg = models.ModelConfig()
    text = json.dumps(cfg.to_dict(), sort_keys=True, separators=(",", ":"))
    assert cfg.key() == hashlib.sha256(text.encode()).hexdigest()
    assert models.ModelConfig().key() == cfg.key()
    assert cfg.replace(seed=1).key() != cfg.key()
    assert cfg.replace(batch_norm=False).key() != cfg.key()
    assert models.ModelConfig.from_dict(cfg.to_dict()) == cfg
    # another process (fresh hash seeds) gives the same key
    out = subprocess.run([sys.executable, "-c", "from helpers import models; print(models.ModelConfig().key())"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == cfg.key()


def test_config_normalises_and_builds():
    cfg = models.ModelConfig(activation="ReLU", width=1 / 16)
    assert cfg.activation == "relu" and isinstance(cfg.width, float)
    torch.manual_seed(0)
    a = cfg.build()
    torch.manual_seed(0)
    b = cfg.build()
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters())), "seeded builds are equal"


@pytest.mark.parametrize("call, exc, word", [
    (lambda: models.vgg11_1d(width=0), ValueError, "width"),
    (lambda: models.vgg11_1d(width=-0.5), ValueError, "width"),
    (lambda: models.vgg11_1d(width="wide"), TypeError, "width"),
    (lambda: models.vgg11_1d(width=float("nan")), ValueError, "width"),
    (lambda: models.vgg11_1d(activation="gelu"), ValueError, "activation"),
    (lambda: models.vgg11_1d(activation=None), TypeError, "activation"),
    (lambda: models.vgg11_1d(pool="min"), ValueError, "pool"),
    (lambda: models.vgg11_1d(batch_norm="yes"), TypeError, "batch_norm"),
    (lambda: models.vgg11_1d(n_classes=1), ValueError, "n_classes"),
    (lambda: models.vgg11_1d(in_channels=0), ValueError, "in_channels"),
    (lambda: models.ModelConfig(width=0), ValueError, "width"),
    (lambda: models.ModelConfig(activation="swish"), ValueError, "activation"),
    (lambda: models.ModelConfig(optimizer="rmsprop"), ValueError, "optimizer"),
    (lambda: models.ModelConfig(lr=-1), ValueError, "lr"),
    (lambda: models.ModelConfig(crop=8), ValueError, "crop"),
    (lambda: models.ModelConfig(input_norm="max"), ValueError, "input_norm"),
    (lambda: models.ModelConfig.from_dict({"widht": 1}), ValueError, "widht"),
    (lambda: models.small_cnn_2d(channels="8M"), TypeError, "channels"),
    (lambda: models.small_cnn_2d(channels=("M",)), ValueError, "channels"),
    (lambda: models.small_cnn_2d(channels=(8, 0)), ValueError, "channels"),
    (lambda: models.small_cnn_2d(image_size=2, channels=(4, "M", "M")), ValueError, "image_size"),
    (lambda: models.small_cnn_2d(activation="swish"), ValueError, "activation"),
])
def test_bad_inputs_name_the_argument(call, exc, word):
    with pytest.raises(exc, match=word):
        call()


def test_network_audio_1_config_by_mode():
    quick = models.network_audio_1_config("quick")
    assert quick.width == 0.25 and quick.batch_norm and quick.activation == "relu" and quick.crop == 4096
    assert models.network_audio_1_config("quick").key() == quick.key(), "chapters share one cache key"
    full = models.network_audio_1_config("full", activation="tanh")
    assert full.width == 1.0 and full.activation == "tanh" and full.key() != quick.key()
    with pytest.raises(ValueError, match="mode"):
        models.network_audio_1_config("fast")


def test_small_cnn_2d_structure_shapes_and_training_step():
    torch.manual_seed(0)
    net = models.small_cnn_2d()
    names = dict(net.named_modules())
    convs = [n for n, m in names.items() if isinstance(m, nn.Conv2d)]
    assert convs == ["features.conv1", "features.conv2", "features.conv3"]
    assert [names[c].out_channels for c in convs] == [8, 16, 32]
    for c in convs:  # size-preserving 3x3 convs: input and output spectra share one grid
        assert names[c].kernel_size == (3, 3) and names[c].padding == (1, 1)
    assert isinstance(names["features.bn2"], nn.BatchNorm2d) and isinstance(names["features.act2"], nn.ReLU)
    assert isinstance(names["features.pool2"], nn.MaxPool2d)
    assert net.classifier.in_features == 32 * 7 * 7
    x = torch.rand(4, 1, 28, 28)
    assert net(x).shape == (4, 10)
    assert net.features.conv2(net.features.act1(net.features.bn1(net.features.conv1(x)))).shape == (4, 16, 28, 28)
    plain = models.small_cnn_2d(channels=(4, "M"), image_size=8, batch_norm=False, n_classes=3, in_channels=3)
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


# ---------------------------------------------------------------------------- chapter 4's pooling choices
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
    assert models.network_audio_1_config(mode, pool=pool).key() == _KEYS_BEFORE_CH4[(mode, pool)]


@pytest.mark.parametrize("pool", ["max", "avg"])
def test_max_and_avg_networks_bit_identical(pool):
    torch.manual_seed(0)
    net = models.vgg11_1d(width=0.25, pool=pool).eval()
    h = hashlib.sha256()
    for k, v in net.state_dict().items():
        h.update(k.encode())
        h.update(v.detach().cpu().numpy().tobytes())
    assert h.hexdigest() == _PARAMS_BEFORE_CH4
    with torch.no_grad():
        out = float(net(torch.linspace(-1, 1, 4096).reshape(1, 1, 4096)).sum())
    assert abs(out - _OUTPUT_BEFORE_CH4[pool]) < 1e-6


@pytest.mark.parametrize("pool, cls", [("strided", "StridedConvPool1d"), ("spectral", "SpectralPool1d"),
                                       ("blur", "MaxBlurPool1d")])
def test_new_pool_choices_shapes_names_and_config(pool, cls):
    from helpers import pooling

    torch.manual_seed(0)
    net = models.vgg11_1d(width=0.125, pool=pool)
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
        assert layer.in_channels == layer.out_channels == 16 and layer.stride == (2,) and layer.kernel_size == (3,)
    cfg = models.network_audio_1_config("quick", pool=pool.upper())
    assert cfg.pool == pool and cfg.key() != models.network_audio_1_config("quick").key()
    assert isinstance(dict(cfg.build().named_modules())["features.pool3"], getattr(pooling, cls))


def test_pool_layer_rejects_unknown_pool():
    with pytest.raises(ValueError, match="pool"):
        models.pool_layer("lp", 4)
    with pytest.raises(ValueError, match="pool"):
        models.ModelConfig(pool="median")
