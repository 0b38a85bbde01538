"""Image classifiers for tf_flowers and their data (chapter 8 measures them under channel noise).

* :class:`FlowersCNN` (:func:`flowers_cnn`) -- a small CNN trained from scratch (quick mode);
  :func:`resnet18_imagenet` -- torchvision's ImageNet ResNet-18, fine-tuned (full mode). Both
  take images in [0, 1] and normalise inside (:class:`ImageNormalize`), so noise is added in pixel
  units.
* :func:`flowers_tensors` -- tf_flowers decoded once into tensors on the 8-bit grid;
  :class:`AugmentedImages` and :func:`flowers_loaders` -- seeded augmentation and loaders.
* :class:`ImageConfig` (:func:`flowers_config`) -- everything that determines a trained classifier.
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from collections import OrderedDict
from pathlib import Path, PurePosixPath

import torch
from torch import nn

from .. import checks, data, runtime
from . import NetConfig, int_tuple, register

__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "ImageNormalize",
    "FlowersCNN",
    "flowers_cnn",
    "resnet18_imagenet",
    "resnet18_weights_url",
    "resnet18_weights_file",
    "IMAGE_ARCHS",
    "ImageConfig",
    "flowers_config",
    "image_tensors",
    "flowers_tensors",
    "AugmentedImages",
    "flowers_loaders",
]

#: ImageNet channel means and standard deviations (torchvision's constants), used by both networks.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class ImageNormalize(nn.Module):
    """``(x - mean) / std`` per channel, as the first layer: the network takes images in [0, 1],
    so noise is added (and clipped, and quantised) in pixel units, as chapter 8 measures SNR."""

    def __init__(self, mean=IMAGENET_MEAN, std=IMAGENET_STD):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


class FlowersCNN(nn.Module):
    """A small CNN for 3-channel images in [0, 1]: ``normalize``, ``features``, ``gap``,
    ``classifier``.

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
    """The quick-mode tf_flowers classifier of chapter 8 (from scratch): see :class:`FlowersCNN`."""
    channels = int_tuple(channels, "channels")
    n_classes = checks.integer(n_classes, "n_classes", 2)
    dropout = checks.real(dropout, "dropout")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")
    return FlowersCNN(channels, n_classes, dropout=dropout)


def resnet18_weights_url() -> str:
    """Where torchvision's ImageNet ResNet-18 weights come from (``ResNet18_Weights.DEFAULT``); the
    file name carries the prefix of its sha256, which the download checks."""
    from torchvision.models import ResNet18_Weights

    return ResNet18_Weights.DEFAULT.url


def weights_file(url: str) -> Path:
    """Where torch's hub cache keeps the weights of ``url``:
    ``$TORCH_HOME/hub/checkpoints/<file name>``."""
    name = PurePosixPath(urllib.parse.urlsplit(url).path).name
    return Path(torch.hub.get_dir()) / "checkpoints" / name


def resnet18_weights_file() -> Path:
    """Where torch's hub cache keeps those weights (:func:`weights_file`)."""
    return weights_file(resnet18_weights_url())


def resnet18_imagenet(n_classes: int = 5) -> nn.Module:
    """torchvision's ResNet-18 with ImageNet weights (``weights=DEFAULT``; He et al. 2016), a new
    head.

    The full-mode classifier of chapter 8, fine-tuned on tf_flowers: ``ImageNormalize`` then the
    backbone with its last layer replaced by ``Linear(512, n_classes)``. The weights
    (:func:`resnet18_weights_url`) are downloaded by torch's hub into its cache on first use
    (Colab) and checked against the sha256 prefix of their file name; offline, a ``RuntimeError``
    says so. In a smoke run (``runtime.smoke_active()``) they are read only when already in the
    hub cache (:func:`resnet18_weights_file`); otherwise the backbone keeps its random
    initialisation (from torch's global generator), a printed note says so, and nothing is
    downloaded. A real run never falls back to random weights.
    """
    n_classes = checks.integer(n_classes, "n_classes", 2)
    from torchvision.models import resnet18

    net = resnet18(weights=None)
    url = resnet18_weights_url()
    if runtime.smoke_active() and not resnet18_weights_file().is_file():
        runtime.smoke_note(
            f"the ImageNet weights of ResNet-18 ({url}) are not in torch's hub cache and a smoke "
            "run downloads nothing: the backbone keeps its random initialisation"
        )
    else:
        try:
            state = torch.hub.load_state_dict_from_url(url, progress=False, check_hash=True)
            net.load_state_dict(state)
        except Exception as err:  # noqa: BLE001 - any download/cache failure means the same here
            raise RuntimeError(
                "resnet18_imagenet needs torchvision's ImageNet weights (ResNet18_Weights.DEFAULT, "
                f"{url}); they could not be loaded ({type(err).__name__}: {err}). Run with "
                "internet access once (e.g. on Colab) or put the file in torch's hub cache "
                f"({resnet18_weights_file()}), or use quick mode (a CNN trained from scratch)."
            ) from err
    net.fc = nn.Linear(net.fc.in_features, n_classes)
    return nn.Sequential(OrderedDict(normalize=ImageNormalize(), backbone=net))


# ----------------------------------------------------------------------------------- data
_IMAGE_CACHE: dict = {}


def image_tensors(
    dataset: str,
    split: str,
    image_size: int,
    mode: str | None = None,
    subset: int | None = None,
    root=None,
    seed: int = 0,
):
    """An image dataset of ``helpers.data`` (``"flowers"``, ``"imagenette"``) decoded once per
    process: ``(images uint8 (N, 3, S, S), labels int64 (N,), description)``.

    Each image (``helpers.data.load(dataset, split, mode, subset, root, seed)``) is resized so that
    its shorter side is ``image_size`` (bilinear, antialiased), centre-cropped to a square and kept
    on its 8-bit grid, which is what a network sees of an 8-bit image (a quarter of the memory of
    float32: the full Imagenette at 224 px is 1.4 GB). The tensors are shared between calls: do not
    modify them in place.
    """
    image_size = checks.integer(image_size, "image_size", 8)
    from torchvision import transforms

    ds = data.load(dataset, split=split, mode=mode, subset=subset, root=root, seed=seed)
    key = (dataset, ds.source, split, tuple(p for p, _ in ds.samples), image_size)
    if key not in _IMAGE_CACHE:
        ds.transform = transforms.Compose(
            [
                transforms.Resize(image_size, antialias=True),
                transforms.CenterCrop(image_size),
                transforms.PILToTensor(),
            ]
        )
        images = torch.stack([ds[i][0] for i in range(len(ds))])
        _IMAGE_CACHE[key] = (images, ds.targets.clone(), data.describe(ds))
    return _IMAGE_CACHE[key]


def flowers_tensors(
    split: str = "val",
    image_size: int = 64,
    mode: str | None = None,
    subset: int | None = None,
    root=None,
    seed: int = 0,
):
    """tf_flowers as tensors: ``(images float32 (N, 3, S, S) in [0, 1] on the 8-bit grid, labels
    int64 (N,))``.

    The photos of :func:`image_tensors` (``helpers.data.load("flowers", ...)``: the data
    directory's 100 + 25 photos per class, or the canonical 3,670 with the book's fixed 80/20
    split), as ``k / 255``.
    """
    images, labels, _ = image_tensors("flowers", split, image_size, mode, subset, root, seed)
    return images.float().div_(255.0), labels.clone()


class AugmentedImages(torch.utils.data.Dataset):
    """Tensor images with seeded augmentation: random horizontal flip and a random shift of up to
    ``shift`` pixels (reflection padding, then a crop back to size). ``augment=False``: as
    stored.

    ``images``: float in [0, 1], or uint8 (read as ``k / 255`` item by item, so a large dataset is
    kept at a quarter of the memory). ``mean``, ``std``: per-channel normalisation applied to each
    item after the augmentation (``None``: none; the images stay in [0, 1])."""

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        augment: bool = True,
        shift: int = 4,
        generator: torch.Generator | None = None,
        mean=None,
        std=None,
    ):
        self.images, self.labels = images, labels
        self.augment, self.shift = bool(augment), checks.integer(shift, "shift", 0)
        self.generator = generator if generator is not None else torch.Generator().manual_seed(0)
        if (mean is None) != (std is None):
            raise ValueError("mean and std must be given together (or neither)")
        self.norm = None
        if mean is not None:
            self.norm = (
                torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1),
                torch.tensor(std, dtype=torch.float32).view(-1, 1, 1),
            )

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        x = self.images[i]
        if x.dtype == torch.uint8:
            x = x.float().div_(255.0)
        if self.augment:
            if bool(torch.rand((), generator=self.generator) < 0.5):
                x = x.flip(-1)
            s = self.shift
            if s > 0:
                shift = torch.randint(0, 2 * s + 1, (2,), generator=self.generator)
                dy, dx = (int(v) for v in shift)
                h, w = x.shape[-2:]
                x = torch.nn.functional.pad(x[None], (s, s, s, s), mode="reflect")
                x = x[0, :, dy : dy + h, dx : dx + w]
        if self.norm is not None:
            x = (x - self.norm[0]) / self.norm[1]
        return x, int(self.labels[i])


def flowers_loaders(config, root=None, mode: str | None = None):
    """``(train_loader, test_loader)`` of an :class:`ImageConfig` on tf_flowers.

    Train: :func:`flowers_tensors` of the ``train`` split (``config.subset`` or the mode's
    default), augmented (:class:`AugmentedImages`, shift ``image_size // 16``) and shuffled with
    generators seeded from ``config.seed``; test: the ``val`` split as stored, in order.
    """
    if not isinstance(config, ImageConfig):
        raise TypeError(f"config must be a nets.ImageConfig, got {type(config).__name__}")
    xtr, ytr = flowers_tensors(
        "train", config.image_size, mode=mode, subset=config.subset, root=root
    )
    xte, yte = flowers_tensors("val", config.image_size, mode=mode, root=root)
    aug_gen = torch.Generator().manual_seed(config.seed * 2 + 1)
    shuffle_gen = torch.Generator().manual_seed(config.seed * 2)
    train_loader = torch.utils.data.DataLoader(
        AugmentedImages(xtr, ytr, config.augment, max(1, config.image_size // 16), aug_gen),
        batch_size=config.batch_size,
        shuffle=True,
        generator=shuffle_gen,
        num_workers=0,
    )
    test_loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(xte, yte), batch_size=128, shuffle=False, num_workers=0
    )
    return train_loader, test_loader


# ----------------------------------------------------------------------------- the config
IMAGE_ARCHS = ("flowers_cnn", "resnet18")


@register
@dataclasses.dataclass(frozen=True)
class ImageConfig(NetConfig):
    """Everything that determines a trained tf_flowers classifier (the key of ``train_or_load``).

    ``arch``: ``"flowers_cnn"`` (:func:`flowers_cnn` with ``channels``, from scratch) or
    ``"resnet18"`` (:func:`resnet18_imagenet`, ImageNet weights, fine-tuned); ``image_size``: side
    of the square input; data: ``dataset`` (``"flowers"``), ``subset`` (training images or
    ``None``), ``augment`` (random horizontal flips and +-``image_size // 16`` pixel shifts); the
    budget of :class:`helpers.nets.NetConfig`. Different fields from a Network-audio-1 config, so
    the keys never collide.
    """

    archs = IMAGE_ARCHS
    datasets = ("flowers",)

    arch: str = "flowers_cnn"
    dataset: str = "flowers"
    epochs: int = 15
    lr: float = 3e-3
    weight_decay: float = 5e-4
    channels: tuple = (16, 32, 64, 128)
    image_size: int = 64
    n_classes: int = 5
    augment: bool = True

    def validate(self) -> None:
        self._set("channels", int_tuple(self.channels, "channels"))
        checks.integer(self.image_size, "image_size", 8)
        checks.integer(self.n_classes, "n_classes", 2)
        checks.boolean(self.augment, "augment")
        if self.arch == "flowers_cnn" and self.image_size % 2 ** len(self.channels):
            raise ValueError(
                f"image_size must be divisible by 2**len(channels) = "
                f"{2 ** len(self.channels)}, got {self.image_size}"
            )

    def short(self) -> str:
        what = "x".join(map(str, self.channels)) if self.arch == "flowers_cnn" else "imagenet"
        return f"{self.arch} {what} {self.image_size}px {self.dataset} seed{self.seed}"

    def build(self) -> nn.Module:
        """The untrained network (from torch's global generator: seed first)."""
        if self.arch == "flowers_cnn":
            return flowers_cnn(self.channels, self.n_classes)
        return resnet18_imagenet(self.n_classes)

    def loaders(self, root=None, mode: str | None = None):
        """:func:`flowers_loaders` (``mode``: which copy of tf_flowers, default the run's)."""
        return flowers_loaders(self, root=root, mode=mode)


def flowers_config(mode: str | None = None, **overrides) -> ImageConfig:
    """Chapter 8's tf_flowers classifier for a run mode (``None``: ``runtime.resolve_mode()``).

    Quick: :func:`flowers_cnn` (16-32-64-128 channels) from scratch at 64 px, 15 epochs, Adam with
    a one-cycle schedule. Full: ImageNet ResNet-18 fine-tuned at 160 px, 8 epochs, lr 1e-3.
    """
    full = dict(arch="resnet18", image_size=160, epochs=8, lr=1e-3)
    base = {} if runtime.resolve_mode(mode) == "quick" else full
    return ImageConfig(**{**base, **overrides})
