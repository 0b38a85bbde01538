"""probes: streaming layer spectra equal a direct computation; names; hooks come off."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from helpers import nets, probes, spectra


def _tiny(inplace=False):
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv1d(2, 3, 3, padding=1), nn.ReLU(inplace=inplace), nn.MaxPool1d(2),
                         nn.Conv1d(3, 4, 5, padding=2), nn.Tanh())


def _batches(n_batches=3, b=5, seed=1):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(b, 2, 32, generator=g), torch.zeros(b, dtype=torch.long)) for _ in range(n_batches)]


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
        y = model[:4](x)   # output of layer '3' (the conv), before the tanh
        h = model[:3](x)
    assert torch.allclose(ls.results["3"][1].float(), spectra.energy_spectrum(y).mean(dim=(0, 1)), rtol=1e-4)
    assert torch.allclose(ls.results["3"][0].float(), spectra.energy_spectrum(h).mean(dim=(0, 1)), rtol=1e-4)
    # run() outside a with-block registers hooks for that run only
    ls2 = probes.LayerSpectra(model, ["0"])
    ls2.run(data)
    assert not model[0]._forward_hooks
    assert ls2.accumulators["0"][0].count == 10


def _bn_dropout_net():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv1d(2, 4, 3, padding=1), nn.BatchNorm1d(4), nn.ReLU(),
                        nn.Dropout(0.5), nn.Conv1d(4, 3, 3, padding=1), nn.Tanh())
    with torch.no_grad():                         # running statistics far from any batch's
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
        model[0].bias.copy_(torch.tensor([-1.0, 0.0]))   # channel 0: constant -1, dead after ReLU
        model[0].weight[1] = 1.0                           # channel 1: x itself
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
    assert all(abs(float(c.sum())) < 1e-6 for c in d["cdiff"] + d["adiff"]), "normalised: differences sum to 0"
    assert layers.acdiff(d["cdiff"]).shape == (16,)


@pytest.mark.parametrize("call, exc, word", [
    (lambda: probes.LayerSpectra("net", ["0"]), TypeError, "model"),
    (lambda: probes.LayerSpectra(_tiny(), "0"), TypeError, "layers"),
    (lambda: probes.LayerSpectra(_tiny(), []), ValueError, "layers"),
    (lambda: probes.LayerSpectra(_tiny(), ["conv9"]), ValueError, "conv9"),
    (lambda: probes.LayerSpectra(_tiny(), ["0", "0"]), ValueError, "duplicate"),
    (lambda: probes.LayerSpectra(_tiny(), ["0"], ndim=3), ValueError, "ndim"),
    (lambda: probes.layer_names(_tiny(), "dense"), ValueError, "kind"),
    (lambda: probes.LayerSpectra(_tiny(), ["0"]).run(torch.zeros(2, 2, 8).numpy().tolist(), max_batches=0),
     ValueError, "max_batches"),
])
def test_bad_inputs_name_the_argument(call, exc, word):
    with pytest.raises(exc, match=word):
        call()


def test_activation_balance_matches_layer_differences_and_fit():
    """activation_balance = LayerSpectra + layer_differences + acdiff/aadiff + fit_lambda (eqs 31-36)."""
    from helpers import layers

    torch.manual_seed(0)
    model = nets.vgg11_1d(width=0.0625, activation="relu", batch_norm=True).eval()
    data = [(torch.randn(4, 1, 256, generator=torch.Generator().manual_seed(i)), torch.zeros(4, dtype=torch.long))
            for i in range(2)]
    out = probes.activation_balance(model, data)
    pairs = probes.conv_act_pairs(model)
    assert out["pairs"] == pairs and len(out["cdiff"]) == len(out["adiff"]) == 8
    with probes.LayerSpectra(model, [n for p in pairs for n in p]) as ls:
        res = ls.run(data)
    diffs = layers.layer_differences(res, pairs)
    ac, aa = layers.acdiff(diffs["cdiff"]), layers.aadiff(diffs["adiff"])
    assert torch.allclose(out["acdiff"], ac) and torch.allclose(out["aadiff"], aa)
    assert out["acdiff"].shape == (256 // 16,)          # deepest block (after 4 poolings)
    assert abs(float(out["acdiff"].sum())) < 1e-6        # differences of unit-sum spectra sum to 0
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
    with pytest.raises(ValueError, match=r"\bmax_batches\b"):
        probes.LayerSpectra(_tiny(), ["0"]).run(_batches(2), max_batches=max_batches)
