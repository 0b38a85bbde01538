"""Data integrity: a damaged copy of any dataset is refused with one clear error, an intact one
passes.

Each test builds a copy of a shared dataset in a temporary data directory (symbolic links to the
real files, so it is cheap), damages one file in one of four ways (truncated, deleted, altered
bytes of the same size, an extra member file), and checks that ``data.load`` raises
``DatasetCorrupt`` naming the dataset, the file, what was expected and how to repair it. The cache
that downloads fill is checked the same way, against the seal the download wrote.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import torch

from conftest import require_dataset
from helpers import data, integrity

# dataset, split read, one member of that split (relative to the dataset's data_path)
CASES = [
    ("fsdd", "test", "7_jackson_3.wav"),
    ("mnist", "test", "t10k-labels-idx1-ubyte.gz"),
    ("flowers", "val", None),
    ("imagenette", "train", None),
    ("cifar10-sample", "train", None),
    ("pennfudan", "b-test", "PNGImages/FudanPed00006.png"),
    ("pennfudan", "a", "PedMasks/PennPed00001_mask.png"),
]
IDS = [c[0] if c[0] != "pennfudan" else f"pennfudan-{c[2].split('/')[0]}" for c in CASES]
DAMAGES = ["truncated", "deleted", "altered", "extra"]


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("CMT_CACHE", str(folder))
    return folder


def linked_copy(name: str, dest: Path) -> tuple[Path, Path]:
    """A data directory ``dest`` whose ``data_path`` of ``name`` mirrors the shared copy by
    symlinks; returns (data directory, dataset folder)."""
    base = Path(require_dataset(name, data.SOURCES[name].data_path))
    folder = dest / data.SOURCES[name].data_path
    for top, _, names in os.walk(base):
        for n in names:
            src = Path(top) / n
            target = folder / src.relative_to(base)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(src)
    return dest, folder


def member(name: str, split: str, given: str | None, folder: Path) -> str:
    if given:
        return given
    src = data.SOURCES[name]
    return sorted(r for r in integrity.scan(folder, src.members) if src.keep(split)(r))[0]


def damage(folder: Path, rel: str, how: str) -> str:
    """Damage ``folder/rel`` in place (replacing its link by a real file); return the file named."""
    path = folder / rel
    raw = path.read_bytes()
    path.unlink()
    if how == "deleted":
        return rel
    if how == "truncated":
        path.write_bytes(raw[:100])
    elif how == "altered":  # same size, one byte changed near the middle
        k = len(raw) // 2
        path.write_bytes(raw[:k] + bytes([raw[k] ^ 0xFF]) + raw[k + 1 :])
    elif how == "extra":
        path.write_bytes(raw)
        extra = path.with_name(
            "zz_extra" + path.name[path.name.index(".") :] if "." in path.name else "zz_extra"
        )
        if "-ubyte" in path.name:
            extra = path.with_name("t10k-extra-ubyte.gz")
        extra.write_bytes(raw)
        return extra.relative_to(folder).as_posix()
    return rel


@pytest.mark.parametrize("name, split, rel", CASES, ids=IDS)
def test_intact_copy_passes_and_second_check_hashes_nothing(
    name, split, rel, tmp_path, monkeypatch
):
    root, folder = linked_copy(name, tmp_path / "data")
    ds = data.load(name, split, root=root, mode="full")
    assert len(ds) > 0 and "data directory" in ds.source
    calls = []
    real = integrity.file_digest
    monkeypatch.setattr(integrity, "file_digest", lambda *a, **k: calls.append(a) or real(*a, **k))
    data.load(name, split, root=root, mode="full")
    assert calls == [], "an unchanged copy is re-hashed"
    rel = member(name, split, rel, folder)
    (folder / rel).unlink()
    (folder / rel).symlink_to(require_dataset(name, data.SOURCES[name].data_path) / rel)
    os.utime(
        folder / rel, ns=(1, 1), follow_symlinks=False
    )  # the link's own times: target unchanged
    data.load(name, split, root=root, mode="full")


@pytest.mark.parametrize("how", DAMAGES)
@pytest.mark.parametrize("name, split, rel", CASES, ids=IDS)
def test_damaged_copy_raises_dataset_corrupt(name, split, rel, how, tmp_path):
    root, folder = linked_copy(name, tmp_path / "data")
    named = damage(folder, member(name, split, rel, folder), how)
    with pytest.raises(data.DatasetCorrupt) as err:
        data.load(name, split, root=root, mode="full")
    text = str(err.value)
    assert f"dataset {name!r}" in text and Path(named).name in text and str(folder) in text
    words = {
        "truncated": ("truncated", "bytes"),
        "deleted": ("missing",),
        "altered": ("altered",),
        "extra": ("extra file",),
    }[how]
    if name == "mnist" and how in ("truncated", "altered"):
        # .gz sizes are not recorded (any compression is accepted): the gzip CRC or end-of-stream
        # check catches both; a changed decompressed byte is test_data's md5 test
        words = ("unreadable", "decompress")
    assert all(w in text for w in words), text
    assert "To repair: replace" in text and "../shared/data" in text
    assert err.value.dataset == name and err.value.problems[0][0].endswith(Path(named).name)


def test_damage_in_another_split_does_not_block_this_one(tmp_path):
    root, folder = linked_copy("fsdd", tmp_path / "data")
    damage(folder, "7_jackson_30.wav", "truncated")  # a training take
    assert len(data.load("fsdd", "test", root=root)) == 300
    with pytest.raises(data.DatasetCorrupt, match="7_jackson_30.wav: truncated"):
        data.load("fsdd", "train", root=root)


def test_pennfudan_damage_blocks_its_split_and_the_split_holding_it_only(tmp_path):
    """A b-test image is read by b-test and b (which holds it), not by a or b-train."""
    root, folder = linked_copy("pennfudan", tmp_path / "data")
    damage(folder, "PNGImages/PennPed00012.png", "truncated")  # n = 12: b-test
    for split in ("b-test", "b"):
        with pytest.raises(data.DatasetCorrupt, match="PennPed00012.png: truncated"):
            data.load("pennfudan", split, root=root)
    assert len(data.load("pennfudan", "a", root=root)) == 85
    assert len(data.load("pennfudan", "b-train", root=root)) == 57


def test_changed_file_is_rehashed_even_with_a_stamp(tmp_path):
    """Verified once, then altered in place with the same size: the new mtime forces a re-hash."""
    root, folder = linked_copy("cifar10-sample", tmp_path / "data")
    data.load("cifar10-sample", root=root)
    rel = member("cifar10-sample", "train", None, folder)
    damage(folder, rel, "altered")
    with pytest.raises(data.DatasetCorrupt, match="altered"):
        data.load("cifar10-sample", root=root)


def test_full_copy_is_accepted_by_its_member_counts(tmp_path, monkeypatch):
    """A data directory holding a full imagenette2 (not the shared subset) passes on the canonical
    per-class counts; one image fewer is an error naming the class folder."""
    folder = tmp_path / "data" / "imagenette"
    shared = require_dataset("imagenette")
    image = next((shared / "val" / "n01440764").glob("*.JPEG"))
    counts = {"val": {w: 2 for w in data.IMAGENETTE_CLASSES}, "train": {}}
    monkeypatch.setattr(data, "IMAGENETTE_COUNTS", counts)
    for w in data.IMAGENETTE_CLASSES:
        for k in range(2):
            (folder / "val" / w).mkdir(parents=True, exist_ok=True)
            (folder / "val" / w / f"{k}.JPEG").symlink_to(image)
    assert len(data.load("imagenette", "val", root=tmp_path / "data")) == 20
    (folder / "val" / "n03888257" / "1.JPEG").unlink()
    with pytest.raises(data.DatasetCorrupt) as err:
        data.load("imagenette", "val", root=tmp_path / "data")
    assert "val/n03888257: other number of files (expected 2, found 1)" in str(err.value)
    (folder / "val" / "n03888257" / "1.JPEG").symlink_to(image)
    (folder / "val" / "n99999999").mkdir()
    (folder / "val" / "n99999999" / "0.JPEG").symlink_to(image)
    with pytest.raises(data.DatasetCorrupt) as err:
        data.load("imagenette", "val", root=tmp_path / "data")
    assert "val/n99999999: other number of files (expected 0, found 1)" in str(err.value)
    shutil.rmtree(folder / "val" / "n99999999")
    for k in range(2):
        (folder / "val" / "n03888257" / f"{k}.JPEG").unlink()
    with pytest.raises(data.DatasetCorrupt) as err:
        data.load("imagenette", "val", root=tmp_path / "data")
    assert "val/n03888257: other number of files (expected 2, found 0)" in str(err.value)


def _sealed_cache(cache: Path, tmp_path: Path) -> Path:
    """A cache filled as a verified FSDD download would be: tree + seal."""
    shared = require_dataset("fsdd", "fsdd/recordings")
    top = cache / "datasets" / "fsdd"
    shutil.copytree(shared, top / "recordings")
    integrity.seal(top, "recordings", data.SOURCES["fsdd"].members, "the verified download")
    return top


@pytest.mark.parametrize("how", DAMAGES)
def test_damaged_cache_raises_with_redownload_hint(how, cache, tmp_path):
    top = _sealed_cache(cache, tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert len(data.load("fsdd", "test", root=empty, download=False)) == 300
    named = damage(top / "recordings", "2_theo_1.wav", how)
    with pytest.raises(data.DatasetCorrupt) as err:
        data.load("fsdd", "test", root=empty, download=False)
    text = str(err.value)
    assert Path(named).name in text and f"delete {top} and run again" in text


def test_unsealed_cache_is_not_served(cache, tmp_path):
    """A tree in the cache without its seal (an interrupted or hand-made fill) is never read."""
    top = _sealed_cache(cache, tmp_path)
    (top / integrity.SEAL).unlink()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(data.DatasetUnavailable, match="holds no verified download"):
        data.load("fsdd", "test", root=empty, download=False)


def test_truncated_image_read_directly_names_the_file(tmp_path):
    """The readers' second line of defence (a copy not verified, e.g. read by ``ImageFiles``)."""
    shared = require_dataset("flowers")
    src = next((shared / "val" / "daisy").glob("*.jpg"))
    bad = tmp_path / "x.jpg"
    bad.write_bytes(src.read_bytes()[:2000])
    ds = data.ImageFiles(tmp_path, [(str(bad), 0)], ["daisy"])
    ds.name = "flowers"
    with pytest.raises(data.DatasetCorrupt, match=r"'flowers'.*x\.jpg: cannot be read"):
        ds[0]


def _pennfudan_pair(tmp_path: Path, image: bytes, mask: bytes) -> data.PennFudan:
    """An unverified one-image Penn-Fudan folder read directly (the readers' second line of
    defence)."""
    top = tmp_path / "PennFudanPed"
    (top / "PNGImages").mkdir(parents=True)
    (top / "PedMasks").mkdir()
    (top / "PNGImages" / "FudanPed00001.png").write_bytes(image)
    (top / "PedMasks" / "FudanPed00001_mask.png").write_bytes(mask)
    ds = data._read_pennfudan(top, "a")
    ds.name = "pennfudan"
    return ds


def test_undecodable_pennfudan_png_names_the_file(tmp_path):
    shared = require_dataset("pennfudan", "PennFudanPed")
    image = (shared / "PNGImages" / "FudanPed00001.png").read_bytes()
    mask = (shared / "PedMasks" / "FudanPed00001_mask.png").read_bytes()
    assert _pennfudan_pair(tmp_path / "good", image, mask)[0][1].max() == 1
    with pytest.raises(
        data.DatasetCorrupt, match=r"'pennfudan'.*FudanPed00001\.png: cannot be read"
    ):
        _pennfudan_pair(tmp_path / "image", image[:2000], mask)[0]
    with pytest.raises(data.DatasetCorrupt, match=r"FudanPed00001_mask\.png: cannot be read"):
        _pennfudan_pair(tmp_path / "mask", image, b"not a png")[0]
    other = (shared / "PedMasks" / "PennPed00001_mask.png").read_bytes()  # another size
    with pytest.raises(data.DatasetCorrupt, match=r"FudanPed00001_mask\.png.*of its image's size"):
        _pennfudan_pair(tmp_path / "size", image, other)[0]


def test_verify_rejects_bad_split_and_a_copy_with_nothing_to_check(tmp_path):
    with pytest.raises(ValueError, match="split must be one of"):
        data.verify("fsdd", "val", tmp_path)
    with pytest.raises(ValueError, match="exactly one of files= or counts="):
        integrity.Expected("x")
    with pytest.raises(ValueError, match="kind must be one of"):
        integrity.file_digest(__file__, "crc32")


def test_manifests_match_the_recorded_copies():
    """The repository's manifests list every member file of the shared copies (re-recording them
    from ``../shared/data`` changes nothing)."""
    for name in ("fsdd", "mnist", "flowers", "imagenette", "cifar10-sample", "pennfudan"):
        folder = require_dataset(name, data.SOURCES[name].data_path)
        copies = integrity.repository_copies(name)
        assert copies, name
        found = integrity.scan(folder, data.SOURCES[name].members)
        assert set(copies[0].files) == set(found), name
        sizes = {rel: st.st_size for rel, st in found.items()}
        if copies[0].kind == "sha256":
            assert {rel: v[0] for rel, v in copies[0].files.items()} == sizes, name


def test_mnist_raw_copy_is_recorded_by_decompressed_md5():
    raw = integrity.repository_copies("mnist")[1]
    assert {k: v[1] for k, v in raw.files.items()} == data.MNIST_MD5
    assert torch.tensor([raw.files["t10k-labels-idx1-ubyte"][0]]).item() == 10_008


def _tiny_tree(folder: Path, n: int = 7) -> integrity.Expected:
    folder.mkdir(parents=True)
    for k in range(n):
        (folder / f"{k}.wav").write_bytes(bytes([k]) * (k + 1))
    files = {f"{k}.wav": (k + 1, integrity.file_digest(folder / f"{k}.wav")) for k in range(n)}
    return integrity.Expected("a tiny copy", files=files)


def test_verify_with_defaults_checks_every_member_and_counts_the_problems(tmp_path):
    """Without ``keep`` every member is checked; beyond five problems the message counts the
    rest."""
    copy = _tiny_tree(tmp_path / "t")
    assert integrity.verify("tiny", tmp_path / "t", [copy], patterns=["*.wav"]) == copy
    for k in range(7):
        (tmp_path / "t" / f"{k}.wav").unlink()
    with pytest.raises(integrity.DatasetCorrupt) as err:
        integrity.verify("tiny", tmp_path / "t", [copy], patterns=["*.wav"])
    assert "7 problems" in str(err.value) and "; and 2 more" in str(err.value)
    assert len(err.value.problems) == 7


def test_a_copy_that_covers_nothing_of_the_split_is_not_a_candidate(tmp_path):
    copy = _tiny_tree(tmp_path / "t", n=2)
    with pytest.raises(ValueError, match="no expected copy of 'tiny' covers this split"):
        integrity.verify(
            "tiny",
            tmp_path / "t",
            [copy],
            patterns=["*.wav"],
            keep=lambda rel: rel.startswith("train/"),
        )
    assert copy.restrict(lambda rel: False).empty and not copy.empty


def test_expected_refuses_an_unknown_digest_kind():
    with pytest.raises(ValueError, match="kind must be one of"):
        integrity.Expected("x", files={"a": (1, "0")}, kind="crc32")
    with pytest.raises(ValueError, match="exactly one of"):
        integrity.Expected("x", files={"a": (1, "0")}, counts={"": 1})
