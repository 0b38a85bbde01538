"""Real datasets for the book: one entry point, :func:`load`.

``load(name, split, mode, subset, root, download, seed)`` returns a torch ``Dataset`` for one of
``fsdd``, ``urbansound8k``, ``dcase2016``, ``mnist``, ``cifar10``, ``cifar10-sample``,
``flowers``, ``imagenette``, ``pennfudan``, ``voc2012``. Every returned dataset carries ``name``,
``split``, ``classes``, ``targets`` (int64 tensor) and ``source`` (where it was read from, with the
path), so a chapter can print what it used: ``print(describe(ds))``.

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
800 / 300 (the size of the shared copies); fsdd, urbansound8k, dcase2016, cifar10-sample,
pennfudan and voc2012: none (pennfudan's 170 images are small: quick mode reads them all;
urbansound8k, dcase2016 and voc2012 are full-mode datasets: canonical downloads of 6, 8 and 2 GB
that the offline data directory does not hold, so without them a load raises
:class:`DatasetUnavailable`). Subsets are fixed, seeded and
class-stratified: see :func:`stratified_indices`.

Items: fsdd ``(waveform float32 (n,) in [-1, 1), digit)``; urbansound8k ``(waveform float32 (n,)
mono at sample_rate, classID)`` (see :class:`UrbanSound8K`: official folds only); dcase2016 the
same with the scene index (see :class:`DCASE2016`: the official 4-fold development setup only);
mnist
``(float32 (1, 28, 28) in [0, 1], digit)``; cifar10 / cifar10-sample ``(float32 (3, 32, 32) in
[0, 1], class)``; flowers and imagenette ``(PIL RGB image, class)`` like
``torchvision.datasets.ImageFolder``, or ``transform(image)`` when ``load(..., transform=...)`` is
given; pennfudan ``(PIL RGB image, label map int64 (H, W): 0 background, 1 pedestrian)``, both
brought to S x S by ``size=S`` (see :class:`PennFudan`: splits ``a`` / ``b``, ``b`` cut into
``b-train`` / ``b-test``); voc2012 likewise with label map values 0-20 and 255 (ignored; see
:class:`VOC2012`: the same split names, made from the official segmentation lists).
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
    "DCASE2016",
    "ImageTensors",
    "ImageFiles",
    "PennFudan",
    "VOC2012",
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
VOC2012_MD5 = "6cd6e144f989b92b3379bac3b3de84fd"
"""md5 of VOCtrainval_11-May-2012.tar (about 2 GB), as in torchvision's ``VOCSegmentation``
(``DATASET_YEAR_DICT["2012"]``)."""
VOC2012_CLASSES = [
    "background",
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
]
"""The 21 values of a VOC label map in index order (0 background, 1-20 the object classes)."""
VOC2012_IGNORE = 255
"""The label of object boundaries and "difficult" pixels in ``SegmentationClass``; it equals
``train.IGNORE_INDEX``, which the book's pixel metrics and loss leave out."""
VOC2012_LISTS = ["train", "val"]
"""The official segmentation lists ``ImageSets/Segmentation/{train,val}.txt`` (a :class:`VOC2012`
item's ``targets`` value is its list's index here)."""
VOC2012_LIST_COUNTS = {"train": 1464, "val": 1449}
"""Image ids per official segmentation list of VOC2012 (2,913 in all)."""
VOC2012_JPEGS = 17125
"""JPEGs in ``VOC2012/JPEGImages`` of VOCtrainval_11-May-2012.tar (all tasks together)."""
DCASE2016_PACKAGES = {  # name: (md5, bytes), as listed in dcase_util (dcase_util/datasets/tut.py)
    "TUT-acoustic-scenes-2016-development.doc.zip": ("f94ad46eb36325d9fbce5d60f7fc9926", 69671),
    "TUT-acoustic-scenes-2016-development.meta.zip": ("779b33da2ebbf8bde494b3c981827251", 28815),
    "TUT-acoustic-scenes-2016-development.error.zip": ("a0d3e0d81b0a36ece87d0f3a9124a386", 1283),
    "TUT-acoustic-scenes-2016-development.audio.1.zip": (
        "e39546e65f2e72517b6335aaf0c8323d",
        1070981236,
    ),
    "TUT-acoustic-scenes-2016-development.audio.2.zip": (
        "d36cf3253e2c041f68e937a3fe804807",
        1067186166,
    ),
    "TUT-acoustic-scenes-2016-development.audio.3.zip": (
        "0393a9620ab882b1c26d884eccdcffdd",
        1073644405,
    ),
    "TUT-acoustic-scenes-2016-development.audio.4.zip": (
        "fb3e4e0cd7ea82120ec07031dee558ce",
        1072111347,
    ),
    "TUT-acoustic-scenes-2016-development.audio.5.zip": (
        "a19cf600b33c8f88f6ad607bafd74057",
        1069681513,
    ),
    "TUT-acoustic-scenes-2016-development.audio.6.zip": (
        "591aad3219d1155342572cc1f6af5680",
        1072890150,
    ),
    "TUT-acoustic-scenes-2016-development.audio.7.zip": (
        "9e6c1897789e6bce13ac69c6caedb7ab",
        1069265197,
    ),
    "TUT-acoustic-scenes-2016-development.audio.8.zip": (
        "c4718354f48fcc9dfc7305f6cd8325c8",
        528461098,
    ),
}
"""The 11 zip packages of TUT Acoustic Scenes 2016, development set (Zenodo record 45739): md5 and
size in bytes of each (8,024,320,881 bytes in all), from dcase_util's
``TUTAcousticScenes_2016_DevelopmentSet.package_list``."""
DCASE2016_CLIPS = 1170
"""Rows of ``meta.txt`` = WAVs in ``audio/`` (30 s, 44.1 kHz, stereo, 24-bit) of the development
set: 78 per scene."""
DCASE2016_CLASSES = [
    "beach",
    "bus",
    "cafe/restaurant",
    "car",
    "city_center",
    "forest_path",
    "grocery_store",
    "home",
    "library",
    "metro_station",
    "office",
    "park",
    "residential_area",
    "train",
    "tram",
]
"""The 15 acoustic scenes, sorted: label k is ``DCASE2016_CLASSES[k]``."""
DCASE2016_FOLDS = 4
"""Folds of the official development setup (``evaluation_setup/fold{1..4}_*.txt``)."""


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


class _ResampledClips(_Clips):
    """Clips of any rate and channel count, read as float32 mono at ``sample_rate``: the decode of
    ``soundfile`` (float, full scale = 1), the mean of the channels, resampled from the file's own
    rate with ``torchaudio.functional.resample`` (:func:`_read_resampled`; decoded on first access
    and kept in memory per item)."""

    def __init__(self, files: list[Path], labels, sample_rate: int = 8000):
        self.files = list(files)
        self.labels = torch.as_tensor(labels, dtype=torch.int64)
        self.sample_rate = checks.integer(sample_rate, "sample_rate")

    def waveform(self, i: int) -> torch.Tensor:
        """Clip ``i`` as float32 ``(n,)``, mono at ``sample_rate`` (a copy of the cached decode)."""
        samples = _read_resampled(str(self.files[i]), self.sample_rate, self.name or self._key)
        return torch.from_numpy(samples.copy())


class UrbanSound8K(_ResampledClips):
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
    _key = "urbansound8k"
    _fields = ("files", "labels", "folds", "recordings")

    def __init__(self, files: list[Path], labels, folds, recordings, sample_rate: int = 8000):
        super().__init__(files, labels, sample_rate)
        self.folds = torch.as_tensor(folds, dtype=torch.int64)
        self.recordings = torch.as_tensor(recordings, dtype=torch.int64)


class DCASE2016(_ResampledClips):
    """TUT Acoustic Scenes 2016, development set (Mesaros, Heittola & Virtanen, EUSIPCO 2016), the
    data of DCASE 2016 task 1: 1,170 recordings of 30 s (44.1 kHz, stereo, 24-bit), 15 scenes.

    Item ``(waveform, label)``: ``waveform`` float32 ``(n,)``, read as :class:`UrbanSound8K` reads
    its clips (soundfile, mean of the two channels, ``torchaudio.functional.resample`` to
    ``sample_rate`` Hz, ``load(..., sample_rate=8000)`` by default: 240,000 samples per clip);
    ``label``: the index of the scene in :data:`DCASE2016_CLASSES` (sorted names). Decoded on first
    access and kept in memory per item (all 1,170 clips at 8 kHz: about 1.1 GB).

    Splits are the OFFICIAL 4-fold development setup only (``evaluation_setup/``):
    ``split="train", fold=k`` is ``fold<k>_train.txt``, ``split="test", fold=k`` is
    ``fold<k>_evaluate.txt`` (the files of ``fold<k>_test.txt``, with their labels); ``fold``
    1-4, default 1; results comparable with DCASE 2016 are the mean over ``fold=1..4``. The setup
    keeps the 30-s segments of one recording location (``recordings``: the file-name prefix, e.g.
    ``a001`` of ``a001_0_30.wav``) in one fold; never reshuffle segments across folds. Labels come
    from ``meta.txt``; a fold file naming another label, or a file ``meta.txt`` lacks, is an error.
    ``error.txt`` (the error package: segments with recording errors) is kept but not used, as in
    the challenge.

    Attributes: ``sample_rate``, ``fold``, ``files`` (paths), ``labels`` / ``targets`` (int64
    (N,)), ``recordings`` (str per item), ``classes`` (the 15 names). Items are in fold-file order.
    """

    classes = DCASE2016_CLASSES
    _key = "dcase2016"
    _fields = ("files", "labels", "recordings")

    def __init__(self, files: list[Path], labels, recordings, fold: int, sample_rate: int = 8000):
        super().__init__(files, labels, sample_rate)
        self.recordings, self.fold = list(recordings), int(fold)


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


class _LabelMaps(_Dataset):
    """Semantic segmentation pairs: item ``(image, label_map)``.

    ``image``: ``images[i]`` decoded by PIL as RGB (or ``transform(image)``); ``label_map``: int64
    ``(H, W)``, the one-channel PNG ``masks[i]`` read as its stored values (a palette PNG as its
    palette indices, never as colours) and mapped by :meth:`_labels`. ``size=S`` brings both to
    ``S x S`` before ``transform``: squashed (aspect ratio not kept, nothing cropped), the image by
    PIL's bilinear filter (antialiased: PIL widens it when downscaling), the label map by nearest
    neighbour (its values stay what they are), so items stack into batches. ``size=None`` keeps
    each image's own size. ``targets`` int64 (N,): a group per image (see the subclass), which a
    ``subset=`` draw is stratified on.
    """

    unit = "images"
    _key = "images"
    _fields = ("images", "masks", "targets")

    def __init__(self, images: list[Path], masks: list[Path], targets, size=None, transform=None):
        self.images, self.masks = list(images), list(masks)
        self.targets = torch.as_tensor(targets, dtype=torch.int64)
        self.size, self.transform = size, transform

    def _labels(self, i: int, mode: str, ids: np.ndarray) -> np.ndarray:  # pragma: no cover
        """The uint8 label map of item ``i`` from its mask PNG (PIL ``mode``, values ``ids``)."""
        raise NotImplementedError

    def __getitem__(self, i: int):
        from PIL import Image

        name = self.name or self._key
        image = _decode(name, self.images[i], lambda im: im.convert("RGB"))
        mode, ids = _decode(name, self.masks[i], lambda im: (im.mode, np.asarray(im)))
        if ids.ndim != 2 or ids.shape != (image.height, image.width):
            raise _corrupt_file(
                name,
                self.masks[i],
                f"a one-channel mask of its image's size {image.width} x {image.height}",
                ValueError(f"mask array of shape {ids.shape}"),
            )
        labels = self._labels(i, mode, ids)
        if self.size is not None:
            image = image.resize((self.size, self.size), Image.Resampling.BILINEAR)
            labels = np.asarray(
                Image.fromarray(labels).resize((self.size, self.size), Image.Resampling.NEAREST)
            )
        label_map = torch.from_numpy(labels.astype(np.int64))
        return (self.transform(image) if self.transform else image), label_map


class PennFudan(_LabelMaps):
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

    classes = PENNFUDAN_CLASSES
    groups = PENNFUDAN_GROUPS
    _key = "pennfudan"

    def _labels(self, i: int, mode: str, ids: np.ndarray) -> np.ndarray:
        """Instance ids (0 background, k > 0 pedestrian k) -> 0 / 1."""
        return (ids > 0).astype(np.uint8)


class VOC2012(_LabelMaps):
    """Pascal VOC 2012 segmentation (Everingham et al., IJCV 2010): 2,913 photographs with
    pixel labels of 20 object classes and background.

    Item ``(image, label_map)``: ``image`` is ``JPEGImages/<id>.jpg`` decoded by PIL as RGB (or
    ``transform(image)``); ``label_map`` is an int64 tensor ``(H, W)``: the palette PNG
    ``SegmentationClass/<id>.png`` read as its palette indices (never converted to colours):
    0 = background, 1-20 = the classes of :attr:`classes` (:data:`VOC2012_CLASSES`), and 255
    (:data:`VOC2012_IGNORE` = ``train.IGNORE_INDEX``) on object boundaries and "difficult"
    regions, kept as it is: the book's pixel metrics and loss leave those pixels out. A value
    outside 0-20 and 255, or a label PNG that is not one-channel, is a damaged file
    (:class:`DatasetCorrupt`). Images are up to 500 x 500 px. ``size=S`` (``load(..., size=S)``)
    brings image and label map to ``S x S`` exactly as :class:`PennFudan` does (bilinear image,
    nearest-neighbour labels, so 255 stays 255); ``size=None`` (default) keeps each image's size.

    Splits, with the names and roles of :class:`PennFudan`'s (the halves A and B of Wu et al.
    2022, sec. 5.2.2), made from the two official segmentation lists
    ``ImageSets/Segmentation/{train,val}.txt`` (1,464 and 1,449 ids), no seed:

    * ``a``: the ids of ``train.txt`` at even positions (0, 2, 4, ... of the list as given), 732;
    * ``b-train``: the ids of ``train.txt`` at odd positions, 732; ``b-test``: all of ``val.txt``,
      1,449 (the official validation set); ``b`` = ``b-train`` + ``b-test``, 2,181.

    ``a`` and ``b`` are disjoint and cover all 2,913 images; ``b-train`` and ``b-test`` are
    disjoint and cover ``b``. Items are in list order (``b``: ``b-train``'s, then ``b-test``'s).

    Attributes: ``ids``, ``images`` and ``masks`` (paths), ``targets`` int64 (N,): the official
    list an image comes from, an index into ``groups = ["train", "val"]`` -- not a pixel class (a
    ``subset=`` draw of ``b`` keeps its share of each); ``classes``, ``size``, ``transform``.
    """

    classes = VOC2012_CLASSES
    groups = VOC2012_LISTS
    _key = "voc2012"
    _fields = ("ids", "images", "masks", "targets")

    def __init__(self, ids: list[str], folder: Path, targets, size=None, transform=None):
        self.ids = list(ids)
        super().__init__(
            [folder / "JPEGImages" / f"{i}.jpg" for i in self.ids],
            [folder / "SegmentationClass" / f"{i}.png" for i in self.ids],
            targets,
            size,
            transform,
        )

    def _labels(self, i: int, mode: str, ids: np.ndarray) -> np.ndarray:
        """Palette indices as they are, checked: 0-20 or 255."""
        bad = np.setdiff1d(np.unique(ids), [*range(len(VOC2012_CLASSES)), VOC2012_IGNORE])
        if mode not in ("P", "L") or bad.size:
            raise _corrupt_file(
                self.name or self._key,
                self.masks[i],
                f"a palette PNG of class indices 0-{len(VOC2012_CLASSES) - 1} and {VOC2012_IGNORE}",
                ValueError(f"PIL mode {mode!r}, other values {bad[:5].tolist()}"),
            )
        return ids.astype(np.uint8)


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
    ``packages``: a dataset published as several archives, name -> md5; each is downloaded from
    ``url + name`` (``url`` is then the folder's address).
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
    packages: dict = field(default_factory=dict)

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
    and ``sample_rate`` (see :class:`UrbanSound8K`); dcase2016: ``fold`` (1-4) and
    ``sample_rate`` (see :class:`DCASE2016`); pennfudan and voc2012: ``size`` (resize image and
    label map to ``size x size``) and ``transform`` of the image (see :class:`PennFudan`,
    :class:`VOC2012`).

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
    fetched = src.url
    if src.packages:
        fetched += f" + each of the {len(src.packages)} packages {', '.join(src.packages)}"
    text = (
        f"dataset {src.name!r} ({src.title}) is not available: {where}; no verified download in "
        f"the cache "
        f"{cached}; {why}. Canonical source: {src.homepage} (download: {fetched}). "
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
    """Extract ``archive`` into the folder ``dest`` (made if missing; the packages of a dataset
    unpack into one tree): refuse absolute or ``..`` member names, skip links and special files
    (only regular files and folders are written)."""
    with tarfile.open(archive, "r:*") as tar:
        members = tar.getmembers()
        _refuse_unsafe(archive, [m.name for m in members])
        dest.mkdir(parents=True, exist_ok=True)
        tar.extractall(dest, members=[m for m in members if m.isfile() or m.isdir()], filter="data")


def _extract_zip(archive: Path, dest: Path) -> None:
    """Extract the zip ``archive`` into the folder ``dest``, as :func:`_extract_tar` does: refuse
    absolute or ``..`` member names, skip symbolic links (only files and folders are written); a
    member whose CRC fails raises ``zipfile.BadZipFile``."""
    with zipfile.ZipFile(archive) as zf:
        members = zf.infolist()
        _refuse_unsafe(archive, [m.filename for m in members])
        dest.mkdir(parents=True, exist_ok=True)
        for m in members:
            target = dest / m.filename
            if m.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            elif not stat.S_ISLNK(m.external_attr >> 16):
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(m) as member, open(target, "wb") as out:
                    shutil.copyfileobj(member, out)


def _fetch_archive(src: Source, work: Path, package: str | None = None) -> Path:
    """Download ``src.url`` into ``work`` (sha256 / md5 ``src.sha256`` / ``src.md5`` if known),
    extract it into ``work/extracted`` (a zip when the URL's path ends in ``.zip``, else a tar,
    compressed or not), drop it; return ``work/extracted``. ``package``: a name of
    ``src.packages`` instead, downloaded from ``src.url + package`` and verified by its md5 there
    before it is extracted; the packages of one dataset unpack into the same tree. An archive that
    does not unpack raises :class:`ChecksumMismatch`."""
    url, sha256, md5 = (
        (src.url, src.sha256, src.md5)
        if package is None
        else (src.url + package, None, src.packages[package])
    )
    is_zip = urllib.parse.urlsplit(url).path.lower().endswith(".zip")
    archive = download(url, work / ("archive.zip" if is_zip else "archive.tar"), sha256, md5=md5)
    tree = work / "extracted"
    try:
        (_extract_zip if is_zip else _extract_tar)(archive, tree)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error) as err:
        raise ChecksumMismatch(
            url, "an archive that unpacks", f"{type(err).__name__}: {err}", kind="archive"
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


def _fetch_voc2012(src: Source, work: Path) -> None:
    """VOCtrainval_11-May-2012.tar -> ``work/VOCdevkit/VOC2012``, verified twice: the md5 of the
    tar (``src.md5`` = :data:`VOC2012_MD5`, torchvision's) while downloading, then the layout rule
    of :func:`_voc2012_lists` (1,464 + 1,449 distinct ids, each with its JPEG and label PNG).

    Only what the segmentation reader reads is kept: ``ImageSets/Segmentation/``,
    ``SegmentationClass/`` and the JPEGs of the listed ids (2,913 of the 17,125; about 0.4 GB of
    the 2 GB); detection annotations, instance masks and the other JPEGs are dropped. Needs room
    for the tar plus its extraction (about 4 GB) while it runs.
    """
    tree = _fetch_archive(src, work)
    folder = tree / "VOCdevkit" / "VOC2012"
    if not folder.is_dir():
        raise ChecksumMismatch(src.url, "one VOCdevkit/VOC2012/ folder", "none", kind="layout")
    try:
        lists = _voc2012_lists(folder, strict=True)
    except (OSError, ValueError) as err:
        raise ChecksumMismatch(
            src.url,
            f"ImageSets/Segmentation/{{train,val}}.txt with {VOC2012_LIST_COUNTS} distinct ids, "
            f"each with JPEGImages/<id>.jpg and SegmentationClass/<id>.png",
            str(err),
            kind="layout",
        ) from err
    kept = work / "VOCdevkit" / "VOC2012"
    (kept / "ImageSets").mkdir(parents=True)
    (kept / "JPEGImages").mkdir()
    os.replace(folder / "ImageSets" / "Segmentation", kept / "ImageSets" / "Segmentation")
    os.replace(folder / "SegmentationClass", kept / "SegmentationClass")
    for i in [i for ids in lists.values() for i in ids]:
        os.replace(folder / "JPEGImages" / f"{i}.jpg", kept / "JPEGImages" / f"{i}.jpg")
    shutil.rmtree(tree)


def _fetch_dcase2016(src: Source, work: Path) -> None:
    """The 11 zip packages of ``src.packages`` -> ``work/TUT-acoustic-scenes-2016-development``.

    Each package is downloaded from ``src.url + name`` and verified by its md5
    (:data:`DCASE2016_PACKAGES`, dcase_util's list) before it is unpacked into one tree, then
    deleted; the tree must then pass the layout rule of :func:`_dcase2016_layout` (1,170
    ``meta.txt`` rows = WAVs, the four folds' lists consistent with it). All of it happens in the
    work folder of :func:`_fill_cache`: one package that fails leaves nothing in the cache. Needs
    about 9 GB while it runs (the tree plus the largest package).
    """
    tree = work / "extracted"
    for package in src.packages:
        _fetch_archive(src, work, package)
    folder = tree / "TUT-acoustic-scenes-2016-development"
    if not folder.is_dir():
        raise ChecksumMismatch(
            src.url, "one TUT-acoustic-scenes-2016-development/ folder", "none", kind="layout"
        )
    try:
        _dcase2016_layout(folder)
    except (OSError, ValueError) as err:
        raise ChecksumMismatch(
            src.url,
            f"{DCASE2016_CLIPS} meta.txt rows, each with its WAV in audio/ and no other WAV, "
            f"and evaluation_setup/fold{{1..{DCASE2016_FOLDS}}}_{{train,evaluate}}.txt drawn "
            f"from meta.txt",
            str(err),
            kind="layout",
        ) from err
    os.replace(folder, work / "TUT-acoustic-scenes-2016-development")
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
def _read_resampled(path: str, sample_rate: int, dataset: str = "urbansound8k") -> np.ndarray:
    """Any soundfile-readable file as float32 mono (channel mean) at ``sample_rate`` (read-only,
    decoded and resampled once per process by ``torchaudio.functional.resample``); a file that does
    not decode raises :class:`DatasetCorrupt` naming ``dataset``."""
    import soundfile
    import torchaudio.functional as AF

    try:
        samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except (RuntimeError, OSError) as err:
        raise _corrupt_file(dataset, path, "a WAV soundfile can decode", err) from err
    mono = torch.from_numpy(samples.mean(axis=1, dtype=np.float32))
    if rate != sample_rate:
        mono = AF.resample(mono, int(rate), int(sample_rate))
    out = mono.numpy().astype(np.float32, copy=True)
    out.flags.writeable = False
    return out


def _official_fold(split: str, fold, folds: int, default: int, title: str) -> int:
    """The official fold a split refers to: ``fold<k>`` -> k; train/test -> ``fold`` (``default``
    when None), an int in ``1..folds`` (``title`` names the dataset in the error)."""
    if split.startswith("fold"):
        k = int(split[4:])
        if fold is not None and fold != k:
            raise ValueError(f"fold={fold!r} contradicts split={split!r}; give one or the other")
        return k
    if fold is None:
        return default
    return checks.integer(
        fold, "fold", 1, folds, note=f" (an official {title} fold)", type_error=ValueError
    )


def _urbansound8k_fold(split: str, fold=None) -> int:
    """UrbanSound8K's fold: ``fold<k>`` -> k; train/test -> ``fold`` (default 10), 1-10."""
    return _official_fold(split, fold, 10, 10, "UrbanSound8K")


def _check_urbansound8k(split: str, fold=None, sample_rate: int = 8000) -> None:
    _urbansound8k_fold(split, fold)
    checks.integer(sample_rate, "sample_rate")


def _dcase2016_fold(split: str, fold=None) -> int:
    """The development-setup fold of DCASE 2016 task 1: ``fold`` (default 1), 1-4."""
    return _official_fold(split, fold, DCASE2016_FOLDS, 1, "DCASE 2016 development-setup")


def _check_dcase2016(split: str, fold=None, sample_rate: int = 8000) -> None:
    _dcase2016_fold(split, fold)
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


def _dcase2016_list(path: Path, labelled: bool = True) -> list[tuple[str, str | None]]:
    """(``audio/<file>.wav``, scene label or None) per line of a DCASE list (``meta.txt``, a fold
    file): tab-separated, file first; further columns are ignored, blank lines skipped."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            fields = line.strip().split("\t") if "\t" in line else line.split()
            if not fields or not fields[0]:
                continue
            if labelled and len(fields) < 2:
                raise ValueError(
                    f"{path}, line {n}: expected '<file>\\t<scene label>', got {line!r}"
                )
            rows.append((fields[0].strip(), fields[1].strip() if len(fields) > 1 else None))
    return rows


def _dcase2016_rows(folder: Path, fold: int, split: str) -> list[tuple[str, int]]:
    """(``audio/<file>.wav``, label) of fold ``fold``'s ``train`` or ``evaluate`` list
    (``split="test"``), checked against ``meta.txt``: every file listed there, with that label."""
    meta = dict(_dcase2016_list(folder / "meta.txt"))
    part = "train" if split == "train" else "evaluate"
    path = folder / "evaluation_setup" / f"fold{fold}_{part}.txt"
    rows = []
    for rel, label in _dcase2016_list(path):
        if meta.get(rel) != label or label not in DCASE2016_CLASSES:
            raise ValueError(
                f"{path}: {rel} labelled {label!r}, meta.txt says {meta.get(rel)!r} (the scene "
                f"must be one of the 15 of DCASE2016_CLASSES)"
            )
        rows.append((rel, DCASE2016_CLASSES.index(label)))
    return rows


def _dcase2016_layout(folder: Path) -> None:
    """The layout rule a download must pass: :data:`DCASE2016_CLIPS` distinct ``meta.txt`` rows,
    each a WAV of ``audio/`` with one of the 15 scenes, and no other WAV; for every fold, train and
    evaluate lists drawn from ``meta.txt`` with its labels and disjoint (ValueError otherwise)."""
    rows = _dcase2016_list(folder / "meta.txt")
    listed = {rel for rel, _ in rows}
    wavs = {p.relative_to(folder).as_posix() for p in folder.glob("audio/*.wav")}
    scenes = {label for _, label in rows}
    if len(rows) != DCASE2016_CLIPS or len(listed) != len(rows) or wavs != listed:
        raise ValueError(
            f"{len(rows)} meta.txt rows ({len(listed)} distinct), {len(wavs)} WAVs, "
            f"{len(listed - wavs)} listed but missing, {len(wavs - listed)} unlisted"
        )
    if not scenes <= set(DCASE2016_CLASSES):
        raise ValueError(f"meta.txt names unknown scenes {sorted(scenes - set(DCASE2016_CLASSES))}")
    for k in range(1, DCASE2016_FOLDS + 1):
        train = {rel for rel, _ in _dcase2016_rows(folder, k, "train")}
        test = {rel for rel, _ in _dcase2016_rows(folder, k, "test")}
        if not train or not test or train & test:
            raise ValueError(
                f"fold {k}: {len(train)} train and {len(test)} evaluate files, "
                f"{len(train & test)} in both"
            )


def _read_dcase2016(folder: Path, split: str, fold=None, sample_rate: int = 8000) -> DCASE2016:
    """The official development setup: ``fold<k>_train.txt`` / ``fold<k>_evaluate.txt`` (see
    :class:`DCASE2016`)."""
    k = _dcase2016_fold(split, fold)
    rows = _dcase2016_rows(folder, k, split)
    return DCASE2016(
        [folder / rel for rel, _ in rows],
        [label for _, label in rows],
        [PurePosixPath(rel).name.split("_", 1)[0] for rel, _ in rows],
        k,
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


def _check_label_maps(split: str, size=None, transform=None) -> None:
    """The options of the segmentation sets (pennfudan, voc2012)."""
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


def _voc2012_lists(folder: Path, strict: bool = False) -> dict[str, list[str]]:
    """The ids of ``ImageSets/Segmentation/{train,val}.txt`` in list order. ``strict`` (the
    verification of a download) also requires :data:`VOC2012_LIST_COUNTS` distinct ids per list,
    no id in both, and ``JPEGImages/<id>.jpg`` and ``SegmentationClass/<id>.png`` for each."""
    lists = {}
    for name in VOC2012_LISTS:
        path = folder / "ImageSets" / "Segmentation" / f"{name}.txt"
        lists[name] = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if strict:
        counts = {name: len(set(ids)) for name, ids in lists.items()}
        both = set(lists["train"]) & set(lists["val"])
        missing = [
            rel
            for ids in lists.values()
            for i in ids
            for rel in (f"JPEGImages/{i}.jpg", f"SegmentationClass/{i}.png")
            if not (folder / rel).is_file()
        ]
        if counts != VOC2012_LIST_COUNTS or both or missing:
            raise ValueError(
                f"distinct ids per list {counts}, {len(both)} in both lists, {len(missing)} "
                f"image or label files missing{f' (first: {missing[0]})' if missing else ''}"
            )
    return lists


def _voc2012_splits(lists: dict[str, list[str]]) -> dict[str, list[tuple[str, int]]]:
    """(id, list index) per split by the rule of :class:`VOC2012`."""
    train = [(i, 0) for i in lists["train"]]
    test = [(i, 1) for i in lists["val"]]
    return {"a": train[0::2], "b-train": train[1::2], "b-test": test, "b": train[1::2] + test}


def _read_voc2012(folder: Path, split: str, size=None, transform=None) -> VOC2012:
    """``JPEGImages/<id>.jpg`` with ``SegmentationClass/<id>.png``, the ids of ``split`` by
    :func:`_voc2012_splits` from the official segmentation lists."""
    rows = _voc2012_splits(_voc2012_lists(folder))[split]
    return VOC2012([i for i, _ in rows], folder, [g for _, g in rows], size, transform)


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


def _voc2012_copies() -> list:
    both = sum(VOC2012_LIST_COUNTS.values())
    return [
        integrity.Expected(
            "the full VOC2012 of VOCtrainval_11-May-2012.tar (member counts per folder)",
            counts={
                "JPEGImages": VOC2012_JPEGS,
                "SegmentationClass": both,
                "SegmentationObject": both,
            },
        ),
        integrity.Expected(
            "the segmentation part of VOC2012, as its verified download keeps it (member counts)",
            counts={"JPEGImages": both, "SegmentationClass": both},
        ),
    ]


def _dcase2016_copies() -> list:
    return [
        integrity.Expected(
            "the full TUT Acoustic Scenes 2016 development set (WAVs in audio/)",
            counts={"audio": DCASE2016_CLIPS},
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
_VOC2012_URL = "http://host.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar"
_DCASE2016_URL = "https://zenodo.org/records/45739/files/"
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
            check=_check_label_maps,
            members=("*.png",),
            split_of=_pennfudan_split,
        ),
        Source(
            name="voc2012",
            title="Pascal VOC 2012 segmentation (Everingham et al. 2010)",
            homepage="http://host.robots.ox.ac.uk/pascal/VOC/voc2012/",
            url=_VOC2012_URL,
            license="flickr terms of use; cite Everingham et al. IJCV 2010",
            split_rule="from the official segmentation lists "
            "ImageSets/Segmentation/{train,val}.txt (1,464 and 1,449 ids), no seed: a = the "
            "train ids at even positions 0, 2, 4, ... of the list as given (732), b-train = the "
            "train ids at odd positions (732), b-test = the official val list (1,449), b = "
            "b-train + b-test (2,181); the halves A and B of Wu et al. 2022 sec. 5.2.2",
            layout="VOCdevkit/VOC2012/{JPEGImages/<id>.jpg, SegmentationClass/<id>.png (palette "
            "PNGs: class index 0-20, 255 boundary/ignore), ImageSets/Segmentation/{train,val}.txt}",
            splits=("a", "b", "b-train", "b-test"),
            data_path="VOCdevkit/VOC2012",
            read=_read_voc2012,
            cache_path="VOCdevkit/VOC2012",
            fetch=_fetch_voc2012,
            md5=VOC2012_MD5,
            options=("size", "transform"),
            check=_check_label_maps,
            members=("*.jpg", "*.png"),
            full_copies=_voc2012_copies,
        ),
        Source(
            name="dcase2016",
            title="TUT Acoustic Scenes 2016, development set (DCASE 2016 task 1; Mesaros, "
            "Heittola & Virtanen 2016)",
            homepage="https://zenodo.org/records/45739",
            url=_DCASE2016_URL,
            license="free for academic non-commercial use (TUT license); cite Mesaros, Heittola & "
            "Virtanen, EUSIPCO 2016",
            split_rule="official 4-fold development setup only: train = "
            "evaluation_setup/fold<k>_train.txt, test = fold<k>_evaluate.txt (fold=k, 1-4, "
            "default 1); never reshuffle (segments of one recording location share a fold)",
            layout="TUT-acoustic-scenes-2016-development/{meta.txt (audio/<file>.wav<TAB><scene>), "
            "evaluation_setup/fold{1..4}_{train,evaluate,test}.txt, audio/*.wav (1,170 WAVs, "
            "30 s, 44.1 kHz stereo)}",
            splits=("train", "test"),
            data_path="TUT-acoustic-scenes-2016-development",
            read=_read_dcase2016,
            cache_path="TUT-acoustic-scenes-2016-development",
            fetch=_fetch_dcase2016,
            options=("fold", "sample_rate"),
            check=_check_dcase2016,
            members=("*.wav",),
            full_copies=_dcase2016_copies,
            packages={name: md5 for name, (md5, _) in DCASE2016_PACKAGES.items()},
        ),
    ]
}
DATASETS = tuple(SOURCES)
