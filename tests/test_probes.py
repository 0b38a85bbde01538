"""probes: streaming layer spectra equal a direct computation; names; hooks come off."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from helpers import nets, probes, spectra


def _tiny(inplace=False):
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv1d(2, 3, 3, padding=1),
        nn.ReLU(inplace=inplace),
        nn.MaxPool1d(2),
        nn.Conv1d(3, 4, 5, padding=2),
        nn.Tanh(),
    )


def _batches(n_batches=3, b=5, seed=1):
    g = torch.Generator().manual_seed(seed)
    return [
        (torch.randn(b, 2, 32, generator=g), torch.zeros(b, dtype=torch.long))
        for _ in range(n_batches)
    ]


@pytest.mark.parametrize("inplace", [False, True])
def test_streaming_spectra_equal_direct_computation(inplace):
    model = _tiny(inplace).eval()
    data = _batches()
    with probes.LayerSpectra(model, ["0", "1", "2", "3"]) as ls:
        res = ls.run(data)
    # direct: run the layers by hand on all the data at once, Algorithm 1 on each tensor
    x = torch.cat([b[0] for b in data]).double()
    ref = _tiny(False).double().eval()
    with torch.no_grad():
        acts = [x]
        for layer in ref:
            acts.append(layer(acts[-1]))
    for i, name in enumerate(["0", "1", "2", "3"]):
        mean_in, mean_out = res[name]
        want_in = spectra.algorithm1_reference(acts[i].numpy())
        want_out = spectra.algorithm1_reference(acts[i + 1].numpy())
        assert np.allclose(mean_in.numpy(), want_in, atol=1e-6), name
        assert np.allclose(mean_out.numpy(), want_out, atol=1e-6), name
    assert res["2"][1].shape == (16,), "pooling halves the grid"


def test_unnormalized_means_and_hooks_removed():
    model = _tiny().eval()
    data = _batches(2)
    ls = probes.LayerSpectra(model, ["3"], normalize=False)
    with ls:
        ls.run(data, max_batches=1)
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())
    x = data[0][0]
    with torch.no_grad():
        y = model[:4](x)  # output of layer '3' (the conv), before the tanh
        h = model[:3](x)
    assert torch.allclose(
        ls.results["3"][1].float(), spectra.energy_spectrum(y).mean(dim=(0, 1)), rtol=1e-4
    )
    assert torch.allclose(
        ls.results["3"][0].float(), spectra.energy_spectrum(h).mean(dim=(0, 1)), rtol=1e-4
    )
    # run() outside a with-block registers hooks for that run only
    ls2 = probes.LayerSpectra(model, ["0"])
    ls2.run(data)
    assert not model[0]._forward_hooks
    assert ls2.accumulators["0"][0].count == 10


def _bn_dropout_net():
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv1d(2, 4, 3, padding=1),
        nn.BatchNorm1d(4),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Conv1d(4, 3, 3, padding=1),
        nn.Tanh(),
    )
    with torch.no_grad():  # running statistics far from any batch's
        net[1].running_mean.copy_(torch.tensor([0.5, -1.0, 2.0, 0.0]))
        net[1].running_var.copy_(torch.tensor([4.0, 0.25, 1.0, 9.0]))
    return net


def test_run_probes_in_eval_mode_and_restores_a_training_model():
    """run() switches to eval mode (batch norm on its running statistics, no dropout), leaves the
    buffers alone and gives the model back in the mode it came in."""
    import copy

    names = ["0", "1", "2", "3", "4"]
    data = _batches()
    model = _bn_dropout_net().train()
    ref = copy.deepcopy(model).eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    res = probes.LayerSpectra(model, names).run(data)
    assert model.training and all(m.training for m in model.modules()), "training mode restored"
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), f"{k} changed"
    with probes.LayerSpectra(ref, names) as ls:
        want = ls.run(data)
    assert not ref.training, "eval mode restored"
    for name in names:
        for got, exp in zip(res[name], want[name]):
            assert torch.allclose(got, exp, atol=1e-12, rtol=0), name


def test_conv_act_pairs_rejects_a_count_mismatch():
    """Unequal numbers of convolutions and activations cannot be paired in order: a clear error,
    not a silent zip that drops or mispairs blocks."""
    extra_conv = nn.Sequential(nn.Conv1d(1, 2, 3), nn.ReLU(), nn.Conv1d(2, 2, 3))
    with pytest.raises(ValueError, match="2 convolutions but 1 activations"):
        probes.conv_act_pairs(extra_conv)
    extra_act = nn.Sequential(nn.Conv1d(1, 2, 3), nn.ReLU(), nn.Tanh())
    with pytest.raises(ValueError, match="1 convolutions but 2 activations"):
        probes.conv_act_pairs(extra_act)
    with pytest.raises(ValueError, match="pair them by hand"):
        probes.activation_balance(extra_conv, [torch.randn(2, 1, 16)])


def test_dead_channels_are_skipped_not_fatal():
    model = nn.Sequential(nn.Conv1d(1, 2, 1, bias=True), nn.ReLU()).eval()
    with torch.no_grad():
        model[0].weight.zero_()
        model[0].bias.copy_(torch.tensor([-1.0, 0.0]))  # channel 0: constant -1, dead after ReLU
        model[0].weight[1] = 1.0  # channel 1: x itself
    with probes.LayerSpectra(model, ["1"]) as ls:
        ls.run([torch.randn(3, 1, 16)])
    assert ls.accumulators["1"][1].n_spectra == 3, "the dead channel's 3 spectra are left out"


def test_layer_names_and_pairs_on_network_audio_1():
    net = nets.vgg11_1d(width=0.0625)
    assert probes.layer_names(net, "conv") == [f"features.conv{i}" for i in range(1, 9)]
    assert probes.layer_names(net, "act") == [f"features.act{i}" for i in range(1, 9)]
    assert probes.layer_names(net, "pool") == [f"features.pool{i}" for i in range(1, 6)]
    assert probes.layer_names(net, "bn") == [f"features.bn{i}" for i in range(1, 9)]
    assert probes.conv_act_pairs(net)[1] == ("features.conv2", "features.act2")
    sine = nets.vgg11_1d(width=0.0625, activation="sine")
    assert len(probes.layer_names(sine, "act")) == 8


def test_probe_network_audio_1_conv_and_act_spectra_share_grids():
    from helpers import layers

    torch.manual_seed(0)
    net = nets.vgg11_1d(width=0.0625).eval()
    pairs = probes.conv_act_pairs(net)
    names = [n for pair in pairs for n in pair]
    with probes.LayerSpectra(net, names) as ls:
        res = ls.run([torch.randn(4, 1, 256)])
    d = layers.layer_differences(res, pairs)
    assert [c.shape[0] for c in d["cdiff"]] == [256, 128, 64, 64, 32, 32, 16, 16]
    assert all(abs(float(c.sum())) < 1e-6 for c in d["cdiff"] + d["adiff"]), (
        "normalised: differences sum to 0"
    )
    assert layers.acdiff(d["cdiff"]).shape == (16,)


@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda: probes.LayerSpectra("net", ["0"]), TypeError, "model"),
        (lambda: probes.LayerSpectra(_tiny(), "0"), TypeError, "layers"),
        (lambda: probes.LayerSpectra(_tiny(), []), ValueError, "layers"),
        (lambda: probes.LayerSpectra(_tiny(), ["conv9"]), ValueError, "conv9"),
        (lambda: probes.LayerSpectra(_tiny(), ["0", "0"]), ValueError, "duplicate"),
        (lambda: probes.LayerSpectra(_tiny(), ["0"], ndim=3), ValueError, "ndim"),
        (lambda: probes.layer_names(_tiny(), "dense"), ValueError, "kind"),
        (
            lambda: probes.LayerSpectra(_tiny(), ["0"]).run(
                torch.zeros(2, 2, 8).numpy().tolist(), max_batches=0
            ),
            ValueError,
            "max_batches",
        ),
    ],
)
def test_bad_inputs_name_the_argument(call, exc, word):
    with pytest.raises(exc, match=word):
        call()


def test_activation_balance_matches_layer_differences_and_fit():
    """activation_balance = LayerSpectra + layer_differences + acdiff/aadiff + fit_lambda
    (eqs 31-36)."""
    from helpers import layers

    torch.manual_seed(0)
    model = nets.vgg11_1d(width=0.0625, activation="relu", batch_norm=True).eval()
    data = [
        (
            torch.randn(4, 1, 256, generator=torch.Generator().manual_seed(i)),
            torch.zeros(4, dtype=torch.long),
        )
        for i in range(2)
    ]
    out = probes.activation_balance(model, data)
    pairs = probes.conv_act_pairs(model)
    assert out["pairs"] == pairs and len(out["cdiff"]) == len(out["adiff"]) == 8
    with probes.LayerSpectra(model, [n for p in pairs for n in p]) as ls:
        res = ls.run(data)
    diffs = layers.layer_differences(res, pairs)
    ac, aa = layers.acdiff(diffs["cdiff"]), layers.aadiff(diffs["adiff"])
    assert torch.allclose(out["acdiff"], ac) and torch.allclose(out["aadiff"], aa)
    assert out["acdiff"].shape == (256 // 16,)  # deepest block (after 4 poolings)
    assert abs(float(out["acdiff"].sum())) < 1e-6  # differences of unit-sum spectra sum to 0
    assert out["fit"] == layers.fit_lambda(ac, aa)
    assert probes.activation_balance(model, data, n=32)["acdiff"].shape == (32,)


def test_layer_names_refuses_a_non_module():
    """layer_names must refuse a model that is not an nn.Module with a TypeError naming it."""
    for bad in ("net", {"0": nn.ReLU()}):
        with pytest.raises(TypeError, match=r"\bmodel\b"):
            probes.layer_names(bad, "conv")


def test_layer_spectra_refuses_non_string_layer_names():
    """A layer name that is not a str (an index) is a TypeError naming layers, not a lookup miss."""
    for bad in ([0], ["0", 3]):
        with pytest.raises(TypeError, match=r"\blayers\b"):
            probes.LayerSpectra(_tiny(), bad)


def test_entering_twice_is_refused_and_does_not_double_count():
    """A second __enter__ must raise, not register more hooks that count every batch twice."""
    model = _tiny().eval()
    ls = probes.LayerSpectra(model, ["0"])
    with ls:
        with pytest.raises(RuntimeError, match="already active"):
            ls.__enter__()
        assert len(model[0]._forward_hooks) == 1 and len(model[0]._forward_pre_hooks) == 1
        ls.run(_batches(1, b=5))
    assert ls.accumulators["0"][0].count == 5 and ls.accumulators["0"][1].count == 5
    assert not model[0]._forward_hooks and not model[0]._forward_pre_hooks


@pytest.mark.parametrize("loader", ["batches", b"batches", 5, None])
def test_run_refuses_a_loader_that_is_not_an_iterable_of_batches(loader):
    """run() must refuse a str/bytes or a non-iterable loader with a TypeError naming loader."""
    with pytest.raises(TypeError, match=r"\bloader\b"):
        probes.LayerSpectra(_tiny(), ["0"]).run(loader)


@pytest.mark.parametrize("max_batches", [True, False, 1.5, 2.0, "2", -1])
def test_run_refuses_a_max_batches_that_is_not_a_positive_int(max_batches):
    """max_batches must be a positive int or None: bools, floats and strings are refused by name."""
    with pytest.raises((TypeError, ValueError), match=r"\bmax_batches\b"):
        probes.LayerSpectra(_tiny(), ["0"]).run(_batches(2), max_batches=max_batches)


# ----------------------------------------------------------------------- Spectrum values, backward
def test_forward_spectra_are_spectrum_values_equal_to_the_direct_spectrum():
    """spectra[name] has grid and fs; values: the averaged energy_spectrum of the output."""
    torch.manual_seed(3)
    conv = nn.Conv1d(2, 3, 5, padding=2).double()
    x = torch.randn(4, 2, 40, dtype=torch.float64)
    model = nn.Sequential(conv)
    ls = probes.LayerSpectra(model, ["0"], normalize=False, fs=8000.0)
    ls.run([x])
    s_in, s_out = ls.spectra["0"]
    assert isinstance(s_out, spectra.Spectrum) and s_out.fs == 8000.0 and s_out.shift
    with torch.no_grad():
        want = spectra.energy_spectrum(conv(x)).mean(dim=(0, 1))
    torch.testing.assert_close(s_out.values, want, rtol=1e-13, atol=0)
    torch.testing.assert_close(
        s_in.values, spectra.energy_spectrum(x).mean(dim=(0, 1)), rtol=1e-13, atol=0
    )
    torch.testing.assert_close(s_out.freqs, spectra.frequency_axis(40, fs=8000.0))
    assert torch.equal(ls.results["0"][1], s_out.values)
    again = probes.LayerSpectra(model, ["0"], normalize=False).run([x], as_spectra=True)
    torch.testing.assert_close(again["0"][1].values, s_out.values, rtol=0, atol=0)
    out = probes.activation_balance(nn.Sequential(conv, nn.ReLU()), [x])
    assert torch.equal(out["spectra"]["1"][1].values, out["results"]["1"][1])


def test_backward_probe_records_the_gradient_at_the_output_in_closed_form():
    """y = conv(x), L = sum(w * y): dL/dy = w, so the recorded spectrum is energy_spectrum(w)."""
    torch.manual_seed(4)
    model = nn.Sequential(nn.Conv1d(2, 3, 5, padding=2)).double()
    x = torch.randn(1, 2, 48, dtype=torch.float64, requires_grad=True)
    w = torch.randn(1, 3, 48, dtype=torch.float64)
    with probes.LayerSpectra(model, ["0"], normalize=False, direction="backward") as ls:
        (w * model(x)).sum().backward()
    assert all(not m._backward_hooks for m in model.modules()), "hooks come off"
    g_in, g_out = ls.spectra["0"]
    torch.testing.assert_close(
        g_out.values, spectra.energy_spectrum(w).mean(dim=(0, 1)), rtol=1e-14, atol=0
    )
    # dL/dx is the transposed convolution of w: compare with autograd's own gradient
    torch.testing.assert_close(
        g_in.values, spectra.energy_spectrum(x.grad).mean(dim=(0, 1)), rtol=1e-14, atol=0
    )
    assert ls.accumulators["0"][1].count == 1


def test_backward_run_takes_a_loss_and_leaves_parameter_grads_alone():
    model = _tiny().double()
    batches = [(torch.randn(3, 2, 32, dtype=torch.float64), torch.zeros(3, dtype=torch.long))]
    g = torch.Generator().manual_seed(0)
    w = torch.randn(3, 4, 16, dtype=torch.float64, generator=g)
    ls = probes.LayerSpectra(
        model, ["3", "4"], normalize=False, direction="backward", compute_dtype=torch.float64
    )
    res = ls.run(batches, loss=lambda out, labels: (w * out).sum())
    assert all(p.grad is None for p in model.parameters())
    # the Tanh output gradient is w; the conv output gradient is w * (1 - tanh^2)
    torch.testing.assert_close(
        res["4"][1], spectra.energy_spectrum(w).mean(dim=(0, 1)), rtol=1e-13, atol=0
    )
    with torch.no_grad():
        y = model[:4](batches[0][0])
    want = spectra.energy_spectrum(w * (1 - torch.tanh(y) ** 2)).mean(dim=(0, 1))
    torch.testing.assert_close(res["3"][1], want, rtol=1e-12, atol=0)
    torch.testing.assert_close(res["4"][0], res["3"][1])  # conv output = tanh input
    with pytest.raises(TypeError, match=r"\bloss\b"):
        ls.run(batches)


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")
def test_backward_input_gradient_of_a_leaf_input_is_none():
    model = nn.Sequential(nn.Conv1d(1, 1, 3)).double()
    with probes.LayerSpectra(model, ["0"], direction="backward") as ls:
        model(torch.randn(2, 1, 16, dtype=torch.float64)).square().sum().backward()
    assert ls.results["0"][0] is None and ls.spectra["0"][1].n == 14


@pytest.mark.parametrize(
    "kw, exc, word",
    [
        ({"direction": "sideways"}, ValueError, "direction"),
        ({"direction": 1}, TypeError, "direction"),
        ({"fs": 0.0}, ValueError, "fs"),
    ],
)
def test_new_options_name_the_argument(kw, exc, word):
    with pytest.raises(exc, match=rf"\b{word}\b"):
        probes.LayerSpectra(_tiny(), ["0"], **kw)


# ------------------------------------------------------------- chapter 5: per-class stage spectra
def _tiny_resnet():
    from torchvision.models.resnet import BasicBlock, ResNet

    torch.manual_seed(0)
    return ResNet(BasicBlock, [1, 1, 1, 1], num_classes=3).eval()


def test_class_spectra_equal_a_per_image_loop_and_keep_no_features():
    model = _tiny_resnet()
    g = torch.Generator().manual_seed(2)
    batches = [
        (torch.randn(5, 3, 32, 32, generator=g), torch.randint(0, 3, (5,), generator=g))
        for _ in range(3)
    ]
    taps = probes.resnet_stages(model)
    assert list(taps) == ["input", "stem", "layer1", "layer2", "layer3", "layer4"]
    cs = probes.ClassSpectra(model, taps, 3).run(batches)
    x = torch.cat([b[0] for b in batches])
    y = torch.cat([b[1] for b in batches])
    assert (
        torch.equal(cs.labels, y)
        and not model._forward_hooks
        and not model.conv1._forward_pre_hooks
    )
    assert cs.shapes["stem"] == (64, 8, 8) and cs.shapes["layer4"] == (512, 1, 1)
    with torch.no_grad():  # the literal computation: stage by stage, image by image
        h = x
        feats = {"input": x}
        h = model.maxpool(model.relu(model.bn1(model.conv1(h))))
        feats["stem"] = h
        for i in range(1, 5):
            h = getattr(model, f"layer{i}")(h)
            feats[f"layer{i}"] = h
    for label, f in feats.items():
        for k in range(3):
            ref = spectra.SpectrumMean(2, on_zero="skip").update(f[y == k].double()).mean
            assert torch.allclose(cs.means[label][k], ref, rtol=1e-5, atol=1e-7), label
        sums, counts = cs.samples[label]
        assert sums.shape == (15,) + f.shape[2:]
        means = spectra.class_mean_spectra(sums, counts, y, 3)
        # float32 FFTs either way (rfft + Parseval there, fft here): the same to ~1e-7
        assert float((means - cs.means[label]).abs().max() / means.max()) < 1e-6, label


def test_class_spectra_refuse_bad_input():
    model = _tiny_resnet()
    with pytest.raises(ValueError, match="conv9"):
        probes.ClassSpectra(model, {"a": ("conv9", "output")}, 3)
    with pytest.raises(ValueError, match="taps"):
        probes.ClassSpectra(model, {"a": ("conv1", "inside")}, 3)
    with pytest.raises(TypeError, match="taps"):
        probes.ClassSpectra(model, ["conv1"], 3)
    with pytest.raises(ValueError, match="n_classes"):
        probes.ClassSpectra(model, {"a": ("conv1", "input")}, 1)
    cs = probes.ClassSpectra(model, {"a": ("conv1", "input")}, 3)
    with pytest.raises(ValueError, match="labels"):
        cs.run([(torch.randn(2, 3, 16, 16), torch.tensor([0, 3]))])
    with pytest.raises(ValueError, match="labels"):
        cs.run([torch.randn(2, 3, 16, 16)])
    with pytest.raises(ValueError, match="ResNet"):
        probes.resnet_stages(nn.Sequential(nn.Conv2d(1, 1, 3)))
    with pytest.raises(RuntimeError, match="keep_samples"):
        _ = probes.ClassSpectra(model, {"a": ("conv1", "input")}, 3, keep_samples=False).samples


def test_class_spectra_spread_is_paired_across_taps_and_matches_the_spectra_helpers():
    model = _tiny_resnet()
    g = torch.Generator().manual_seed(5)
    x, y = torch.randn(12, 3, 32, 32, generator=g), torch.arange(12) % 3
    cs = probes.ClassSpectra(model, probes.resnet_stages(model), 3).run([(x, y)])
    out = cs.spread(20, seed=1)
    sums, counts = cs.samples["stem"]
    assert out["stem"][0] == spectra.js_spread(spectra.class_mean_spectra(sums, counts, y, 3))
    assert torch.equal(out["stem"][1], spectra.resampled_spreads(sums, counts, y, 3, 20, 1))
    assert out["input"][1].shape == (20,) and cs.spread()["input"][1].numel() == 0
