"""Training, evaluation and train-or-load checkpoints for the book's networks.

* :func:`audio_loaders` (:func:`fsdd_loaders`) -- FSDD or UrbanSound8K (``helpers.data``) as
  fixed-length crops: random crops for training
  (from a seeded generator), the data layer's centre crop (``data.fix_length``) for testing.
* :func:`fit` / :func:`evaluate` -- the book's one training loop (Adam or SGD; cross-entropy or any
  ``loss``; :class:`Accuracy` or any ``metric``; a per-epoch ``on_epoch`` callback; a per-batch
  ``transform``, e.g. adversarial examples) printing one line per epoch (or a tqdm bar), and the
  metric on a test loader. :func:`accuracy` of one batch is defined here once.
* :func:`train_or_load` -- trains a network described by a ``models.ModelConfig`` once and caches
  ``{state_dict, config, accuracy, seconds, history}`` in ``<cache>/models/<config.key()>.pt``
  (written to a temporary file and renamed), so a later chapter, or a re-run, loads it instead.
  Every chapter still runs on its own from an empty cache: it simply trains.

Determinism: with one seed, on one machine and the CPU, :func:`train_or_load` gives the same weights
and the same accuracy (torch's global generator is seeded before the network is built, the training
crops and shuffling come from their own seeded generators, ``num_workers=0``).
"""
from __future__ import annotations

import dataclasses
import math
import numbers
import os
import tempfile
import time
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from . import runtime
from .models import KeyedConfig, ModelConfig

__all__ = ["CropDataset", "AUDIO_DATASETS", "audio_loaders", "fsdd_loaders", "audio_eval_loader",
           "fsdd_eval_loader", "calibrate_bn", "fit", "evaluate", "Accuracy", "accuracy",
           "accuracy_counts", "TrainRecord", "train_or_load", "checkpoint_path", "flowers_tensors",
           "AugmentedImages", "flowers_loaders"]


# ------------------------------------------------------------------------------------- data
INPUT_NORMS = ("peak", "rms", None)


class CropDataset(torch.utils.data.Dataset):
    """Fixed-length crops of a waveform dataset: item ``(float32 (1, crop), label)``.

    ``random=False``: the data layer's rule :func:`helpers.data.fix_length` (centre crop of longer
    clips, symmetric zero padding of shorter ones). ``random=True``: a clip longer than ``crop``
    is cut at a uniformly random start; a shorter one is placed at a uniformly random offset in a
    zero frame of ``crop`` samples (a random time shift). The randomness comes from ``generator``,
    so a seeded generator and a fixed order give the same crops.

    ``input_norm="peak"`` first scales each whole clip to peak amplitude 1 (``x / max |x|``), ``"rms"``
    to unit RMS, ``None`` keeps the data layer's ``int16 / 32768`` values. The scale comes from the
    whole clip, not the crop. Why: FSDD's loudness varies ~50x (training-clip peaks 0.016 to 0.86,
    1st-99th percentile; speaker medians 0.03 for theo to 0.47 for lucas), and without it the
    quarter-width network's eval-mode accuracy lagged its training accuracy badly (measured: 57 %
    test after 5 epochs against 91 % training accuracy, constant lr 1e-3).
    """

    def __init__(self, base, crop: int, random: bool = False, generator: torch.Generator | None = None,
                 input_norm: str | None = "peak"):
        if isinstance(crop, bool) or not isinstance(crop, numbers.Integral) or crop < 1:
            raise ValueError(f"crop must be a positive int (samples), got {crop!r}")
        if input_norm not in INPUT_NORMS:
            raise ValueError(f"input_norm must be one of {INPUT_NORMS}, got {input_norm!r}")
        self.input_norm = input_norm
        self.base, self.crop, self.random = base, int(crop), bool(random)
        self.generator = generator if generator is not None else torch.Generator().manual_seed(0)

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, i: int):
        from .data import fix_length

        x, y = self.base[i]
        x = torch.as_tensor(x, dtype=torch.float32).reshape(-1)
        if self.input_norm is not None and x.numel():
            scale = x.abs().max() if self.input_norm == "peak" else x.square().mean().sqrt()
            if scale > 0:
                x = x / scale
        n = x.shape[-1]
        if not self.random:
            x = fix_length(x, self.crop)
        elif n >= self.crop:
            start = int(torch.randint(0, n - self.crop + 1, (1,), generator=self.generator))
            x = x[start:start + self.crop]
        else:
            left = int(torch.randint(0, self.crop - n + 1, (1,), generator=self.generator))
            x = torch.nn.functional.pad(x, (left, self.crop - n - left))
        return x[None, :], int(y)


#: The audio datasets Network-audio-1 trains on: name -> (its splits, whether ``fold`` applies).
AUDIO_DATASETS = {"fsdd": ("train", "test"), "urbansound8k": ("train", "test")}


def _check_audio(dataset, fold):
    if dataset not in AUDIO_DATASETS:
        raise ValueError(f"dataset must be one of {sorted(AUDIO_DATASETS)}, got {dataset!r}")
    if dataset == "fsdd":
        if fold is not None:
            raise ValueError(f"fold applies to urbansound8k only (FSDD's split is takes 0-4), got fold={fold!r}")
        return {}
    fold = 10 if fold is None else fold
    if isinstance(fold, bool) or not isinstance(fold, numbers.Integral) or not 1 <= fold <= 10:
        raise ValueError(f"fold must be an UrbanSound8K fold 1-10 (the held-out test fold), got {fold!r}")
    return {"fold": int(fold)}


def audio_loaders(dataset: str = "fsdd", crop: int = 4096, batch_size: int = 32, seed: int = 0,
                  subset: int | None = None, test_subset: int | None = None, input_norm: str | None = "peak",
                  root=None, mode: str | None = "full", fold: int | None = None):
    """Train and test ``DataLoader`` s of fixed-length crops ``(B, 1, crop)`` of an audio dataset.

    ``dataset="fsdd"`` (default): takes 0-4 of every speaker and digit are the test set (300 clips),
    takes 5-49 the training set (2,700 clips). ``dataset="urbansound8k"``: the OFFICIAL folds only,
    ``fold`` (default 10) is the test set and the other nine folds train (clips resampled to 8 kHz
    by the data layer; never reshuffled across folds, see :class:`helpers.data.UrbanSound8K`).
    ``subset`` / ``test_subset`` take the data layer's fixed, seeded, class-stratified subsets
    (``None``: all clips; ``mode`` only matters for datasets with a quick-mode default). Training
    batches are shuffled and randomly cropped with generators seeded from ``seed``; test batches
    (``max(batch_size, 64)`` clips, no gradients) are centre crops in dataset order.
    ``input_norm``: per-clip amplitude normalisation (:class:`CropDataset`).

    Returns:
        ``(train_loader, test_loader)``.
    """
    from . import data

    options = _check_audio(dataset, fold)
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")
    train = data.load(dataset, split="train", mode=mode, subset=subset, root=root, seed=int(seed), **options)
    test = data.load(dataset, split="test", mode=mode, subset=test_subset, root=root, seed=int(seed), **options)
    crop_gen = torch.Generator().manual_seed(int(seed) * 2 + 1)
    shuffle_gen = torch.Generator().manual_seed(int(seed) * 2)
    train_loader = torch.utils.data.DataLoader(CropDataset(train, crop, random=True, generator=crop_gen,
                                                           input_norm=input_norm),
                                               batch_size=int(batch_size), shuffle=True,
                                               generator=shuffle_gen, num_workers=0)
    test_loader = torch.utils.data.DataLoader(CropDataset(test, crop, random=False, input_norm=input_norm),
                                              batch_size=max(int(batch_size), 64), shuffle=False, num_workers=0)
    return train_loader, test_loader


def fsdd_loaders(crop: int = 4096, batch_size: int = 32, seed: int = 0, subset: int | None = None,
                 test_subset: int | None = None, input_norm: str | None = "peak", root=None,
                 mode: str | None = "full"):
    """FSDD train and test loaders: :func:`audio_loaders` with ``dataset="fsdd"`` (same arguments)."""
    return audio_loaders("fsdd", crop=crop, batch_size=batch_size, seed=seed, subset=subset,
                         test_subset=test_subset, input_norm=input_norm, root=root, mode=mode)


def audio_eval_loader(dataset: str = "fsdd", splits=("test",), crop: int = 4096, batch_size: int = 64,
                      input_norm: str | None = "peak", root=None, fold: int | None = None):
    """Clips of one or more splits as centre crops ``(B, 1, crop)``, in a fixed order, for probing.

    What the spectra of paper 001 (eqs 17-20) average over: every clip of ``splits`` (FSDD
    ``"test"``: takes 0-4, 300 clips; ``("train", "test")``: all 3,000; UrbanSound8K: the test fold
    ``fold`` and/or the nine others), each cut or padded to ``crop`` samples by the data layer's
    :func:`helpers.data.fix_length` and normalised as in training (:class:`CropDataset`,
    ``random=False``). No subsets and no shuffling, so every run averages over the same clips in
    the same order.
    """
    from . import data

    options = _check_audio(dataset, fold)
    if isinstance(splits, str):
        splits = (splits,)
    splits = tuple(splits)
    if not splits or any(s not in AUDIO_DATASETS[dataset] for s in splits):
        raise ValueError(f"splits must name {dataset} splits 'train' and/or 'test', got {splits!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    parts = [CropDataset(data.load(dataset, split=s, mode="full", root=root, **options), crop, random=False,
                         input_norm=input_norm) for s in splits]
    clips = parts[0] if len(parts) == 1 else torch.utils.data.ConcatDataset(parts)
    return torch.utils.data.DataLoader(clips, batch_size=int(batch_size), shuffle=False, num_workers=0)


def fsdd_eval_loader(splits=("test",), crop: int = 4096, batch_size: int = 64, input_norm: str | None = "peak",
                     root=None):
    """FSDD clips for probing: :func:`audio_eval_loader` with ``dataset="fsdd"`` (same arguments)."""
    return audio_eval_loader("fsdd", splits=splits, crop=crop, batch_size=batch_size, input_norm=input_norm,
                             root=root)


# --------------------------------------------------------------------------------- fit/evaluate
def _check_loader(loader, name: str):
    if isinstance(loader, (str, bytes, torch.Tensor)) or not hasattr(loader, "__iter__"):
        raise TypeError(f"{name} must be an iterable of (inputs, labels) batches such as a DataLoader, "
                        f"got {type(loader).__name__}")


def _check_model(model):
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")


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
    if output.ndim < 2 or output.shape[0] != target.shape[0] or \
            output.shape[2:] != target.shape[1:]:
        raise ValueError(f"output must be (B, C, ...) with target (B, ...) of the same B and trailing "
                         f"shape, got {tuple(output.shape)} and {tuple(target.shape)}")
    return int((output.argmax(1) == target).sum()), int(target.numel())


def accuracy(output: torch.Tensor, target: torch.Tensor) -> float:
    """Fraction of correct arg-max predictions of one batch (class scores on axis 1)."""
    correct, total = accuracy_counts(output, target)
    if total == 0:
        raise ValueError("accuracy of an empty batch is undefined")
    return correct / total


def _check_callable(value, name: str, what: str) -> None:
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be callable ({what}) or None, got {type(value).__name__}")


def fit(model: nn.Module, train_loader, epochs: int, lr: float, device: str | None = None,
        log: Callable | None = print, optimizer: str = "adam", weight_decay: float = 0.0,
        progress: bool = False, test_loader=None, schedule: str = "onecycle",
        loss: Callable | None = None, metric: Callable | None = None,
        on_epoch: Callable | None = None, transform: Callable | None = None) -> list[dict]:
    """Train ``model`` for ``epochs`` passes over ``train_loader``: the book's one training loop.

    Args:
        model: a network returning class scores on axis 1 (logits ``(B, n_classes)``, or
            ``(B, n_classes, H, W)`` for segmentation), or whatever ``loss`` and ``metric`` accept.
        train_loader: iterable of ``(inputs, targets)`` batches.
        epochs: number of passes (0 is allowed: nothing is trained; ``on_epoch(0, ...)`` still runs).
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
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 0:
        raise ValueError(f"epochs must be an int >= 0, got {epochs!r}")
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not (lr > 0 and math.isfinite(lr)):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    if schedule not in ("onecycle", "constant"):
        raise ValueError(f"schedule must be 'onecycle' or 'constant', got {schedule!r}")
    _check_callable(log, "log", "e.g. print")
    _check_callable(loss, "loss", "loss(output, target) -> scalar tensor")
    _check_callable(metric, "metric", "a class with update(output, target) and value()")
    _check_callable(on_epoch, "on_epoch", "on_epoch(epoch, model, row)")
    _check_callable(transform, "transform", "transform(model, inputs, targets) -> (inputs, targets)")
    device = runtime.resolve_device(device)
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
        except TypeError:
            raise TypeError("schedule='onecycle' needs a train_loader with a len(); "
                            "use schedule='constant'") from None
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr,
                                                    total_steps=max(1, steps * int(epochs)))
    loss_fn = loss or nn.CrossEntropyLoss()
    make_metric = metric or Accuracy
    name = getattr(make_metric, "name", "metric")
    if on_epoch is not None:
        model.eval()
        on_epoch(0, model, None)
    history, t0 = [], time.perf_counter()
    for epoch in range(1, int(epochs) + 1):
        model.train()
        meter, total, loss_sum = make_metric(), 0, 0.0
        batches = train_loader
        if progress:
            from tqdm.auto import tqdm

            batches = tqdm(train_loader, desc=f"epoch {epoch}/{epochs}", leave=False)
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
        row = {"epoch": epoch, "loss": loss_sum / total, name: meter.value(),
               "seconds": time.perf_counter() - t0}
        line = (f"epoch {epoch:2d}/{epochs}  loss {row['loss']:.3f}  train {name} {row[name]:.3f}  "
                f"{row['seconds']:.0f} s")
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
def evaluate(model: nn.Module, loader, device: str | None = None, metric: Callable | None = None,
             transform: Callable | None = None) -> float:
    """``metric`` (default :class:`Accuracy`, a fraction in [0, 1]) of ``model`` in eval mode on
    the ``(inputs, targets)`` batches; the model's mode is restored afterwards. ``transform(model,
    inputs, targets) -> (inputs, targets)`` is applied to each batch first (e.g. an attack; it runs
    with gradients enabled)."""
    _check_model(model)
    _check_loader(loader, "loader")
    _check_callable(metric, "metric", "a class with update(output, target) and value()")
    _check_callable(transform, "transform", "transform(model, inputs, targets) -> (inputs, targets)")
    device = runtime.resolve_device(device)
    was_training = model.training
    model.to(device).eval()
    meter = (metric or Accuracy)()
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        if transform is not None:
            with torch.enable_grad():
                x, y = transform(model, x, y)
        meter.update(model(x), y)
    model.train(was_training)
    return meter.value()


def calibrate_bn(model: nn.Module, loader, max_batches: int | None = None, device: str | None = None) -> nn.Module:
    """Re-estimate every batch-norm layer's running mean and variance on ``loader``; weights untouched.

    The "BN-calibrated" control of an untrained network: a freshly built network's batch-norm layers
    hold their initial running statistics (mean 0, variance 1), so in eval mode they are the identity
    and do not normalise anything. Here each ``_BatchNorm`` layer is reset and, with
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
    if max_batches is not None and (isinstance(max_batches, bool) or not isinstance(max_batches, numbers.Integral)
                                    or max_batches < 1):
        raise ValueError(f"max_batches must be a positive int or None, got {max_batches!r}")
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
    """What :func:`train_or_load` reports: test accuracy, training time, history, where it is cached."""

    config: ModelConfig
    accuracy: float
    seconds: float
    history: list
    path: Path
    loaded: bool

    @property
    def chance(self) -> float:
        """Accuracy of guessing: ``1 / n_classes`` (FSDD's test set is balanced)."""
        return 1.0 / self.config.n_classes

    def summary(self) -> str:
        how = "loaded from cache" if self.loaded else "trained"
        return (f"{self.config.short()}: test accuracy {self.accuracy:.1%} (chance {self.chance:.0%}), "
                f"{self.config.epochs} epochs, {self.seconds:.0f} s of training ({how})")


def checkpoint_path(config: ModelConfig, cache=None) -> Path:
    """``<cache>/models/<config.key()>.pt`` (``cache``: a folder, default ``runtime.cache_dir()``)."""
    if not isinstance(config, KeyedConfig):
        raise TypeError(f"config must be a models.ModelConfig or models.ImageModelConfig, got {type(config).__name__}")
    base = runtime.cache_dir(cache)
    folder = base / "models"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{config.key()}.pt"


def _default_loaders(config: ModelConfig):
    if config.dataset not in AUDIO_DATASETS:
        raise ValueError(f"make_loaders must be given for dataset {config.dataset!r} "
                         f"(the default loaders are those of {sorted(AUDIO_DATASETS)})")
    return audio_loaders(config.dataset, crop=config.crop, batch_size=config.batch_size, seed=config.seed,
                         subset=config.subset, input_norm=config.input_norm, fold=config.fold)


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


def train_or_load(config: ModelConfig, build_fn: Callable | None = None, make_loaders: Callable | None = None,
                  cache=None, device: str | None = None, log: Callable | None = print,
                  retrain: bool = False, progress: bool = False):
    """Load the network described by ``config`` from the cache, or train it and cache it.

    Args:
        config: a :class:`helpers.models.ModelConfig`; ``config.key()`` names the checkpoint.
        build_fn: ``build_fn(config) -> nn.Module`` (default ``config.build()``, Network-audio-1).
        make_loaders: ``make_loaders(config) -> (train_loader, test_loader)`` (default
            :func:`audio_loaders` with the config's dataset, fold, crop, batch size, seed and subset). Only called
            when the network has to be trained.
        cache: cache folder (default ``runtime.cache_dir()``, i.e. ``$CMT_CACHE``); the checkpoint
            is ``<cache>/models/<key>.pt``.
        device: where to train and where the returned model lives (default: CUDA if available).
        log: called with progress lines (``None``: silent).
        retrain: ignore an existing checkpoint (and overwrite it).
        progress: tqdm bars while training.

    Returns:
        ``(model, record)``: the network in eval mode on ``device``, and a :class:`TrainRecord`
        with the test accuracy, training seconds and history (those of the original training when
        loaded). The checkpoint holds ``{state_dict, config, accuracy, seconds, history}``; an
        unreadable or mismatching checkpoint is retrained and replaced.
    """
    if not isinstance(config, KeyedConfig):
        raise TypeError(f"config must be a models.ModelConfig or models.ImageModelConfig, got {type(config).__name__}")
    for fn, name in ((build_fn, "build_fn"), (make_loaders, "make_loaders")):
        if fn is not None and not callable(fn):
            raise TypeError(f"{name} must be callable or None, got {type(fn).__name__}")
    build_fn = build_fn or (lambda c: c.build())
    make_loaders = make_loaders or _default_loaders
    device = runtime.resolve_device(device)
    path = checkpoint_path(config, cache)
    say = log or (lambda *_: None)

    if path.exists() and not retrain:
        try:
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
            if ckpt.get("config") != config.to_dict():
                raise ValueError("checkpoint config differs from the requested one")
            model = build_fn(config)
            model.load_state_dict(ckpt["state_dict"])
            model.to(device).eval()
            record = TrainRecord(config, float(ckpt["accuracy"]), float(ckpt["seconds"]), list(ckpt["history"]),
                                 path, loaded=True)
            say(f"loaded {path.name[:12]}... {record.summary()}")
            return model, record
        except Exception as err:  # corrupt or stale file: train again and replace it
            say(f"cached checkpoint {path} is unusable ({type(err).__name__}: {err}); training again")

    runtime.seed_everything(config.seed)
    model = build_fn(config)
    if not isinstance(model, nn.Module):
        raise TypeError(f"build_fn must return a torch.nn.Module, got {type(model).__name__}")
    train_loader, test_loader = make_loaders(config)
    say(f"training {config.short()} for {config.epochs} epochs on {device} ...")
    t0 = time.perf_counter()
    history = fit(model, train_loader, config.epochs, config.lr, device, log=log, optimizer=config.optimizer,
                  weight_decay=config.weight_decay, progress=progress, schedule=config.schedule)
    seconds = time.perf_counter() - t0
    accuracy = evaluate(model, test_loader, device)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    _save_atomic({"state_dict": state, "config": config.to_dict(), "accuracy": accuracy, "seconds": seconds,
                  "history": history}, path)
    model.eval()
    record = TrainRecord(config, accuracy, seconds, history, path, loaded=False)
    say(record.summary())
    return model, record


# ------------------------------------------------------------------ chapter 8: tf_flowers image classifiers
_IMAGE_CACHE: dict = {}


def flowers_tensors(split: str = "val", image_size: int = 64, mode: str | None = None, subset: int | None = None,
                    root=None, seed: int = 0):
    """tf_flowers as tensors: ``(images float32 (N, 3, S, S) in [0, 1] on the 8-bit grid, labels int64 (N,))``.

    Each photo (``helpers.data.load("flowers", split, mode, subset, root)``: the data directory's
    100 + 25 photos per class, or the canonical 3,670 with the book's fixed 80/20 split) is resized
    so that its shorter side is ``image_size`` (bilinear, antialiased), centre-cropped to a square
    and rounded to 8 bits (``k / 255``), which is what a network sees of an 8-bit image. Decoded
    once per process and kept in memory.
    """
    from . import data

    if isinstance(image_size, bool) or not isinstance(image_size, numbers.Integral) or image_size < 8:
        raise ValueError(f"image_size must be an int >= 8 (pixels), got {image_size!r}")
    from torchvision import transforms

    ds = data.load("flowers", split=split, mode=mode, subset=subset, root=root, seed=seed)
    key = (ds.source, split, tuple(p for p, _ in ds.samples), int(image_size))
    if key not in _IMAGE_CACHE:
        tf = transforms.Compose([transforms.Resize(int(image_size), antialias=True),
                                 transforms.CenterCrop(int(image_size)), transforms.PILToTensor()])
        ds.transform = tf
        images = torch.stack([ds[i][0] for i in range(len(ds))]).float().div_(255.0)
        _IMAGE_CACHE[key] = (images, ds.targets.clone(), data.describe(ds))
    images, labels, desc = _IMAGE_CACHE[key]
    return images.clone(), labels.clone()


class AugmentedImages(torch.utils.data.Dataset):
    """Tensor images with seeded augmentation: random horizontal flip and a random shift of up to
    ``shift`` pixels (reflection padding, then a crop back to size). ``augment=False``: as stored."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, augment: bool = True, shift: int = 4,
                 generator: torch.Generator | None = None):
        self.images, self.labels, self.augment, self.shift = images, labels, bool(augment), int(shift)
        self.generator = generator if generator is not None else torch.Generator().manual_seed(0)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        x = self.images[i]
        if self.augment:
            if bool(torch.rand((), generator=self.generator) < 0.5):
                x = x.flip(-1)
            s = self.shift
            if s > 0:
                dy, dx = (int(v) for v in torch.randint(0, 2 * s + 1, (2,), generator=self.generator))
                h, w = x.shape[-2:]
                x = torch.nn.functional.pad(x[None], (s, s, s, s), mode="reflect")[0, :, dy:dy + h, dx:dx + w]
        return x, int(self.labels[i])


def flowers_loaders(config, root=None, mode: str | None = None):
    """``make_loaders`` for :func:`train_or_load` with a ``models.ImageModelConfig`` on tf_flowers.

    Train: :func:`flowers_tensors` of the ``train`` split (``config.subset`` or the mode's default),
    augmented (:class:`AugmentedImages`, shift ``image_size // 16``) and shuffled with generators
    seeded from ``config.seed``; test: the ``val`` split as stored, in order.
    """
    from .models import ImageModelConfig

    if not isinstance(config, ImageModelConfig):
        raise TypeError(f"config must be a models.ImageModelConfig, got {type(config).__name__}")
    if config.dataset != "flowers":
        raise ValueError(f"config.dataset must be 'flowers' for flowers_loaders, got {config.dataset!r}")
    xtr, ytr = flowers_tensors("train", config.image_size, mode=mode, subset=config.subset, root=root)
    xte, yte = flowers_tensors("val", config.image_size, mode=mode, root=root)
    aug_gen = torch.Generator().manual_seed(config.seed * 2 + 1)
    shuffle_gen = torch.Generator().manual_seed(config.seed * 2)
    train_loader = torch.utils.data.DataLoader(
        AugmentedImages(xtr, ytr, config.augment, max(1, config.image_size // 16), aug_gen),
        batch_size=config.batch_size, shuffle=True, generator=shuffle_gen, num_workers=0)
    test_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xte, yte), batch_size=128,
                                              shuffle=False, num_workers=0)
    return train_loader, test_loader


__all__ += ["flowers_tensors", "AugmentedImages", "flowers_loaders"]
