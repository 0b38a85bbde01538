"""The data layer: loaders on the shared real data, the download path on a loopback server, bad
input.

Loader tests read ``$CMT_DATA`` (``../shared/data``) and skip when a dataset is missing, except
under ``CMT_REQUIRE_DATA=1`` (CI), where they fail (``conftest.require_dataset``). Download tests
never leave the machine: they talk to an ``http.server`` on 127.0.0.1. Every test gets its own
empty cache.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import http.server
import io
import os
import shutil
import socket
import tarfile
import threading
import urllib.request
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from conftest import require_dataset, write_dcase2016, write_urbansound8k, write_voc2012
from helpers import data, integrity

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
CIFAR_SAMPLE_COUNTS = {
    "airplane": 14,
    "automobile": 28,
    "bird": 22,
    "cat": 21,
    "deer": 19,
    "dog": 19,
    "frog": 18,
    "horse": 21,
    "ship": 15,
    "truck": 23,
}


# ------------------------------------------------------------------------------------ fixtures
@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch) -> Path:
    """A fresh, empty user cache for every test."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("CMT_CACHE", str(folder))
    return folder


def shared(name: str) -> Path:
    """The data directory, after checking that it holds ``name`` (skip, or fail in CI, if not)."""
    require_dataset(name, data.SOURCES[name].data_path)
    return Path(os.environ["CMT_DATA"]).resolve()


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.routes[path] = (body, mode)``; mode "truncate" announces 1000 bytes too
    many."""

    def do_GET(self):
        body, mode = self.server.routes.get(self.path, (None, None))
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body) + (1000 if mode == "truncate" else 0)))
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """A loopback HTTP server; ``server.routes`` maps paths to (body, mode);
    ``server.url(path)``."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.routes = {}
    httpd.url = lambda path: f"http://127.0.0.1:{httpd.server_address[1]}{path}"
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL on which nothing listens (connection refused: the offline case)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1.0.10.tar.gz"


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def listing(folder: Path) -> list[str]:
    """Everything under ``folder`` (relative paths), hidden temporary files included."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


# ----------------------------------------------------------------------------------------- FSDD
def test_fsdd_counts_and_split_rule():
    root = shared("fsdd")
    train, test = data.load("fsdd", "train", root=root), data.load("fsdd", "test", root=root)
    assert (len(train), len(test)) == (2700, 300)
    assert set(test.takes.tolist()) == {0, 1, 2, 3, 4}
    assert set(train.takes.tolist()) == set(range(5, 50))
    assert not set(train.files) & set(test.files)
    assert len(set(train.speakers)) == len(set(test.speakers)) == 6
    assert torch.bincount(test.labels).tolist() == [30] * 10
    assert torch.bincount(train.labels).tolist() == [270] * 10


def test_fsdd_items_are_scaled_int16_at_8khz():
    root = shared("fsdd")
    ds = data.load("fsdd", "test", root=root)
    assert ds.sample_rate == 8000 and ds.classes == [str(d) for d in range(10)]
    for i in (0, 123, 299):
        x, y = ds[i]
        raw, rate = soundfile.read(ds.files[i], dtype="int16")
        assert rate == 8000 and x.dtype == torch.float32 and x.ndim == 1 and isinstance(y, int)
        assert y == int(ds.files[i].name[0]) and 0 <= y <= 9
        assert torch.equal(x, torch.from_numpy(raw.astype(np.float32)) / 32768)
        assert -1.0 <= x.min() and x.max() < 1.0 and x.abs().max() > 0.01


def test_fsdd_content_digest_of_shared_copy_matches_constant():
    root = shared("fsdd")
    assert data.content_digest(root / "fsdd" / "recordings") == data.FSDD_DIGEST


def test_fix_length_rule():
    x = torch.arange(1.0, 11.0)  # 10 samples
    assert data.fix_length(x, 4).tolist() == [
        4.0,
        5.0,
        6.0,
        7.0,
    ]  # centre crop, start (10-4)//2 = 3
    assert data.fix_length(x, 10).tolist() == x.tolist()
    padded = data.fix_length(torch.tensor([1.0, 2.0, 3.0]), 8)  # (8-3)//2 = 2 zeros first
    assert padded.tolist() == [0, 0, 1, 2, 3, 0, 0, 0]


def test_fix_length_odd_surplus_crops_the_documented_centre():
    """Centre crop starts at ``(n - length) // 2``, not ``n // 2 - length // 2``: they differ when
    ``n - length`` is odd."""
    x = torch.arange(1.0, 11.0)  # 10 samples
    assert data.fix_length(x, 3).tolist() == [4.0, 5.0, 6.0]  # start (10-3)//2 = 3
    assert data.fix_length(x, 7).tolist() == [2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]  # start 1
    assert data.fix_length(torch.arange(9.0), 4).tolist() == [2.0, 3.0, 4.0, 5.0]  # start 2
    assert data.fix_length(x[None], 1).tolist() == [[5.0]]  # start 4, leading axes kept


def test_fsdd_batch_is_fixed_length():
    ds = data.load("fsdd", "test", root=shared("fsdd"))
    lengths = [len(ds[i][0]) for i in range(len(ds))]
    short, long = int(np.argmin(lengths)), int(np.argmax(lengths))
    length = 4000
    assert lengths[short] < length < lengths[long]
    batch = ds.batch([short, long, 7], length)
    assert batch.shape == (3, 1, length) and batch.dtype == torch.float32
    for row, i in zip(batch, [short, long, 7]):
        assert torch.equal(row[0], data.fix_length(ds[i][0], length))
    assert ds.batch(length=length).shape == (300, 1, length)


def test_fsdd_has_no_quick_default_and_describe_names_the_source():
    root = shared("fsdd")
    ds = data.load("fsdd", "test", mode="quick", root=root)
    assert len(ds) == 300
    assert data.describe(ds) == f"fsdd test: 300 clips from {root / 'fsdd'} (data directory)"
    info = data.sources("fsdd")
    assert "takes 0-4" in info["split"] and "CC BY-SA 4.0" in info["license"]
    assert info["download"].endswith("v1.0.10.tar.gz") and info["quick"] == {}


# ---------------------------------------------------------------------------------------- MNIST
def test_mnist_full_counts_shapes_dtypes():
    root = shared("mnist")
    train = data.load("mnist", "train", mode="full", root=root)
    test = data.load("mnist", "test", mode="full", root=root)
    assert train.data.shape == (60000, 28, 28) and test.data.shape == (10000, 28, 28)
    assert train.data.dtype == torch.uint8 and train.targets.dtype == torch.int64
    assert torch.bincount(train.targets).tolist() == MNIST_TRAIN_COUNTS
    assert torch.bincount(test.targets).tolist() == MNIST_TEST_COUNTS
    assert abs(train.data.double().mean().item() - 33.318) < 1e-3
    x, y = train[0]
    assert x.shape == (1, 28, 28) and x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1
    assert y == 5 and torch.equal(x[0], train.data[0].float() / 255)


def test_mnist_quick_defaults_and_explicit_subset():
    root = shared("mnist")
    assert len(data.load("mnist", "train", mode="quick", root=root)) == 10_000
    assert len(data.load("mnist", "test", mode="quick", root=root)) == 2_000
    assert len(data.load("mnist", "test", mode="quick", subset=50, root=root)) == 50
    assert data.sources("mnist")["quick"] == {"train": 10_000, "test": 2_000}


def test_mnist_subset_is_seeded_and_stratified():
    root = shared("mnist")
    full = data.load("mnist", "test", mode="full", root=root)
    a = data.load("mnist", "test", subset=1000, seed=0, root=root)
    b = data.load("mnist", "test", subset=1000, seed=0, root=root)
    c = data.load("mnist", "test", subset=1000, seed=1, root=root)
    idx = data.stratified_indices(full.targets, 1000, seed=0)
    assert torch.equal(a.data, b.data) and torch.equal(a.data, full.data[idx])
    assert not torch.equal(a.data, c.data)
    counts = torch.bincount(a.targets).numpy()
    assert counts.sum() == 1000
    assert np.all(np.abs(counts - 1000 * np.array(MNIST_TEST_COUNTS) / 10000) < 1)
    assert "stratified subset of 10,000, seed 0" in data.describe(a)


def _mnist_test_files(folder: Path, root: Path, corrupt: bool = False) -> None:
    """Decompressed t10k idx files (torchvision's cache layout), optionally with one label
    changed."""
    import gzip

    folder.mkdir(parents=True)
    for stem in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        raw = bytearray(gzip.decompress((root / "MNIST" / f"{stem}.gz").read_bytes()))
        if corrupt and "labels" in stem:
            raw[8] = (raw[8] + 1) % 10
        (folder / stem).write_bytes(bytes(raw))


def test_mnist_reads_the_torchvision_cache_layout(cache, empty_root):
    root = shared("mnist")
    _mnist_test_files(cache / "datasets" / "mnist" / "MNIST" / "raw", root)
    integrity.seal(cache / "datasets" / "mnist", "MNIST/raw", data.SOURCES["mnist"].members, "test")
    ds = data.load("mnist", "test", mode="full", root=empty_root, download=False)
    assert torch.bincount(ds.targets).tolist() == MNIST_TEST_COUNTS and "(cache;" in ds.source


def test_mnist_md5_of_decompressed_files_is_checked(tmp_path):
    root = shared("mnist")
    _mnist_test_files(tmp_path / "bad" / "MNIST", root, corrupt=True)
    with pytest.raises(data.DatasetCorrupt, match="md5-idx differs") as err:
        data.load("mnist", "test", root=tmp_path / "bad")
    assert "t10k-labels-idx1-ubyte" in str(err.value)
    assert data.MNIST_MD5["t10k-labels-idx1-ubyte"] in str(err.value)
    assert data.MNIST_MD5["t10k-images-idx3-ubyte"] not in str(err.value)  # the intact file passes


def test_stratified_indices_rule():
    y = np.array([0] * 6 + [1] * 3 + [2] * 1)  # N = 10
    idx = data.stratified_indices(y, 5, seed=3)
    # quotas floor(5*[6,3,1]/10) = [3,1,0]; remainders [0,5,5] -> the extra item goes to class 1
    assert Counter(y[idx].tolist()) == {0: 3, 1: 2}
    assert list(idx) == sorted(idx) and len(set(idx.tolist())) == 5
    assert np.array_equal(idx, data.stratified_indices(y, 5, seed=3))
    # a class's draw depends only on (seed, class): class 0 picks the same items either way
    y2 = np.array([0] * 6 + [1] * 6)
    picks = data.stratified_indices(y2, 6, seed=3)
    rng = np.random.default_rng([3, 0]).permutation(6)[:3]
    assert sorted(picks[picks < 6].tolist()) == sorted(rng.tolist())
    seeds = {tuple(data.stratified_indices(np.arange(100) % 4, 20, seed=s)) for s in range(5)}
    assert len(seeds) == 5


# -------------------------------------------------------------------------------------- CIFAR-10
def test_cifar10_is_not_replaced_by_the_sample(tmp_path):
    base = shared("cifar10-sample")
    root = tmp_path / "data"
    (root / "cifar10").mkdir(parents=True)
    (root / "cifar10" / "lossless_png_sample").symlink_to(base / "cifar10" / "lossless_png_sample")
    with pytest.raises(data.DatasetUnavailable) as err:
        data.load("cifar10", "train", root=root, download=False)
    text = str(err.value)
    assert "'cifar10'" in text and "cifar10-sample" in text and "CMT_DATA" in text
    assert "cifar-10-batches-py" in text and "https://www.cs.toronto.edu/~kriz/cifar.html" in text


def test_cifar10_sample_loads_200_in_canonical_order():
    root = shared("cifar10-sample")
    ds = data.load("cifar10-sample", root=root)
    assert ds.classes == [
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
    assert len(ds) == 200 and ds.data.shape == (200, 3, 32, 32) and ds.data.dtype == torch.uint8
    assert {
        c: int(n) for c, n in zip(ds.classes, torch.bincount(ds.targets))
    } == CIFAR_SAMPLE_COUNTS
    with open(root / "cifar10" / "lossless_png_sample" / "trainLabels_kaggle_ids.csv") as f:
        labels = [row[1] for row in csv.reader(f)][:10]
    assert [ds.classes[t] for t in ds.targets[:10]] == labels  # ids 1..10 in order
    x, y = ds[0]
    assert x.shape == (3, 32, 32) and x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1
    assert "sample" in ds.source


# ------------------------------------------------------------------------------ flowers, imagenette
def test_flowers_from_shared_data():
    from torchvision import transforms

    root = shared("flowers")
    train = data.load("flowers", "train", root=root, transform=transforms.ToTensor())
    val = data.load("flowers", "val", root=root)
    assert train.classes == ["daisy", "dandelion", "roses", "sunflowers", "tulips"]
    assert torch.bincount(train.targets).tolist() == [100] * 5
    assert torch.bincount(val.targets).tolist() == [25] * 5
    x, y = train[0]
    assert (
        x.ndim == 3
        and x.shape[0] == 3
        and x.dtype == torch.float32
        and 0 <= x.min()
        and x.max() <= 1
    )
    image, _ = val[0]
    assert image.mode == "RGB" and "data directory" in val.source


def test_imagenette_from_shared_data():
    root = shared("imagenette")
    train = data.load("imagenette", "train", root=root)
    val = data.load("imagenette", "val", root=root, mode="full")
    names = dict(
        line.split("\t") for line in (root / "imagenette" / "classes.txt").read_text().splitlines()
    )
    assert train.wnids == sorted(names) and train.classes == [names[w] for w in train.wnids]
    assert (len(train), len(val)) == (800, 300)
    assert torch.bincount(val.targets).tolist() == [30] * 10
    image, label = train[0]
    assert image.size == (224, 224) and image.mode == "RGB" and train.classes[label] == "tench"
    assert "re-encoded" in train.source


def _jpeg(path: Path) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (4, 4), (200, 10, 10)).save(path)


def test_flowers_canonical_layout_split_rule(tmp_path, cache):
    """A cache laid out like flower_photos.tgz is split 80/20 per class by the documented rule."""
    photos = cache / "datasets" / "flowers" / "flower_photos"
    for c in data.FLOWERS_CLASSES:
        for k in range(10):
            _jpeg(photos / c / f"{c}_{k:02d}.jpg")
    integrity.seal(photos.parent, "flower_photos", data.SOURCES["flowers"].members, "test")
    empty = tmp_path / "empty"
    empty.mkdir()
    train = data.load("flowers", "train", root=empty, download=False, mode="full")
    val = data.load("flowers", "val", root=empty, download=False, mode="full")
    assert (len(train), len(val)) == (40, 10) and "(cache" in train.source
    assert not {p for p, _ in train.samples} & {p for p, _ in val.samples}
    names = sorted(f"daisy_{k:02d}.jpg" for k in range(10))
    expected = {names[i] for i in np.random.default_rng([0, 0]).permutation(10)[:8]}
    assert {Path(p).name for p, y in train.samples if y == 0} == expected


def test_flowers_canonical_download_checks_class_counts(
    server, tmp_path, cache, empty_root, monkeypatch
):
    top = tmp_path / "upstream" / "flower_photos"
    for c in data.FLOWERS_CLASSES:
        for k in range(5):
            _jpeg(top / c / f"{k}.jpg")
    (top / "LICENSE.txt").write_text("CC-BY\n")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(top, arcname="flower_photos")
    server.routes["/flower_photos.tgz"] = (buffer.getvalue(), None)
    src = dataclasses.replace(data.SOURCES["flowers"], url=server.url("/flower_photos.tgz"))
    monkeypatch.setitem(data.SOURCES, "flowers", src)
    with pytest.raises(data.ChecksumMismatch, match="JPEGs per class"):  # the real counts
        data.load("flowers", "val", root=empty_root)
    assert listing(cache / "datasets") == []
    monkeypatch.setattr(data, "FLOWERS_COUNTS", {c: 5 for c in data.FLOWERS_CLASSES})
    val = data.load("flowers", "val", root=empty_root)
    assert (
        len(val) == 5 and "downloaded now" in val.source
    )  # floor(0.8 * 5) = 4 train, 1 val per class


# ------------------------------------------------------------------------------------ Penn-Fudan
PENNFUDAN_SIZES = {"a": 85, "b": 85, "b-train": 57, "b-test": 28}


def _stems(ds) -> set[str]:
    return {p.stem for p in ds.images}


def test_pennfudan_splits_sizes_disjoint_and_mixed():
    root = shared("pennfudan")
    every = {p.stem for p in (root / "PennFudanPed" / "PNGImages").glob("*.png")}
    assert len(every) == 170
    ds = {s: data.load("pennfudan", s, root=root) for s in PENNFUDAN_SIZES}
    assert {s: len(d) for s, d in ds.items()} == PENNFUDAN_SIZES
    a, b, train, test = (_stems(ds[s]) for s in ("a", "b", "b-train", "b-test"))
    assert not a & b and a | b == every
    assert not train & test and train | test == b
    for split, d in ds.items():
        assert {n[:-5] for n in _stems(d)} == {"FudanPed", "PennPed"}, split
        assert [d.groups[g] for g in d.targets] == [p.stem[:-5] for p in d.images]
        assert [p.name for p in d.images] == sorted(p.name for p in d.images)
        assert [m.name for m in d.masks] == [f"{p.stem}_mask.png" for p in d.images]
    assert {int(n[-5:]) % 2 for n in a} == {1} and {int(n[-5:]) % 6 for n in test} == {0}
    assert torch.bincount(ds["b-test"].targets).tolist() == [12, 16]
    assert torch.bincount(ds["b-train"].targets).tolist() == [25, 32]
    assert torch.bincount(ds["a"].targets).tolist() == [37, 48]
    upper = data.load("pennfudan", "B-TEST", mode="quick", root=root)  # names: any case
    assert upper.split == "b-test" and _stems(upper) == test  # quick mode reads everything
    assert data.sources("pennfudan")["quick"] == {}
    assert data.sources("pennfudan")["splits"] == ("a", "b", "b-train", "b-test")


def test_pennfudan_items_are_rgb_images_and_binary_label_maps():
    from PIL import Image

    root = shared("pennfudan")
    ds = data.load("pennfudan", "b-test", root=root)
    assert ds.classes == ["background", "pedestrian"] and ds.groups == ["FudanPed", "PennPed"]
    assert data.describe(ds) == (
        f"pennfudan b-test: 28 images from {root / 'PennFudanPed'} (data directory)"
    )
    for i in (0, 27):
        image, label_map = ds[i]
        with Image.open(ds.masks[i]) as m:
            ids = np.asarray(m)
        assert image.mode == "RGB" and label_map.dtype == torch.int64
        assert label_map.shape == (image.height, image.width) == ids.shape
        assert ids.max() >= 1 and set(label_map.unique().tolist()) == {0, 1}
        assert torch.equal(label_map, torch.from_numpy((ids > 0).astype(np.int64)))


def test_pennfudan_size_option_resizes_image_and_mask_so_batches_stack():
    from PIL import Image
    from torchvision import transforms

    root = shared("pennfudan")
    ds = data.load("pennfudan", "a", root=root, size=96, transform=transforms.ToTensor())
    x, y = ds[1]
    assert x.shape == (3, 96, 96) and x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1
    assert y.shape == (96, 96) and y.dtype == torch.int64 and set(y.unique().tolist()) == {0, 1}
    with Image.open(ds.images[1]) as im:
        want = im.convert("RGB").resize((96, 96), Image.Resampling.BILINEAR)
    with Image.open(ds.masks[1]) as m:
        labels = Image.fromarray((np.asarray(m) > 0).astype(np.uint8))
    assert torch.equal(x, transforms.ToTensor()(want))
    nearest = np.asarray(labels.resize((96, 96), Image.Resampling.NEAREST)).astype(np.int64)
    assert torch.equal(y, torch.from_numpy(nearest))
    images, maps = next(iter(torch.utils.data.DataLoader(ds, batch_size=5)))
    assert images.shape == (5, 3, 96, 96) and maps.shape == (5, 96, 96)
    plain, _ = data.load("pennfudan", "a", root=root, size=96)[1]
    assert plain.mode == "RGB" and plain.size == (96, 96)  # size alone keeps a PIL image


def test_pennfudan_subset_keeps_both_collections():
    root = shared("pennfudan")
    part = data.load("pennfudan", "b", subset=10, seed=2, root=root)
    full = data.load("pennfudan", "b", root=root)
    idx = data.stratified_indices(full.targets, 10, seed=2)
    assert part.images == [full.images[i] for i in idx] and part.masks == [
        full.masks[i] for i in idx
    ]
    assert torch.bincount(part.targets).tolist() == [4, 6]  # 37 : 48 of 85
    assert "stratified subset of 85, seed 2" in data.describe(part)


# ------------------------------------------------------------------------------------- download
def test_download_success_verifies_sha256(server, tmp_path):
    body = os.urandom(3000)
    server.routes["/blob"] = (body, None)
    dest = data.download(server.url("/blob"), tmp_path / "dl" / "blob.bin", sha(body), chunk=512)
    assert dest.read_bytes() == body and listing(tmp_path / "dl") == ["blob.bin"]


def test_download_checksum_mismatch_leaves_nothing(server, tmp_path):
    body = b"abc" * 100
    server.routes["/blob"] = (body, None)
    url, wrong = server.url("/blob"), "0" * 64
    with pytest.raises(data.ChecksumMismatch) as err:
        data.download(url, tmp_path / "dl" / "blob.bin", wrong)
    assert isinstance(err.value, IOError)
    assert url in str(err.value) and wrong in str(err.value) and sha(body) in str(err.value)
    assert listing(tmp_path / "dl") == []


def test_download_truncated_transfer_then_recovers(server, tmp_path):
    body = os.urandom(5000)
    server.routes["/blob"] = (body, "truncate")
    dest = tmp_path / "dl" / "blob.bin"
    with pytest.raises(data.IncompleteDownload, match="Content-Length 6000 bytes, received 5000"):
        data.download(server.url("/blob"), dest, None)
    assert listing(tmp_path / "dl") == []
    server.routes["/blob"] = (body, None)  # the server is healthy again
    assert data.download(server.url("/blob"), dest, sha(body)).read_bytes() == body
    assert listing(tmp_path / "dl") == ["blob.bin"]


class _InterruptedResponse(io.BytesIO):
    """A response that delivers one block, then the user presses Ctrl-C."""

    headers = {"Content-Length": "100"}

    def read(self, n=-1):
        if self.tell() > 0:
            raise KeyboardInterrupt
        return super().read(10)


def test_download_interrupted_leaves_nothing_and_recovers(server, tmp_path, monkeypatch):
    body = os.urandom(100)
    server.routes["/blob"] = (body, None)
    dest = tmp_path / "dl" / "blob.bin"
    with monkeypatch.context() as m:
        m.setattr(urllib.request, "urlopen", lambda *a, **k: _InterruptedResponse(body))
        with pytest.raises(KeyboardInterrupt):
            data.download(server.url("/blob"), dest, sha(body))
    assert listing(tmp_path / "dl") == []
    assert data.download(server.url("/blob"), dest, sha(body)).read_bytes() == body


# ------------------------------------------------------------------- FSDD canonical path, loopback
def _fsdd_archive(tmp_path: Path, takes=range(7)) -> tuple[bytes, str]:
    """A tiny tar.gz in the upstream layout (free-spoken-digit-dataset-1.0.10/recordings/*.wav)."""
    top = tmp_path / "upstream" / "free-spoken-digit-dataset-1.0.10"
    rec = top / "recordings"
    rec.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for digit in (3, 8):
        for take in takes:
            clip = rng.integers(-3000, 3000, size=200 + 10 * take, dtype=np.int16)
            soundfile.write(rec / f"{digit}_tester_{take}.wav", clip, 8000, subtype="PCM_16")
    (top / "README.md").write_text("readme\n")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(top, arcname=top.name)
    return buffer.getvalue(), data.content_digest(rec)


def _patch_fsdd(monkeypatch, **changes) -> None:
    monkeypatch.setitem(data.SOURCES, "fsdd", dataclasses.replace(data.SOURCES["fsdd"], **changes))


@pytest.fixture
def empty_root(tmp_path) -> Path:
    root = tmp_path / "no-data"
    root.mkdir()
    return root


def test_fsdd_canonical_download_end_to_end(
    server, tmp_path, cache, empty_root, monkeypatch, closed_port_url
):
    archive, digest = _fsdd_archive(tmp_path)
    server.routes["/fsdd.tar.gz"] = (archive, None)
    _patch_fsdd(monkeypatch, url=server.url("/fsdd.tar.gz"), digest=digest)
    ds = data.load("fsdd", "test", root=empty_root)
    assert len(ds) == 10 and set(ds.takes.tolist()) == set(range(5))
    assert (
        ds.source
        == f"{cache / 'datasets' / 'fsdd'} (downloaded now from {server.url('/fsdd.tar.gz')})"
    )
    assert listing(cache / "datasets") == [
        "fsdd",
        "fsdd/MANIFEST.json",
        "fsdd/recordings",
    ] + sorted(f"fsdd/recordings/{d}_tester_{t}.wav" for d in (3, 8) for t in range(7))
    assert data.content_digest(cache / "datasets" / "fsdd" / "recordings") == digest
    x, y = ds[0]
    assert y == 3 and x.dtype == torch.float32 and len(x) == 200
    _patch_fsdd(monkeypatch, url=closed_port_url, digest=digest)  # offline now: the cache serves
    train = data.load("fsdd", "train", root=empty_root)
    assert len(train) == 4 and "(cache;" in train.source


def test_fsdd_digest_mismatch_leaves_nothing_then_recovers(
    server, tmp_path, cache, empty_root, monkeypatch
):
    archive, digest = _fsdd_archive(tmp_path)
    server.routes["/fsdd.tar.gz"] = (archive, None)
    _patch_fsdd(monkeypatch, url=server.url("/fsdd.tar.gz"), digest="f" * 64)
    with pytest.raises(data.ChecksumMismatch, match="content digest") as err:
        data.load("fsdd", "test", root=empty_root)
    assert digest in str(err.value) and "f" * 64 in str(err.value)
    assert listing(cache / "datasets") == []
    _patch_fsdd(monkeypatch, url=server.url("/fsdd.tar.gz"), digest=digest)
    assert len(data.load("fsdd", "test", root=empty_root)) == 10


_KILLED_FETCH = """
import os, signal, sys, dataclasses
from helpers import data

def fetch(src, work):
    top = work / src.cache_path
    top.mkdir(parents=True)
    (top / "3_tester_0.wav").write_bytes(b"half a file")
    os.kill(os.getpid(), signal.SIGKILL)  # a hard kill: no except, no finally, no atexit

data.SOURCES["fsdd"] = dataclasses.replace(data.SOURCES["fsdd"], fetch=fetch)
data.locate("fsdd", root=sys.argv[1])
"""


def test_fetch_killed_mid_tree_is_not_served_as_the_cache(tmp_path, cache, empty_root, monkeypatch):
    """A fetch killed (SIGKILL) after writing part of the tree must not leave a cache that
    locate() serves: the next call re-fetches, or raises DatasetUnavailable with download=False."""
    import signal
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    env = dict(os.environ, CMT_CACHE=str(cache), PYTHONPATH=str(repo))
    env.pop("CMT_DATA", None)
    proc = subprocess.run(
        [sys.executable, "-c", _KILLED_FETCH, str(empty_root)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert any("3_tester_0.wav" in p for p in listing(cache)), "the fetch wrote part of the tree"
    with pytest.raises(data.DatasetUnavailable, match="download=False"):
        data.locate("fsdd", root=empty_root, download=False)
    calls = []

    def fetch(src, work):
        calls.append(work)
        (work / src.cache_path).mkdir(parents=True)
        for take in range(2):
            (work / src.cache_path / f"3_tester_{take}.wav").write_bytes(b"complete")

    _patch_fsdd(monkeypatch, fetch=fetch)
    folder, origin = data.locate("fsdd", root=empty_root)
    assert len(calls) == 1 and "downloaded now" in origin
    assert folder == cache / "datasets" / "fsdd" / "recordings"
    assert sorted(p.name for p in folder.iterdir()) == ["3_tester_0.wav", "3_tester_1.wav"]
    assert all(p.read_bytes() == b"complete" for p in folder.iterdir())
    assert not [p for p in listing(cache) if ".part" in p], "the killed fill's folder is swept"


def test_fsdd_archive_with_unsafe_member_is_refused(
    server, tmp_path, cache, empty_root, monkeypatch
):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("free-spoken-digit-dataset-1.0.10/../../escaped.wav")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"RIFF"))
    server.routes["/evil.tar.gz"] = (buffer.getvalue(), None)
    _patch_fsdd(monkeypatch, url=server.url("/evil.tar.gz"))
    with pytest.raises(ValueError, match="unsafe member"):
        data.load("fsdd", "test", root=empty_root)
    assert listing(cache / "datasets") == [] and not (cache / "escaped.wav").exists()
    assert not list(tmp_path.rglob("escaped.wav"))


def test_mnist_canonical_download_through_torchvision(server, cache, empty_root, monkeypatch):
    """The torchvision path: files land in <cache>/datasets/mnist/MNIST/raw, then load from
    there."""
    from torchvision.datasets import MNIST

    root = shared("mnist")
    resources = []
    for name in sorted(p.name for p in (root / "MNIST").glob("*.gz")):
        body = (root / "MNIST" / name).read_bytes()
        server.routes[f"/mnist/{name}"] = (body, None)
        resources.append((name, hashlib.md5(body).hexdigest()))  # shared train-images .gz differs
    monkeypatch.setattr(MNIST, "mirrors", [server.url("/mnist/")])
    monkeypatch.setattr(MNIST, "resources", resources)
    ds = data.load("mnist", "test", mode="full", root=empty_root)
    assert torch.bincount(ds.targets).tolist() == MNIST_TEST_COUNTS
    assert (
        ds.source
        == f"{cache / 'datasets' / 'mnist'} (downloaded now from {data.SOURCES['mnist'].url})"
    )
    assert [p for p in listing(cache / "datasets") if p.count("/") < 2] == [
        "mnist",
        "mnist/MANIFEST.json",
        "mnist/MNIST",
    ]
    assert (
        "(cache;"
        in data.load("mnist", "train", mode="full", root=empty_root, download=False).source
    )


def test_torchvision_download_failure_is_dataset_unavailable(
    server, cache, empty_root, monkeypatch
):
    from torchvision.datasets import MNIST

    monkeypatch.setattr(MNIST, "mirrors", [server.url("/missing/")])  # every file: 404
    with pytest.raises(data.DatasetUnavailable, match="'mnist'.*download failed") as err:
        data.load("mnist", "test", root=empty_root)
    assert isinstance(err.value.__cause__, RuntimeError) and listing(cache / "datasets") == []


def test_offline_download_raises_dataset_unavailable(
    cache, empty_root, monkeypatch, closed_port_url
):
    _patch_fsdd(monkeypatch, url=closed_port_url)
    with pytest.raises(data.DatasetUnavailable) as err:
        data.load("fsdd", "train", root=empty_root)
    text = str(err.value)
    assert "'fsdd'" in text and closed_port_url in text and "download failed" in text
    assert "CMT_DATA" in text and "fsdd/recordings/{digit}_{speaker}_{take}.wav" in text
    assert isinstance(err.value.__cause__, urllib.error.URLError)
    assert listing(cache / "datasets") == []


def test_no_download_allowed_raises_dataset_unavailable(empty_root, monkeypatch):
    monkeypatch.delenv("CMT_DATA", raising=False)
    with pytest.raises(data.DatasetUnavailable, match=r"'fsdd'.*download=False.*CMT_DATA"):
        data.load("fsdd", "test", download=False)
    with pytest.raises(data.DatasetUnavailable, match="no canonical download"):
        data.load("cifar10-sample", root=empty_root)


# ------------------------------------------------------------------------------------ bad input
BAD_LOAD = [
    (dict(name="nope"), ValueError, "name must be one of"),
    (dict(name=3), TypeError, "name"),
    (dict(name="fsdd", split="val"), ValueError, "split must be one of"),
    (dict(name="fsdd", subset=0), ValueError, "subset"),
    (dict(name="fsdd", subset=-5), ValueError, "subset"),
    (dict(name="fsdd", subset="3"), TypeError, "subset"),
    (dict(name="fsdd", subset=2.0), TypeError, "subset"),
    (dict(name="fsdd", subset=True), TypeError, "subset"),
    (dict(name="fsdd", seed=-1), ValueError, "seed"),
    (dict(name="fsdd", seed="0"), TypeError, "seed"),
    (dict(name="fsdd", download="yes"), TypeError, "download"),
    (dict(name="fsdd", mode="fast"), ValueError, "mode"),
    (dict(name="fsdd", transform=print), TypeError, "transform"),
    (dict(name="fsdd", root=3), TypeError, "root"),
    (dict(name="pennfudan"), ValueError, r"split must be one of \['a', 'b', 'b-test', 'b-train'\]"),
    (dict(name="pennfudan", split="test"), ValueError, "split must be one of"),
    (dict(name="pennfudan", split=1), ValueError, "split"),
    (dict(name="pennfudan", split="a", size=0), ValueError, "size"),
    (dict(name="pennfudan", split="a", size=32.0), TypeError, "size"),
    (dict(name="pennfudan", split="a", transform=3), TypeError, "transform"),
    (dict(name="pennfudan", split="a", target_transform=print), TypeError, "target_transform"),
]


@pytest.mark.parametrize("kwargs, error, words", BAD_LOAD, ids=[str(k) for k, _, _ in BAD_LOAD])
def test_load_rejects_bad_input(kwargs, error, words, empty_root):
    with pytest.raises(error, match=words):
        data.load(**kwargs)


def test_unknown_name_lists_known_names():
    with pytest.raises(ValueError) as err:
        data.sources("nope")
    assert all(name in str(err.value) for name in data.DATASETS)


def test_root_must_be_an_existing_folder(tmp_path):
    with pytest.raises(ValueError, match="root must be an existing folder"):
        data.load("fsdd", root=tmp_path / "missing")


def test_subset_larger_than_split():
    root = shared("fsdd")
    with pytest.raises(ValueError, match="subset=301 exceeds the 300 items"):
        data.load("fsdd", "test", subset=301, root=root)


BAD_DOWNLOAD = [
    (dict(url="ftp://example.org/x.tgz", sha256=None), "url"),
    (dict(url="/etc/passwd", sha256=None), "url"),
    (dict(url="http://127.0.0.1/x", sha256="abc"), "sha256"),
    (dict(url="http://127.0.0.1/x", sha256=None, chunk=0), "chunk"),
    (dict(url="http://127.0.0.1/x", sha256=None, timeout=-1), "timeout"),
    (dict(url="http://127.0.0.1/x", sha256=None, timeout=0), "timeout"),
    (dict(url="http://127.0.0.1/x", sha256=None, timeout="5"), "timeout"),
    (dict(url="http://127.0.0.1/x", sha256=None, timeout=True), "timeout"),
]


@pytest.mark.parametrize("kwargs, words", BAD_DOWNLOAD, ids=[w for _, w in BAD_DOWNLOAD])
def test_download_rejects_bad_input(kwargs, words, tmp_path):
    with pytest.raises(ValueError, match=words):
        data.download(dest=tmp_path / "x", **kwargs)
    assert listing(tmp_path) == []


def test_fix_length_and_batch_reject_bad_length():
    with pytest.raises(ValueError, match="length"):
        data.fix_length(torch.zeros(5), 0)
    with pytest.raises(TypeError, match="length"):
        data.fix_length(torch.zeros(5), 2.5)


# ------------------------------------------------------------------ UrbanSound8K, loopback archive
US8K_CLIPS = [  # (file name, fsID, fold, classID, rate, channels, frames)
    ("100-3-0-0.wav", 100, 1, 3, 44100, 2, 4410),
    ("101-8-0-1.wav", 101, 1, 8, 16000, 1, 1601),
    ("102-0-0-0.wav", 102, 2, 0, 44100, 2, 8821),
    ("102-0-0-1.wav", 102, 2, 0, 16000, 1, 3203),
    ("103-6-0-0.wav", 103, 3, 6, 16000, 1, 999),
    ("104-3-1-0.wav", 104, 3, 3, 44100, 2, 2205),
]


def _us8k_archive(tmp_path: Path) -> bytes:
    """A tiny UrbanSound8K.tar.gz in the real layout: 6 WAVs (44.1 kHz stereo, 16 kHz mono), 3
    folds."""
    top = write_urbansound8k(tmp_path / "upstream" / "UrbanSound8K", US8K_CLIPS)
    (top / "UrbanSound8K_README.txt").write_text("readme\n")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(top, arcname="UrbanSound8K")
    return buffer.getvalue()


@pytest.fixture
def us8k(server, tmp_path, monkeypatch):
    """The tiny archive on the loopback server, the source entry patched to it (url, md5, count)."""
    body = _us8k_archive(tmp_path)
    server.routes["/UrbanSound8K.tar.gz"] = (body, None)
    src = dataclasses.replace(
        data.SOURCES["urbansound8k"],
        url=server.url("/UrbanSound8K.tar.gz"),
        md5=hashlib.md5(body).hexdigest(),
    )
    monkeypatch.setitem(data.SOURCES, "urbansound8k", src)
    monkeypatch.setattr(data, "URBANSOUND8K_CLIPS", len(US8K_CLIPS))
    return src


def test_urbansound8k_download_extract_verify_and_folds(us8k, cache, empty_root):
    ds = data.load("urbansound8k", "test", fold=2, root=empty_root)
    folder = cache / "datasets" / "urbansound8k"
    assert ds.source == f"{folder} (downloaded now from {us8k.url})"
    assert sorted(p for p in listing(folder) if p.endswith((".wav", ".csv"))) == sorted(
        [f"UrbanSound8K/audio/fold{c[2]}/{c[0]}" for c in US8K_CLIPS]
        + ["UrbanSound8K/metadata/UrbanSound8K.csv"]
    )
    assert not [p for p in listing(cache / "datasets") if p.endswith((".tar.gz", ".part"))]
    assert [f.name for f in ds.files] == ["102-0-0-0.wav", "102-0-0-1.wav"]
    assert set(ds.folds.tolist()) == {2} and ds.recordings.tolist() == [102, 102]
    for k in (1, 2, 3):
        test = data.load("urbansound8k", "test", fold=k, root=empty_root, download=False)
        train = data.load("urbansound8k", "train", fold=k, root=empty_root, download=False)
        assert set(test.folds.tolist()) == {k} and k not in set(train.folds.tolist())
        assert len(test) + len(train) == len(US8K_CLIPS) and not set(test.files) & set(train.files)
        assert "(cache;" in test.source
        same = data.load("urbansound8k", f"fold{k}", root=empty_root, download=False)
        assert same.files == test.files
    assert (
        len(data.load("urbansound8k", "test", root=empty_root)) == 0
    )  # default fold 10: absent here
    assert len(data.load("urbansound8k", "train", root=empty_root)) == len(US8K_CLIPS)


def test_urbansound8k_items_mono_resampled_labels_classes(us8k, empty_root):
    ds = data.load("urbansound8k", "train", fold=3, root=empty_root)
    assert ds.classes == [
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
    rows = {c[0]: c for c in US8K_CLIPS}
    assert ds.sample_rate == 8000 and len(ds) == 4 and torch.equal(ds.targets, ds.labels)
    for i in range(len(ds)):
        name, _, fold, label, rate, channels, frames = rows[ds.files[i].name]
        x, y = ds[i]
        assert x.dtype == torch.float32 and x.ndim == 1 and y == label and fold != 3
        assert abs(len(x) - round(frames * 8000 / rate)) <= 1 and 0.05 < x.abs().max() <= 1
        x.zero_()  # the caller owns the tensor: the cached decode is untouched
        assert torch.equal(ds[i][0], ds.waveform(i)) and ds[i][0].abs().max() > 0.05
    stereo = [i for i in range(len(ds)) if rows[ds.files[i].name][5] == 2][0]
    raw, rate = soundfile.read(ds.files[stereo], dtype="float32")
    import torchaudio.functional as AF

    expected = AF.resample(torch.from_numpy(raw.mean(axis=1)), rate, 8000)
    assert torch.allclose(ds[stereo][0], expected, atol=1e-6)
    fast = data.load("urbansound8k", "fold1", sample_rate=16000, root=empty_root)
    assert fast.sample_rate == 16000 and [len(fast[i][0]) for i in range(2)] == [1600, 1601]
    assert fast.batch(length=1000).shape == (2, 1, 1000)


def test_urbansound8k_md5_mismatch_leaves_nothing(us8k, cache, empty_root, monkeypatch):
    monkeypatch.setitem(data.SOURCES, "urbansound8k", dataclasses.replace(us8k, md5="0" * 32))
    with pytest.raises(data.ChecksumMismatch, match="md5 mismatch") as err:
        data.load("urbansound8k", "test", fold=1, root=empty_root)
    assert "0" * 32 in str(err.value)
    assert listing(cache / "datasets") == []


def test_urbansound8k_layout_rule_leaves_nothing(us8k, cache, empty_root, monkeypatch):
    monkeypatch.setattr(data, "URBANSOUND8K_CLIPS", 8732)  # the real count: the tiny archive fails
    with pytest.raises(data.ChecksumMismatch, match="layout") as err:
        data.load("urbansound8k", "test", fold=1, root=empty_root)
    assert "6 CSV rows" in str(err.value)
    assert listing(cache / "datasets") == []


def test_urbansound8k_offline_is_dataset_unavailable(
    cache, empty_root, monkeypatch, closed_port_url
):
    src = dataclasses.replace(data.SOURCES["urbansound8k"], url=closed_port_url)
    monkeypatch.setitem(data.SOURCES, "urbansound8k", src)
    with pytest.raises(data.DatasetUnavailable) as err:
        data.load("urbansound8k", "test", fold=1, root=empty_root)
    text = str(err.value)
    assert "'urbansound8k'" in text and "download failed" in text and "CMT_DATA" in text
    assert "UrbanSound8K/metadata/UrbanSound8K.csv" in text and "audio/fold{1..10}" in text
    assert listing(cache / "datasets") == []


def test_urbansound8k_absent_from_data_directory_is_never_substituted(cache):
    """The real data directory (``$CMT_DATA``, if set) lacks UrbanSound8K: an error, not a skip."""
    with pytest.raises(data.DatasetUnavailable, match=r"'urbansound8k'.*download=False") as err:
        data.load("urbansound8k", download=False)
    text = str(err.value)
    assert "zenodo.org/records/1203745/files/UrbanSound8K.tar.gz" in text
    base = os.environ.get("CMT_DATA")
    assert (str(Path(base).resolve() / "UrbanSound8K") if base else "no data directory") in text
    assert data.sources("urbansound8k")["quick"] == {}
    assert (
        data.SOURCES["urbansound8k"].md5
        == data.URBANSOUND8K_MD5
        == "9aa69802bbf37fb986f71ec1483a196e"
    )


BAD_US8K = [
    (dict(split="test", fold=0), ValueError, "fold"),
    (dict(split="test", fold=11), ValueError, "fold"),
    (dict(split="train", fold="3"), ValueError, "fold"),
    (dict(split="train", fold=2.0), ValueError, "fold"),
    (dict(split="fold3", fold=4), ValueError, "fold"),
    (dict(split="val"), ValueError, "split must be one of"),
    (dict(split="fold11"), ValueError, "split must be one of"),
    (dict(split="test", sample_rate=0), ValueError, "sample_rate"),
    (dict(split="test", sample_rate=8000.0), TypeError, "sample_rate"),
    (dict(split="test", transform=print), TypeError, "transform"),
]


@pytest.mark.parametrize("kwargs, error, words", BAD_US8K, ids=[str(k) for k, _, _ in BAD_US8K])
def test_urbansound8k_rejects_bad_split_and_fold_before_any_download(
    kwargs, error, words, cache, empty_root
):
    with pytest.raises(error, match=words):
        data.load("urbansound8k", root=empty_root, **kwargs)
    assert listing(cache) == []


def test_download_verifies_md5(server, tmp_path):
    body = os.urandom(2000)
    server.routes["/blob"] = (body, None)
    dest = tmp_path / "dl" / "blob.bin"
    with pytest.raises(data.ChecksumMismatch, match="md5 mismatch"):
        data.download(server.url("/blob"), dest, None, md5="f" * 32)
    assert listing(tmp_path / "dl") == []
    assert (
        data.download(
            server.url("/blob"), dest, sha(body), md5=hashlib.md5(body).hexdigest()
        ).read_bytes()
        == body
    )
    with pytest.raises(ValueError, match="md5"):
        data.download(server.url("/blob"), dest, None, md5="abc")


# ------------------------------------------------------------------------- Penn-Fudan, loopback zip
PF_NAMES = [f"FudanPed{n:05d}" for n in range(1, 7)] + [f"PennPed{n:05d}" for n in (1, 2)]


def _pennfudan_tree(base: Path) -> Path:
    """A tiny PennFudanPed/ in the official layout: 8 images (6 Fudan, 2 Penn) with instance masks
    (0, 1, 2), an annotation each, the readme; returns the data directory ``base``."""
    from PIL import Image

    top = base / "PennFudanPed"
    rng = np.random.default_rng(0)
    for k, name in enumerate(PF_NAMES):
        for sub in ("PNGImages", "PedMasks", "Annotation"):
            (top / sub).mkdir(parents=True, exist_ok=True)
        size = (12 + k, 9)
        pixels = rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
        Image.fromarray(pixels).save(top / "PNGImages" / f"{name}.png")
        ids = np.zeros((size[1], size[0]), dtype=np.uint8)
        ids[2:5, 1:4], ids[5:8, 6:9] = 1, 2
        Image.fromarray(ids).save(top / "PedMasks" / f"{name}_mask.png")
        (top / "Annotation" / f"{name}.txt").write_text(f"# {name}\n")
    (top / "readme.txt").write_text("Penn-Fudan\n")
    return base


def _zip(top: Path, change: str | None = None) -> bytes:
    """``top``'s files in a zip under ``PennFudanPed/``; ``change`` alters, leaves out or adds one
    PNG (the mask of FudanPed00002)."""
    buffer = io.BytesIO()
    victim = "PedMasks/FudanPed00002_mask.png"
    with zipfile.ZipFile(buffer, "w") as zf:
        for path in sorted(p for p in top.rglob("*") if p.is_file()):
            rel = path.relative_to(top).as_posix()
            raw = path.read_bytes()
            if rel == victim and change == "missing":
                continue
            if rel == victim and change == "altered":
                raw = raw[:40] + bytes([raw[40] ^ 0xFF]) + raw[41:]
            zf.writestr(f"PennFudanPed/{rel}", raw)
        if change == "extra":
            zf.writestr("PennFudanPed/PedMasks/FudanPed00099_mask.png", (top / victim).read_bytes())
    return buffer.getvalue()


@pytest.fixture
def pennfudan(server, tmp_path, monkeypatch):
    """The tiny tree recorded as the manifest (``record_manifests``, into a temporary manifest
    folder) and served zipped on the loopback server; the source entry patched to that URL."""
    base = _pennfudan_tree(tmp_path / "upstream")
    monkeypatch.setattr(data.integrity, "MANIFEST_DIR", tmp_path / "manifests")
    data.record_manifests(base, names=["pennfudan"])
    server.routes["/PennFudanPed.zip"] = (_zip(base / "PennFudanPed"), None)
    src = dataclasses.replace(data.SOURCES["pennfudan"], url=server.url("/PennFudanPed.zip"))
    monkeypatch.setitem(data.SOURCES, "pennfudan", src)
    return base / "PennFudanPed"


def test_pennfudan_download_unzips_verifies_and_serves_from_the_cache(
    pennfudan, cache, empty_root, monkeypatch, closed_port_url
):
    url = data.SOURCES["pennfudan"].url
    a = data.load("pennfudan", "a", root=empty_root)
    folder = cache / "datasets" / "pennfudan"
    assert a.source == f"{folder} (downloaded now from {url})"
    assert [p.stem for p in a.images] == ["FudanPed00001", "FudanPed00003", "FudanPed00005"] + [
        "PennPed00001"
    ]
    got = listing(folder)
    assert "MANIFEST.json" in got and "PennFudanPed/readme.txt" in got
    assert "PennFudanPed/Annotation/FudanPed00001.txt" in got  # kept, not verified
    assert {p for p in got if p.endswith(".png")} == {
        f"PennFudanPed/{d}/{n}{m}.png"
        for n in PF_NAMES
        for d, m in (("PNGImages", ""), ("PedMasks", "_mask"))
    }
    assert not [p for p in listing(cache / "datasets") if p.endswith((".zip", ".part"))]
    image, label_map = a[1]
    assert image.mode == "RGB" and image.size == (14, 9) and label_map.shape == (9, 14)
    assert int(label_map.sum()) == 18 and set(label_map.unique().tolist()) == {0, 1}
    monkeypatch.setitem(
        data.SOURCES,
        "pennfudan",
        dataclasses.replace(data.SOURCES["pennfudan"], url=closed_port_url),
    )
    train = data.load("pennfudan", "b-train", root=empty_root, size=8)
    test = data.load("pennfudan", "b-test", root=empty_root)
    assert [p.stem for p in train.images] == ["FudanPed00002", "FudanPed00004", "PennPed00002"]
    assert [p.stem for p in test.images] == ["FudanPed00006"] and "(cache;" in test.source
    assert train[0][0].size == (8, 8) and train[0][1].shape == (8, 8)


@pytest.mark.parametrize("change", ["altered", "missing", "extra"])
def test_pennfudan_download_with_a_wrong_member_leaves_nothing(
    change, pennfudan, server, cache, empty_root
):
    server.routes["/PennFudanPed.zip"] = (_zip(pennfudan, change), None)
    with pytest.raises(data.ChecksumMismatch, match="sha256 of the member files") as err:
        data.load("pennfudan", "b", root=empty_root)
    text = str(err.value)
    named = "FudanPed00099_mask.png" if change == "extra" else "FudanPed00002_mask.png"
    what = {"altered": "altered", "missing": "missing", "extra": "extra file"}[change]
    assert named in text and what in text and "../shared/data/PennFudanPed" in text
    assert listing(cache / "datasets") == []
    server.routes["/PennFudanPed.zip"] = (_zip(pennfudan), None)  # a good archive again
    assert len(data.load("pennfudan", "b", root=empty_root)) == 4


def test_pennfudan_truncated_transfer_leaves_nothing(pennfudan, server, cache, empty_root):
    server.routes["/PennFudanPed.zip"] = (_zip(pennfudan), "truncate")
    with pytest.raises(data.DatasetUnavailable, match="truncated transfer") as err:
        data.load("pennfudan", "a", root=empty_root)
    assert isinstance(err.value.__cause__, data.IncompleteDownload)
    assert listing(cache / "datasets") == []


def test_pennfudan_offline_is_dataset_unavailable(cache, empty_root, monkeypatch, closed_port_url):
    src = dataclasses.replace(data.SOURCES["pennfudan"], url=closed_port_url)
    monkeypatch.setitem(data.SOURCES, "pennfudan", src)
    with pytest.raises(data.DatasetUnavailable) as err:
        data.load("pennfudan", "a", root=empty_root)
    text = str(err.value)
    assert "'pennfudan'" in text and "download failed" in text and "CMT_DATA" in text
    assert "PennFudanPed/{PNGImages,PedMasks}/" in text and closed_port_url in text
    assert isinstance(err.value.__cause__, urllib.error.URLError)
    assert listing(cache / "datasets") == []


def test_pennfudan_canonical_source_constants():
    info = data.sources("pennfudan")
    assert info["download"] == "https://www.cis.upenn.edu/~jshi/ped_html/PennFudanPed.zip"
    assert info["license"] == "research use; cite Wang, Shi, Song and Shen, ACCV 2007"
    copies = integrity.repository_copies("pennfudan")
    assert len(copies) == 1 and len(copies[0].files) == 340
    assert sum(k.startswith("PedMasks/") for k in copies[0].files) == 170


@pytest.mark.parametrize(
    "member", ["PennFudanPed/../../escaped.png", "/abs/escaped.png", "PennFudanPed\\..\\..\\e.png"]
)
def test_zip_with_unsafe_member_is_refused(member, pennfudan, server, cache, empty_root, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("PennFudanPed/readme.txt", "ok\n")
        zf.writestr(member, b"\x89PNG")
    server.routes["/PennFudanPed.zip"] = (buffer.getvalue(), None)
    with pytest.raises(ValueError, match="unsafe member"):
        data.load("pennfudan", "a", root=empty_root)
    assert listing(cache / "datasets") == [] and not list(tmp_path.rglob("*escaped.png"))


def test_zip_symlink_member_is_not_written(pennfudan, server, cache, empty_root):
    import stat

    buffer = io.BytesIO(_zip(pennfudan))
    with zipfile.ZipFile(buffer, "a") as zf:
        link = zipfile.ZipInfo("PennFudanPed/readme-link.txt")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    server.routes["/PennFudanPed.zip"] = (buffer.getvalue(), None)
    assert len(data.load("pennfudan", "a", root=empty_root)) == 4
    assert not (cache / "datasets" / "pennfudan" / "PennFudanPed" / "readme-link.txt").exists()


def test_a_broken_archive_is_a_checksum_error(pennfudan, server, cache, empty_root):
    body = _zip(pennfudan)
    server.routes["/PennFudanPed.zip"] = (b"not a zip" + body[9:-30], None)
    with pytest.raises(data.ChecksumMismatch, match="archive mismatch.*BadZipFile"):
        data.load("pennfudan", "a", root=empty_root)
    assert listing(cache / "datasets") == []


# ------------------------------------------------------------- Pascal VOC 2012, loopback tar
VOC_TRAIN = ["2007_000032", "2007_000039", "2007_000063", "2007_000068", "2007_000121"]
VOC_VAL = ["2007_000033", "2007_000042", "2007_000061"]
VOC_EXTRA = ["2008_000002", "2008_000003"]  # JPEGs of other tasks, outside the segmentation lists


def _voc_tar(tmp_path: Path) -> bytes:
    """A tiny VOCtrainval tar in the real layout: 5 train + 3 val segmentation ids, 2 other JPEGs,
    annotations, instance masks and other image-set lists (uncompressed, as the real one)."""
    top = write_voc2012(
        tmp_path / "upstream" / "VOCdevkit" / "VOC2012", VOC_TRAIN, VOC_VAL, VOC_EXTRA
    )
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(top.parent, arcname="VOCdevkit")
    return buffer.getvalue()


@pytest.fixture
def voc(server, tmp_path, monkeypatch):
    """The tiny tar on the loopback server, the source entry patched to it (url, md5, counts)."""
    body = _voc_tar(tmp_path)
    server.routes["/VOCtrainval_11-May-2012.tar"] = (body, None)
    src = dataclasses.replace(
        data.SOURCES["voc2012"],
        url=server.url("/VOCtrainval_11-May-2012.tar"),
        md5=hashlib.md5(body).hexdigest(),
    )
    monkeypatch.setitem(data.SOURCES, "voc2012", src)
    monkeypatch.setattr(data, "VOC2012_LIST_COUNTS", {"train": 5, "val": 3})
    monkeypatch.setattr(data, "VOC2012_JPEGS", 10)
    return src


def test_voc2012_download_extract_verify_and_splits(voc, cache, empty_root, monkeypatch):
    a = data.load("voc2012", "a", root=empty_root)
    folder = cache / "datasets" / "voc2012"
    assert a.source == f"{folder} (downloaded now from {voc.url})"
    got = listing(folder)
    kept = {f"VOCdevkit/VOC2012/JPEGImages/{i}.jpg" for i in VOC_TRAIN + VOC_VAL}
    kept |= {f"VOCdevkit/VOC2012/SegmentationClass/{i}.png" for i in VOC_TRAIN + VOC_VAL}
    assert {p for p in got if p.endswith((".jpg", ".png"))} == kept  # other tasks dropped
    assert "VOCdevkit/VOC2012/ImageSets/Segmentation/val.txt" in got and "MANIFEST.json" in got
    assert not [p for p in got if "Annotations" in p or "SegmentationObject" in p or "Main" in p]
    assert not [p for p in listing(cache / "datasets") if p.endswith((".tar", ".part"))]
    monkeypatch.setitem(  # from now on the cache alone serves it
        data.SOURCES, "voc2012", dataclasses.replace(voc, url="http://127.0.0.1:9/offline.tar")
    )
    splits = {s: data.load("voc2012", s, root=empty_root) for s in data.SOURCES["voc2012"].splits}
    assert a.ids == VOC_TRAIN[0::2] and splits["b-train"].ids == VOC_TRAIN[1::2]
    assert splits["b-test"].ids == VOC_VAL and splits["b"].ids == VOC_TRAIN[1::2] + VOC_VAL
    assert {s: len(d) for s, d in splits.items()} == {"a": 3, "b": 5, "b-train": 2, "b-test": 3}
    assert not set(a.ids) & set(splits["b"].ids) and not set(VOC_TRAIN[1::2]) & set(VOC_VAL)
    assert set(a.ids) | set(splits["b"].ids) == set(VOC_TRAIN + VOC_VAL)
    assert splits["b"].targets.tolist() == [0, 0, 1, 1, 1] and splits["b"].groups == [
        "train",
        "val",
    ]
    assert "(cache;" in splits["b"].source and data.describe(a).startswith("voc2012 a: 3 images")
    assert data.load("voc2012", "B", root=empty_root).split == "b"


def test_voc2012_items_palette_indices_255_kept_and_size(voc, empty_root):
    from helpers import train

    assert data.VOC2012_IGNORE == train.IGNORE_INDEX == 255
    b = data.load("voc2012", "b", root=empty_root)
    assert b.classes == data.VOC2012_CLASSES and len(b.classes) == 21
    assert (
        b.classes[0] == "background" and b.classes[15] == "person" and b.classes[-1] == "tvmonitor"
    )
    order = VOC_TRAIN + VOC_VAL
    for i in range(len(b)):
        image, label_map = b[i]
        n = order.index(b.ids[i])
        assert image.mode == "RGB" and image.size == (12 + n, 10 + n % 3)
        assert label_map.dtype == torch.int64 and label_map.shape == (10 + n % 3, 12 + n)
        assert set(label_map.unique().tolist()) == {0, 1 + n % 20, 255}  # indices, not colours
        assert int((label_map == 255).sum()) == 7 * 7 - 5 * 5
    for size in (8, 32):  # nearest neighbour: no value appears that was not there (255 stays)
        resized = data.load("voc2012", "b", root=empty_root, size=size)
        images, maps = zip(*(resized[i] for i in range(len(resized))))
        assert all(im.size == (size, size) for im in images)
        assert torch.stack(maps).shape == (5, size, size)
        for i, m in enumerate(maps):
            values, before = set(m.unique().tolist()), set(b[i][1].unique().tolist())
            assert values <= before and (values == before or size == 8)
    tensors = data.load("voc2012", "b-test", root=empty_root, size=6, transform=lambda im: 1)
    assert tensors[0][0] == 1 and tensors[0][1].shape == (6, 6)


def test_voc2012_damaged_label_png_is_dataset_corrupt(voc, cache, empty_root):
    from PIL import Image

    ds = data.load("voc2012", "b-test", root=empty_root)
    png = ds.masks[0]
    ids = np.asarray(Image.open(png)).copy()
    ids[0, 0] = 30  # no VOC class
    Image.fromarray(ids).save(png)
    ds = data._read_voc2012(png.parent.parent, "b-test")  # read directly: past the seal
    ds.name = "voc2012"
    with pytest.raises(data.DatasetCorrupt, match=r"'voc2012'.*2007_000033\.png.*0-20 and 255"):
        ds[0]
    Image.fromarray(np.zeros((3, 4, 3), dtype=np.uint8)).save(png)  # an RGB label image
    with pytest.raises(data.DatasetCorrupt, match="2007_000033"):
        ds[0]


def test_voc2012_md5_mismatch_leaves_nothing(voc, cache, empty_root, monkeypatch):
    monkeypatch.setitem(data.SOURCES, "voc2012", dataclasses.replace(voc, md5="0" * 32))
    with pytest.raises(data.ChecksumMismatch, match="md5 mismatch") as err:
        data.load("voc2012", "a", root=empty_root)
    assert "0" * 32 in str(err.value) and voc.url in str(err.value)
    assert listing(cache / "datasets") == []


def test_voc2012_layout_rule_leaves_nothing(voc, cache, empty_root, monkeypatch):
    monkeypatch.setattr(data, "VOC2012_LIST_COUNTS", {"train": 1464, "val": 1449})
    with pytest.raises(data.ChecksumMismatch, match="layout") as err:
        data.load("voc2012", "a", root=empty_root)
    assert "{'train': 5, 'val': 3}" in str(err.value)
    assert listing(cache / "datasets") == []


def test_voc2012_truncated_transfer_leaves_nothing(voc, server, cache, empty_root):
    body, _ = server.routes["/VOCtrainval_11-May-2012.tar"]
    server.routes["/VOCtrainval_11-May-2012.tar"] = (body, "truncate")
    with pytest.raises(data.DatasetUnavailable, match="truncated transfer") as err:
        data.load("voc2012", "b", root=empty_root)
    assert isinstance(err.value.__cause__, data.IncompleteDownload)
    assert listing(cache / "datasets") == []


def test_voc2012_offline_is_dataset_unavailable(cache, empty_root, monkeypatch, closed_port_url):
    src = dataclasses.replace(data.SOURCES["voc2012"], url=closed_port_url)
    monkeypatch.setitem(data.SOURCES, "voc2012", src)
    with pytest.raises(data.DatasetUnavailable) as err:
        data.load("voc2012", "a", root=empty_root)
    text = str(err.value)
    assert "'voc2012'" in text and "download failed" in text and "CMT_DATA" in text
    assert "VOCdevkit/VOC2012/{JPEGImages/<id>.jpg" in text and closed_port_url in text
    assert isinstance(err.value.__cause__, urllib.error.URLError)
    assert listing(cache / "datasets") == []


def test_voc2012_absent_from_data_directory_is_never_substituted(cache):
    """The real data directory (``$CMT_DATA``, if set) lacks VOC 2012: an error, not a skip."""
    with pytest.raises(data.DatasetUnavailable, match=r"'voc2012'.*download=False") as err:
        data.load("voc2012", "a", download=False)
    text = str(err.value)
    assert "host.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar" in text
    base = os.environ.get("CMT_DATA")
    assert (
        str(Path(base).resolve() / "VOCdevkit/VOC2012") if base else "no data directory"
    ) in text
    info = data.sources("voc2012")
    assert info["quick"] == {} and info["splits"] == ("a", "b", "b-train", "b-test")
    assert info["license"] == "flickr terms of use; cite Everingham et al. IJCV 2010"
    assert data.SOURCES["voc2012"].md5 == data.VOC2012_MD5 == "6cd6e144f989b92b3379bac3b3de84fd"
    assert data.VOC2012_LIST_COUNTS == {"train": 1464, "val": 1449}
    assert listing(cache) == []


@pytest.mark.parametrize("pruned", [True, False], ids=["segmentation part", "full tree"])
def test_voc2012_data_directory_copy_is_checked_by_member_counts(pruned, voc, tmp_path):
    root = tmp_path / "data"
    write_voc2012(root / "VOCdevkit" / "VOC2012", VOC_TRAIN, VOC_VAL, () if pruned else VOC_EXTRA)
    if pruned:
        shutil.rmtree(root / "VOCdevkit" / "VOC2012" / "SegmentationObject")
    ds = data.load("voc2012", "b-test", root=root, download=False)
    assert ds.source == f"{root / 'VOCdevkit'} (data directory)" and len(ds) == 3
    (root / "VOCdevkit" / "VOC2012" / "JPEGImages" / f"{VOC_TRAIN[0]}.jpg").unlink()
    with pytest.raises(data.DatasetCorrupt, match="JPEGImages: other number of files"):
        data.load("voc2012", "b-test", root=root, download=False)


BAD_VOC = [
    (dict(split="train"), ValueError, r"split must be one of \['a', 'b', 'b-test', 'b-train'\]"),
    (dict(split="a", size=0), ValueError, "size"),
    (dict(split="a", size=32.0), TypeError, "size"),
    (dict(split="a", transform=3), TypeError, "transform"),
    (dict(split="a", fold=1), TypeError, "fold"),
]


@pytest.mark.parametrize("kwargs, error, words", BAD_VOC, ids=[str(k) for k, _, _ in BAD_VOC])
def test_voc2012_rejects_bad_input_before_any_download(kwargs, error, words, cache, empty_root):
    with pytest.raises(error, match=words):
        data.load("voc2012", root=empty_root, **kwargs)
    assert listing(cache) == []


# --------------------------------------------------------- DCASE 2016 task 1, loopback packages
DCASE_CLIPS = [  # (file name, scene, test fold, frames at 44.1 kHz)
    ("a001_0_30.wav", "beach", 1, 4410),
    ("a001_30_60.wav", "beach", 1, 4411),
    ("a002_0_30.wav", "cafe/restaurant", 2, 2205),
    ("b003_60_90.wav", "tram", 2, 3000),
    ("b004_0_30.wav", "bus", 3, 4410),
    ("b004_30_60.wav", "bus", 3, 1000),
    ("b005_0_30.wav", "city_center", 4, 2000),
    ("b006_0_30.wav", "home", 4, 4410),
]
DCASE_TOP = "TUT-acoustic-scenes-2016-development"


def _dcase_packages(tmp_path: Path) -> dict[str, bytes]:
    """The tiny development set as the real packages: doc, meta (meta.txt + evaluation_setup),
    error and two audio zips, each with the top folder; name -> zip bytes."""
    top = write_dcase2016(tmp_path / "upstream" / DCASE_TOP, DCASE_CLIPS)
    stem = DCASE_TOP
    wavs = sorted(p.relative_to(top).as_posix() for p in top.glob("audio/*.wav"))
    parts = {
        f"{stem}.doc.zip": ["README.html"],
        f"{stem}.meta.zip": [
            "meta.txt",
            *sorted(p.relative_to(top).as_posix() for p in top.glob("evaluation_setup/*")),
        ],
        f"{stem}.error.zip": ["error.txt"],
        f"{stem}.audio.1.zip": wavs[:5],
        f"{stem}.audio.2.zip": wavs[5:],
    }
    out = {}
    for name, members in parts.items():
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as zf:
            for rel in members:
                zf.writestr(f"{DCASE_TOP}/{rel}", (top / rel).read_bytes())
        out[name] = buffer.getvalue()
    return out


@pytest.fixture
def dcase(server, tmp_path, monkeypatch):
    """The tiny packages on the loopback server under ``/files/``, the source entry patched to
    them (url, md5 of every package, clip count)."""
    packages = _dcase_packages(tmp_path)
    for name, body in packages.items():
        server.routes[f"/files/{name}"] = (body, None)
    src = dataclasses.replace(
        data.SOURCES["dcase2016"],
        url=server.url("/files/"),
        packages={name: hashlib.md5(body).hexdigest() for name, body in packages.items()},
    )
    monkeypatch.setitem(data.SOURCES, "dcase2016", src)
    monkeypatch.setattr(data, "DCASE2016_CLIPS", len(DCASE_CLIPS))
    return src


def test_dcase2016_download_extract_verify_and_official_folds(dcase, cache, empty_root):
    ds = data.load("dcase2016", "test", root=empty_root)
    folder = cache / "datasets" / "dcase2016"
    assert ds.source == f"{folder} (downloaded now from {dcase.url})"
    got = listing(folder)
    assert {p for p in got if p.endswith(".wav")} == {
        f"{DCASE_TOP}/audio/{c[0]}" for c in DCASE_CLIPS
    }
    for rel in ("meta.txt", "error.txt", "README.html", "evaluation_setup/fold4_test.txt"):
        assert f"{DCASE_TOP}/{rel}" in got
    assert not [p for p in listing(cache / "datasets") if p.endswith((".zip", ".part"))]
    assert ds.fold == 1 and [f.name for f in ds.files] == ["a001_0_30.wav", "a001_30_60.wav"]
    assert ds.recordings == ["a001", "a001"] and ds.labels.tolist() == [0, 0]
    names = {c[0]: c for c in DCASE_CLIPS}
    for k in range(1, 5):
        test = data.load("dcase2016", "test", fold=k, root=empty_root, download=False)
        train = data.load("dcase2016", "train", fold=k, root=empty_root, download=False)
        assert "(cache;" in test.source and test.fold == train.fold == k
        assert {f.name for f in test.files} == {c[0] for c in DCASE_CLIPS if c[2] == k}
        assert len(test) + len(train) == len(DCASE_CLIPS) and not set(test.files) & set(train.files)
        assert not set(test.recordings) & set(train.recordings)  # a location stays in one fold
        for d in (test, train):
            want = [data.DCASE2016_CLASSES.index(names[f.name][1]) for f in d.files]
            assert d.labels.tolist() == want and torch.equal(d.targets, d.labels)


def test_dcase2016_items_mono_resampled_labels_classes(dcase, empty_root):
    import torchaudio.functional as AF

    ds = data.load("dcase2016", "train", fold=2, root=empty_root)
    assert ds.classes == [
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
    assert ds.sample_rate == 8000 and len(ds) == 6
    frames = {c[0]: c[3] for c in DCASE_CLIPS}
    for i in range(len(ds)):
        x, y = ds[i]
        assert x.dtype == torch.float32 and x.ndim == 1 and y == int(ds.labels[i])
        assert abs(len(x) - round(frames[ds.files[i].name] * 8000 / 44100)) <= 1
        assert 0.05 < x.abs().max() <= 1
    raw, rate = soundfile.read(ds.files[0], dtype="float32")
    assert raw.shape == (4410, 2) and rate == 44100
    expected = AF.resample(torch.from_numpy(raw.mean(axis=1)), rate, 8000)
    assert torch.allclose(ds[0][0], expected, atol=1e-6)
    fast = data.load("dcase2016", "test", fold=3, sample_rate=16000, root=empty_root)
    assert fast.sample_rate == 16000 and [len(fast[i][0]) for i in range(2)] == [1600, 363]
    assert fast.batch(length=1000).shape == (2, 1, 1000)


def test_dcase2016_one_bad_package_leaves_nothing(dcase, cache, empty_root, monkeypatch):
    bad = f"{DCASE_TOP}.audio.2.zip"
    packages = {**dcase.packages, bad: "0" * 32}
    monkeypatch.setitem(data.SOURCES, "dcase2016", dataclasses.replace(dcase, packages=packages))
    with pytest.raises(data.ChecksumMismatch, match="md5 mismatch") as err:
        data.load("dcase2016", "test", root=empty_root)
    assert f"{dcase.url}{bad}" in str(err.value) and "0" * 32 in str(err.value)
    assert listing(cache / "datasets") == []  # the four good packages are not installed either
    monkeypatch.setitem(data.SOURCES, "dcase2016", dcase)
    assert len(data.load("dcase2016", "test", root=empty_root)) == 2


def test_dcase2016_truncated_package_leaves_nothing(dcase, server, cache, empty_root):
    route = f"/files/{DCASE_TOP}.meta.zip"
    server.routes[route] = (server.routes[route][0], "truncate")
    with pytest.raises(data.DatasetUnavailable, match="truncated transfer") as err:
        data.load("dcase2016", "train", root=empty_root)
    assert isinstance(err.value.__cause__, data.IncompleteDownload)
    assert listing(cache / "datasets") == []


def test_dcase2016_layout_rule_leaves_nothing(dcase, cache, empty_root, monkeypatch):
    monkeypatch.setattr(data, "DCASE2016_CLIPS", 1170)  # the real count: the tiny set fails
    with pytest.raises(data.ChecksumMismatch, match="layout") as err:
        data.load("dcase2016", "test", root=empty_root)
    assert "8 meta.txt rows" in str(err.value)
    assert listing(cache / "datasets") == []


def test_dcase2016_offline_is_dataset_unavailable(cache, empty_root, monkeypatch, closed_port_url):
    src = dataclasses.replace(data.SOURCES["dcase2016"], url=closed_port_url + "/")
    monkeypatch.setitem(data.SOURCES, "dcase2016", src)
    with pytest.raises(data.DatasetUnavailable) as err:
        data.load("dcase2016", "test", root=empty_root)
    text = str(err.value)
    assert "'dcase2016'" in text and "download failed" in text and "CMT_DATA" in text
    assert "TUT-acoustic-scenes-2016-development/{meta.txt" in text and "fold{1..4}" in text
    assert isinstance(err.value.__cause__, urllib.error.URLError)
    assert listing(cache / "datasets") == []


def test_dcase2016_absent_from_data_directory_is_never_substituted(cache):
    """The real data directory (``$CMT_DATA``, if set) lacks TUT 2016: an error, not a skip."""
    with pytest.raises(data.DatasetUnavailable, match=r"'dcase2016'.*download=False") as err:
        data.load("dcase2016", "test", download=False)
    text = str(err.value)
    assert "zenodo.org/records/45739/files/ + each of the 11 packages" in text
    assert f"{DCASE_TOP}.audio.8.zip" in text
    base = os.environ.get("CMT_DATA")
    want = str(Path(base).resolve() / DCASE_TOP) if base else "no data directory"
    assert want in text and data.sources("dcase2016")["quick"] == {}
    src = data.SOURCES["dcase2016"]
    assert src.url == "https://zenodo.org/records/45739/files/"
    assert list(src.packages) == [
        f"{DCASE_TOP}.{part}.zip"
        for part in ["doc", "meta", "error", *(f"audio.{k}" for k in range(1, 9))]
    ]
    assert src.packages[f"{DCASE_TOP}.audio.3.zip"] == "0393a9620ab882b1c26d884eccdcffdd"
    assert src.packages[f"{DCASE_TOP}.meta.zip"] == "779b33da2ebbf8bde494b3c981827251"
    assert sum(b for _, b in data.DCASE2016_PACKAGES.values()) == 8_024_320_881
    assert data.DCASE2016_CLIPS == 1170 and len(data.DCASE2016_CLASSES) == 15
    assert data.DCASE2016_CLASSES == sorted(data.DCASE2016_CLASSES)
    assert listing(cache) == []


def test_dcase2016_data_directory_copy_and_fold_files_checked_against_meta(tmp_path, monkeypatch):
    root = tmp_path / "data"
    top = write_dcase2016(root / DCASE_TOP, DCASE_CLIPS)
    with pytest.raises(data.DatasetCorrupt, match="audio: other number of files"):
        data.load("dcase2016", "test", root=root)  # 8 WAVs, not the full set's 1,170
    rows = data._dcase2016_rows(top, 4, "test")
    assert rows == [("audio/b005_0_30.wav", 4), ("audio/b006_0_30.wav", 7)]
    evaluate = top / "evaluation_setup" / "fold4_evaluate.txt"
    evaluate.write_text(evaluate.read_text().replace("\thome", "\toffice"))
    with pytest.raises(ValueError, match="b006_0_30.wav labelled 'office', meta.txt says 'home'"):
        data._dcase2016_rows(top, 4, "test")
    monkeypatch.setattr(data, "DCASE2016_CLIPS", len(DCASE_CLIPS))
    evaluate.write_text("audio/a001_0_30.wav\tbeach\n")  # also in fold 4's train list
    with pytest.raises(ValueError, match="fold 4: 6 train and 1 evaluate files, 1 in both"):
        data._dcase2016_layout(top)


BAD_DCASE = [
    (dict(split="test", fold=0), ValueError, "fold"),
    (dict(split="test", fold=5), ValueError, "fold"),
    (dict(split="train", fold="3"), ValueError, "fold"),
    (dict(split="train", fold=2.0), ValueError, "fold"),
    (dict(split="val"), ValueError, "split must be one of"),
    (dict(split="fold1"), ValueError, "split must be one of"),
    (dict(split="test", sample_rate=0), ValueError, "sample_rate"),
    (dict(split="test", sample_rate=8000.0), TypeError, "sample_rate"),
    (dict(split="test", size=8), TypeError, "size"),
]


@pytest.mark.parametrize("kwargs, error, words", BAD_DCASE, ids=[str(k) for k, _, _ in BAD_DCASE])
def test_dcase2016_rejects_bad_split_and_fold_before_any_download(
    kwargs, error, words, cache, empty_root
):
    with pytest.raises(error, match=words):
        data.load("dcase2016", root=empty_root, **kwargs)
    assert listing(cache) == []


def test_every_source_describes_itself():
    for name in data.DATASETS:
        info = data.sources(name)
        assert info["name"] == name and info["splits"] and info["license"] and info["layout"]
        src = data.SOURCES[name]
        assert set(info["quick"]) <= set(src.splits)
        assert src.fetch is None or src.cache_path, name
    assert {"voc2012", "dcase2016"} <= set(data.DATASETS)


# ---------------------------------------------- constants, readers and rules (mutation kills)
def test_canonical_counts_add_up_to_the_published_totals():
    """A mistyped per-class or per-fold count would refuse an intact full copy."""
    assert sum(data.URBANSOUND8K_FOLD_COUNTS.values()) == data.URBANSOUND8K_CLIPS == 8732
    assert sorted(data.URBANSOUND8K_FOLD_COUNTS) == list(range(1, 11))
    assert sum(data.FLOWERS_COUNTS.values()) == 3670 and len(data.FLOWERS_COUNTS) == 5
    counts = data.IMAGENETTE_COUNTS
    assert sum(counts["train"].values()) == 9469 and sum(counts["val"].values()) == 3925
    assert counts["val"]["n01440764"] == 387 and counts["val"]["n03425413"] == 419  # SOURCE.txt
    assert set(counts["train"]) == set(counts["val"]) == set(data.IMAGENETTE_CLASSES)
    assert data.sources("cifar10")["quick"] == {"train": 10_000, "test": 2_000}
    assert data.sources("mnist")["quick"] == {"train": 10_000, "test": 2_000}


def test_unknown_option_is_refused_with_the_accepted_list():
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) \['bogus'\].*accepted"):
        data.load("fsdd", "test", bogus=1)


def test_subset_equal_to_the_split_takes_everything():
    y = np.array([0, 0, 1, 1, 1])
    assert data.stratified_indices(y, 5).tolist() == [0, 1, 2, 3, 4]


def test_fetch_that_produces_no_tree_is_unavailable(cache, empty_root, monkeypatch):
    _patch_fsdd(monkeypatch, fetch=lambda src, work: None)
    with pytest.raises(data.DatasetUnavailable, match="produced no recordings/"):
        data.load("fsdd", "test", root=empty_root)
    assert listing(cache / "datasets") == []


def test_urbansound8k_rows_accept_folds_1_and_10_and_labels_0_and_9(tmp_path):
    top = write_urbansound8k(
        tmp_path / "UrbanSound8K",
        [("1-0-0-0.wav", 1, 1, 0, 8000, 1, 80), ("2-9-0-0.wav", 2, 10, 9, 8000, 1, 80)],
    )
    rows = data._urbansound8k_rows(top)
    assert [(r[0], r[2]) for r in rows] == [(1, 0), (10, 9)]
    csv_path = top / "metadata" / "UrbanSound8K.csv"
    good = csv_path.read_text()
    for old, new in [
        (",10,9,", ",11,9,"),
        (",1,0,", ",0,0,"),
        (",10,9,", ",10,10,"),
        (",10,9,street_music", ",10,9,siren"),
    ]:
        csv_path.write_text(good.replace(old, new))
        with pytest.raises(ValueError, match="bad row"):
            data._urbansound8k_rows(top)


def test_cifar10_reader_maps_split_and_layout(monkeypatch, tmp_path):
    """The full CIFAR-10 reader (no copy here): train/test reach torchvision, NHWC becomes NCHW."""
    import torchvision.datasets

    seen = []

    class FakeCIFAR10:
        def __init__(self, root, train, download):
            seen.append((train, download))
            self.data = np.arange(2 * 32 * 32 * 3, dtype=np.uint8).reshape(2, 32, 32, 3)
            self.targets = [3, 5]

    monkeypatch.setattr(torchvision.datasets, "CIFAR10", FakeCIFAR10)
    ds = data._read_cifar10(tmp_path / "cifar-10-batches-py", "train")
    data._read_cifar10(tmp_path / "cifar-10-batches-py", "test")
    assert seen == [(True, False), (False, False)]
    raw = np.arange(2 * 32 * 32 * 3, dtype=np.uint8).reshape(2, 32, 32, 3)
    assert ds.data.shape == (2, 3, 32, 32) and ds.targets.tolist() == [3, 5]
    assert torch.equal(ds.data, torch.from_numpy(raw.transpose(0, 3, 1, 2).copy()))


def test_record_manifests_reproduces_the_repository_manifests(tmp_path, monkeypatch):
    """Re-recording from the shared data gives byte-identical manifests (sizes, digests, MNIST's
    raw copy with decompressed sizes)."""
    base = shared("mnist")
    shared("cifar10-sample")
    shared("pennfudan")
    repo = data.integrity.MANIFEST_DIR
    monkeypatch.setattr(data.integrity, "MANIFEST_DIR", tmp_path / "manifests")
    written = data.record_manifests(base, names=["mnist", "cifar10-sample", "pennfudan"])
    assert [p.name for p in written] == ["mnist.json", "cifar10-sample.json", "pennfudan.json"]
    for p in written:
        assert p.read_text() == (repo / p.name).read_text()


def test_a_short_timeout_is_accepted(tmp_path, closed_port_url):
    """Any positive timeout is valid (half a second too): the refusal comes from the network."""
    with pytest.raises(OSError) as err:
        data.download(closed_port_url, tmp_path / "x", None, timeout=0.5)
    assert not isinstance(err.value, ValueError)
