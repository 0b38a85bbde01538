"""The papers' networks: Network-audio-1, a VGG-11 for 1-D audio (paper 001, Fig. A1).

Wu et al. 2022 (paper 001) read every Conv / activation / pooling layer of "Network-audio-1" as a
modulator (sections 3.1-3.3) and measure the layers' energy-spectrum differences (eqs 31-36) on it.
Fig. A1 says only that the network is "modified appropriately from VGG-11 to process 1-D audio
data"; the figure itself (kernel sizes, strides, head) is not in the text we have. Our choices, stated
once here and in the chapters:

* VGG-11 configuration ``[64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M]`` (Simonyan &
  Zisserman's "A"), channel counts multiplied by ``width`` (rounded, at least 1);
* 1-D convolutions with kernel size 3, stride 1, padding 1 (VGG's 3x3 made 1-D), so every conv and
  activation keeps the signal length and its input and output spectra share a frequency grid;
* pooling of size 2, stride 2 after each block (``pool="max"`` as in VGG, or ``"avg"``; chapter 4 adds
  ``"strided"``, ``"spectral"`` and ``"blur"``, see :data:`POOLS`);
* optional batch normalisation after each convolution (``convolution_bn`` of paper 001, Fig. 18a);
* a global average pool over time and one linear layer as the head (instead of VGG's three fully
  connected layers), so any clip length works and the head stays small.

Every layer has a name a probe can address: ``features.conv1``, ``features.bn1``, ``features.act1``,
``features.pool1``, ``features.conv2``, ... (``convN``/``bnN``/``actN`` count convolutions 1-8,
``poolN`` counts pooling layers 1-5), then ``gap`` and ``classifier``.

:class:`ModelConfig` holds everything that determines a trained network (architecture, seed, data and
training parameters); its :meth:`ModelConfig.key` names the cache file of ``helpers.train.train_or_load``.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import numbers
from collections import OrderedDict

import torch
from torch import nn

from .pooling import MaxBlurPool1d, SpectralPool1d, StridedConvPool1d
from . import checks

__all__ = ["Sine", "ACTIVATIONS", "POOLS", "KeyedConfig", "pool_layer", "VGG11_CFG", "VGG1d", "vgg11_1d", "ModelConfig",
           "network_audio_1_config", "QUICK", "FULL", "SMALL_CNN_2D_CFG", "SmallCNN2d", "small_cnn_2d"]

VGG11_CFG = (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M")


class Sine(nn.Module):
    """``sin(y)`` as an activation layer (paper 001, section 3.2 and Fig. 13c; Sitzmann et al.'s sine).

    ``w0`` scales the argument, ``sin(w0 * y)``; the paper's activation is ``w0 = 1``.
    """

    def __init__(self, w0: float = 1.0):
        super().__init__()
        self.w0 = float(w0)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        return torch.sin(self.w0 * y)

    def extra_repr(self) -> str:
        return f"w0={self.w0}"


#: The activations paper 001 compares (sections 3.2 and 4, Figs 13 and 18): name -> module class.
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "sine": Sine,
    "elu": nn.ELU,
}

#: Pooling (paper 001, section 3.3; chapter 4): name -> module class. Each halves the length:
#: ``max``/``avg`` kernel 2, stride 2; ``strided`` a learned C -> C conv, kernel 3, stride 2, padding 1
#: (Springenberg et al. 2015); ``spectral`` keeps the lower half of the DFT (Rippel et al. 2015);
#: ``blur`` anti-aliased max pooling, max(2, stride 1) then a [1, 2, 1]/4 blur with stride 2 (Zhang 2019).
POOLS: dict[str, type[nn.Module]] = {"max": nn.MaxPool1d, "avg": nn.AvgPool1d, "strided": StridedConvPool1d,
                                     "spectral": SpectralPool1d, "blur": MaxBlurPool1d}


def pool_layer(pool: str, channels: int) -> nn.Module:
    """The pooling layer ``pool`` (a key of :data:`POOLS`) for ``channels`` channels; halves the length."""
    pool = checks.choice(pool, "pool", POOLS)
    if pool in ("max", "avg"):
        return POOLS[pool](kernel_size=2, stride=2)
    if pool == "strided":
        return StridedConvPool1d(channels)
    if pool == "spectral":
        return SpectralPool1d(factor=2)
    return MaxBlurPool1d(filt_size=3, stride=2)


def _check_width(width) -> float:
    if isinstance(width, bool) or not isinstance(width, numbers.Real):
        raise TypeError(f"width must be a positive number (channel multiplier), got {type(width).__name__}")
    width = float(width)
    if not math.isfinite(width) or width <= 0:
        raise ValueError(f"width must be a positive number (channel multiplier, e.g. 0.25), got {width}")
    return width


def scaled_channels(width: float, cfg=VGG11_CFG) -> list:
    """The VGG configuration with every channel count multiplied by ``width`` (rounded, >= 1)."""
    width = _check_width(width)
    return [c if c == "M" else max(1, int(round(c * width))) for c in cfg]


class VGG1d(nn.Module):
    """A VGG network for signals ``(B, in_channels, N)``: named ``features``, ``gap``, ``classifier``.

    Build it with :func:`vgg11_1d`. ``forward`` returns logits ``(B, n_classes)``;
    :meth:`features_of` returns the last feature map ``(B, C, N / 32)`` before global pooling.
    """

    def __init__(self, cfg, activation: str, batch_norm: bool, n_classes: int, in_channels: int,
                 pool: str, kernel_size: int = 3):
        super().__init__()
        layers: "OrderedDict[str, nn.Module]" = OrderedDict()
        c_in, i_conv, i_pool = in_channels, 0, 0
        for v in cfg:
            if v == "M":
                i_pool += 1
                layers[f"pool{i_pool}"] = pool_layer(pool, c_in)
                continue
            i_conv += 1
            layers[f"conv{i_conv}"] = nn.Conv1d(c_in, v, kernel_size=kernel_size, padding=kernel_size // 2)
            if batch_norm:
                layers[f"bn{i_conv}"] = nn.BatchNorm1d(v)
            # never in-place: a probe must see the activation's input and output as distinct tensors
            layers[f"act{i_conv}"] = ACTIVATIONS[activation]()
            c_in = v
        self.features = nn.Sequential(layers)
        self.gap = nn.AdaptiveAvgPool1d(1)
        self.classifier = nn.Linear(c_in, n_classes)
        self.activation, self.batch_norm, self.pool = activation, batch_norm, pool

    def features_of(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim == 2:  # (B, N) waveforms: add the channel axis
            x = x[:, None, :]
        return self.classifier(self.gap(self.features(x)).flatten(1))


def vgg11_1d(width: float = 1.0, activation: str = "relu", batch_norm: bool = True, n_classes: int = 10,
             in_channels: int = 1, pool: str = "max") -> VGG1d:
    """Network-audio-1 of paper 001 (Fig. A1): VGG-11 for 1-D audio, see the module docstring.

    Args:
        width: channel multiplier (``0.25`` = quarter width: 16, 32, 64, 64, 128, 128, 128, 128).
        activation: one of :data:`ACTIVATIONS` (``relu``, ``sigmoid``, ``tanh``, ``sine``, ``elu``).
        batch_norm: ``True`` for conv + batch-norm (paper 001, Fig. 18a), ``False`` for plain conv.
        n_classes: size of the output (10 digits for FSDD).
        in_channels: channels of the input signal (1 for mono audio).
        pool: a key of :data:`POOLS`: ``"max"`` (VGG), ``"strided"``, ``"spectral"``, ``"blur"``
            (chapter 4) or ``"avg"`` (the average pooling that paper 001, eq 27, reads as a
            convolution with ``1_K / K``).

    Returns:
        A :class:`VGG1d` in training mode, initialised from torch's global generator (seed it first,
        e.g. ``runtime.seed_everything(seed)``, for a reproducible network).
    """
    cfg = scaled_channels(width)
    activation = checks.choice(activation, "activation", ACTIVATIONS)
    pool = checks.choice(pool, "pool", POOLS)
    batch_norm = checks.boolean(batch_norm, "batch_norm")
    n_classes = checks.integer(n_classes, "n_classes", 2)
    in_channels = checks.integer(in_channels, "in_channels", 1)
    return VGG1d(cfg, activation, batch_norm, n_classes, in_channels, pool)


#: The small image CNN of chapter 2: two 3x3 convolutions at full resolution, a pool, one more, a pool.
SMALL_CNN_2D_CFG = (8, 16, "M", 32, "M")


class SmallCNN2d(nn.Module):
    """A small VGG-style CNN for images ``(B, C, H, W)``: named ``features`` and ``classifier``.

    Build it with :func:`small_cnn_2d`. Layers are named like :class:`VGG1d`'s (``features.conv1``,
    ``features.bn1``, ``features.act1``, ``features.conv2``, ..., ``features.pool1``, ...), so the
    probes address them the same way; the head flattens the last feature map into one linear layer.
    """

    def __init__(self, cfg, image_size: int, activation: str, batch_norm: bool, n_classes: int,
                 in_channels: int):
        super().__init__()
        layers: "OrderedDict[str, nn.Module]" = OrderedDict()
        c_in, i_conv, i_pool, size = in_channels, 0, 0, image_size
        for v in cfg:
            if v == "M":
                i_pool += 1
                layers[f"pool{i_pool}"] = nn.MaxPool2d(kernel_size=2, stride=2)
                size //= 2
                continue
            i_conv += 1
            layers[f"conv{i_conv}"] = nn.Conv2d(c_in, v, kernel_size=3, padding=1)
            if batch_norm:
                layers[f"bn{i_conv}"] = nn.BatchNorm2d(v)
            layers[f"act{i_conv}"] = ACTIVATIONS[activation]()  # never in-place (see VGG1d)
            c_in = v
        if size < 1:
            raise ValueError(f"image_size={image_size} is too small for {i_pool} pooling layers")
        self.features = nn.Sequential(layers)
        self.classifier = nn.Linear(c_in * size * size, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).flatten(1))


def small_cnn_2d(channels=SMALL_CNN_2D_CFG, image_size: int = 28, activation: str = "relu",
                 batch_norm: bool = True, n_classes: int = 10, in_channels: int = 1) -> SmallCNN2d:
    """A small image CNN whose 2-D conv layers chapter 2 reads as 2-D multi-carrier MIMO modulators.

    Paper 001 (section 3.1.3) leaves its 2-D example to a supplement we do not have; this network is
    our stand-in, small enough to train on MNIST in one CPU epoch. 3x3 convolutions with padding 1
    (size-preserving, so a conv's input and output spectra share one frequency grid), optional
    batch norm, the activation, 2x2 max pooling at each ``"M"``, then flatten + one linear layer.

    Args:
        channels: VGG-style configuration, ints (conv output channels) and ``"M"`` (pool);
            default :data:`SMALL_CNN_2D_CFG` = ``(8, 16, "M", 32, "M")``.
        image_size: side of the square input (28 for MNIST), for the size of the linear head.
        activation: one of :data:`ACTIVATIONS`.
        batch_norm: batch norm after each convolution.
        n_classes, in_channels: output size and input channels (1 for grey images).

    Returns:
        A :class:`SmallCNN2d` initialised from torch's global generator (seed it first).
    """
    if isinstance(channels, (str, bytes)) or not isinstance(channels, (tuple, list)) or not channels:
        raise TypeError(f"channels must be a tuple of ints and 'M', got {channels!r}")
    if not any(v != "M" for v in channels):
        raise ValueError(f"channels must contain at least one convolution (an int), got {channels!r}")
    for v in channels:
        if v != "M":
            checks.integer(v, "channels entries", 1)
    image_size = checks.integer(image_size, "image_size", 1)
    activation = checks.choice(activation, "activation", ACTIVATIONS)
    batch_norm = checks.boolean(batch_norm, "batch_norm")
    n_classes = checks.integer(n_classes, "n_classes", 2)
    in_channels = checks.integer(in_channels, "in_channels", 1)
    return SmallCNN2d(tuple(channels), image_size, activation, batch_norm, n_classes, in_channels)


class KeyedConfig:
    """What the book's frozen training configs share: training-field checks, canonical JSON, cache key.

    Subclasses are frozen dataclasses with the fields ``seed``, ``subset``, ``epochs``, ``batch_size``,
    ``lr``, ``optimizer``, ``weight_decay``, ``schedule``, ``dataset`` and ``version``.
    ``key()`` is the sha256 (hex) of the canonical JSON of :meth:`to_dict` (sorted keys), so it is
    stable across processes, machines and Python versions; ``helpers.train.train_or_load`` names
    its checkpoint after it. ``_key_optional`` maps fields added after networks were cached to
    their "absent" value, at which they are left out of the JSON, so old keys stay valid.
    """

    _key_optional: dict = {}

    def _check_training(self) -> None:
        checks.integer(self.seed, "seed", 0)
        if self.subset is not None:
            checks.integer(self.subset, "subset", 1)
        checks.integer(self.epochs, "epochs", 0)
        checks.integer(self.batch_size, "batch_size", 1)
        checks.integer(self.version, "version", 0)
        if isinstance(self.lr, bool) or not isinstance(self.lr, numbers.Real) or not self.lr > 0:
            raise ValueError(f"lr must be a positive number, got {self.lr!r}")
        object.__setattr__(self, "lr", float(self.lr))
        if (isinstance(self.weight_decay, bool) or not isinstance(self.weight_decay, numbers.Real)
                or not self.weight_decay >= 0):
            raise ValueError(f"weight_decay must be a number >= 0, got {self.weight_decay!r}")
        object.__setattr__(self, "weight_decay", float(self.weight_decay))
        object.__setattr__(self, "optimizer", checks.choice(self.optimizer, "optimizer", ("adam", "sgd")))
        object.__setattr__(self, "schedule", checks.choice(self.schedule, "schedule", ("onecycle", "constant")))
        if not isinstance(self.dataset, str) or not self.dataset:
            raise TypeError(f"dataset must be a dataset name (str), got {self.dataset!r}")

    def to_dict(self) -> dict:
        """The fields as a dict, without optional fields at their "absent" value (``_key_optional``)."""
        d = dataclasses.asdict(self)
        for name, absent in self._key_optional.items():
            if d[name] == absent:
                del d[name]
        return d

    @classmethod
    def from_dict(cls, d: dict):
        name = cls.__name__
        if not isinstance(d, dict):
            raise TypeError(f"d must be a dict of {name} fields, got {type(d).__name__}")
        unknown = sorted(set(d) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise ValueError(f"d has unknown {name} field(s) {unknown}")
        return cls(**d)

    def replace(self, **changes):
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    def key(self) -> str:
        """sha256 (64 hex digits) of the canonical JSON: the checkpoint's file name."""
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()


@dataclasses.dataclass(frozen=True)
class ModelConfig(KeyedConfig):
    """Everything that determines a trained Network-audio-1: the cache key of ``train_or_load``.

    Architecture (:func:`vgg11_1d` arguments), seed, data (``dataset``, ``crop`` samples per clip,
    ``subset`` training clips or ``None`` for all, ``input_norm`` per-clip amplitude normalisation,
    ``fold`` the held-out official fold when ``dataset="urbansound8k"``, default 10; ``None`` for FSDD)
    and training (``epochs``, ``batch_size``, ``lr`` (peak lr of the schedule), ``optimizer``,
    ``weight_decay``, ``schedule``). ``version`` is bumped when the training code changes in a way
    that changes the result, so old checkpoints are not reused.

    ``key()``: see :class:`KeyedConfig` (``fold`` is left out of it when ``None``, so the keys of
    the FSDD networks cached before ``fold`` existed are unchanged).
    """

    _key_optional = {"fold": None}

    width: float = 0.25
    activation: str = "relu"
    batch_norm: bool = True
    pool: str = "max"
    n_classes: int = 10
    in_channels: int = 1
    seed: int = 0
    dataset: str = "fsdd"
    crop: int = 4096
    subset: int | None = None
    input_norm: str | None = "peak"
    epochs: int = 3
    batch_size: int = 32
    lr: float = 3e-3
    optimizer: str = "adam"
    weight_decay: float = 0.0
    schedule: str = "onecycle"
    arch: str = "vgg11_1d"
    version: int = 1
    fold: int | None = None

    def __post_init__(self):
        # validate (and normalise) once, so a bad config fails before any training
        object.__setattr__(self, "width", _check_width(self.width))
        object.__setattr__(self, "activation", checks.choice(self.activation, "activation", ACTIVATIONS))
        object.__setattr__(self, "pool", checks.choice(self.pool, "pool", POOLS))
        checks.boolean(self.batch_norm, "batch_norm")
        checks.integer(self.n_classes, "n_classes", 2)
        checks.integer(self.in_channels, "in_channels", 1)
        checks.integer(self.crop, "crop", 32)
        self._check_training()
        if self.input_norm is not None:
            object.__setattr__(self, "input_norm", checks.choice(self.input_norm, "input_norm", ("peak", "rms")))
        if self.arch != "vgg11_1d":
            raise ValueError(f"arch must be 'vgg11_1d' (the only architecture ModelConfig builds), got {self.arch!r}")
        if self.dataset == "urbansound8k" and self.fold is None:
            object.__setattr__(self, "fold", 10)
        if self.fold is not None:
            if self.dataset != "urbansound8k":
                raise ValueError(f"fold applies to dataset 'urbansound8k' only, got fold={self.fold!r} "
                                 f"with dataset {self.dataset!r}")
            checks.integer(self.fold, "fold", 1)
            if self.fold > 10:
                raise ValueError(f"fold must be an UrbanSound8K fold 1-10, got {self.fold}")

    def short(self) -> str:
        """A human-readable label, e.g. ``vgg11_1d w0.25 relu+bn max seed0``."""
        data = "" if self.dataset == "fsdd" else f" {self.dataset}" + (f" fold{self.fold}" if self.fold else "")
        return (f"{self.arch} w{self.width:g} {self.activation}{'+bn' if self.batch_norm else ''} "
                f"{self.pool} seed{self.seed}{data}")

    def build(self) -> VGG1d:
        """The untrained network (from torch's global generator: seed first)."""
        return vgg11_1d(width=self.width, activation=self.activation, batch_norm=self.batch_norm,
                        n_classes=self.n_classes, in_channels=self.in_channels, pool=self.pool)


#: Network-audio-1 in quick mode (CPU, 2 cores): quarter width, 3 epochs on all 2,700 training clips.
QUICK = dict(width=0.25, epochs=3)
#: Network-audio-1 in full mode (one GPU): VGG-11's own widths, 10 epochs.
FULL = dict(width=1.0, epochs=10)


def network_audio_1_config(mode: str | None = None, **overrides) -> ModelConfig:
    """The book's shared Network-audio-1 configuration for a run mode (``None``: ``runtime.resolve_mode()``).

    Quick: :data:`QUICK` (conv + BN + ReLU, width 0.25, 4,096-sample crops, Adam with a one-cycle
    schedule peaking at 3e-3, batch 32, 3 epochs). Full: :data:`FULL`. ``overrides`` change any field,
    e.g. ``activation="tanh"`` or ``batch_norm=False`` for the variants of paper 001, Figs 13 and 18.
    Chapters 2-4 call this with the same arguments, so they share one cached network.
    """
    from .runtime import resolve_mode

    base = QUICK if resolve_mode(mode) == "quick" else FULL
    return ModelConfig(**{**base, **overrides})


# ------------------------------------------------------------------ chapter 8: image classifiers (tf_flowers)
#: ImageNet channel means and standard deviations (torchvision's constants), used by both image networks.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class ImageNormalize(nn.Module):
    """``(x - mean) / std`` per channel, as the first layer: the network takes images in [0, 1], so
    noise is added (and clipped, and quantised) in pixel units, exactly as chapter 8 measures SNR."""

    def __init__(self, mean=IMAGENET_MEAN, std=IMAGENET_STD):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


class FlowersCNN(nn.Module):
    """A small CNN for 3-channel images in [0, 1]: ``normalize``, ``features``, ``gap``, ``classifier``.

    ``features`` = blocks ``convN`` (3x3, padding 1) -> ``bnN`` -> ``actN`` (ReLU) -> ``poolN`` (2x2
    max), one per entry of ``channels``; then global average pooling, dropout and one linear layer.
    Any input size divisible by ``2 ** len(channels)`` works.
    """

    def __init__(self, channels, n_classes: int, in_channels: int = 3, dropout: float = 0.2):
        super().__init__()
        self.normalize = ImageNormalize()
        layers: "OrderedDict[str, nn.Module]" = OrderedDict()
        c_in = in_channels
        for i, c in enumerate(channels, 1):
            layers[f"conv{i}"] = nn.Conv2d(c_in, c, kernel_size=3, padding=1)
            layers[f"bn{i}"] = nn.BatchNorm2d(c)
            layers[f"act{i}"] = nn.ReLU()
            layers[f"pool{i}"] = nn.MaxPool2d(2)
            c_in = c
        self.features = nn.Sequential(layers)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(c_in, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.gap(self.features(self.normalize(x))).flatten(1)
        return self.classifier(self.dropout(h))


def flowers_cnn(channels=(16, 32, 64, 128), n_classes: int = 5, dropout: float = 0.2) -> FlowersCNN:
    """The quick-mode tf_flowers classifier of chapter 8 (trained from scratch): see :class:`FlowersCNN`."""
    if isinstance(channels, (str, bytes)) or not isinstance(channels, (tuple, list)) or not channels:
        raise TypeError(f"channels must be a non-empty tuple of ints, got {channels!r}")
    for c in channels:
        checks.integer(c, "channels entries", 1)
    n_classes = checks.integer(n_classes, "n_classes", 2)
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0 <= dropout < 1:
        raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")
    return FlowersCNN(tuple(int(c) for c in channels), n_classes, dropout=float(dropout))


def resnet18_imagenet(n_classes: int = 5) -> nn.Module:
    """torchvision's ResNet-18 with ImageNet weights (``weights=DEFAULT``; He et al. 2016), new head.

    The full-mode classifier of chapter 8, fine-tuned on tf_flowers: ``ImageNormalize`` then the
    backbone with its last layer replaced by ``Linear(512, n_classes)``. The weights are downloaded
    by torchvision into its cache on first use (Colab); offline, a ``RuntimeError`` says so.
    """
    n_classes = checks.integer(n_classes, "n_classes", 2)
    from torchvision.models import ResNet18_Weights, resnet18

    try:
        net = resnet18(weights=ResNet18_Weights.DEFAULT)
    except Exception as err:  # noqa: BLE001 - any download/cache failure means the same thing here
        raise RuntimeError(
            "resnet18_imagenet needs torchvision's ImageNet weights (ResNet18_Weights.DEFAULT, "
            f"{ResNet18_Weights.DEFAULT.url}); they could not be loaded ({type(err).__name__}: {err}). "
            "Run with internet access once (e.g. on Colab) or put the file in torch's hub cache "
            "($TORCH_HOME/hub/checkpoints), or use quick mode (a CNN trained from scratch).") from err
    net.fc = nn.Linear(net.fc.in_features, n_classes)
    return nn.Sequential(OrderedDict(normalize=ImageNormalize(), backbone=net))


IMAGE_ARCHS = ("flowers_cnn", "resnet18")


@dataclasses.dataclass(frozen=True)
class ImageModelConfig(KeyedConfig):
    """Everything that determines a trained chapter-8 image classifier: the cache key of ``train_or_load``.

    ``arch``: ``"flowers_cnn"`` (:func:`flowers_cnn` with ``channels``, from scratch) or
    ``"resnet18"`` (:func:`resnet18_imagenet`, ImageNet weights, fine-tuned); ``image_size``: side of
    the square input; data: ``dataset`` (``"flowers"``), ``subset`` (training images or ``None``),
    ``augment`` (random horizontal flips and +-``image_size // 16`` pixel shifts); training as in
    :class:`ModelConfig`. ``key()``: see :class:`KeyedConfig` (different fields from a
    Network-audio-1 config, so the keys never collide).
    """

    arch: str = "flowers_cnn"
    channels: tuple = (16, 32, 64, 128)
    image_size: int = 64
    n_classes: int = 5
    seed: int = 0
    dataset: str = "flowers"
    subset: int | None = None
    augment: bool = True
    epochs: int = 15
    batch_size: int = 32
    lr: float = 3e-3
    optimizer: str = "adam"
    weight_decay: float = 5e-4
    schedule: str = "onecycle"
    version: int = 1

    def __post_init__(self):
        object.__setattr__(self, "arch", checks.choice(self.arch, "arch", IMAGE_ARCHS))
        if isinstance(self.channels, (str, bytes)) or not isinstance(self.channels, (tuple, list)) or not self.channels:
            raise TypeError(f"channels must be a non-empty tuple of ints, got {self.channels!r}")
        object.__setattr__(self, "channels", tuple(checks.integer(c, "channels entries", 1) for c in self.channels))
        checks.integer(self.image_size, "image_size", 8)
        checks.integer(self.n_classes, "n_classes", 2)
        checks.boolean(self.augment, "augment")
        self._check_training()
        if self.arch == "flowers_cnn" and self.image_size % 2 ** len(self.channels):
            raise ValueError(f"image_size must be divisible by 2**len(channels) = {2 ** len(self.channels)}, "
                             f"got {self.image_size}")

    def short(self) -> str:
        what = "x".join(map(str, self.channels)) if self.arch == "flowers_cnn" else "imagenet"
        return f"{self.arch} {what} {self.image_size}px {self.dataset} seed{self.seed}"

    def build(self) -> nn.Module:
        """The untrained network (from torch's global generator: seed first)."""
        if self.arch == "flowers_cnn":
            return flowers_cnn(self.channels, self.n_classes)
        return resnet18_imagenet(self.n_classes)


def flowers_config(mode: str | None = None, **overrides) -> ImageModelConfig:
    """Chapter 8's tf_flowers classifier for a run mode (``None``: ``runtime.resolve_mode()``).

    Quick: :func:`flowers_cnn` (16-32-64-128 channels) from scratch at 64 px, 15 epochs, Adam with a
    one-cycle schedule. Full: ImageNet ResNet-18 fine-tuned at 160 px, 8 epochs, lr 1e-3.
    """
    from .runtime import resolve_mode

    base = {} if resolve_mode(mode) == "quick" else dict(arch="resnet18", image_size=160, epochs=8, lr=1e-3)
    return ImageModelConfig(**{**base, **overrides})

__all__ += ["IMAGENET_MEAN", "IMAGENET_STD", "ImageNormalize", "FlowersCNN", "flowers_cnn", "resnet18_imagenet",
            "IMAGE_ARCHS", "ImageModelConfig", "flowers_config"]


# --------------------------------------------------------------- chapter 10: Volterra MNIST CNN
#: MNIST standardisation used with :func:`volterra_mnist_cnn` (training-set pixel mean and std).
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


class VolterraMNISTCNN(nn.Module):
    """The 4-layer convolutional net of Li et al. (2021, MNIST experiment), made trainable here.

    ``features``: ``conv1 act1 conv2 act2 conv3 act3 conv4 [act4]``, every conv 3x3 with ``channels``
    outputs and padding 1, strides 2, 2, 2, 1 (receptive fields 3, 7, 15, 31); the head is the
    spatial mean of the last feature map's ``n_classes = channels`` channels (the logits).
    Layer ``k`` means ``conv_k`` followed by ``act_k``; :meth:`first` / :meth:`rest` split the net there.
    Inputs are standardised MNIST digits ``(x - MNIST_MEAN) / MNIST_STD``. The last layer has no
    activation unless ``last_activation=True``: a sigmoid after the spatial mean kept the net at
    chance (measured when chapter 10 was planned), and one after the last convolution trained to
    57-71 % in 10 epochs where the net without it reached 90-92 % (chapter 10's trials).
    """

    def __init__(self, channels: int, kernel_size: int, strides, activation: str, last_activation: bool,
                 in_channels: int):
        super().__init__()
        layers: "OrderedDict[str, nn.Module]" = OrderedDict()
        c_in = in_channels
        for i, s in enumerate(strides, start=1):
            layers[f"conv{i}"] = nn.Conv2d(c_in, channels, kernel_size, stride=s, padding=kernel_size // 2)
            if i < len(strides) or last_activation:
                layers[f"act{i}"] = ACTIVATIONS[activation]()
            c_in = channels
        self.features = nn.Sequential(layers)
        self.n_layers = len(strides)

    def _cut(self, k: int) -> int:
        k = checks.integer(k, "k", 0)
        if k > self.n_layers:
            raise ValueError(f"k must be in 0..{self.n_layers} (layers), got {k}")
        names = list(self.features._modules)
        if k == 0:
            return 0
        end = names.index(f"conv{k}") + 1
        return end + (1 if end < len(names) and names[end] == f"act{k}" else 0)

    def first(self, k: int) -> nn.Sequential:
        """Layers 1..k (conv and activation) as an ``nn.Sequential`` sharing this net's modules."""
        return self.features[:self._cut(k)]

    def rest(self, k: int) -> nn.Module:
        """Layers k+1..end and the head: ``net(x) == net.rest(k)(net.first(k)(x))``."""
        tail = self.features[self._cut(k):]
        return nn.Sequential(tail, _SpatialMean())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x).mean(dim=(2, 3))


class _SpatialMean(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3))


def volterra_mnist_cnn(channels: int = 10, kernel_size: int = 3, strides=(2, 2, 2, 1), activation: str = "sigmoid",
                       last_activation: bool = False, in_channels: int = 1) -> VolterraMNISTCNN:
    """The MNIST CNN of Li et al. (2021) used in chapter 10: see :class:`VolterraMNISTCNN`.

    Defaults: 10 channels, 3x3 kernels, strides (2, 2, 2, 1), sigmoid activations, none after the
    last convolution. Initialised from torch's global generator (seed it first).
    """
    channels = checks.integer(channels, "channels", 2)
    kernel_size = checks.integer(kernel_size, "kernel_size", 1)
    if isinstance(strides, (str, bytes)) or not isinstance(strides, (tuple, list)) or not strides:
        raise TypeError(f"strides must be a non-empty tuple of ints, got {strides!r}")
    strides = tuple(checks.integer(s, "strides entries", 1) for s in strides)
    activation = checks.choice(activation, "activation", ACTIVATIONS)
    last_activation = checks.boolean(last_activation, "last_activation")
    in_channels = checks.integer(in_channels, "in_channels", 1)
    return VolterraMNISTCNN(channels, kernel_size, strides, activation, last_activation, in_channels)


__all__ += ["MNIST_MEAN", "MNIST_STD", "VolterraMNISTCNN", "volterra_mnist_cnn"]
