"""The book's networks, by family: one configuration type, one registry, one module per family.

* :class:`NetConfig` -- everything that determines a trained network, as a frozen dataclass: the
  architecture (``arch``), the data (``dataset``, ``subset``), what training minimises and reports
  (``loss``, ``metric``: names that ``helpers.train`` looks up), the budget (``epochs``,
  ``batch_size``, ``lr``, ``optimizer``, ``weight_decay``, ``schedule``), ``seed`` and ``version``.
  ``key()`` is the sha256 of its canonical JSON (the checkpoint's file name in
  ``helpers.train.train_or_load``); ``build()`` makes the untrained network and ``loaders()`` its
  ``(train_loader, test_loader)``, so the trainer needs to know nothing about any family.
* Families subclass it, adding only their own architecture and data fields, and add themselves to
  the registry with :func:`register`:

  - :mod:`helpers.nets.audio` -- Network-audio-1, a VGG-11 for 1-D audio (:class:`AudioConfig`,
    FSDD and UrbanSound8K crops);
  - :mod:`helpers.nets.image` -- image classifiers for tf_flowers (:class:`ImageConfig`: a small
    CNN from scratch, ImageNet ResNet-18 fine-tuned);
  - :mod:`helpers.nets.mnist` -- small CNNs on MNIST (:class:`MNISTConfig`: the Volterra CNN of
    Li et al. 2021; :func:`small_cnn_2d`);
  - :mod:`helpers.nets.imagenet` -- torchvision's ImageNet ResNets (chapter 5) and the five CNNs
    of chapter 6 trained from scratch on Imagenette (:class:`ImagenetteConfig`, AlexNet-BN);
  - :mod:`helpers.nets.segmentation` -- chapter 7's reconstructed Network-image-4 and -5
    (:class:`SegConfig`, Penn-Fudan);
  - :mod:`helpers.nets.robust` -- chapter 9's standard, Gaussian-augmented and adversarially
    trained classifiers in pixel space (:class:`RobustConfig`: MNIST small CNN, CIFAR-10 ResNet).

  A new family (e.g. segmentation) is a new module that defines its config class with
  ``archs``/``datasets`` and decorates it with ``@register``; it is imported at the end of this
  file so that :func:`family` finds it.

This package imports nothing from ``helpers.train``, ``helpers.book`` or ``helpers.claims``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import ClassVar

from .. import checks

__all__ = ["NetConfig", "register", "family", "config", "from_dict", "REGISTRY", "int_tuple"]

#: arch name -> the config class (family) that builds it; filled by :func:`register`.
REGISTRY: dict[str, type] = {}


def register(cls):
    """Class decorator: add a :class:`NetConfig` subclass to :data:`REGISTRY` (its ``archs``)."""
    if not (isinstance(cls, type) and issubclass(cls, NetConfig)):
        raise TypeError(f"register takes a NetConfig subclass, got {cls!r}")
    if not cls.archs or not cls.datasets:
        raise ValueError(f"{cls.__name__} must name its archs and datasets (class attributes)")
    for arch in cls.archs:
        owner = REGISTRY.get(arch)
        if owner is not None and owner.__qualname__ != cls.__qualname__:
            raise ValueError(f"arch {arch!r} is already registered by {owner.__name__}")
        REGISTRY[arch] = cls
    return cls


def family(arch: str) -> type:
    """The config class that builds ``arch`` (ValueError naming the unknown arch otherwise)."""
    return REGISTRY[checks.choice(arch, "arch", REGISTRY)]


def config(arch: str, **fields) -> "NetConfig":
    """A configuration of ``arch`` from its family, e.g. ``config("vgg11_1d", width=0.5)``."""
    return family(arch)(arch=arch, **fields)


def from_dict(d: dict) -> "NetConfig":
    """The configuration whose :meth:`NetConfig.to_dict` is ``d`` (family from ``d["arch"]``)."""
    if not isinstance(d, dict) or "arch" not in d:
        raise TypeError(f"d must be a dict of config fields with an 'arch', got {d!r}")
    return family(d["arch"]).from_dict(d)


def int_tuple(value, name: str, minimum: int = 1, allow=()) -> tuple:
    """A non-empty tuple (or list) of ints >= ``minimum`` (entries in ``allow`` pass as they are),
    as a tuple: the channel lists and strides of the families."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)) or not value:
        raise TypeError(f"{name} must be a non-empty tuple of ints, got {value!r}")
    return tuple(v if v in allow else checks.integer(v, f"{name} entries", minimum) for v in value)


@dataclasses.dataclass(frozen=True)
class NetConfig:
    """What determines a trained network; a family subclass adds its architecture and data fields.

    Class attributes of a family: ``archs`` (the architectures it builds) and ``datasets`` (the
    data its :meth:`loaders` read); ``cpu_threads`` (torch threads for training on the CPU,
    ``None``: leave as is); ``track_test`` (``train.train_or_load`` evaluates the test split
    after every epoch, for learning curves). ``_key_optional`` maps fields added after networks
    were cached to the value at which they are left out of the JSON, so the keys of those
    networks stay valid (``loss`` and ``metric`` at their defaults are left out: every network
    cached before they existed was trained with cross-entropy and judged by accuracy).
    """

    archs: ClassVar[tuple] = ()
    datasets: ClassVar[tuple] = ()
    cpu_threads: ClassVar[int | None] = None
    track_test: ClassVar[bool] = False
    _key_optional: ClassVar[dict] = {"loss": "cross_entropy", "metric": "accuracy"}

    arch: str = ""
    dataset: str = ""
    seed: int = 0
    subset: int | None = None
    epochs: int = 1
    batch_size: int = 32
    lr: float = 1e-3
    optimizer: str = "adam"
    weight_decay: float = 0.0
    schedule: str = "onecycle"
    loss: str = "cross_entropy"
    metric: str = "accuracy"
    version: int = 1

    def __post_init__(self):
        # validate (and normalise) once, so that a bad config fails before any training
        self._set("arch", checks.choice(self.arch, "arch", self.archs))
        self._set("dataset", checks.choice(self.dataset, "dataset", self.datasets))
        checks.integer(self.seed, "seed", 0)
        if self.subset is not None:
            checks.integer(self.subset, "subset", 1)
        checks.integer(self.epochs, "epochs", 0)
        checks.integer(self.batch_size, "batch_size", 1)
        checks.integer(self.version, "version", 0)
        self._set("lr", checks.positive(self.lr, "lr"))
        self._set("weight_decay", checks.real(self.weight_decay, "weight_decay"))
        if self.weight_decay < 0:
            raise ValueError(f"weight_decay must be a number >= 0, got {self.weight_decay}")
        self._set("optimizer", checks.choice(self.optimizer, "optimizer", ("adam", "sgd")))
        self._set("schedule", checks.choice(self.schedule, "schedule", ("onecycle", "constant")))
        for name in ("loss", "metric"):  # names of helpers.train.LOSSES / METRICS
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise TypeError(
                    f"{name} must be a name (str) of helpers.train's table, got {value!r}"
                )
        self.validate()

    def _set(self, name: str, value) -> None:
        object.__setattr__(self, name, value)

    def validate(self) -> None:
        """Check (and normalise with :meth:`_set`) the family's own fields; called on creation."""

    # ------------------------------------------------------------------ identity
    def to_dict(self) -> dict:
        """The fields as a dict, without optional fields at their "absent" value
        (``_key_optional``)."""
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

    # ------------------------------------------------------------------ what a family provides
    def short(self) -> str:
        """A human-readable label (families say more)."""
        return f"{self.arch} {self.dataset} seed{self.seed}"

    @property
    def n_outputs(self) -> int | None:
        """Number of classes (``1 / n_outputs`` is chance accuracy); ``None``: not a classifier."""
        return getattr(self, "n_classes", None)

    def build(self):
        """The untrained network (from torch's global generator: seed it first)."""
        raise NotImplementedError(f"{type(self).__name__} must define build()")

    def loaders(self, root=None, mode: str | None = None):
        """``(train_loader, test_loader)`` of the config's data (``root``: the data directory)."""
        raise NotImplementedError(f"{type(self).__name__} must define loaders()")

    def train_transform(self):
        """The per-batch training transform ``transform(model, inputs, targets) -> (inputs,
        targets)`` that ``helpers.train.train_or_load`` passes to ``fit(transform=)`` (e.g. noise
        augmentation or adversarial examples, :mod:`helpers.attacks`); ``None`` (the default):
        train on the batches as they come. Determined by the config's fields, so by its key."""
        return None


def dataset_loader(dataset, batch_size: int, shuffle: bool = False, seed: int = 0):
    """The DataLoader every family uses: batches of ``batch_size``; with ``shuffle``, the order
    drawn from a generator seeded by ``seed`` (so a config's seed fixes its batches)."""
    import torch

    batch_size = checks.integer(batch_size, "batch_size", 1)
    shuffle = checks.boolean(shuffle, "shuffle")
    seed = checks.integer(seed, "seed", 0)
    gen = torch.Generator().manual_seed(seed) if shuffle else None
    return torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, shuffle=shuffle, generator=gen
    )


def tensor_loader(x, y, batch_size: int, shuffle: bool = False, seed: int = 0):
    """:func:`dataset_loader` over the pairs ``(x[i], y[i])`` of two tensors of equal length."""
    import torch

    checks.instance(x, "x", torch.Tensor, "a tensor of inputs")
    checks.instance(y, "y", torch.Tensor, "a tensor of targets")
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    return dataset_loader(torch.utils.data.TensorDataset(x, y), batch_size, shuffle, seed)


__all__ += ["dataset_loader", "tensor_loader"]


# the families register themselves on import
from . import audio, feature_audio, image, imagenet, mnist, robust, segmentation  # noqa: E402
from .audio import *  # noqa: E402,F401,F403
from .feature_audio import *  # noqa: E402,F401,F403
from .image import *  # noqa: E402,F401,F403
from .imagenet import *  # noqa: E402,F401,F403
from .mnist import *  # noqa: E402,F401,F403
from .robust import *  # noqa: E402,F401,F403
from .segmentation import *  # noqa: E402,F401,F403

__all__ += (
    audio.__all__
    + feature_audio.__all__
    + image.__all__
    + imagenet.__all__
    + mnist.__all__
    + robust.__all__
    + segmentation.__all__
)
