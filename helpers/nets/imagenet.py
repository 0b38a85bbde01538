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

from torch import nn

from .. import checks, runtime
from .image import IMAGENET_MEAN, IMAGENET_STD, weights_file

__all__ = ["imagenet_resnet", "imagenet_transform", "RESNET_DEPTHS"]

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
