"""train: fit/evaluate, accuracy, the loss/metric tables, train-or-load caching for any registered
family (toy families registered here), determinism (tiny models, tiny data)."""

from __future__ import annotations


import pytest
import torch

import dataclasses

from helpers import checks, nets, train


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models gain nothing from threads, and on a busy 2-core machine OpenMP spinning makes
    them 50x slower; restore the setting afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _toy_loaders(config):
    """Two separable classes of short signals (a low and a high tone): something to learn."""
    g = torch.Generator().manual_seed(config.seed)
    n = torch.arange(config.crop, dtype=torch.float32)
    xs, ys = [], []
    for i in range(48):
        label = i % 2
        f = 0.02 if label == 0 else 0.3
        phase = float(torch.rand(1, generator=g)) * 6.28
        xs.append(
            torch.cos(2 * torch.pi * f * n + phase) + 0.3 * torch.randn(config.crop, generator=g)
        )
        ys.append(label)
    ds = torch.utils.data.TensorDataset(torch.stack(xs)[:, None], torch.tensor(ys))
    train_loader = torch.utils.data.DataLoader(
        ds,
        batch_size=config.batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(config.seed),
    )
    test_loader = torch.utils.data.DataLoader(ds, batch_size=16)
    return train_loader, test_loader


@nets.register
@dataclasses.dataclass(frozen=True)
class ToneConfig(nets.NetConfig):
    """A toy family registered by this test: a sixteenth-width VGG1d telling two tones apart."""

    archs = ("toy_tone_vgg",)
    datasets = ("toy-tones",)

    arch: str = "toy_tone_vgg"
    dataset: str = "toy-tones"
    epochs: int = 6
    batch_size: int = 8
    lr: float = 1e-2
    crop: int = 64
    n_classes: int = 2

    def validate(self):
        checks.integer(self.crop, "crop", 32)

    def build(self):
        return nets.vgg11_1d(width=1 / 16, n_classes=self.n_classes)

    def loaders(self, root=None, mode=None):
        return _toy_loaders(self)


def _sign_maps(config):
    """Images whose label map is the sign of each pixel; pixels near 0 are IGNORE_INDEX."""
    g = torch.Generator().manual_seed(config.seed)
    x = torch.randn(16, 1, 8, 8, generator=g)
    y = (x[:, 0] > 0).long()
    y[x[:, 0].abs() < 0.1] = train.IGNORE_INDEX
    ds = torch.utils.data.TensorDataset(x, y)
    return (
        torch.utils.data.DataLoader(ds, batch_size=config.batch_size, shuffle=False),
        torch.utils.data.DataLoader(ds, batch_size=8),
    )


@nets.register
@dataclasses.dataclass(frozen=True)
class SignMapConfig(nets.NetConfig):
    """A toy segmentation family registered by this test: a 1x1 conv labelling every pixel."""

    archs = ("toy_pixel_conv",)
    datasets = ("toy-signs",)

    arch: str = "toy_pixel_conv"
    dataset: str = "toy-signs"
    loss: str = "pixel_cross_entropy"
    metric: str = "pixel_accuracy"
    epochs: int = 30
    batch_size: int = 4
    lr: float = 5e-2
    schedule: str = "constant"

    def build(self):
        return torch.nn.Conv2d(1, 2, 1)

    def loaders(self, root=None, mode=None):
        return _sign_maps(self)


def _toy_config(**kw):
    return ToneConfig(**kw)


def test_fit_and_evaluate_on_toy_data():
    cfg = _toy_config()
    torch.manual_seed(0)
    model = cfg.build()
    tr, te = _toy_loaders(cfg)
    lines = []
    hist = train.fit(model, tr, cfg.epochs, cfg.lr, "cpu", log=lines.append, test_loader=te)
    assert len(hist) == 6 and len(lines) == 6 and "loss" in lines[0] and "test acc" in lines[0]
    assert set(hist[0]) >= {"epoch", "loss", "accuracy", "seconds", "test_accuracy"}
    acc = train.evaluate(model, te, "cpu")
    assert 0.0 <= acc <= 1.0 and acc == hist[-1]["test_accuracy"]
    assert acc > 0.8, "two tones are easy"
    assert not model.training


def test_train_or_load_caches_and_reloads(tmp_path, monkeypatch):
    monkeypatch.setenv("CMT_CACHE", str(tmp_path))
    cfg = _toy_config()
    calls = []

    def make(c):
        calls.append(c)
        return _toy_loaders(c)

    m1, r1 = train.train_or_load(cfg, make_loaders=make, device="cpu", log=None)
    path = tmp_path / "models" / f"{cfg.key()}.pt"
    assert r1.path == path and path.exists() and not r1.loaded and len(calls) == 1
    assert not list((tmp_path / "models").glob("*.tmp")), "no temporary file left behind"
    ckpt = torch.load(path, weights_only=True)
    assert set(ckpt) == {"state_dict", "config", "accuracy", "seconds", "history", "records"}
    assert ckpt["records"] == {}  # no on_epoch recorder, nothing recorded
    m2, r2 = train.train_or_load(cfg, make_loaders=make, device="cpu", log=None)
    assert r2.loaded and len(calls) == 1, "loading needs no data"
    assert r2.accuracy == r1.accuracy and r2.seconds == r1.seconds and r2.history == r1.history
    _, te = _toy_loaders(cfg)
    assert train.evaluate(m2, te, "cpu") == r1.accuracy, (
        "the reloaded network gives the same accuracy"
    )
    assert all(
        torch.equal(a, b) for a, b in zip(m1.state_dict().values(), m2.state_dict().values())
    )
    assert r2.chance == 0.5 and "chance" in r2.summary()
    # a different configuration is a different file
    _, r3 = train.train_or_load(cfg.replace(epochs=1), make_loaders=make, device="cpu", log=None)
    assert r3.path != path and len(calls) == 2


def test_corrupt_checkpoint_is_retrained(tmp_path):
    cfg = _toy_config(epochs=1)
    path = train.checkpoint_path(cfg, tmp_path)
    path.write_bytes(b"not a checkpoint")
    lines = []
    _, rec = train.train_or_load(
        cfg, make_loaders=_toy_loaders, cache=tmp_path, device="cpu", log=lines.append
    )
    assert not rec.loaded and any("unusable" in ln for ln in lines)
    _, rec2 = train.train_or_load(
        cfg, make_loaders=_toy_loaders, cache=tmp_path, device="cpu", log=None
    )
    assert rec2.loaded and rec2.accuracy == rec.accuracy


def test_same_seed_same_result_different_seed_different_weights(tmp_path):
    cfg = _toy_config(epochs=2)
    m1, r1 = train.train_or_load(
        cfg, make_loaders=_toy_loaders, cache=tmp_path / "a", device="cpu", log=None
    )
    m2, r2 = train.train_or_load(
        cfg, make_loaders=_toy_loaders, cache=tmp_path / "b", device="cpu", log=None
    )
    assert r1.accuracy == r2.accuracy
    assert [h["loss"] for h in r1.history] == [h["loss"] for h in r2.history]
    assert all(
        torch.equal(a, b) for a, b in zip(m1.state_dict().values(), m2.state_dict().values())
    )
    m3, _ = train.train_or_load(
        cfg.replace(seed=1), make_loaders=_toy_loaders, cache=tmp_path / "c", device="cpu", log=None
    )
    assert not torch.equal(m1.features.conv1.weight, m3.features.conv1.weight)


def _bn_net():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv1d(1, 4, 3, padding=1),
        torch.nn.BatchNorm1d(4),
        torch.nn.ReLU(),
        torch.nn.Conv1d(4, 3, 3, padding=1),
        torch.nn.BatchNorm1d(3),
    )


def test_calibrate_bn_sets_running_stats_to_the_data_statistics():
    g = torch.Generator().manual_seed(1)
    x = 3.0 + 2.0 * torch.randn(40, 1, 64, generator=g)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x, torch.zeros(40)), batch_size=10
    )
    net = _bn_net()
    weights = {
        k: v.clone()
        for k, v in net.state_dict().items()
        if "running" not in k and "num_batches" not in k
    }
    assert torch.equal(net[1].running_mean, torch.zeros(4)), "fresh BN: identity statistics"
    out = train.calibrate_bn(net, loader, device="cpu")
    assert out is net and not net.training
    y = net[0](x)  # the first BN sees the conv output over all 40 clips
    assert torch.allclose(net[1].running_mean, y.mean((0, 2)), atol=1e-5)
    # cumulative average of unbiased per-batch variances (momentum=None), batches of equal size
    per_batch = torch.stack(
        [y[i : i + 10].var((0, 2), unbiased=True) for i in range(0, 40, 10)]
    ).mean(0)
    assert torch.allclose(net[1].running_var, per_batch, rtol=1e-4)
    assert net[1].momentum == 0.1, "momentum restored"
    for k, v in weights.items():
        assert torch.equal(net.state_dict()[k], v), f"{k} must not change"
    # in eval mode the calibrated first BN now normalises: per-channel mean ~0, variance ~1
    z = net[1](net[0](x))
    assert z.mean((0, 2)).abs().max() < 1e-4 and (z.var((0, 2)) - 1).abs().max() < 0.05
    assert (
        train.calibrate_bn(_bn_net(), loader, max_batches=1, device="cpu")[1].num_batches_tracked
        == 1
    )
    plain = torch.nn.Sequential(torch.nn.Conv1d(1, 2, 3))
    assert train.calibrate_bn(plain, loader, device="cpu") is plain


# ----------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda: train.fit("model", [], 1, 0.1, "cpu"), TypeError, "model"),
        (
            lambda: train.fit(torch.nn.Linear(2, 2), torch.zeros(3), 1, 0.1, "cpu"),
            TypeError,
            "train_loader",
        ),
        (lambda: train.fit(torch.nn.Linear(2, 2), [], -1, 0.1, "cpu"), ValueError, "epochs"),
        (lambda: train.fit(torch.nn.Linear(2, 2), [], 1, 0, "cpu"), ValueError, "lr"),
        (
            lambda: train.fit(torch.nn.Linear(2, 2), [], 1, 0.1, "cpu", optimizer="lbfgs"),
            ValueError,
            "optimizer",
        ),
        (
            lambda: train.fit(torch.nn.Linear(2, 2), [], 1, 0.1, "cpu", schedule="cosine"),
            ValueError,
            "schedule",
        ),
        (
            lambda: train.fit(torch.nn.Linear(2, 2), [], 1, 0.1, "cpu", log="print"),
            TypeError,
            "log",
        ),
        (lambda: train.evaluate(torch.nn.Linear(2, 2), [], "cpu"), ValueError, "loader"),
        (lambda: train.train_or_load({"width": 1}), TypeError, "config"),
        (lambda: train.train_or_load(_toy_config(), build_fn="vgg"), TypeError, "build_fn"),
        (lambda: train.calibrate_bn("model", []), TypeError, "model"),
        (
            lambda: train.calibrate_bn(torch.nn.Linear(2, 2), [], max_batches=0),
            ValueError,
            "max_batches",
        ),
    ],
)
def test_bad_inputs_name_the_argument(call, exc, word):
    with pytest.raises(exc, match=word):
        call()


# ------------------------------------------------------------------ the general trainer (fit)
def _segmentation_data(n=16, size=8, seed=0):
    """Images whose label map is the sign of the pixel: a per-pixel two-class problem."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, size, size, generator=g)
    return torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x, (x[:, 0] > 0).long()), batch_size=4, shuffle=False
    )


def test_fit_trains_a_segmentation_loss_and_reports_pixel_accuracy():
    """A (B, C, H, W) network with a per-pixel cross-entropy learns the per-pixel rule, and the
    default metric counts every pixel once."""
    torch.manual_seed(0)
    net = torch.nn.Conv2d(1, 2, 1)
    loader = _segmentation_data()
    before = train.evaluate(net, loader)
    hist = train.fit(
        net,
        loader,
        epochs=30,
        lr=5e-2,
        log=None,
        schedule="constant",
        loss=torch.nn.functional.cross_entropy,
        test_loader=loader,
    )
    after = train.evaluate(net, loader)
    assert hist[-1]["loss"] < hist[0]["loss"] and after > max(before, 0.95)
    assert hist[-1]["test_accuracy"] == after
    out = net(next(iter(loader))[0])
    assert train.accuracy_counts(out, (out[:, 1] > out[:, 0]).long()) == (4 * 64, 4 * 64)


def test_fit_applies_a_per_batch_transform_as_adversarial_training_does():
    """``transform`` sees every training batch with the model in training mode and its output is
    what the step trains on: an FGSM step of size eps moves each input by exactly eps (L-inf)."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 2))
    loader = _segmentation_data()
    flat = [(x, y[:, 0, 0]) for x, y in loader]
    seen, eps = [], 0.1

    def fgsm(model, x, y):
        assert model.training
        x0 = x.clone().requires_grad_(True)
        torch.nn.functional.cross_entropy(model(x0), y).backward()
        adv = (x + eps * x0.grad.sign()).detach()
        seen.append(float((adv - x).abs().max()))
        return adv, y

    train.fit(net, flat, epochs=2, lr=1e-2, log=None, transform=fgsm)
    assert len(seen) == 2 * len(flat) and all(abs(s - eps) < 1e-6 for s in seen)
    clean = train.evaluate(net, flat)
    attacked = train.evaluate(net, flat, transform=lambda m, x, y: fgsm_eval(m, x, y, eps))
    assert attacked <= clean


def fgsm_eval(model, x, y, eps):
    x0 = x.clone().requires_grad_(True)
    torch.nn.functional.cross_entropy(model(x0), y).backward()
    return (x + eps * x0.grad.sign()).detach(), y


def test_on_epoch_runs_before_training_and_after_every_epoch_in_eval_mode():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 1), torch.nn.BatchNorm2d(2))
    calls = []
    train.fit(
        net,
        _segmentation_data(),
        epochs=3,
        lr=1e-2,
        log=None,
        on_epoch=lambda e, m, row: calls.append((e, m.training, row and row["epoch"])),
    )
    assert calls == [(0, False, None), (1, False, 1), (2, False, 2), (3, False, 3)]
    calls.clear()
    train.fit(
        net,
        _segmentation_data(),
        epochs=0,
        lr=1e-2,
        log=None,
        on_epoch=lambda e, m, row: calls.append(e),
    )
    assert calls == [0]


def test_custom_metric_names_the_history_columns():
    class MeanAbsError:
        name = "mae"

        def __init__(self):
            self.s, self.total = 0.0, 0

        def update(self, out, y):
            self.s += float((out.argmax(1) - y).abs().sum())
            self.total += y.numel()

        def value(self):
            return self.s / self.total

    torch.manual_seed(0)
    net = torch.nn.Conv2d(1, 2, 1)
    hist = train.fit(
        net,
        _segmentation_data(),
        epochs=1,
        lr=1e-2,
        log=None,
        metric=MeanAbsError,
        test_loader=_segmentation_data(),
    )
    assert {"mae", "test_mae"} <= set(hist[0]) and "accuracy" not in hist[0]


def test_accuracy_is_defined_once_and_checks_shapes():
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]])
    assert train.accuracy(logits, torch.tensor([0, 1, 1])) == 2 / 3
    with pytest.raises(ValueError, match="output must be"):
        train.accuracy(logits, torch.tensor([0, 1]))
    with pytest.raises(TypeError, match="loss must be callable"):
        train.fit(torch.nn.Linear(2, 2), [], epochs=1, lr=1e-2, loss="mse")
    with pytest.raises(TypeError, match="transform must be callable"):
        train.evaluate(torch.nn.Linear(2, 2), [], transform=3)


# ------------------------------------------------------- train_or_load of any registered family
def test_train_or_load_uses_the_configs_own_build_and_loaders(tmp_path):
    """No make_loaders, no build_fn: the registered family's build() and loaders() are used."""
    cfg = nets.config("toy_tone_vgg", seed=3)
    assert isinstance(cfg, ToneConfig) and nets.family("toy_tone_vgg") is ToneConfig
    m1, r1 = train.train_or_load(cfg, cache=tmp_path, device="cpu", log=None)
    assert not r1.loaded and r1.accuracy > 0.5 and r1.chance == 0.5
    assert ToneConfig.track_test is False
    assert all("test_accuracy" not in row for row in r1.history), "no test curve unless asked"
    m2, r2 = train.train_or_load(cfg, cache=tmp_path, device="cpu", log=None)
    assert r2.loaded and r2.accuracy == r1.accuracy
    assert all(
        torch.equal(a, b) for a, b in zip(m1.state_dict().values(), m2.state_dict().values())
    )
    assert nets.from_dict(cfg.to_dict()) == cfg


def test_a_family_with_track_test_gets_the_test_metric_of_every_epoch(tmp_path):
    @nets.register
    @dataclasses.dataclass(frozen=True)
    class TrackedTones(ToneConfig):
        archs = ("toy_tone_vgg_tracked",)
        track_test = True
        arch: str = "toy_tone_vgg_tracked"

    cfg = TrackedTones(epochs=2)
    model, rec = train.train_or_load(cfg, cache=tmp_path, device="cpu", log=None)
    assert [row["epoch"] for row in rec.history] == [1, 2]
    assert all(0 <= row["test_accuracy"] <= 1 for row in rec.history)
    # the last epoch's test accuracy is the record's: both are the final model's
    assert rec.history[-1]["test_accuracy"] == rec.accuracy
    assert rec.accuracy == train.evaluate(model, _toy_loaders(cfg)[1], "cpu")
    _, again = train.train_or_load(cfg, cache=tmp_path, device="cpu", log=None)
    assert again.loaded and again.history == rec.history


def test_a_segmentation_family_with_its_own_loss_and_metric_trains_caches_and_reloads(tmp_path):
    cfg = SignMapConfig()
    d = cfg.to_dict()
    assert d["loss"] == "pixel_cross_entropy" and d["metric"] == "pixel_accuracy", (
        "non-default loss and metric enter the key"
    )
    plain = cfg.replace(loss="cross_entropy", metric="accuracy").to_dict()
    assert "loss" not in plain and "metric" not in plain, "defaults stay out of the key"
    lines = []
    net, rec = train.train_or_load(cfg, cache=tmp_path, device="cpu", log=lines.append)
    assert not rec.loaded and rec.accuracy > 0.95 and rec.chance is None
    assert "pixel_accuracy" in rec.history[-1] and rec.history[-1]["loss"] < rec.history[0]["loss"]
    assert "test pixel accuracy" in lines[-1]
    # the metric leaves out IGNORE_INDEX pixels: recompute it by hand
    x, y = next(iter(_sign_maps(cfg)[1]))
    keep = y != train.IGNORE_INDEX
    with torch.no_grad():
        pred = net(x).argmax(1)
    meter = train.PixelAccuracy()
    meter.update(net(x).detach(), y)
    assert meter.value() == float((pred == y)[keep].double().mean())
    net2, rec2 = train.train_or_load(cfg, cache=tmp_path, device="cpu", log=None)
    assert rec2.loaded and rec2.accuracy == rec.accuracy


def test_cpu_threads_of_a_family_hold_while_training_and_are_restored(tmp_path, monkeypatch):
    @nets.register
    @dataclasses.dataclass(frozen=True)
    class OneThreadTones(ToneConfig):
        archs = ("toy_tone_vgg_1thread",)
        cpu_threads = 1
        arch: str = "toy_tone_vgg_1thread"

    seen, real_fit = [], train.fit

    def fit_spy(*args, **kw):
        seen.append(torch.get_num_threads())
        return real_fit(*args, **kw)

    monkeypatch.setattr(train, "fit", fit_spy)
    torch.set_num_threads(2)
    train.train_or_load(OneThreadTones(epochs=1), cache=tmp_path, device="cpu", log=None)
    assert seen == [1] and torch.get_num_threads() == 2


@pytest.fixture
def scored_toy():
    """An untrained toy network in train mode, its test loader and the loader's inputs/labels."""
    cfg = _toy_config(epochs=1)
    torch.manual_seed(0)
    model = cfg.build()
    _, te = _toy_loaders(cfg)
    x = torch.cat([b for b, _ in te])
    y = torch.cat([t for _, t in te])
    model.train()
    return model, te, x, y


def test_accuracy_on_matches_evaluate_and_restores_the_mode(scored_toy):
    model, te, x, y = scored_toy
    acc = train.accuracy_on(model, x, y, batch_size=5)
    assert model.training, "the mode is restored"
    assert acc == train.evaluate(model, te, "cpu")
    assert acc == train.accuracy(model.eval()(x), y)


def test_correct_on_is_the_per_input_version_of_accuracy_on(scored_toy):
    model, _, x, y = scored_toy
    ok = train.correct_on(model, x, y, batch_size=5)
    assert model.training and ok.dtype == torch.bool and ok.shape == y.shape
    assert float(ok.double().mean()) == train.accuracy_on(model, x, y)
    assert torch.equal(ok, model.eval()(x).argmax(1) == y)
    with pytest.raises(ValueError, match="labels"):
        train.correct_on(model, x, y[:-1])


def test_hits_on_scores_transformed_batches_in_eval_mode_and_restores_the_mode(scored_toy):
    model, te, x, y = scored_toy
    modes, seen = [], []

    def flip(m, xb, yb):  # a transform that sees the model in eval mode, with gradients
        modes.append((m.training, torch.is_grad_enabled()))
        seen.append(len(xb))
        return -xb

    hits = list(train.hits_on(model, te, flip))
    assert model.training, "the mode is restored"
    assert modes and all(mode == (False, True) for mode in modes)
    assert [len(h) for h in hits] == seen and all(h.dtype == torch.bool for h in hits)
    assert torch.equal(torch.cat(hits), model.eval()(-x).argmax(1) == y)
    with pytest.raises(TypeError, match="transform"):
        list(train.hits_on(model, te, "flip"))


@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda: train.accuracy_on("net", torch.zeros(2, 1), torch.zeros(2)), TypeError, "model"),
        (
            lambda: train.accuracy_on(torch.nn.Linear(1, 2), "x", torch.zeros(2)),
            TypeError,
            "inputs",
        ),
        (
            lambda: train.accuracy_on(torch.nn.Linear(1, 2), torch.zeros(2, 1), torch.zeros(3)),
            ValueError,
            "labels",
        ),
        (
            lambda: train.accuracy_on(torch.nn.Linear(1, 2), torch.zeros(2, 1), torch.zeros(2), 0),
            ValueError,
            "batch_size",
        ),
        (lambda: train.train_or_load(_toy_config(loss="hinge")), ValueError, "loss"),
        (lambda: train.train_or_load(_toy_config(metric="f1")), ValueError, "metric"),
        (lambda: train.train_or_load(_toy_config(), make_loaders=3), TypeError, "make_loaders"),
    ],
)
def test_trainer_bad_inputs_name_the_argument(call, exc, word):
    with pytest.raises(exc, match=word):
        call()


# ------------------------------------------------------- segmentation metrics (FCN, Table 6)
def _scores(pred: torch.Tensor, k: int) -> torch.Tensor:
    """One-hot class scores (B, K, H, W) whose arg-max is ``pred`` (B, H, W)."""
    return torch.nn.functional.one_hot(pred, k).permute(0, 3, 1, 2).float()


def test_confusion_matrix_metrics_against_a_hand_computed_matrix():
    # 2 x 4 image, 3 classes; truth and prediction chosen so that M is known by hand
    truth = torch.tensor([[[0, 0, 0, 1], [1, 2, 2, 255]]])
    pred = torch.tensor([[[0, 0, 1, 1], [2, 2, 0, 0]]])
    cm = train.ConfusionMatrix(3)
    cm.update(_scores(pred, 3), truth)
    # rows = truth, columns = prediction; the 255 pixel is ignored
    assert cm.matrix.tolist() == [[2, 1, 0], [0, 1, 1], [1, 0, 1]]
    assert cm.pixel_accuracy() == pytest.approx(4 / 7)
    assert cm.mean_accuracy() == pytest.approx((2 / 3 + 1 / 2 + 1 / 2) / 3)
    # IU_i = M_ii / (row_i + col_i - M_ii): 2/(3+3-2), 1/(2+2-1), 1/(2+2-1)
    assert cm.mean_iu() == pytest.approx((2 / 4 + 1 / 3 + 1 / 3) / 3)
    assert cm.value() == cm.mean_iu()
    assert train.METRICS["mean_accuracy"]().name == "mean_accuracy"
    # accumulates over batches: the same batch twice doubles M, the means stay
    cm.update(_scores(pred, 3), truth)
    assert cm.matrix.sum() == 14 and cm.mean_iu() == pytest.approx((2 / 4 + 2 / 3) / 3)
    # evaluate(meter=True) hands back the accumulator of one pass
    model = torch.nn.Identity()
    got = train.evaluate(
        model, [(_scores(pred, 3), truth)], "cpu", metric=train.ConfusionMatrix, meter=True
    )
    assert (
        isinstance(got, train.ConfusionMatrix) and got.matrix.tolist() == cm.matrix.div(2).tolist()
    )


def test_confusion_matrix_leaves_out_absent_classes_and_refuses_bad_input():
    truth = torch.zeros(1, 2, 2, dtype=torch.long)
    cm = train.MeanIU(3)
    cm.update(_scores(truth, 3), truth)  # only class 0, all right
    assert cm.value() == 1.0 and train.MeanAccuracy(3).name == "mean_accuracy"
    with pytest.raises(ValueError, match="no pixels"):
        train.MeanIU(2).value()
    with pytest.raises(ValueError, match="labels"):
        train.MeanIU(2).update(_scores(truth, 2), truth + 5)
    with pytest.raises(ValueError, match="metric"):
        train.ConfusionMatrix(2, metric="dice")
