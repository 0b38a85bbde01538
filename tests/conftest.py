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
