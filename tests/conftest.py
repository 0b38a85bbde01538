"""Shared fixtures: the data rule and the one book build that the notebook and HTML tests share."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def data_required() -> bool:
    """In CI (``CMT_REQUIRE_DATA=1``) a test may not skip for missing data: it fails instead."""
    return os.environ.get("CMT_REQUIRE_DATA", "") == "1"


def require_dataset(name: str, relpath: str | None = None) -> Path:
    """Return ``$CMT_DATA/<relpath or name>``, or skip (fail in CI) with the reason it is
    missing."""
    base = os.environ.get("CMT_DATA")
    reason = None
    if not base:
        reason = (
            f"dataset {name!r}: CMT_DATA is not set "
            "(point it at a folder laid out like ../shared/data)"
        )
    else:
        path = Path(base) / (relpath or name)
        if path.exists():
            return path
        reason = f"dataset {name!r}: {path} does not exist"
    if data_required():
        pytest.fail(f"{reason}; CMT_REQUIRE_DATA=1 forbids skipping for missing data")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def book_build():
    """Execute every chapter in ``_toc.yml`` once (quick mode) and build the HTML, once per session.

    The notebook tests read the executed copies and timings, the HTML tests the rendered pages, so
    no chapter runs twice in one test run.
    """
    from helpers import book

    return book.build(mode="quick", root=ROOT)


@pytest.fixture(scope="session")
def built_book(book_build) -> Path:
    """The HTML folder of the session's build (``_build/html``)."""
    return book_build.html


@pytest.fixture(scope="session")
def student_book(book_build) -> Path:
    """The student edition's HTML folder of the session's build (``_build/html-student``)."""
    return book_build.student_html


def assert_raises_naming(call, exc: type[BaseException], name: str) -> None:
    """``call()`` raises ``exc`` and its message names ``name`` as a whole word."""
    import re

    with pytest.raises(exc) as info:
        call()
    assert re.search(rf"(?<!\w){re.escape(name)}(?!\w)", str(info.value)), (
        f"message {str(info.value)!r} does not name {name!r}"
    )


def write_urbansound8k(top: Path, clips, seed: int = 1) -> Path:
    """Write a tiny UrbanSound8K in its real layout under ``top`` (the ``UrbanSound8K`` folder).

    ``clips``: rows ``(file name, fsID, fold, classID, rate, channels, frames)``; each becomes a
    16-bit WAV of uniform noise in ``audio/fold<fold>/`` and a row of ``metadata/UrbanSound8K.csv``.
    """
    import csv

    import numpy as np
    import soundfile

    from helpers import data

    (top / "metadata").mkdir(parents=True)
    rng = np.random.default_rng(seed)
    with open(top / "metadata" / "UrbanSound8K.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            ["slice_file_name", "fsID", "start", "end", "salience", "fold", "classID", "class"]
        )
        for name, fsid, fold, label, rate, channels, frames in clips:
            path = top / "audio" / f"fold{fold}" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            soundfile.write(
                path, rng.uniform(-0.5, 0.5, size=(frames, channels)), rate, subtype="PCM_16"
            )
            w.writerow(
                [name, fsid, 0.0, frames / rate, 1, fold, label, data.URBANSOUND8K_CLASSES[label]]
            )
    return top


def write_dcase2016(top: Path, clips, folds: int = 4, seed: int = 2) -> Path:
    """Write a tiny TUT Acoustic Scenes 2016 development set in its real layout under ``top`` (the
    ``TUT-acoustic-scenes-2016-development`` folder).

    ``clips``: rows ``(file name, scene label, test fold, frames)``; each becomes a stereo 44.1 kHz
    24-bit WAV of uniform noise in ``audio/`` and a line ``audio/<file>\\t<scene>`` of
    ``meta.txt``; ``evaluation_setup/fold<k>_evaluate.txt`` (and ``_test.txt``, files only) lists
    the clips whose test fold is k, ``fold<k>_train.txt`` the others. ``error.txt`` and a README
    are written too (the error and doc packages).
    """
    import numpy as np
    import soundfile

    rng = np.random.default_rng(seed)
    (top / "audio").mkdir(parents=True)
    (top / "evaluation_setup").mkdir()
    rows = [(f"audio/{name}", label, fold) for name, label, fold, _ in clips]
    for name, _, _, frames in clips:
        noise = rng.uniform(-0.5, 0.5, size=(frames, 2))
        soundfile.write(top / "audio" / name, noise, 44100, subtype="PCM_24")
    (top / "meta.txt").write_text("".join(f"{rel}\t{label}\n" for rel, label, _ in rows))
    for k in range(1, folds + 1):
        setup = top / "evaluation_setup"
        test = [(rel, label) for rel, label, fold in rows if fold == k]
        train = [(rel, label) for rel, label, fold in rows if fold != k]
        (setup / f"fold{k}_train.txt").write_text("".join(f"{r}\t{lab}\n" for r, lab in train))
        (setup / f"fold{k}_evaluate.txt").write_text("".join(f"{r}\t{lab}\n" for r, lab in test))
        (setup / f"fold{k}_test.txt").write_text("".join(f"{r}\n" for r, _ in test))
    (top / "error.txt").write_text(f"{rows[0][0]}\t0.0\t1.0\tmicrophone noise\n")
    (top / "README.html").write_text("<p>TUT Acoustic Scenes 2016</p>\n")
    return top


def write_voc2012(top: Path, train, val, extra=(), seed: int = 3) -> Path:
    """Write a tiny Pascal VOC 2012 in its real layout under ``top`` (``VOCdevkit/VOC2012``).

    ``train`` / ``val``: image ids of ``ImageSets/Segmentation/{train,val}.txt``; each gets a small
    RGB ``JPEGImages/<id>.jpg`` (sizes vary) and a palette PNG ``SegmentationClass/<id>.png``
    (background 0, a block of one class 1-20, a boundary of 255 around it) plus an instance PNG in
    ``SegmentationObject/``. ``extra``: ids of JPEGs outside the segmentation lists (other tasks).
    Annotations and other image-set lists are written too (a download's cache drops them). The
    n-th listed id (train, then val) has class ``1 + n % 20`` in rows 2-6, columns 3-7.
    """
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    for sub in ("JPEGImages", "SegmentationClass", "SegmentationObject", "Annotations"):
        (top / sub).mkdir(parents=True, exist_ok=True)
    (top / "ImageSets" / "Segmentation").mkdir(parents=True)
    (top / "ImageSets" / "Main").mkdir()
    palette = [v for k in range(256) for v in ((k * 37) % 256, (k * 91) % 256, (k * 53) % 256)]
    for n, i in enumerate([*train, *val, *extra]):
        h, w = 10 + n % 3, 12 + n
        pixels = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(top / "JPEGImages" / f"{i}.jpg", quality=95)
        (top / "Annotations" / f"{i}.xml").write_text(f"<annotation>{i}</annotation>\n")
        if n >= len(train) + len(val):
            continue
        labels = np.zeros((h, w), dtype=np.uint8)
        labels[1:8, 2:9] = 255
        labels[2:7, 3:8] = 1 + n % 20
        for sub, values in (("SegmentationClass", labels), ("SegmentationObject", labels > 0)):
            im = Image.fromarray(values.astype(np.uint8))
            im.putpalette(palette)
            im.save(top / sub / f"{i}.png")
    sets = top / "ImageSets"
    (sets / "Segmentation" / "train.txt").write_text("".join(f"{i}\n" for i in train))
    (sets / "Segmentation" / "val.txt").write_text("".join(f"{i}\n" for i in val))
    (sets / "Segmentation" / "trainval.txt").write_text("".join(f"{i}\n" for i in [*train, *val]))
    (sets / "Main" / "train.txt").write_text("".join(f"{i}\n" for i in [*train, *extra]))
    return top
