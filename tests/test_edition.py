"""The student edition: solutions removed by the build, stubs for coding exercises, every exercise
answered in the instructor edition; the committed student notebooks are the generated ones."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from helpers import book, edition

ROOT = Path(__file__).resolve().parents[1]
CHAPTER_MDS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.md"))

EXERCISE = "```{exercise}\n:label: ex1\n\nCompute it.\n```"
START = "```{solution-start} ex1\n:class: dropdown\n```"
END = "```{solution-end}\n```"


def nb_of(*cells):
    nb = nbformat.v4.new_notebook()
    for kind, src in cells:
        make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        nb.cells.append(make(src))
    return nb


def test_solution_spanning_cells_is_removed_and_a_stub_takes_its_place():
    nb = nb_of(
        ("markdown", f"Intro.\n\n{EXERCISE}\n\n{START}\n\nThe answer is 42."),
        ("code", "answer = 6 * 7\nassert answer == 42"),
        ("markdown", f"So 42.\n\n{END}\n\n## Summary\n\nDone."),
        ("code", "print('after')"),
    )
    student, removed = edition.strip_solutions(nb, "t.ipynb")
    kinds = [(c.cell_type, c.source) for c in student.cells]
    assert kinds[0] == ("markdown", f"Intro.\n\n{EXERCISE}")
    assert kinds[1] == ("code", edition.stub_source("ex1"))
    assert kinds[2] == ("markdown", "## Summary\n\nDone.")
    assert kinds[3] == ("code", "print('after')")
    assert removed.code_cells == {"ex1": 1}
    text = "\n".join(src for _, src in kinds)
    assert "42" not in text and "solution-" not in text and "dropdown" not in text
    assert len(nb.cells) == 4 and "answer" in nb.cells[1].source  # the input is untouched
    ids = [c.get("id") for c in student.cells]
    assert len(set(ids)) == len(ids)  # split cells: unique ids


def test_the_stub_fails_with_a_message_naming_the_exercise():
    with pytest.raises(NotImplementedError, match="exercise ch9-ex2 is yours to solve"):
        exec(compile(edition.stub_source("ch9-ex2"), "<stub>", "exec"), {})


def test_a_text_only_solution_leaves_no_stub():
    nb = nb_of(("markdown", f"{EXERCISE}\n\n{START}\nBecause.\n{END}\nAfter."))
    student, removed = edition.strip_solutions(nb)
    assert [c.source for c in student.cells] == [EXERCISE, "After."]
    assert removed.code_cells == {"ex1": 0}


@pytest.mark.parametrize(
    "cells, match",
    [
        ([("markdown", f"{START}\ntext")], "never closed"),
        ([("markdown", f"x\n{END}")], "without a solution-start"),
        ([("markdown", f"{START}\n{START.replace('ex1', 'ex2')}\n{END}")], "starts inside"),
        ([("markdown", f"{START}\n{END}\n{START}\n{END}")], "two solutions labelled ex1"),
    ],
)
def test_bad_markup_is_an_error_naming_the_notebook(cells, match):
    with pytest.raises(edition.SolutionMarkupError, match=match) as err:
        edition.strip_solutions(nb_of(*cells), "ch.ipynb")
    assert "ch.ipynb" in str(err.value)


def test_check_solutions_finds_each_kind_of_mismatch():
    ok = f"{EXERCISE}\n{START}\n{END}"
    assert edition.check_solutions(ok) == []
    assert edition.check_solutions(EXERCISE, "c") == ["c: exercise ex1 has no solution"]
    assert edition.check_solutions(f"{START}\n{END}", "c") == [
        "c: solution ex1 answers no exercise"
    ]
    assert "no :label:" in edition.check_solutions("```{exercise}\nNo label.\n```")[0]
    assert "more than once" in edition.check_solutions(f"{ok}\n{EXERCISE}")[0]


@pytest.mark.parametrize("md", CHAPTER_MDS, ids=lambda p: p.stem)
def test_every_exercise_of_the_instructor_edition_has_a_solution(md: Path):
    text = md.read_text()
    assert edition.exercise_labels(text), f"{md.name} has no exercise"
    assert edition.check_solutions(text, md.name) == []


@pytest.mark.parametrize("md", CHAPTER_MDS, ids=lambda p: p.stem)
def test_committed_student_notebook_is_the_generated_one_and_holds_no_solution(md: Path):
    committed = ROOT / edition.STUDENT_DIR / md.with_suffix(".ipynb").name
    assert committed.is_file(), f"run `python -m helpers sync` to write {committed}"
    nb = nbformat.read(committed, as_version=4)
    want = book.student_copy(md.with_suffix(".ipynb"))
    assert [(c.cell_type, c.source) for c in nb.cells] == [
        (c.cell_type, c.source) for c in want.cells
    ]
    text = "\n".join(c.source for c in nb.cells)
    assert "solution-start" not in text and "solution-end" not in text
    # every solution of the chapter is gone: none of its code lines survives in the student copy
    instructor = nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    _, removed = edition.strip_solutions(instructor)
    assert sorted(removed.labels) == sorted(edition.exercise_labels(md.read_text()))
    stubs = [c for c in nb.cells if c.cell_type == "code" and "NotImplementedError" in c.source]
    assert len(stubs) == sum(1 for n in removed.code_cells.values() if n)


def test_sync_keeps_ids_unique_and_stable_for_cells_with_the_same_source(tmp_path):
    """Two identical "predict" cells: each keeps its own id in order, across syncs (a duplicate
    id would be renamed at random by nbformat, and every sync would rewrite the .ipynb)."""
    (tmp_path / "notebooks").mkdir()
    md = tmp_path / "notebooks" / "01_x.md"
    prompt = "```{code-cell} ipython3\nmy_prediction = None  # write a number\n```\n"
    header = ROOT.joinpath("notebooks", "05_forward_spectra.md").read_text().split("---\n")[1]
    md.write_text(
        "---\n"
        + header
        + "---\n\n# T\n\n"
        + prompt
        + "\nText.\n\n"
        + prompt
        + "\n```{code-cell} ipython3\nx = 1\n```\n"
    )
    book.sync(tmp_path)
    ipynb = md.with_suffix(".ipynb")
    first = [c["id"] for c in nbformat.read(ipynb, as_version=4).cells]
    assert len(set(first)) == len(first), first
    book.sync(tmp_path)
    assert [c["id"] for c in nbformat.read(ipynb, as_version=4).cells] == first
    # editing the cell between the prompts keeps every other cell's id
    md.write_text(md.read_text().replace("Text.", "Other text."))
    book.sync(tmp_path)
    again = [c["id"] for c in nbformat.read(ipynb, as_version=4).cells]
    assert [a for a, b in zip(again, first) if a != b] == [again[2]], (first, again)
