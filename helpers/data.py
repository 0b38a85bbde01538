"""Real datasets for the book: one entry point, :func:`load`.

``load(name, split, mode, subset, root, download, seed)`` returns a torch ``Dataset`` for one of
``fsdd``, ``urbansound8k``, ``mnist``, ``cifar10``, ``cifar10-sample``, ``flowers``,
``imagenette``, ``pennfudan``. Every returned dataset carries ``name``, ``split``, ``classes``,
``targets`` (int64 tensor) and ``source`` (where it was read from, with the path), so a chapter can
print what it used: ``print(describe(ds))``.

Where a dataset comes from, in this order (:func:`locate`):

1. the data directory: the ``root`` argument, else ``$CMT_DATA`` (read-only, laid out like
   ``../shared/data``; see ``sources(name)["layout"]``);
2. the user cache ``<cache>/datasets/<name>`` (``$CMT_CACHE``), filled earlier by step 3;
3. the canonical download into that cache, when ``download=True``. Downloads are verified (sha256,
   md5, content digest, md5s or counts; see each dataset) in a temporary folder that is renamed into
   place only when complete, so an interrupted or corrupt download leaves nothing behind;
4. otherwise :class:`DatasetUnavailable`, naming the dataset, its canonical source and how to
   provide it. A loader never substitutes synthetic or other data.

Quick mode (``runtime.resolve_mode(mode) == "quick"``) draws a default subset from the larger
sets; an explicit ``subset`` always wins, ``full`` mode uses everything. A smoke run
(``runtime.smoke_active()``, full mode with clamped budgets) reads what quick mode reads whatever
the mode: the copies present (data directory or cache; it never downloads) with the quick-mode
default subsets (flowers: 50 / 25, a smoke size of its own, since chapter 8 runs ResNet-18 at
160 px on them), and prints a line saying so. Quick defaults (train /
test-or-val): mnist 10,000 / 2,000; cifar10 10,000 / 2,000; flowers 500 / 125 and imagenette
800 / 300 (the size of the shared copies); fsdd, urbansound8k, cifar10-sample and pennfudan: none
(pennfudan's 170 images are small: quick mode reads them all). Subsets are fixed, seeded and
class-stratified: see :func:`stratified_indices`.

Items: fsdd ``(waveform float32 (n,) in [-1, 1), digit)``; urbansound8k ``(waveform float32 (n,)
mono at sample_rate, classID)`` (see :class:`UrbanSound8K`: official folds only); mnist
``(float32 (1, 28, 28) in [0, 1], digit)``; cifar10 / cifar10-sample ``(float32 (3, 32, 32) in
[0, 1], class)``; flowers and imagenette ``(PIL RGB image, class)`` like
``torchvision.datasets.ImageFolder``, or ``transform(image)`` when ``load(..., transform=...)`` is
given; pennfudan ``(PIL RGB image, label map int64 (H, W): 0 background, 1 pedestrian)``, both
brought to S x S by ``size=S`` (see :class:`PennFudan`: splits ``a`` / ``b``, ``b`` cut into
``b-train`` / ``b-test``).
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import http.client
import os
import re
import shutil
import stat
import tarfile
import tempfile
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Callable

import numpy as np
import torch

from . import checks, integrity, runtime
from .integrity import DatasetCorrupt

__all__ = [
    "DatasetUnavailable",
    "ChecksumMismatch",
    "IncompleteDownload",
    "DatasetCorrupt",
    "Source",
    "SOURCES",
    "DATASETS",
    "load",
    "sources",
    "describe",
    "locate",
    "download",
    "content_digest",
    "stratified_indices",
    "fix_length",
    "verify",
    "record_manifests",
    "FSDD",
    "UrbanSound8K",
    "ImageTensors",
    "ImageFiles",
    "PennFudan",
]

FSDD_DIGEST = "2f17dea19a57e5b41c96377cc76619e34da46105a595ef978b7d26466f8a9689"
"""``content_digest`` of the 3,000 WAVs of FSDD v1.0.10 (computed from ``../shared/data/fsdd``)."""

MNIST_MD5 = {  # md5 of the DECOMPRESSED idx files (the shared train-images .gz is re-compressed)
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
URBANSOUND8K_MD5 = "9aa69802bbf37fb986f71ec1483a196e"
"""md5 of UrbanSound8K.tar.gz (Zenodo record 1203745, 6,023,741,708 bytes), as listed in soundata's
``REMOTES`` for urbansound8k (soundata/soundata, soundata/datasets/urbansound8k.py)."""
URBANSOUND8K_CLIPS = 8732
"""Rows of ``metadata/UrbanSound8K.csv`` = WAVs in ``audio/fold1..fold10`` of UrbanSound8K v1.0."""
URBANSOUND8K_CLASSES = [
    "air_conditioner",
    "car_horn",
    "children_playing",
    "dog_bark",
    "drilling",
    "engine_idling",
    "gun_shot",
    "jackhammer",
    "siren",
    "street_music",
]
"""The 10 class names in classID order (0-9)."""
URBANSOUND8K_FOLD_COUNTS = {
    1: 873,
    2: 888,
    3: 925,
    4: 990,
    5: 936,
    6: 823,
    7: 838,
    8: 806,
    9: 816,
    10: 837,
}
"""WAVs per official fold of UrbanSound8K v1.0 (8,732 in all; the ``fold`` column of its CSV)."""
DIGITS = [str(d) for d in range(10)]
CIFAR10_CLASSES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]
FLOWERS_CLASSES = ["daisy", "dandelion", "roses", "sunflowers", "tulips"]
FLOWERS_COUNTS = {"daisy": 633, "dandelion": 898, "roses": 641, "sunflowers": 699, "tulips": 799}
"""Images per class in flower_photos.tgz (3,670 in all; the per-class counts of tf_flowers)."""
# wnid -> name, as in imagenette/classes.txt; class index = sorted wnid order
IMAGENETTE_CLASSES = {
    "n01440764": "tench",
    "n02102040": "English springer",
    "n02979186": "cassette player",
    "n03000684": "chain saw",
    "n03028079": "church",
    "n03394916": "French horn",
    "n03417042": "garbage truck",
    "n03425413": "gas pump",
    "n03445777": "golf ball",
    "n03888257": "parachute",
}
IMAGENETTE_COUNTS = {  # imagenette2 (any size), per split and wnid: 9,469 train / 3,925 val
    "train": {
        "n01440764": 963,
        "n02102040": 955,
        "n02979186": 993,
        "n03000684": 858,
        "n03028079": 941,
        "n03394916": 956,
        "n03417042": 961,
        "n03425413": 931,
        "n03445777": 951,
        "n03888257": 960,
    },
    "val": {
        "n01440764": 387,
        "n02102040": 395,
        "n02979186": 357,
        "n03000684": 386,
        "n03028079": 409,
        "n03394916": 394,
        "n03417042": 389,
        "n03425413": 419,
        "n03445777": 399,
        "n03888257": 390,
    },
}
PENNFUDAN_CLASSES = ["background", "pedestrian"]
"""The values of a Penn-Fudan label map: 0 background, 1 pedestrian (any instance)."""
PENNFUDAN_GROUPS = ["FudanPed", "PennPed"]
"""The two collections of Penn-Fudan (file-name prefixes): 74 Fudan and 96 Penn images."""


# ----------------------------------------------------------------------------------------- errors
class DatasetUnavailable(RuntimeError):
    """The dataset is in neither the data directory nor the cache and could not be downloaded.

    The message names the dataset, its canonical source and how to provide it.
    """


class ChecksumMismatch(IOError):
    """Downloaded or stored bytes do not match the expected checksum (or content rule)."""

    def __init__(self, url: str, expected: str, got: str, kind: str = "sha256"):
        self.url, self.expected, self.got, self.kind = str(url), str(expected), str(got), kind
        super().__init__(f"{kind} mismatch for {url}: expected {expected}, got {got}")


class IncompleteDownload(IOError):
    """The server announced ``Content-Length`` bytes but the transfer ended early."""

    def __init__(self, url: str, expected: int | None, got: int):
        self.url, self.expected, self.got = url, expected, got
        super().__init__(
            f"truncated transfer from {url}: Content-Length {expected} bytes, received {got}"
        )


# --------------------------------------------------------------------------------------- datasets
class _Dataset(torch.utils.data.Dataset):
    """Common part: ``name``, ``split``, ``source``, ``classes``, ``targets`` and subsetting.

    ``_fields`` lists the per-item attributes that :meth:`_select` indexes.
    """

    _fields: tuple[str, ...] = ()
    unit = "items"
    name = split = source = ""
    subset_note = ""

    def __len__(self) -> int:
        return len(self.targets)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {describe(self)}>"

    def _select(self, indices) -> "_Dataset":
        """A shallow copy holding only the items at ``indices`` (in that order)."""
        new = copy.copy(self)
        idx = [int(i) for i in indices]
        for f in self._fields:
            values = getattr(self, f)
            picked = (
                values[torch.as_tensor(idx, dtype=torch.long)]
                if isinstance(values, torch.Tensor)
                else [values[i] for i in idx]
            )
            setattr(new, f, picked)
        return new


class _Clips(_Dataset):
    """Audio clips: item ``(waveform(i), int(labels[i]))``; ``targets`` is ``labels``;
    :meth:`batch`.

    Subclasses set ``files``, ``labels`` (int64 (N,)) and ``sample_rate`` and define ``waveform``.
    """

    unit = "clips"

    @property
    def targets(self) -> torch.Tensor:
        return self.labels

    def __getitem__(self, i: int):
        return self.waveform(i), int(self.labels[i])

    def waveform(self, i: int) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def batch(self, indices=None, length: int = 8000) -> torch.Tensor:
        """Clips ``indices`` (default: all) as one float32 tensor ``(B, 1, length)``.

        Every clip is brought to ``length`` samples by :func:`fix_length` (centre crop of longer
        clips, symmetric zero padding of shorter ones). Labels: ``self.labels[indices]``.
        """
        length = checks.integer(length, "length")
        indices = range(len(self)) if indices is None else indices
        clips = [fix_length(self.waveform(int(i)), length) for i in indices]
        if not clips:
            raise ValueError("indices must name at least one clip, got an empty selection")
        return torch.stack(clips)[:, None, :]


class FSDD(_Clips):
    """Free Spoken Digit Dataset clips: item ``(waveform, label)``.

    ``waveform``: float32 tensor, shape ``(n,)``, values ``int16 / 32768`` in ``[-1, 1)``, at
    ``sample_rate = 8000`` Hz (n varies: 0.14 s to 2.28 s). ``label``: the spoken digit (int).
    Attributes ``files`` (paths), ``labels`` / ``targets`` (int64 (N,)), ``speakers`` (names),
    ``takes`` (int64 (N,)). Items are ordered by (digit, speaker, take). Waveforms are decoded
    with ``soundfile`` on first access and kept in memory (all 3,000 clips are about 20 MB).
    """

    sample_rate = 8000
    classes = DIGITS
    _fields = ("files", "labels", "speakers", "takes")

    def __init__(self, files: list[Path], labels, speakers: list[str], takes):
        self.files = list(files)
        self.labels = torch.as_tensor(labels, dtype=torch.int64)
        self.speakers = list(speakers)
        self.takes = torch.as_tensor(takes, dtype=torch.int64)

    def waveform(self, i: int) -> torch.Tensor:
        """Clip ``i`` as float32 ``(n,)`` in ``[-1, 1)``."""
        samples = _read_wav(str(self.files[i]), self.sample_rate)
        return torch.from_numpy(samples.astype(np.float32) / np.float32(32768))


class UrbanSound8K(_Clips):
    """UrbanSound8K (Salamon, Jacoby & Bello 2014): 8,732 urban-sound excerpts (<= 4 s), 10 classes.

    Item ``(waveform, label)``: ``waveform`` float32 ``(n,)``, the clip decoded by ``soundfile``
    (float, full scale = 1), mixed to mono (mean of the channels) and resampled from its own rate
    (clips come at many rates, 1 or 2 channels) to ``sample_rate`` Hz (``load(...,
    sample_rate=8000)`` by default) with ``torchaudio.functional.resample``, so ``n =
    round(frames * sample_rate / rate)``; ``label``: the ``classID`` (int, 0-9). Decoded on first
    access and kept in memory per item (all clips at 8 kHz: about 1.1 GB).

    Splits are the OFFICIAL folds only (``fold`` column; folders ``audio/fold1..fold10``):
    ``split="test", fold=k`` is fold ``k``; ``split="train", fold=k`` the other nine folds;
    ``split="fold3"`` is fold 3 alone. ``fold`` defaults to 10; results comparable with the
    literature are the mean over the ten rounds ``fold=1..10``. Never reshuffle clips across folds:
    several clips are cut from the same freesound recording (``recordings`` = ``fsID``) and the
    folds keep them together, so a random split puts near-duplicates in train and test and inflates
    accuracy.

    Attributes: ``sample_rate``, ``files`` (paths), ``labels`` / ``targets`` (int64 (N,)),
    ``folds`` (int64 (N,)), ``recordings`` (fsID, int64 (N,)), ``classes`` (the 10 names in
    classID order). Items are ordered by (fold, file name).
    """

    classes = URBANSOUND8K_CLASSES
    _fields = ("files", "labels", "folds", "recordings")

    def __init__(self, files: list[Path], labels, folds, recordings, sample_rate: int = 8000):
        self.files = list(files)
        self.labels = torch.as_tensor(labels, dtype=torch.int64)
        self.folds = torch.as_tensor(folds, dtype=torch.int64)
        self.recordings = torch.as_tensor(recordings, dtype=torch.int64)
        self.sample_rate = checks.integer(sample_rate, "sample_rate")

    def waveform(self, i: int) -> torch.Tensor:
        """Clip ``i`` as float32 ``(n,)``, mono at ``sample_rate`` (a copy of the cached decode)."""
        return torch.from_numpy(_read_resampled(str(self.files[i]), self.sample_rate).copy())


class ImageTensors(_Dataset):
    """Images held in memory: ``data`` uint8 ``(N, H, W)`` or ``(N, C, H, W)``, ``targets`` int64
    (N,).

    Item ``(image, label)``: ``image`` float32 ``(C, H, W)`` in ``[0, 1]`` (``data / 255``; a
    channel axis of 1 is added to grey images), or ``transform(image)`` when a transform is given.
    """

    unit = "images"
    _fields = ("data", "targets")

    def __init__(
        self, data: torch.Tensor, targets: torch.Tensor, classes: list[str], transform=None
    ):
        self.data, self.targets = data, torch.as_tensor(targets, dtype=torch.int64)
        self.classes, self.transform = list(classes), transform

    def __getitem__(self, i: int):
        image = self.data[i].to(torch.float32) / 255.0
        image = image[None] if image.ndim == 2 else image
        return (self.transform(image) if self.transform else image), int(self.targets[i])


class ImageFiles(_Dataset):
    """Image files, like ``torchvision.datasets.ImageFolder``: ``samples`` = [(path, class index)].

    Item ``(image, label)``: the file decoded by PIL and converted to RGB, passed through
    ``transform`` when given (e.g. ``transforms.ToTensor()`` gives float32 (3, H, W) in [0, 1]).
    ``classes`` are names in class-index order; ``class_to_idx``; ``targets`` int64 (N,).
    """

    unit = "images"
    _fields = ("samples", "targets")

    def __init__(
        self,
        root: Path,
        samples: list[tuple[str, int]],
        classes: list[str],
        transform=None,
        target_transform=None,
    ):
        self.root, self.samples, self.classes = Path(root), list(samples), list(classes)
        self.targets = torch.as_tensor([label for _, label in self.samples], dtype=torch.int64)
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.transform, self.target_transform = transform, target_transform

    @property
    def imgs(self) -> list[tuple[str, int]]:
        return self.samples

    def __getitem__(self, i: int):
        path, label = self.samples[i]
        image = _decode(self.name or "images", path, lambda im: im.convert("RGB"))
        image = self.transform(image) if self.transform else image
        return image, (self.target_transform(label) if self.target_transform else label)


class PennFudan(_Dataset):
    """Penn-Fudan pedestrians (Wang, Shi, Song & Shen, ACCV 2007) as two-class semantic
    segmentation.

    Item ``(image, label_map)``: ``image`` is ``PNGImages/<name>.png`` decoded by PIL as RGB (or
    ``transform(image)`` when given, e.g. ``transforms.ToTensor()``); ``label_map`` is an int64
    tensor ``(H, W)``: the instance mask ``PedMasks/<name>_mask.png`` (0 = background, k > 0 =
    pedestrian k) with every k > 0 set to 1, so 0 = background, 1 = pedestrian (:attr:`classes`).
    Images vary in size (about 300-600 px per side). ``size=S`` (``load(..., size=S)``) brings both
    to ``S x S`` before ``transform``: squashed (aspect ratio not kept, nothing cropped), the image
    by PIL's bilinear filter (antialiased: PIL widens it when downscaling), the label map by nearest
    neighbour (values stay 0 and 1), so items stack into batches. ``size=None`` (default) keeps
    each image's own size.

    Splits (no official one; a fixed rule on the file names, no seed): ``n`` is the number in the
    name, counted within each collection (``FudanPed00001``-``00074``, ``PennPed00001``-``00096``):

    * ``a``: n odd, 85 images (37 Fudan + 48 Penn); ``b``: n even, 85 (37 + 48) -- the two halves
      of Wu et al. 2022, sec. 5.2.2 (data A to learn a spectrum difference, data B to validate it);
    * within ``b``: ``b-test`` = n a multiple of 6 (every third image of ``b``), 28 (12 + 16);
      ``b-train`` = the other 57 (25 + 32).

    Every split holds both collections; ``a`` and ``b`` are disjoint and cover all 170 images,
    ``b-train`` and ``b-test`` are disjoint and cover ``b``. Names are case-insensitive
    (``"A"`` is ``"a"``).

    Attributes: ``images`` and ``masks`` (paths, in file-name order), ``targets`` int64 (N,): the
    image's collection, an index into ``groups = ["FudanPed", "PennPed"]`` -- not a pixel class; a
    ``subset=`` draw is stratified on it, so it keeps both collections. ``classes``, ``size``,
    ``transform``.
    """

    unit = "images"
    classes = PENNFUDAN_CLASSES
    groups = PENNFUDAN_GROUPS
    _fields = ("images", "masks", "targets")

    def __init__(self, images: list[Path], masks: list[Path], targets, size=None, transform=None):
        self.images, self.masks = list(images), list(masks)
        self.targets = torch.as_tensor(targets, dtype=torch.int64)
        self.size, self.transform = size, transform

    def __getitem__(self, i: int):
        from PIL import Image

        name = self.name or "pennfudan"
        image = _decode(name, self.images[i], lambda im: im.convert("RGB"))
        ids = _decode(name, self.masks[i], np.asarray)
        if ids.ndim != 2 or ids.shape != (image.height, image.width):
            raise _corrupt_file(
                name,
                self.masks[i],
                f"a one-channel mask of its image's size {image.width} x {image.height}",
                ValueError(f"mask array of shape {ids.shape}"),
            )
        labels = (ids > 0).astype(np.uint8)
        if self.size is not None:
            image = image.resize((self.size, self.size), Image.Resampling.BILINEAR)
            labels = np.asarray(
                Image.fromarray(labels).resize((self.size, self.size), Image.Resampling.NEAREST)
            )
        label_map = torch.from_numpy(labels.astype(np.int64))
        return (self.transform(image) if self.transform else image), label_map


def _decode(dataset: str, path, read: Callable):
    """``read(im)`` of the image file ``path`` opened by PIL (e.g. ``im.convert("RGB")``); a file
    PIL cannot open or decode raises :class:`DatasetCorrupt` naming it."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            return read(im)
    except OSError as err:  # PIL's UnidentifiedImageError and "image file is truncated"
        raise _corrupt_file(dataset, path, "an image PIL can decode", err) from err


def _corrupt_file(dataset: str, path, expected: str, err: BaseException) -> DatasetCorrupt:
    """The reader's second line of defence: a file that fails to decode, named with its dataset."""
    path = Path(path)
    return DatasetCorrupt(
        dataset,
        path.parent,
        [(path.name, "cannot be read", expected, f"{type(err).__name__}: {err}")],
        "the file as it should be",
        f"replace {path} by an intact copy (or delete the cache folder that "
        f"holds it, to download it again)",
    )


def fix_length(x: torch.Tensor, length: int) -> torch.Tensor:
    """Bring the last axis of ``x`` to ``length`` samples: the fixed-length rule of the book.

    Longer signals are centre-cropped (samples ``[s, s + length)`` with ``s = (n - length) // 2``);
    shorter ones are zero-padded with ``(length - n) // 2`` zeros before and the rest after.
    """
    x = torch.as_tensor(x)
    length = checks.integer(length, "length")
    n = x.shape[-1]
    if n >= length:
        start = (n - length) // 2
        return x[..., start : start + length]
    left = (length - n) // 2
    return torch.nn.functional.pad(x, (left, length - n - left))


# ------------------------------------------------------------------------------ source registry
@dataclass(frozen=True)
class Source:
    """Where a dataset comes from and how it is read (one entry of :data:`SOURCES`).

    ``data_path``: folder under the data directory; ``cache_path``: folder under
    ``<cache>/datasets/<name>`` after ``fetch(source, workdir)`` has filled ``workdir`` (None: no
    canonical download). ``quick`` / ``smoke``: the default subset per split of a quick run / a
    smoke run (``smoke`` empty: the quick one). ``read(folder, split, **options)`` builds the
    dataset; ``check(split,
    **options)``, when set, validates the arguments before anything is located or downloaded.

    Verification (:func:`verify`): ``members`` are the file patterns the reader reads;
    ``split_of(rel)`` names the split a member belongs to, or a tuple of the splits that read it
    (where one split contains another, as pennfudan's ``b`` holds ``b-train``; None: every split
    reads it);
    ``full_copies()`` lists the canonical full trees a data directory may hold instead of the
    recorded copy (member counts, or torchvision's md5 list), as :class:`integrity.Expected`.
    """

    name: str
    title: str
    homepage: str
    url: str
    license: str
    split_rule: str
    layout: str
    splits: tuple[str, ...]
    data_path: str
    read: Callable
    cache_path: str | None = None
    fetch: Callable | None = None
    quick: dict = field(default_factory=dict)
    smoke: dict = field(default_factory=dict)
    options: tuple[str, ...] = ()
    sha256: str | None = None
    md5: str | None = None
    digest: str | None = None
    note: str = ""
    alternative: str | None = None
    check: Callable | None = None
    members: tuple[str, ...] = ()
    split_of: Callable[[str], str | tuple[str, ...] | None] | None = None
    full_copies: Callable[[], list] | None = None

    def keep(self, split: str) -> Callable[[str], bool]:
        """Which member paths the reader of ``split`` reads: ``split_of(rel)`` is ``split``, a
        tuple holding it, or None (a file every split reads); without ``split_of`` every member."""
        if self.split_of is None:
            return lambda rel: True

        def keep(rel: str) -> bool:
            named = self.split_of(rel)
            return named is None or split in ((named,) if isinstance(named, str) else named)

        return keep


def _source(name) -> Source:
    return SOURCES[checks.choice(name, "name", SOURCES, note=" (a dataset name)")]


def sources(name: str) -> dict:
    """What a chapter says about a dataset: canonical source, download, license, split rule,
    layout."""
    src = _source(name)
    return {
        "name": src.name,
        "title": src.title,
        "url": src.homepage,
        "download": src.url,
        "license": src.license,
        "split": src.split_rule,
        "splits": src.splits,
        "layout": src.layout,
        "quick": dict(src.quick),
        "note": src.note,
    }


def describe(ds) -> str:
    """One line: ``"fsdd test: 300 clips from /work/shared/data/fsdd (data directory)"``."""
    return f"{ds.name} {ds.split}: {len(ds):,} {ds.unit}{ds.subset_note} from {ds.source}"


# ----------------------------------------------------------------------------------------- load
def load(
    name: str,
    split: str = "train",
    mode: str | None = None,
    subset: int | None = None,
    root=None,
    download: bool = True,
    seed: int = 0,
    **options,
):
    """Load dataset ``name`` (see :data:`DATASETS`), split ``split``, as a torch ``Dataset``.

    ``subset``: a positive int gives the fixed, seeded, class-stratified subset of that size
    (:func:`stratified_indices` with ``seed``); ``None`` gives the mode default (quick mode: see the
    module docstring; full mode: everything). ``root`` replaces ``$CMT_DATA`` as the data directory.
    ``download=False`` forbids the canonical download. ``options`` go to the reader: ``transform``
    (all image sets; flowers/imagenette also ``target_transform``); urbansound8k: ``fold`` (1-10)
    and ``sample_rate`` (see :class:`UrbanSound8K`); pennfudan: ``size`` (resize image and label
    map to ``size x size``) and ``transform`` of the image (see :class:`PennFudan`).

    Raises ``ValueError``/``TypeError`` naming the bad argument, :class:`DatasetUnavailable` when
    the data cannot be found or fetched, :class:`ChecksumMismatch` when a download fails
    verification, :class:`DatasetCorrupt` when the copy found is damaged (see :func:`verify`).
    """
    src = _source(name)
    name = src.name
    split = checks.choice(split, "split", src.splits, note=f" for {name!r}", type_error=ValueError)
    if subset is not None:
        subset = checks.integer(subset, "subset", note=" (number of items) or None")
    seed = checks.integer(seed, "seed", 0)
    download = checks.boolean(download, "download")
    unknown = sorted(set(options) - set(src.options))
    if unknown:
        raise TypeError(
            f"unexpected keyword argument(s) {unknown} for {name!r}; accepted: {list(src.options)}"
        )
    if src.check is not None:
        src.check(split, **options)
    smoke = runtime.smoke_active()
    if smoke:
        default = (src.smoke or src.quick).get(split)
    else:
        default = src.quick.get(split) if runtime.resolve_mode(mode) == "quick" else None
    try:
        folder, origin = locate(name, root=root, download=download and not smoke)
    except DatasetUnavailable as err:
        if not smoke:
            raise
        raise DatasetUnavailable(
            f"{err}\nThis is a smoke run: it reads only the copies present (the data directory or "
            f"the cache) and downloads nothing."
        ) from None
    verify(name, split, folder, origin)
    ds = src.read(folder, split, **options)
    ds.name, ds.split, ds.source = src.name, split, origin
    if subset is None and default is not None and default < len(ds):
        subset = default
    if smoke:
        runtime.smoke_note(
            f"{name} {split} read from the copy present, {origin}, with the "
            f"{'smoke' if src.smoke else 'quick-mode'} subset, not the full dataset (nothing "
            f"downloaded)"
        )
    return _take_subset(ds, subset, seed) if subset is not None else ds


def _take_subset(ds: _Dataset, subset: int, seed: int) -> _Dataset:
    n = len(ds)
    part = ds._select(stratified_indices(ds.targets, subset, seed))
    part.subset_note = f" (stratified subset of {n:,}, seed {seed})" if subset < n else ""
    return part


def stratified_indices(targets, subset: int, seed: int = 0) -> np.ndarray:
    """Indices (sorted, int64) of the fixed, seeded, class-stratified subset of size ``subset``.

    Rule: with ``N`` items and ``N_c`` of class ``c``, class ``c`` gets ``floor(subset N_c / N)``
    items; the remaining ones go, one each, to the classes with the largest remainders of
    ``subset N_c / N`` (ties: smaller class label first). Within class ``c`` its indices (in
    dataset order) are permuted by ``numpy.random.default_rng([seed, c])`` and the first ones taken.
    Same targets, size and seed: same indices; a class's draw does not depend on other classes.
    """
    y = np.asarray(torch.as_tensor(targets).cpu(), dtype=np.int64)
    if subset is not None:
        subset = checks.integer(subset, "subset", note=" (number of items) or None")
    seed = checks.integer(seed, "seed", 0)
    if subset > len(y):
        raise ValueError(f"subset={subset} exceeds the {len(y)} items available")
    labels, counts = np.unique(y, return_counts=True)
    quota, remainder = np.divmod(subset * counts, len(y))
    extra = np.lexsort((labels, -remainder))[: subset - quota.sum()]
    quota[extra] += 1
    picks = [
        np.flatnonzero(y == c)[np.random.default_rng([seed, int(c)]).permutation(n_c)[:q]]
        for c, n_c, q in zip(labels, counts, quota)
    ]
    return np.sort(np.concatenate(picks)).astype(np.int64)


# ------------------------------------------------------------------------------- finding sources
def locate(name: str, root=None, download: bool = True) -> tuple[Path, str]:
    """Return ``(folder, origin)`` for dataset ``name``: data directory, else cache, else download.

    ``origin`` says which one, with the path (it becomes the dataset's ``source``).
    """
    src = _source(name)
    base = _data_base(root)
    if base is not None and (base / src.data_path).is_dir():
        shown = base / PurePosixPath(src.data_path).parts[0]
        return base / src.data_path, f"{shown} (data directory{src.note})"
    cached = runtime.cache_dir() / "datasets" / src.name
    if src.cache_path and _sealed(cached, src):
        return cached / src.cache_path, f"{cached} (cache; canonical download from {src.url})"
    if src.fetch is None or not download:
        why = "it has no canonical download" if src.fetch is None else "download=False"
        if src.cache_path and (cached / src.cache_path).exists():
            why += (
                f"; {cached / src.cache_path} exists but holds no verified download (no "
                f"{integrity.SEAL}: an interrupted fill, or copied there by hand): delete "
                f"{cached} and allow the download"
            )
        raise _unavailable(src, base, cached, why)
    try:
        _fill_cache(src, cached)
    except ChecksumMismatch:
        raise
    except (OSError, http.client.HTTPException, RuntimeError) as err:  # URLError is an OSError
        raise _unavailable(src, base, cached, f"the download failed: {err}") from err
    return cached / src.cache_path, f"{cached} (downloaded now from {src.url})"


def _sealed(cached: Path, src: Source) -> bool:
    """The cache holds a complete, verified download: its tree and the seal written after it."""
    return (cached / src.cache_path).is_dir() and (cached / integrity.SEAL).is_file()


def verify(name: str, split: str, folder, origin: str = "(data directory)"):
    """Check the files the reader of ``split`` reads in ``folder`` before anything is loaded.

    A data directory (``origin`` says "(data directory"; the default) is checked against the
    copies recorded in ``helpers/manifests/<name>.json`` (size and digest of every file of
    ``../shared/data``'s copy, a subset of the canonical dataset where it is one) or, for a copy
    of the full dataset, against the canonical member counts or checksums
    (``Source.full_copies``); the cache against the seal its verified download wrote
    (:func:`integrity.seal`). Digests are recomputed only for files whose path, size or
    modification time changed since they were last verified (``<cache>/verified``). Returns the
    :class:`integrity.Expected` copy matched; raises :class:`DatasetCorrupt` naming the dataset,
    the files, what was expected and how to repair the copy.
    """
    src = _source(name)
    name = src.name
    split = checks.choice(split, "split", src.splits, note=f" for {name!r}", type_error=ValueError)
    folder = Path(folder)
    cache = runtime.cache_dir()
    if "(data directory" not in origin:  # the cache: <cache>/datasets/<name>/<cache_path>
        top = folder
        while top != top.parent and not (top / integrity.SEAL).is_file():
            top = top.parent
        candidates = [c for c in [integrity.read_seal(top)] if c is not None]
        repair = (
            f"delete {top} and run again: the dataset is then downloaded from "
            f"{src.url} and verified anew"
        )
    else:
        full = src.full_copies() if src.full_copies else []
        candidates = integrity.repository_copies(name) + full
        repair = (
            f"replace {folder} by an intact copy (the copy in ../shared/data, or the "
            f"canonical dataset from {src.homepage} in the layout {src.layout}), or point "
            f"{runtime.ENV_DATA} elsewhere (unset, the verified canonical download into "
            f"{cache / 'datasets' / name} is used)"
        )
    if not candidates:
        raise DatasetCorrupt(
            name,
            folder,
            [(".", "nothing to verify against", "a recorded copy or a seal", "none")],
            "no record",
            repair,
        )
    return integrity.verify(
        name,
        folder,
        candidates,
        patterns=src.members,
        keep=src.keep(split),
        cache=cache,
        repair=repair,
    )


def record_manifests(base, names=None) -> list[Path]:
    """Write ``helpers/manifests/<name>.json`` for the datasets present in the data directory
    ``base`` (e.g. ``../shared/data``): size and digest of every member file. MNIST is recorded by
    the md5 of its decompressed idx files, as ``.gz`` (any compression) and as raw files."""
    base = Path(base).resolve()
    written = []
    for name in names or DATASETS:
        src = _source(name)
        folder = base / src.data_path
        if not folder.is_dir():
            continue
        label = (
            f"the copy in ../shared/data/{src.data_path} ({src.note.lstrip('; ') or 'complete'})"
        )
        kind = "md5-idx" if name == "mnist" else "sha256"
        files = {
            rel: [
                None if kind == "md5-idx" else st.st_size,
                integrity.file_digest(folder / rel, kind),
            ]
            for rel, st in integrity.scan(folder, src.members).items()
        }
        copies = [{"label": label, "kind": kind, "files": files}]
        if name == "mnist":  # the same files decompressed (torchvision's raw/ layout)
            raw = {
                rel[:-3]: [len(gzip.decompress((folder / rel).read_bytes())), v[1]]
                for rel, v in files.items()
                if rel.endswith(".gz")
            }
            copies.append(
                {"label": "the four decompressed MNIST idx files", "kind": kind, "files": raw}
            )
        written.append(integrity.write_manifest(name, copies, f"../shared/data/{src.data_path}"))
    return written


def _data_base(root) -> Path | None:
    """The data directory: ``root`` if given (must be a folder), else ``$CMT_DATA`` or None."""
    if root is None:
        return runtime.data_dir()
    checks.instance(root, "root", (str, os.PathLike), "a folder path (str or Path)", optional=True)
    if not Path(root).expanduser().is_dir():
        raise ValueError(f"root must be an existing folder, got {str(root)!r}")
    return Path(root).expanduser().resolve()


def _unavailable(src: Source, base: Path | None, cached: Path, why: str) -> DatasetUnavailable:
    where = (
        f"{base / src.data_path} does not exist"
        if base
        else f"no data directory is set (root=None and ${runtime.ENV_DATA} unset)"
    )
    how = f"set {runtime.ENV_DATA} (or root=) to a folder with the layout {src.layout}"
    if src.fetch is not None:
        how += f", or allow the download (download=True, with network access) into {cached}"
    text = (
        f"dataset {src.name!r} ({src.title}) is not available: {where}; no verified download in "
        f"the cache "
        f"{cached}; {why}. Canonical source: {src.homepage} (download: {src.url}). "
        f"To provide it: {how}."
    )
    alt = SOURCES.get(src.alternative) if src.alternative else None
    if alt is not None and base is not None and (base / alt.data_path).is_dir():
        text += (
            f" The data directory holds {alt.title} at {base / alt.data_path}: load it "
            f"explicitly as {alt.name!r}; it is not used in place of {src.name!r}."
        )
    return DatasetUnavailable(text)


def _sweep_dead_work(folder: Path, name: str) -> list[Path]:
    """Remove the work folders ``.<name>-<pid>-*.part`` of fills whose process no longer runs (a
    fill killed hard cannot clean up after itself); a live process's folder is left alone."""
    removed = []
    for work in folder.glob(f".{name}-*.part"):
        pid = work.name[len(name) + 2 :].split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(work, ignore_errors=True)
            removed.append(work)
        except PermissionError:  # another user's live process
            pass
    return removed


def _fill_cache(src: Source, final: Path) -> None:
    """Fetch into a temporary folder next to ``final`` and rename it into place when complete."""
    final.parent.mkdir(parents=True, exist_ok=True)
    _sweep_dead_work(final.parent, src.name)
    work = Path(
        tempfile.mkdtemp(prefix=f".{src.name}-{os.getpid()}-", suffix=".part", dir=final.parent)
    )
    try:
        src.fetch(src, work)
        if not (work / src.cache_path).is_dir():
            raise RuntimeError(
                f"fetching {src.name!r} from {src.url} produced no {src.cache_path}/"
            )
        integrity.seal(
            work, src.cache_path, src.members, label=f"the verified download of {src.url}"
        )
        if _sealed(final, src):  # another process finished first: keep its copy
            shutil.rmtree(work)
            return
        if final.exists():  # <cache>/datasets/<name> belongs to this module; this one is incomplete
            shutil.rmtree(final)
        os.replace(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


# -------------------------------------------------------------------------------------- download
def download(
    url: str,
    dest: Path,
    sha256: str | None,
    *,
    md5: str | None = None,
    timeout: float = 60,
    chunk: int = 1 << 20,
) -> Path:
    """Download ``url`` to ``dest`` (urllib only), all or nothing; return ``dest``.

    Streams into a temporary file in ``dest``'s folder, checks the byte count against
    ``Content-Length`` (:class:`IncompleteDownload`) and the sha256 and/or md5 when given
    (:class:`ChecksumMismatch`), then ``os.replace``-s it onto ``dest``. On any failure, including
    ``KeyboardInterrupt``, the temporary file is removed and ``dest`` is untouched, so calling again
    simply downloads again.
    """
    if not isinstance(url, str) or urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"url must be an http:// or https:// URL, got {url!r}")
    if sha256 is not None and not (
        isinstance(sha256, str) and re.fullmatch(r"[0-9a-fA-F]{64}", sha256)
    ):
        raise ValueError(f"sha256 must be 64 hexadecimal digits or None, got {sha256!r}")
    if md5 is not None and not (isinstance(md5, str) and re.fullmatch(r"[0-9a-fA-F]{32}", md5)):
        raise ValueError(f"md5 must be 32 hexadecimal digits or None, got {md5!r}")
    timeout = checks.positive(timeout, "timeout", note=" of seconds", type_error=ValueError)
    chunk = checks.integer(chunk, "chunk")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(name)
    try:
        hashes = {"sha256": hashlib.sha256()}
        if md5 is not None:
            hashes["md5"] = hashlib.md5()
        with os.fdopen(fd, "wb") as out:
            size, expected = _stream(url, out, timeout, chunk, list(hashes.values()))
        if expected is not None and size != expected:
            raise IncompleteDownload(url, expected, size)
        for kind, want in (("sha256", sha256), ("md5", md5)):
            if want is not None and hashes[kind].hexdigest() != want.lower():
                raise ChecksumMismatch(url, want.lower(), hashes[kind].hexdigest(), kind=kind)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest


def _stream(url: str, out, timeout: float, chunk: int, hashes: list) -> tuple[int, int | None]:
    """Copy the response body into ``out``, updating ``hashes``; return (bytes, Content-Length or
    None)."""
    request = urllib.request.Request(url, headers={"User-Agent": "cmt-book (python urllib)"})
    size = 0
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        expected = int(length) if length and length.strip().isdigit() else None
        while True:
            try:
                block = response.read(chunk)
            except http.client.IncompleteRead as err:
                raise IncompleteDownload(url, expected, size + len(err.partial)) from err
            if not block:
                return size, expected
            out.write(block)
            for h in hashes:
                h.update(block)
            size += len(block)


def _refuse_unsafe(archive: Path, names: list[str]) -> None:
    """Raise ValueError for the first member name that would land outside the extraction folder:
    absolute (``/``, ``\\``, a drive letter) or with a ``..`` part (``/`` or ``\\`` separated)."""
    for name in names:
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name):
            raise ValueError(f"archive {archive} has an unsafe member {name!r} (absolute or '..')")


def _extract_tar(archive: Path, dest: Path) -> None:
    """Extract ``archive`` into the new folder ``dest``: refuse absolute or ``..`` member names,
    skip links and special files (only regular files and folders are written)."""
    with tarfile.open(archive, "r:*") as tar:
        members = tar.getmembers()
        _refuse_unsafe(archive, [m.name for m in members])
        dest.mkdir(parents=True)
        tar.extractall(dest, members=[m for m in members if m.isfile() or m.isdir()], filter="data")


def _extract_zip(archive: Path, dest: Path) -> None:
    """Extract the zip ``archive`` into the new folder ``dest``, as :func:`_extract_tar` does:
    refuse absolute or ``..`` member names, skip symbolic links (only files and folders are
    written); a member whose CRC fails raises ``zipfile.BadZipFile``."""
    with zipfile.ZipFile(archive) as zf:
        members = zf.infolist()
        _refuse_unsafe(archive, [m.filename for m in members])
        dest.mkdir(parents=True)
        for m in members:
            target = dest / m.filename
            if m.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            elif not stat.S_ISLNK(m.external_attr >> 16):
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(m) as member, open(target, "wb") as out:
                    shutil.copyfileobj(member, out)


def _fetch_archive(src: Source, work: Path) -> Path:
    """Download ``src.url`` into ``work`` (sha256 / md5 ``src.sha256`` / ``src.md5`` if known),
    extract it (a zip when the URL's path ends in ``.zip``, else a tar, compressed or not), drop
    it. An archive that does not unpack raises :class:`ChecksumMismatch`."""
    is_zip = urllib.parse.urlsplit(src.url).path.lower().endswith(".zip")
    archive = download(
        src.url, work / ("archive.zip" if is_zip else "archive.tar.gz"), src.sha256, md5=src.md5
    )
    tree = work / "extracted"
    try:
        (_extract_zip if is_zip else _extract_tar)(archive, tree)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error) as err:
        raise ChecksumMismatch(
            src.url, "an archive that unpacks", f"{type(err).__name__}: {err}", kind="archive"
        ) from err
    archive.unlink()
    return tree


def content_digest(folder, pattern: str = "*.wav") -> str:
    """sha256 over the files ``folder/pattern`` sorted by name: for each, its name (UTF-8), a NUL
    byte, its size as 8 little-endian bytes, then its bytes. Independent of archive packaging."""
    h = hashlib.sha256()
    for path in sorted(Path(folder).glob(pattern), key=lambda p: p.name):
        data = path.read_bytes()
        h.update(path.name.encode("utf-8") + b"\0" + len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def _fetch_fsdd(src: Source, work: Path) -> None:
    """GitHub release archive -> ``work/recordings``, verified by :func:`content_digest`.

    GitHub re-creates tag archives on the fly (not byte-stable), so no archive sha256 is used.
    """
    tree = _fetch_archive(src, work)
    found = sorted(tree.glob("*/recordings"))
    if len(found) != 1:
        raise ChecksumMismatch(
            src.url, "one <top>/recordings/ folder", f"{len(found)}", kind="layout"
        )
    got = content_digest(found[0])
    if got != src.digest:
        raise ChecksumMismatch(src.url, src.digest, got, kind="content digest of recordings/*.wav")
    os.replace(found[0], work / "recordings")
    shutil.rmtree(tree)


def _fetch_flowers(src: Source, work: Path) -> None:
    """flower_photos.tgz -> ``work/flower_photos``, verified by its per-class JPEG counts.

    No published sha256 of flower_photos.tgz was available to this project, so the check is the
    content rule: exactly the class folders of :data:`FLOWERS_CLASSES` holding
    :data:`FLOWERS_COUNTS` JPEGs (3,670 in all). It catches truncated or wrong archives, not a
    same-sized substitution.
    """
    tree = _fetch_archive(src, work)
    folder = tree / "flower_photos"
    labels = (
        Counter(label for _, label in _scan(folder, FLOWERS_CLASSES)) if folder.is_dir() else {}
    )
    got = {c: labels.get(k, 0) for k, c in enumerate(FLOWERS_CLASSES)}
    if got != FLOWERS_COUNTS:
        raise ChecksumMismatch(src.url, FLOWERS_COUNTS, got, kind="JPEGs per class")
    os.replace(folder, work / "flower_photos")
    shutil.rmtree(tree)


def _fetch_pennfudan(src: Source, work: Path) -> None:
    """PennFudanPed.zip -> ``work/PennFudanPed``, verified file by file: its PNGs (the members)
    must be exactly those of ``helpers/manifests/pennfudan.json``, recorded from
    ``../shared/data/PennFudanPed`` (the complete official content), each with its size and sha256.

    No published checksum of PennFudanPed.zip is known to this project, so the content is checked
    instead of the archive bytes: a wrong, missing, extra, truncated or altered PNG raises
    :class:`ChecksumMismatch` naming it. ``Annotation/`` and the readme are kept but not verified
    (no loader reads them).
    """
    tree = _fetch_archive(src, work)
    folder = tree / "PennFudanPed"
    if not folder.is_dir():
        raise ChecksumMismatch(src.url, "one PennFudanPed/ folder", "none", kind="layout")
    copies = integrity.repository_copies(src.name)
    if not copies:
        raise RuntimeError(
            f"no manifest {integrity.MANIFEST_DIR / f'{src.name}.json'} to verify the download by"
        )
    try:
        integrity.verify(src.name, folder, copies, patterns=src.members)
    except DatasetCorrupt as err:
        shown = "; ".join(f"{f}: {what}" for f, what, _, _ in err.problems[:5])
        more = len(err.problems) - 5
        raise ChecksumMismatch(
            src.url,
            err.expected,
            f"{len(err.problems)} member file(s) differ: {shown}"
            + (f"; and {more} more" if more > 0 else ""),
            kind="sha256 of the member files",
        ) from err
    os.replace(folder, work / "PennFudanPed")
    shutil.rmtree(tree)


def _fetch_urbansound8k(src: Source, work: Path) -> None:
    """UrbanSound8K.tar.gz -> ``work/UrbanSound8K``, verified twice: the md5 of the archive bytes
    (``src.md5`` = :data:`URBANSOUND8K_MD5`) while downloading, then the layout rule of
    :func:`_urbansound8k_rows` (CSV rows = WAVs = :data:`URBANSOUND8K_CLIPS`). Needs room for the
    archive plus its extraction (about 12 GB) while it runs; the archive is deleted afterwards.
    """
    tree = _fetch_archive(src, work)
    folder = tree / "UrbanSound8K"
    if not folder.is_dir():
        raise ChecksumMismatch(src.url, "one UrbanSound8K/ folder", "none", kind="layout")
    try:
        _urbansound8k_rows(folder, strict=True)
    except (OSError, ValueError, KeyError) as err:
        raise ChecksumMismatch(
            src.url,
            f"{URBANSOUND8K_CLIPS} CSV rows, each with its WAV in "
            f"audio/fold<fold>/, and no other WAV",
            str(err),
            kind="layout",
        ) from err
    os.replace(folder, work / "UrbanSound8K")
    shutil.rmtree(tree)


def _torchvision_fetch(make: Callable[[Path], object]) -> Callable[[Source, Path], None]:
    """A fetch that lets torchvision download (and md5-verify) into ``work``, then drops
    archives."""

    def fetch(src: Source, work: Path) -> None:
        make(work)
        for archive in [*work.glob("*.tar.gz"), *work.glob("*.tgz")]:
            archive.unlink()

    return fetch


# --------------------------------------------------------------------------------------- readers
_FSDD_NAME = re.compile(r"(\d)_([^_]+)_(\d+)\.wav")


def _read_fsdd(folder: Path, split: str) -> FSDD:
    """``{digit}_{speaker}_{take}.wav``; test = takes 0-4, train = takes 5-49."""
    rows = []
    for path in folder.glob("*.wav"):
        m = _FSDD_NAME.fullmatch(path.name)
        if m is None:
            raise ValueError(f"{path} is not named {{digit}}_{{speaker}}_{{take}}.wav")
        rows.append((int(m[1]), m[2], int(m[3]), path))
    rows = sorted(r for r in rows if (r[2] < 5) == (split == "test"))
    return FSDD(
        [r[3] for r in rows], [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]
    )


@lru_cache(maxsize=None)
def _read_wav(path: str, sample_rate: int) -> np.ndarray:
    """The int16 samples of a mono WAV at ``sample_rate`` (decoded once per process)."""
    import soundfile

    try:
        samples, rate = soundfile.read(path, dtype="int16", always_2d=True)
    except (RuntimeError, OSError) as err:  # soundfile.LibsndfileError is a RuntimeError
        raise _corrupt_file("fsdd", path, "a WAV soundfile can decode", err) from err
    if rate != sample_rate or samples.shape[1] != 1:
        raise ValueError(
            f"{path}: expected mono at {sample_rate} Hz, got {samples.shape[1]} "
            f"channel(s) at {rate} Hz"
        )
    samples = samples[:, 0].copy()
    samples.flags.writeable = False
    return samples


@lru_cache(maxsize=None)
def _read_resampled(path: str, sample_rate: int) -> np.ndarray:
    """Any soundfile-readable file as float32 mono (channel mean) at ``sample_rate`` (read-only,
    decoded and resampled once per process by ``torchaudio.functional.resample``)."""
    import soundfile
    import torchaudio.functional as AF

    try:
        samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except (RuntimeError, OSError) as err:
        raise _corrupt_file("urbansound8k", path, "a WAV soundfile can decode", err) from err
    mono = torch.from_numpy(samples.mean(axis=1, dtype=np.float32))
    if rate != sample_rate:
        mono = AF.resample(mono, int(rate), int(sample_rate))
    out = mono.numpy().astype(np.float32, copy=True)
    out.flags.writeable = False
    return out


def _urbansound8k_fold(split: str, fold=None) -> int:
    """The fold a split refers to: ``fold<k>`` -> k; train/test -> ``fold`` (default 10), 1-10."""
    if split.startswith("fold"):
        k = int(split[4:])
        if fold is not None and fold != k:
            raise ValueError(f"fold={fold!r} contradicts split={split!r}; give one or the other")
        return k
    if fold is None:
        return 10
    return checks.integer(
        fold, "fold", 1, 10, note=" (an official UrbanSound8K fold)", type_error=ValueError
    )


def _check_urbansound8k(split: str, fold=None, sample_rate: int = 8000) -> None:
    _urbansound8k_fold(split, fold)
    checks.integer(sample_rate, "sample_rate")


def _urbansound8k_rows(folder: Path, strict: bool = False) -> list[tuple[int, str, int, int, Path]]:
    """(fold, file name, classID, fsID, path) of ``metadata/UrbanSound8K.csv``, sorted.

    Checks that ``class`` is ``URBANSOUND8K_CLASSES[classID]`` and fold is 1-10. ``strict`` (the
    verification of a download) also requires :data:`URBANSOUND8K_CLIPS` rows, each with its WAV at
    ``audio/fold<fold>/<slice_file_name>``, and no other WAV in ``audio/fold*/``.
    """
    import csv

    rows = []
    with open(folder / "metadata" / "UrbanSound8K.csv", newline="") as f:
        for r in csv.DictReader(f):
            fold, label = int(r["fold"]), int(r["classID"])
            if (
                not 1 <= fold <= 10
                or not 0 <= label <= 9
                or URBANSOUND8K_CLASSES[label] != r["class"]
            ):
                raise ValueError(f"{folder}/metadata/UrbanSound8K.csv: bad row {r}")
            path = folder / "audio" / f"fold{fold}" / r["slice_file_name"]
            rows.append((fold, r["slice_file_name"], label, int(r["fsID"]), path))
    rows.sort()
    if strict:
        wavs = {p.relative_to(folder).as_posix() for p in folder.glob("audio/fold*/*.wav")}
        listed = {r[4].relative_to(folder).as_posix() for r in rows}
        if len(rows) != URBANSOUND8K_CLIPS or len(listed) != len(rows) or wavs != listed:
            raise ValueError(
                f"{len(rows)} CSV rows ({len(listed)} distinct), {len(wavs)} WAVs, "
                f"{len(listed - wavs)} listed but missing, {len(wavs - listed)} unlisted"
            )
    return rows


def _read_urbansound8k(
    folder: Path, split: str, fold=None, sample_rate: int = 8000
) -> UrbanSound8K:
    """Official folds: test / fold<k> = fold k, train = the other nine (see
    :class:`UrbanSound8K`)."""
    k = _urbansound8k_fold(split, fold)
    keep = (lambda f: f != k) if split == "train" else (lambda f: f == k)
    rows = [r for r in _urbansound8k_rows(folder) if keep(r[0])]
    return UrbanSound8K(
        [r[4] for r in rows],
        [r[2] for r in rows],
        [r[0] for r in rows],
        [r[3] for r in rows],
        sample_rate,
    )


def _read_mnist(folder: Path, split: str, transform=None) -> ImageTensors:
    """idx files (``.gz`` or raw) in ``folder``; the decompressed bytes must match
    :data:`MNIST_MD5`."""
    prefix = "train" if split == "train" else "t10k"
    images = _idx(folder, f"{prefix}-images-idx3-ubyte")
    labels = _idx(folder, f"{prefix}-labels-idx1-ubyte")
    return ImageTensors(
        torch.from_numpy(images.copy()),
        torch.from_numpy(labels.astype(np.int64)),
        DIGITS,
        transform,
    )


def _idx(folder: Path, stem: str) -> np.ndarray:
    for path in (folder / stem, folder / f"{stem}.gz"):
        if path.is_file():
            stat = path.stat()
            return _parse_idx(str(path), MNIST_MD5[stem], stat.st_size, stat.st_mtime_ns)
    raise FileNotFoundError(f"{folder} has neither {stem} nor {stem}.gz")


@lru_cache(maxsize=8)
def _parse_idx(path: str, md5: str, size: int, mtime_ns: int) -> np.ndarray:
    """Array of an idx file (big-endian header: 0, 0, dtype 0x08, ndim, then ndim int32 sizes)."""
    try:
        raw = (
            gzip.decompress(Path(path).read_bytes())
            if path.endswith(".gz")
            else Path(path).read_bytes()
        )
    except (EOFError, gzip.BadGzipFile, zlib.error) as err:
        raise _corrupt_file("mnist", path, "a complete gzip file", err) from err
    got = hashlib.md5(raw).hexdigest()
    if got != md5:
        raise ChecksumMismatch(path, md5, got, kind="md5 of the decompressed idx file")
    ndim = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * k : 8 + 4 * k], "big") for k in range(ndim)]
    array = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)
    return array


def _read_cifar10(folder: Path, split: str, transform=None) -> ImageTensors:
    """``cifar-10-batches-py`` read (and md5-checked) by torchvision; data as (N, 3, 32, 32)
    uint8."""
    from torchvision.datasets import CIFAR10

    try:
        raw = CIFAR10(root=str(folder.parent), train=(split == "train"), download=False)
    except RuntimeError as err:  # torchvision: "Dataset not found or corrupted"
        raise _corrupt_file(
            "cifar10", folder, "batches matching torchvision's md5 list", err
        ) from err
    data = torch.from_numpy(np.ascontiguousarray(raw.data.transpose(0, 3, 1, 2)))
    return ImageTensors(data, torch.as_tensor(raw.targets), CIFAR10_CLASSES, transform)


def _read_cifar10_sample(folder: Path, split: str, transform=None) -> ImageTensors:
    """``<class>/<id>.png`` (32 x 32 RGB); items ordered by id (= training-set index + 1)."""
    from PIL import Image

    rows = sorted(
        (int(p.stem), label, p)
        for label, c in enumerate(CIFAR10_CLASSES)
        for p in (folder / c).glob("*.png")
    )
    images = []
    for _, _, path in rows:
        with Image.open(path) as im:
            images.append(np.asarray(im.convert("RGB")))
    data = torch.from_numpy(np.stack(images).transpose(0, 3, 1, 2).copy())
    return ImageTensors(data, torch.as_tensor([r[1] for r in rows]), CIFAR10_CLASSES, transform)


def _scan(folder: Path, class_dirs: list[str]) -> list[tuple[str, int]]:
    """(path, class index) of every ``.jpg``/``.jpeg`` in ``folder/<class_dirs[i]>``, sorted by
    name."""
    samples = []
    for label, name in enumerate(class_dirs):
        if not (folder / name).is_dir():
            raise FileNotFoundError(f"class folder {folder / name} is missing")
        files = sorted(
            p for p in (folder / name).iterdir() if p.suffix.lower() in (".jpg", ".jpeg")
        )
        samples += [(str(p), label) for p in files]
    return samples


def _read_flowers(folder: Path, split: str, transform=None, target_transform=None) -> ImageFiles:
    """Pre-split ``{train,val}/<class>/`` (data directory) or ``flower_photos/<class>/`` + split
    rule."""
    if (folder / "train").is_dir() or (folder / "val").is_dir():
        samples = _scan(folder / split, FLOWERS_CLASSES)
    else:
        samples = _flowers_split(_scan(folder, FLOWERS_CLASSES), split)
    return ImageFiles(folder, samples, FLOWERS_CLASSES, transform, target_transform)


def _flowers_split(samples: list[tuple[str, int]], split: str) -> list[tuple[str, int]]:
    """The book's split of flower_photos (3,670 images, no official split): per class, take the
    file names in sorted order, permute them with ``numpy.random.default_rng([0, class index])``;
    the first ``floor(0.8 n)`` are train, the rest val (2,934 train / 736 val in all)."""
    kept = []
    for label in range(len(FLOWERS_CLASSES)):
        paths = sorted(p for p, y in samples if y == label)
        order = np.random.default_rng([0, label]).permutation(len(paths))
        train = set(order[: 4 * len(paths) // 5].tolist())
        kept += [(p, label) for k, p in enumerate(paths) if (k in train) == (split == "train")]
    return kept


def _read_imagenette(folder: Path, split: str, transform=None, target_transform=None) -> ImageFiles:
    """``{train,val}/<wnid>/*.JPEG``; classes = names of the sorted wnids (``ds.wnids``)."""
    wnids = sorted(IMAGENETTE_CLASSES)
    ds = ImageFiles(
        folder / split,
        _scan(folder / split, wnids),
        [IMAGENETTE_CLASSES[w] for w in wnids],
        transform,
        target_transform,
    )
    ds.wnids = wnids
    return ds


_PENNFUDAN_NAME = re.compile(r"(FudanPed|PennPed)(\d{5})(_mask)?\.png")


def _pennfudan_splits(filename: str) -> tuple[str, ...] | None:
    """The splits holding the image (or mask) ``filename`` by the rule of :class:`PennFudan`: n odd
    -> ``a``; n even -> ``b`` and ``b-test`` (n a multiple of 6) or ``b-train``; None: not a
    Penn-Fudan name."""
    m = _PENNFUDAN_NAME.fullmatch(filename)
    if m is None:
        return None
    n = int(m[2])
    if n % 2:
        return ("a",)
    return ("b", "b-test") if n % 6 == 0 else ("b", "b-train")


def _check_pennfudan(split: str, size=None, transform=None) -> None:
    if size is not None:
        checks.integer(size, "size", note=" (pixels per side) or None")
    checks.function(transform, "transform", "a callable taking a PIL image", optional=True)


def _read_pennfudan(folder: Path, split: str, size=None, transform=None) -> PennFudan:
    """``PNGImages/<name>.png`` with ``PedMasks/<name>_mask.png``, sorted by name, the images of
    ``split`` by :func:`_pennfudan_splits`."""
    if not (folder / "PNGImages").is_dir():
        raise FileNotFoundError(f"image folder {folder / 'PNGImages'} is missing")
    images, groups = [], []
    for path in sorted((folder / "PNGImages").glob("*.png")):
        m = _PENNFUDAN_NAME.fullmatch(path.name)
        if m is None or m[3]:
            raise ValueError(f"{path} is not named FudanPed<nnnnn>.png or PennPed<nnnnn>.png")
        if split in _pennfudan_splits(path.name):
            images.append(path)
            groups.append(PENNFUDAN_GROUPS.index(m[1]))
    masks = [folder / "PedMasks" / f"{p.stem}_mask.png" for p in images]
    return PennFudan(images, masks, groups, size, transform)


def _tv(cls_name: str, **kwargs) -> Callable[[Path], object]:
    def make(root: Path):
        from torchvision import datasets

        return getattr(datasets, cls_name)(root=str(root), download=True, **kwargs)

    return make


# --------------------------------------------------------------------- what verification reads
def _fsdd_split(rel: str) -> str | None:
    m = _FSDD_NAME.fullmatch(rel)
    if m is None:  # not a clip name: every split's reader trips over it
        return None
    return "test" if int(m[3]) < 5 else "train"


def _mnist_split(rel: str) -> str:
    return "test" if rel.split("/")[-1].startswith("t10k") else "train"


def _pennfudan_split(rel: str) -> tuple[str, ...] | None:
    """Images and masks by their file name (a stray PNG: None, so every split trips over it)."""
    return _pennfudan_splits(rel.rsplit("/", 1)[-1])


def _top_split(splits: tuple[str, ...]) -> Callable[[str], str | None]:
    """Members under ``<split>/`` belong to that split; others (a flat tree) to every split."""
    return lambda rel: rel.split("/", 1)[0] if rel.split("/", 1)[0] in splits else None


def _cifar10_split(rel: str) -> str | None:
    return "train" if "data_batch" in rel else "test" if "test_batch" in rel else None


def _cifar10_copies() -> list:
    """torchvision's own md5 list of ``cifar-10-batches-py`` (what its ``CIFAR10`` checks)."""
    from torchvision.datasets import CIFAR10

    files = {name: (None, md5) for name, md5 in CIFAR10.train_list + CIFAR10.test_list}
    files[CIFAR10.meta["filename"]] = (None, CIFAR10.meta["md5"])
    return [
        integrity.Expected(
            "the CIFAR-10 python batches (torchvision's md5 list)", files=files, kind="md5"
        )
    ]


def _imagenette_copies() -> list:
    counts = {f"{split}/{w}": n for split, per in IMAGENETTE_COUNTS.items() for w, n in per.items()}
    return [
        integrity.Expected(
            "the full imagenette2 (member counts per split and class)", counts=counts
        )
    ]


def _flowers_copies() -> list:
    return [
        integrity.Expected(
            "the full flower_photos tree (member counts per class)", counts=dict(FLOWERS_COUNTS)
        )
    ]


def _urbansound8k_copies() -> list:
    return [
        integrity.Expected(
            "the full UrbanSound8K v1.0 (WAVs per official fold)",
            counts={f"audio/fold{k}": n for k, n in URBANSOUND8K_FOLD_COUNTS.items()},
        )
    ]


_IMAGES = ("*.jpg", "*.jpeg")


# -------------------------------------------------------------------------------------- registry
_FSDD_URL = (
    "https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/tags/v1.0.10.tar.gz"
)
_FLOWERS_URL = (
    "https://storage.googleapis.com/download.tensorflow.org/example_images/flower_photos.tgz"
)
_URBANSOUND8K_URL = "https://zenodo.org/records/1203745/files/UrbanSound8K.tar.gz"
_PENNFUDAN_URL = "https://www.cis.upenn.edu/~jshi/ped_html/PennFudanPed.zip"
_IMAGE_OPTIONS = ("transform", "target_transform")

SOURCES: dict[str, Source] = {
    s.name: s
    for s in [
        Source(
            name="fsdd",
            title="Free Spoken Digit Dataset v1.0.10",
            homepage="https://github.com/Jakobovski/free-spoken-digit-dataset",
            url=_FSDD_URL,
            license="CC BY-SA 4.0 (dataset authors)",
            split_rule="test = takes 0-4 of every speaker and digit (300 clips), "
            "train = takes 5-49 (2,700); the dataset's own convention",
            layout="fsdd/recordings/{digit}_{speaker}_{take}.wav (3,000 WAVs, 8 kHz mono int16)",
            splits=("train", "test"),
            data_path="fsdd/recordings",
            read=_read_fsdd,
            cache_path="recordings",
            fetch=_fetch_fsdd,
            digest=FSDD_DIGEST,
            members=("*.wav",),
            split_of=_fsdd_split,
        ),
        Source(
            name="urbansound8k",
            title="UrbanSound8K v1.0 (Salamon, Jacoby & Bello 2014)",
            homepage="https://urbansounddataset.weebly.com/urbansound8k.html",
            url=_URBANSOUND8K_URL,
            license="CC BY-NC 3.0 (non-commercial); cite Salamon, Jacoby & Bello, ACM MM 2014",
            split_rule="official 10 folds only: test = fold k, train = the other nine (fold=k, "
            "default 10), or split='fold<k>'; never reshuffle (clips of one recording "
            "share a fold)",
            layout="UrbanSound8K/metadata/UrbanSound8K.csv (slice_file_name, fsID, start, end, "
            "salience, fold, classID, class) and UrbanSound8K/audio/fold{1..10}/*.wav "
            "(8,732 WAVs)",
            splits=("train", "test", *(f"fold{k}" for k in range(1, 11))),
            data_path="UrbanSound8K",
            read=_read_urbansound8k,
            cache_path="UrbanSound8K",
            fetch=_fetch_urbansound8k,
            md5=URBANSOUND8K_MD5,
            options=("fold", "sample_rate"),
            check=_check_urbansound8k,
            members=("*.wav",),
            full_copies=_urbansound8k_copies,
        ),
        Source(
            name="mnist",
            title="MNIST",
            homepage="http://yann.lecun.com/exdb/mnist/",
            url="torchvision.datasets.MNIST(download=True)",
            license="no explicit license; commonly cited as CC BY-SA 3.0; "
            "cite LeCun, Cortes, Burges",
            split_rule="official: train 60,000, test 10,000",
            layout="MNIST/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz",
            splits=("train", "test"),
            data_path="MNIST",
            read=_read_mnist,
            cache_path="MNIST/raw",
            fetch=_torchvision_fetch(_tv("MNIST")),
            quick={"train": 10_000, "test": 2_000},
            options=("transform",),
            members=("*-ubyte", "*-ubyte.gz"),
            split_of=_mnist_split,
        ),
        Source(
            name="cifar10",
            title="CIFAR-10",
            homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
            url="torchvision.datasets.CIFAR10(download=True)",
            license="no formal license; cite Krizhevsky, Learning Multiple Layers of Features from "
            "Tiny Images, 2009",
            split_rule="official: train 50,000, test 10,000",
            layout="cifar10/cifar-10-batches-py/ (the python batches of cifar-10-python.tar.gz)",
            splits=("train", "test"),
            data_path="cifar10/cifar-10-batches-py",
            read=_read_cifar10,
            cache_path="cifar-10-batches-py",
            fetch=_torchvision_fetch(_tv("CIFAR10")),
            quick={"train": 10_000, "test": 2_000},
            options=("transform",),
            alternative="cifar10-sample",
            members=("*_batch*", "batches.meta"),
            split_of=_cifar10_split,
            full_copies=_cifar10_copies,
        ),
        Source(
            name="cifar10-sample",
            title="the CIFAR-10 lossless sample (200 training PNGs)",
            homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
            url="(none: provided in the data directory only)",
            license="as CIFAR-10",
            split_rule="train only: CIFAR-10 training images #0-#199",
            layout="cifar10/lossless_png_sample/<class>/<id>.png",
            splits=("train",),
            data_path="cifar10/lossless_png_sample",
            read=_read_cifar10_sample,
            options=("transform",),
            members=("*.png",),
            note="; cifar10/lossless_png_sample: 200 lossless training PNGs, "
            "for exercising code paths",
        ),
        Source(
            name="flowers",
            title="tf_flowers (flower_photos)",
            homepage=_FLOWERS_URL,
            url=_FLOWERS_URL,
            license="CC BY 2.0 per image, photographer credits in LICENSE.txt",
            split_rule="no official split; canonical archive: per class, sorted names permuted by "
            "numpy default_rng([0, class index]), first 80 % train (2,934), rest val (736); data "
            "directory copy: its own train/val folders (100/25 per class)",
            layout="flowers/{train,val}/<class>/*.jpg",
            splits=("train", "val"),
            data_path="flowers",
            read=_read_flowers,
            cache_path="flower_photos",
            fetch=_fetch_flowers,
            quick={"train": 500, "val": 125},
            smoke={"train": 50, "val": 25},  # chapter 8's full mode: ResNet-18 at 160 px
            options=_IMAGE_OPTIONS,
            members=_IMAGES,
            split_of=_top_split(("train", "val")),
            full_copies=_flowers_copies,
            note="; subset of 100/25 images per class, original JPEGs",
        ),
        Source(
            name="imagenette",
            title="Imagenette (imagenette2, 10 ImageNet classes)",
            homepage="https://github.com/fastai/imagenette",
            url="torchvision.datasets.Imagenette(size='320px', download=True)",
            license="ImageNet terms of access (non-commercial research and education); cite Howard "
            "2019 and Deng et al. 2009",
            split_rule="official imagenette2 train / val",
            layout="imagenette/{train,val}/<wnid>/*.JPEG",
            splits=("train", "val"),
            data_path="imagenette",
            read=_read_imagenette,
            cache_path="imagenette2-320",
            fetch=_torchvision_fetch(_tv("Imagenette", split="train", size="320px")),
            quick={"train": 800, "val": 300},
            options=_IMAGE_OPTIONS,
            members=_IMAGES,
            split_of=_top_split(("train", "val")),
            full_copies=_imagenette_copies,
            note="; subset of 80/30 per class, resized to 224x224 and re-encoded as JPEG q75 by a "
            "third party, not the original files",
        ),
        Source(
            name="pennfudan",
            title="Penn-Fudan Database for Pedestrian Detection and Segmentation",
            homepage="https://www.cis.upenn.edu/~jshi/ped_html/",
            url=_PENNFUDAN_URL,
            license="research use; cite Wang, Shi, Song and Shen, ACCV 2007",
            split_rule="no official split; by the number n in each file name (FudanPed<n>, "
            "PennPed<n>): a = n odd (85 images), b = n even (85), the halves A and B of Wu et al. "
            "2022 sec. 5.2.2; within b: b-test = n a multiple of 6 (28), b-train = the rest (57); "
            "every split holds Fudan and Penn images",
            layout="PennFudanPed/{PNGImages,PedMasks}/ (<name>.png RGB images, <name>_mask.png "
            "instance masks: 0 background, k > 0 pedestrian k; 170 each)",
            splits=("a", "b", "b-train", "b-test"),
            data_path="PennFudanPed",
            read=_read_pennfudan,
            cache_path="PennFudanPed",
            fetch=_fetch_pennfudan,
            options=("size", "transform"),
            check=_check_pennfudan,
            members=("*.png",),
            split_of=_pennfudan_split,
        ),
    ]
}
DATASETS = tuple(SOURCES)
