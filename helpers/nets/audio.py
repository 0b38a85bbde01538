"""Network-audio-1, a VGG-11 for 1-D audio (paper 001, Fig. A1), and its data: audio crops.

Wu et al. 2022 (paper 001) read every Conv / activation / pooling layer of "Network-audio-1" as a
modulator (sections 3.1-3.3) and measure the layers' energy-spectrum differences (eqs 31-36) on it.
Fig. A1 says only that the network is "modified appropriately from VGG-11 to process 1-D audio
data"; the figure itself (kernel sizes, strides, head) is not in the text we have. Our choices,
stated once here and in the chapters:

* VGG-11 configuration ``[64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M]`` (Simonyan &
  Zisserman's "A"), channel counts multiplied by ``width`` (rounded, at least 1);
* 1-D convolutions with kernel size 3, stride 1, padding 1 (VGG's 3x3 made 1-D), so every conv and
  activation keeps the signal length and its input and output spectra share a frequency grid;
* pooling of size 2, stride 2 after each block (``pool="max"`` as in VGG, or ``"avg"``; chapter 4
  adds ``"strided"``, ``"spectral"`` and ``"blur"``, see :data:`POOLS`);
* optional batch normalisation after each convolution (``convolution_bn`` of paper 001, Fig. 18a);
* a global average pool over time and one linear layer as the head (instead of VGG's three fully
  connected layers), so any clip length works and the head stays small.

Every layer has a name a probe can address: ``features.conv1``, ``features.bn1``, ``features.act1``,
``features.pool1``, ``features.conv2``, ... (``convN``/``bnN``/``actN`` count convolutions 1-8,
``poolN`` counts pooling layers 1-5), then ``gap`` and ``classifier``.

The data: :func:`audio_loaders` (FSDD or UrbanSound8K from ``helpers.data`` as fixed-length crops,
random for training, centred for testing) and :func:`audio_eval_loader` (fixed clips for probing).
:class:`AudioConfig` (:func:`network_audio_1_config`) holds everything that determines a trained
Network-audio-1; its ``key()`` names the cache file of ``helpers.train.train_or_load``.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict

import torch
from torch import nn

from .. import checks, data, runtime
from ..pooling import MaxBlurPool1d, SpectralPool1d, StridedConvPool1d
from . import NetConfig, register

__all__ = [
    "Sine",
    "ACTIVATIONS",
    "POOLS",
    "pool_layer",
    "VGG11_CFG",
    "VGG11_DEPTH",
    "vgg_cfg",
    "scaled_channels",
    "VGG1d",
    "vgg11_1d",
    "AudioConfig",
    "network_audio_1_config",
    "QUICK",
    "FULL",
    "CropDataset",
    "INPUT_NORMS",
    "AUDIO_DATASETS",
    "audio_loaders",
    "fsdd_loaders",
    "audio_eval_loader",
    "fsdd_eval_loader",
]

VGG11_CFG = (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M")
#: Convolutions of VGG-11 (of :data:`VGG11_CFG`): Network-audio-1's depth.
VGG11_DEPTH = sum(v != "M" for v in VGG11_CFG)


def vgg_cfg(depth: int = VGG11_DEPTH) -> tuple:
    """The layer list of a VGG of ``depth`` convolutions (1-8): the PREFIX of :data:`VGG11_CFG` up
    to its ``depth``-th convolution, with the pooling that directly follows it (if one does).

    ``vgg_cfg(8)`` is VGG-11 itself; ``vgg_cfg(2) == (64, "M", 128, "M")``, ``vgg_cfg(4) == (64,
    "M", 128, "M", 256, 256, "M")``, ``vgg_cfg(3) == (64, "M", 128, "M", 256)``. A shallower
    network keeps VGG-11's first layers unchanged (the same channel counts and kernels at the same
    depth) and has at most VGG-11's 5 poolings, so every crop VGG-11 takes works. Chapter 3
    (section 3.7) trains it to ask whether activations let a network stack more layers (eq 35).
    """
    depth = checks.integer(depth, "depth", 1)
    if depth > VGG11_DEPTH:
        raise ValueError(
            f"depth must be a number of convolutions from 1 to {VGG11_DEPTH} (a prefix of "
            f"VGG-11's {VGG11_DEPTH}), got {depth}"
        )
    end = [i for i, v in enumerate(VGG11_CFG) if v != "M"][depth - 1] + 1  # after the conv
    if VGG11_CFG[end : end + 1] == ("M",):  # with the pooling that directly follows it
        end += 1
    return VGG11_CFG[:end]


class Sine(nn.Module):
    """``sin(y)`` as an activation layer (paper 001, section 3.2 and Fig. 13c; Sitzmann et al.).

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
    # no activation: the conv-only network of eq 35 (chapter 3's linear control; the max pooling
    # between blocks is the only non-linearity left)
    "identity": nn.Identity,
}

#: Pooling (paper 001, section 3.3; chapter 4): name -> module class. Each halves the length:
#: ``max``/``avg`` kernel 2, stride 2; ``strided`` a learned C -> C conv, kernel 3, stride 2,
#: padding 1 (Springenberg et al. 2015); ``spectral`` keeps the lower half of the DFT (Rippel et
#: al. 2015); ``blur`` anti-aliased max pooling, max(2, stride 1) then a [1, 2, 1]/4 blur with
#: stride 2 (Zhang 2019).
POOLS: dict[str, type[nn.Module]] = {
    "max": nn.MaxPool1d,
    "avg": nn.AvgPool1d,
    "strided": StridedConvPool1d,
    "spectral": SpectralPool1d,
    "blur": MaxBlurPool1d,
}


def pool_layer(pool: str, channels: int) -> nn.Module:
    """The pooling layer ``pool`` (a key of :data:`POOLS`) for ``channels`` channels; halves N."""
    pool = checks.choice(pool, "pool", POOLS)
    if pool in ("max", "avg"):
        return POOLS[pool](kernel_size=2, stride=2)
    if pool == "strided":
        return StridedConvPool1d(channels)
    if pool == "spectral":
        return SpectralPool1d(factor=2)
    return MaxBlurPool1d(filt_size=3, stride=2)


def scaled_channels(width: float, cfg=VGG11_CFG) -> list:
    """The VGG configuration with every channel count multiplied by ``width`` (rounded, >= 1)."""
    width = checks.positive(width, "width")
    return [c if c == "M" else max(1, int(round(c * width))) for c in cfg]


class VGG1d(nn.Module):
    """A VGG network for signals ``(B, in_channels, N)``: ``features``, ``gap``, ``classifier``.

    Build it with :func:`vgg11_1d`. ``forward`` returns logits ``(B, n_classes)``;
    :meth:`features_of` returns the last feature map ``(B, C, N / 2**P)`` before global pooling
    (``P`` poolings: 5 for VGG-11, fewer for a shallower prefix, :func:`vgg_cfg`).
    """

    def __init__(
        self,
        cfg,
        activation: str,
        batch_norm: bool,
        n_classes: int,
        in_channels: int,
        pool: str,
        kernel_size: int = 3,
    ):
        super().__init__()
        layers: "OrderedDict[str, nn.Module]" = OrderedDict()
        c_in, i_conv, i_pool = in_channels, 0, 0
        for v in cfg:
            if v == "M":
                i_pool += 1
                layers[f"pool{i_pool}"] = pool_layer(pool, c_in)
                continue
            i_conv += 1
            layers[f"conv{i_conv}"] = nn.Conv1d(
                c_in, v, kernel_size=kernel_size, padding=kernel_size // 2
            )
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


def vgg11_1d(
    width: float = 1.0,
    activation: str = "relu",
    batch_norm: bool = True,
    n_classes: int = 10,
    in_channels: int = 1,
    pool: str = "max",
    depth: int = VGG11_DEPTH,
) -> VGG1d:
    """Network-audio-1 of paper 001 (Fig. A1): VGG-11 for 1-D audio, see the module docstring.

    Args:
        width: channel multiplier (``0.25`` = quarter width: 16, 32, 64, 64, 128, 128, 128, 128).
        activation: one of :data:`ACTIVATIONS` (``relu``, ``sigmoid``, ``tanh``, ``sine``, ``elu``;
            ``identity``: none, the conv-only network of eq 35).
        batch_norm: ``True`` for conv + batch-norm (paper 001, Fig. 18a), ``False`` for plain conv.
        n_classes: size of the output (10 digits for FSDD).
        in_channels: channels of the input signal (1 for mono audio).
        pool: a key of :data:`POOLS`: ``"max"`` (VGG), ``"strided"``, ``"spectral"``, ``"blur"``
            (chapter 4) or ``"avg"`` (the average pooling that paper 001, eq 27, reads as a
            convolution with ``1_K / K``).
        depth: number of convolutions, 1-8 (default 8, VGG-11): the prefix :func:`vgg_cfg`.

    Returns:
        A :class:`VGG1d` in training mode, initialised from torch's global generator (seed it
        first, e.g. ``runtime.seed_everything(seed)``, for a reproducible network).
    """
    cfg = scaled_channels(width, vgg_cfg(depth))
    activation = checks.choice(activation, "activation", ACTIVATIONS)
    pool = checks.choice(pool, "pool", POOLS)
    batch_norm = checks.boolean(batch_norm, "batch_norm")
    n_classes = checks.integer(n_classes, "n_classes", 2)
    in_channels = checks.integer(in_channels, "in_channels", 1)
    return VGG1d(cfg, activation, batch_norm, n_classes, in_channels, pool)


# ----------------------------------------------------------------------------------- data
#: Per-clip amplitude normalisations of :class:`CropDataset` (``None``: as the data layer reads).
INPUT_NORMS = ("peak", "rms", None)

#: The audio datasets Network-audio-1 trains on: name -> its splits.
AUDIO_DATASETS = {"fsdd": ("train", "test"), "urbansound8k": ("train", "test")}


def _input_norm(input_norm):
    if input_norm is None:
        return None
    return checks.choice(input_norm, "input_norm", [n for n in INPUT_NORMS if n])


def _fold(dataset: str, fold):
    """The held-out fold: ``None`` for FSDD, 1-10 for UrbanSound8K (``None`` there means 10)."""
    if dataset != "urbansound8k":
        if fold is not None:
            raise ValueError(
                f"fold applies to dataset 'urbansound8k' only, got fold={fold!r} "
                f"with dataset {dataset!r}"
            )
        return None
    fold = 10 if fold is None else checks.integer(fold, "fold", 1)
    if fold > 10:
        raise ValueError(
            f"fold must be an UrbanSound8K fold 1-10 (the held-out test fold), got {fold}"
        )
    return fold


def _audio_options(dataset, fold) -> dict:
    dataset = checks.choice(dataset, "dataset", AUDIO_DATASETS)
    fold = _fold(dataset, fold)
    return {} if fold is None else {"fold": fold}


class CropDataset(torch.utils.data.Dataset):
    """Fixed-length crops of a waveform dataset: item ``(float32 (1, crop), label)``.

    ``random=False``: the data layer's rule :func:`helpers.data.fix_length` (centre crop of longer
    clips, symmetric zero padding of shorter ones). ``random=True``: a clip longer than ``crop``
    is cut at a uniformly random start; a shorter one is placed at a uniformly random offset in a
    zero frame of ``crop`` samples (a random time shift). The randomness comes from ``generator``,
    so a seeded generator and a fixed order give the same crops.

    ``input_norm="peak"`` first scales each whole clip to peak amplitude 1 (``x / max |x|``),
    ``"rms"`` to unit RMS, ``None`` keeps the data layer's ``int16 / 32768`` values. The scale comes
    from the whole clip, not the crop. Why: FSDD's loudness varies ~50x (training-clip peaks 0.016
    to 0.86, 1st-99th percentile; speaker medians 0.03 for theo to 0.47 for lucas), and without it
    the quarter-width network's eval-mode accuracy lagged its training accuracy badly (measured:
    57 % test after 5 epochs against 91 % training accuracy, constant lr 1e-3).
    """

    def __init__(
        self,
        base,
        crop: int,
        random: bool = False,
        generator: torch.Generator | None = None,
        input_norm: str | None = "peak",
    ):
        self.input_norm = _input_norm(input_norm)
        self.base, self.crop, self.random = base, checks.integer(crop, "crop", 1), bool(random)
        self.generator = generator if generator is not None else torch.Generator().manual_seed(0)

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, i: int):
        x, y = self.base[i]
        x = torch.as_tensor(x, dtype=torch.float32).reshape(-1)
        if self.input_norm is not None and x.numel():
            scale = x.abs().max() if self.input_norm == "peak" else x.square().mean().sqrt()
            if scale > 0:
                x = x / scale
        n = x.shape[-1]
        if not self.random:
            x = data.fix_length(x, self.crop)
        elif n >= self.crop:
            start = int(torch.randint(0, n - self.crop + 1, (1,), generator=self.generator))
            x = x[start : start + self.crop]
        else:
            left = int(torch.randint(0, self.crop - n + 1, (1,), generator=self.generator))
            x = torch.nn.functional.pad(x, (left, self.crop - n - left))
        return x[None, :], int(y)


def audio_loaders(
    dataset: str = "fsdd",
    crop: int = 4096,
    batch_size: int = 32,
    seed: int = 0,
    subset: int | None = None,
    test_subset: int | None = None,
    input_norm: str | None = "peak",
    root=None,
    mode: str | None = "full",
    fold: int | None = None,
):
    """Train and test ``DataLoader`` s of fixed-length crops ``(B, 1, crop)`` of an audio dataset.

    ``dataset="fsdd"`` (default): takes 0-4 of every speaker and digit are the test set (300
    clips), takes 5-49 the training set (2,700 clips). ``dataset="urbansound8k"``: the OFFICIAL
    folds only, ``fold`` (default 10) is the test set and the other nine folds train (clips
    resampled to 8 kHz by the data layer; never reshuffled across folds, see
    :class:`helpers.data.UrbanSound8K`). ``subset`` / ``test_subset`` take the data layer's fixed,
    seeded, class-stratified subsets (``None``: all clips; ``mode`` only matters for datasets with
    a quick-mode default). Training batches are shuffled and randomly cropped with generators
    seeded from ``seed``; test batches (``max(batch_size, 64)`` clips, no gradients) are centre
    crops in dataset order. ``input_norm``: per-clip amplitude normalisation (:class:`CropDataset`).

    Returns:
        ``(train_loader, test_loader)``.
    """
    options = _audio_options(dataset, fold)
    batch_size = checks.integer(batch_size, "batch_size", 1)
    seed = checks.integer(seed, "seed", 0)
    train = data.load(
        dataset, split="train", mode=mode, subset=subset, root=root, seed=seed, **options
    )
    test = data.load(
        dataset, split="test", mode=mode, subset=test_subset, root=root, seed=seed, **options
    )
    crop_gen = torch.Generator().manual_seed(seed * 2 + 1)
    shuffle_gen = torch.Generator().manual_seed(seed * 2)
    train_loader = torch.utils.data.DataLoader(
        CropDataset(train, crop, random=True, generator=crop_gen, input_norm=input_norm),
        batch_size=batch_size,
        shuffle=True,
        generator=shuffle_gen,
        num_workers=0,
    )
    test_loader = torch.utils.data.DataLoader(
        CropDataset(test, crop, random=False, input_norm=input_norm),
        batch_size=max(batch_size, 64),
        shuffle=False,
        num_workers=0,
    )
    return train_loader, test_loader


def fsdd_loaders(
    crop: int = 4096,
    batch_size: int = 32,
    seed: int = 0,
    subset: int | None = None,
    test_subset: int | None = None,
    input_norm: str | None = "peak",
    root=None,
    mode: str | None = "full",
):
    """FSDD train and test loaders: :func:`audio_loaders` with ``dataset="fsdd"``."""
    return audio_loaders(
        "fsdd",
        crop=crop,
        batch_size=batch_size,
        seed=seed,
        subset=subset,
        test_subset=test_subset,
        input_norm=input_norm,
        root=root,
        mode=mode,
    )


def audio_eval_loader(
    dataset: str = "fsdd",
    splits=("test",),
    crop: int = 4096,
    batch_size: int = 64,
    input_norm: str | None = "peak",
    root=None,
    fold: int | None = None,
):
    """Clips of one or more splits as centre crops ``(B, 1, crop)``, in a fixed order, for probing.

    What the spectra of paper 001 (eqs 17-20) average over: every clip of ``splits`` (FSDD
    ``"test"``: takes 0-4, 300 clips; ``("train", "test")``: all 3,000; UrbanSound8K: the test
    fold ``fold`` and/or the nine others), each cut or padded to ``crop`` samples by the data
    layer's :func:`helpers.data.fix_length` and normalised as in training (:class:`CropDataset`,
    ``random=False``). No subsets and no shuffling, so every run averages over the same clips in
    the same order.
    """
    options = _audio_options(dataset, fold)
    if isinstance(splits, str):
        splits = (splits,)
    splits = tuple(splits)
    if not splits or any(s not in AUDIO_DATASETS[dataset] for s in splits):
        raise ValueError(f"splits must name {dataset} splits 'train' and/or 'test', got {splits!r}")
    batch_size = checks.integer(batch_size, "batch_size", 1)
    parts = [
        CropDataset(
            data.load(dataset, split=s, mode="full", root=root, **options),
            crop,
            random=False,
            input_norm=input_norm,
        )
        for s in splits
    ]
    clips = parts[0] if len(parts) == 1 else torch.utils.data.ConcatDataset(parts)
    return torch.utils.data.DataLoader(clips, batch_size=batch_size, shuffle=False, num_workers=0)


def fsdd_eval_loader(
    splits=("test",),
    crop: int = 4096,
    batch_size: int = 64,
    input_norm: str | None = "peak",
    root=None,
):
    """FSDD clips for probing: :func:`audio_eval_loader` with ``dataset="fsdd"``."""
    return audio_eval_loader(
        "fsdd", splits=splits, crop=crop, batch_size=batch_size, input_norm=input_norm, root=root
    )


# ----------------------------------------------------------------------------- the config
@register
@dataclasses.dataclass(frozen=True)
class AudioConfig(NetConfig):
    """Everything that determines a trained Network-audio-1: the cache key of ``train_or_load``.

    Architecture (:func:`vgg11_1d` arguments: ``width``, ``activation``, ``batch_norm``, ``pool``,
    ``n_classes``, ``in_channels``), data (``dataset`` ``"fsdd"`` or ``"urbansound8k"``, ``crop``
    samples per clip, ``subset`` training clips or ``None`` for all, ``input_norm`` per-clip
    amplitude normalisation, ``fold`` the held-out official fold when ``dataset="urbansound8k"``,
    default 10; ``None`` for FSDD) and the budget of :class:`helpers.nets.NetConfig`. ``version``
    is bumped when the training code changes in a way that changes the result, so old checkpoints
    are not reused. ``fold`` is left out of the key when ``None``, so the keys of the FSDD networks
    cached before ``fold`` existed are unchanged; likewise ``depth`` (number of convolutions, the
    prefix :func:`vgg_cfg` of VGG-11) when it is VGG-11's 8, so every network cached before
    ``depth`` existed keeps its key.
    """

    archs = ("vgg11_1d",)
    datasets = tuple(AUDIO_DATASETS)
    _key_optional = {**NetConfig._key_optional, "fold": None, "depth": VGG11_DEPTH}

    arch: str = "vgg11_1d"
    dataset: str = "fsdd"
    epochs: int = 3
    lr: float = 3e-3
    width: float = 0.25
    activation: str = "relu"
    batch_norm: bool = True
    pool: str = "max"
    n_classes: int = 10
    in_channels: int = 1
    crop: int = 4096
    input_norm: str | None = "peak"
    fold: int | None = None
    depth: int = VGG11_DEPTH

    def validate(self) -> None:
        self._set("width", checks.positive(self.width, "width"))
        self._set("activation", checks.choice(self.activation, "activation", ACTIVATIONS))
        self._set("pool", checks.choice(self.pool, "pool", POOLS))
        checks.boolean(self.batch_norm, "batch_norm")
        checks.integer(self.n_classes, "n_classes", 2)
        checks.integer(self.in_channels, "in_channels", 1)
        checks.integer(self.crop, "crop", 32)
        self._set("input_norm", _input_norm(self.input_norm))
        self._set("fold", _fold(self.dataset, self.fold))
        vgg_cfg(self.depth)  # 1-8 convolutions, with a clear error otherwise

    def short(self) -> str:
        """A human-readable label, e.g. ``vgg11_1d w0.25 relu+bn max seed0``."""
        data_ = (
            ""
            if self.dataset == "fsdd"
            else f" {self.dataset}" + (f" fold{self.fold}" if self.fold else "")
        )
        return (
            f"{self.arch} w{self.width:g} {self.activation}{'+bn' if self.batch_norm else ''} "
            f"{self.pool}{'' if self.depth == VGG11_DEPTH else f' depth{self.depth}'} "
            f"seed{self.seed}{data_}"
        )

    def build(self) -> VGG1d:
        """The untrained network (from torch's global generator: seed first)."""
        return vgg11_1d(
            width=self.width,
            activation=self.activation,
            batch_norm=self.batch_norm,
            n_classes=self.n_classes,
            in_channels=self.in_channels,
            pool=self.pool,
            depth=self.depth,
        )

    def loaders(self, root=None, mode: str | None = None):
        """:func:`audio_loaders` of the config's dataset, fold, crop, batch size, seed and subset
        (all test clips; ``mode`` is not used: the config names the data)."""
        return audio_loaders(
            self.dataset,
            crop=self.crop,
            batch_size=self.batch_size,
            seed=self.seed,
            subset=self.subset,
            input_norm=self.input_norm,
            root=root,
            fold=self.fold,
        )


#: Network-audio-1 in quick mode (CPU, 2 cores): quarter width, 3 epochs on all 2,700 clips.
QUICK = dict(width=0.25, epochs=3)
#: Network-audio-1 in full mode (one GPU): VGG-11's own widths, 10 epochs.
FULL = dict(width=1.0, epochs=10)


def network_audio_1_config(mode: str | None = None, **overrides) -> AudioConfig:
    """The book's shared Network-audio-1 configuration for a run mode (``None``: the run's mode).

    Quick: :data:`QUICK` (conv + BN + ReLU, width 0.25, 4,096-sample crops, Adam with a one-cycle
    schedule peaking at 3e-3, batch 32, 3 epochs). Full: :data:`FULL`. ``overrides`` change any
    field, e.g. ``activation="tanh"`` or ``batch_norm=False`` for the variants of paper 001, Figs
    13 and 18. Chapters 2-4 call this with the same arguments, so they share one cached network.
    """
    base = QUICK if runtime.resolve_mode(mode) == "quick" else FULL
    return AudioConfig(**{**base, **overrides})
