"""The instructor page (book/course.md) is true to the book: every exercise label it assigns exists
in its chapter, every chapter of the toc has a session and an exercise row, no chapter of the toc is
called unpublished, and the chapters it says ask "predict, then run" do."""

from __future__ import annotations

import re
from pathlib import Path

from helpers import book, edition

ROOT = Path(__file__).resolve().parents[1]
COURSE = (ROOT / "book" / "course.md").read_text()
STEMS = book.chapters(ROOT)


def chapter_text(number: int) -> str:
    stem = next(s for s in STEMS if Path(s).name.startswith(f"{number:02d}_"))
    return (ROOT / f"{stem}.md").read_text()


def test_every_assigned_exercise_exists():
    labels = sorted(set(re.findall(r"`(ch(\d+)-ex\d+)`", COURSE)))
    assert labels, "the course page assigns no exercise"
    missing = [lab for lab, n in labels if lab not in edition.exercise_labels(chapter_text(int(n)))]
    assert not missing, f"book/course.md assigns exercises that do not exist: {missing}"


def test_every_chapter_has_a_session_and_exercises():
    for stem in STEMS:
        n = int(Path(stem).name[:2])
        assert COURSE.count(f"</{stem}>`") >= 2, (
            f"{stem}: no outcome/session row on the course page"
        )
        rows = re.findall(rf"(?m)^\| {n} \| (.*)$", COURSE)
        assert any(f"`ch{n}-ex" in r for r in rows), f"chapter {n}: no exercise row"


def test_no_published_chapter_is_called_in_preparation():
    for phrase in ("in preparation", "not built yet", "not yet published"):
        assert phrase not in COURSE.lower(), f"course page says {phrase!r}"


def test_the_listed_predict_chapters_ask_before_telling():
    m = re.search(r"Chapters with these steps so far: ([\d, ]+)\.", COURSE)
    assert m, "the course page does not say which chapters ask before telling"
    listed = {int(x) for x in re.findall(r"\d+", m.group(1))}
    for stem in STEMS:
        n = int(Path(stem).name[:2])
        asks = chapter_text(n).count("teaching.reveal(") >= 2
        assert asks == (n in listed), (
            f"chapter {n}: {'has' if asks else 'lacks'} predict-then-run steps, the course page "
            f"{'lists' if n in listed else 'does not list'} it"
        )
