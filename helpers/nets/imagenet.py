"""torchvision's ImageNet ResNets, as chapter 5 uses them (Wu et al. 2022, sec 5.1.1).

* :func:`imagenet_resnet` -- a torchvision ResNet (He et al. 2016) with 1000 ImageNet outputs:
  untrained (``weights=None``, initialised from a seed: the paper's forward-propagation network) or
  with torchvision's pretrained ImageNet weights (downloaded by torchvision, which checks the file's
  sha256 prefix; the trained control of full mode).
* :func:`imagenet_transform` -- resize, centre crop, ``[0, 1]`` tensor and ImageNet normalisation:
  what such a network is fed.

No configuration or cache: an untrained network is rebuilt from its seed in a second, and a
pretrained one lives in torch's hub cache.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict

import torch
from torch import nn

from .. import checks, runtime
from . import NetConfig, register
from .image import IMAGENET_MEAN, IMAGENET_STD, weights_file

__all__ = [
    "imagenet_resnet",
    "imagenet_transform",
    "imagenet_categories",
    "RESNET_DEPTHS",
    "AlexNetBN",
    "alexnet_bn",
    "FIVE_CNNS",
    "DISPLAY_NAMES",
    "ImagenetteConfig",
    "imagenette_tensors",
    "imagenette_loaders",
    "shuffled_labels",
    "imagenet_normalize",
    "FIVE_CNN_BUDGETS",
    "five_cnn_config",
]

RESNET_DEPTHS = (18, 34, 50, 101, 152)


def imagenet_resnet(
    depth: int = 152, pretrained: bool = False, seed: int | None = None
) -> nn.Module:
    """torchvision's ``resnet<depth>``, in eval mode.

    ``pretrained=False``: ``weights=None``, built after ``runtime.seed_everything(seed)`` when a
    seed is given, so the same seed gives the same network (torchvision's initialisation: Kaiming
    normal convolutions, batch norm weight 1 and bias 0, running mean 0 and variance 1).
    ``pretrained=True``: ``ResNet<depth>_Weights.IMAGENET1K_V1``, which torchvision downloads into
    its hub cache with ``check_hash=True`` (the file name carries a sha256 prefix); offline and not
    cached, a ``RuntimeError`` says what to do. In a smoke run the weights are read only when
    already in the hub cache; otherwise the network keeps a random initialisation and a printed
    note says so (a real run never falls back to random weights).
    """
    depth = checks.integer(depth, "depth")
    if depth not in RESNET_DEPTHS:
        raise ValueError(f"depth must be one of {RESNET_DEPTHS}, got {depth}")
    pretrained = checks.boolean(pretrained, "pretrained")
    from torchvision import models

    build = getattr(models, f"resnet{depth}")
    if not pretrained:
        if seed is not None:
            runtime.seed_everything(checks.integer(seed, "seed", minimum=0))
        return build(weights=None).eval()
    weights = getattr(models, f"ResNet{depth}_Weights").IMAGENET1K_V1
    if runtime.smoke_active() and not weights_file(weights.url).is_file():
        runtime.smoke_note(
            f"the ImageNet weights of ResNet-{depth} ({weights.url}) are not in torch's hub cache "
            "and a smoke run downloads nothing: the network keeps its random initialisation"
        )
        return build(weights=None).eval()
    try:
        return build(weights=weights).eval()
    except Exception as err:  # noqa: BLE001 - any download/cache failure means the same thing here
        raise RuntimeError(
            f"imagenet_resnet(pretrained=True) needs torchvision's weights {weights} "
            f"({weights.url}); they could not be loaded ({type(err).__name__}: {err}). Run once "
            "with internet access (e.g. on Colab) or put the file in $TORCH_HOME/hub/checkpoints."
        ) from err


def imagenet_categories() -> list[str]:
    """The 1,000 ImageNet class names in the order of torchvision's classifier outputs (from the
    weights' metadata; nothing is downloaded)."""
    from torchvision.models import ResNet152_Weights

    return list(ResNet152_Weights.IMAGENET1K_V1.meta["categories"])


def imagenet_transform(size: int = 224):
    """``Resize(size)`` (shorter side, bilinear with antialiasing), ``CenterCrop(size)``,
    ``ToTensor`` (``[0, 1]``) and ``Normalize`` with the ImageNet means and standard deviations."""
    size = checks.integer(size, "size", minimum=8)
    from torchvision import transforms

    return transforms.Compose(
        [
            transforms.Resize(size, antialias=True),
            transforms.CenterCrop(size),
            transforms.ToTensor(),
            transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
        ]
    )


# ---------------------------------------------------------------------------------------------
# the five CNNs of sec 5.1.2 (fig 21), trained from scratch on ten ImageNet classes (Imagenette)
# ---------------------------------------------------------------------------------------------
class AlexNetBN(nn.Module):
    """AlexNet (Krizhevsky et al. 2012, in torchvision's single-tower form) with batch norm after
    each of its five convolutions: the paper's "AlexNet_bn" (torchvision has no such model).

    ``features``: ``conv1`` (11 x 11, stride 4, padding 2) - ``bn1`` - ``relu1`` - ``pool1`` (3 x
    3, stride 2), ``conv2`` (5 x 5, padding 2) - ``bn2`` - ``relu2`` - ``pool2``, ``conv3``,
    ``conv4``, ``conv5`` (3 x 3, padding 1; each with its ``bnN`` and ``reluN``), ``pool5``; then
    ``avgpool`` (adaptive, 6 x 6) and ``classifier`` (dropout, ``Linear``, ReLU, dropout,
    ``Linear``, ReLU, ``Linear``). Channels 64-192-384-256-256 and hidden width 4,096 times
    ``width`` (rounded, at least 1). At 224 px the last feature map (``pool5``) is 6 x 6; at 64 px
    it is 1 x 1, which is why chapter 6 reads the spectra of earlier stages at small sizes.
    """

    CHANNELS = (64, 192, 384, 256, 256)
    HIDDEN = 4096

    def __init__(self, n_classes: int = 1000, width: float = 1.0, dropout: float = 0.5):
        super().__init__()
        c = [max(1, round(ch * width)) for ch in self.CHANNELS]
        hidden = max(1, round(self.HIDDEN * width))
        spec = [(11, 4, 2), (5, 1, 2), (3, 1, 1), (3, 1, 1), (3, 1, 1)]
        layers: "OrderedDict[str, nn.Module]" = OrderedDict()
        c_in = 3
        for i, ((k, stride, pad), c_out) in enumerate(zip(spec, c), 1):
            layers[f"conv{i}"] = nn.Conv2d(c_in, c_out, k, stride=stride, padding=pad)
            layers[f"bn{i}"] = nn.BatchNorm2d(c_out)
            layers[f"relu{i}"] = nn.ReLU()
            if i in (1, 2, 5):
                layers[f"pool{i}"] = nn.MaxPool2d(3, stride=2)
            c_in = c_out
        self.features = nn.Sequential(layers)
        self.avgpool = nn.AdaptiveAvgPool2d(6)
        self.classifier = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(c_in * 36, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def alexnet_bn(n_classes: int = 1000, width: float = 1.0, dropout: float = 0.5) -> AlexNetBN:
    """:class:`AlexNetBN` with checked arguments (``width`` in (0, 1]: channel multiplier)."""
    n_classes = checks.integer(n_classes, "n_classes", 2)
    width = checks.real(width, "width", above=0.0, maximum=1.0)
    dropout = checks.real(dropout, "dropout", minimum=0.0, maximum=1.0)
    return AlexNetBN(n_classes, width, dropout)


#: the paper's five CNNs (sec 5.1.2, fig 21), by the book's arch names
#: (``resnet18`` is taken by chapter 8's fine-tuned ResNet-18, hence ``_scratch``)
FIVE_CNNS = ("alexnet_bn", "vgg19_bn", "resnet18_scratch", "resnet152_scratch", "resnext50_scratch")
_TORCHVISION_NAMES = {
    "vgg19_bn": "vgg19_bn",
    "resnet18_scratch": "resnet18",
    "resnet152_scratch": "resnet152",
    "resnext50_scratch": "resnext50_32x4d",
}
#: how the text names them
DISPLAY_NAMES = {
    "alexnet_bn": "AlexNet-BN",
    "vgg19_bn": "VGG-19-BN",
    "resnet18_scratch": "ResNet-18",
    "resnet152_scratch": "ResNet-152",
    "resnext50_scratch": "ResNeXt-50",
}
LABELS = ("true", "shuffled")


def imagenette_tensors(split: str, image_size: int, mode=None, subset=None, root=None, seed=0):
    """Imagenette decoded once per process on the 8-bit grid (:func:`.image.image_tensors`):
    ``(images uint8 (N, 3, S, S), labels int64 (N,), description)``."""
    from .image import image_tensors

    return image_tensors("imagenette", split, image_size, mode, subset, root, seed)


def imagenet_normalize(images) -> torch.Tensor:
    """uint8 images ``(N, 3, H, W)`` (or float in [0, 1]) as a network of this module takes
    them: ``k / 255``, then the ImageNet means and standard deviations per channel (float32)."""
    if isinstance(images, torch.Tensor) and images.dtype == torch.uint8:
        x = images.float().div(255.0)
    else:
        x = checks.tensor(images, "images", allow_complex=False, min_ndim=4).float()
    if x.ndim < 4 or x.shape[-3] != 3:
        raise ValueError(
            f"images must be (N, 3, H, W) with 3 colour channels, got shape {tuple(x.shape)}"
        )
    mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(3, 1, 1)
    return (x - mean) / std


def shuffled_labels(labels: torch.Tensor, seed: int) -> torch.Tensor:
    """``labels`` in a random order drawn from ``seed`` (Zhang et al. 2017's random-label
    control: the class counts are kept, every link between an image and its class is cut)."""
    checks.instance(labels, "labels", torch.Tensor, "an integer tensor of class labels")
    if labels.dtype.is_floating_point or labels.dtype.is_complex or labels.ndim != 1:
        raise TypeError(
            f"labels must be a 1-D integer tensor, got {labels.dtype} {tuple(labels.shape)}"
        )
    g = torch.Generator().manual_seed(checks.integer(seed, "seed", 0) * 7919 + 17)
    return labels[torch.randperm(len(labels), generator=g)]


@register
@dataclasses.dataclass(frozen=True)
class ImagenetteConfig(NetConfig):
    """One of the paper's five CNNs trained from scratch on Imagenette (ten ImageNet classes).

    ``arch``: one of :data:`FIVE_CNNS` (torchvision's architecture with ``weights=None`` and
    ``num_classes=10``, or :func:`alexnet_bn`); ``width``: channel multiplier of ``alexnet_bn``
    (the others are built at torchvision's width, 1.0); ``image_size``: side of the square input;
    ``labels``: ``"true"``, or ``"shuffled"`` (the training labels permuted once from ``seed``:
    a network that can only memorise; its test labels stay true, so its test accuracy is near
    chance); ``augment``: random flips and +-``image_size // 16`` pixel shifts; ``subset``:
    training images (``None``: the mode's default). Images are normalised with the ImageNet means
    and standard deviations before the network, as for ``imagenet_resnet``, so a network of this
    family takes what :func:`imagenet_transform` gives.
    """

    archs = FIVE_CNNS
    datasets = ("imagenette",)

    arch: str = "resnet18_scratch"
    dataset: str = "imagenette"
    epochs: int = 8
    lr: float = 2e-3
    weight_decay: float = 5e-4
    image_size: int = 64
    width: float = 1.0
    labels: str = "true"
    augment: bool = True
    n_classes: int = 10

    def validate(self) -> None:
        checks.integer(self.image_size, "image_size", 32)
        self._set("width", checks.real(self.width, "width", above=0.0, maximum=1.0))
        if self.arch != "alexnet_bn" and self.width != 1.0:
            raise ValueError(f"width applies to alexnet_bn only; {self.arch} is built at 1.0")
        if self.arch == "alexnet_bn" and self.image_size < 63:
            raise ValueError(
                f"image_size must be at least 63 for alexnet_bn (its pool5 needs a 3 x 3 map), "
                f"got {self.image_size}"
            )
        self._set("labels", checks.choice(self.labels, "labels", LABELS))
        checks.boolean(self.augment, "augment")
        checks.integer(self.n_classes, "n_classes", 2)

    def short(self) -> str:
        w = f" x{self.width:g}" if self.width != 1.0 else ""
        lab = " shuffled labels" if self.labels == "shuffled" else ""
        return f"{self.arch}{w} {self.image_size}px {self.dataset}{lab} seed{self.seed}"

    def build(self) -> nn.Module:
        """The untrained network (from torch's global generator: seed first)."""
        if self.arch == "alexnet_bn":
            return alexnet_bn(self.n_classes, self.width)
        from torchvision import models

        return getattr(models, _TORCHVISION_NAMES[self.arch])(
            weights=None, num_classes=self.n_classes
        )

    def loaders(self, root=None, mode: str | None = None):
        """:func:`imagenette_loaders`."""
        return imagenette_loaders(self, root=root, mode=mode)


def imagenette_loaders(config: ImagenetteConfig, root=None, mode: str | None = None):
    """``(train_loader, test_loader)`` of an :class:`ImagenetteConfig`: the ``train`` split
    (``config.subset`` images, or the mode's default), labels shuffled when the config says so,
    augmented and shuffled with generators seeded from ``config.seed``; the ``val`` split as
    stored, in order. Both normalised with the ImageNet statistics, item by item."""
    from .image import AugmentedImages

    checks.instance(config, "config", ImagenetteConfig, "a nets.ImagenetteConfig")
    xtr, ytr, _ = imagenette_tensors(
        "train", config.image_size, mode, config.subset, root, config.seed
    )
    xte, yte, _ = imagenette_tensors("val", config.image_size, mode, None, root)
    if config.labels == "shuffled":
        ytr = shuffled_labels(ytr, config.seed)
    norm = dict(mean=IMAGENET_MEAN, std=IMAGENET_STD)
    train = AugmentedImages(
        xtr,
        ytr,
        config.augment,
        max(1, config.image_size // 16),
        torch.Generator().manual_seed(config.seed * 2 + 1),
        **norm,
    )
    train_loader = torch.utils.data.DataLoader(
        train,
        batch_size=config.batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(config.seed * 2),
        num_workers=0,
    )
    test = AugmentedImages(xte, yte, augment=False, shift=0, **norm)
    test_loader = torch.utils.data.DataLoader(test, batch_size=100, shuffle=False)
    return train_loader, test_loader


#: chapter 6's budgets: (image_size, training images, {arch: epochs}) per mode; the quick
#: AlexNet-BN is built at a quarter of its width (its two 4,096-wide hidden layers dominate
#: its cost at 64 px)
FIVE_CNN_BUDGETS = {
    "quick": dict(
        image_size=64,
        subset=400,
        epochs={"alexnet_bn": 12, "resnet18_scratch": 4},
        width={"alexnet_bn": 0.25},
    ),
    "full": dict(
        image_size=224,
        subset=2000,
        epochs={
            "alexnet_bn": 20,
            "vgg19_bn": 8,
            "resnet18_scratch": 10,
            "resnet152_scratch": 6,
            "resnext50_scratch": 8,
        },
        width={},
    ),
}


def five_cnn_config(arch: str, mode: str | None = None, **overrides) -> ImagenetteConfig:
    """Chapter 6's configuration of one of the five CNNs for a run mode (``None``:
    ``runtime.resolve_mode()``), from :data:`FIVE_CNN_BUDGETS`: quick 64 px, 400 training images
    (40 per class), AlexNet-BN at width 0.25; full 224 px (the paper's size), 2,000 training
    images. A smoke run keeps the full mode's epochs (the trainer clamps them) at 64 px on the
    smoke subset. Chapter 5 loads the quick ResNet-18 of seed 0 as its trained control."""
    arch = checks.choice(arch, "arch", FIVE_CNNS)
    mode = runtime.resolve_mode(mode)
    budget = FIVE_CNN_BUDGETS[mode]
    if arch not in budget["epochs"]:
        raise ValueError(
            f"{arch} has no {mode}-mode budget in chapter 6 (it runs in full mode only)"
        )
    fields = dict(
        arch=arch,
        image_size=budget["image_size"],
        subset=budget["subset"],
        epochs=budget["epochs"][arch],
        width=budget["width"].get(arch, 1.0),
    )
    if runtime.smoke_active():
        fields.update(image_size=64, subset=None)
    return ImagenetteConfig(**{**fields, **overrides})
