"""Ask before telling: the "predict, then run" steps of the chapters.

A chapter asks the student to write a prediction in a code cell (``my_prediction = None`` until
they do), and the next cell computes the answer, asserts it (against theory or the chapter's own
criterion, never a typed outcome) and shows it beside the prediction with :func:`reveal`. The
student's prediction never makes a cell fail; a wrong one is the point of the exercise.

* :func:`reveal` -- print the prediction beside the answer; return whether they agree.
"""

from __future__ import annotations

import math

from . import checks

__all__ = ["reveal"]


def _agree(prediction, answer, rel: float) -> bool:
    if isinstance(answer, str):
        return isinstance(prediction, str) and prediction.strip().lower() == answer.lower()
    if isinstance(answer, bool):
        return isinstance(prediction, bool) and prediction == answer
    try:
        p, a = float(prediction), float(answer)
    except (TypeError, ValueError):
        return False
    return math.isclose(p, a, rel_tol=rel, abs_tol=rel * 1e-12)


def reveal(prediction, answer, *, choices=None, rel: float = 0.1, why: str = "") -> bool | None:
    """Show ``prediction`` beside ``answer`` and return whether they agree (``None``: no
    prediction written yet).

    ``answer`` is what the run computed: a string (one of ``choices``, compared case-insensitively),
    a bool, or a number (agreement within relative tolerance ``rel``). ``why`` is the one-line
    reason printed after the answer. Raises ``ValueError`` if ``answer`` is not one of ``choices``
    (a chapter's bug, not the student's), and never because of the prediction.
    """
    rel = checks.positive(rel, "rel")
    if choices is not None:
        choices = [str(c).lower() for c in checks.sequence(choices, "choices", nonempty=True)]
        if not isinstance(answer, str) or answer.lower() not in choices:
            raise ValueError(f"answer must be one of {choices}, got {answer!r}")
    shown = f"{answer:.4g}" if isinstance(answer, float) else str(answer)
    if prediction is None or (isinstance(prediction, str) and not prediction.strip()):
        print(f"(no prediction written) the run says: {shown}" + (f" -- {why}" if why else ""))
        return None
    agree = _agree(prediction, answer, rel)
    verdict = "you were right" if agree else "not what you predicted: worth a second look"
    print(f"you predicted: {prediction}; the run says: {shown} ({verdict})")
    if why:
        print(f"why: {why}")
    return agree
