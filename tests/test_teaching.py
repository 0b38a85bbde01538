"""teaching.reveal: agreement by kind, no failure on the student's prediction, errors on the
chapter's."""

import pytest

from helpers import teaching


def test_reveal_agreement_by_kind(capsys):
    assert teaching.reveal("Larger ", "larger", choices=("larger", "smaller")) is True
    assert teaching.reveal("smaller", "larger", choices=("larger", "smaller")) is False
    assert teaching.reveal(0.52, 0.5) is True and teaching.reveal(0.7, 0.5) is False
    assert teaching.reveal(0.7, 0.5, rel=0.5) is True
    assert teaching.reveal(True, True) is True and teaching.reveal(1, True) is False
    assert teaching.reveal("half", 0.5) is False  # a word for a number: no match
    out = capsys.readouterr().out
    assert "you were right" in out and "worth a second look" in out


def test_no_prediction_is_not_an_error(capsys):
    assert teaching.reveal(None, 3.0, why="Parseval") is None
    assert teaching.reveal("  ", "up", choices=["up", "down"]) is None
    out = capsys.readouterr().out
    assert "(no prediction written) the run says: 3 -- Parseval" in out


def test_the_chapters_mistakes_are_errors():
    with pytest.raises(ValueError, match="answer must be one of"):
        teaching.reveal("up", "sideways", choices=("up", "down"))
    with pytest.raises(ValueError, match="rel"):
        teaching.reveal(1, 1, rel=0)
    with pytest.raises((TypeError, ValueError), match="choices"):
        teaching.reveal("up", "up", choices=[])
