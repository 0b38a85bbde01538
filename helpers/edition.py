"""The book's two editions, generated from the same sources.

* **instructor** -- today's book: every exercise followed by its worked, executed solution.
* **student** -- the same chapters with every solution removed; where a solution had code, a stub
  code cell that fails with a clear message until the student writes their own answer in it.

A solution is the gated pair of sphinx-exercise directives a chapter writes after its exercise::

    ```{solution-start} ch1-ex1
    :class: dropdown
    ```
    ... text and code cells ...
    ```{solution-end}
    ```

(jupytext turns the text between code cells into markdown cells, so a pair can start inside one
markdown cell, span code cells and end inside another). :func:`strip_solutions` removes everything
from the start fence to the end fence, whatever cells it spans; solutions are removed by the build,
not by sphinx-exercise's ``hide_solutions`` (which crashes on gated solutions, its issue 89).

* :func:`strip_solutions` -- a notebook (``nbformat`` node) -> ``(student notebook, removed)``.
* :func:`exercise_labels` / :func:`solution_labels` -- the labels a chapter's text defines.
* :func:`check_solutions` -- every exercise has exactly one solution, every solution an exercise.
* :data:`STUDENT_DIR` -- where the committed student notebooks live (``student/notebooks``).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

__all__ = [
    "STUDENT_DIR",
    "Removed",
    "strip_solutions",
    "stub_source",
    "exercise_labels",
    "solution_labels",
    "check_solutions",
    "SolutionMarkupError",
]

#: The student edition's notebooks, relative to the repository root (what its Colab buttons open).
STUDENT_DIR = "student/notebooks"

START = re.compile(r"^(`{3,}|:{3,})\{solution-start\}\s+(\S+)\s*$")
END = re.compile(r"^(`{3,}|:{3,})\{solution-end\}\s*$")
EXERCISE = re.compile(r"^(`{3,}|:{3,})\{exercise\}")
LABEL = re.compile(r"^:label:\s*(\S+)\s*$")


class SolutionMarkupError(ValueError):
    """A chapter's solution fences do not pair up (named: chapter, label, what is wrong)."""


@dataclass
class Removed:
    """What :func:`strip_solutions` took out: per solution label, its number of code cells."""

    code_cells: dict[str, int] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return list(self.code_cells)


def stub_source(label: str) -> str:
    """The student's cell for a coding exercise: fails, naming the exercise, until replaced."""
    return (
        f"# Exercise {label}: your code goes here (replace the line below with your answer).\n"
        f'raise NotImplementedError("exercise {label} is yours to solve: write your code in this '
        f'cell, then run it (the instructor edition has a worked solution)")'
    )


def _new_cell(kind: str, source: str):
    import nbformat

    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    return make(source)


def strip_solutions(nb, name: str = "notebook"):
    """A copy of ``nb`` without its solutions, and what was removed (:class:`Removed`).

    Markdown outside the fences is kept (split around a removed solution when needed); code cells
    inside a solution are dropped, and a solution that had any is replaced by one stub code cell
    (:func:`stub_source`) at its place. ``name`` names the notebook in errors. Raises
    :class:`SolutionMarkupError` on an end without a start, a start inside a solution, or a
    solution never closed.
    """
    out = copy.deepcopy(nb)
    cells, removed = [], Removed()
    inside: str | None = None
    n_code = 0

    def close(label: str):
        removed.code_cells[label] = n_code
        if n_code:
            stub = _new_cell("code", stub_source(label))
            stub["id"] = f"stub-{label}"[:64]  # stable: a re-sync rewrites no student copy
            cells.append(stub)

    for cell in nb.cells:
        if cell.cell_type != "markdown":
            if inside is None:
                cells.append(copy.deepcopy(cell))
            elif cell.cell_type == "code":
                n_code += 1
            continue
        kept: list[str] = []
        lines = cell.source.split("\n")
        i = 0
        while i < len(lines):
            line = lines[i]
            if inside is None:
                m = START.match(line.strip())
                if END.match(line.strip()):
                    raise SolutionMarkupError(f"{name}: a solution-end without a solution-start")
                if m:
                    inside, n_code = m.group(2), 0
                    if inside in removed.code_cells:
                        raise SolutionMarkupError(f"{name}: two solutions labelled {inside}")
                    if "".join(kept).strip():
                        c = copy.deepcopy(cell)
                        c.source = "\n".join(kept).strip("\n")
                        cells.append(c)
                    kept = []
                else:
                    kept.append(line)
                i += 1
                continue
            if START.match(line.strip()):
                raise SolutionMarkupError(
                    f"{name}: solution {START.match(line.strip()).group(2)} starts inside "
                    f"solution {inside}"
                )
            m = END.match(line.strip())
            i += 1
            if m:
                # the end directive's own closing fence
                while i < len(lines) and not lines[i].strip():
                    i += 1
                if i < len(lines) and lines[i].strip() == m.group(1):
                    i += 1
                close(inside)
                inside = None
        if "".join(kept).strip():
            c = copy.deepcopy(cell)
            c.source = "\n".join(kept).strip("\n")
            cells.append(c)
    if inside is not None:
        raise SolutionMarkupError(f"{name}: solution {inside} is never closed (no solution-end)")
    seen: set[str] = set()  # a markdown cell split around a solution: unique ids
    for j, c in enumerate(cells):
        cid = c.get("id")
        if cid is None:
            continue
        if cid in seen:
            c["id"] = f"{cid[:50]}-s{j}"
        seen.add(c["id"])
    out.cells = cells
    return out, removed


def _labels(text: str, opener: re.Pattern) -> list[str]:
    lines = text.split("\n")
    found = []
    for i, line in enumerate(lines):
        if opener is START:
            m = START.match(line.strip())
            if m:
                found.append(m.group(2))
        elif EXERCISE.match(line.strip()):
            for nxt in lines[i + 1 : i + 6]:
                m = LABEL.match(nxt.strip())
                if m:
                    found.append(m.group(1))
                    break
            else:
                found.append("")
    return found


def exercise_labels(text: str) -> list[str]:
    """Labels of the ``{exercise}`` directives of a chapter's MyST text ("" if unlabelled)."""
    return _labels(text, EXERCISE)


def solution_labels(text: str) -> list[str]:
    """Labels of the ``{solution-start}`` directives of a chapter's MyST text."""
    return _labels(text, START)


def check_solutions(text: str, name: str = "chapter") -> list[str]:
    """Problems: an unlabelled exercise, an exercise without a solution, a solution without an
    exercise, or a label used twice. Empty when every exercise has exactly one solution."""
    ex, so = exercise_labels(text), solution_labels(text)
    problems = []
    if "" in ex:
        problems.append(f"{name}: an exercise has no :label:")
    for lab in sorted(
        {x for x in ex if x and ex.count(x) > 1} | {s for s in so if so.count(s) > 1}
    ):
        problems.append(f"{name}: label {lab} is used more than once")
    problems += [f"{name}: exercise {x} has no solution" for x in ex if x and x not in so]
    problems += [f"{name}: solution {s} answers no exercise" for s in so if s not in ex]
    return problems
