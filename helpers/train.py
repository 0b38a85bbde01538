"""Training, evaluation and train-or-load checkpoints for the book's networks (any family).

* :func:`fit` / :func:`evaluate` -- the book's one training loop (Adam or SGD; cross-entropy or any
  ``loss``; :class:`Accuracy` or any ``metric``; a per-epoch ``on_epoch`` callback; a per-batch
  ``transform``, e.g. adversarial examples) printing one line per epoch (or a tqdm bar), and the
  metric on a test loader. :func:`accuracy` of one batch and :func:`accuracy_on` of a model on a
  tensor of inputs are defined here once.
* :data:`LOSSES` / :data:`METRICS` -- the names a ``helpers.nets.NetConfig`` gives its ``loss``
  and ``metric`` (``"cross_entropy"``, ``"pixel_cross_entropy"``; ``"accuracy"``,
  ``"pixel_accuracy"``), each mapped to its callable.
* :func:`train_or_load` -- trains the network a ``helpers.nets.NetConfig`` describes once
  (``config.build()``, ``config.loaders()``, its loss, metric and budget) and caches
  ``{state_dict, config, accuracy, seconds, history}`` in ``<cache>/models/<config.key()>.pt``
  (written to a temporary file and renamed), so a later chapter, or a re-run, loads it instead.
  Every chapter still runs on its own from an empty cache: it simply trains.

Smoke runs (``runtime.smoke_active()``, ``CMT_SMOKE=1``): :func:`fit` trains at most
``runtime.SMOKE_EPOCHS`` epochs of ``runtime.SMOKE_BATCHES`` batches, :func:`evaluate` and
:func:`calibrate_bn` read ``runtime.SMOKE_BATCHES`` batches, each batch cut to
``runtime.SMOKE_ITEMS`` items (``runtime.smoke_batches``), and :func:`train_or_load` keeps its
networks in ``<cache>/smoke/models``, apart from real ones: a smoke network is never loaded by a
real run, nor a real one by a smoke run.

Determinism: with one seed, on one machine and the CPU, :func:`train_or_load` gives the same weights
and the same metric (torch's global generator is seeded before the network is built, the data's
shuffling and augmentation come from their own seeded generators, ``num_workers=0``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import tempfile
import time
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from . import checks, runtime
from .nets import NetConfig

__all__ = [
    "calibrate_bn",
    "fit",
    "correct_on",
    "hits_on",
    "evaluate",
    "Accuracy",
    "PixelAccuracy",
    "ConfusionMatrix",
    "MeanAccuracy",
    "MeanIU",
    "accuracy",
    "accuracy_counts",
    "accuracy_on",
    "IGNORE_INDEX",
    "LOSSES",
    "METRICS",
    "TrainRecord",
    "train_or_load",
    "checkpoint_path",
]


# --------------------------------------------------------------------------------- fit/evaluate
def _check_loader(loader, name: str):
    checks.iterable(loader, name, "an iterable of (inputs, labels) batches such as a DataLoader")


def _check_model(model):
    checks.instance(model, "model", nn.Module, "a torch.nn.Module")


class Accuracy:
    """The fraction of correct predictions, accumulated over batches: the default metric.

    ``update(output, target)``: ``output`` holds class scores on axis 1 (``(B, C)`` for a
    classifier, ``(B, C, H, W)`` for a segmentation network: every pixel counts once) and
    ``target`` the class indices (``(B,)`` or ``(B, H, W)``); ``value()`` in [0, 1].
    """

    name = "accuracy"

    def __init__(self):
        self.correct = 0
        self.total = 0

    def update(self, output: torch.Tensor, target: torch.Tensor) -> None:
        correct, total = accuracy_counts(output, target)
        self.correct += correct
        self.total += total

    def value(self) -> float:
        if self.total == 0:
            raise ValueError("loader yielded no samples: the metric is undefined")
        return self.correct / self.total


def accuracy_counts(output: torch.Tensor, target: torch.Tensor) -> tuple[int, int]:
    """``(correct, total)`` of the arg-max class of ``output`` (class axis 1) against ``target``."""
    hits = _hits(output, target)
    return int(hits.sum()), int(hits.numel())


def _hits(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``output.argmax(1) == target`` (bool), after checking that the shapes pair up."""
    if (
        output.ndim < 2
        or output.shape[0] != target.shape[0]
        or output.shape[2:] != target.shape[1:]
    ):
        raise ValueError(
            f"output must be (B, C, ...) with target (B, ...) of the same B and "
            f"trailing shape, got {tuple(output.shape)} and {tuple(target.shape)}"
        )
    return output.argmax(1) == target


def accuracy(output: torch.Tensor, target: torch.Tensor) -> float:
    """Fraction of correct arg-max predictions of one batch (class scores on axis 1)."""
    correct, total = accuracy_counts(output, target)
    if total == 0:
        raise ValueError("accuracy of an empty batch is undefined")
    return correct / total


def hits_on(model: nn.Module, batches, transform: Callable | None = None, device=None):
    """Yield, batch by batch, the per-input correctness ``argmax model(x_i) == y_i`` (bool, on the
    CPU) of ``batches``, an iterable of ``(inputs, labels)``: the one counting loop behind
    :func:`correct_on`, :func:`accuracy_on` and ``attacks.robust_accuracy``.

    In eval mode (the model's mode is restored when the generator ends), each batch moved to
    ``device`` (default: where the model's parameters are, the CPU for a model without any).
    ``transform(model, x, y)`` replaces a batch's inputs before they are scored (an attack); it
    runs with gradients enabled, the scoring forward pass without.
    """
    _check_model(model)
    transform = checks.function(transform, "transform", "a transform(model, x, y)", optional=True)
    if device is None:
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
    was_training = model.training
    model.eval()
    try:
        for xb, yb in batches:
            xb, yb = xb.to(device), yb.to(device)
            if transform is not None:
                xb = transform(model, xb, yb)
            with torch.no_grad():
                yield _hits(model(xb), yb).cpu()
    finally:
        model.train(was_training)


def correct_on(
    model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, batch_size: int = 128
) -> torch.Tensor:
    """Per-input correctness ``argmax model(x_i) == y_i`` as a bool tensor ``(N,)`` (on the CPU):
    the scores a paired bootstrap over images needs; its mean is :func:`accuracy_on`. Eval mode
    (restored afterwards), no gradients, ``batch_size`` inputs at a time on the model's device."""
    _check_model(model)
    inputs = checks.tensor(inputs, "inputs", min_ndim=1, check_finite=False)
    if not isinstance(labels, torch.Tensor) or labels.shape[:1] != inputs.shape[:1]:
        raise ValueError(
            f"labels must be a tensor of {len(inputs)} class indices (one per input), "
            f"got {type(labels).__name__} {tuple(getattr(labels, 'shape', ()))}"
        )
    batch_size = checks.integer(batch_size, "batch_size", 1)
    out = list(hits_on(model, zip(inputs.split(batch_size), labels.split(batch_size))))
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.bool)


def accuracy_on(
    model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, batch_size: int = 128
) -> float:
    """Fraction of ``inputs`` that ``model`` classifies as ``labels`` (arg-max of axis 1).

    In eval mode (the model's mode is restored afterwards), without gradients, ``batch_size``
    inputs at a time, each batch moved to the device of the model's parameters (the CPU for a
    model without any); ``inputs`` and ``labels`` stay where they are.
    """
    hits = correct_on(model, inputs, labels, batch_size)
    if hits.numel() == 0:
        raise ValueError("accuracy of no inputs is undefined")
    return int(hits.sum()) / hits.numel()


#: The label of pixels a segmentation loss and metric leave out (the boundary label of VOC masks).
IGNORE_INDEX = 255


class PixelAccuracy(Accuracy):
    """:class:`Accuracy` over pixels, leaving out those labelled :data:`IGNORE_INDEX`."""

    name = "pixel_accuracy"

    def update(self, output: torch.Tensor, target: torch.Tensor) -> None:
        accuracy_counts(output, target)  # the shape check
        keep = target != IGNORE_INDEX
        self.correct += int(((output.argmax(1) == target) & keep).sum())
        self.total += int(keep.sum())


class ConfusionMatrix:
    """Pixel confusion counts ``M[true, predicted]`` over batches, and the segmentation metrics of
    FCN (Long, Shelhamer and Darrell 2015, sec 5), which Wu et al. (2022, Table 6) report:

    * pixel accuracy ``sum_i M_ii / sum_ij M_ij``;
    * **mean accuracy** ``(1/K) sum_i M_ii / t_i`` with ``t_i = sum_j M_ij`` (the pixels of class
      ``i``), the per-class recall averaged over classes;
    * **mean IU** ``(1/K) sum_i M_ii / (t_i + sum_j M_ji - M_ii)``, intersection over union per
      class averaged over classes.

    Classes with no pixel in the target and none predicted are left out of the means (their ratio
    is 0/0). Pixels labelled :data:`IGNORE_INDEX` are not counted. ``n_classes``: ``K`` (default:
    the class axis of the first ``output``). As a metric of :func:`fit` and :func:`evaluate` its
    ``value()`` is ``metric`` (``"mean_iu"`` by default); :data:`METRICS` names
    ``"mean_accuracy"`` and ``"mean_iu"``.
    """

    name = "mean_iu"
    KINDS = ("pixel_accuracy", "mean_accuracy", "mean_iu")

    def __init__(self, n_classes: int | None = None, metric: str = "mean_iu"):
        self.n_classes = None if n_classes is None else checks.integer(n_classes, "n_classes", 2)
        self.metric = checks.choice(metric, "metric", self.KINDS)
        self.matrix = (
            None
            if self.n_classes is None
            else torch.zeros(self.n_classes, self.n_classes, dtype=torch.long)
        )

    def update(self, output: torch.Tensor, target: torch.Tensor) -> None:
        accuracy_counts(output, target)  # the shape check
        k = output.shape[1]
        if self.matrix is None:
            self.n_classes, self.matrix = k, torch.zeros(k, k, dtype=torch.long)
        if k != self.n_classes:
            raise ValueError(f"output has {k} classes on axis 1, the matrix {self.n_classes}")
        keep = target != IGNORE_INDEX
        t = target[keep].to(torch.long).cpu()
        if t.numel() and (int(t.min()) < 0 or int(t.max()) >= k):
            raise ValueError(f"target labels must be in [0, {k}) or {IGNORE_INDEX}")
        p = output.argmax(1)[keep].cpu()
        self.matrix += torch.bincount(t * k + p, minlength=k * k).reshape(k, k)

    def _counted(self) -> torch.Tensor:
        if self.matrix is None or not bool(self.matrix.sum() > 0):
            raise ValueError("no pixels counted: the metric is undefined")
        return self.matrix

    def _ratios(self, num: torch.Tensor, den: torch.Tensor) -> float:
        """The mean over the classes present (in the target or the prediction) of num / den."""
        m = self._counted()
        present = (m.sum(1) + m.sum(0)) > 0
        safe = torch.where(den > 0, den, 1).double()
        return float(torch.where(den > 0, num.double() / safe, 0.0)[present].mean())

    def pixel_accuracy(self) -> float:
        m = self._counted()
        return float(m.diag().sum() / m.sum())

    def mean_accuracy(self) -> float:
        m = self.matrix
        return self._ratios(m.diag(), m.sum(1))

    def mean_iu(self) -> float:
        m = self.matrix
        return self._ratios(m.diag(), m.sum(1) + m.sum(0) - m.diag())

    def value(self) -> float:
        return getattr(self, self.metric)()


class MeanAccuracy(ConfusionMatrix):
    """:class:`ConfusionMatrix` whose ``value()`` is the mean (per-class) accuracy."""

    name = "mean_accuracy"

    def __init__(self, n_classes: int | None = None):
        super().__init__(n_classes, "mean_accuracy")


class MeanIU(ConfusionMatrix):
    """:class:`ConfusionMatrix` whose ``value()`` is the mean intersection over union."""

    name = "mean_iu"

    def __init__(self, n_classes: int | None = None):
        super().__init__(n_classes, "mean_iu")


#: Loss names of ``NetConfig.loss``: ``loss(output, target) -> scalar tensor``.
LOSSES: dict[str, Callable] = {
    "cross_entropy": nn.functional.cross_entropy,
    "pixel_cross_entropy": functools.partial(
        nn.functional.cross_entropy, ignore_index=IGNORE_INDEX
    ),
}
#: Metric names of ``NetConfig.metric``: classes with ``update(output, target)`` and ``value()``.
METRICS: dict[str, Callable] = {
    "accuracy": Accuracy,
    "pixel_accuracy": PixelAccuracy,
    "mean_accuracy": MeanAccuracy,
    "mean_iu": MeanIU,
}


def _function(value, name: str, what: str):
    return checks.function(value, name, what, optional=True)


def fit(
    model: nn.Module,
    train_loader,
    epochs: int,
    lr: float,
    device: str | None = None,
    log: Callable | None = print,
    optimizer: str = "adam",
    weight_decay: float = 0.0,
    progress: bool = False,
    test_loader=None,
    schedule: str = "onecycle",
    loss: Callable | None = None,
    metric: Callable | None = None,
    on_epoch: Callable | None = None,
    transform: Callable | None = None,
) -> list[dict]:
    """Train ``model`` for ``epochs`` passes over ``train_loader``: the book's one training loop.

    Args:
        model: a network returning class scores on axis 1 (logits ``(B, n_classes)``, or
            ``(B, n_classes, H, W)`` for segmentation), or whatever ``loss`` and ``metric`` accept.
        train_loader: iterable of ``(inputs, targets)`` batches.
        epochs: number of passes (0 is allowed: nothing is trained; ``on_epoch(0, ...)`` still
            runs).
        lr: learning rate (> 0).
        device: torch device (``None``: ``runtime.resolve_device()``).
        log: called with one line per epoch (``None``: silent).
        optimizer: ``"adam"`` or ``"sgd"`` (momentum 0.9).
        weight_decay: L2 penalty (>= 0).
        progress: show a tqdm progress bar over the batches of each epoch.
        schedule: ``"onecycle"`` (``torch.optim.lr_scheduler.OneCycleLR`` peaking at ``lr``: warm-up
            then cosine decay, which settles a network in a few epochs) or ``"constant"``.
        test_loader: when given, the metric on it is evaluated and logged after each epoch.
        loss: ``loss(output, target) -> scalar tensor``; default cross-entropy (which also takes
            ``(B, C, H, W)`` scores with ``(B, H, W)`` targets).
        metric: a class (or factory) of accumulators with ``update(output, target)`` and
            ``value()``; default :class:`Accuracy`.
        on_epoch: ``on_epoch(epoch, model, row)`` after every epoch, and once as
            ``on_epoch(0, model, None)`` before training (the untrained network): e.g. record the
            spectra of a probe set during training. The model is in eval mode during the call.
        transform: ``transform(model, inputs, targets) -> (inputs, targets)`` applied to every
            training batch before the step (e.g. adversarial examples for adversarial training);
            the model is in training mode, its gradients are cleared after the call.

    Returns:
        history: one dict per epoch ``{epoch, loss, <metric name>, seconds[, test_<metric name>]}``
        (mean training loss, the metric on the training batches, cumulative seconds).
    """
    _check_model(model)
    _check_loader(train_loader, "train_loader")
    epochs = checks.integer(epochs, "epochs", 0)
    lr = checks.positive(lr, "lr")
    optimizer = checks.choice(optimizer, "optimizer", ("adam", "sgd"))
    schedule = checks.choice(schedule, "schedule", ("onecycle", "constant"))
    _function(log, "log", "callable (e.g. print)")
    _function(loss, "loss", "callable: loss(output, target) -> scalar tensor")
    _function(metric, "metric", "callable: a class with update(output, target) and value()")
    _function(on_epoch, "on_epoch", "callable: on_epoch(epoch, model, row)")
    _function(transform, "transform", "callable: transform(model, inputs, targets)")
    device = runtime.resolve_device(device)
    smoke = runtime.smoke_active()
    if smoke and epochs > 0:
        clamped = min(epochs, runtime.SMOKE_EPOCHS)
        runtime.smoke_note(
            f"training clamped to {clamped} of {epochs} epochs, {runtime.SMOKE_BATCHES} batches "
            f"of at most {runtime.SMOKE_ITEMS} items each"
        )
        epochs = clamped
    model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    if optimizer == "adam":
        opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    else:
        opt = torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    sched = None
    if schedule == "onecycle" and epochs > 0:
        try:
            steps = len(train_loader)
            steps = min(steps, runtime.SMOKE_BATCHES) if smoke else steps
        except TypeError:
            raise TypeError(
                "schedule='onecycle' needs a train_loader with a len(); use schedule='constant'"
            ) from None
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=lr, total_steps=max(1, steps * epochs)
        )
    loss_fn = loss or nn.CrossEntropyLoss()
    make_metric = metric or Accuracy
    name = getattr(make_metric, "name", "metric")
    if on_epoch is not None:
        model.eval()
        on_epoch(0, model, None)
    history, t0 = [], time.perf_counter()
    for epoch in range(1, epochs + 1):
        model.train()
        meter, total, loss_sum = make_metric(), 0, 0.0
        batches = runtime.smoke_batches(train_loader)
        if progress:
            from tqdm.auto import tqdm

            batches = tqdm(batches, desc=f"epoch {epoch}/{epochs}", leave=False)
        for x, y in batches:
            x, y = x.to(device), y.to(device)
            if transform is not None:
                x, y = transform(model, x, y)
            opt.zero_grad(set_to_none=True)
            out = model(x)
            value = loss_fn(out, y)
            value.backward()
            opt.step()
            if sched is not None and sched.last_epoch + 1 < sched.total_steps:
                sched.step()
            loss_sum += float(value.detach()) * len(y)
            meter.update(out.detach(), y)
            total += len(y)
        if total == 0:
            raise ValueError("train_loader yielded no samples")
        row = {
            "epoch": epoch,
            "loss": loss_sum / total,
            name: meter.value(),
            "seconds": time.perf_counter() - t0,
        }
        line = (
            f"epoch {epoch:2d}/{epochs}  loss {row['loss']:.3f}  train {name} {row[name]:.3f}  "
            f"{row['seconds']:.0f} s"
        )
        if test_loader is not None:
            row[f"test_{name}"] = evaluate(model, test_loader, device, metric=make_metric)
            line += f"  test {name} {row[f'test_{name}']:.3f}"
        history.append(row)
        model.eval()
        if on_epoch is not None:
            on_epoch(epoch, model, row)
        if log is not None:
            log(line)
    model.eval()
    return history


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loader,
    device: str | None = None,
    metric: Callable | None = None,
    transform: Callable | None = None,
    meter: bool = False,
):
    """``metric`` (default :class:`Accuracy`, a fraction in [0, 1]) of ``model`` in eval mode on
    the ``(inputs, targets)`` batches; the model's mode is restored afterwards. ``transform(model,
    inputs, targets) -> (inputs, targets)`` is applied to each batch first (e.g. an attack; it runs
    with gradients enabled). ``meter=True`` returns the accumulator itself instead of its
    ``value()`` (e.g. a :class:`ConfusionMatrix`, for several metrics of one pass)."""
    _check_model(model)
    _check_loader(loader, "loader")
    _function(metric, "metric", "callable: a class with update(output, target) and value()")
    _function(transform, "transform", "callable: transform(model, inputs, targets)")
    device = runtime.resolve_device(device)
    was_training = model.training
    model.to(device).eval()
    keep = checks.boolean(meter, "meter")
    meter = (metric or Accuracy)()
    for x, y in runtime.smoke_batches(loader):
        x, y = x.to(device), y.to(device)
        if transform is not None:
            with torch.enable_grad():
                x, y = transform(model, x, y)
        meter.update(model(x), y)
    model.train(was_training)
    return meter if keep else meter.value()


def calibrate_bn(
    model: nn.Module, loader, max_batches: int | None = None, device: str | None = None
) -> nn.Module:
    """Re-estimate every batch-norm layer's running mean and variance on ``loader``; the weights
    stay as they are.

    The "BN-calibrated" control of an untrained network: a freshly built network's batch-norm
    layers hold their initial running statistics (mean 0, variance 1), so in eval mode they are the
    identity and do not normalise anything. Here each ``_BatchNorm`` layer is reset and, with
    ``momentum=None`` (a cumulative average over all batches seen), fed the batches of ``loader``
    in training mode without gradients; the running statistics become the data's per-channel mean
    and (unbiased) variance over those batches, as after training, while every learned parameter
    (conv weights, BN's affine ``weight``/``bias``) keeps its value. As in training, a BN layer in
    training mode normalises with its batch's statistics, so the layers after it are calibrated on
    batch-normalised inputs (one pass; the usual "BN recalibration" procedure).

    Returns ``model`` in eval mode (changed in place). A model without batch norm is returned as is.
    """
    _check_model(model)
    _check_loader(loader, "loader")
    if max_batches is not None:
        max_batches = checks.integer(max_batches, "max_batches", 1)
    loader = runtime.smoke_batches(loader)
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return model.eval()
    device = runtime.resolve_device(device)
    model.to(device)
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    try:
        with torch.no_grad():
            for i, (x, _) in enumerate(loader):
                if max_batches is not None and i >= max_batches:
                    break
                model(x.to(device))
    finally:
        for m, momentum in zip(bns, saved):
            m.momentum = momentum
    return model.eval()


# -------------------------------------------------------------------------------- train or load
@dataclasses.dataclass
class TrainRecord:
    """What :func:`train_or_load` reports: the test metric, training time, history, where cached.

    ``accuracy`` is the config's ``metric`` on its test loader (accuracy unless it names another).
    """

    config: NetConfig
    accuracy: float
    seconds: float
    history: list
    path: Path
    loaded: bool

    @property
    def chance(self) -> float | None:
        """Accuracy of guessing: ``1 / n_classes`` (``None`` for a config without classes)."""
        n = self.config.n_outputs
        return None if n is None else 1.0 / n

    def summary(self) -> str:
        how = "loaded from cache" if self.loaded else "trained"
        chance = "" if self.chance is None else f" (chance {self.chance:.0%})"
        what = self.config.metric.replace("_", " ")
        return (
            f"{self.config.short()}: test {what} {self.accuracy:.1%}{chance}, "
            f"{self.config.epochs} epochs, {self.seconds:.0f} s of training ({how})"
        )


def _check_config(config) -> NetConfig:
    return checks.instance(
        config, "config", NetConfig, "a helpers.nets.NetConfig (e.g. nets.network_audio_1_config())"
    )


def checkpoint_path(config: NetConfig, cache=None) -> Path:
    """``<cache>/models/<config.key()>.pt`` (``cache``: a folder; default
    ``runtime.cache_dir()``); in a smoke run ``<cache>/smoke/models/<config.key()>.pt``, so that
    smoke networks (a few batches of training) and real ones never meet."""
    _check_config(config)
    base = runtime.cache_dir(cache)
    folder = (base / "smoke" if runtime.smoke_active() else base) / "models"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{config.key()}.pt"


def _save_atomic(obj: dict, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(obj, fh)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _torch_threads(n: int | None):
    """torch's intra-op threads set to ``n`` in the block (``None``: unchanged), then restored."""
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def train_or_load(
    config: NetConfig,
    build_fn: Callable | None = None,
    make_loaders: Callable | None = None,
    cache=None,
    device: str | None = None,
    log: Callable | None = print,
    retrain: bool = False,
    progress: bool = False,
    root=None,
    mode: str | None = None,
    on_epoch=None,
):
    """Load the network described by ``config`` from the cache, or train it and cache it.

    Args:
        config: a :class:`helpers.nets.NetConfig` of any family; ``config.key()`` names the
            checkpoint; its ``loss`` and ``metric`` are looked up in :data:`LOSSES` /
            :data:`METRICS`, its budget (``epochs``, ``lr``, ``optimizer``, ``weight_decay``,
            ``schedule``) and its ``train_transform()`` (``None`` unless the family trains on
            transformed batches, e.g. adversarial training) go to :func:`fit`.
        build_fn: ``build_fn(config) -> nn.Module`` (default ``config.build()``).
        make_loaders: ``make_loaders(config) -> (train_loader, test_loader)`` (default
            ``config.loaders(root=root, mode=mode)``). Only called when the network is trained.
        cache: cache folder (default ``runtime.cache_dir()``, i.e. ``$CMT_CACHE``); the checkpoint
            is ``<cache>/models/<key>.pt``.
        device: where to train and where the returned model lives (default: CUDA if available).
        log: called with progress lines (``None``: silent).
        retrain: ignore an existing checkpoint (and overwrite it).
        progress: tqdm bars while training.
        root, mode: the data directory and run mode for ``config.loaders``.
        on_epoch: a recorder passed to :func:`fit` (e.g. ``probes.SpectrumTrajectory``): callable
            as ``on_epoch(epoch, model, row)``, with a ``key`` (str) and ``state_dict()`` /
            ``load_state_dict(state)``. Its state is saved in the checkpoint under its key and
            restored on loading; a checkpoint without that key is trained again (the record
            cannot be made without the training; the new checkpoint keeps only the new record).

    Returns:
        ``(model, record)``: the network in eval mode on ``device``, and a :class:`TrainRecord`
        with the test metric, training seconds and history (with the test metric per epoch,
        ``test_<metric>``, when the config's family sets ``track_test``) (those of the original
        training when loaded). The checkpoint holds ``{state_dict, config, accuracy, seconds,
        history}``; an unreadable or mismatching checkpoint is retrained and replaced.
    """
    _check_config(config)
    loss = LOSSES[checks.choice(config.loss, "config.loss", LOSSES)]
    metric = METRICS[checks.choice(config.metric, "config.metric", METRICS)]
    build_fn = _function(build_fn, "build_fn", "callable: build_fn(config) -> nn.Module")
    make_loaders = _function(make_loaders, "make_loaders", "callable: make_loaders(config)")
    build_fn = build_fn or (lambda c: c.build())
    make_loaders = make_loaders or (lambda c: c.loaders(root=root, mode=mode))
    if on_epoch is not None:
        if not callable(on_epoch) or not all(
            hasattr(on_epoch, attr) for attr in ("key", "state_dict", "load_state_dict")
        ):
            raise TypeError(
                "on_epoch must be a recorder: callable on_epoch(epoch, model, row) with key, "
                f"state_dict() and load_state_dict() (e.g. probes.SpectrumTrajectory), got "
                f"{type(on_epoch).__name__}"
            )
    device = runtime.resolve_device(device)
    path = checkpoint_path(config, cache)
    say = log or (lambda *_: None)
    records: dict = {}

    if path.exists() and not retrain:
        try:
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
            if ckpt.get("config") != config.to_dict():
                raise ValueError("checkpoint config differs from the requested one")
            records = dict(ckpt.get("records", {}))
            if on_epoch is not None and on_epoch.key not in records:
                raise LookupError("the checkpoint has no record of this on_epoch recorder")
            model = build_fn(config)
            model.load_state_dict(ckpt["state_dict"])
            model.to(device).eval()
            record = TrainRecord(
                config,
                float(ckpt["accuracy"]),
                float(ckpt["seconds"]),
                list(ckpt["history"]),
                path,
                loaded=True,
            )
            if on_epoch is not None:
                on_epoch.load_state_dict(records[on_epoch.key])
            say(f"loaded {path.name[:12]}... {record.summary()}")
            return model, record
        except Exception as err:  # corrupt or stale file: train again and replace it
            records = {}  # records of the old training do not describe the new one
            say(
                f"cached checkpoint {path} is unusable ({type(err).__name__}: {err}); "
                "training again"
            )

    if on_epoch is not None and hasattr(on_epoch, "reset"):
        on_epoch.reset()
    runtime.seed_everything(config.seed)
    model = build_fn(config)
    if not isinstance(model, nn.Module):
        raise TypeError(f"build_fn must return a torch.nn.Module, got {type(model).__name__}")
    train_loader, test_loader = make_loaders(config)
    transform = _function(
        config.train_transform(), "config.train_transform()", "None or a callable transform"
    )
    say(f"training {config.short()} for {config.epochs} epochs on {device} ...")
    t0 = time.perf_counter()
    with _torch_threads(config.cpu_threads if device == "cpu" else None):
        history = fit(
            model,
            train_loader,
            config.epochs,
            config.lr,
            device,
            log=log,
            optimizer=config.optimizer,
            weight_decay=config.weight_decay,
            progress=progress,
            schedule=config.schedule,
            loss=loss,
            metric=metric,
            on_epoch=on_epoch,
            transform=transform,
            test_loader=test_loader if getattr(config, "track_test", False) else None,
        )
    seconds = time.perf_counter() - t0
    accuracy = evaluate(model, test_loader, device, metric=metric)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    if on_epoch is not None:
        records[on_epoch.key] = on_epoch.state_dict()
    _save_atomic(
        {
            "state_dict": state,
            "config": config.to_dict(),
            "accuracy": accuracy,
            "seconds": seconds,
            "history": history,
            "records": records,
        },
        path,
    )
    model.eval()
    record = TrainRecord(config, accuracy, seconds, history, path, loaded=False)
    say(record.summary())
    return model, record
