"""The notation page is complete: every symbol a chapter writes in an equation (any $...$,
$$...$$ and {math} blocks) -- each single Latin letter and each Greek letter -- appears in the
math of book/notation.md. Names inside \\mathrm{}, \\operatorname{} and \\text{} are words,
not symbols."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.md"))
GREEK = set(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi "
    "pi rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma "
    "Upsilon Phi Psi Omega".split()
)


def math_of(text: str) -> list[str]:
    """The math of a MyST page: {math} directives, $$...$$ blocks, then inline $...$."""
    blocks = re.findall(r"```\{math\}\n(.*?)```", text, flags=re.S)
    text = re.sub(r"```\{math\}\n.*?```", " ", text, flags=re.S)
    blocks += re.findall(r"\$\$(.+?)\$\$", text, flags=re.S)
    text = re.sub(r"\$\$(.+?)\$\$", " ", text, flags=re.S)
    code = re.compile(r"```\{code-cell\}.*?```", flags=re.S)  # Python's "$" is not math
    blocks += re.findall(r"(?<![\\$])\$([^$\n]+?)\$", code.sub(" ", text))
    return blocks


def symbols(tex: str) -> set[str]:
    tex = re.sub(r"\\(operatorname|text|mathrm|textrm|mathit|label|tag|mathsf)\{[^}]*\}", " ", tex)
    tex = re.sub(r"\\(begin|end)\{[^}]*\}", " ", tex)
    tex = re.sub(r"^:label:.*$", " ", tex, flags=re.M)
    found = {"\\" + g for g in re.findall(r"\\([A-Za-z]+)", tex) if g in GREEK}
    tex = re.sub(r"\\[A-Za-z]+", " ", tex)
    found |= set(re.findall(r"(?<![A-Za-z0-9])([A-Za-z])(?![A-Za-z])", tex))
    return found


def page_symbols(path: Path) -> set[str]:
    return set().union(*map(symbols, math_of(path.read_text())))


NOTATION = page_symbols(ROOT / "book" / "notation.md")


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.stem)
def test_every_symbol_of_the_chapter_is_on_the_notation_page(md: Path):
    missing = sorted(page_symbols(md) - NOTATION)
    assert not missing, f"{md.name} uses {missing}, which book/notation.md does not define"


def test_the_scanner_finds_symbols_and_skips_words():
    text = "We have $x = \\alpha\\,\\mathrm{CDIFF}(f)$ and\n```{math}\n:label: e\nQ_k\n```\n"
    assert page_symbols_from(text) == {"x", "\\alpha", "f", "Q", "k"}
    # a planted symbol that the page does not define is reported; code cells are not math
    assert page_symbols_from("a chapter writes $\\Upsilon_k$") - NOTATION == {"\\Upsilon"}
    assert page_symbols_from("```{code-cell} ipython3\nprint(f'$x$ {y}')\n```") == set()


def page_symbols_from(text: str) -> set[str]:
    return set().union(*map(symbols, math_of(text)))
