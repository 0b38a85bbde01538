"""Chapter 7's reconstructed segmentation networks, their configuration and data."""

from __future__ import annotations

import pytest
import torch

from helpers import nets, postshift, train
from conftest import assert_raises_naming, require_dataset


def test_network_image_4_features_keep_the_input_grid():
    torch.manual_seed(0)
    net = nets.NetworkImage4(n_classes=2, width=4).eval()
    x = torch.randn(2, 3, 32, 32)
    assert net.features(x).shape == (2, 4, 32, 32) and net(x).shape == (2, 2, 32, 32)


@pytest.mark.parametrize("skip", nets.SKIPS)
def test_network_image_5_skip_variants(skip):
    key = "abc" if skip == "filter" else ""
    cfg = nets.SegConfig(skip=skip, skip_key=key, width=4, image_size=32)
    filt = postshift.FourierFilter(torch.ones(32, 32)) if skip == "filter" else None
    torch.manual_seed(0)
    net = cfg.build(skip_filter=filt).eval()
    assert net(torch.randn(2, 3, 32, 32)).shape == (2, 2, 32, 32)
    assert net.use_skip == (skip != "none")
    if skip == "learnable":  # starts as the identity, and is trainable
        x = torch.randn(1, 3, 32, 32)
        assert torch.allclose(net.skip_filter(x), x, atol=1e-6)
        assert any(p.requires_grad for p in net.skip_filter.parameters())
    if skip == "filter":  # a fixed filter: no trainable parameter on the skip
        assert list(net.skip_filter.parameters()) == []


def test_the_skip_carries_the_filtered_image_and_the_state_carries_the_filter():
    """The filter is a buffer: a checkpoint holds it, so a cached network comes back with its
    filter; with a zero filter the skip is constant, which changes the output."""
    cfg = nets.SegConfig(skip="filter", skip_key="k", width=4, image_size=32)
    torch.manual_seed(0)
    a = cfg.build(skip_filter=postshift.FourierFilter(torch.ones(32, 32))).eval()
    b = cfg.build(skip_filter=postshift.FourierFilter(torch.zeros(32, 32))).eval()
    b.load_state_dict(a.state_dict())
    assert torch.equal(b.skip_filter.H, a.skip_filter.H)
    x = torch.randn(2, 3, 32, 32)
    assert torch.allclose(a(x), b(x))
    b.skip_filter.H.zero_()
    assert not torch.allclose(a(x), b(x))


@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda: nets.SegConfig(image_size=30), ValueError, "image_size"),
        (lambda: nets.SegConfig(split="b-test"), ValueError, "split"),
        (lambda: nets.SegConfig(skip="filter"), ValueError, "skip_key"),
        (lambda: nets.SegConfig(skip="image", skip_key="x"), ValueError, "skip_key"),
        (lambda: nets.SegConfig(arch="network_image_4", skip="none"), ValueError, "skip"),
        (lambda: nets.SegConfig(skip="mirror"), ValueError, "skip"),
        (lambda: nets.SegConfig(skip="filter", skip_key="k").build(), TypeError, "skip_filter"),
        (
            lambda: nets.SegConfig().build(skip_filter=torch.nn.Identity()),
            ValueError,
            "skip_filter",
        ),
        (lambda: nets.LearnableFilter(3, size=4), ValueError, "size"),
        (lambda: nets.seg_config("unet"), ValueError, "arch"),
        (
            lambda: nets.segmentation_loader(
                torch.zeros(2, 3, 8, 8), torch.zeros(2, 4, 4, dtype=torch.long)
            ),
            ValueError,
            "labels",
        ),
    ],
)
def test_bad_input_names_the_argument(call, exc, word):
    assert_raises_naming(call, exc, word)


def test_seg_config_budgets_and_keys_by_filter():
    quick = nets.seg_config("network_image_5", "quick")
    assert (quick.image_size, quick.split, quick.optimizer) == (48, "b-train", "adam")
    assert nets.seg_config("network_image_4", "full").split == "a"
    a = nets.seg_config("network_image_5", "quick", skip="filter", skip_key="aaa")
    b = a.replace(skip_key="bbb")
    assert a.key() != b.key() != quick.key()


def test_voc2012_needs_its_21_classes():
    assert_raises_naming(lambda: nets.SegConfig(dataset="voc2012"), ValueError, "n_classes")
    assert_raises_naming(lambda: nets.SegConfig(n_classes=21), ValueError, "n_classes")
    assert nets.SegConfig(dataset="voc2012", n_classes=21).n_classes == 21
    assert nets.SEG_DATASETS == {"pennfudan": 2, "voc2012": 21}
    voc = nets.seg_config("network_image_5", "quick", dataset="voc2012")
    assert (voc.dataset, voc.n_classes) == ("voc2012", 21)
    assert nets.seg_config("network_image_4", "full", dataset="voc2012").n_classes == 21
    assert nets.seg_config("network_image_5", "quick").n_classes == 2
    assert voc.key() != nets.seg_config("network_image_5", "quick").key()
    torch.manual_seed(0)
    assert voc.replace(width=2, image_size=16).build()(torch.randn(1, 3, 16, 16)).shape == (
        1,
        21,
        16,
        16,
    )
    assert_raises_naming(
        lambda: nets.seg_config("network_image_5", "quick", dataset="coco"), ValueError, "dataset"
    )


def test_segmentation_tensors_without_voc2012_is_dataset_unavailable(tmp_path, monkeypatch):
    """No copy in the data directory (an empty root), none in the (empty) cache, and the download
    pointed at a loopback port where nothing listens: nothing leaves the machine."""
    import dataclasses
    import socket

    from helpers import data

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/VOCtrainval_11-May-2012.tar"
    monkeypatch.setitem(
        data.SOURCES, "voc2012", dataclasses.replace(data.SOURCES["voc2012"], url=url)
    )
    monkeypatch.setenv("CMT_CACHE", str(tmp_path / "cache"))
    empty = tmp_path / "no-data"
    empty.mkdir()
    with pytest.raises(data.DatasetUnavailable) as err:
        nets.segmentation_tensors("b-test", 32, "quick", root=empty, dataset="voc2012")
    text = str(err.value)
    assert "'voc2012'" in text and "download failed" in text and url in text  # the loopback port
    assert_raises_naming(
        lambda: nets.segmentation_tensors("b-test", 32, "quick", root=empty, dataset="coco"),
        ValueError,
        "dataset",
    )


def test_segmentation_tensors_and_loaders_train_a_step():
    require_dataset("pennfudan", "PennFudanPed")
    x, y = nets.segmentation_tensors("b-test", 32, "quick")
    assert x.shape == (28, 3, 32, 32) and y.shape == (28, 32, 32) and y.dtype == torch.long
    assert set(y.unique().tolist()) == {0, 1} and abs(float(x.mean())) < 1.5
    assert nets.segmentation_tensors("b-test", 32, "quick")[0] is x  # decoded once
    cfg = nets.SegConfig(width=4, image_size=32, epochs=1, batch_size=8)
    tr, te = cfg.loaders(mode="quick")
    xb, yb = next(iter(tr))
    assert xb.shape == (8, 3, 32, 32) and yb.shape == (8, 32, 32)
    # seeded: the same config gives the same first batch (shuffle and flips)
    xb2, _ = next(iter(cfg.loaders(mode="quick")[0]))
    assert torch.equal(xb, xb2)
    torch.manual_seed(0)
    net = cfg.build()
    history = train.fit(
        net,
        tr,
        1,
        1e-3,
        "cpu",
        log=None,
        loss=train.LOSSES["pixel_cross_entropy"],
        metric=train.MeanIU,
    )
    assert 0 <= history[-1]["mean_iu"] <= 1
    assert 0 <= train.evaluate(net, te, "cpu", metric=train.MeanAccuracy) <= 1
