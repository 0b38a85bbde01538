"""Small CNNs for MNIST-sized grey images, and MNIST as standardised tensors.

* :class:`SmallCNN2d` (:func:`small_cnn_2d`) -- the small VGG-style image CNN whose 2-D conv layers
  chapter 2 reads as 2-D multi-carrier MIMO modulators.
* :class:`VolterraMNISTCNN` (:func:`volterra_mnist_cnn`) -- the 4-layer convolutional net of Li et
  al. (2021) that chapter 10 expands into Volterra kernels.
* :func:`mnist_tensors` -- MNIST standardised with :data:`MNIST_MEAN` / :data:`MNIST_STD`;
  :class:`MNISTConfig` (:func:`mnist_config`) -- a trained Volterra CNN, cached by
  ``helpers.train.train_or_load``.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict

import torch
from torch import nn

from .. import checks, data, runtime
from . import NetConfig, int_tuple, register
from .audio import ACTIVATIONS

__all__ = [
    "SMALL_CNN_2D_CFG",
    "SmallCNN2d",
    "small_cnn_2d",
    "MNIST_MEAN",
    "MNIST_STD",
    "VolterraMNISTCNN",
    "volterra_mnist_cnn",
    "standardise_mnist",
    "mnist_tensors",
    "MNISTConfig",
    "mnist_config",
]

#: The small image CNN of chapter 2: two 3x3 convolutions at full resolution, a pool, one more,
#: a pool.
SMALL_CNN_2D_CFG = (8, 16, "M", 32, "M")


class SmallCNN2d(nn.Module):
    """A small VGG-style CNN for images ``(B, C, H, W)``: named ``features`` and ``classifier``.

    Build it with :func:`small_cnn_2d`. Layers are named like ``VGG1d``'s (``features.conv1``,
    ``features.bn1``, ``features.act1``, ``features.conv2``, ..., ``features.pool1``, ...), so the
    probes address them the same way; the head flattens the last feature map into one linear layer.
    """

    def __init__(
        self,
        cfg,
        image_size: int,
        activation: str,
        batch_norm: bool,
        n_classes: int,
        in_channels: int,
    ):
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


def small_cnn_2d(
    channels=SMALL_CNN_2D_CFG,
    image_size: int = 28,
    activation: str = "relu",
    batch_norm: bool = True,
    n_classes: int = 10,
    in_channels: int = 1,
) -> SmallCNN2d:
    """A small image CNN whose 2-D conv layers chapter 2 reads as 2-D multi-carrier MIMO modulators.

    Paper 001 (section 3.1.3) leaves its 2-D example to a supplement we do not have; this network is
    our stand-in, small enough to train on MNIST in one CPU epoch. 3x3 convolutions with padding 1
    (size-preserving, so a conv's input and output spectra share one frequency grid), optional
    batch norm, the activation, 2x2 max pooling at each ``"M"``, then flatten + one linear layer.

    Args:
        channels: VGG-style configuration, ints (conv output channels) and ``"M"`` (pool);
            default :data:`SMALL_CNN_2D_CFG` = ``(8, 16, "M", 32, "M")``.
        image_size: side of the square input (28 for MNIST), for the size of the linear head.
        activation: one of ``ACTIVATIONS``.
        batch_norm: batch norm after each convolution.
        n_classes, in_channels: output size and input channels (1 for grey images).

    Returns:
        A :class:`SmallCNN2d` initialised from torch's global generator (seed it first).
    """
    channels = int_tuple(channels, "channels", allow=("M",))
    if not any(v != "M" for v in channels):
        raise ValueError(
            f"channels must contain at least one convolution (an int), got {channels!r}"
        )
    image_size = checks.integer(image_size, "image_size", 1)
    activation = checks.choice(activation, "activation", ACTIVATIONS)
    batch_norm = checks.boolean(batch_norm, "batch_norm")
    n_classes = checks.integer(n_classes, "n_classes", 2)
    in_channels = checks.integer(in_channels, "in_channels", 1)
    return SmallCNN2d(channels, image_size, activation, batch_norm, n_classes, in_channels)


# ----------------------------------------------------------------- the Volterra MNIST CNN
#: MNIST standardisation used with :func:`volterra_mnist_cnn` (training-set pixel mean and std).
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


class VolterraMNISTCNN(nn.Module):
    """The 4-layer convolutional net of Li et al. (2021, MNIST experiment), made trainable here.

    ``features``: ``conv1 act1 conv2 act2 conv3 act3 conv4 [act4]``, every conv 3x3 with
    ``channels`` outputs and padding 1, strides 2, 2, 2, 1 (receptive fields 3, 7, 15, 31); the
    head is the spatial mean of the last feature map's ``n_classes = channels`` channels (the
    logits). Layer ``k`` means ``conv_k`` followed by ``act_k``; :meth:`first` / :meth:`rest` split
    the net there. Inputs are standardised MNIST digits ``(x - MNIST_MEAN) / MNIST_STD``. The last
    layer has no activation unless ``last_activation=True``: a sigmoid after the spatial mean kept
    the net at chance (measured when chapter 10 was planned), and one after the last convolution
    trained to 57-71 % in 10 epochs where the net without it reached 90-92 % (chapter 10's trials).
    """

    def __init__(
        self,
        channels: int,
        kernel_size: int,
        strides,
        activation: str,
        last_activation: bool,
        in_channels: int,
    ):
        super().__init__()
        layers: "OrderedDict[str, nn.Module]" = OrderedDict()
        c_in = in_channels
        for i, s in enumerate(strides, start=1):
            layers[f"conv{i}"] = nn.Conv2d(
                c_in, channels, kernel_size, stride=s, padding=kernel_size // 2
            )
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
        return self.features[: self._cut(k)]

    def rest(self, k: int) -> nn.Module:
        """Layers k+1..end and the head: ``net(x) == net.rest(k)(net.first(k)(x))``."""
        tail = self.features[self._cut(k) :]
        return nn.Sequential(tail, _SpatialMean())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x).mean(dim=(2, 3))


class _SpatialMean(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3))


def volterra_mnist_cnn(
    channels: int = 10,
    kernel_size: int = 3,
    strides=(2, 2, 2, 1),
    activation: str = "sigmoid",
    last_activation: bool = False,
    in_channels: int = 1,
) -> VolterraMNISTCNN:
    """The MNIST CNN of Li et al. (2021) used in chapter 10: see :class:`VolterraMNISTCNN`.

    Defaults: 10 channels, 3x3 kernels, strides (2, 2, 2, 1), sigmoid activations, none after the
    last convolution. Initialised from torch's global generator (seed it first).
    """
    channels = checks.integer(channels, "channels", 2)
    kernel_size = checks.integer(kernel_size, "kernel_size", 1)
    strides = int_tuple(strides, "strides")
    activation = checks.choice(activation, "activation", ACTIVATIONS)
    last_activation = checks.boolean(last_activation, "last_activation")
    in_channels = checks.integer(in_channels, "in_channels", 1)
    return VolterraMNISTCNN(
        channels, kernel_size, strides, activation, last_activation, in_channels
    )


# ----------------------------------------------------------------------------------- data
def standardise_mnist(ds):
    """``(images float32 (N, 1, 28, 28), labels int64 (N,))`` of an MNIST dataset of the data
    layer, each pixel ``(x / 255 - MNIST_MEAN) / MNIST_STD``."""
    return ((ds.data.float() / 255 - MNIST_MEAN) / MNIST_STD)[:, None], ds.targets


def mnist_tensors(
    split: str = "train", subset: int | None = None, mode: str | None = None, root=None
):
    """MNIST digits standardised (:func:`standardise_mnist`) from ``helpers.data.load("mnist",
    split, mode, subset, root)`` (``subset``: the data layer's fixed, class-stratified subset;
    ``None``: the mode's default, everything in full mode)."""
    return standardise_mnist(data.load("mnist", split=split, mode=mode, subset=subset, root=root))


@register
@dataclasses.dataclass(frozen=True)
class MNISTConfig(NetConfig):
    """A trained :func:`volterra_mnist_cnn` (chapter 10): its architecture, data and budget.

    Architecture: ``channels``, ``kernel_size``, ``strides``, ``activation``, ``last_activation``
    (:func:`volterra_mnist_cnn`). Data: ``subset`` training digits and ``test_subset`` test digits
    (``None``: all; fixed class-stratified subsets of the data layer), standardised
    (:func:`mnist_tensors`); training batches shuffled by a generator seeded with ``seed``. Trained
    on one CPU thread (``cpu_threads``: a network this small trains fastest so).
    """

    archs = ("volterra_mnist_cnn",)
    datasets = ("mnist",)
    cpu_threads = 1

    arch: str = "volterra_mnist_cnn"
    dataset: str = "mnist"
    epochs: int = 8
    batch_size: int = 64
    lr: float = 2e-2
    test_subset: int | None = None
    channels: int = 10
    kernel_size: int = 3
    strides: tuple = (2, 2, 2, 1)
    activation: str = "sigmoid"
    last_activation: bool = False

    def validate(self) -> None:
        if self.test_subset is not None:
            checks.integer(self.test_subset, "test_subset", 1)
        checks.integer(self.channels, "channels", 2)
        checks.integer(self.kernel_size, "kernel_size", 1)
        self._set("strides", int_tuple(self.strides, "strides"))
        self._set("activation", checks.choice(self.activation, "activation", ACTIVATIONS))
        checks.boolean(self.last_activation, "last_activation")

    @property
    def n_classes(self) -> int:
        """The logits are the last layer's channels."""
        return self.channels

    def short(self) -> str:
        n = "all" if self.subset is None else f"{self.subset:,}"
        return f"{self.arch} {self.activation} {n} digits seed{self.seed}"

    def build(self) -> VolterraMNISTCNN:
        return volterra_mnist_cnn(
            self.channels, self.kernel_size, self.strides, self.activation, self.last_activation
        )

    def loaders(self, root=None, mode: str | None = None):
        """Standardised MNIST (:func:`mnist_tensors`): the training digits shuffled with a
        generator seeded by ``seed``, the test digits in order, batches of 1,000 (``mode`` is not
        used: ``subset`` and ``test_subset`` name the data)."""
        x, y = mnist_tensors("train", self.subset, mode="full", root=root)
        x_test, y_test = mnist_tensors("test", self.test_subset, mode="full", root=root)
        from . import tensor_loader

        train = tensor_loader(x, y, self.batch_size, shuffle=True, seed=self.seed)
        return train, tensor_loader(x_test, y_test, 1000)


#: Chapter 10's MNIST network in quick mode: 20,000 training digits, the 2,000-digit quick test set.
MNIST_QUICK = dict(subset=20_000, test_subset=2_000, epochs=8)
#: ... and in full mode: all 60,000 / 10,000 digits, 10 epochs.
MNIST_FULL = dict(subset=None, test_subset=None, epochs=10)


def mnist_config(mode: str | None = None, **overrides) -> MNISTConfig:
    """Chapter 10's trained MNIST network for a run mode (``None``: ``runtime.resolve_mode()``).

    Quick: :data:`MNIST_QUICK`; full: :data:`MNIST_FULL`; both Adam with a one-cycle schedule
    peaking at 2e-2, batches of 64. ``overrides`` change any field (``seed``, ``activation``, ...).
    """
    base = MNIST_QUICK if runtime.resolve_mode(mode) == "quick" else MNIST_FULL
    return MNISTConfig(**{**base, **overrides})


__all__ += ["MNIST_QUICK", "MNIST_FULL"]
