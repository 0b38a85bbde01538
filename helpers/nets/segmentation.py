"""Segmentation networks of chapter 7 (Wu et al. 2022, sec 5.2.2, Fig. A3, Table 6).

The paper's appendix figure with the layer tables of Network-image-4 and Network-image-5 is lost
in the text the book works from; what the text says is that both are segmentation CNNs built from
"convolution, deconvolution and pooling", trained with SGD and cross-entropy, that
Network-image-4 (trained on half A of the data) provides the feature spectrum, and that
Network-image-5 (trained on half B) has a **skip connection** that feeds the image to its
"segmentation layer", the input that post-shift replaces with the filtered image. The book
reconstructs them as small encoder-decoders:

* :class:`NetworkImage4` -- ``enc1`` conv 3x3 (3 -> c) - BN - ReLU - max-pool 2, ``enc2`` conv
  (c -> 2c) - BN - ReLU - max-pool 2, ``mid`` conv (2c -> 4c) - BN - ReLU, ``dec2``
  transposed conv 2x2 stride 2 (4c -> 2c) - BN - ReLU, ``dec1`` transposed conv (2c -> c) - BN -
  ReLU -- the **feature** (c channels at the input's size), then ``head`` conv 1x1 (c -> K);
* :class:`NetworkImage5` -- the same encoder-decoder one level shallower (``enc1``, ``enc2``,
  ``dec1``), whose output is concatenated with the **skip**: the image itself passed through
  ``skip_filter`` (identity, a fixed ``postshift.FourierFilter``, or a learnable filter) and a
  batch norm (so a filter's overall gain does not matter), then ``fuse`` conv 3x3 (c + 3 -> c) -
  ReLU and ``head`` conv 1x1 (c -> K). ``skip="none"`` drops the skip connection altogether.

:class:`SegConfig` names everything that determines a trained one; :func:`segmentation_tensors`
and :func:`segmentation_loader` give its data (Penn-Fudan or Pascal VOC 2012).
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict

import torch
from torch import nn

from .. import checks
from . import NetConfig, register

__all__ = [
    "NetworkImage4",
    "NetworkImage5",
    "LearnableFilter",
    "SEG_ARCHS",
    "SKIPS",
    "SegConfig",
    "SEG_BUDGETS",
    "seg_config",
    "segmentation_tensors",
    "SEG_DATASETS",
    "segmentation_loader",
]


def _block(c_in: int, c_out: int, up: bool = False) -> nn.Sequential:
    conv = (
        nn.ConvTranspose2d(c_in, c_out, 2, stride=2) if up else nn.Conv2d(c_in, c_out, 3, padding=1)
    )
    return nn.Sequential(OrderedDict(conv=conv, bn=nn.BatchNorm2d(c_out), relu=nn.ReLU()))


class NetworkImage4(nn.Module):
    """The reconstructed Network-image-4 (see the module docstring). ``features(x)`` is the map
    the post-shift's ``FEATURE(f)`` is measured on: ``c`` channels at the input's size. Input
    sides must be divisible by 4."""

    def __init__(self, n_classes: int = 2, width: int = 16):
        super().__init__()
        c = width
        self.enc1, self.enc2 = _block(3, c), _block(c, 2 * c)
        self.pool = nn.MaxPool2d(2)
        self.mid = _block(2 * c, 4 * c)
        self.dec2, self.dec1 = _block(4 * c, 2 * c, up=True), _block(2 * c, c, up=True)
        self.head = nn.Conv2d(c, n_classes, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        h = self.pool(self.enc1(x))
        h = self.mid(self.pool(self.enc2(h)))
        return self.dec1(self.dec2(h))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class LearnableFilter(nn.Module):
    """A learnable LTI filter: one ``size`` (x ``size``) convolution per channel over the last
    ``ndim`` dims (depthwise, circular padding, no bias), initialised to the identity (a centred
    delta). The control "does training find the post-shift by itself?" (images: ``ndim=2``,
    chapter 7's audio feature vectors: ``ndim=1``)."""

    def __init__(self, channels: int = 3, size: int = 9, ndim: int = 2):
        super().__init__()
        size = checks.integer(size, "size", 1)
        if size % 2 == 0:
            raise ValueError(f"size must be odd (a centred kernel), got {size}")
        ndim = checks.ndim(ndim)
        conv = nn.Conv1d if ndim == 1 else nn.Conv2d
        self.conv = conv(
            channels,
            channels,
            size,
            padding=size // 2,
            groups=channels,
            bias=False,
            padding_mode="circular",
        )
        with torch.no_grad():
            self.conv.weight.zero_()
            self.conv.weight[(slice(None), 0) + (size // 2,) * ndim] = 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class NetworkImage5(nn.Module):
    """The reconstructed Network-image-5 (see the module docstring); ``skip_filter`` is applied
    to the image on the skip connection (``None``: the image as it is); ``use_skip=False`` drops
    the connection. Input sides must be divisible by 4."""

    def __init__(
        self,
        n_classes: int = 2,
        width: int = 16,
        skip_filter: nn.Module | None = None,
        use_skip: bool = True,
    ):
        super().__init__()
        c = width
        self.enc1, self.enc2 = _block(3, c), _block(c, 2 * c)
        self.pool = nn.MaxPool2d(2)
        self.dec2, self.dec1 = _block(2 * c, 2 * c, up=True), _block(2 * c, c, up=True)
        self.use_skip = bool(use_skip)
        self.skip_filter = skip_filter if skip_filter is not None else nn.Identity()
        self.skip_norm = nn.BatchNorm2d(3)
        self.fuse = nn.Sequential(
            nn.Conv2d(c + (3 if self.use_skip else 0), c, 3, padding=1), nn.ReLU()
        )
        self.head = nn.Conv2d(c, n_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.pool(self.enc2(self.pool(self.enc1(x))))
        h = self.dec1(self.dec2(h))
        if self.use_skip:
            h = torch.cat([h, self.skip_norm(self.skip_filter(x))], dim=1)
        return self.head(self.fuse(h))


SEG_ARCHS = ("network_image_4", "network_image_5")
#: the segmentation data sets and their class counts (background included)
SEG_DATASETS = {"pennfudan": 2, "voc2012": 21}
#: what Network-image-5's skip connection carries
SKIPS = ("image", "filter", "learnable", "none")


@register
@dataclasses.dataclass(frozen=True)
class SegConfig(NetConfig):
    """A trained segmentation network of chapter 7 (the key of ``train.train_or_load``).

    ``arch``: ``"network_image_4"`` or ``"network_image_5"``; ``split``: the training split of
    the dataset (``"a"`` or ``"b-train"``; the test split is ``"b-test"``); ``image_size``: the
    side images and masks are resized to; ``width``: base channel count; ``skip`` (Network-image-5
    only): :data:`SKIPS`, and ``skip_key``: what identifies a fixed ``"filter"`` (e.g. the sha256
    of its transfer function; the network is then built by a ``build_fn`` that supplies the
    filter, since the config holds only its name). Loss: pixel cross-entropy; metric: mean IU.
    """

    archs = SEG_ARCHS
    datasets = tuple(SEG_DATASETS)

    arch: str = "network_image_5"
    dataset: str = "pennfudan"
    split: str = "b-train"
    epochs: int = 25
    lr: float = 5e-3
    optimizer: str = "adam"
    weight_decay: float = 1e-4
    batch_size: int = 4
    loss: str = "pixel_cross_entropy"
    metric: str = "mean_iu"
    image_size: int = 96
    width: int = 16
    n_classes: int = 2
    skip: str = "image"
    skip_key: str = ""

    def validate(self) -> None:
        checks.integer(self.image_size, "image_size", 16)
        if self.image_size % 4:
            raise ValueError(f"image_size must be divisible by 4, got {self.image_size}")
        checks.integer(self.width, "width", 1)
        checks.integer(self.n_classes, "n_classes", 2)
        if self.n_classes != SEG_DATASETS[self.dataset]:
            raise ValueError(
                f"n_classes must be {SEG_DATASETS[self.dataset]} for {self.dataset}, got "
                f"{self.n_classes}"
            )
        self._set("split", checks.choice(self.split, "split", ("a", "b-train")))
        self._set("skip", checks.choice(self.skip, "skip", SKIPS))
        checks.instance(self.skip_key, "skip_key", str, "a string")
        if self.arch == "network_image_4" and (self.skip != "image" or self.skip_key):
            raise ValueError("skip and skip_key apply to network_image_5 only")
        if (self.skip == "filter") != bool(self.skip_key):
            raise ValueError("skip='filter' needs a skip_key naming the filter (and only it)")

    def short(self) -> str:
        what = "" if self.arch == "network_image_4" else f" skip={self.skip}{self.skip_key[:8]}"
        return f"{self.arch}{what} {self.image_size}px {self.dataset}:{self.split} seed{self.seed}"

    def build(self, skip_filter: nn.Module | None = None) -> nn.Module:
        """The untrained network (from torch's global generator: seed first). A ``"filter"``
        skip needs ``skip_filter`` (the module ``skip_key`` names)."""
        if self.arch == "network_image_4":
            return NetworkImage4(self.n_classes, self.width)
        if self.skip == "filter":
            checks.instance(skip_filter, "skip_filter", nn.Module, "the filter skip_key names")
        elif skip_filter is not None:
            raise ValueError(f"skip_filter is for skip='filter', this config has {self.skip!r}")
        if self.skip == "learnable":
            skip_filter = LearnableFilter(3)
        return NetworkImage5(self.n_classes, self.width, skip_filter, use_skip=self.skip != "none")

    def loaders(self, root=None, mode: str | None = None):
        """``(train_loader, test_loader)``: :func:`segmentation_tensors` of ``split`` (shuffled,
        seeded from ``seed``, random horizontal flips of image and mask together) and of
        ``"b-test"``."""
        x, y = segmentation_tensors(self.split, self.image_size, mode, root, self.dataset)
        xt, yt = segmentation_tensors("b-test", self.image_size, mode, root, self.dataset)
        train = segmentation_loader(x, y, self.batch_size, shuffle=True, seed=self.seed, flip=True)
        return train, segmentation_loader(xt, yt, 16)


_SEG_CACHE: dict = {}


def segmentation_tensors(
    split: str, size: int, mode: str | None = None, root=None, dataset: str = "pennfudan"
):
    """Penn-Fudan or VOC 2012 (``helpers.data.load(dataset, split, size=size)``: images and label
    maps resized to ``size x size``) decoded once per process: ``(images float32 (N, 3, S, S)``
    normalised with the ImageNet statistics, ``labels int64 (N, S, S)``: Penn-Fudan {0
    background, 1 pedestrian}; VOC 0-20 and 255 (ignored by the metrics and the loss)). Do not
    modify the returned tensors in place."""
    from torchvision.transforms.functional import pil_to_tensor

    from .. import data
    from .imagenet import imagenet_normalize

    size = checks.integer(size, "size", 8)
    dataset = checks.choice(dataset, "dataset", SEG_DATASETS)
    ds = data.load(dataset, split=split, mode=mode, root=root, size=size)
    key = (ds.source, split, size, len(ds))
    if key not in _SEG_CACHE:
        ds.transform = pil_to_tensor
        items = [ds[i] for i in range(len(ds))]
        images = imagenet_normalize(torch.stack([im for im, _ in items]))
        labels = torch.stack([torch.as_tensor(m, dtype=torch.long) for _, m in items])
        _SEG_CACHE[key] = (images, labels)
    return _SEG_CACHE[key]


class _FlipPairs(torch.utils.data.Dataset):
    def __init__(self, x, y, flip: bool, generator: torch.Generator):
        self.x, self.y, self.flip, self.generator = x, y, flip, generator

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int):
        x, y = self.x[i], self.y[i]
        if self.flip and bool(torch.rand((), generator=self.generator) < 0.5):
            x, y = x.flip(-1), y.flip(-1)
        return x, y


def segmentation_loader(
    images, labels, batch_size: int = 16, shuffle: bool = False, seed: int = 0, flip: bool = False
):
    """A DataLoader of ``(image, label map)`` pairs; ``shuffle`` and ``flip`` (random horizontal
    flips of both together) seeded from ``seed``."""
    images = checks.tensor(images, "images", allow_complex=False, min_ndim=4)
    checks.instance(labels, "labels", torch.Tensor, "an int64 tensor of label maps")
    if labels.shape != (images.shape[0], *images.shape[-2:]):
        raise ValueError(
            f"labels must be (N, H, W) matching images {tuple(images.shape)}, got "
            f"{tuple(labels.shape)}"
        )
    from . import dataset_loader

    seed = checks.integer(seed, "seed", 0)
    ds = _FlipPairs(images, labels, bool(flip), torch.Generator().manual_seed(seed * 2 + 1))
    return dataset_loader(ds, batch_size, shuffle, seed * 2)


#: chapter 7's budgets per mode: image side, base width, epochs of each network
#: (Adam: SGD at lr 0.05 and the quick budget learned no pedestrian pixel at all -- mean accuracy
#: 0.50, every pixel background -- on 57 training images)
SEG_BUDGETS = {
    "quick": dict(
        image_size=48,
        width=8,
        batch_size=4,
        epochs={"network_image_4": 30, "network_image_5": 16},
    ),
    "full": dict(
        image_size=160,
        width=16,
        batch_size=8,
        epochs={"network_image_4": 80, "network_image_5": 80},
    ),
}


def seg_config(arch: str, mode: str | None = None, **overrides) -> SegConfig:
    """Chapter 7's configuration of Network-image-4 (trained on half ``"a"``) or -5 (on
    ``"b-train"``) for a run mode (``None``: ``runtime.resolve_mode()``), from
    :data:`SEG_BUDGETS`; a smoke run uses 32 px. ``dataset`` (an override) sets ``n_classes``."""
    from .. import runtime

    arch = checks.choice(arch, "arch", SEG_ARCHS)
    budget = SEG_BUDGETS[runtime.resolve_mode(mode)]
    fields = dict(
        arch=arch,
        split="a" if arch == "network_image_4" else "b-train",
        image_size=32 if runtime.smoke_active() else budget["image_size"],
        width=budget["width"],
        batch_size=budget["batch_size"],
        epochs=budget["epochs"][arch],
        n_classes=SEG_DATASETS[
            checks.choice(overrides.get("dataset", "pennfudan"), "dataset", SEG_DATASETS)
        ],
    )
    return SegConfig(**{**fields, **overrides})
